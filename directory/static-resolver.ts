import type { NetworkId } from '../core/model/network.js';
import type { Route, RouteResolver } from '../core/ports/route-resolver.js';

/**
 * Routes from configuration alone: a table of `interop` aliases for national mailboxes, and
 * the legacy subscribers reachable from the national side, each as `LOCAL@<gateway national
 * domain>`. The federated directory answers first when there is one; this resolver answers
 * only what the configuration names (never "any LOCAL": the listener must not accept mail
 * for subscribers nobody listed).
 *
 * @example
 * const r = new StaticResolver({ legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test',
 *   aliases: { 'jean.dupont.med@interop.lnp.test': 'jean.dupont@medecin.mssante.fr' } });
 * await r.resolve('jean.dupont.med@interop.lnp.test'); // → mssante jean.dupont@medecin.mssante.fr
 * await r.resolve('dr.alice.martin@passerelle.mssante.test'); // → legacy dr.alice.martin@medical33.lnp.test, when listed
 */
export class StaticResolver implements RouteResolver {
  private readonly forward = new Map<string, string>();
  private readonly reverse = new Map<string, string>();
  private readonly interopDomain: string;

  private readonly subscribers = new Map<string, string>();

  constructor(private readonly o: { legacyDomain: string; nationalDomain: string; aliases: Record<string, string>; legacySubscribers?: string[] }) {
    this.interopDomain = `interop.${o.legacyDomain}`;
    for (const a of o.legacySubscribers ?? []) this.subscribers.set(a.toLowerCase().split('@')[0], a.toLowerCase());
    for (const [alias, national] of Object.entries(o.aliases)) {
      this.forward.set(alias.toLowerCase(), national.toLowerCase());
      this.reverse.set(national.toLowerCase(), alias.toLowerCase());
    }
  }

  /** Add an alias at run time (tests, the demo). */
  add(alias: string, national: string): void {
    this.forward.set(alias.toLowerCase(), national.toLowerCase());
    this.reverse.set(national.toLowerCase(), alias.toLowerCase());
  }

  async resolve(address: string): Promise<Route | null> {
    const a = address.toLowerCase();
    const [local, domain] = a.split('@');
    if (!local || !domain) return null;
    if (domain === this.interopDomain) {
      const national = this.forward.get(a);
      return national ? { network: 'mssante', address: national, status: 'active' } : null;
    }
    if (domain === this.o.nationalDomain) {
      const subscriber = this.subscribers.get(local);
      return subscriber ? { network: 'legacy', address: subscriber, status: 'active' } : null;
    }
    return null;
  }

  async aliasFor(address: string, target: NetworkId): Promise<string | null> {
    const network = target;
    const a = address.toLowerCase();
    const [local, domain] = a.split('@');
    if (!local || !domain) return null;
    const isLegacy = domain === this.o.legacyDomain || domain.endsWith(`.${this.o.legacyDomain}`);
    if (network === 'mssante') return isLegacy && domain !== this.interopDomain ? `${local}@${this.o.nationalDomain}` : null;
    return isLegacy ? null : this.reverse.get(a) ?? null;
  }
}

/** Asks each resolver in turn; the first that knows the address answers. */
export class ChainResolver implements RouteResolver {
  constructor(private readonly resolvers: RouteResolver[]) {}

  async resolve(address: string): Promise<Route | null> {
    for (const r of this.resolvers) {
      const route = await r.resolve(address);
      if (route) return route;
    }
    return null;
  }

  async aliasFor(address: string, target: NetworkId): Promise<string | null> {
    const network = target;
    for (const r of this.resolvers) {
      const alias = await r.aliasFor(address, network);
      if (alias) return alias;
    }
    return null;
  }
}
