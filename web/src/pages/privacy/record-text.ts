/**
 * The privacy centre's records in the viewer's language: recordFields (privacy-view.ts) bound to the
 * message catalogues (privacy.data.fields, privacy.data.values; purposes and regions by the names the
 * other pages use too). A field or value the catalogues do not name is shown as the export has it.
 */
import { categoryLabel, i18n, regionName, t } from '../../i18n/index.ts';
import zhCN from '../../i18n/zh-CN.json';
import { formatFen } from '../../ui/money.ts';
import { formatTime, splitTag, type RecordText } from './privacy-view.ts';
import type { Locale } from '../../i18n/index.ts';

type Names = Readonly<Record<string, string>>;
const FIELDS: Names = zhCN.privacy.data.fields;
const VALUES: Readonly<Record<string, Names | undefined>> = zhCN.privacy.data.values;

function valueName(group: string, value: string): string | null {
  const names = Object.hasOwn(VALUES, group) ? VALUES[group] : undefined;
  return names !== undefined && Object.hasOwn(names, value) ? i18n.t(`privacy.data.values.${group}.${value}`, { defaultValue: value }) : null;
}

/** A coded value's name: which list names it depends on the field, and for a status, on the record. */
function valueOf(key: string, value: string, record: Readonly<Record<string, unknown>>): string | null {
  switch (key) {
    case 'status':
      // A question passed to the host is open until the host answers; a request is open until it is handled.
      return valueName(record['kind'] === 'question_to_host' ? 'questionStatus' : 'status', value);
    case 'tag': {
      const { kind, value: category } = splitTag(value);
      return kind === 'category' ? categoryLabel(category) : null;
    }
    case 'value':
      return record['kind'] === 'category' ? categoryLabel(value) : null;
    case 'purpose':
      return purposeName(value);
    case 'region':
      return regionName(value);
    default:
      return valueName(key, value);
  }
}

type PurposeKey = keyof typeof zhCN.compliance.consentLedger.purposes;
type MethodKey = keyof typeof zhCN.consent.methods;
type AgeBandKey = keyof typeof zhCN.consent.age.bands;

/**
 * A purpose as the consent notice titles it (the same names the compliance console's ledger uses,
 * copied from the server's PURPOSE_NOTICES); an id the pages do not know stays as the server sent it.
 */
export function purposeName(id: string): string {
  return Object.hasOwn(zhCN.compliance.consentLedger.purposes, id) ? t(`compliance.consentLedger.purposes.${id as PurposeKey}`) : id;
}

/** Purposes in words, joined as lists are in this language; a dash for none. */
export function purposeNames(ids: readonly string[], locale: Locale): string {
  return ids.map(purposeName).join(locale === 'en' ? ', ' : '、') || t('privacy.dash');
}

/**
 * How a decision was made: the banner's button that made it (consent.methods, as on the viewer's
 * receipts); a guardian's consent, given on the guardian's own device, has no button of the
 * banner's, so it has its own name. Unknown methods stay raw.
 */
export function consentMethodName(method: string): string {
  if (method === 'guardian_grant') return t('privacy.data.guardianGrant');
  return Object.hasOwn(zhCN.consent.methods, method) ? t(`consent.methods.${method as MethodKey}`) : method;
}

/** A declared age band as the age gate names it; an unknown band stays raw. */
export function ageBandName(band: string): string {
  return Object.hasOwn(zhCN.consent.age.bands, band) ? t(`consent.age.bands.${band as AgeBandKey}`) : band;
}

export function recordText(locale: Locale): RecordText {
  return {
    field: (key) => (Object.hasOwn(FIELDS, key) ? i18n.t(`privacy.data.fields.${key}`, { defaultValue: key }) : null),
    value: valueOf,
    time: (ms) => formatTime(ms, locale),
    money: formatFen,
    yes: t('privacy.data.yes'),
    no: t('privacy.data.no'),
    empty: t('privacy.dash'),
    separator: locale === 'en' ? ', ' : '、',
  };
}
