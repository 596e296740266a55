/**
 * The RFC 5322 date-time the gateway writes in every header it sets (Date, Arrival-Date…),
 * in UTC: `Fri, 04 Dec 2026 18:42:32 +0000`. One writer for both networks.
 *
 * @example
 * rfc5322Date(new Date(Date.UTC(2026, 11, 4, 18, 42, 32))); // 'Fri, 04 Dec 2026 18:42:32 +0000'
 */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function rfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
