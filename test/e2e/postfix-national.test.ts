/**
 * The whole gateway with a real Postfix as the national operator `medecin.mssante.fr`:
 * legacy relay simulator ⇄ gateway (in-process) ⇄ Postfix, over mutual TLS with the test
 * PKI and a trust list naming both domains.
 *
 * - legacy → national: an HPRIM report with a panic value becomes a signed CR-BIO in
 *   `IHE_XDM.ZIP`, delivered to a Postfix mailbox; `openssl cms -verify` checks the signature.
 * - national → legacy: a mail signed with `openssl cms -sign` is injected into Postfix, which
 *   relays it with its client certificate; the gateway verifies, seals LNP/1 and submits.
 * - refusals: Postfix's `550 5.1.1` reaches the legacy sender as a sealed French notice; a
 *   tampered signature is quarantined and answered with a DSN that Postfix delivers.
 *
 * Skipped, with the reason, only where Postfix cannot run (binary absent, or not root).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { freePort, postfixUnavailable, startPostfix, type PostfixInstance } from '../mssante/postfix-instance.js';
import { testPki, type TestPki } from '../pki/test-pki.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { ALIASES, startLegacyWorld, type LegacyWorld } from '../support/legacy-world.js';
import { nationalConfig, GATEWAY_DOMAIN } from '../support/national-side.js';

const why = postfixUnavailable();
if (why) console.warn(`[postfix e2e suite skipped] ${why}`);

const NATIONAL = 'dr.a@medecin.mssante.fr';
const NATIONAL_ALIAS = 'dr.a.med@interop.lnp.test';
const UNKNOWN = 'inconnu@medecin.mssante.fr';
const UNKNOWN_ALIAS = 'inconnu.med@interop.lnp.test';
const HPRIM = (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/legacy-network/seal.json'), 'utf8')) as { name: string; text: string }[])
  .find((v) => v.name === 'hprim-lab-report')!.text;

/** Polls `fn` until it returns a value; on timeout the error carries the end of Postfix's log. */
async function until<T>(fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms: number, what: string, log: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}\n--- Postfix log ---\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const headerBlock = (raw: string) => raw.replace(/\r\n/g, '\n').split('\n\n')[0].replace(/\n[ \t]+/g, ' ');
const header = (raw: string, name: string) => headerBlock(raw).match(new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi'))?.[1];

describe.skipIf(why !== null)('the gateway between the legacy relay and a real Postfix operator (mutual TLS)', () => {
  let pki: TestPki;
  let tmp: string;
  let w: LegacyWorld | undefined;
  let pf: PostfixInstance | undefined;
  const log = () => pf?.log() ?? '';

  /** Paths of the mails in a Postfix mailbox, oldest first. */
  const mailbox = (box: string): string[] => {
    const dir = join(pf!.mailDir, box, 'new');
    return existsSync(dir) ? readdirSync(dir).sort().map((f) => join(dir, f)) : [];
  };

  /** The gateway's id of what Postfix relayed to it, from the `250 … queued as ID` in Postfix's log. */
  const relayedId = (marker: string) => {
    const qid = log().split('\n').find((l) => l.includes(marker) && /cleanup\[\d+\]: [0-9A-F]+: message-id=/.test(l))?.match(/: ([0-9A-F]+): message-id=/)?.[1];
    if (!qid) return undefined;
    return log().split('\n').find((l) => l.includes(`: ${qid}: to=<`) && l.includes('status=sent'))?.match(/queued as ([0-9A-Z]{26})/)?.[1];
  };

  const signWithOperatorKey = (entity: string, headers: Record<string, string>, tamper = false): string => {
    const input = join(tmp, `entity-${Date.now()}-${Math.random().toString(36).slice(2)}.eml`);
    writeFileSync(input, entity);
    const signed = execFileSync('openssl', [
      'cms', '-sign', '-binary', '-md', 'sha256', '-in', input,
      '-signer', pki.medecin.certFile, '-inkey', pki.medecin.keyFile, '-certfile', pki.intermediate.certFile,
    ], { stdio: ['ignore', 'pipe', 'pipe'] }).toString('latin1');
    let mail = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + signed.replace(/\r?\n/g, '\r\n');
    if (tamper) mail = mail.replace('rappelle la patiente', 'rappelle le patient!');
    return mail;
  };

  const inject = async (from: string, to: string, raw: string) => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: pf!.submitPort, secure: false, ignoreTLS: true, logger: false });
    try {
      await t.sendMail({ envelope: { from, to: [to] }, raw });
    } finally {
      t.close();
    }
  };

  beforeAll(async () => {
    pki = await testPki();
    tmp = mkdtempSync(join(tmpdir(), 'passerelle-postfix-e2e-'));
    // Postfix's mutual-TLS port is chosen first: the gateway's route names it.
    const mtlsPort = await freePort();
    w = await startLegacyWorld({
      mssante: nationalConfig(pki, tmp, mtlsPort),
      aliases: { ...ALIASES, [NATIONAL_ALIAS]: NATIONAL, [UNKNOWN_ALIAS]: UNKNOWN },
      // Generous for a loaded CI machine: a delivery Postfix defers is tried again for a minute.
      queue: { retry: { delays: ['500ms', '1s', '2s', '5s'], maxAge: '60s' }, pollInterval: '100ms' },
    });
    pf = await startPostfix(pki, w.gw.ports.national, { mtlsPort });
  }, 120_000);

  afterAll(async () => {
    try {
      await pf?.stop();
    } finally {
      try {
        await w?.close();
      } finally {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    }
  }, 60_000);

  it('legacy → national: an HPRIM report with a panic value reaches the Postfix mailbox as a signed CR-BIO in IHE_XDM.ZIP', async () => {
    const relayed = w!.relay.gatewayDeliveries.length;
    await submitToRelay(w!.relay, { local: 'labo.bio33', password: 'pw-labo', zone: 'medical33', to: [NATIONAL_ALIAS], text: HPRIM, subject: 'CR biologie BX-2026-11-0042' });
    const [hop] = (await w!.relay.waitForGatewayDeliveries(relayed + 1, 20_000)).slice(relayed);
    expect(hop.reply).toMatch(/^250 /);
    const id = hop.reply.match(/queued as ([0-9A-Z]{26})/)![1];

    const file = await until(() => mailbox('dr.a')[0], 30_000, 'the report in dr.a\'s Postfix mailbox', log);
    const raw = readFileSync(file);
    const text = raw.toString('latin1');
    await until(async () => (await w!.gw.store.message(id))?.state === 'done', 10_000, 'the gateway to settle the message', log);
    expect((await w!.gw.store.deliveries(id))).toMatchObject([{ recipient: NATIONAL_ALIAS, targetAddress: NATIONAL, state: 'delivered', lastError: expect.stringMatching(/^250 /) }]);

    // The national headers, the alert, the sender's national alias.
    expect(header(text, 'From')).toBe(`labo.bio33@${GATEWAY_DOMAIN}`);
    expect(header(text, 'Return-Path')).toBe(`<labo.bio33@${GATEWAY_DOMAIN}>`);
    expect(header(text, 'Delivered-To')).toBe(NATIONAL);
    expect(header(text, 'X-MSS-NIL')).toBe('Passerelle/0.1');
    expect(header(text, 'X-MSS-CODECDA')).toBe('11502-2');
    expect(header(text, 'X-MSS-INS')).toBe('N');
    expect(header(text, 'Importance')).toBe('high');
    expect(header(text, 'X-Priority')).toMatch(/^1\b/);
    expect(header(text, 'Subject')).toMatch(/^\[ALERTE RESULTAT CRITIQUE\] /);
    expect(header(text, 'Subject')).not.toMatch(/TESTPATIENT|CAMILLE/i);
    expect(header(text, 'Content-Type')).toMatch(/^multipart\/signed;.*protocol="application\/pkcs7-signature"/);
    // The hop from the gateway was mutual TLS, its client certificate trusted by Postfix.
    expect(log()).toMatch(/postfix\/smtpd\[\d+\]: Trusted TLS connection established from [^\s[]*\[127\.0\.0\.1\]: TLSv1\.[23]/);

    // openssl, an independent implementation, verifies the signature against the test anchors.
    const signedFile = join(tmp, 'from-postfix.eml');
    const contentFile = join(tmp, 'from-postfix.content');
    writeFileSync(signedFile, raw);
    execFileSync('openssl', ['cms', '-verify', '-in', signedFile, '-CAfile', pki.anchorsFile, '-purpose', 'smimesign', '-out', contentFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('openssl', ['cms', '-verify', '-in', signedFile, '-CAfile', pki.anchorsFile, '-out', '/dev/null', '-signer', join(tmp, 'signer.pem')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const signerSubject = execFileSync('openssl', ['x509', '-in', join(tmp, 'signer.pem'), '-noout', '-subject', '-nameopt', 'RFC2253']).toString();
    expect(signerSubject).toContain('CN=mx.passerelle-test.mssante.fr');
    // …and refuses it once a byte of the signed content (the first base64 part: IHE_XDM.ZIP) has changed.
    const tampered = join(tmp, 'tampered.eml');
    writeFileSync(tampered, text.replace(/^(Content-Transfer-Encoding: base64\r?\n(?:[^\r\n]+\r?\n)*?\r?\n)([A-Za-z0-9+/])/m, (_, h: string, c: string) => h + (c === 'A' ? 'B' : 'A')));
    expect(readFileSync(tampered, 'latin1')).not.toBe(text);
    expect(() => execFileSync('openssl', ['cms', '-verify', '-in', tampered, '-CAfile', pki.anchorsFile, '-out', '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] })).toThrow();

    // What was signed: the report as text, the CR-BIO in IHE_XDM.ZIP and the original HPRIM.
    const content = await simpleParser(readFileSync(contentFile));
    expect(content.text).toMatch(/Potassium/);
    expect(content.attachments.map((a) => a.filename).sort()).toEqual(['IHE_XDM.ZIP', 'compte-rendu-original.hpr']);
    const zip = unzipSync(new Uint8Array(content.attachments.find((a) => a.filename === 'IHE_XDM.ZIP')!.content));
    expect(Object.keys(zip)).toEqual(expect.arrayContaining(['INDEX.HTM', 'README.TXT', 'IHE_XDM/SUBSET01/METADATA.XML', 'IHE_XDM/SUBSET01/DOC0001.XML']));
    const cda = new TextDecoder().decode(zip['IHE_XDM/SUBSET01/DOC0001.XML']);
    expect(cda).toContain('<ClinicalDocument');
    expect(cda).toMatch(/<code code="11502-2"/);
    expect(cda).toMatch(/<interpretationCode code="HH"/);
    const hpr = content.attachments.find((a) => a.filename === 'compte-rendu-original.hpr')!;
    expect(new TextDecoder('latin1').decode(hpr.content).replace(/\r\n/g, '\n')).toBe(HPRIM.replace(/\r\n/g, '\n'));
  }, 90_000);

  it('national → legacy: a mail signed with openssl, relayed by Postfix with its client certificate, is verified, sealed and submitted', async () => {
    const before = w!.relay.inbox('dr.alice.martin').length;
    const messageId = `<pf-e2e-signed-${Date.now()}@medecin.mssante.fr>`;
    const entity = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
      + 'Ch=C3=A8re cons=C5=93ur,\r\nr=C3=A9sultats bien re=C3=A7us, je rappelle la patiente.\r\n';
    await inject(NATIONAL, `dr.alice.martin@${GATEWAY_DOMAIN}`, signWithOperatorKey(entity, {
      From: `Dr A <${NATIONAL}>`, To: `dr.alice.martin@${GATEWAY_DOMAIN}`, Subject: 'Avis', 'Message-ID': messageId, Date: new Date().toUTCString(),
    }));

    const inbox = await w!.relay.waitForInbox('dr.alice.martin', before + 1, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- Postfix log ---\n${log().slice(-4000)}`);
    });
    const got = await openLnpMail(w!.relay.keys, inbox[inbox.length - 1], { now: new Date(), holder: 'dr.alice.martin' });
    expect(got.mail.from).toBe(NATIONAL_ALIAS);
    expect(got.dests).toEqual(['dr.alice.martin']);
    expect(got.text).toContain('je rappelle la patiente');
    expect(got.text).toContain('résultats bien reçus');
    // Postfix verified the gateway's certificate (`secure match=mx.passerelle-test.mssante.fr`).
    expect(log()).toMatch(/Verified TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.[23]/);
    const id = await until(() => relayedId(messageId), 10_000, 'the gateway id in Postfix\'s log', log);
    const trace = (await w!.gw.store.trace(id))!;
    expect(trace.message).toMatchObject({ source: 'mssante', mailFrom: NATIONAL });
    // The relay has the mail once it answered 250; the gateway writes the outcome just after.
    await until(async () => (await w!.gw.store.message(id))?.state === 'done', 10_000, 'the gateway to settle the message', log);
    expect((await w!.gw.store.deliveries(id))).toMatchObject([{ state: 'delivered', targetAddress: 'dr.alice.martin@medical33.lnp.test' }]);
  }, 90_000);

  it('national → legacy: a tampered signature is quarantined (5.7.7) and its sender gets a DSN in the Postfix mailbox', async () => {
    const before = w!.relay.inbox('dr.alice.martin').length;
    const boxBefore = mailbox('dr.a').length;
    const messageId = `<pf-e2e-tampered-${Date.now()}@medecin.mssante.fr>`;
    const entity = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nBonjour, je rappelle la patiente demain.\r\n';
    await inject(NATIONAL, `dr.alice.martin@${GATEWAY_DOMAIN}`, signWithOperatorKey(entity, {
      From: NATIONAL, To: `dr.alice.martin@${GATEWAY_DOMAIN}`, Subject: 'Avis', 'Message-ID': messageId, Date: new Date().toUTCString(),
    }, true));

    const id = await until(() => relayedId(messageId), 30_000, 'Postfix to relay the tampered mail to the gateway', log);
    const msg = await until(async () => { const m = (await w!.gw.store.message(id)); return m?.state === 'quarantined' ? m : null; }, 10_000, 'the quarantine', log);
    expect(msg.stage).toBe('open');
    expect(msg.reason).toMatch(/^550 5\.7\.7/);

    const file = await until(() => mailbox('dr.a')[boxBefore], 30_000, 'the DSN in dr.a\'s Postfix mailbox', log);
    const dsn = readFileSync(file, 'latin1');
    expect(header(dsn, 'Return-Path')).toBe('<>');
    expect(header(dsn, 'Content-Type')).toMatch(/report-type="?delivery-status/);
    expect(dsn).toMatch(/Action: failed/);
    expect(dsn).toMatch(/Status: 5\.7\.7/);
    expect(w!.relay.inbox('dr.alice.martin').length).toBe(before);
  }, 90_000);

  it('legacy → an address Postfix does not know: 550 5.1.1 comes back to the legacy sender as a sealed French notice', async () => {
    const before = w!.relay.inbox('cab.dupuis').length;
    const relayed = w!.relay.gatewayDeliveries.length;
    await submitToRelay(w!.relay, { local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to: [UNKNOWN_ALIAS], text: 'Bonjour confrère.\r\n', subject: 'Avis' });
    const [hop] = (await w!.relay.waitForGatewayDeliveries(relayed + 1, 20_000)).slice(relayed);
    const id = hop.reply.match(/queued as ([0-9A-Z]{26})/)![1];

    const inbox = await w!.relay.waitForInbox('cab.dupuis', before + 1, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- Postfix log ---\n${log().slice(-4000)}`);
    });
    const notice = await openLnpMail(w!.relay.keys, inbox[inbox.length - 1], { now: new Date(), holder: 'cab.dupuis' });
    expect(notice.mail.from).toBe('passerelle@gateway.lnp.test');
    expect(notice.mail.subject).toMatch(/^Avis de non-remise/);
    expect(notice.text).toContain('Bonjour,');
    expect(notice.text).toContain("n'a pas pu être remis");
    expect(notice.text).toContain(id);
    expect(notice.text).toMatch(new RegExp(`${UNKNOWN_ALIAS.replace(/\./g, '\\.')} : 550 5\\.1\\.1`));
    expect((await w!.gw.store.deliveries(id))).toMatchObject([{ state: 'failed', lastError: expect.stringMatching(/^550 5\.1\.1/) }]);
    expect(log()).toMatch(/NOQUEUE: reject: RCPT from [^\s[]*\[127\.0\.0\.1\]: 550 5\.1\.1 <inconnu@medecin\.mssante\.fr>/);
    expect(mailbox('inconnu')).toEqual([]);
  }, 90_000);
});
