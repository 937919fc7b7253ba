/** The consent-ledger section's contract with the server and its labels (no DOM, unit-tested). */
import { t } from '../../i18n/index.ts';
import { formatCount } from '../../ui/format.ts';
import type { ConsentMethod } from '../../../../src/modules/consent/ports.ts';
export { NOTICE_KINDS, noticeKindLabel } from '../../ui/notice-kinds.ts';
import type { Purpose } from '../../../../src/modules/consent/purposes.ts';

/** GET /api/v1/compliance/consents/summary (src/workflows/consent-export.ts). */
export interface ConsentSummary {
  decisions: number;
  viewers: number;
  granted: Record<string, number>;
  byMethod: Record<string, number>;
  byNoticeVersion: Record<string, number>;
}

/** An item of GET /api/v1/compliance/notices: an archived notice text without its words. */
export interface ArchivedNoticeRow {
  hash: string;
  kind: string;
  version: string;
  locale: string;
  scope: string;
  firstUsedAt: number;
  lastUsedAt: number;
}

/** The same lists as the server's (kept here so nothing from the server is bundled; the types check they match). */
export const CONSENT_PURPOSES = ['personalised_recommendations', 'assistant_memory', 'model_improvement', 'marketing', 'merchant_sharing'] as const satisfies readonly Purpose[];
export const CONSENT_METHODS = ['accept_all', 'decline_all', 'custom', 'withdraw'] as const satisfies readonly ConsentMethod[];
/** Why an officer exports the ledger; recorded in the access log as sent. */
export const EXPORT_PURPOSES = ['regulator-audit', 'internal-audit', 'rights-request'] as const;
export type ExportPurpose = (typeof EXPORT_PURPOSES)[number];

const known = <T extends string>(list: readonly T[], value: string): value is T => (list as readonly string[]).includes(value);

/** A purpose as the viewer's notice names it; an id the pages do not know yet stays as the server sent it. */
export function purposeLabel(id: string): string {
  return known(CONSENT_PURPOSES, id) ? t(`compliance.consentLedger.purposes.${id}`) : id;
}

/** How a decision was made, in the words of the viewer's consent banner (its buttons); unknown methods stay raw. */
export function methodLabel(method: string): string {
  return known(CONSENT_METHODS, method) ? t(`consent.methods.${method}`) : method;
}

export function exportPurposeLabel(purpose: ExportPurpose): string {
  return t(`compliance.consentLedger.exportPurposes.${purpose}`);
}

/** "全部接受：3 · 自选：1", in the server's order; a dash when there is no decision yet. */
export function methodCounts(byMethod: Readonly<Record<string, number>>): string {
  return (
    Object.entries(byMethod)
      .map(([method, n]) => t('compliance.consentLedger.methodCount', { method: methodLabel(method), n: formatCount(n) }))
      .join(' · ') || '—'
  );
}
