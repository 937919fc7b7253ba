/**
 * Energy and carbon on the pages: the shapes of the server's energy API (src/modules/energy/routes.ts),
 * its paths, and the small pure rules the host console's meter and the compliance console's "Energy &
 * carbon" section share — units chosen to fit the figure (µWh … MWh, µg … t CO₂e, never a tiny
 * figure rounded to 0), trend series for the charts, file names for the downloads. No DOM; unit-tested.
 *
 * Every carbon figure is location-based (the grid's average factor): certificates and offsets never
 * reduce it, and nothing here takes them.
 */
import { t, type Locale } from '../i18n/index.ts';
import type { ComponentEnergy, EnergyNote, EnergyNoteCode, EnergyReport, GridFactorView, LocalisedName, RegionAdvice, SessionEnergy, TrendPoint } from '../../../src/modules/energy/contract.ts';

// ---- the server's shapes (src/modules/energy/contract.ts) ----

export type { EnergyNote, EnergyNoteCode, EnergyReport, LocalisedName, RegionAdvice, SessionEnergy, TrendPoint };
export type GridFactorRef = GridFactorView;
export type ComponentRow = ComponentEnergy;
export type RegionRankingRow = RegionAdvice['ranking'][number];

/** The metered components, then the resident memory (modelled, not metered) and the process work outside every component. */
export const ENERGY_COMPONENTS = ['recommend', 'learn', 'audits', 'assistant', 'serving', 'storage', 'memory', 'other'] as const satisfies readonly ComponentEnergy['component'][];
export type EnergyComponent = (typeof ENERGY_COMPONENTS)[number];
export const isEnergyComponent = (value: string): value is EnergyComponent => (ENERGY_COMPONENTS as readonly string[]).includes(value);

export type TrendBucket = 'hour' | 'day';
export const TREND_BUCKETS: readonly TrendBucket[] = ['hour', 'day'];

/** GET /api/v1/energy/trend?since&until&bucket */
export interface EnergyTrend {
  bucket: TrendBucket;
  points: TrendPoint[];
}

// ---- paths ----

const enc = encodeURIComponent;
const BASE = '/api/v1/energy';

/** A reporting period, epoch ms, `since` inclusive and `until` exclusive. */
export interface Period {
  since: number;
  until: number;
}

const periodQuery = (period: Period): string => `since=${enc(new Date(period.since).toISOString())}&until=${enc(new Date(period.until).toISOString())}`;

export const sessionEnergyPath = (sessionId: string): string => `/api/v1/sessions/${enc(sessionId)}/energy`;
export const energyReportPath = (period: Period): string => `${BASE}/report?${periodQuery(period)}`;
export const energyTrendPath = (period: Period, bucket: TrendBucket): string => `${BASE}/trend?${periodQuery(period)}&bucket=${bucket}`;
export const energyTrendCsvHref = (period: Period, bucket: TrendBucket): string => `${BASE}/trend.csv?${periodQuery(period)}&bucket=${bucket}`;
/** The report as a file: the server's answer with a content-disposition. */
export const energyReportDownloadHref = (period: Period): string => `${energyReportPath(period)}&download=true`;
/** The green-hosting advice for the workload measured over a period. */
export const energyRegionsPath = (period: Period): string => `${BASE}/regions?${periodQuery(period)}`;

// ---- periods ----

export type PeriodProblem = 'sinceInvalid' | 'untilInvalid' | 'order';

/** Checks a period read from the form (null: not a complete date and time). */
export function periodOf(since: number | null, until: number | null): { period: Period; problem: null } | { period: null; problem: PeriodProblem } {
  if (since === null) return { period: null, problem: 'sinceInvalid' };
  if (until === null) return { period: null, problem: 'untilInvalid' };
  if (!(since < until)) return { period: null, problem: 'order' };
  return { period: { since, until }, problem: null };
}

/** Hours for a period of two days or less, days beyond. */
export function suggestBucket(period: Period): TrendBucket {
  return period.until - period.since <= 2 * 86_400_000 ? 'hour' : 'day';
}

// ---- units ----

export interface Quantity {
  /** The number as written, in the page's language ("1.23", "—"). */
  value: string;
  /** Its unit ("mWh", "g CO₂e"); empty when there is no figure. */
  unit: string;
  /** Both together ("1.23 mWh"). */
  text: string;
}

interface Unit {
  unit: string;
  /** How many base units (Wh, g, s) one of it holds. */
  size: number;
}

export type QuantityKind = 'energy' | 'carbon' | 'cpu';

