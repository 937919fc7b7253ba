/**
 * Fairness audits on the pages: the server's report contract (src/modules/fairness/audit/contract.ts,
 * types only, nothing from the server is bundled), the API paths, and the small pure rules the
 * compliance console's "Fairness audits" section and the host console's "Fairness alerts" panel
 * share (no DOM, unit-tested). Every figure is an aggregate; nothing here identifies a viewer.
 */
import type {
  AuditFlag,
  AuditSummaryRow,
  AuditTrigger,
  FairnessAlert,
  ProductGrouping,
  SegmentAttribute,
  SegmentMetric,
} from '../../../../src/modules/fairness/audit/contract.ts';

export type {
  AuditFlag,
  AuditScope,
  AuditSummaryRow,
  AuditTrigger,
  ExposureSection,
  FairnessAlert,
  FairnessReport,
  ProductGrouping,
  SegmentAttribute,
  SegmentAudit,
  SegmentGroupRow,
  SegmentMetric,
} from '../../../../src/modules/fairness/audit/contract.ts';

/** The same lists as the server's contract (kept here so nothing from the server is bundled; the types check they match). */
export const AUDIT_TRIGGERS = ['session_end', 'scheduled', 'on_demand', 'live'] as const satisfies readonly AuditTrigger[];
export const SEGMENT_ATTRIBUTES = ['childAgeBand', 'cityTier', 'device', 'visitor'] as const satisfies readonly SegmentAttribute[];
export const SEGMENT_METRICS = ['premiumRate', 'meanPrice', 'meanDiscount', 'ctr', 'conversion', 'tpr', 'fpr'] as const satisfies readonly SegmentMetric[];
export const PRODUCT_GROUPINGS = ['category', 'priceBand', 'seller'] as const satisfies readonly ProductGrouping[];
export type TriggerFilter = AuditTrigger | 'all';

/** The headline figures of each audit, drawn as trend lines. */
export const HEADLINES = ['maxPriceGap', 'minParityRatio', 'exposureGini', 'coverage'] as const satisfies readonly (keyof AuditSummaryRow['headline'])[];
export type Headline = (typeof HEADLINES)[number];

/** The compare endpoint's answer (src/modules/fairness/service.ts `AuditComparison`). */
export interface AuditComparison {
  a: AuditSummaryRow | null;
  b: AuditSummaryRow | null;
  segments: { attribute: string; group: string; metric: string; a: number | null; b: number | null; change: number | null }[];
  exposure: { metric: 'gini' | 'exposureGini' | 'coverage'; a: number | null; b: number | null; change: number | null }[];
  flags: { a: readonly AuditFlag[]; b: readonly AuditFlag[] };
}

// ---- paths ----

const enc = encodeURIComponent;
const BASE = '/api/v1/fairness';
export const LIST_LIMIT = 50;
export type ReportLocale = 'zh-CN' | 'en';

export function auditListPath(filter: { trigger?: TriggerFilter; brandId?: string; sessionId?: string; limit?: number } = {}): string {
  const q = new URLSearchParams();
  if (filter.brandId) q.set('brandId', filter.brandId);
  if (filter.sessionId) q.set('sessionId', filter.sessionId);
  if (filter.trigger && filter.trigger !== 'all') q.set('trigger', filter.trigger);
  q.set('limit', String(filter.limit ?? LIST_LIMIT));
  return `${BASE}/audits?${q.toString()}`;
}
export const runAuditPath = `${BASE}/audits`;
export const auditPath = (id: string): string => `${BASE}/audits/${enc(id)}`;
/** The report as a JSON file (the browser saves it). */
export const auditJsonDownloadHref = (id: string): string => `${auditPath(id)}?download=true`;
/** The HTML report with its charts, in a language; `download` saves it as a file. */
export const auditHtmlHref = (id: string, locale: ReportLocale, download = false): string =>
  `${auditPath(id)}/report.html?locale=${enc(locale)}${download ? '&download=true' : ''}`;
