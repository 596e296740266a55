/**
 * Plain text → a simple, safe HTML document: characters escaped, blank lines separate
 * paragraphs, single line breaks become `<br>`, http(s) links become anchors.
 *
 * @example
 * textToHtml('Bonjour,\n\nVoir <résultats>.') // '<!DOCTYPE html>…<p>Bonjour,</p>\n<p>Voir &lt;résultats&gt;.</p>…'
 */
export function textToHtml(text: string, title = ''): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const paras = text.replace(/\r\n?/g, '\n').split(/\n{2,}/).map((p) => p.replace(/^\n+|\n+$/g, '')).filter((p) => p.trim());
  const body = paras.map((p) => `<p>${esc(p).replace(/\bhttps?:\/\/[^\s<>"]+/g, (u) => `<a href="${u}">${u}</a>`).split('\n').join('<br>\n')}</p>`).join('\n');
  return `<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>${esc(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
}
