/**
 * The README's first command, as a process: `passerelle start` on embedded defaults (only
 * the ports, the data folder and the key folder moved so tests can run side by side), with
 * the relay simulator delivering to it.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKeyFolders, SUBSCRIBERS, GATEWAY_PASSWORD } from '../support/legacy-world.js';
import { loadKeyFolder } from '../../adapters/legacy/key-folder.js';
import { startLegacyRelay, submitToRelay, type LegacyRelayOptions } from '../simulators/legacy-relay.js';

describe('passerelle start', () => {
  it('starts on embedded defaults, and the relay simulator delivers to it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-cli-'));
    const keys = await makeKeyFolders(root);
    const relayOptions: LegacyRelayOptions = {
      keys: (await loadKeyFolder(keys.all)).store, domain: 'lnp.test', gatewayLocal: 'passerelle',
      subscribers: [...SUBSCRIBERS, { local: 'passerelle', zone: 'gateway', password: GATEWAY_PASSWORD }],
    };
    const relay = await startLegacyRelay(relayOptions);
    const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/passerelle.js'), 'start'], {
      env: {
        ...process.env,
        PASSERELLE_DATA_DIR: join(root, 'var'), PASSERELLE_LEGACY_KEY_DIR: keys.gateway,
        PASSERELLE_LEGACY_LISTEN_PORT: '0', PASSERELLE_MSSANTE_LISTEN_PORT: '0', PASSERELLE_HTTP_PORT: '0',
        PASSERELLE_LEGACY_RELAY_PORT: String(relay.port), PASSERELLE_LEGACY_RELAY_PASSWORD: GATEWAY_PASSWORD,
        PASSERELLE_ALIASES: JSON.stringify({ 'jean.dupont.med@interop.lnp.test': 'jean.dupont@medecin.mssante.fr' }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const ports = await new Promise<{ legacy: number; http: number }>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = out.match(/legacy SMTP 127\.0\.0\.1:(\d+).*HTTP http:\/\/127\.0\.0\.1:(\d+)/);
          if (m) resolve({ legacy: Number(m[1]), http: Number(m[2]) });
        });
        child.once('exit', (c) => reject(new Error(`exited ${c}`)));
      });
      const health = await (await fetch(`http://127.0.0.1:${ports.http}/health`)).json() as { status: string };
      expect(health.status).toBe('ok');
      relayOptions.gateway = { host: '127.0.0.1', port: ports.legacy };
      await submitToRelay(relay, { local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to: ['jean.dupont.med@interop.lnp.test'], text: 'Bonjour\r\n' });
      const [d] = await relay.waitForGatewayDeliveries(1, 10_000);
      expect(d.reply).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{26}/);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await relay.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
