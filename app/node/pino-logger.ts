/**
 * The core's `Logger` port over pino: one JSON object a line by default (`log.format`
 * `json`), human-readable lines with pino-pretty (`pretty`), or pretty only when the output
 * is a terminal (`auto`, the default). Secrets never reach the output: the core's key-name
 * rule (`core/log/logger.ts` `redact`: password, secret, token, private key, key material…)
 * runs on every call's fields, and pino's `redact` censors the same names one level down
 * (`relay.password`, `headers.authorization`…).
 *
 * @example
 * const log = createPinoLogger({ level: 'info', format: 'auto', destination: process.stderr });
 * log.info('delivery attempt', { id, network: 'mssante', domain: 'medecin.mssante.fr', attempt: 1, result: 'delivered' });
 */
import { pino, stdTimeFunctions, type DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { redact, type Level, type Logger } from '../../core/log/logger.js';

export type LogFormat = 'json' | 'pretty' | 'auto';

/**
 * Field names pino censors wherever they appear at the first two levels of a call's fields
 * (the core's rule covers the top level by pattern; these catch nested objects).
 */
export const REDACTED_NAMES = [
  'password', 'passphrase', 'secret', 'token', 'authorization', 'cookie', 'key', 'keyPem', 'privateKey', 'pkcs8', 'pkcs12', 'pfx', 'keyBytes', 'material',
];
const REDACT_PATHS = REDACTED_NAMES.flatMap((n) => [n, `*.${n}`]);

export interface PinoLoggerOptions {
  level: Level;
  format: LogFormat;
  /** Where lines go (default: standard error). */
  destination?: { write(line: string): unknown; isTTY?: boolean };
}

export interface PinoLogger extends Logger {
  /** The pino instance (child loggers, flush). */
  pino: pino.Logger;
}

export function createPinoLogger(o: PinoLoggerOptions): PinoLogger {
  const dest = o.destination ?? process.stderr;
  const pretty = o.format === 'pretty' || (o.format === 'auto' && dest.isTTY === true);
  let stream: DestinationStream = { write: (line: string) => void dest.write(line) };
  if (pretty) {
    const format = prettyFactory({ colorize: dest.isTTY === true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname' });
    stream = { write: (line: string) => void dest.write(format(line)) };
  }
  const p = pino({
    level: o.level,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  }, stream);
  const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (!p.isLevelEnabled(level)) return;
    if (fields) p[level](redact(fields), msg);
    else p[level](msg);
  };
  return { pino: p, debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Whether `format` is a valid `log.format`. */
export function isLogFormat(format: unknown): format is LogFormat {
  return format === 'json' || format === 'pretty' || format === 'auto';
}
