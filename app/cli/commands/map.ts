/**
 * `passerelle map …`: show what a message becomes when it crosses the gateway.
 *
 *   passerelle map hprim-to-cda FILE [--xdm OUT.zip] [--pdf OUT.pdf]
 *   passerelle map cda-to-hprim FILE [--out OUT.hpr]
 *   passerelle map xdm FILE.zip
 *
 * HPRIM files are read as ISO-8859-1 (as they travel on the legacy network); CDA as UTF-8.
 * Results go to standard output; reading problems, alert level and headers to standard error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { cdaToLegacy, CdaReadError } from '../../../mappings/cda/read-cda.js';
import { formatIssue } from '../../../mappings/hprim/issue.js';
import { hprimToNational } from '../../../mappings/bridge/hprim-to-national.js';
import { xdmToLegacy } from '../../../mappings/bridge/xdm-to-legacy.js';
import { readXdm, XdmError } from '../../../mappings/xdm/read.js';
import { ZipSafetyError } from '../../../mappings/xdm/zip-read.js';
import { decodeLatin1, encodeLatin1 } from '../../../mappings/transliteration/latin1.js';

const USAGE = `Usage:
  passerelle map hprim-to-cda FILE [--xdm OUT.zip] [--pdf OUT.pdf]   HPRIM (ISO-8859-1) → CDA R2 CR-BIO on stdout
  passerelle map cda-to-hprim FILE [--out OUT.hpr]                    CDA R2 → HPRIM (CR-BIO) or plain text on stdout (OUT in ISO-8859-1)
  passerelle map xdm FILE.zip                                         IHE_XDM.ZIP → its metadata, then HPRIM/text of each document`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const map: Command = {
  summary: 'show what an HPRIM, CDA or XDM message becomes across the gateway',
  usage: USAGE,
  async run(args, io) {
    const [sub, file] = args;
    if (!sub || !file) { io.err(`${USAGE}\n`); return 2; }
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      io.err(`passerelle map: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      return 1;
    }
    try {
      switch (sub) {
        case 'hprim-to-cda': {
          const text = decodeLatin1(bytes);
          const out = await hprimToNational(text, { originalBytes: bytes });
          for (const i of out.issues) io.err(`${file}: ${formatIssue(i)}\n`);
          if (!out.cda) { io.err(`passerelle map: ${file} is not an HPRIM lab report; it would travel as the original attachment only\n`); return 1; }
          io.err(`alert: ${out.alert}${out.subjectTag ? ` (subject tag ${out.subjectTag})` : ''}\n`);
          for (const [k, v] of Object.entries(out.headers)) io.err(`${k}: ${v}\n`);
          const xdmPath = option(args, '--xdm');
          if (xdmPath && out.xdm) writeFileSync(xdmPath, out.xdm);
          const pdfPath = option(args, '--pdf');
          if (pdfPath) writeFileSync(pdfPath, out.cda.pdf);
          io.out(out.cda.xml);
          return 0;
        }
        case 'cda-to-hprim': {
          const r = cdaToLegacy(new TextDecoder().decode(bytes));
          for (const a of r.attachments) io.err(`attachment: ${a.filename} (${a.contentType}, ${a.data.length} bytes)\n`);
          const result = r.hprim ?? r.text;
          const outPath = option(args, '--out');
          if (outPath) {
            const { bytes: latin1, changes } = encodeLatin1(result);
            for (const c of changes) io.err(`transliterated: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)} (${c.count}×)\n`);
            writeFileSync(outPath, latin1);
          }
          io.out(result);
          return 0;
        }
        case 'xdm': {
          const x = await readXdm(bytes);
          io.out(`patientId: ${x.patientId}\nsubmissionSet: ${x.submissionSetId}\n`);
          for (const d of x.documents) {
            const m = d.metadata;
            io.out(`- ${d.path}: ${m.mimeType}, ${d.data.length} bytes, format ${m.formatCode?.code ?? '?'}, type ${m.typeCode?.code ?? '?'}, uniqueId ${m.uniqueId}, created ${m.creationTime}\n`);
          }
          for (const i of x.issues) io.err(`issue: ${i}\n`);
          const legacy = await xdmToLegacy(bytes);
          for (const i of legacy.issues.slice(x.issues.length)) io.err(`issue: ${i}\n`);
          io.out(`alert: ${legacy.alert}\n\n`);
          for (const h of legacy.hprim) io.out(h.replace(/\r\n/g, '\n') + '\n');
          if (!legacy.hprim.length) io.out(legacy.text);
          return 0;
        }
        default:
          io.err(`passerelle map: unknown mapping '${sub}'\n${USAGE}\n`);
          return 2;
      }
    } catch (e) {
      if (e instanceof CdaReadError || e instanceof XdmError || e instanceof ZipSafetyError) {
        io.err(`passerelle map: ${file}: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  },
};

export default map;
