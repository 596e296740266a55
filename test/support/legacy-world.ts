/**
 * A small legacy network for end-to-end tests: generated keys for the current year (the
 * relay holds every key; the gateway only Master and its own), a relay simulator, and a
 * national operator peer, with a gateway started in-process between them.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTestKeyFolder, loadKeyFolder } from '../../adapters/legacy/key-folder.js';
import { startLegacyRelay, type LegacyRelay, type LegacyRelayOptions } from '../simulators/legacy-relay.js';
import { startNationalPeer, type NationalPeer } from '../simulators/national-peer.js';
import { loadConfig } from '../../app/config/load-config.js';
import type { GatewayConfig } from '../../app/config/defaults.js';
import { startGateway, type RunningGateway } from '../../app/node/start-gateway.js';
import { silentLogger, type Logger } from '../../core/log/logger.js';

export const SUBSCRIBERS = [
  { local: 'labo.bio33', zone: 'medical33', password: 'pw-labo' },
  { local: 'dr.alice.martin', zone: 'medical33', password: 'pw-alice' },
  { local: 'cab.dupuis', zone: 'medical33', password: 'pw-dupuis' },
];
export const GATEWAY_PASSWORD = 'pw-gateway';
export const NATIONAL_DOMAIN = 'medecin.mssante.fr';
export const ALIASES = {
  'jean.dupont.med@interop.lnp.test': 'jean.dupont@medecin.mssante.fr',
  'camille.roux.med@interop.lnp.test': 'camille.roux@medecin.mssante.fr',
  'nobody.home@interop.lnp.test': 'nobody@unrouted.mssante.fr',
};

/** Writes keys for the current year: returns the relay's folder and the gateway's. */
export async function makeKeyFolders(root: string): Promise<{ all: string; gateway: string }> {
  const all = join(root, 'keys-all');
  const gateway = join(root, 'keys-gateway');
  const year = new Date().getUTCFullYear();
  await writeTestKeyFolder(all, ['passerelle', ...SUBSCRIBERS.map((s) => s.local)], [year]);
  mkdirSync(gateway, { recursive: true, mode: 0o700 });
  for (const f of [`Master.${year - 1900}`, `passerelle.${year - 1900}`]) copyFileSync(join(all, f), join(gateway, f));
  return { all, gateway };
}

export interface LegacyWorld {
  root: string;
  relay: LegacyRelay;
  peer: NationalPeer;
  gw: RunningGateway;
  config: GatewayConfig;
  close(): Promise<void>;
}

/**
 * `over`: configuration overrides; `opts.log`: the gateway's logger (default: silent);
 * `opts.start`: the gateway's start (default: from source; a bench gives the compiled one).
 */
export async function startLegacyWorld(over: Record<string, unknown> = {}, opts: { log?: Logger; start?: typeof startGateway } = {}): Promise<LegacyWorld> {
  const root = mkdtempSync(join(tmpdir(), 'passerelle-e2e-'));
  const keys = await makeKeyFolders(root);
  const { store: relayKeys } = await loadKeyFolder(keys.all);
  const peer = await startNationalPeer({ domains: [NATIONAL_DOMAIN] });
  const relayOptions: LegacyRelayOptions = {
    keys: relayKeys, domain: 'lnp.test', gatewayLocal: 'passerelle',
    subscribers: [...SUBSCRIBERS, { local: 'passerelle', zone: 'gateway', password: GATEWAY_PASSWORD }],
  };
  const relay = await startLegacyRelay(relayOptions);
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: root,
      durability: 'NORMAL',
      legacy: {
        keyDir: keys.gateway,
        listen: { port: 0 },
        relay: { port: relay.port, password: GATEWAY_PASSWORD },
      },
      mssante: { routes: { [NATIONAL_DOMAIN]: `127.0.0.1:${peer.port}` }, transport: 'plain', listen: { port: 0 } },
      aliases: ALIASES,
      legacySubscribers: SUBSCRIBERS.map((x) => `${x.local}@${x.zone}.lnp.test`),
      http: { port: 0 },
      queue: { retry: { delays: ['300ms', '600ms'], maxAge: '3s' }, pollInterval: '100ms' },
      ...over,
    } as never,
  });
  const gw = await (opts.start ?? startGateway)(config, { log: opts.log ?? silentLogger });
  // The relay forwards interop mail to the gateway's listener.
  relayOptions.gateway = { host: '127.0.0.1', port: gw.ports.legacy };
  return {
    root, relay, peer, gw, config,
    async close() {
      await gw.stop();
      await relay.close();
      await peer.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
