/**
 * A `passerelle` subcommand. Each lives in `app/cli/commands/NAME.ts` and default-exports
 * one of these; `passerelle NAME …` loads it by name.
 *
 * @example
 * // app/cli/commands/hello.ts
 * const hello: Command = {
 *   summary: 'say hello',
 *   usage: 'passerelle hello [NAME]',
 *   async run(args, io) { io.out(`hello ${args[0] ?? 'world'}\n`); return 0; },
 * };
 * export default hello;
 */
export interface Command {
  /** One line for `passerelle help`. */
  summary: string;
  /** Usage lines. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** Environment variables (configuration overrides). */
  env: Record<string, string | undefined>;
}
