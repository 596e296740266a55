/**
 * The networks Passerelle bridges. Each has one adapter folder under `adapters/`.
 *
 * - `legacy`: the proprietary encrypted network (LNP/1), reached through its relay.
 * - `mssante`: the national secure-mail space, reached over SMTP with mutual TLS.
 */
export type NetworkId = 'legacy' | 'mssante';

export const NETWORKS: readonly NetworkId[] = ['legacy', 'mssante'];
