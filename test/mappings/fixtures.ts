import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The realistic HPRIM sample: `hprim-lab-report` of the legacy-network seal vectors. */
export function sampleHprim(): string {
  const cases = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/legacy-network/seal.json'), 'utf8')) as Array<{ name: string; text: string; plaintext_hex: string }>;
  const c = cases.find((x) => x.name === 'hprim-lab-report');
  if (!c) throw new Error('seal.json has no hprim-lab-report case');
  return c.text;
}

/** The same sample as the ISO-8859-1 bytes that travel on the legacy network (text part only). */
export function sampleHprimLatin1(): Uint8Array {
  const cases = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/legacy-network/seal.json'), 'utf8')) as Array<{ name: string; plaintext_hex: string }>;
  const hex = cases.find((x) => x.name === 'hprim-lab-report')!.plaintext_hex;
  const all = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  const end = new TextDecoder('latin1').decode(all).indexOf('#DESTBEGIN#');
  return end >= 0 ? all.subarray(0, end) : all;
}

export const CDA_EXAMPLES = join(process.cwd(), '../shared/national/cda/examples');
