/**
 * The last part of a person's `interop` alias, by profession code of the national
 * extraction (RPPS nomenclature). Policy as data: a new profession is one row.
 * A profession not listed gets `ps` (professionnel de santé).
 */
export const PROFESSION_ALIAS_SUFFIX: Readonly<Record<string, string>> = {
  '10': 'med', // Médecin
  '21': 'pharm', // Pharmacien
  '26': 'audio', // Audioprothésiste
  '28': 'opt', // Opticien-lunetier
  '31': 'asdent', // Assistant dentaire
  '32': 'physmed', // Physicien médical
  '40': 'dent', // Chirurgien-dentiste
  '50': 'sf', // Sage-femme
  '60': 'inf', // Infirmier
  '69': 'inf', // Infirmier psychiatrique
  '70': 'kine', // Masseur-kinésithérapeute
  '80': 'podo', // Pédicure-podologue
  '81': 'orthoprot', // Orthoprothésiste
  '82': 'podorth', // Podo-orthésiste
  '83': 'orthop', // Orthopédiste-orthésiste
  '84': 'ocul', // Oculariste
  '85': 'epith', // Épithésiste
  '86': 'techlab', // Technicien de laboratoire médical
  '91': 'ortho', // Orthophoniste
  '92': 'orthopt', // Orthoptiste
  '93': 'psy', // Psychologue
  '94': 'ergo', // Ergothérapeute
  '95': 'diet', // Diététicien
  '96': 'psymot', // Psychomotricien
  '98': 'merm', // Manipulateur ERM
};

export const DEFAULT_PERSON_ALIAS_SUFFIX = 'ps';
