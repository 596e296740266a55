/** The lab report the throughput benches carry (end to end, mappings). */
import { DEMO_HPRIM } from '../../app/demo/demo-samples.js';

/**
 * A 10 KB HPRIM report: the demo report with comment lines to reach the size, numbered by
 * `i` so that no two messages are the same.
 */
export function report10k(i: number): string {
  const pad = Array.from({ length: 110 }, (_, k) => `TEX|Commentaire ${i}-${k} : texte de remplissage du banc de mesure.`).join('\r\n');
  return DEMO_HPRIM.replace('****FIN****', `${pad}\r\n****FIN****`);
}
