import type { Command } from '../command.js';
import { COMMON_OPTIONS, cliActor, cliContext, intOption, parseCommand, progressLine } from '../context.js';
import { allMessages } from '../../../core/ports/message-store.js';

const quarantine: Command = {
  summary: 'list, show, release or drop quarantined messages',
  usage: [
    'passerelle quarantine list [--config FILE] [--database PATH] [--limit N]',
    'passerelle quarantine show ID [--config FILE] [--database PATH] [--raw]',
    'passerelle quarantine release ID [--config FILE] [--database PATH]   run the pipeline again (a running gateway picks it up)',
    'passerelle quarantine drop ID [--config FILE] [--database PATH]      erase the raw bytes, keep the trace',
    'passerelle quarantine release|drop --all [--stage STAGE] [--before ISO-DATE] [--json]   every quarantined message that matches',
    '  list and the bulk actions take --json; each release or drop is written in the trace with the system user\'s name',
  ].join('\n'),
  async run(args, io) {
    const a = parseCommand(args, {
      ...COMMON_OPTIONS, limit: { type: 'string' }, raw: { type: 'boolean' }, json: { type: 'boolean' },
      all: { type: 'boolean' }, stage: { type: 'string' }, before: { type: 'string' },
    }, io, this.usage);
    if (!a) return 2;
    const [action, id] = a.positionals;
    const limit = intOption(a.values.limit, 50);
    const bulk = a.values.all === true;
    const before = a.values.before === undefined ? undefined : Date.parse(a.values.before);
    if (!action || !['list', 'show', 'release', 'drop'].includes(action) || (action !== 'list' && !id && !bulk) || limit === null || limit < 1
      || (bulk && (id || (action !== 'release' && action !== 'drop'))) || (!bulk && (a.values.stage !== undefined || a.values.before !== undefined))
      || (before !== undefined && Number.isNaN(before))) {
      io.err(`${this.usage}\n`);
      return 2;
    }
    const store = await cliContext(a.values, io).openStore();
    if (!store) return 1;
    try {
      if (bulk) {
        const by = cliActor();
        const done: string[] = [];
        const targets = (await allMessages(store, {
          states: ['quarantined'], ...(a.values.stage ? { stage: a.values.stage } : {}), ...(before !== undefined ? { until: before } : {}),
        })).map((m) => m.id);
        const progress = progressLine(io, action, targets.length);
        for (const t of targets) {
          if (action === 'release' ? await store.release(t, Date.now(), by) : await store.drop(t, Date.now(), by)) done.push(t);
          progress(done.length);
        }
        if (a.values.json) io.out(JSON.stringify({ action, done }, null, 2) + '\n');
        else io.out(`${action === 'release' ? 'released' : 'dropped'} ${done.length} quarantined message(s)${action === 'release' ? ': the gateway runs them again' : ': raw bytes erased, traces kept'}\n`);
        return 0;
      }
      if (action === 'list') {
        const rows = await store.listMessages('quarantined', limit);
        if (a.values.json) {
          io.out(JSON.stringify(rows.map((m) => ({ ...m, receivedAt: new Date(m.receivedAt).toISOString() })), null, 2) + '\n');
          return 0;
        }
        if (rows.length === 0) io.out('no quarantined message\n');
        for (const m of rows) {
          io.out(`${m.id}  ${new Date(m.receivedAt).toISOString()}  from ${m.source}  stage ${m.stage}  ${m.reason}\n`);
        }
        return 0;
      }
      const m = await store.message(id);
      if (!m) {
        io.err(`passerelle: no message ${id}\n`);
        return 1;
      }
      if (action === 'show') {
        if (a.values.raw) {
          const raw = await store.raw(id);
          if (!raw) {
            io.err('passerelle: the raw bytes of this message were erased (dropped, or purged by the retention); its trace is kept\n');
            return 1;
          }
          // Reading a message as received is reading patient data: traced.
          await store.events(id, [{ stage: 'audit', level: 'info', detail: `raw message read by ${cliActor()}` }], Date.now());
          io.out(new TextDecoder('latin1').decode(raw));
          return 0;
        }
        io.out(`message ${m.id}: ${m.state}${m.stage ? `, stage ${m.stage}` : ''}${m.reason ? `: ${m.reason}` : ''}\n`);
        io.out(`from ${m.source}, envelope sender ${m.mailFrom || '<>'}, Message-ID ${m.messageId ?? '(none)'}, ${m.size} bytes\n`);
        for (const d of await store.deliveries(id)) io.out(`  ${d.recipient}: ${d.state}${d.lastError ? ` [${d.lastError}]` : ''}\n`);
        io.out(`(passerelle trace ${id} for every stage; --raw prints the message as received)\n`);
        return 0;
      }
      const by = cliActor();
      const ok = action === 'release' ? await store.release(id, Date.now(), by) : await store.drop(id, Date.now(), by);
      if (!ok) {
        io.err(`passerelle: message ${id} is ${m.state}, not quarantined\n`);
        return 1;
      }
      io.out(action === 'release' ? `released ${id}: the gateway runs it again\n` : `dropped ${id}: raw bytes erased, trace kept\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default quarantine;

