import type { Attachment, LetterContent } from '../../core/model/content.js';
import { htmlToText } from './html-to-text.js';
import { textToHtml } from './text-to-html.js';

/**
 * A letter arriving from the national side (text/plain and/or text/html parts plus
 * attachments) → the text a legacy recipient reads: the plain part when there is one, else
 * the HTML rendered to text. Attachments travel unchanged.
 *
 * @example
 * letterToLegacyText({ kind: 'letter', text: '', html: '<p>Bonjour</p>', attachments: [] }) // 'Bonjour'
 */
export function letterToLegacyText(letter: LetterContent): { text: string; attachments: Attachment[] } {
  const text = letter.text.trim() ? letter.text : letter.html ? htmlToText(letter.html) : '';
  return { text, attachments: letter.attachments };
}

/**
 * A legacy free-text message → a national letter: the text, plus a simple HTML rendering.
 *
 * @example
 * legacyTextToLetter('Bonjour,\r\nà bientôt').html // '<!DOCTYPE html>…<p>Bonjour,<br>\nà bientôt</p>…'
 */
export function legacyTextToLetter(text: string, attachments: Attachment[] = [], title = ''): LetterContent {
  const normalized = text.replace(/\r\n?/g, '\n');
  return { kind: 'letter', text: normalized, html: textToHtml(normalized, title), attachments };
}
