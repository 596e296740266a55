/**
 * The operator feed: the mailboxes the gateway hosts on its national domain (one per legacy
 * subscriber), for the national directory. FHIR-shaped JSON: a `Bundle` of type
 * `collection`, one `Practitioner` (person) or `Organization` per mailbox, keyed like the
 * directory's own PATCH feed: `8`+RPPS or `0`+ADELI (IDNPS, `urn:oid:1.2.250.1.71.4.2.1`),
 * `1`+FINESS (IDNST, `urn:oid:1.2.250.1.71.4.2.2`). The mailbox is a `telecom` of system
 * `email` with an extension giving its type (PER/ORG), its status (active, suspended,
 * removed) and the network it leads to. See docs/directory.md.
 */

import { legacyKind, type LegacyRecord } from './legacy-format.js';

export const IDNPS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
export const IDNST_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.2';
export const MAILBOX_EXTENSION = 'urn:passerelle:fhir:mailbox';

/**
 * The opening of the bundle, up to the `entry` array.
 *
 * @example
 * operatorFeedOpen({ mode: 'full', sinceRun: 0, uptoRun: 4, generatedAt: new Date().toISOString(), nationalDomain: 'passerelle.mssante.test' })
 *   + entries + operatorFeedClose(); // a complete JSON document
 */
export function operatorFeedOpen(meta: { mode: 'full' | 'diff'; sinceRun: number; uptoRun: number; generatedAt: string; nationalDomain: string }): string {
  const head = {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: meta.generatedAt,
    meta: {
      tag: [
        { system: 'urn:passerelle:export-mode', code: meta.mode },
        { system: 'urn:passerelle:since-run', code: String(meta.sinceRun) },
        { system: 'urn:passerelle:upto-run', code: String(meta.uptoRun) },
      ],
    },
  };
  return `${JSON.stringify(head).slice(0, -1)},"entry":[\n`;
}

/**
 * The FHIR resource of one hosted mailbox.
 *
 * @example
 * operatorResource('dr.alice.martin', 'active', parseLegacyLine(line, 2), 'passerelle.mssante.test');
 * // { resourceType: 'Practitioner', identifier: [{ system: IDNPS_SYSTEM, value: '810003000001' }], telecom: [...] }
 */
export function operatorResource(alias: string, status: string, r: LegacyRecord, nationalDomain: string): Record<string, unknown> {
  const per = legacyKind(r) === 'PER';
  const telecom = {
    system: 'email',
    value: `${alias}@${nationalDomain}`,
    use: 'work',
    extension: [
      {
        url: MAILBOX_EXTENSION,
        extension: [
          { url: 'type', valueCode: per ? 'PER' : 'ORG' },
          { url: 'status', valueCode: status },
          { url: 'network', valueCode: 'legacy' },
        ],
      },
    ],
  };
  if (per) {
    const identifier = r.rpps ? [{ system: IDNPS_SYSTEM, value: `8${r.rpps}` }] : r.adeli ? [{ system: IDNPS_SYSTEM, value: `0${r.adeli}` }] : [];
    return {
      resourceType: 'Practitioner',
      identifier,
      active: status === 'active',
      name: [{ family: r.lastName, ...(r.firstName ? { given: [r.firstName] } : {}) }],
      telecom: [telecom],
      ...(r.profession ? { qualification: [{ code: { text: r.profession } }] } : {}),
    };
  }
  return {
    resourceType: 'Organization',
    identifier: r.finess ? [{ system: IDNST_SYSTEM, value: `1${r.finess}` }] : [],
    active: status === 'active',
    name: r.lastName,
    telecom: [telecom],
    ...(r.postcode || r.city ? { address: [{ postalCode: r.postcode, city: r.city }] } : {}),
  };
}

/**
 * One entry of the bundle, with the separator it needs.
 *
 * @example
 * operatorFeedEntry('dr.alice.martin', 'active', rec, 'passerelle.mssante.test', true); // '{"resource":{…}}'
 */
export function operatorFeedEntry(alias: string, status: string, r: LegacyRecord, nationalDomain: string, first: boolean): string {
  return `${first ? '' : ',\n'}${JSON.stringify({ resource: operatorResource(alias, status, r, nationalDomain) })}`;
}

/** The end of the bundle. */
export function operatorFeedClose(): string {
  return '\n]}\n';
}
