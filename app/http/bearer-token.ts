/**
 * A bearer-token gate for a Hono app (Web APIs only: runs on Node and on Workers). The
 * token given is compared with the expected one in constant time: both are hashed with
 * SHA-256 and the two digests compared byte by byte without an early exit, so neither the
 * length nor the first differing character of the secret shows in the answer's timing.
 *
 * Fails closed: with no token configured every request is refused (503), never let through.
 *
 * @example
 * app.use('*', bearerToken(() => env.MAPPING_API_TOKEN, 'passerelle-mappings'));
 */
import type { Context, MiddlewareHandler } from 'hono';

const encoder = new TextEncoder();

/** True when `given` equals `expected`, in a time that depends on neither's content. */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([given, expected].map((s) => crypto.subtle.digest('SHA-256', encoder.encode(s))));
  const x = new Uint8Array(a!);
  const y = new Uint8Array(b!);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * Middleware: lets a request through only with `Authorization: Bearer <token>` where token is
 * what `expected(c)` returns (read per request, so a Workers secret from `c.env` works).
 * 401 with `WWW-Authenticate` when the header is missing or wrong; 503 when no token is set.
 */
export function bearerToken(expected: (c: Context) => string | undefined, realm: string): MiddlewareHandler {
  return async (c, next) => {
    const token = expected(c);
    if (!token) return c.json({ error: 'this API has no token configured' }, 503);
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('authorization') ?? '');
    if (!m || !(await sameSecret(m[1]!, token))) {
      c.header('WWW-Authenticate', `Bearer realm="${realm}"`);
      return c.json({ error: 'a valid bearer token is required' }, 401);
    }
    await next();
  };
}
