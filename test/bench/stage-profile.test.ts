/**
 * The bench's stage attribution (`bench/support/stage-profile.ts`) on a hand-made CPU profile:
 * each sample's self time goes to the innermost frame a rule names, frames no rule names pass
 * it to their caller, idle time is left out, and what has no project frame is `other`.
 */
import { describe, expect, it } from 'vitest';
import { formatBreakdown, scaledToCpu, stageBreakdown, type CpuProfile } from '../../bench/support/stage-profile.js';

const ROOT = new URL('../../', import.meta.url).href;
const frame = (functionName: string, path = '') => ({ functionName, url: path ? ROOT + path : '' });

/** root → worker.process → open stage → adapter.open → lib/base64; worker → deliver → seal → smime/sign; deliver → storage → better-sqlite3 run. */
function profile(): CpuProfile {
  const nodes = [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 5, 12] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('(garbage collector)') },
    { id: 4, callFrame: frame('onData', 'node_modules/smtp-server/lib/smtp-connection.js') },
    { id: 5, callFrame: frame('process', 'core/pipeline/worker.ts'), children: [6, 8] },
    { id: 6, callFrame: frame('openStage', 'core/pipeline/stages/open.ts'), children: [7] },
    { id: 7, callFrame: frame('open', 'adapters/legacy/legacy-adapter.ts'), children: [13, 14] },
    { id: 8, callFrame: frame('deliverStage', 'core/pipeline/stages/deliver.ts'), children: [9, 10] },
    { id: 9, callFrame: frame('seal', 'adapters/mssante/mssante-adapter.ts'), children: [11] },
    { id: 10, callFrame: frame('recordOutcomes', 'storage/sqlite/sqlite-store.ts'), children: [15] },
    { id: 11, callFrame: frame('sign', 'adapters/mssante/smime/sign.ts') },
    { id: 12, callFrame: frame('pump', 'core/pipeline/worker.ts') },
    { id: 13, callFrame: frame('toBase64', 'lib/base64.ts') },
    { id: 14, callFrame: frame('parseHprim', 'mappings/hprim/parse.ts') },
    { id: 15, callFrame: frame('run') },
  ];
  // Sample i lasts timeDeltas[i + 1] µs: 1 ms each here (the last one, the mean: also 1 ms).
  const samples = [2, 2, 3, 4, 7, 13, 14, 9, 11, 15, 15, 12];
  return { nodes, samples, timeDeltas: samples.map(() => 1000), startTime: 0, endTime: samples.length * 1000 };
}

describe('stage attribution of a CPU profile', () => {
  it('gives each sample to the innermost named frame, idle left out', () => {
    const b = stageBreakdown(profile());
    expect(b).toEqual({
      accept: 0, route: 0, translate: 0, deliver: 0, notices: 0,
      // adapter.open itself, lib/base64 under it, and the HPRIM mapping read while opening.
      open: 3,
      // the adapter's seal and the S/MIME signer.
      seal: 2,
      // better-sqlite3's native run, called from the store.
      store: 2,
      // garbage collection, smtp-server's socket work, the worker loop with nothing named under it.
      other: 3,
    });
  });

  it('prints CPU per message and each stage share of the busy time', () => {
    const line = formatBreakdown(stageBreakdown(profile()), 2);
    expect(line).toContain('open 1.50 (30%)');
    expect(line).toContain('store 1.00 (20%)');
    expect(line).toContain('total 5.00 ms/message');
    expect(line).not.toContain('notices');
  });

  it('scales the shares to the CPU the thread used (the profile counts waits and preemption too)', () => {
    const b = scaledToCpu(stageBreakdown(profile()), 5);
    expect(b.open).toBeCloseTo(1.5);
    expect(b.store).toBeCloseTo(1);
    expect(Object.values(b).reduce((a, x) => a + x, 0)).toBeCloseTo(5);
  });
});