/** Largest first; the last is the smallest written. */
const LADDERS: Record<QuantityKind, readonly Unit[]> = {
  energy: [
    { unit: 'MWh', size: 1e6 },
    { unit: 'kWh', size: 1e3 },
    { unit: 'Wh', size: 1 },
    { unit: 'mWh', size: 1e-3 },
    { unit: 'µWh', size: 1e-6 },
  ],
  carbon: [
    { unit: 't CO₂e', size: 1e6 },
    { unit: 'kg CO₂e', size: 1e3 },
    { unit: 'g CO₂e', size: 1 },
    { unit: 'mg CO₂e', size: 1e-3 },
    { unit: 'µg CO₂e', size: 1e-6 },
  ],
  cpu: [
    { unit: 'h', size: 3600 },
    { unit: 's', size: 1 },
    { unit: 'ms', size: 1e-3 },
    { unit: 'µs', size: 1e-6 },
  ],
};

/** The base unit of each kind (what a zero is written in). */
const BASE_UNIT: Record<QuantityKind, string> = { energy: 'Wh', carbon: 'g CO₂e', cpu: 's' };

export const DASH = '—';
/** The smallest figure written in the smallest unit; anything positive below it is "< 0.001 µWh", never 0. */
export const FLOOR = 0.001;

const finite = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

/** Rounds to three significant digits. */
const significant = (value: number): number => Number(value.toPrecision(3));

/** The unit that writes `magnitude` (in base units, ≥ 0) as 1 … 999 after rounding; the smallest for anything smaller. */
function unitFor(kind: QuantityKind, magnitude: number): Unit {
  const ladder = LADDERS[kind];
  return ladder.find((u) => significant(magnitude / u.size) >= 1) ?? ladder[ladder.length - 1]!;
}

/** A figure in a unit: three significant digits, whole numbers from 100 up (the largest unit keeps all its digits). */
export function formatNumber(value: number, locale: Locale, digits = 3): string {
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(digits));
  return new Intl.NumberFormat(locale, { maximumSignificantDigits: Math.abs(rounded) >= 100 ? 21 : digits, maximumFractionDigits: 20 }).format(rounded);
}

/**
 * A quantity in base units (Wh, g CO₂e, CPU seconds) in the unit that suits it: 0.00042 Wh → "420 µWh",
 * 1234 Wh → "1.23 kWh". Zero is "0 Wh"; a positive figure too small for the smallest unit is
 * "< 0.001 µWh", never 0; null (no figure) is "—".
 */
export function formatQuantity(kind: QuantityKind, base: number | null | undefined, locale: Locale): Quantity {
  if (!finite(base)) return { value: DASH, unit: '', text: DASH };
  if (base === 0) return { value: '0', unit: BASE_UNIT[kind], text: `0 ${BASE_UNIT[kind]}` };
  const sign = base < 0 ? '−' : '';
  const magnitude = Math.abs(base);
  const unit = unitFor(kind, magnitude);
  const scaled = magnitude / unit.size;
  const value = scaled < FLOOR ? `< ${formatNumber(FLOOR, locale)}` : `${sign}${formatNumber(scaled, locale)}`;
  return { value, unit: unit.unit, text: `${value} ${unit.unit}` };
}

export const formatEnergyWh = (wh: number | null | undefined, locale: Locale): Quantity => formatQuantity('energy', wh, locale);
export const formatEnergyKwh = (kwh: number | null | undefined, locale: Locale): Quantity => formatQuantity('energy', finite(kwh) ? kwh * 1000 : null, locale);
export const formatCarbonG = (g: number | null | undefined, locale: Locale): Quantity => formatQuantity('carbon', g, locale);
export const formatCpuSeconds = (seconds: number | null | undefined, locale: Locale): Quantity => formatQuantity('cpu', seconds, locale);

