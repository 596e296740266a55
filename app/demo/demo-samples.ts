/**
 * The made-up documents `passerelle demo` sends. Every name and number is fictitious.
 */

/** An HPRIM lab report with a panic value (potassium 6.9 mmol/l, HH). */
export const DEMO_HPRIM = [
  '0000423187', 'TESTPATIENT', 'CAMILLE', '12 RUE DES ESSAIS', '', '33000 BORDEAUX', '14/03/1968', '2680333063123 47',
  'BX-2026-11-0042', '20/11/2026', 'LAB0000033 labo.bio33', 'MED0000001 jean.dupont.med',
  'Compte rendu d\'analyses de biologie médicale (DÉMONSTRATION)',
  'Prélèvement du 20/11/2026 à 08h10 - résultats validés.',
  '****LAB****',
  'RES|Potassium|K|N|6.9|mmol/l|3.5|5.0|HH|F',
  'RES|Créatinine|CREA|N|9.1|mg/l|6.0|11.0|N|F|80.5|µmol/l|53.1|97.4',
  'RES|Hémoglobine|HB|N|10.2|g/dl|12.0|16.0|L|F',
  '****FIN****',
  '****FINFICHIER****',
  '',
].join('\r\n');

/** The same kind of report, from a national lab (it becomes a CR-BIO in IHE_XDM.ZIP). */
export const DEMO_HPRIM_NATIONAL = DEMO_HPRIM
  .replace('LAB0000033 labo.bio33', 'LAB0000099 labo.national')
  .replace('MED0000001 jean.dupont.med', 'MED0000002 dr.alice.martin')
  .replace('RES|Potassium|K|N|6.9|mmol/l|3.5|5.0|HH|F', 'RES|Glucose|GLU|N|0.35|g/l|0.70|1.10|LL|F');

export const DEMO_LETTER = 'Cher confrère,\r\nveuillez trouver ci-joint le compte rendu de consultation.\r\nBien à vous.\r\n';
