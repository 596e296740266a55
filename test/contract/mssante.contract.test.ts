import { adapterContract } from '../../adapters/contract/adapter-contract.js';
import { MssanteAdapter } from '../../adapters/mssante/mssante-adapter.js';
import { StaticRouteTransport } from '../../adapters/mssante/static-route-transport.js';
import { startNationalPeer } from '../simulators/national-peer.js';

adapterContract('mssante', async () => {
  const peer = await startNationalPeer({ domains: ['medecin.mssante.fr'] });
  const transport = new StaticRouteTransport({ 'medecin.mssante.fr': `127.0.0.1:${peer.port}` });
  const adapter = new MssanteAdapter({ domain: 'passerelle.mssante.test', nil: 'Passerelle/test', transport });
  let closed = false;
  return {
    adapter,
    recipients: ['jean.dupont@medecin.mssante.fr', 'camille.roux@medecin.mssante.fr'],
    from: 'dr.alice.martin@passerelle.mssante.test',
    async setPeer(mode) {
      if (mode === 'temporary') peer.refuseWith = { code: 451, message: '4.3.0 Try again later' };
      if (mode === 'permanent') peer.refuseWith = { code: 554, message: '5.7.1 Refused' };
      if (mode === 'down' && !closed) {
        closed = true;
        await transport.close();
        await peer.close();
      }
    },
    async receivedRaw() {
      return peer.received.map((r) => new Uint8Array(r.raw));
    },
    async close() {
      await adapter.close();
      if (!closed) await peer.close();
    },
  };
});
