import { describe, it, expect } from 'vitest';
import { runDemo } from '../../app/demo/run-demo.js';

describe('passerelle demo', () => {
  it('sends a lab report with a panic value each way and a letter with a PDF, and prints their traces', async () => {
    const out: string[] = [];
    const code = await runDemo((t) => out.push(t));
    const text = out.join('');
    expect(code, text).toBe(0);
    expect(text).toContain('All three messages crossed the gateway.');
    expect(text).toMatch(/the national doctor received: "\[ALERTE RESULTAT CRITIQUE\] /);
    expect(text).toMatch(/x-mss-codecda: 11502-2/);
    expect(text).toMatch(/the legacy doctor received: "Compte rendu de biologie \[URGENT\]/);
    expect(text).toMatch(/RES\|Glucose\|GLU\|N\|0\.35\|g\/l\|0\.70\|1\.10\|LL\|F/);
    expect(text).toMatch(/compte-rendu\.pdf \(\d+ bytes\)/);
    expect(text.match(/state done/g)).toHaveLength(3);
    expect(text).not.toMatch(/TESTPATIENT/); // no patient identity on screen either
  }, 60_000);
});