export const comparePath = (a: string, b: string): string => `${BASE}/compare?a=${enc(a)}&b=${enc(b)}`;
/** One session's alerts, or (without a session) every alert, newest first. */
export const alertsPath = (sessionId: string | undefined, limit = LIST_LIMIT): string =>
  sessionId === undefined ? `${BASE}/alerts?limit=${limit}` : `${BASE}/alerts?sessionId=${enc(sessionId)}&limit=${limit}`;
export const acknowledgePath = (id: string): string => `${BASE}/alerts/${enc(id)}/acknowledge`;

// ---- the "run an audit now" form ----

export type ScopeKind = 'session' | 'brand';

export interface AuditForm {
  kind: ScopeKind;
  sessionId: string;
  brandId: string;
  /** `datetime-local` values (the browser's time zone). */
  from: string;
  until: string;
}

export type AuditBody = { sessionId: string } | { brandId: string; from: number; until: number };
export type FormProblem = 'sessionRequired' | 'brandRequired' | 'fromInvalid' | 'untilInvalid' | 'windowOrder';

const pad = (n: number): string => String(n).padStart(2, '0');
const MINUTE = 60_000;
export const DAY = 86_400_000;

/** Epoch ms → a `datetime-local` value in this browser's time zone (minutes). */
export function toLocalInput(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (local time) → epoch ms, or null when it is not a complete date and time. */
export function fromLocalInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
  // Reject dates the calendar rolled over (31 February).
  if (date.getMonth() !== mo - 1 || date.getDate() !== d || date.getHours() !== h) return null;
  return date.getTime();
}

/** The default window: the last 24 hours, to the next whole minute (so what was shown this minute is included). */
export function defaultWindow(now: number): { from: string; until: string } {
  const until = Math.ceil((now + 1) / MINUTE) * MINUTE;
  return { from: toLocalInput(until - DAY), until: toLocalInput(until) };
}

export function emptyForm(now: number): AuditForm {
  return { kind: 'session', sessionId: '', brandId: '', ...defaultWindow(now) };
}

/** The request body for the form, or why it cannot be sent yet (the server checks again). */
export function auditBody(form: AuditForm): { body: AuditBody; problem: null } | { body: null; problem: FormProblem } {
  if (form.kind === 'session') {
    const sessionId = form.sessionId.trim();
    return sessionId ? { body: { sessionId }, problem: null } : { body: null, problem: 'sessionRequired' };
  }
  const brandId = form.brandId.trim();
  if (!brandId) return { body: null, problem: 'brandRequired' };
  const from = fromLocalInput(form.from);
  if (from === null) return { body: null, problem: 'fromInvalid' };
  const until = fromLocalInput(form.until);
  if (until === null) return { body: null, problem: 'untilInvalid' };
  if (!(from < until)) return { body: null, problem: 'windowOrder' };
  return { body: { brandId, from, until }, problem: null };
}

// ---- the list and its trend ----

/** Oldest first, for the trend lines (the list comes newest first). */
export function chronological(rows: readonly AuditSummaryRow[]): AuditSummaryRow[] {
  return [...rows].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

export interface Trend {
  ids: string[];
  times: number[];
  series: Record<Headline, (number | null)[]>;
}

/** The headline figures of the listed audits as series over time (null where an audit has none). */
export function trendOf(rows: readonly AuditSummaryRow[]): Trend {
  const ordered = chronological(rows);
  const series = Object.fromEntries(HEADLINES.map((h) => [h, ordered.map((r) => finiteOrNull(r.headline[h]))])) as Record<Headline, (number | null)[]>;
  return { ids: ordered.map((r) => r.id), times: ordered.map((r) => r.createdAt), series };
}

/** The latest value of a series, or null. */
export function lastValue(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i]!;
  return null;
}

/** The pair compared by default: the newest audit against the one before it (A = older, B = newer). */
export function defaultPair(rows: readonly AuditSummaryRow[]): { a: string; b: string } {
  const ordered = [...rows].sort((x, y) => y.createdAt - x.createdAt || y.id.localeCompare(x.id));
  return { a: ordered[1]?.id ?? '', b: ordered[0]?.id ?? '' };
}

