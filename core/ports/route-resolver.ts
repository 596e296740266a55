import type { NetworkId } from '../model/network.js';

/**
 * Where an address leads: the network it lives on and its real address there.
 *
 * @example
 * // A legacy subscriber writes to an interop alias of a national mailbox:
 * await resolver.resolve('jean.dupont.med@interop.lnp.test');
 * // → { network: 'mssante', address: 'jean.dupont@medecin.mssante.fr', status: 'active' }
 */
export interface Route {
  network: NetworkId;
  /** The address on the target network. */
  address: string;
  status: 'active' | 'suspended' | 'removed';
  /** PEM of the recipient's encryption certificate, when one is published. */
  certificate?: string;
  /** Display name, for headers. Never logged. */
  displayName?: string;
}

/** Turns an address written on one network into a route to the other. */
export interface RouteResolver {
  /** The route for `address` (case-insensitive), or null when the gateway does not serve it. */
  resolve(address: string): Promise<Route | null>;
  /**
   * The address that `address` (a mailbox of the other network) has on the `target`
   * network: its alias there, as recipients on `target` see the sender. Null when none.
   *
   * @example
   * await resolver.aliasFor('jean.dupont@medecin.mssante.fr', 'legacy'); // 'jean.dupont.med@interop.lnp.test'
   */
  aliasFor(address: string, target: NetworkId): Promise<string | null>;
}
