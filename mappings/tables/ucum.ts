/**
 * HPRIM unit (as labs write them) → UCUM, as data. The lookup is case-sensitive first, then
 * case-insensitive; a unit missing here is not guessed: the value then travels as text.
 */
export const UNIT_TO_UCUM: Readonly<Record<string, string>> = {
  'mmol/l': 'mmol/L', 'µmol/l': 'umol/L', 'umol/l': 'umol/L', 'nmol/l': 'nmol/L', 'pmol/l': 'pmol/L',
  'mol/l': 'mol/L', 'g/l': 'g/L', 'mg/l': 'mg/L', 'µg/l': 'ug/L', 'ug/l': 'ug/L', 'ng/l': 'ng/L',
  'g/dl': 'g/dL', 'mg/dl': 'mg/dL', 'ng/ml': 'ng/mL', 'pg/ml': 'pg/mL', 'µg/ml': 'ug/mL',
  'ui/l': '[IU]/L', 'mui/l': 'm[IU]/L', 'µui/ml': 'u[IU]/mL', 'uui/ml': 'u[IU]/mL', 'ui/ml': '[IU]/mL',
  'u/l': 'U/L', '%': '%', 'g/l/24h': 'g/(24.h)', 'fl': 'fL', 'pg': 'pg', 'mm/h': 'mm/h', 's': 's', 'sec': 's',
  'giga/l': '10*9/L', 'g/µl': '10*9/L', 'tera/l': '10*12/L', 't/l': '10*12/L', '/mm3': '/mm3', 'mm3': '/mm3',
  'mosm/kg': 'mosm/kg', 'meq/l': 'meq/L', 'ml/min': 'mL/min', 'ml/min/1,73m2': 'mL/min/{1.73_m2}',
  'ml/min/1.73m2': 'mL/min/{1.73_m2}', 'ratio': '{ratio}', '': '1',
};

/**
 * The UCUM unit for an HPRIM unit, or undefined when the table does not know it.
 *
 * @example
 * ucumFor('µmol/l') // 'umol/L'
 */
export function ucumFor(unit: string): string | undefined {
  const u = unit.trim();
  return UNIT_TO_UCUM[u] ?? UNIT_TO_UCUM[u.toLowerCase()];
}
