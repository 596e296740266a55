import type { Command } from '../command.js';
import { COMMON_OPTIONS, cliContext, parseCommand } from '../context.js';

const queue: Command = {
  summary: 'show the queue: deliveries per state, messages per state, next attempt',
  usage: 'passerelle queue [--db PATH] [--config FILE] [--json]',
  async run(args, io) {
    const a = parseCommand(args, { ...COMMON_OPTIONS, json: { type: 'boolean' } }, io, this.usage);
    if (!a) return 2;
    const store = await cliContext(a.values, io).openStore();
    if (!store) return 1;
    try {
      const s = await store.summary();
      if (a.values.json) {
        io.out(JSON.stringify(s, null, 2) + '\n');
        return 0;
      }
      io.out('deliveries:\n');
      for (const st of ['pending', 'queued', 'sending', 'delivered', 'failed', 'quarantined']) io.out(`  ${st.padEnd(12)} ${s.deliveries[st] ?? 0}\n`);
      io.out('messages:\n');
      for (const [st, n] of Object.entries(s.messages)) io.out(`  ${st.padEnd(12)} ${n}\n`);
      io.out(`next attempt: ${s.nextDue ? new Date(s.nextDue).toISOString() : 'none queued'}\n`);
      const q = await store.listMessages('quarantined', 10);
      if (q.length) {
        io.out('latest quarantined:\n');
        for (const m of q) io.out(`  ${m.id}  ${m.stage}: ${m.reason}\n`);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default queue;
