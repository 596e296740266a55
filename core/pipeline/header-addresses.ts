import type { RouteResolver } from '../ports/route-resolver.js';
import type { OpenedMessage } from '../model/message.js';
import type { NetworkId } from '../model/network.js';

/** The `To` and `Cc` a copy shows on the target network, and how many addresses had no form there. */
export interface HeaderAddresses {
  to: string[];
  cc: string[];
  /** Header addresses left out: they have no address on the target network. */
  omitted: number;
}

/**
 * The address a reader on `target` can reply to for `address`, written on the other network:
 * the real address when it leads to `target` (an `interop` alias → the national mailbox; an
 * address on the gateway's national domain → the legacy subscriber), else its alias on
 * `target` (a legacy subscriber → `LOCAL@<national domain>`; a national mailbox → its
 * `interop` address). Null when it has none (a resolver failure counts as none: display
 * never fails a delivery).
 *
 * @example
 * await replyAddress(resolver, 'jean.dupont.med@interop.lnp.test', 'mssante'); // 'jean.dupont@medecin.mssante.fr'
 * await replyAddress(resolver, 'cab.dupuis@medical33.lnp.test', 'mssante');   // 'cab.dupuis@passerelle.mssante.test'
 */
export async function replyAddress(resolver: RouteResolver, address: string, target: NetworkId): Promise<string | null> {
  try {
    const route = await resolver.resolve(address);
    if (route && route.network === target) return route.address.toLowerCase();
    const alias = await resolver.aliasFor(address, target);
    return alias ? alias.toLowerCase() : null;
  } catch {
    return null;
  }
}

/**
 * The original's `To` and `Cc`, each address as the target network's readers can reply to it
 * ({@link replyAddress}), duplicates dropped (an address in `To` is not repeated in `Cc`).
 * An address without a form on the target is left out and counted (the trace says how
 * many, never which: an address may name a patient). A copy always names someone in `To`:
 * when nothing of the original `To` is left, the recipients of this copy not already in
 * `Cc` stand there (or all of them, then out of `Cc`), as before co-recipients were shown.
 * Display only: who gets the copy is decided by the envelope, never by these lists.
 *
 * @example
 * await headerAddresses(resolver, opened, 'mssante', ['jean.dupont@medecin.mssante.fr']);
 * // { to: ['jean.dupont@medecin.mssante.fr'], cc: ['camille.roux@medecin.mssante.fr', 'cab.dupuis@passerelle.mssante.test'], omitted: 0 }
 */
export async function headerAddresses(resolver: RouteResolver, m: OpenedMessage, target: NetworkId, recipients: string[]): Promise<HeaderAddresses> {
  const seen = new Set<string>();
  let omitted = 0;
  const map = async (list: string[]): Promise<string[]> => {
    const out: string[] = [];
    for (const a of list) {
      const r = await replyAddress(resolver, a, target);
      if (!r) { omitted++; continue; }
      if (seen.has(r)) continue;
      seen.add(r);
      out.push(r);
    }
    return out;
  };
  let to = await map(m.to);
  let cc = await map(m.cc);
  if (to.length === 0) {
    const own = recipients.map((r) => r.toLowerCase());
    to = own.filter((r) => !cc.includes(r));
    if (to.length === 0) {
      to = own;
      cc = cc.filter((c) => !own.includes(c));
    }
  }
  return { to, cc, omitted };
}
