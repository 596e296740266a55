/**
 * Names for the files taken out of an `IHE_XDM.ZIP`: meaningful (the document's title, else
 * its entry name), safe in an LPZ container and on any desktop (ASCII letters, digits, space,
 * `.`, `_`, `-`, `'`; 60 characters at most before the extension), unique within the message
 * (`-2`, `-3`…), and never a patient's name: a title holding a word of the patient's names is
 * not used.
 *
 * @example
 * const names = new AttachmentNames(['IHE_XDM.ZIP'], ['DUPONT', 'Jean']);
 * names.take('Compte rendu de biologie', 'DOC0001', 'pdf'); // 'Compte rendu de biologie.pdf'
 * names.take('Compte rendu de biologie', 'DOC0002', 'pdf'); // 'Compte rendu de biologie-2.pdf'
 * names.take('CR de Jean DUPONT', 'DOC0003', 'pdf');        // 'DOC0003.pdf'
 */
export class AttachmentNames {
  private readonly taken = new Set<string>();
  private readonly avoid: string[];

  constructor(taken: Iterable<string> = [], patientWords: Iterable<string> = []) {
    for (const t of taken) this.taken.add(t.toLowerCase());
    this.avoid = [...patientWords].map(fold).map((w) => w.toLowerCase()).filter((w) => w.length >= 2);
  }

  /** A unique name from `title` (when safe to show), else `fallback`, with extension `ext`. */
  take(title: string, fallback: string, ext: string): string {
    const fromTitle = clean(title);
    const words = fromTitle.toLowerCase().split(/[^a-z0-9]+/);
    const usable = fromTitle && !this.avoid.some((w) => words.includes(w));
    const base = (usable ? fromTitle : clean(fallback)) || 'document';
    const e = clean(ext).replace(/[^A-Za-z0-9]/g, '').slice(0, 8).toLowerCase() || 'bin';
    for (let n = 1; ; n++) {
      const name = `${base}${n === 1 ? '' : `-${n}`}.${e}`;
      if (!this.taken.has(name.toLowerCase())) {
        this.taken.add(name.toLowerCase());
        return name;
      }
    }
  }
}

/** Letters without their accents (é → e, œ → oe). */
function fold(s: string): string {
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/œ/g, 'oe').replace(/Œ/g, 'OE').replace(/æ/g, 'ae').replace(/Æ/g, 'AE');
}

function clean(s: string): string {
  return fold(s).replace(/[\u2018\u2019]/g, "'").replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/[^A-Za-z0-9 ._'-]+/g, ' ').replace(/\s+/g, ' ').replace(/^[\s.]+|[\s.]+$/g, '').slice(0, 60).trim();
}
