import type { Command } from '../command.js';
import { openStoreFor, positional } from '../open-store.js';
import { formatTrace } from '../format-trace.js';

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
      io.out(formatTrace(t));
      return 0;
    } finally {
      store.close();
    }
  },
};

export default trace;
