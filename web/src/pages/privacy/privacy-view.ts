/**
 * The privacy centre's pure rules (no DOM, no fetch; unit-tested in node): the page's query, the
 * export split into the sections the page shows, the ticket form's check, and a download's file name.
 */
import type { Locale } from '../../i18n/index.ts';

export const DEFAULT_BRAND = 'demo-brand';
export const TICKET_KINDS = ['access', 'correction', 'deletion', 'explanation', 'complaint'] as const;
export type TicketKind = (typeof TICKET_KINDS)[number];
export const DETAILS_MAX = 2000;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `?brand=<brandId>&from=<sessionId>`: ids are kept only when well formed (they go into URLs). */
export function parsePrivacyQuery(search: string): { brandId: string; from: string | null } {
  const q = new URLSearchParams(search);
  const brand = q.get('brand');
  const from = q.get('from');
  return { brandId: brand && ID.test(brand) ? brand : DEFAULT_BRAND, from: from && ID.test(from) ? from : null };
}

/** Which page privacy.html shows for a path. */
export function privacyRoute(pathname: string): 'rules' | 'centre' {
  return /^\/privacy\/rules\/?$/.test(pathname) ? 'rules' : 'centre';
}

export interface ConsentReceiptView {
  consentId: string;
  brandId: string;
  granted: string[];
  refused: string[];
  noticeVersion: string;
  noticeHash: string;
  method: string;
  at: number;
}

export interface ViewerExport {
  generatedAt: string;
  region: string;
  subject: string;
  profile: { ageBand: string | null; declaredAt: number | null; personalisation: boolean; childAgeBand: string | null; cityTier: string | null };
  pseudonyms: unknown[];
  consents: ConsentReceiptView[];
  guardianConsents: { id: string; brandId: string; granted: string[]; method: string; noticeVersion: string; noticeHash: string; at: number }[];
  events: unknown[];
  feedback: unknown[];
  tags: unknown[];
  [category: string]: unknown;
}

/** Keys the page shows in their own sections; everything else the export holds is listed generically. */
export const KNOWN_EXPORT_KEYS = ['generatedAt', 'region', 'subject', 'sections', 'profile', 'pseudonyms', 'consents', 'guardianConsents', 'events', 'feedback', 'tags', 'tickets', 'rights_tickets', 'assistantMemory', 'assistant_memory'] as const;

/** The rights requests in the export, under the rights module's category (or the older `tickets`); null when absent. */
export function ticketsOf(data: Record<string, unknown>): unknown[] | null {
  const value = data['rights_tickets'] ?? data['tickets'];
  return Array.isArray(value) ? value : null;
}

export interface OtherCategory {
  category: string;
  /** Its name in the page's language, from the export's `sections` (the key itself when the export has none). */
  label: string;
  /** What it is, in the page's language, when the export says. */
  describe: string | null;
  records: Record<string, string>[];
}

type Bilingual = { zh?: unknown; en?: unknown };

function textIn(value: unknown, locale: 'zh-CN' | 'en'): string | null {
  if (value === null || typeof value !== 'object') return null;
  const text = locale === 'en' ? (value as Bilingual).en : (value as Bilingual).zh;
  return typeof text === 'string' && text.trim() !== '' ? text : null;
}

/** The categories the export returns that the page has no section for, named as the export's `sections` name them, each record flattened to text. */
export function otherCategories(data: Record<string, unknown>, locale: 'zh-CN' | 'en' = 'zh-CN'): OtherCategory[] {
  const known = new Set<string>(KNOWN_EXPORT_KEYS);
  const sections = data['sections'] !== null && typeof data['sections'] === 'object' ? (data['sections'] as Record<string, { label?: unknown; describe?: unknown } | undefined>) : {};
  const out: OtherCategory[] = [];
  for (const [category, value] of Object.entries(data)) {
    if (known.has(category)) continue;
    const list = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
    const section = Object.prototype.hasOwnProperty.call(sections, category) ? sections[category] : undefined;
    out.push({ category, label: textIn(section?.label, locale) ?? category, describe: textIn(section?.describe, locale), records: list.map(flatRecord) });
  }
  return out;
}

/** A record as field → text (nested values as JSON), for the generic lists. */
export function flatRecord(record: unknown): Record<string, string> {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return { value: textOf(record) };
  return Object.fromEntries(Object.entries(record as Record<string, unknown>).map(([k, v]) => [k, textOf(v)]));
}

function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The assistant's memory, if the export has it under either spelling; null when the export has no such key. */
export function assistantMemoryOf(data: Record<string, unknown>): unknown[] | null {
  const value = data['assistantMemory'] ?? data['assistant_memory'];
  return Array.isArray(value) ? value : null;
}

export const hashPrefix = (hash: string, n = 12): string => (hash.length > n ? `${hash.slice(0, n)}…` : hash);

/** The ticket form's check: a message key, or null when it can be sent. Length counts code points, like the server's JSON schema. */
export function ticketDetailsError(details: string): 'required' | 'tooLong' | null {
  const length = [...details].length;
  if (details.trim().length === 0) return 'required';
  if (length > DETAILS_MAX) return 'tooLong';
  return null;
}

export const detailsLength = (details: string): number => [...details].length;

/** The file name of a download: the server's content-disposition name when it gives one. */
export function downloadName(contentDisposition: string | null, fallback: string): string {
  const match = contentDisposition ? /filename="?([^";]+)"?/i.exec(contentDisposition) : null;
  const name = match?.[1]?.trim();
  return name && /^[\w.-]+$/.test(name) ? name : fallback;
}

/** A time for people in the page's language (China time for zh-CN readers is their local time anyway). */
export function formatTime(ms: number, locale: Locale): string {
  return new Date(ms).toLocaleString(locale === 'en' ? 'en-GB' : 'zh-CN', { dateStyle: 'medium', timeStyle: 'short' });
}

/** A `category:<value>` tag split for display; other kinds keep their raw value. */
export function splitTag(tag: string): { kind: string; value: string } {
  const i = tag.indexOf(':');
  return i < 0 ? { kind: '', value: tag } : { kind: tag.slice(0, i), value: tag.slice(i + 1) };
}
