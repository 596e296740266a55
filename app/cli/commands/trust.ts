/**
 * `passerelle trust show [DOMAIN]` and `passerelle trust check DOMAIN [--cert FILE]`: the
 * MSSanté trust list as the gateway sees it.
 *
 * The list comes from `--list PATH|URL`, else the configuration's `mssante.trustList`
 * (`--config FILE`, `PASSERELLE_MSSANTE_TRUST_LIST`). With
 * `--signature PATH|URL --signer CERT.pem` (or `PASSERELLE_MSSANTE_TRUST_LIST_SIGNATURE` and
 * `PASSERELLE_MSSANTE_TRUST_LIST_SIGNER`) the detached signature is checked first.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { Command, CommandIO } from '../command.js';
import { cliContext, parseCommand } from '../context.js';
import { parseCertificates } from '../../../adapters/mssante/tls/anchors.js';
import { TrustListLoader } from '../../../adapters/mssante/trust-list/loader.js';
import { dnMatches } from '../../../adapters/mssante/trust-list/dn.js';

const OPTIONS = { list: { type: 'string' }, signature: { type: 'string' }, signer: { type: 'string' }, cert: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;

async function load(o: { list?: string; signature?: string; signer?: string; config?: string }, io: CommandIO): Promise<TrustListLoader | null> {
  const source = o.list ?? (cliContext(o, io).config().mssante.trustList || undefined);
  const sigSource = o.signature ?? io.env.PASSERELLE_MSSANTE_TRUST_LIST_SIGNATURE;
  const signerFile = o.signer ?? io.env.PASSERELLE_MSSANTE_TRUST_LIST_SIGNER;
  if (!source) {
    io.err('passerelle trust: no trust list given (use --list PATH|URL, or mssante.trustList in the configuration: --config FILE or PASSERELLE_MSSANTE_TRUST_LIST)\n');
    return null;
  }
  let signature;
  if (sigSource) {
    if (!signerFile) {
      io.err('passerelle trust: --signature needs --signer CERT.pem (the certificate that signs the list)\n');
      return null;
    }
    const [signer] = parseCertificates(readFileSync(signerFile, 'utf8'), signerFile);
    if (!signer) {
      io.err(`passerelle trust: no certificate in ${signerFile}\n`);
      return null;
    }
    signature = { source: sigSource, signer };
  }
  const loader = new TrustListLoader({ source, signature, refreshMs: 0 });
  const st = await loader.refresh();
  if (st.lastError) {
    io.err(`passerelle trust: ${st.lastError}\n`);
    return null;
  }
  return loader;
}

const trust: Command = {
  summary: 'show the MSSanté trust list or check a domain against it',
  usage: [
    'passerelle trust show [DOMAIN] [--list PATH|URL] [--signature PATH|URL --signer CERT.pem] [--config FILE] [--json]',
    'passerelle trust check DOMAIN [--cert CERT.pem] [--list PATH|URL] [--config FILE]',
    '  show: the list (generation date, domain count) or one domain\'s entry',
    '  check: exit 0 when DOMAIN is listed (and, with --cert, the certificate subject matches',
    '         the listed operator DN), 1 otherwise',
  ].join('\n'),
  async run(argv, io) {
    const a = parseCommand(argv, OPTIONS, io, this.usage);
    if (!a) return 2;
    const [sub, domain] = a.positionals;
    if (sub !== 'show' && sub !== 'check') {
      io.err(`passerelle trust: expected 'show' or 'check'\n${this.usage}\n`);
      return 2;
    }
    const certFile = a.values.cert;
    const loader = await load(a.values, io);
    if (!loader) return 2;
    const list = loader.current();
    if (sub === 'show') {
      if (!domain && a.values.json) {
        io.out(JSON.stringify({ generatedAt: list.generatedAt ?? null, size: list.size, domains: [...list.domains()].map((d) => ({ domain: d.domain, operatorDn: d.operatorDn })) }, null, 2) + '\n');
        return 0;
      }
      if (!domain) {
        io.out(`generated: ${list.generatedAt ?? 'unknown'}\ndomains: ${list.size}\n`);
        for (const d of list.domains()) io.out(`${d.domain}\t${d.operatorDn}\n`);
        return 0;
      }
      const e = list.get(domain);
      if (!e) {
        io.out(`${domain}: not on the trust list\n`);
        return 1;
      }
      io.out(
        [`domain: ${e.domain}`, `description: ${e.description}`, `operator DN: ${e.operatorDn}`,
          `responsible: ${e.responsibleContact ?? ''}`, `support: ${e.supportContact ?? ''}`, `updated: ${e.updated ?? ''}`].join('\n') + '\n',
      );
      return 0;
    }
    if (!domain) {
      io.err('passerelle trust check: DOMAIN is required\n');
      return 2;
    }
    const e = list.get(domain);
    if (!e) {
      io.out(`${domain}: NOT on the trust list\n`);
      return 1;
    }
    if (certFile) {
      const subject = new X509Certificate(readFileSync(certFile)).subject;
      if (!dnMatches(e.operatorDn, subject)) {
        io.out(`${domain}: listed, but the certificate subject does not match\n  listed: ${e.operatorDn}\n  certificate: ${subject.split('\n').reverse().join(',')}\n`);
        return 1;
      }
      io.out(`${domain}: listed, certificate subject matches\n`);
      return 0;
    }
    io.out(`${domain}: listed (operator DN ${e.operatorDn})\n`);
    return 0;
  },
};

export default trust;
