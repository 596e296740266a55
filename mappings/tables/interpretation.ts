import type { ResultFlag } from '../../core/model/content.js';

/**
 * HPRIM flag ↔ HL7 ObservationInterpretation (2.16.840.1.113883.5.83), as data. The
 * display names are those of the national value set JDV_HL7_ObservationInterpretation_CISIS.
 */
export const INTERPRETATION_SYSTEM = '2.16.840.1.113883.5.83';

export const FLAG_TO_INTERPRETATION: Readonly<Record<Exclude<ResultFlag, ''>, { code: string; displayName: string }>> = {
  L: { code: 'L', displayName: 'Anormalement bas' },
  H: { code: 'H', displayName: 'Anormalement haut' },
  LL: { code: 'LL', displayName: 'Très anormalement bas, alerte' },
  HH: { code: 'HH', displayName: 'Très anormalement haut, alerte' },
  N: { code: 'N', displayName: 'Normal' },
};

/** HL7 codes seen in documents from the national side → the nearest HPRIM flag. */
export const INTERPRETATION_TO_FLAG: Readonly<Record<string, ResultFlag>> = {
  L: 'L', H: 'H', LL: 'LL', HH: 'HH', N: 'N',
  '<': 'L', '>': 'H', LU: 'LL', HU: 'HH', 'L>': 'LL', 'H>': 'HH', A: 'H', AA: 'HH',
};

/** Severity of a flag: panic for LL/HH, abnormal for L/H. */
export const FLAG_SEVERITY: Readonly<Record<ResultFlag, 'panic' | 'abnormal' | 'none'>> = {
  LL: 'panic', HH: 'panic', L: 'abnormal', H: 'abnormal', N: 'none', '': 'none',
};

/** Status of a result as the CDA narrative shows it (and reads back). */
export const STATUS_LABEL: Readonly<Record<string, string>> = { F: 'Validé', R: 'Non validé', C: 'Corrigé', '': '' };
