/**
 * The privacy centre's pure rules (no DOM, no fetch; unit-tested in node): the page's query, the
 * export split into the sections the page shows, each record's fields in words, the ticket form's
 * check, and a download's file name.
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
  /** What each further category is (the other modules' sources), by its key; absent from an older server. */
  sections?: ExportSections;
  [category: string]: unknown;
}

/** The export's `sections`: each further category's name and description, in both languages. */
export type ExportSections = Readonly<Record<string, { label?: unknown; describe?: unknown } | undefined>>;

/** The export's `sections`, or none when it has no such map. */
export function sectionsOf(data: Record<string, unknown>): ExportSections {
  const sections = data['sections'];
  return sections !== null && typeof sections === 'object' && !Array.isArray(sections) ? (sections as ExportSections) : {};
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
  /** Its records as the export has them, less empty ones (shown with recordFields). */
  records: unknown[];
}

type Bilingual = { zh?: unknown; en?: unknown };

function textIn(value: unknown, locale: 'zh-CN' | 'en'): string | null {
  if (value === null || typeof value !== 'object') return null;
  const text = locale === 'en' ? (value as Bilingual).en : (value as Bilingual).zh;
  return typeof text === 'string' && text.trim() !== '' ? text : null;
}

/**
 * The categories the export returns that the page has no section for, named as the export's
 * `sections` name them. A record with nothing in it (e.g. `{ consents: [], counted: [] }`) is not
 * a record: a category of only such records has none. The assistant's memory, which the export files
 * under `chat`, is left out here: the page shows it under its own heading (assistantMemoryOf).
 */
export function otherCategories(data: Record<string, unknown>, locale: 'zh-CN' | 'en' = 'zh-CN'): OtherCategory[] {
  const known = new Set<string>(KNOWN_EXPORT_KEYS);
  const sections = sectionsOf(data);
  const out: OtherCategory[] = [];
  for (const [category, value] of Object.entries(data)) {
    if (known.has(category)) continue;
    const list = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
    const section = sectionOf(sections, category);
    const records = list.filter((record) => !isEmptyRecord(record) && !(category === CHAT_CATEGORY && isAssistantMemory(record)));
    out.push({ category, label: textIn(section?.label, locale) ?? category, describe: textIn(section?.describe, locale), records });
  }
  return out;
}

const sectionOf = (sections: ExportSections, category: string) => (Object.hasOwn(sections, category) ? sections[category] : undefined);

/** A category's name in the page's language, as the export's `sections` give it; null when they do not. */
export function sectionLabel(sections: ExportSections, category: string, locale: 'zh-CN' | 'en'): string | null {
  return textIn(sectionOf(sections, category)?.label, locale);
}

/** The erasure report's per-source lines, each source named as the data it held was (its key when the export never named it). */
export interface ErasureLines {
  deleted: { category: string; label: string; count: number }[];
  /** What is kept and why; `label` null when the export has no name for it (the reason says what it is). */
  retained: { category: string; label: string | null; why: string }[];
}

/**
 * The report's sources named from the `sections` of the export the page showed before the erasure
 * (after it, nothing is left to ask the names of). `consent_records` and `orders` are not sources:
 * their reasons name them.
 */
export function erasureLines(
  report: { bySource: Readonly<Record<string, number>>; retained: readonly { category: string; why: { zh: string; en: string } }[] },
  sections: ExportSections,
  locale: 'zh-CN' | 'en',
): ErasureLines {
  return {
    deleted: Object.entries(report.bySource).map(([category, count]) => ({ category, label: sectionLabel(sections, category, locale) ?? category, count })),
    retained: report.retained.map((r) => ({ category: r.category, label: sectionLabel(sections, r.category, locale), why: locale === 'en' ? r.why.en : r.why.zh })),
  };
}

/** True for a record that holds nothing: null, '', an empty list, or an object whose every field holds nothing. */
export function isEmptyRecord(record: unknown): boolean {
  if (record === null || record === undefined || record === '') return true;
  if (Array.isArray(record)) return record.every(isEmptyRecord);
  if (typeof record === 'object') return Object.values(record as Record<string, unknown>).every(isEmptyRecord);
  return false;
}

