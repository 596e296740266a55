/**
 * The configuration as the admin API shows it: every secret replaced by `[masked]` (a
 * password, a token, a key's passphrase, a URL's password), whatever its depth. The rule is
 * the logger's: a setting whose name says secret is one.
 */
const SECRET = /pass(word|phrase)?$|secret|token$|^key$|private/i;

export function maskSecrets(value: unknown, name = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET.test(name) && value !== '') return '[masked]';
    // postgres://user:password@host/db
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/i, '$1[masked]@');
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, name));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  return value;
}
