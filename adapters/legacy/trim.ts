/**
 * Trailing-character trimming in linear time. A RegExp such as `/[ \t]+$/` is tried at
 * every position of a run of those characters that does not reach the end, so a line of
 * 100,000 spaces followed by one letter cost seconds (fuzzing finding); this walks back from
 * the end once.
 */

/**
 * `s` without the characters of `chars` at its end.
 *
 * @example
 * trimEndOf('abc \t\r', ' \t\r'); // 'abc'
 */
export function trimEndOf(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1]!)) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * `s` without any number of `suffix` at its end.
 *
 * @example
 * trimSuffixes('a\r\n\r\n', '\r\n'); // 'a'
 */
export function trimSuffixes(s: string, suffix: string): string {
  let end = s.length;
  while (end >= suffix.length && s.startsWith(suffix, end - suffix.length)) end -= suffix.length;
  return end === s.length ? s : s.slice(0, end);
}
