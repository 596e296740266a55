import type { Trace } from '../../core/ports/message-store.js';

/** A message's trace as operators read it (`passerelle trace`, `passerelle demo`). */
export function formatTrace(t: Trace): string {
  const m = t.message;
  const out: string[] = [];
  out.push(`message ${m.id}  from ${m.source}  ${m.size} bytes  received ${new Date(m.receivedAt).toISOString()}`);
  out.push(`  state ${m.state}${m.stage ? ` (stage ${m.stage})` : ''}${m.reason ? `: ${m.reason}` : ''}`);
  out.push(`  Message-ID ${m.messageId ?? '(none)'}  envelope sender ${m.mailFrom || '<>'}`);
  if (m.relatedId) out.push(`  notice about ${m.relatedId}`);
  out.push('deliveries:');
  for (const d of t.deliveries) {
    out.push(`  ${d.recipient} → ${d.targetNetwork ?? '?'} ${d.targetAddress ?? ''}  ${d.state}, ${d.attempts} attempt(s)` +
      `${d.state === 'queued' ? `, next ${new Date(d.nextAttemptAt).toISOString()}` : ''}${d.lastError ? `  [${d.lastError}]` : ''}${d.uncertain ? '  (resent after a crash)' : ''}`);
  }
  out.push('events:');
  for (const e of t.events) {
    out.push(`  ${new Date(e.at).toISOString()}  ${e.stage.padEnd(9)} ${e.level.padEnd(5)} ${e.recipient ? e.recipient + ': ' : ''}${e.detail}`);
  }
  return out.join('\n') + '\n';
}
