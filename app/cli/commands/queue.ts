import type { Command } from '../command.js';
import { COMMON_OPTIONS, cliActor, cliContext, intOption, parseCommand, progressLine } from '../context.js';
import { systemClock } from '../../../core/ports/clock.js';
import { purgeDoneRaw } from '../../../core/queue/retention.js';
import { jobHolder, RETENTION_JOB } from '../../node/periodic-jobs.js';
import { NETWORKS, type NetworkId } from '../../../core/model/network.js';
import { allMessages } from '../../../core/ports/message-store.js';

const queue: Command = {
  summary: 'show the queue: deliveries per state, messages per state, next attempt; purge old raw bytes',
  usage: [
    'passerelle queue [--database PATH] [--config FILE] [--json]',
    'passerelle queue purge [--days N] [--database PATH] [--config FILE]   erase the raw bytes of messages done more than N days ago',
    '    (default retention.rawDays), keeping their trace; quarantined messages are kept',
    'passerelle queue flush [--database PATH] [--config FILE]   every queued delivery due now (a running gateway sends them at once)',
    'passerelle queue hold|release legacy|mssante [--database PATH] [--config FILE]   hold (or release) the deliveries to a network, on every node',
  ].join('\n'),
  async run(args, io) {
    const a = parseCommand(args, { ...COMMON_OPTIONS, json: { type: 'boolean' }, days: { type: 'string' } }, io, this.usage);
    if (!a) return 2;
    const [action, network] = a.positionals;
    const holding = action === 'hold' || action === 'release';
    if ((action !== undefined && action !== 'purge' && action !== 'flush' && !holding) || a.positionals.length > (holding ? 2 : 1) || (action !== 'purge' && a.values.days !== undefined)
      || (holding && !(NETWORKS as readonly string[]).includes(network ?? ''))) {
      io.err(`${this.usage}\n`);
      return 2;
    }
    const ctx = cliContext(a.values, io);
    if (action === 'flush') {
      const store = await ctx.openStore();
      if (!store) return 1;
      try {
        // Message by message, each named in its trace: an operator's retry.
        const ids = (await allMessages(store, { states: ['routed'] })).map((m) => m.id);
        const by = cliActor();
        const progress = progressLine(io, 'flush', ids.length);
        let deliveries = 0;
        for (const [i, id] of ids.entries()) {
          deliveries += await store.retryNow(id, Date.now(), by);
          progress(i + 1);
        }
        io.out(`${deliveries} queued deliveries made due now\n`);
        return 0;
      } finally {
        await store.close();
      }
    }
    if (holding) {
      const store = await ctx.openStore();
      if (!store) return 1;
      try {
        const changed = await store.holdNetwork(network as NetworkId, action === 'hold', Date.now(), cliActor());
        io.out(action === 'hold'
          ? `${changed ? 'held' : 'already held'}: deliveries to ${network} wait, on every node, until 'passerelle queue release ${network}'\n`
          : `${changed ? 'released' : 'not held'}: deliveries to ${network} go out again\n`);
        return 0;
      } finally {
        await store.close();
      }
    }
    if (action === 'purge') {
      const configured = ctx.config().retention.rawDays;
      const days = intOption(a.values.days, configured);
      if (days === null || days < 0 || (a.values.days !== undefined && days < 1)) {
        io.err(`passerelle: --days must be a whole number of days ≥ 1\n${this.usage}\n`);
        return 2;
      }
      if (days === 0) {
        io.err('passerelle: retention is off (retention.rawDays = 0): give --days N to purge anyway\n');
        return 2;
      }
      const store = await ctx.openStore();
      if (!store) return 1;
      try {
        // The same lock as the gateway's retention job: never two purges at once.
        const r = await store.runExclusive(RETENTION_JOB, { holder: `cli/${jobHolder()}`, leaseMs: 300_000 }, systemClock,
          (signal) => purgeDoneRaw(store, { rawDays: days, signal }, systemClock));
        if (!r.ran) {
          io.err('passerelle: a gateway node is running the retention right now; try again later\n');
          return 1;
        }
        io.out(`purged the raw bytes of ${r.value} message(s) done more than ${days} day(s) ago; their traces are kept\n`);
        return 0;
      } finally {
        await store.close();
      }
    }
    const store = await ctx.openStore();
    if (!store) return 1;
    try {
      const s = await store.summary();
      if (a.values.json) {
        const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
        io.out(JSON.stringify({ ...s, nextDue: iso(s.nextDue), oldestOpenAt: iso(s.oldestOpenAt) }, null, 2) + '\n');
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
