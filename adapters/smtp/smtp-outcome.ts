/**
 * Turns what nodemailer reports for one transaction into per-recipient outcomes:
 * accepted recipients are delivered, refused ones temporary (4xx) or permanent (5xx), and a
 * failed connection is temporary for everyone. Shared by every SMTP-speaking adapter.
 */
import type { DeliveryOutcome } from '../../core/ports/adapter.js';

interface SmtpInfo {
  accepted?: (string | { address: string })[];
  rejected?: (string | { address: string })[];
  rejectedErrors?: SmtpErr[];
  response?: string;
}

interface SmtpErr extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejected?: (string | { address: string })[];
  rejectedErrors?: SmtpErr[];
}

const addr = (a: string | { address: string }) => (typeof a === 'string' ? a : a.address).toLowerCase();

function outcomeOf(recipient: string, err: SmtpErr): DeliveryOutcome {
  const code = err.responseCode;
  const reply = err.response?.trim() || (code ? `${code} ${err.message}` : `451 4.4.1 ${err.code ?? 'ERROR'}: ${err.message}`);
  return { recipient, result: code && code >= 500 ? 'permanent' : 'temporary', reply: reply.split(/\r?\n/)[0] };
}

export function outcomesFromInfo(recipients: string[], info: SmtpInfo): DeliveryOutcome[] {
  const accepted = new Set((info.accepted ?? []).map(addr));
  const errs = new Map((info.rejectedErrors ?? []).map((e) => [(e.recipient ?? '').toLowerCase(), e]));
  return recipients.map((r) => {
    const key = r.toLowerCase();
    if (accepted.has(key)) return { recipient: r, result: 'delivered', reply: (info.response ?? '250 OK').split(/\r?\n/)[0] };
    const e = errs.get(key);
    return e ? outcomeOf(r, e) : { recipient: r, result: 'temporary', reply: '451 4.3.0 Recipient not confirmed by the peer' };
  });
}

export function outcomesFromError(recipients: string[], err: SmtpErr): DeliveryOutcome[] {
  const errs = new Map((err.rejectedErrors ?? []).map((e) => [(e.recipient ?? '').toLowerCase(), e]));
  return recipients.map((r) => outcomeOf(r, errs.get(r.toLowerCase()) ?? err));
}
