/**
 * `passerelle` command-line entry. Subcommands live in `./commands/NAME.ts`, listed in
 * `./commands/index.ts`.
 */
import type { Command, CommandIO } from './command.js';
import { COMMANDS } from './commands/index.js';
import { ConfigError } from '../config/load-config.js';

function load(name: string): Command | null {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : null;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out('Usage: passerelle COMMAND [ARGS]\n\nCommands:\n');
    for (const [n, c] of Object.entries(COMMANDS).sort(([a], [b]) => a.localeCompare(b))) io.out(`  ${n.padEnd(12)} ${c.summary}\n`);
    return 0;
  }
  const cmd = load(name);
  if (!cmd) {
    io.err(`passerelle: unknown command '${name}' (see 'passerelle help')\n`);
    return 2;
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    io.out(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    // An invalid configuration: every problem, no stack, exit 2 (as a usage error).
    if (err instanceof ConfigError) {
      io.err(`passerelle: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

// Run as a program from source (tsx app/cli/main.ts), compiled (node dist/app/cli/main.js) or through the launcher.
const isEntry = process.argv[1] && (/[\\/]app[\\/]cli[\\/]main\.[jt]s$/.test(process.argv[1]) || process.argv[1].endsWith('/bin/passerelle.js'));
if (isEntry) {
  // A reader that stops early (`passerelle queue | head -2`) closes the pipe: stop quietly
  // (exit 0, as `yes | head` does) instead of crashing on an unhandled EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
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
