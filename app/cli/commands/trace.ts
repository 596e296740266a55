import type { Command } from '../command.js';
import { COMMON_OPTIONS, cliContext, parseCommand } from '../context.js';
import { formatTrace } from '../format-trace.js';

const trace: Command = {
  summary: 'show every stage a message went through',
  usage: 'passerelle trace ID [--config FILE] [--database PATH] [--json]',
  async run(args, io) {
    const a = parseCommand(args, { ...COMMON_OPTIONS, json: { type: 'boolean' } }, io, this.usage);
    if (!a) return 2;
    const [id] = a.positionals;
    if (!id || a.positionals.length > 1) {
      io.err(`${this.usage}\n`);
      return 2;
    }
    const store = await cliContext(a.values, io).openStore();
    if (!store) return 1;
    try {
      const t = await store.trace(id);
      if (!t) {
        io.err(`passerelle: no message ${id}\n`);
        return 1;
      }
      if (a.values.json) {
        // Dates as ISO 8601, never epoch milliseconds.
        const iso = (ms: number) => new Date(ms).toISOString();
        io.out(JSON.stringify({
          message: { ...t.message, receivedAt: iso(t.message.receivedAt) },
          deliveries: t.deliveries.map((d) => ({ ...d, nextAttemptAt: d.state === 'queued' ? iso(d.nextAttemptAt) : null })),
          events: t.events.map((e) => ({ ...e, at: iso(e.at) })),
        }, null, 2) + '\n');
        return 0;
      }
      io.out(formatTrace(t));
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default trace;
