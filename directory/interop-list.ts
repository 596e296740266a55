/**
 * The `interop` list the gateway hands to the legacy network (SPEC §7): one line per
 * national mailbox, its address being its alias in the `interop` zone, `annee_cle` empty,
 * `statut` A (reachable) or R (removed: the LOCAL stays reserved). ISO-8859-1 and CRLF are
 * applied by the writer (`encodeLatin1`).
 */
import { formatLegacyLine, LEGACY_HEADER } from './legacy-format.js';
import { ORG_ID_FINESS, nationalCity, personIdentifier, type NationalRecord } from './national-format.js';

export const INTEROP_HEADER_LINE = `${LEGACY_HEADER}\r\n`;

/**
 * One CRLF-ended line of the list, for a national mailbox holding `alias`.
 *
 * @example
 * interopLine('jean.dupont.med', 'active', parseNationalLine(line, 2), 'interop.lnp.test');
 * // 'jean.dupont.med@interop.lnp.test;DUPONT;Jean;Médecin;Médecine générale (SM);10101010101;;;;;;A\r\n'
 */
export function interopLine(alias: string, status: string, r: NationalRecord, interopDomain: string): string {
  const per = r.mailboxType === 'PER';
  const id = per ? personIdentifier(r) : null;
  return (
    formatLegacyLine({
      address: `${alias}@${interopDomain}`,
      lastName: per ? r.lastName : r.tradeName || r.orgName,
      firstName: per ? r.firstName : r.service,
      profession: r.professionLabel,
      speciality: r.specialityLabel,
      rpps: id?.kind === 'rpps' ? id.value : '',
      adeli: id?.kind === 'adeli' ? id.value : '',
      finess: !per && r.orgIdType === ORG_ID_FINESS ? r.orgId : '',
      postcode: r.postcode,
      city: nationalCity(r),
      keyYear: '',
      status: status === 'removed' ? 'R' : 'A',
    }) + '\r\n'
  );
}
