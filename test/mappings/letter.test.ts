import { describe, expect, it } from 'vitest';
import { htmlToText, legacyTextToLetter, letterToLegacyText, textToHtml } from '../../mappings/letter/index.js';

describe('letters', () => {
  it('renders HTML to readable text: blocks, breaks, lists, tables, links, entities; drops scripts and styles', () => {
    const html = `<html><head><title>x</title><style>p{color:red}</style></head><body>
      <p>Cher confr&egrave;re,</p><p>Je vous adresse&nbsp;Mme <b>TEST</b><br>pour avis.</p>
      <ul><li>ECG</li><li>Bilan &amp; suivi</li></ul>
      <table><tr><th>Examen</th><th>Date</th></tr><tr><td>K+</td><td>20/11</td></tr></table>
      <script>alert(1)</script><p>Voir <a href="https://exemple.fr/dossier">le dossier</a> &#8212; <a href="mailto:a@b.fr">a@b.fr</a></p>
      <!-- comment --></body></html>`;
    expect(htmlToText(html)).toBe('Cher confrère,\n\nJe vous adresse Mme TEST\npour avis.\n\n- ECG\n- Bilan & suivi\n\nExamen | Date\nK+ | 20/11\n\nVoir le dossier <https://exemple.fr/dossier> — a@b.fr');
  });

  it('renders text to safe, simple HTML', () => {
    const html = textToHtml('Bonjour <docteur>,\n\nrésultats : https://exemple.fr/r?a=1&b=2\nà bientôt', 'Courrier');
    expect(html).toContain('<title>Courrier</title>');
    expect(html).toContain('<p>Bonjour &lt;docteur&gt;,</p>');
    expect(html).toContain('<a href="https://exemple.fr/r?a=1&amp;b=2">https://exemple.fr/r?a=1&amp;b=2</a><br>\nà bientôt</p>');
    expect(htmlToText(html)).toBe('Bonjour <docteur>,\n\nrésultats : https://exemple.fr/r?a=1&b=2\nà bientôt');
  });

  it('a national letter becomes legacy text (plain part first, else HTML rendered), attachments kept', () => {
    const att = [{ filename: 'scan.pdf', contentType: 'application/pdf', data: new Uint8Array([1, 2]) }];
    expect(letterToLegacyText({ kind: 'letter', text: 'Texte brut', html: '<p>HTML</p>', attachments: att })).toEqual({ text: 'Texte brut', attachments: att });
    expect(letterToLegacyText({ kind: 'letter', text: '', html: '<p>Bonjour</p><p>Docteur</p>', attachments: [] }).text).toBe('Bonjour\n\nDocteur');
  });

  it('a legacy text becomes a national letter with an HTML rendering', () => {
    const l = legacyTextToLetter('Bonjour,\r\n\r\nCordialement', []);
    expect(l.text).toBe('Bonjour,\n\nCordialement');
    expect(l.html).toContain('<p>Bonjour,</p>\n<p>Cordialement</p>');
  });
});