/** Known brand and session ids from the listed audits, offered as suggestions in the form. */
export function knownScopes(rows: readonly AuditSummaryRow[]): { brands: string[]; sessions: string[] } {
  const brands = new Set<string>();
  const sessions = new Set<string>();
  for (const r of rows) {
    brands.add(r.brandId);
    if (r.sessionId !== null) sessions.add(r.sessionId);
  }
  return { brands: [...brands].sort(), sessions: [...sessions].sort() };
}

// ---- alerts ----

/** Unacknowledged first, newest first within each. */
export function sortAlerts(alerts: readonly FairnessAlert[]): FairnessAlert[] {
  return [...alerts].sort((a, b) => Number(a.acknowledgedAt !== null) - Number(b.acknowledgedAt !== null) || b.createdAt - a.createdAt || a.id.localeCompare(b.id));
}

export const unacknowledged = (alerts: readonly FairnessAlert[]): number => alerts.filter((a) => a.acknowledgedAt === null).length;

/** The alert as acknowledged now (after the server said so), the others unchanged. */
export function withAcknowledged(alerts: readonly FairnessAlert[], id: string, at: number): FairnessAlert[] {
  return alerts.map((a) => (a.id === id && a.acknowledgedAt === null ? { ...a, acknowledgedAt: at } : a));
}

/** A flag's sentence in the page's language (the other language when one is empty). */
export function flagText(flag: Pick<AuditFlag, 'text'>, locale: ReportLocale): string {
  return locale === 'en' ? flag.text.en || flag.text.zh : flag.text.zh || flag.text.en;
}

// ---- numbers ----

const MINUS = '\u2212';

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function fixed(value: number, digits: number): string {
  const text = Math.abs(value).toFixed(digits);
  return Number(text) === 0 ? text : `${value < 0 ? MINUS : ''}${text}`;
}

function signed(value: number, digits: number): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return text;
  return `${value < 0 ? MINUS : '+'}${text}`;
}

/** 0.675 → "67.5%"; null → "—". */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  const v = finiteOrNull(value);
  return v === null ? '—' : `${fixed(v * 100, digits)}%`;
}

/** An index or ratio with two decimals (0.934 → "0.93"); null → "—". */
export function formatIndex(value: number | null | undefined, digits = 2): string {
  const v = finiteOrNull(value);
  return v === null ? '—' : fixed(v, digits);
}

/** A price in yuan (the report's mean prices are in yuan): 129 → "¥129.00". */
export function formatYuan(value: number | null | undefined): string {
  const v = finiteOrNull(value);
  return v === null ? '—' : `${v < 0 ? MINUS : ''}¥${Math.abs(v).toFixed(2)}`;
}

/** How a metric's value is shown: prices in yuan, rates as percentages. */
export function formatMetric(metric: string, value: number | null | undefined): string {
  return metric === 'meanPrice' ? formatYuan(value) : formatPercent(value);
}

/** A change b − a: prices in signed yuan, rates in signed percentage points ("+4.2 pp"), indices signed. */
export function formatChange(metric: string, change: number | null | undefined, pp: string): string {
  const v = finiteOrNull(change);
  if (v === null) return '—';
  if (metric === 'meanPrice') {
    const text = Math.abs(v).toFixed(2);
    return Number(text) === 0 ? '¥0.00' : `${v < 0 ? MINUS : '+'}¥${text}`;
  }
  if (metric === 'gini' || metric === 'exposureGini') return signed(v, 3);
  return `${signed(v * 100, 1)} ${pp}`;
}

/** The direction of a change, for styling and tests: up, down or none. */
export function changeDirection(change: number | null | undefined): 'up' | 'down' | 'none' {
  const v = finiteOrNull(change);
  if (v === null || Math.abs(v) < 1e-12) return 'none';
  return v > 0 ? 'up' : 'down';
}

/** Whether a name is one of the segment metrics (the compare endpoint sends them as strings). */
export const isSegmentMetric = (metric: string): metric is SegmentMetric => (SEGMENT_METRICS as readonly string[]).includes(metric);
export const isSegmentAttribute = (attribute: string): attribute is SegmentAttribute => (SEGMENT_ATTRIBUTES as readonly string[]).includes(attribute);
export const isProductGrouping = (grouping: string): grouping is ProductGrouping => (PRODUCT_GROUPINGS as readonly string[]).includes(grouping);
