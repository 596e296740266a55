export { htmlToText, decodeEntities } from './html-to-text.js';
export { textToHtml } from './text-to-html.js';
export { letterToLegacyText, legacyTextToLetter } from './letter.js';
