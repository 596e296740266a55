import type { Command } from '../command.js';
import { COMMON_OPTIONS, cliContext, parseCommand } from '../context.js';
import { addToken } from '../../node/api-tokens.js';
import { parseTokens } from '../../http/api/tokens.js';
import { existsSync, readFileSync } from 'node:fs';

const token: Command = {
  summary: 'add or list the admin API\'s bearer tokens (reader, operator)',
  usage: 'passerelle token add NAME --role reader|operator [--file PATH] [--config FILE]\n       passerelle token list [--file PATH] [--config FILE]',
  async run(args, io) {
    const a = parseCommand(args, { ...COMMON_OPTIONS, role: { type: 'string' }, file: { type: 'string' } }, io, this.usage);
    if (!a) return 2;
    const [action, name] = a.positionals;
    const file = a.values.file ?? cliContext(a.values, io).config().http.tokensFile;
    if (action === 'list' && a.positionals.length === 1) {
      const tokens = existsSync(file) ? parseTokens(readFileSync(file, 'utf8'), file) : [];
      for (const t of tokens) io.out(`${t.name}\t${t.role}\n`);
      if (tokens.length === 0) io.err(`passerelle: no token in ${file}\n`);
      return 0;
    }
    const role = a.values.role;
    if (action !== 'add' || !name || a.positionals.length !== 2 || (role !== 'reader' && role !== 'operator')) {
      io.err(`${this.usage}\n`);
      return 2;
    }
    try {
      const t = await addToken(file, name, role);
      io.err(`token ${name} (${role}) added to ${file}; it is shown once, keep it in a safe place:\n`);
      io.out(`${t}\n`);
      return 0;
    } catch (err) {
      io.err(`passerelle: ${(err as Error).message}\n`);
      return 1;
    }
  },
};

export default token;
