/**
 * The gateway on PostgreSQL (`database: postgres://…`), on a private server: both routes as in
 * `national-route.test.ts`, minimal (a legacy letter reaches a national operator over mutual
 * TLS; a national letter reaches a legacy subscriber through the relay), each message's trace
 * read back through the port, `/health` on the PostgreSQL store, and the command line reading
 * the same database (`passerelle queue --db postgres://…`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMime } from '../../lib/mime/mime-writer.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { startNationalWorld, GATEWAY_DOMAIN, type NationalWorld } from '../support/national-side.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { main } from '../../app/cli/main.js';

const why = postgresUnavailable();
if (why) console.warn(`[gateway on PostgreSQL skipped] ${why}`);

describe.skipIf(why !== null)('the gateway on PostgreSQL', () => {
  let server: PostgresServer;
  let url: string;
  let world: NationalWorld | undefined;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('gateway');
    world = await startNationalWorld({
      serves: (a) => a.endsWith('@medecin.mssante.fr'),
      over: { database: url, postgres: { schema: 'passerelle', poolSize: 4 }, node: { id: 'gw-e2e' } },
    });
  }, 120_000);
  afterAll(async () => {
    await world?.close();
    await server?.stop();
  });

  it('runs on the PostgreSQL engine', () => {
    expect(world!.w.gw.engine).toBe('postgres');
    expect(world!.w.gw.node).toBe('gw-e2e');
    expect(world!.w.gw.sqliteStore).toBeUndefined();
  });

  it('delivers a legacy letter to a national operator', async () => {
    const { w, operator } = world!;
    const before = operator.received.length;
    await submitToRelay(w.relay, { local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to: ['jean.dupont.med@interop.lnp.test'], text: 'Bonjour confrère.\r\n' });
    const mine = () => operator.received.slice(before).find((m) => m.from === `cab.dupuis@${GATEWAY_DOMAIN}`);
    for (let i = 0; i < 200 && !mine(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(mine()?.to).toEqual(['jean.dupont@medecin.mssante.fr']);
    // The peer has it; the message settles in the commit that follows the hand-over.
    let done: { id: string } | undefined;
    for (let i = 0; i < 200 && !done; i++) {
      [done] = await w.gw.store.listMessages('done', 10);
      if (!done) await new Promise((r) => setTimeout(r, 50));
    }
    const trace = (await w.gw.store.trace(done!.id))!;
    expect(trace.message.source).toBe('legacy');
    expect(trace.deliveries).toMatchObject([{ state: 'delivered', targetAddress: 'jean.dupont@medecin.mssante.fr' }]);
  });

  it('delivers a national letter to a legacy subscriber', async () => {
    const { w, client } = world!;
    const before = w.relay.inbox('dr.alice.martin').length;
    const [outcome] = await client.deliver({
      target: 'mssante', mailFrom: 'jean.dupont@medecin.mssante.fr', recipients: [`dr.alice.martin@${GATEWAY_DOMAIN}`],
      raw: writeMime({
        headers: { From: 'jean.dupont@medecin.mssante.fr', To: `dr.alice.martin@${GATEWAY_DOMAIN}`, Subject: 'Avis', 'Message-ID': `<${crypto.randomUUID()}@medecin.mssante.fr>`, Date: new Date().toUTCString() },
        text: 'Chère consœur, voici mon avis.\n', attachments: [],
      }),
    });
    expect(outcome!.result).toBe('delivered');
    const inbox = await w.relay.waitForInbox('dr.alice.martin', before + 1, 10_000);
    const got = await openLnpMail(w.relay.keys, inbox[inbox.length - 1]!, { now: new Date(), holder: 'dr.alice.martin' });
    expect(got.mail.from).toBe('jean.dupont.med@interop.lnp.test');
    expect(got.text).toContain('voici mon avis');
  });

  it('answers /health from the PostgreSQL store, and the command line reads the same database', async () => {
    const { w } = world!;
    const res = await fetch(`http://127.0.0.1:${w.gw.ports.http}/health`);
    expect(res.status).toBe(200);
    const health = await res.json() as { status: string; messages: Record<string, number> };
    expect(health.status).toBe('ok');
    expect(health.messages.done).toBeGreaterThanOrEqual(2);
    let out = '';
    let err = '';
    const code = await main(['queue', '--json', '--db', url], { out: (s: string) => void (out += s), err: (s: string) => void (err += s), env: { PASSERELLE_POSTGRES_SCHEMA: 'passerelle' } });
    expect(code, err).toBe(0);
    expect((JSON.parse(out) as { messages: Record<string, number> }).messages.done).toBe(health.messages.done);
  });
});
