import type { Command } from '../command.js';
import { openStoreFor, positional } from '../open-store.js';

const quarantine: Command = {
  summary: 'list, show, release or drop quarantined messages',
  usage: [
    'passerelle quarantine list [--db PATH] [--limit N]',
    'passerelle quarantine show ID [--db PATH] [--raw]',
    'passerelle quarantine release ID [--db PATH]   run the pipeline again (a running gateway picks it up)',
    'passerelle quarantine drop ID [--db PATH]      erase the raw bytes, keep the trace',
  ].join('\n'),
  async run(args, io) {
    const [action, id] = positional(args);
    if (!action || !['list', 'show', 'release', 'drop'].includes(action) || (action !== 'list' && !id)) {
      io.err(`${this.usage}\n`);
      return 2;
    }
    const store = openStoreFor(args, io);
    if (!store) return 1;
    try {
      if (action === 'list') {
        const i = args.indexOf('--limit');
        const rows = store.listMessages('quarantined', i >= 0 ? Number(args[i + 1]) || 50 : 50);
        if (rows.length === 0) io.out('no quarantined message\n');
        for (const m of rows) {
          io.out(`${m.id}  ${new Date(m.receivedAt).toISOString()}  from ${m.source}  stage ${m.stage}  ${m.reason}\n`);
        }
        return 0;
      }
      const m = store.message(id);
      if (!m) {
        io.err(`passerelle: no message ${id}\n`);
        return 1;
      }
      if (action === 'show') {
        if (args.includes('--raw')) {
          const raw = store.raw(id);
          if (!raw) {
            io.err('passerelle: the raw bytes of this message were dropped\n');
            return 1;
          }
          io.out(new TextDecoder('latin1').decode(raw));
          return 0;
        }
        io.out(`message ${m.id}: ${m.state}${m.stage ? `, stage ${m.stage}` : ''}${m.reason ? `: ${m.reason}` : ''}\n`);
        io.out(`from ${m.source}, envelope sender ${m.mailFrom || '<>'}, Message-ID ${m.messageId ?? '(none)'}, ${m.size} bytes\n`);
        for (const d of store.deliveries(id)) io.out(`  ${d.recipient}: ${d.state}${d.lastError ? ` [${d.lastError}]` : ''}\n`);
        io.out(`(passerelle trace ${id} for every stage; --raw prints the message as received)\n`);
        return 0;
      }
      const ok = action === 'release' ? store.release(id, Date.now()) : store.drop(id, Date.now());
      if (!ok) {
        io.err(`passerelle: message ${id} is ${m.state}, not quarantined\n`);
        return 1;
      }
      io.out(action === 'release' ? `released ${id}: the gateway runs it again\n` : `dropped ${id}: raw bytes erased, trace kept\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};

export default quarantine;