/** A grid factor as published (four decimals): 0.5306 → "0.5306 kg CO₂e/kWh". */
export function formatFactor(kgPerKwh: number | null | undefined, locale: Locale): string {
  if (!finite(kgPerKwh)) return DASH;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 4 }).format(kgPerKwh)} kg CO₂e/kWh`;
}

/** A plain figure (PUE, hours) with up to `decimals` decimals; a positive figure that would round to 0 keeps three significant digits. */
export function formatDecimal(value: number | null | undefined, locale: Locale, decimals = 2): string {
  if (!finite(value)) return DASH;
  const rounded = Number(value.toFixed(decimals));
  if (rounded === 0 && value !== 0) return formatNumber(value, locale);
  return new Intl.NumberFormat(locale, { maximumFractionDigits: decimals }).format(rounded);
}

/** A length of time in hours, written in minutes below an hour (0.25 → 15 minutes), else in hours (2.5 → 2.5 hours). */
export function sessionTime(hours: number | null | undefined, locale: Locale): { unit: 'minutes' | 'hours'; n: string } {
  if (!finite(hours)) return { unit: 'hours', n: DASH };
  return hours < 1 ? { unit: 'minutes', n: formatDecimal(hours * 60, locale, 1) } : { unit: 'hours', n: formatDecimal(hours, locale, 2) };
}

/** A share of a whole as a percentage with one decimal ("12.5%"); a positive share below 0.1% is "< 0.1%". */
export function formatShare(part: number, whole: number, locale: Locale): string {
  if (!finite(part) || !finite(whole) || whole <= 0) return DASH;
  const share = (part / whole) * 100;
  if (share > 0 && share < 0.05) return `< ${new Intl.NumberFormat(locale).format(0.1)}%`;
  return `${new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(share)}%`;
}

// ---- the trend ----

export interface Scale {
  unit: string;
  /** Base units per unit: a value divided by this is in `unit`. */
  size: number;
}

/** One unit for a whole series, chosen by its largest figure (so the axis reads 0 … 999 of it). */
export function scaleFor(kind: QuantityKind, values: readonly (number | null)[]): Scale {
  const largest = values.reduce<number>((max, v) => (finite(v) ? Math.max(max, Math.abs(v)) : max), 0);
  const unit = largest === 0 ? (LADDERS[kind].find((u) => u.unit === BASE_UNIT[kind]) ?? LADDERS[kind][0]!) : unitFor(kind, largest);
  return { unit: unit.unit, size: unit.size };
}

export interface TrendSeries {
  /** Bucket starts, epoch ms. */
  times: number[];
  energy: { scale: Scale; values: number[] };
  carbon: { scale: Scale; values: number[] };
  intensity: { scale: Scale; values: (number | null)[] };
}

/** Rounds a scaled figure for the chart (enough digits for the axis, no float noise). */
const chartValue = (value: number): number => Number(value.toPrecision(4));

/** The trend's three series, oldest first, each in one unit that fits it: energy (Wh …), carbon and gCO₂e per 1,000 recommendations. */
export function trendSeries(points: readonly TrendPoint[]): TrendSeries {
  const sorted = [...points].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const wh = sorted.map((p) => p.energyKwh * 1000);
  const g = sorted.map((p) => p.carbonG);
  const intensity = sorted.map((p) => (finite(p.gPer1000Recommendations) ? p.gPer1000Recommendations : null));
  const energyScale = scaleFor('energy', wh);
  const carbonScale = scaleFor('carbon', g);
  const intensityScale = scaleFor('carbon', intensity);
  return {
    times: sorted.map((p) => Date.parse(p.start)),
    energy: { scale: energyScale, values: wh.map((v) => chartValue(v / energyScale.size)) },
    carbon: { scale: carbonScale, values: g.map((v) => chartValue(v / carbonScale.size)) },
    intensity: { scale: intensityScale, values: intensity.map((v) => (v === null ? null : chartValue(v / intensityScale.size))) },
  };
}

export interface TrendTotals {
  energyWh: number;
  carbonG: number;
  recommendations: number;
  /** Over the whole trend (null without recommendations). */
  gPer1000Recommendations: number | null;
}

export function trendTotals(points: readonly TrendPoint[]): TrendTotals {
  const energyWh = points.reduce((sum, p) => sum + p.energyKwh * 1000, 0);
  const carbonG = points.reduce((sum, p) => sum + p.carbonG, 0);
  const recommendations = points.reduce((sum, p) => sum + p.recommendations, 0);
  return { energyWh, carbonG, recommendations, gPer1000Recommendations: recommendations > 0 ? (carbonG / recommendations) * 1000 : null };
}

/** The trend's bucket labels: "5/3 14:00" by the hour, "5/3" by the day (in this browser's time zone). */
export function bucketLabels(times: readonly number[], bucket: TrendBucket, locale: Locale): string[] {
  const format = new Intl.DateTimeFormat(
    locale,
    bucket === 'hour' ? { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false } : { month: 'numeric', day: 'numeric' },
  );
  return times.map((time) => format.format(time));
}

// ---- the model's coefficients and the downloads ----

/** The model's coefficients as label–text pairs, in the server's order (numbers as written, objects as JSON). */
export function modelEntries(model: Record<string, unknown>): [string, string][] {
  return Object.entries(model)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => [key, typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' || value === null ? String(value) : JSON.stringify(value)]);
}

const pad = (n: number): string => String(n).padStart(2, '0');
/** 2024-05-03T14:00Z → "20240503T1400Z" (UTC, so the name is the same wherever it is downloaded). */
function stamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
}

export const reportFileName = (period: Period): string => `qingliu-energy-report-${stamp(period.since)}-${stamp(period.until)}.json`;
export const trendFileName = (period: Period, bucket: TrendBucket): string => `qingliu-energy-trend-${bucket}-${stamp(period.since)}-${stamp(period.until)}.csv`;

/** The energy model's methods by name (src/modules/energy/accounting.ts); an unknown id stays as sent. */
export const ENERGY_METHODS = ['ccf-utilisation', 'rapl-package+ccf-memory'] as const;
export function energyMethodLabel(method: string): string {
  return (ENERGY_METHODS as readonly string[]).includes(method) ? t(`energy.methods.${method as (typeof ENERGY_METHODS)[number]}`) : method;
}
