/**
 * `passerelle` command-line entry. Subcommands live in `./commands/NAME.ts`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, CommandIO } from './command.js';

const here = dirname(fileURLToPath(import.meta.url));

function commandNames(): string[] {
  return readdirSync(join(here, 'commands'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<Command | null> {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return null;
  const mod = (await import(`./commands/${name}.ts`)) as { default: Command };
  return mod.default;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out('Usage: passerelle COMMAND [ARGS]\n\nCommands:\n');
    for (const n of commandNames()) {
      const c = await load(n);
      if (c) io.out(`  ${n.padEnd(12)} ${c.summary}\n`);
    }
    return 0;
  }
  const cmd = await load(name);
  if (!cmd) {
    io.err(`passerelle: unknown command '${name}' (see 'passerelle help')\n`);
    return 2;
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    io.out(`${cmd.usage}\n`);
    return 0;
  }
  return cmd.run(rest, io);
}

const isEntry = process.argv[1] && (process.argv[1].endsWith('/app/cli/main.ts') || process.argv[1].endsWith('/bin/passerelle.js'));
if (isEntry) {
  const io: CommandIO = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      if (code !== 0 || !process.argv.includes('start')) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`passerelle: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
