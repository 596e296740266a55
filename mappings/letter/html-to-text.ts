/**
 * A small HTML → plain text renderer for letters (no DOM needed, Web APIs only): block
 * elements and `<br>` break lines, list items get `- `, table cells are separated by ` | `,
 * links keep their target (`text <url>`), `<script>`/`<style>`/`<head>` are dropped,
 * entities are decoded, runs of spaces collapse and at most one blank line is kept.
 *
 * @example
 * htmlToText('<p>Bonjour&nbsp;<b>docteur</b>,</p><ul><li>un</li></ul>') // 'Bonjour docteur,\n\n- un'
 */
export function htmlToText(html: string): string {
  let s = html.replace(/<!--[\s\S]*?-->/g, '');
  s = s.replace(/<(script|style|head|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '');
  s = s.replace(/<a\b[^>]*?href\s*=\s*("([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a\s*>/gi, (_m, _q, h1, h2, inner: string) => {
    const href = (h1 ?? h2 ?? '').trim();
    const text = inner.replace(/<[^>]+>/g, '').trim();
    return !href || href.startsWith('#') || decodeEntities(text) === decodeEntities(href).replace(/^mailto:/, '') ? inner : `${inner} \u0001${href}\u0002`;
  });
  s = s.replace(/\s+/g, ' ');
  s = s.replace(/<br\s*\/?>/gi, '\n');
  s = s.replace(/<li\b[^>]*>/gi, '\n- ');
  s = s.replace(/<\/t[dh]\s*>\s*<t[dh]\b[^>]*>/gi, ' | ');
  s = s.replace(/<\/tr\s*>\s*<tr\b[^>]*>/gi, '\n');
  s = s.replace(/<\/?(p|div|h[1-6]|blockquote|pre|section|article|header|footer)\b[^>]*>/gi, '\n\n');
  s = s.replace(/<\/?(tr|ul|ol|table|thead|tbody|dl|dt|dd|hr)\b[^>]*>/gi, '\n');
  s = s.replace(/<[^>]+>/g, '');
  s = decodeEntities(s).replace(/\u0001/g, '<').replace(/\u0002/g, '>');
  return s.split('\n').map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim()).join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

const NAMED: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', eacute: 'é', egrave: 'è', ecirc: 'ê', euml: 'ë',
  agrave: 'à', acirc: 'â', ccedil: 'ç', icirc: 'î', iuml: 'ï', ocirc: 'ô', ugrave: 'ù', ucirc: 'û', uuml: 'ü',
  Eacute: 'É', Egrave: 'È', Agrave: 'À', Ccedil: 'Ç', oelig: 'œ', OElig: 'Œ', laquo: '«', raquo: '»', euro: '€',
  deg: '°', micro: 'µ', middot: '·', hellip: '…', ndash: '–', mdash: '—', rsquo: '’', lsquo: '‘', ldquo: '“', rdquo: '”', copy: '©', reg: '®',
};

/**
 * Decode HTML character references (named ones of French letters, decimal and hex).
 *
 * @example
 * decodeEntities('caf&eacute; &#8364;') // 'café €'
 */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return NAMED[e] ?? m;
  });
}
