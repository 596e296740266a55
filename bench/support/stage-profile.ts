/**
 * Where a thread's CPU goes, per pipeline stage: reads a V8 CPU profile (`.cpuprofile`, as
 * node:inspector's `Profiler.stop` returns it) and gives each sample's self time to a stage.
 *
 * A sample belongs to the stage of the innermost frame on its stack that one of `STAGE_RULES`
 * names (the leaf first, then its callers): better-sqlite3's `run` called from `storage/` is
 * `store`, a base64 helper of `lib/` called by the S/MIME signer is `seal`. Frames no rule
 * names (lib/, the worker loop, node_modules, Node internals) pass the sample up to their
 * caller. The mappings are `translate` except under `open` (the legacy adapter reads the HPRIM
 * it opens). A sample with no named frame at all is `other`: SMTP and TLS I/O driven by socket
 * events (smtp-server, nodemailer, the stream machinery), timers, logs and metrics; garbage
 * collection is `other` too. Idle time is left out.
 *
 * Async functions resume from the microtask queue with their own frame on top, so the code
 * after an `await` in a stage is still that stage's; callbacks of sockets and streams carry no
 * project frame and land in `other`.
 *
 * @example
 * const b = scaledToCpu(stageBreakdown(profile), threadCpuMsDuringTheProfile);
 * process.stdout.write(formatBreakdown(b, 300) + '\n'); // ms per message and share, per stage
 */

export const STAGES = ['accept', 'open', 'route', 'translate', 'seal', 'deliver', 'store', 'notices', 'other'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Path (from the repository root) and optionally function name → stage; the first rule that
 * matches a frame names it. Order matters: specific files before their folder.
 */
export const STAGE_RULES: { path: RegExp; fn?: RegExp; stage: Stage }[] = [
  { path: /^storage\//, stage: 'store' },
  { path: /^(mappings\/|app\/node\/translator-(pool|thread)\.ts)/, stage: 'translate' },
  // S/MIME: the national side's open (decrypt, verify) and seal (sign, encrypt); RSA helpers pass through.
  { path: /^adapters\/mssante\/smime\/(decrypt|verify)\.ts/, stage: 'open' },
  { path: /^adapters\/mssante\/smime\/(sign|encrypt|protect)\.ts/, stage: 'seal' },
  // Legacy LNP/1 codec: open or seal by function (the codec files serve both ways).
  { path: /^adapters\//, fn: /^(seal|sealLnpMail|sealPayload)$/, stage: 'seal' },
  { path: /^adapters\//, fn: /^(open|openLnpMail|openPayload)$/, stage: 'open' },
  { path: /^adapters\//, fn: /^deliver$/, stage: 'deliver' },
  { path: /^adapters\/(mssante\/smtp\/outbound-client|mssante\/static-route-transport|legacy\/relay-submitter)\.ts/, stage: 'deliver' },
  { path: /^adapters\/(smtp\/|[a-z]+\/inbound-listener\.ts)/, stage: 'accept' },
  { path: /^core\/pipeline\/gateway\.ts/, stage: 'accept' },
  { path: /^core\/pipeline\/(stages\/open|content-digest|header-peek)\.ts/, stage: 'open' },
  { path: /^(core\/pipeline\/stages\/(route|correlate-bounce)\.ts|directory\/)/, stage: 'route' },
  { path: /^core\/pipeline\/(stages\/deliver|outbound-codec|header-addresses)\.ts/, stage: 'deliver' },
  { path: /^core\/pipeline\/notices\//, stage: 'notices' },
];

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** The repository root as a file URL (this file is bench/support/stage-profile.ts). */
const ROOT = new URL('../../', import.meta.url).href;

/** The stage a frame names, or null (pass the sample to the caller). */
function stageOf(frame: ProfileNode['callFrame']): Stage | null {
  if (!frame.url.startsWith(ROOT) || frame.url.includes('/node_modules/')) return null;
  const path = frame.url.slice(ROOT.length);
  for (const r of STAGE_RULES) if (r.path.test(path) && (!r.fn || r.fn.test(frame.functionName))) return r.stage;
  return null;
}

/** CPU milliseconds per stage in a profile (idle excluded). */
export function stageBreakdown(profile: CpuProfile): Record<Stage, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, Stage | 'idle'>();
  const stageOfNode = (id: number): Stage | 'idle' => {
    const known = memo.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    let s: Stage | 'idle';
    if (n.callFrame.functionName === '(idle)') s = 'idle';
    else {
      const own = stageOf(n.callFrame);
      const up = parent.get(id);
      const above = up === undefined ? 'other' : stageOfNode(up);
      // The mappings serve open too (the legacy adapter reads the HPRIM it opens): there they are open's.
      s = own === 'translate' && above === 'open' ? 'open' : own ?? above;
      if (s === 'idle') s = 'other';
    }
    memo.set(id, s);
    return s;
  };
  const out = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const { samples, timeDeltas } = profile;
  // A sample lasts until the next one (timeDeltas[i + 1]); the last one, the mean interval.
  const mean = (profile.endTime - profile.startTime) / Math.max(1, samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = stageOfNode(samples[i]!);
    if (s !== 'idle') out[s] += (timeDeltas[i + 1] ?? mean) / 1000;
  }
  return out;
}

/** Adds breakdowns (several threads, several passes). */
export function addBreakdowns(...b: Record<Stage, number>[]): Record<Stage, number> {
  const out = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  for (const x of b) for (const s of STAGES) out[s] += x[s];
  return out;
}

/**
 * The breakdown scaled so that its total is the thread's CPU time measured over the same
 * window (`cpuMs`, from the OS). The profiler samples on a clock: a thread waiting in a system
 * call (a checkpoint's fsync) or preempted on a busy machine still collects samples, so the
 * profile's busy time exceeds the CPU used; the shares are kept, the total is the CPU.
 */
export function scaledToCpu(b: Record<Stage, number>, cpuMs: number): Record<Stage, number> {
  const total = STAGES.reduce((a, s) => a + b[s], 0);
  if (!(cpuMs > 0) || total === 0) return b;
  return Object.fromEntries(STAGES.map((s) => [s, (b[s] * cpuMs) / total])) as Record<Stage, number>;
}

/** One line: each stage's CPU per message (ms) and its share of the thread's busy time. */
export function formatBreakdown(b: Record<Stage, number>, messages: number): string {
  const total = STAGES.reduce((a, s) => a + b[s], 0);
  const parts = STAGES.filter((s) => b[s] > 0 || s !== 'notices')
    .map((s) => `${s} ${(b[s] / messages).toFixed(2)} (${total ? Math.round((b[s] / total) * 100) : 0}%)`);
  return `${parts.join(', ')}; total ${(total / messages).toFixed(2)} ms/message`;
}
