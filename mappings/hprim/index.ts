export { readHprim, readHprimStrict, looksLikeHprim, LAB_BEGIN, LAB_END, FILE_END, type HprimReading } from './read.js';
export { writeHprim } from './write.js';
export { parseResLine, formatResLine, RES_FIELDS } from './res-line.js';
export { HprimError, formatIssue, type HprimIssue } from './issue.js';
