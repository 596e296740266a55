/**
 * National outbound: 10 KB messages signed (RSA-2048, SHA-256) then encrypted (AES-256-CBC,
 * RSA-OAEP SHA-256, one recipient), messages/s, against the RSA-2048 private-key
 * operations/s of node:crypto measured in the same run (each message needs one private-key
 * operation, so that rate is the bound; target ≥ 80%). Then delivery of sealed messages
 * over loopback SMTP with mutual TLS to an operator peer (target ≥ 300 messages/s).
 * Sealing uses the engines the Node runtime gives the gateway (`app/node/start-gateway.ts`):
 * the content digest, AES-256-CBC and the content key's RSA-OAEP by `node:crypto`, the RSA
 * signature by WebCrypto (a private-key operation: in the thread pool); also, in the same
 * runs, with the content key's RSA-OAEP by WebCrypto (as before 2026-12-06), for the ratio;
 * `BENCH_WEBCRYPTO_ONLY=1` seals with WebCrypto alone (the Workers path) for comparison.
 */
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { measure, ratio, ratePerSecond } from './harness.js';
import { inboundPolicy } from '../adapters/mssante/smtp/inbound-policy.js';
import { OutboundClient } from '../adapters/mssante/smtp/outbound-client.js';
import { encryptCms, smimeRecipient } from '../adapters/mssante/smime/encrypt.js';
import { pkcs7MimeEntity, withHeaders } from '../adapters/mssante/smime/mime.js';
import { SmimeSigner } from '../adapters/mssante/smime/sign.js';
import { nodeAesCbcEncrypt, nodeRsaOaepEncrypt } from '../app/node/native-cipher.js';
import { nodeSha256 } from '../app/node/native-hash.js';
import { parseCertificates } from '../adapters/mssante/tls/anchors.js';
import { loadAnchorsFile, loadIdentityFiles } from '../adapters/mssante/tls/files.js';
import { mssanteTlsOptions } from '../adapters/mssante/tls/tls-options.js';
import { parseTrustList } from '../adapters/mssante/trust-list/trust-list.js';
import { testPki } from '../test/pki/test-pki.js';
import { threadCpuMs } from './support/thread-cpu.js';
import { trustListXml } from '../test/mssante/fixtures.js';

const SECONDS = 1.5;

const rate = (fn: () => Promise<unknown>, concurrency: number) => ratePerSecond(fn, concurrency, SECONDS);

