/**
 * A small structured logger: one line per event, `level`, `msg` and fields. Fields whose
 * name suggests a secret (password, secret, key material, private key, token) are replaced
 * by `[redacted]`, so a careless call cannot leak a key file or a private key. Message text
 * and patient data are never passed to it by the gateway: messages are named by their id.
 *
 * @example
 * const log = createLogger({ level: 'info', write: (l) => console.error(l) });
 * log.info('delivered', { id: '01J…', network: 'mssante' });
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET = /pass(word)?|secret|private|token|^key$|keyBytes|material|pkcs12|pfx/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET.test(k)) out[k] = '[redacted]';
    else if (v instanceof Uint8Array) out[k] = `[${v.byteLength} bytes]`;
    else if (v instanceof Error) out[k] = `${v.name}: ${v.message}`;
    else out[k] = v;
  }
  return out;
}

export function createLogger(opts: { level?: Level; write?: (line: string) => void; json?: boolean } = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((l: string) => console.error(l));
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const f = fields ? redact(fields) : {};
    if (opts.json) {
      write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...f }));
    } else {
      const rest = Object.entries(f).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? ' ' + rest : ''}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