function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The export's category for chat and the shopping assistant (the server's `chat` data source). */
export const CHAT_CATEGORY = 'chat';

/**
 * What the shopping assistant remembers, as the export's `chat` records tell it apart:
 * - `session_memory`: the products asked about in a show that is on, kept (sealed) for that show
 *   only and deleted when it ends, whatever the consents;
 * - `kept_memory`: the same kept (sealed) across shows for a brand, only under the assistant-memory
 *   consent, until its `expiresAt`.
 * Chat messages and questions passed to the host are not memory.
 */
export const ASSISTANT_MEMORY_KINDS = ['session_memory', 'kept_memory'] as const;

const isAssistantMemory = (record: unknown): boolean =>
  record !== null && typeof record === 'object' && (ASSISTANT_MEMORY_KINDS as readonly unknown[]).includes((record as { kind?: unknown }).kind);

/** The assistant's memory: the memory records under `chat`, and any list under a key of its own; empty when there is none. */
export function assistantMemoryOf(data: Record<string, unknown>): unknown[] {
  const chat = data[CHAT_CATEGORY];
  const own = [data['assistantMemory'], data['assistant_memory']].flatMap((value) => (Array.isArray(value) ? value : []));
  return [...(Array.isArray(chat) ? chat.filter(isAssistantMemory) : []), ...own].filter((record) => !isEmptyRecord(record));
}

/** How the page puts a record's fields into words (the page binds it to the message catalogues: record-text.ts). */
export interface RecordText {
  /** The field's name, or null when there is none (the key is shown then). */
  field(key: string): string | null;
  /** A coded value's name (a kind, an event type, a purpose, a status …) in this record, or null. */
  value(key: string, value: string, record: Readonly<Record<string, unknown>>): string | null;
  time(ms: number): string;
  money(fen: number): string;
  yes: string;
  no: string;
  /** Shown for a field that holds nothing. */
  empty: string;
  /** Between the items of a list. */
  separator: string;
}

/** A field of a record as the page shows it: its name, and its value in words, or the record or records it holds. */
export type FieldView =
  | { key: string; label: string; text: string }
  | { key: string; label: string; record: FieldView[] }
  | { key: string; label: string; records: FieldView[][] };

const TIME_FIELD = /^(?:at|[a-z][A-Za-z]*At)$/;
const MONEY_FIELD = /Fen$/;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A record's fields in words: each named (the key only when no name is known), times as times,
 * money as yuan, yes/no, coded values by their names, lists joined; records inside it (a payload,
 * a list of turns or receipts) as records of their own. A value that is not a record is one field, `value`.
 */
export function recordFields(record: unknown, text: RecordText): FieldView[] {
  const fields: Record<string, unknown> = isObject(record) ? record : { value: record };
  return Object.entries(fields).map(([key, value]): FieldView => {
    const label = text.field(key) ?? key;
    if (isEmptyRecord(value)) return { key, label, text: text.empty };
    if (isObject(value)) return { key, label, record: recordFields(value, text) };
    if (Array.isArray(value) && value.some(isObject)) return { key, label, records: value.filter((v) => !isEmptyRecord(v)).map((v) => recordFields(v, text)) };
    return { key, label, text: valueText(key, value, fields, text) };
  });
}

function valueText(key: string, value: unknown, record: Readonly<Record<string, unknown>>, text: RecordText): string {
  if (isEmptyRecord(value)) return text.empty;
  if (Array.isArray(value)) return value.map((v) => valueText(key, v, record, text)).join(text.separator);
  if (typeof value === 'boolean') return value ? text.yes : text.no;
  if (typeof value === 'number' && TIME_FIELD.test(key)) return text.time(value);
  if (typeof value === 'number' && MONEY_FIELD.test(key)) return text.money(value);
  const plain = textOf(value);
  return text.value(key, plain, record) ?? plain;
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
