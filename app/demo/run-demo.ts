/**
 * `passerelle demo`: the gateway between a legacy relay simulator and a national operator on
 * loopback, with every rule in force (sealed LNP/1 on one side; STARTTLS, client
 * certificates, the trust list and S/MIME on the other). It sends a lab report with a panic
 * value each way and a letter with a PDF, waits for each to arrive, and prints what the
 * recipients got and each message's trace. Test material only: generated keys, a test CA.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../config/load-config.js';
import { startGateway } from '../node/start-gateway.js';
import { createLogger, silentLogger } from '../../core/log/logger.js';
import { makeTestCa, issueOperatorCertificate, trustListXml } from '../test-material/test-pki.js';
import { formatTrace } from '../cli/format-trace.js';
import { writeMime } from '../../lib/mime/mime-writer.js';
import { writeTestKeyFolder, loadKeyFolder } from '../../adapters/legacy/key-folder.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { parseTrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import { hprimToNational } from '../../mappings/bridge/hprim-to-national.js';
import { startLegacyRelay, submitToRelay } from '../../test/simulators/legacy-relay.js';
import { startNationalOperator } from '../../test/simulators/national-operator.js';
import { DEMO_HPRIM, DEMO_HPRIM_NATIONAL, DEMO_LETTER } from './demo-samples.js';

const GATEWAY_DOMAIN = 'passerelle.mssante.test';
const OPERATOR_DOMAIN = 'medecin.mssante.fr';
const LAB = { local: 'labo.bio33', zone: 'medical33', password: 'demo-labo' };
const DOCTOR = { local: 'dr.alice.martin', zone: 'medical33', password: 'demo-alice' };

async function demoPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([595, 842]);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  page.drawText('Compte rendu de consultation (DEMONSTRATION)', { x: 60, y: 760, size: 16, font });
  page.drawText('Document fictif produit par passerelle demo.', { x: 60, y: 730, size: 11, font });
  return pdf.save();
}

export async function runDemo(out: (text: string) => void, opts: { verbose?: boolean; keep?: boolean } = {}): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'passerelle-demo-'));
  const log = opts.verbose ? createLogger({ level: 'info', write: (l) => out(`  | ${l}\n`) }) : silentLogger;
  const year = new Date().getUTCFullYear();
  out(`Passerelle demo — everything runs on loopback, with generated TEST material in ${root}\n\n`);

  // Test material: legacy keys (the relay holds all, the gateway Master + its own), a test CA for the national side.
  const allKeys = join(root, 'legacy-keys-relay');
  const gatewayKeys = join(root, 'legacy-keys-gateway');
  await writeTestKeyFolder(allKeys, ['passerelle', LAB.local, DOCTOR.local], [year]);
  await writeTestKeyFolder(gatewayKeys, [], []);
  for (const f of [`Master.${year - 1900}`, `passerelle.${year - 1900}`]) writeFileSync(join(gatewayKeys, f), (await import('node:fs')).readFileSync(join(allKeys, f)), { mode: 0o600 });
  const ca = makeTestCa();
  const gwDn = { cn: `mx.${GATEWAY_DOMAIN}`, ou: '99999999999999', o: 'PASSERELLE TEST', st: 'Test (00)' };
  const opDn = { cn: `mx.${OPERATOR_DOMAIN}`, ou: '10000000000001', o: 'OPERATEUR NATIONAL TEST', st: 'Paris (75)' };
  const gw = issueOperatorCertificate(ca, gwDn, [gwDn.cn, 'localhost']);
  const op = issueOperatorCertificate(ca, opDn, [opDn.cn, 'localhost']);
  const files = {
    ca: join(root, 'test-ca.pem'), gwKey: join(root, 'gateway-key.pem'), gwCert: join(root, 'gateway-cert.pem'),
    opKey: join(root, 'operator-key.pem'), opCert: join(root, 'operator-cert.pem'), trust: join(root, 'trust-list.xml'),
  };
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.gwKey, gw.keyPem, { mode: 0o600 });
  writeFileSync(files.gwCert, gw.certPem);
  writeFileSync(files.opKey, op.keyPem, { mode: 0o600 });
  writeFileSync(files.opCert, op.certPem);
  const dn = (d: typeof gwDn) => `CN=${d.cn},OU=${d.ou},O=${d.o},ST=${d.st},C=FR`;
  const trustXml = trustListXml([{ name: GATEWAY_DOMAIN, dn: dn(gwDn) }, { name: OPERATOR_DOMAIN, dn: dn(opDn) }]);
  writeFileSync(files.trust, trustXml);

  const relayOptions: Parameters<typeof startLegacyRelay>[0] = {
    keys: (await loadKeyFolder(allKeys)).store, domain: 'lnp.test', gatewayLocal: 'passerelle',
    subscribers: [LAB, DOCTOR, { local: 'passerelle', zone: 'gateway', password: 'demo-gateway' }],
  };
  const relay = await startLegacyRelay(relayOptions);
  const operator = await startNationalOperator({
    keyFile: files.opKey, certFile: files.opCert, anchorsFile: files.ca, trustList: parseTrustList(trustXml),
    serves: (a) => a.toLowerCase().endsWith(`@${OPERATOR_DOMAIN}`),
  });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: join(root, 'gateway'),
      testMaterial: true,
      legacy: { keyDir: gatewayKeys, listen: { port: 0 }, relay: { port: relay.port, password: 'demo-gateway' } },
      mssante: {
        domain: GATEWAY_DOMAIN, listen: { port: 0 }, anchors: files.ca, identity: { key: files.gwKey, cert: files.gwCert }, trustList: files.trust,
        routes: { [OPERATOR_DOMAIN]: { host: '127.0.0.1', port: operator.port, tlsName: opDn.cn } },
      },
      aliases: { 'jean.dupont.med@interop.lnp.test': `jean.dupont@${OPERATOR_DOMAIN}` },
      legacySubscribers: [`${DOCTOR.local}@${DOCTOR.zone}.lnp.test`],
      http: { port: 0 },
      queue: { pollInterval: '100ms' },
    } as never,
  });
  const running = await startGateway(config, { log });
  relayOptions.gateway = { host: '127.0.0.1', port: running.ports.legacy };
  const national = new OutboundClient({
    tls: mssanteTlsOptions({ identity: loadIdentityFiles({ key: files.opKey, cert: files.opCert }), anchors: loadAnchorsFile(files.ca) }),
    trustList: () => parseTrustList(trustXml), name: opDn.cn,
    routes: { [GATEWAY_DOMAIN]: { host: '127.0.0.1', port: running.ports.national, tlsName: gwDn.cn } },
  });
  out(`gateway: legacy SMTP 127.0.0.1:${running.ports.legacy}, national SMTP (mutual TLS) 127.0.0.1:${running.ports.national}\n`);
  out(`legacy relay simulator: 127.0.0.1:${relay.port}; national operator ${OPERATOR_DOMAIN}: 127.0.0.1:${operator.port}\n\n`);

  const settled = (id: string) => new Promise<void>((resolve) => {
    const check = () => {
      const m = running.store.message(id);
      if (m && ['done', 'quarantined'].includes(m.state)) resolve();
      else setTimeout(check, 50);
    };
    check();
  });
  const idOf = (reply: string) => reply.match(/queued as ([0-9A-Z]{26})/)?.[1] ?? '';
  let failures = 0;

  try {
    // 1. Legacy lab → national doctor: HPRIM with a panic value.
    out('━━ 1. legacy lab → national doctor: HPRIM lab report, potassium 6.9 mmol/l (HH)\n');
    let relayed = relay.gatewayDeliveries.length;
    await submitToRelay(relay, { ...LAB, to: ['jean.dupont.med@interop.lnp.test'], text: DEMO_HPRIM, subject: 'CR biologie BX-2026-11-0042' });
    let id = idOf((await relay.waitForGatewayDeliveries(relayed + 1, 10_000))[relayed].reply);
    await settled(id);
    const got1 = await operator.waitFor((m) => m.from === `${LAB.local}@${GATEWAY_DOMAIN}`);
    const mail1 = await simpleParser(got1.raw);
    const head1 = got1.raw.toString('latin1').split('\r\n\r\n')[0];
    out(`   the national doctor received: "${mail1.subject}" from ${got1.from}\n`);
    out(`   ${['x-mss-nil', 'x-mss-codecda', 'x-mss-ins'].map((h) => `${h}: ${mail1.headers.get(h)}`).join(', ')}, ${/^Importance: high/m.test(head1) ? 'Importance: high' : 'normal priority'}\n`);
    out(`   S/MIME ${/multipart\/signed/.test(head1) ? 'signed' : 'not signed'}; attachments: ${mail1.attachments.map((a) => a.filename).join(', ')}\n`);
    out(formatTrace(running.store.trace(id)!).replace(/^/gm, '   ') + '\n');

    // 2. National lab → legacy doctor: CR-BIO in IHE_XDM.ZIP with a panic value.
    out('━━ 2. national lab → legacy doctor: CR-BIO in IHE_XDM.ZIP, glucose 0.35 g/l (LL)\n');
    const report = await hprimToNational(DEMO_HPRIM_NATIONAL);
    let before = relay.inbox(DOCTOR.local).length;
    const [o2] = await national.deliver({
      target: 'mssante', mailFrom: `jean.dupont@${OPERATOR_DOMAIN}`, recipients: [`${DOCTOR.local}@${GATEWAY_DOMAIN}`],
      raw: writeMime({
        headers: { From: `jean.dupont@${OPERATOR_DOMAIN}`, To: `${DOCTOR.local}@${GATEWAY_DOMAIN}`, Subject: 'Résultats de Mme TESTPATIENT', 'Message-ID': `<demo-2@${OPERATOR_DOMAIN}>`, 'X-MSS-CODECDA': '11502-2' },
        text: 'Compte rendu joint.\n', attachments: [{ filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: report.xdm! }],
      }),
    });
    id = idOf(o2.reply);
    await settled(id);
    const inbox2 = await relay.waitForInbox(DOCTOR.local, before + 1, 10_000);
    const got2 = await openLnpMail(relayOptions.keys, inbox2[inbox2.length - 1], { now: new Date(), holder: DOCTOR.local });
    out(`   the legacy doctor received: "${got2.mail.subject}" from ${got2.mail.from} (the national subject, which named the patient, is not copied)\n`);
    out(`   HPRIM result lines: ${got2.text.split('\r\n').filter((l) => l.startsWith('RES|')).join('  ')}\n`);
    out(`   containers: ${got2.attachments.map((a) => a.name).join(', ')}\n`);
    out(formatTrace(running.store.trace(id)!).replace(/^/gm, '   ') + '\n');

    // 3. Legacy doctor → national doctor: a letter with a PDF.
    out('━━ 3. legacy doctor → national doctor: a letter with a PDF\n');
    relayed = relay.gatewayDeliveries.length;
    await submitToRelay(relay, { ...DOCTOR, to: ['jean.dupont.med@interop.lnp.test'], text: DEMO_LETTER, subject: 'Courrier', attachments: [{ name: 'compte-rendu.pdf', data: await demoPdf() }] });
    id = idOf((await relay.waitForGatewayDeliveries(relayed + 1, 10_000))[relayed].reply);
    await settled(id);
    const got3 = await operator.waitFor((m) => m.from === `${DOCTOR.local}@${GATEWAY_DOMAIN}`);
    const mail3 = await simpleParser(got3.raw);
    out(`   the national doctor received: "${mail3.subject}", text "${(mail3.text ?? '').split('\n')[0].trim()}", attachments: ${mail3.attachments.map((a) => `${a.filename} (${a.size} bytes)`).join(', ')}\n`);
    out(formatTrace(running.store.trace(id)!).replace(/^/gm, '   ') + '\n');
    before = 0;
  } catch (err) {
    failures++;
    out(`demo failed: ${(err as Error).message}\n`);
  } finally {
    await national.close();
    await running.stop();
    await relay.close();
    await operator.close();
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
  }
  out(failures ? 'The demo did not complete.\n' : 'All three messages crossed the gateway.\n');
  return failures ? 1 : 0;
}
