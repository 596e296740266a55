/**
 * Every CR-BIO a test generates is kept here and validated at the end of its file with both
 * validators (schema and schematron), in one xmllint/Saxon run per file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSchematron, validateXsdMany, type SchematronFailure } from './validators.js';

export class GeneratedDocuments {
  private dir = mkdtempSync(join(tmpdir(), 'crbio-gen-'));
  readonly files: string[] = [];

  /** Keep a generated document for validation; returns its path. */
  keep(xml: string, label = 'doc'): string {
    const file = join(this.dir, `${String(this.files.length).padStart(4, '0')}-${label.replace(/[^a-z0-9-]/gi, '_')}.xml`);
    writeFileSync(file, xml);
    this.files.push(file);
    return file;
  }

  /** Validate every kept document; returns the failures by file (empty when all pass). */
  validateAll(): { xsd: Map<string, string[]>; schematron: Map<string, SchematronFailure[]> } {
    const xsd = validateXsdMany(this.files);
    const sch = new Map<string, SchematronFailure[]>();
    if (this.files.length) for (const [f, fails] of validateSchematron(this.files)) if (fails.length) sch.set(f, fails);
    return { xsd, schematron: sch };
  }
}
