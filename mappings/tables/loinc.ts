/**
 * HPRIM local analysis code → LOINC, as data. Codes are the laboratory's own (upper-cased
 * for the lookup); a code missing here travels as a local code (CDA `translation` in the
 * lab's code system), as in the official non-LOINC example. Display names are the French
 * LOINC names the national examples use.
 */
export interface LoincEntry { code: string; displayName: string }

export const LOCAL_TO_LOINC: Readonly<Record<string, LoincEntry>> = {
  K: { code: '2823-3', displayName: 'Potassium [Moles/Volume] Sérum/Plasma ; Numérique' },
  NA: { code: '2951-2', displayName: 'Sodium [Moles/Volume] Sérum/Plasma ; Numérique' },
  CL: { code: '2075-0', displayName: 'Chlorure [Moles/Volume] Sérum/Plasma ; Numérique' },
  CREA: { code: '2160-0', displayName: 'Créatinine [Masse/Volume] Sérum/Plasma ; Numérique' },
  UREE: { code: '3094-0', displayName: 'Urée [Masse/Volume] Sérum/Plasma ; Numérique' },
  GLY: { code: '2345-7', displayName: 'Glucose [Masse/Volume] Sérum/Plasma ; Numérique' },
  HB: { code: '718-7', displayName: 'Hémoglobine [Masse/Volume] Sang ; Numérique' },
  GR: { code: '789-8', displayName: 'Érythrocytes [Nombre/Volume] Sang ; Numérique' },
  GB: { code: '6690-2', displayName: 'Leucocytes [Nombre/Volume] Sang ; Numérique' },
  PLAQ: { code: '777-3', displayName: 'Plaquettes [Nombre/Volume] Sang ; Numérique' },
  HT: { code: '4544-3', displayName: 'Hématocrite [Fraction volumique] Sang ; Numérique' },
  TSH: { code: '3016-3', displayName: 'Thyréostimuline [Arbitraire/Volume] Sérum/Plasma ; Numérique' },
  FT4: { code: '3024-7', displayName: 'Thyroxine libre [Masse/Volume] Sérum/Plasma ; Numérique' },
  CRP: { code: '1988-5', displayName: 'Protéine C réactive [Masse/Volume] Sérum/Plasma ; Numérique' },
  INR: { code: '6301-6', displayName: 'INR Plasma pauvre en plaquettes ; Numérique' },
  TROP: { code: '10839-9', displayName: 'Troponine I cardiaque [Masse/Volume] Sérum/Plasma ; Numérique' },
};

/**
 * The LOINC entry for a local code, if the table knows it.
 *
 * @example
 * loincFor('k')?.code // '2823-3'
 */
export function loincFor(localCode: string): LoincEntry | undefined {
  return LOCAL_TO_LOINC[localCode.trim().toUpperCase()];
}

/**
 * Reverse lookup: the local code for a LOINC code, if the table knows it.
 *
 * @example
 * localForLoinc('3016-3') // 'TSH'
 */
export function localForLoinc(loinc: string): string | undefined {
  for (const [local, e] of Object.entries(LOCAL_TO_LOINC)) if (e.code === loinc) return local;
  return undefined;
}
