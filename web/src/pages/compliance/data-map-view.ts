/** The data-map section's contract with the server and its labels (no DOM, unit-tested). */
import { regionName, t } from '../../i18n/index.ts';

/** One row of the retention schedule (src/modules/retention, enforced by the job). */
export interface RetentionEntry {
  category: string;
  keepDays: number;
  /** Why it is kept that long, in English (the server's text, also in docs/data-map.md). */
  basis: string;
}

/** GET /api/v1/compliance/data-map (src/workflows/data-map.routes.ts). */
export interface DataMap {
  region: string;
  entries: {
    category: string;
    tables: string[];
    personal: boolean;
    protection: 'sealed' | 'keyed-ids' | 'hashed' | 'none';
    what: { zh: string; en: string };
    kept: { retention: Partial<RetentionEntry> & { category: string } } | { note: { zh: string; en: string } };
  }[];
  schedule: RetentionEntry[];
}

/** Where everything is stored: the deployment's region by name (中国大陆), as the privacy centre says it. */
export function regionLine(region: string): string {
  return t('compliance.dataMap.region', { region: regionName(region) });
}

/** The retention categories the pages can name, in the schedule's order (docs/data-map.md). */
export const RETENTION_CATEGORIES = [
  'viewer_events',
  'viewer_feedback',
  'consent_records',
  'notice_texts',
  'guardian_consents',
  'room_events',
  'orders',
  'staff_sign_ins',
  'cross_border_records',
  'recommendation_log',
  'fairness_audits',
  'energy_samples',
  'experiment_units',
  'chat_messages',
  'chat_moderation_log',
  'assistant_handoffs',
  'assistant_memory',
  'assistant_session_memory',
  'access_log',
  'rights_tickets',
] as const;
export type RetentionCategory = (typeof RETENTION_CATEGORIES)[number];

export const isRetentionCategory = (value: string): value is RetentionCategory => (RETENTION_CATEGORIES as readonly string[]).includes(value);

/** A category in words; one the pages do not know yet stays as the server named it. */
export function retentionCategoryLabel(category: string): string {
  return isRetentionCategory(category) ? t(`compliance.dataMap.categories.${category}`) : category;
}

/**
 * Why a category is kept as long as it is, in the page's language. The period in the text is the one
 * the job enforces (keepDays). A category the pages do not know yet shows the server's English text,
 * marked as English (`lang`), rather than nothing.
 */
export function retentionBasis(entry: RetentionEntry): { text: string; lang: 'en' | null } {
  if (!isRetentionCategory(entry.category)) return { text: entry.basis, lang: 'en' };
  return { text: t(`compliance.dataMap.bases.${entry.category}`, { days: entry.keepDays }), lang: null };
}

/** "90 天" / "90 days", and "1 day" for one. */
export function keptFor(days: number): string {
  return days === 1 ? t('compliance.dataMap.day', { n: days }) : t('compliance.dataMap.days', { n: days });
}
