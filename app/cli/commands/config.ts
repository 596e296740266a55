/**
 * `passerelle config check|show|reference`: the configuration as the gateway reads it.
 * `check` validates (every problem at once, exit 2), `show` prints the effective settings with
 * secrets masked, `reference` prints every setting's type, default and variable (the table of
 * docs/operations.md is this output).
 */
import type { Command } from '../command.js';
import { envName, maskSecrets } from '../../config/load-config.js';
import { DEFAULTS } from '../../config/defaults.js';
import { describeType, settings } from '../../config/schema.js';
import { COMMON_OPTIONS, cliContext, parseCommand } from '../context.js';

const USAGE = [
  'passerelle config check [--config FILE]      validate: every problem at once (exit 2), or OK',
  'passerelle config show [--config FILE] [--json]   the effective settings, secrets masked',
  'passerelle config reference                  every setting: type, default, environment variable (Markdown)',
].join('\n');

function defaultOf(path: string[]): string {
  let v: unknown = DEFAULTS;
  for (const k of path) v = (v as Record<string, unknown>)[k];
  if (v === '') return '(empty)';
  return `\`${JSON.stringify(v)}\``;
}

/** The reference table: one row per setting. */
export function configReference(): string {
  const rows = settings().map((s) => {
    const name = envName(s.path);
    const env = s.secret ? `\`${name}\`, \`${name}_FILE\`` : `\`${name}\``;
    const doc = s.doc.replace(/\|/g, '\\|');
    return `| \`${s.path.join('.')}\` | ${describeType(s)} | ${defaultOf(s.path)} | ${env} | ${doc}${s.secret ? ' Secret.' : ''} |`;
  });
  return ['| setting | type | default | environment | what it is for |', '|---|---|---|---|---|', ...rows].join('\n') + '\n';
}

const config: Command = {
  summary: 'check the configuration, show it (secrets masked), or list every setting',
  usage: USAGE,
  async run(args, io) {
    const a = parseCommand(args, { ...COMMON_OPTIONS, json: { type: 'boolean' } }, io, USAGE);
    if (!a) return 2;
    const [sub, ...rest] = a.positionals;
    if (rest.length > 0 || !['check', 'show', 'reference'].includes(sub ?? '')) {
      io.err(`${USAGE}\n`);
      return 2;
    }
    if (sub === 'reference') {
      io.out(configReference());
      return 0;
    }
    const cfg = cliContext(a.values, io).config(); // a ConfigError: every problem, exit 2 (main)
    if (sub === 'check') {
      io.out(`configuration OK${a.values.config ? ` (${a.values.config})` : ''}: database ${cfg.database}, data folder ${cfg.dataDir}${cfg.testMaterial ? ', testMaterial on (TEST keys and certificates are generated: never in production)' : ''}\n`);
      return 0;
    }
    const masked = maskSecrets(cfg);
    if (a.values.json) io.out(JSON.stringify(masked, null, 2) + '\n');
    else for (const s of settings()) {
      let v: unknown = masked;
      for (const k of s.path) v = (v as Record<string, unknown>)[k];
      io.out(`${s.path.join('.')} = ${JSON.stringify(v)}\n`);
    }
    return 0;
  },
};

export default config;
