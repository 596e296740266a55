import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSchematron } from './schematron-compiler.js';
import { CDA_DIR, SCHEMATRON, validateSchematron, validateXsd } from './validators.js';

const EXAMPLES = ['BIO-CR-BIO_2024.01_CRP_non_LOINC.xml', 'BIO-CR-BIO_2024.01_Microbiologie_V1.xml', 'BIO-CR-BIO_2024.01_TSH_1.xml'].map((f) => join(CDA_DIR, 'examples', f));
const NEGATIVE = join(CDA_DIR, 'negative/BIO-CR-BIO_2024.01_TSH_1-mutated.xml');

describe('validator harness (../shared/national/cda)', () => {
  it('compiles every active pattern of the official schematron, abstract ones expanded', () => {
    const { patterns, xslt } = compileSchematron(SCHEMATRON);
    expect(patterns).toContain('JDV_HL7_ObservationInterpretation-CISIS');
    expect(patterns).toContain('Entete_CR-BIO');
    expect(patterns).toHaveLength(10);
    expect(xslt).toContain('document($JDV_HL7_ObservationInterpretation-CISIS)');
    expect(xslt).not.toMatch(/\$xpath_elt|\$path_jdv/);
  });

  it('the three official examples pass the schema', () => {
    for (const f of EXAMPLES) expect(validateXsd(f), f).toEqual([]);
  });

  it('the three official examples pass the schematron, and the negative example fails on both defects', () => {
    const results = validateSchematron([...EXAMPLES, NEGATIVE]);
    for (const f of EXAMPLES) expect(results.get(f), f).toEqual([]);
    const failures = results.get(NEGATIVE) ?? [];
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.some((x) => x.pattern === 'Entete_CR-BIO' && /title/.test(x.message))).toBe(true);
    expect(failures.some((x) => x.pattern === 'JDV_HL7_ObservationInterpretation-CISIS' && x.message.includes('ZZ'))).toBe(true);
  });
});
