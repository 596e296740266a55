import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapterContract } from '../../adapters/contract/adapter-contract.js';
import { LegacyAdapter } from '../../adapters/legacy/legacy-adapter.js';
import { RelaySubmitter } from '../../adapters/legacy/relay-submitter.js';
import { loadKeyFolder } from '../../adapters/legacy/key-folder.js';
import { startLegacyRelay } from '../simulators/legacy-relay.js';
import { makeKeyFolders, SUBSCRIBERS, GATEWAY_PASSWORD } from '../support/legacy-world.js';
import { openLnpMail, sealLnpMail } from '../../adapters/legacy/lnp-codec.js';

/**
 * The legacy adapter against the relay simulator. What a recipient receives is sealed for
 * that recipient by the relay; to read it back with the adapter (which opens mail sealed
 * for the gateway), the fixture re-seals it for the gateway as the relay would for an
 * interop copy.
 */
adapterContract('legacy', async () => {
  const root = mkdtempSync(join(tmpdir(), 'passerelle-contract-'));
  const keys = await makeKeyFolders(root);
  const { store: all } = await loadKeyFolder(keys.all);
  const { store: gatewayKeys } = await loadKeyFolder(keys.gateway);
  const relay = await startLegacyRelay({
    keys: all, domain: 'lnp.test', gatewayLocal: 'passerelle',
    subscribers: [...SUBSCRIBERS, { local: 'passerelle', zone: 'gateway', password: GATEWAY_PASSWORD }],
  });
  const submitter = new RelaySubmitter({ host: '127.0.0.1', port: relay.port, user: 'passerelle', password: GATEWAY_PASSWORD });
  const adapter = new LegacyAdapter({ keys: gatewayKeys, domain: 'lnp.test', gatewayLocal: 'passerelle', gatewayZone: 'gateway', submitter });
  let down = false;
  return {
    adapter,
    recipients: ['dr.alice.martin@medical33.lnp.test', 'cab.dupuis@medical33.lnp.test'],
    from: 'jean.dupont.med@interop.lnp.test',
    async setPeer(mode) {
      if (mode === 'temporary') relay.refuseWith = { code: 451, message: '4.3.0 relay busy' };
      if (mode === 'permanent') relay.refuseWith = { code: 554, message: '5.7.1 refused' };
      if (mode === 'down' && !down) {
        down = true;
        await submitter.close();
        await relay.close();
      }
    },
    async receivedRaw() {
      const inbox = await relay.waitForInbox('dr.alice.martin', 1, 5000);
      return Promise.all(inbox.map(async (raw) => {
        const o = await openLnpMail(all, raw, { now: new Date(), holder: 'dr.alice.martin' });
        const { raw: again } = await sealLnpMail(all, {
          holder: 'passerelle', year: o.year, from: o.mail.from, to: o.mail.to, cc: o.mail.cc, subject: o.mail.subject,
          messageId: o.mail.messageId ?? '<x@y>', date: new Date(), text: o.text, attachments: o.attachments, transit: 'relay1',
        });
        return again;
      }));
    },
    async close() {
      await adapter.close();
      if (!down) await relay.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
});
