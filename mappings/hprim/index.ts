export { readHprim, readHprimStrict, looksLikeHprim, findHeader, readParty, writeParty, MAX_PREAMBLE_LINES, LAB_BEGIN, LAB_END, FILE_END, type HprimReading } from './read.js';
export { writeHprim } from './write.js';
export { parseResLine, formatResLine, RES_FIELDS } from './res-line.js';
export { HprimError, formatIssue, hprimIssue, issueLabelFr, HPRIM_ISSUES, type HprimIssue, type HprimIssueCode } from './issue.js';
export { readHprimDate, readReportDate, isCalendarDate, type DateReading } from './dates.js';
