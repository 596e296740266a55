/**
 * Hostile or unreadable national content, sent by a national operator over mutual TLS as an
 * attacker would: every archive and CDA below is quarantined (stage `translate`) with a
 * reason naming the rule it breaks, its sender gets one DSN with the rule's status (5.6.0
 * content, 5.7.0 security), and nothing reaches the legacy side, not even the valid CR-BIO
 * that shares an archive with a hostile entry. A ZIP that does not claim to be XDM stays an
 * opaque attachment. (docs/hostile-content.md lists what each case gets.)
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeMime } from '../../lib/mime/mime-writer.js';
import { hprimToNational } from '../../mappings/bridge/hprim-to-national.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { startNationalWorld, type NationalWorld, GATEWAY_DOMAIN } from '../support/national-side.js';
import { entry, rezip, writeRawZip, xdmFiles, zeroBomb } from '../support/hostile-xdm.js';

const HPRIM = (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/legacy-network/seal.json'), 'utf8')) as { name: string; text: string }[])
  .find((v) => v.name === 'hprim-lab-report')!.text;
const enc = new TextEncoder();
const dec = new TextDecoder();
const SUBSET = 'IHE_XDM/SUBSET01/';

describe('hostile national content', () => {
  let world: NationalWorld | undefined;
  beforeAll(async () => {
    world = await startNationalWorld({ serves: (a) => a.endsWith('@medecin.mssante.fr') });
  }, 120_000);
  afterAll(() => world?.close());

  it('is quarantined with the rule it breaks, its sender gets one DSN, and nothing reaches the legacy side', async () => {
    const { w, client, operator } = world!;
    const xdm = (await hprimToNational(HPRIM)).xdm!;
    const files = () => xdmFiles(xdm);
    const cda = dec.decode(files().get(`${SUBSET}DOC0001.XML`)!);
    const withCda = (text: string) => { const f = files(); f.set(`${SUBSET}DOC0001.XML`, enc.encode(text)); return rezip(f); };
    const withMeta = (edit: (m: string) => string) => { const f = files(); f.set(`${SUBSET}METADATA.XML`, enc.encode(edit(dec.decode(f.get(`${SUBSET}METADATA.XML`)!)))); return rezip(f); };
    const bomb = zeroBomb(2048);
    const laughs = '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
      + '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n';
    const lying = rezip(files(), [{ ...entry(`${SUBSET}BIG.XML`, new Uint8Array(0)), stored: bomb, size: 1000, crc: 0 }]);
    const mismatch = (() => { const f = files(); const e = entry(`${SUBSET}DOC0001.XML`, f.get(`${SUBSET}DOC0001.XML`)!); f.delete(`${SUBSET}DOC0001.XML`); return rezip(f, [{ ...e, localSize: e.size + 7 }]); })();

    const cases: { name: string; zip: Uint8Array; rule: string; status: string }[] = [
      { name: 'an entry inflating to 2 GiB (declared)', zip: rezip(files(), [{ ...entry(`${SUBSET}BOMB.XML`, new Uint8Array(0)), stored: bomb, size: 2048 << 20, crc: 0 }]), rule: 'zip-entry-too-large', status: '5.7.0' },
      { name: 'an entry inflating to 2 GiB (declaring 1000 bytes)', zip: lying, rule: 'zip-entry-too-large', status: '5.7.0' },
      { name: 'a 1 GiB CDA', zip: (() => { const f = files(); const e = entry(`${SUBSET}DOC0001.XML`, f.get(`${SUBSET}DOC0001.XML`)!); f.delete(`${SUBSET}DOC0001.XML`); return rezip(f, [{ ...e, size: 1 << 30 }]); })(), rule: 'zip-entry-too-large', status: '5.7.0' },
      { name: 'a ../ entry name', zip: rezip(files(), [entry('IHE_XDM/../../evil.sh', enc.encode('rm -rf /'))]), rule: 'zip-path', status: '5.7.0' },
      { name: 'an absolute entry name', zip: rezip(files(), [entry('/etc/cron.d/evil', enc.encode('x'))]), rule: 'zip-path', status: '5.7.0' },
      { name: 'a METADATA URI outside the archive', zip: withMeta((m) => m.replace('<rim:Value>DOC0001.XML</rim:Value>', '<rim:Value>../../../etc/passwd</rim:Value>')), rule: 'xdm-uri-outside', status: '5.7.0' },
      { name: 'a METADATA URI with a scheme', zip: withMeta((m) => m.replace('<rim:Value>DOC0001.XML</rim:Value>', '<rim:Value>file:///etc/passwd</rim:Value>')), rule: 'xdm-uri-outside', status: '5.7.0' },
      { name: 'a billion-laughs CDA', zip: withCda(cda.replace(/^<\?xml[^>]*>\n?/, laughs)), rule: 'xml-doctype', status: '5.7.0' },
      { name: 'a CDA with an external entity', zip: withCda(cda.replace(/^<\?xml[^>]*>\n?/, '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')), rule: 'xml-doctype', status: '5.7.0' },
      { name: 'base64 that does not decode', zip: withCda(cda.replace(/representation="B64">[A-Za-z0-9+/=\s]{0,40}/, 'representation="B64">!!not*base64!!')), rule: 'cda-base64', status: '5.6.0' },
      { name: 'unreadable METADATA', zip: withMeta((m) => m.slice(0, 500)), rule: 'xdm-metadata-unreadable', status: '5.6.0' },
      { name: 'sizes that disagree with the directory', zip: mismatch, rule: 'zip-size-mismatch', status: '5.6.0' },
      { name: 'not a ZIP at all', zip: enc.encode('PK but not really'), rule: 'zip-corrupt', status: '5.6.0' },
    ];
    const inbox = w.relay.inbox('dr.alice.martin').length;
    const dsnBefore = operator.received.length;
    const sent: { c: (typeof cases)[number]; id: string; messageId: string }[] = [];
    for (const c of cases) {
      const messageId = `<${crypto.randomUUID()}@medecin.mssante.fr>`;
      const [o] = await client.deliver({
        target: 'mssante', mailFrom: 'jean.dupont@medecin.mssante.fr', recipients: [`dr.alice.martin@${GATEWAY_DOMAIN}`],
        raw: writeMime({
          headers: { From: 'jean.dupont@medecin.mssante.fr', To: `dr.alice.martin@${GATEWAY_DOMAIN}`, Subject: 'CR biologie', 'Message-ID': messageId, Date: new Date().toUTCString() },
          text: 'Compte rendu joint.\n', attachments: [{ filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: c.zip }],
        }),
      });
      expect(o!.result, c.name).toBe('delivered');
      sent.push({ c, messageId, id: /queued as ([0-9A-Z]{26})/.exec(o!.reply)![1]! });
    }
    for (const s of sent) {
      let m = await w.gw.store.message(s.id);
      for (let i = 0; i < 200 && m?.state !== 'quarantined'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        m = await w.gw.store.message(s.id);
      }
      expect(m, s.c.name).toMatchObject({ state: 'quarantined', stage: 'translate' });
      expect(m!.reason, s.c.name).toMatch(new RegExp(`^${s.c.status === '5.7.0' ? '554 5\\.7\\.0' : '550 5\\.6\\.0'} .* \\(${s.c.rule}: `));
      expect(m!.reason, s.c.name).not.toMatch(/passwd|evil|lol|DOC0001/); // the rule, never the content
    }
    // One DSN each, with the rule's status, naming the original.
    for (let i = 0; i < 200 && operator.received.length - dsnBefore < cases.length; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const dsns = operator.received.slice(dsnBefore).map((r) => r.raw.toString('latin1')).filter((t) => /report-type="?delivery-status/i.test(t));
    expect(dsns).toHaveLength(cases.length);
    for (const s of sent) {
      const mine = dsns.filter((t) => t.includes(s.messageId));
      expect(mine, s.c.name).toHaveLength(1);
      expect(mine[0], s.c.name).toMatch(new RegExp(`Status: ${s.c.status.replace(/\./g, '\\.')}`));
    }
    expect(w.relay.inbox('dr.alice.martin').length).toBe(inbox); // nothing reached the legacy side
  }, 60_000);

  it('a ZIP that does not claim to be XDM stays an opaque attachment', async () => {
    const { w, client } = world!;
    const before = w.relay.inbox('dr.alice.martin').length;
    const zip = writeRawZip([entry('../photo.jpg', enc.encode('not checked: opaque'))]);
    const [o] = await client.deliver({
      target: 'mssante', mailFrom: 'jean.dupont@medecin.mssante.fr', recipients: [`dr.alice.martin@${GATEWAY_DOMAIN}`],
      raw: writeMime({
        headers: { From: 'jean.dupont@medecin.mssante.fr', To: `dr.alice.martin@${GATEWAY_DOMAIN}`, Subject: 'Photos', 'Message-ID': `<${crypto.randomUUID()}@medecin.mssante.fr>`, Date: new Date().toUTCString() },
        text: 'Photos jointes.\n', attachments: [{ filename: 'photos.zip', contentType: 'application/zip', data: zip }],
      }),
    });
    expect(o!.result).toBe('delivered');
    const inbox = await w.relay.waitForInbox('dr.alice.martin', before + 1, 10_000);
    const got = await openLnpMail(w.relay.keys, inbox[inbox.length - 1]!, { now: new Date(), holder: 'dr.alice.martin' });
    expect(got.attachments.map((a) => a.name)).toEqual(['photos.zip']);
  });
});
