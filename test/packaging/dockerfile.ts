/**
 * Reads deploy/Dockerfile for the packaging tests (no Docker engine runs here): its stages,
 * each with its instructions, continuation lines joined.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Instruction { op: string; args: string }
export interface Stage { from: string; name?: string; instructions: Instruction[] }

export const DOCKERFILE = join(import.meta.dirname, '../../deploy/Dockerfile');

export function dockerfileStages(text = readFileSync(DOCKERFILE, 'utf8')): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2]!.replace(/\s+/g, ' ').trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ from: f[1]!, name: f[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op, args });
    }
  }
  return stages;
}

/** The exec-form command of the final stage's HEALTHCHECK (the JSON array after CMD). */
export function healthcheckCommand(stages = dockerfileStages()): string[] {
  const hc = stages.at(-1)!.instructions.find((i) => i.op === 'HEALTHCHECK');
  if (!hc) throw new Error('deploy/Dockerfile: no HEALTHCHECK in the final stage');
  return JSON.parse(hc.args.slice(hc.args.indexOf('CMD ') + 4)) as string[];
}