export default async function bench(): Promise<void> {
  const pki = await testPki();
  const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
  const recipientCert = parseCertificates(pki.medecin.certPem)[0];
  const body = 'Compte rendu d\u2019examens biologiques. '.repeat(280).slice(0, 10 * 1024);
  const inner = new TextEncoder().encode(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`);
  const webOnly = process.env.BENCH_WEBCRYPTO_ONLY === '1';
  const signer = await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain, ...(webOnly ? {} : { sha256: nodeSha256 }) });
  const recipient = await smimeRecipient(recipientCert);
  const aesCbc = webOnly ? undefined : nodeAesCbcEncrypt;
  const sealWith = (rsaOaep: typeof nodeRsaOaepEncrypt | undefined) => async () => {
    const signed = pkcs7MimeEntity(await signer.sign(inner), 'signed-data');
    const enveloped = await encryptCms(signed, [recipient], { aesCbc, rsaOaep });
    return withHeaders({ From: 'a@passerelle-test.mssante.fr', To: 'b@medecin.mssante.fr', Subject: 'bench' }, pkcs7MimeEntity(enveloped, 'enveloped-data'));
  };
  const seal = sealWith(webOnly ? undefined : nodeRsaOaepEncrypt);
  const sealWebOaep = sealWith(undefined);

  const key = createPrivateKey(gw.keyPem);
  const data = new Uint8Array(32);
  process.stdout.write(`  message: ${inner.length} bytes inside, ${(await seal()).length} bytes sealed; digest and AES by ${webOnly ? 'WebCrypto' : 'node:crypto'}\n`);
  // The machine may be shared: baseline and candidates run interleaved, run by run, so
  // that each ratio compares figures taken under the same load.
  const RUNS = 5;
  const runs = { base: [] as number[], one: [] as number[], many: [] as number[], webOaep: [] as number[], cpu: [] as number[], webOaepCpu: [] as number[] };
  /** Messages/s at `concurrency`, and this thread's CPU per message (ms): the gateway's event loop seals. */
  const withCpu = async (fn: () => Promise<unknown>, concurrency: number, into: number[], cpu: number[]) => {
    let n = 0;
    const c0 = threadCpuMs();
    into.push(await rate(async () => { await fn(); n++; }, concurrency));
    cpu.push((threadCpuMs() - c0) / n);
  };
  for (let i = 0; i < RUNS; i++) {
    runs.base.push(await rate(async () => nodeSign('sha256', data, key), 1));
    runs.one.push(await rate(seal, 1));
    await withCpu(seal, 16, runs.many, runs.cpu);
    if (!webOnly) await withCpu(sealWebOaep, 16, runs.webOaep, runs.webOaepCpu);
  }
  const base = await measure('node:crypto RSA-2048 sign (sync)', 'ops/s', RUNS, async (i) => runs.base[i]);
  const one = await measure('sign+encrypt 10 KB, 1 in flight', 'msg/s', RUNS, async (i) => runs.one[i]);
  const many = await measure('sign+encrypt 10 KB, 16 in flight', 'msg/s', RUNS, async (i) => runs.many[i]);
  const pairRatios = runs.many.map((m, i) => (m / runs.base[i]) * 100).sort((a, b) => a - b);
  process.stdout.write(`  ${ratio(one, base)}\n  ${ratio(many, base)} (target ≥ 80%); per-run ratios ${pairRatios.map((r) => r.toFixed(0)).join(', ')}%\n`);
  if (!webOnly) {
    const webOaep = await measure('sign+encrypt 10 KB, 16 in flight, the content key by WebCrypto\'s RSA-OAEP', 'msg/s', RUNS, async (i) => runs.webOaep[i]);
    const ms = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(', ');
    process.stdout.write(`  ${ratio(many, webOaep)}; this thread's CPU per message ${ms(runs.cpu)} ms against ${ms(runs.webOaepCpu)} ms\n`);
  }

  // Delivery over loopback mutual TLS
  const list = parseTrustList(trustListXml(pki));
  const anchors = loadAnchorsFile(pki.anchorsFile);
  const policy = inboundPolicy({
    tls: mssanteTlsOptions({ identity: loadIdentityFiles({ key: pki.medecin.keyFile, cert: pki.medecin.chainFile }), anchors }),
    trustList: () => list,
    servesRecipient: (a) => a.endsWith('@medecin.mssante.fr'),
  });
  const server = new SMTPServer({
    ...policy.options,
    logger: false,
    onData(stream, _s, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => cb());
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  const client = new OutboundClient({
    tls: mssanteTlsOptions({ identity: gw, anchors }),
    trustList: () => list,
    name: 'mx.passerelle-test.mssante.fr',
    routes: { 'medecin.mssante.fr': { host: '127.0.0.1', port, tlsName: 'mx.medecin.mssante.fr' } },
    maxConnections: 4,
    maxMessages: 10_000,
  });
  const raw = await seal();
  const sealed = { target: 'mssante' as const, mailFrom: 'a@passerelle-test.mssante.fr', recipients: ['b@medecin.mssante.fr'], raw };
  const deliver = async () => {
    const [o] = await client.deliver(sealed);
    if (o.result !== 'delivered') throw new Error(o.reply);
  };
  await deliver();
  const smtp = await measure('deliver sealed message over loopback mTLS (16 in flight)', 'msg/s', 5, async () => rate(deliver, 16));
  const e2e = await measure('seal + deliver end to end (16 in flight)', 'msg/s', 5, async () => rate(async () => {
    const r = await seal();
    const [o] = await client.deliver({ ...sealed, raw: r });
    if (o.result !== 'delivered') throw new Error(o.reply);
  }, 16));
  process.stdout.write(`  ${ratio(e2e, base)}; end-to-end target ≥ 300 msg/s: ${e2e.median >= 300 ? 'met' : 'NOT met'} (${e2e.median.toFixed(0)})\n`);
  void smtp;
  await client.close();
  await new Promise<void>((r) => server.close(() => r()));
}
