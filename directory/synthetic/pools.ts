/**
 * Word pools of the synthetic directory generator: made-up but realistic French names,
 * with accents, compound names and particles. Policy as data.
 */
export const LAST_NAME_STEMS = [
  'MART', 'BERN', 'DUB', 'THOM', 'ROB', 'RICH', 'PET', 'DUR', 'LEF', 'LER', 'MOR', 'SIM', 'LAUR', 'MICH', 'GARN', 'DAV',
  'BERTR', 'ROUSS', 'VINC', 'FOUR', 'GIR', 'BONN', 'LAMB', 'FONT', 'ROUX', 'CHEV', 'BLANCH', 'GUER', 'MULL', 'HENR',
  'PERR', 'MASS', 'MARCH', 'DUV', 'DENI', 'LEM', 'GAUTH', 'BOYE', 'CLÉM', 'CHAMB', 'FAUR', 'AUB', 'BRUN', 'HÉB', 'MEY',
  'BARB', 'COLL', 'LÉGE', 'JOL', 'GUÉR',
];
export const LAST_NAME_ENDINGS = [
  'IN', 'ARD', 'OIS', 'AS', 'ERT', 'ET', 'AND', 'EVRE', 'OUX', 'EAU', 'ON', 'IER', 'ELLE', 'AUD', 'ÈRE', 'OT', 'ÈS',
  'AULT', 'IEUX', 'ENNE', 'ANGE', 'ELIN', 'ONNET', 'ÉAU',
];
export const PARTICLES = ['', '', '', '', '', '', '', '', '', '', '', '', 'LE ', 'DE ', 'DA ', "D'", 'DU ', 'LE '];
export const FIRST_NAMES = [
  'Jean', 'Marie', 'Pierre', 'Anne', 'Michel', 'Isabelle', 'Philippe', 'Catherine', 'Alain', 'Nathalie', 'Nicolas',
  'Sophie', 'François', 'Françoise', 'Éric', 'Hélène', 'Stéphane', 'Céline', 'Jérôme', 'Aurélie', 'Sébastien', 'Élodie',
  'Frédéric', 'Valérie', 'Thierry', 'Sandrine', 'Laurent', 'Véronique', 'Christophe', 'Camille', 'Julien', 'Émilie',
  'Jean-Pierre', 'Marie-Claire', 'Anne-Sophie', 'Jean-François', 'Noël', 'Zoé', 'Loïc', 'Maël', 'Gaëlle', 'Joël',
  'Benoît', 'Agnès', 'Thérèse', 'Hervé', 'Léa', 'Chloé', 'Inès', 'Raphaël', 'Mathéo', 'Océane', 'Clément', 'Lucie',
  'Paul', 'Louise', 'Hugo', 'Manon', 'Arthur', 'Alice', 'Louis', 'Jeanne', 'Gabriel', 'Rose', 'Jules', 'Anaïs',
];
/** Profession code, label, share of persons (per mille), a speciality pool. */
export const PROFESSIONS: ReadonlyArray<{ code: string; label: string; share: number; specialities: Array<[string, string]> }> = [
  { code: '10', label: 'Médecin', share: 520, specialities: [['SM54', 'Médecine générale (SM)'], ['SM04', 'Cardiologie et maladies vasculaires (SM)'], ['SM42', 'Radio-diagnostic (SM)'], ['SM40', 'Psychiatrie (SM)'], ['SM53', 'Pédiatrie (SM)'], ['SM26', 'Gynécologie-obstétrique (SM)'], ['SM03', 'Biologie médicale (SM)']] },
  { code: '60', label: 'Infirmier', share: 150, specialities: [] },
  { code: '21', label: 'Pharmacien', share: 90, specialities: [['SM03', 'Biologie médicale (SM)']] },
  { code: '40', label: 'Chirurgien-Dentiste', share: 70, specialities: [['SCD01', 'Orthopédie dento-faciale']] },
  { code: '70', label: 'Masseur-Kinésithérapeute', share: 80, specialities: [] },
  { code: '50', label: 'Sage-Femme', share: 40, specialities: [] },
  { code: '91', label: 'Orthophoniste', share: 20, specialities: [] },
  { code: '80', label: 'Pédicure-Podologue', share: 15, specialities: [] },
  { code: '93', label: 'Psychologue', share: 15, specialities: [] },
];
export const CITIES: ReadonlyArray<[string, string, string]> = [
  ['33000', 'BORDEAUX', '33'], ['33100', 'BORDEAUX', '33'], ['75012', 'PARIS', '75'], ['75015', 'PARIS', '75'],
  ['69003', 'LYON', '69'], ['13005', 'MARSEILLE', '13'], ['31000', 'TOULOUSE', '31'], ['59000', 'LILLE', '59'],
  ['44000', 'NANTES', '44'], ['67000', 'STRASBOURG', '67'], ['34000', 'MONTPELLIER', '34'], ['35000', 'RENNES', '35'],
  ['06000', 'NICE', '06'], ['29200', 'BREST', '29'], ['63000', 'CLERMONT-FERRAND', '63'], ['97400', 'SAINT-DENIS', '974'],
  ['64000', 'PAU', '64'], ['87000', 'LIMOGES', '87'], ['21000', 'DIJON', '21'], ['2A000', 'AJACCIO', '2A'],
];
export const STREET_TYPES = ['R', 'AV', 'BD', 'PL', 'CHE', 'ALL', 'IMP', 'QUAI'];
export const STREET_NAMES = ['de la République', 'Victor Hugo', 'Jean Jaurès', 'des Écoles', 'Pasteur', 'du Général de Gaulle', 'de la Gare', 'Émile Zola', 'des Lilas', 'Saint-Éloi'];
export const ORG_KINDS: ReadonlyArray<[string, string]> = [
  ['CENTRE HOSPITALIER', 'CH'], ['CLINIQUE', 'CLINIQUE'], ['LABORATOIRE', 'LABO'], ['PHARMACIE', 'PHARMACIE'],
  ['CENTRE DE SANTÉ', 'CDS'], ['EHPAD', 'EHPAD'], ['CABINET DE RADIOLOGIE', 'RADIO'], ['MAISON DE SANTÉ', 'MSP'],
];
export const SERVICES = ['', '', 'Secrétariat', 'Service de cardiologie', 'Urgences', 'Accueil', 'Bloc opératoire', 'Pédiatrie', 'Biologie', 'Direction'];
export const MAIL_DOMAINS = ['medecin.mssante.fr', 'pharmacien.mssante.fr', 'infirmier.mssante.fr', 'ch-test.mssante.fr', 'chu-bordeaux.mssante.fr', 'aphp.mssante.fr', 'labo.mssante.fr', 'sante-ra.mssante.fr'];
