import type { Command } from '../command.js';
import { openStoreFor, positional } from '../open-store.js';

const trace: Command = {
  summary: 'show every stage a message went through',
  usage: 'passerelle trace ID [--db PATH] [--json]',
  async run(args, io) {
    const [id] = positional(args);
    if (!id) {
      io.err('usage: passerelle trace ID\n');
      return 2;
    }
    const store = openStoreFor(args, io);
    if (!store) return 1;
    try {
      const t = store.trace(id);
      if (!t) {
        io.err(`passerelle: no message ${id}\n`);
        return 1;
      }
      if (args.includes('--json')) {
        io.out(JSON.stringify(t, null, 2) + '\n');
        return 0;
      }
      const m = t.message;
      io.out(`message ${m.id}  from ${m.source}  ${m.size} bytes  received ${new Date(m.receivedAt).toISOString()}\n`);
      io.out(`  state ${m.state}${m.stage ? ` (stage ${m.stage})` : ''}${m.reason ? `: ${m.reason}` : ''}\n`);
      io.out(`  Message-ID ${m.messageId ?? '(none)'}  envelope sender ${m.mailFrom || '<>'}\n`);
      if (m.relatedId) io.out(`  notice about ${m.relatedId}\n`);
      io.out('deliveries:\n');
      for (const d of t.deliveries) {
        io.out(`  ${d.recipient} → ${d.targetNetwork ?? '?'} ${d.targetAddress ?? ''}  ${d.state}, ${d.attempts} attempt(s)` +
          `${d.state === 'queued' ? `, next ${new Date(d.nextAttemptAt).toISOString()}` : ''}${d.lastError ? `  [${d.lastError}]` : ''}${d.uncertain ? '  (resent after a crash)' : ''}\n`);
      }
      io.out('events:\n');
      for (const e of t.events) {
        io.out(`  ${new Date(e.at).toISOString()}  ${e.stage.padEnd(9)} ${e.level.padEnd(5)} ${e.recipient ? e.recipient + ': ' : ''}${e.detail}\n`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};

export default trace;
