import type { Command } from '../command.js';
import { createPinoLogger } from '../../node/pino-logger.js';
import { startGateway, StartError } from '../../node/start-gateway.js';
import { COMMON_OPTIONS, cliContext, parseCommand } from '../context.js';

const start: Command = {
  summary: 'run the gateway (listeners, queue workers, HTTP health)',
  usage: [
    'passerelle start [--config FILE] [--database PATH|URL]',
    '',
    'Runs on embedded defaults when no configuration is given: SQLite under ./var,',
    'generated TEST keys and certificates, loopback ports (legacy SMTP 2525, national SMTP 2526,\nHTTP 8025).',
    'Every setting can be overridden by PASSERELLE_* environment variables; an invalid',
    'configuration is reported whole (exit 2), a port that cannot be bound or a key or',
    'certificate that cannot be read stops the start (exit 1). See docs/operations.md.',
  ].join('\n'),
  async run(args, io) {
    const a = parseCommand(args, COMMON_OPTIONS, io, this.usage);
    if (!a) return 2;
    const config = cliContext(a.values, io).config();
    // JSON lines by default, readable on a terminal (`log.format`); to standard error, the console messages to standard output.
    const log = createPinoLogger({ level: config.log.level, format: config.log.format, destination: { write: (l) => io.err(l), isTTY: process.stderr.isTTY } });
    let running;
    try {
      running = await startGateway(config, { log });
    } catch (err) {
      if (err instanceof StartError) {
        io.err(`passerelle: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    io.out(`Passerelle is running: legacy SMTP ${config.legacy.listen.host}:${running.ports.legacy}, national SMTP ${config.mssante.listen.host}:${running.ports.national}, HTTP http://${config.http.host}:${running.ports.http}/health\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        log.info('stopping');
        void running.stop().then(resolve);
      };
      // SIGHUP: read the legacy key folder again now (a key file just installed), as a service manager's reload.
      const hup = () => void running.reloadKeys().catch((err) => log.warn('key folder could not be read again', { error: String(err) }));
      process.on('SIGHUP', hup);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }).finally(() => process.removeAllListeners('SIGHUP'));
    return 0;
  },
};

export default start;
