/**
 * The fairness audit of Qingliu's decision log (pure: no I/O, no clock; randomness only from the
 * seeded PRNG).
 *
 * Viewer segments. The unit is an impression (one product shown in one list). For each segment
 * attribute, "selected" (ŷ = 1) means the product shown was premium (priced at or above the
 * premiumQuantile of the prices of the products shown), and the label (y = 1) is that the viewer
 * clicked it. So the selection rate asks "is this group shown pricier products?", and the error
 * rates ask whether premium products reach the group when it does not want them (FPR, FDR: shown a
 * worse-value offer — punitive) or fail to reach it when it does (FNR). Beside that: click-through,
 * conversion, and the mean recommended price and discount, each against the reference group.
 *
 * Products. Position-weighted exposure (1/log2(1 + position)) amortised over the lists of the
 * scope, per product group, against merit (the group's click-through × its products shown): a group
 * whose share of attention is out of proportion to its share of merit is outside the band, and is
 * flagged when its measured merit differs significantly from the merit that would put it on the
 * band's edge. Gini and coverage over the catalogue.
 *
 * Significance. The unit is the viewer in the show (the decision log labels a viewer's lists with
 * a per-show key it never stores), never the row: the products of one list, and the lists of one
 * viewer, are not independent draws. Every per-group figure is a ratio of sums over the group's
 * units; its difference from the reference gets a z-test with the ratio estimator's cluster
 * (linearised) variance about the pooled ratio, a seeded bootstrap 95 % interval from resampling
 * units, and Holm's correction over every gap the audit tests (all attributes, metrics and groups).
 * A gap is flagged only when it is outside the band and significant. Viewer groups with fewer units (viewers in a show) than the
 * minimum size are reported by their size alone.
 */
import { Rng } from '../../../shared/rng.js';
import { normalUpper } from '../../experiments/stats/normal.js';
import {
  generalizedEntropyFromCounts,
  gini,
  holm,
  isSuppressed,
  multinomial,
  percentileInterval,
  positionWeight,
  quantileSorted,
  referenceDisparity,
  uniformIndexer,
  withinBand,
} from '../metrics/index.js';
import {
  PRODUCT_GROUPINGS,
  SEGMENT_ATTRIBUTES,
  type AuditFlag,
  type AuditThresholds,
  type ExposureSection,
  type MitigationSection,
  type ProductGroupExposure,
  type ProductGrouping,
  type SegmentAttribute,
  type SegmentAudit,
  type SegmentGap,
  type SegmentGroupRow,
  type SegmentMetric,
} from './contract.js';
import type { AuditLogColumns } from './log.js';
import { groupWords } from './words.js';

export interface AuditSettings {
  readonly threshold: number;
  readonly minGroupSize: number;
  readonly alpha: number;
  readonly premiumQuantile: number;
  readonly exposureBand: number;
  readonly bootstrap: number;
  readonly seed: number;
  /** Groups with at least this many units get normal-limit bootstrap draws (NORMAL_LIMIT_UNITS). */
  readonly normalLimitUnits: number;
}

export const AUDIT_SETTINGS_DEFAULTS: AuditSettings = {
  threshold: 0.8,
  minGroupSize: 30,
  alpha: 0.05,
  premiumQuantile: 0.75,
  exposureBand: 0.8,
  bootstrap: 200,
  seed: 0,
  normalLimitUnits: 2_000,
};

/** The recorded reasons for the thresholds (docs/fairness.md says more). */
export function thresholdsOf(s: AuditSettings, operatorReason?: string | null): AuditThresholds {
  const set = `set by the operator: ${operatorReason ?? 'no reason recorded'}`;
  return {
    ratio: {
      value: s.threshold,
      reason:
        s.threshold === 0.8
          ? 'the four-fifths rule (29 CFR 1607.4(D)), a widely recognised and lenient cut-off for a relative gap; a default here, not a law for recommendations'
          : set,
    },
    minGroupSize: {
      value: s.minGroupSize,
      reason:
        s.minGroupSize === 30
          ? 'a group of fewer than about 30 viewers (counted once per show: the audit never links a viewer across shows, so across shows one person may count more than once) gives rates too uncertain to support a conclusion, and small groups can single people out; product groups need as many impressions before their exposure is tested'
          : set,
    },
    alpha: { value: s.alpha, reason: 'family-wise error rate of the whole audit after Holm’s step-down correction over every gap it tests' },
    premiumQuantile: {
      value: s.premiumQuantile,
      reason: 'premium = the dearest quarter of the products shown: steering shows up as a group getting more of them than others',
    },
    exposureBand: {
      value: s.exposureBand,
      reason: 'a product group’s share of attention may differ from its share of merit by a factor of up to 1/0.8 either way before it is flagged',
    },
  };
}

export interface AuditComputation {
  readonly decisions: number;
  readonly lists: number;
  readonly personalisedShare: number | null;
  readonly premiumFromFen: number | null;
  readonly segments: SegmentAudit[];
  readonly exposure: ExposureSection;
  readonly mitigation: MitigationSection | null;
  readonly flags: AuditFlag[];
}

/** Price band of a price in fen (the recommender's bands: ¥0–99, ¥100–399, ¥400+). */
export type PriceBandOf = (priceFen: number) => string;

/** The brand's own products, in the seller grouping. */
export const OWN_SELLER = 'brand';

export function runAudit(
  log: AuditLogColumns,
  options: {
    settings?: Partial<AuditSettings>;
    catalogueSize: number;
    priceBandOf: PriceBandOf;
    /** The seller a product names in the catalogue, if any (the seller grouping is left out when none does). */
    sellerOf?: (productId: string) => string | null | undefined;
  },
): AuditComputation {
  return computeAudit(log, auditInputOf(log, options));
}

/** What an audit of the log needs besides it, as plain data (see AuditInput). */
export function auditInputOf(
  log: AuditLogColumns,
  options: { settings?: Partial<AuditSettings>; catalogueSize: number; priceBandOf: PriceBandOf; sellerOf?: (productId: string) => string | null | undefined },
): AuditInput {
  return {
    settings: options.settings,
    catalogueSize: options.catalogueSize,
    productBands: productPriceBands(log, options.priceBandOf),
    productSellers: log.productIds.map((id) => options.sellerOf?.(id) ?? null),
  };
}

/**
 * What an audit needs besides the log, as plain data (so that it can be handed to another thread):
 * each product's price band and seller, by product code.
 */
export interface AuditInput {
  readonly settings?: Partial<AuditSettings> | undefined;
  readonly catalogueSize: number;
  /** The price band of each product (by code in the log), at its mean price shown. */
  readonly productBands: readonly string[];
  /** The seller each product names in the catalogue, or null (the seller grouping is left out when none does). */
  readonly productSellers: readonly (string | null)[];
}

/** Each product's price band (by code in the log), at the mean of the prices it was shown at. */
export function productPriceBands(log: AuditLogColumns, priceBandOf: PriceBandOf): string[] {
  const k = log.productIds.length;
  const priceSum = new Float64Array(k);
  const count = new Float64Array(k);
  for (let i = 0; i < log.rows; i++) {
    priceSum[log.product[i]!]! += log.priceFen[i]!;
    count[log.product[i]!]! += 1;
  }
  return Array.from({ length: k }, (_, p) => priceBandOf(priceSum[p]! / Math.max(1, count[p]!)));
}

/** The audit of a log, from plain data (see AuditInput). */
export function computeAudit(log: AuditLogColumns, input: AuditInput): AuditComputation {
  const s = { ...AUDIT_SETTINGS_DEFAULTS, ...input.settings };
  const n = log.rows;
  const lists = log.lists;
  let personalised = 0;
  for (let i = 0; i < n; i++) personalised += log.personalised[i]!;
  const premiumFromFen = premiumCut(log, s.premiumQuantile);
  const premium = new Uint8Array(n);
  if (premiumFromFen !== null) for (let i = 0; i < n; i++) premium[i] = log.priceFen[i]! >= premiumFromFen ? 1 : 0;

  const segments = correctAcrossSegments(
    SEGMENT_ATTRIBUTES.map((attribute, a) => segmentAudit(log, attribute, premium, s, s.seed + 1_000 * (a + 1))),
    s,
  );
  const groupOf = groupers(log, input.productBands, input.productSellers);
  const exposure = exposureSection(log, lists, input.catalogueSize, groupOf, s);
  const flags = [...segments.flatMap(segmentFlags), ...exposureFlags(exposure)];
  const mitigation = mitigationSection(log, groupOf, s);
  return { decisions: n, lists, personalisedShare: n > 0 ? personalised / n : null, premiumFromFen, segments, exposure, mitigation, flags };
}

/**
 * Holm's correction over every gap the audit tests — all attributes, metrics and groups are one
 * family — so that auditing more segments and metrics does not raise more false flags: with 4
 * attributes, 7 metrics and 2–4 groups each, correcting per metric alone would flag about one gap
 * per audit in a world with no gap at all.
 */
function correctAcrossSegments(segments: SegmentAudit[], s: AuditSettings): SegmentAudit[] {
  const all = segments.flatMap((a) => a.gaps.map((g) => g.pValue));
  const adjusted = holm(all);
  let k = 0;
  return segments.map((a) => ({
    ...a,
    gaps: a.gaps.map((g) => {
      const pAdjusted = adjusted[k++]!;
      return { ...g, pAdjusted, flagged: g.fair === false && pAdjusted !== null && pAdjusted < s.alpha };
    }),
  }));
}

/** The premiumQuantile of the products' prices (each product once, at its mean price shown). */
function premiumCut(log: AuditLogColumns, q: number): number | null {
  const k = log.productIds.length;
  if (k === 0) return null;
  const sum = new Float64Array(k);
  const count = new Int32Array(k);
  for (let i = 0; i < log.rows; i++) {
    sum[log.product[i]!]! += log.priceFen[i]!;
    count[log.product[i]!]! += 1;
  }
  const prices = Float64Array.from({ length: k }, (_, p) => sum[p]! / Math.max(1, count[p]!)).sort();
  return Math.round(quantileSorted(prices, q));
}

// ---- viewer segments ----

const NO_SUMMARY: SegmentAudit['summary'] = {
  demographicParityDifference: null,
  demographicParityRatio: null,
  equalizedOddsDifference: null,
  equalOpportunityDifference: null,
  generalizedEntropyIndex: null,
  theilIndex: null,
};

/**
 * Every per-group figure is a ratio of two sums over the group's units, R = Σy / Σx: the unit is one
 * viewer's lists in the show, so neither the rows of a list nor a viewer's lists count as independent.
 */
const RATIO_METRICS: readonly { metric: SegmentMetric; y: number; x: number }[] = [
  { metric: 'premiumRate', y: 0, x: 7 },
  { metric: 'meanPrice', y: 1, x: 7 },
  { metric: 'meanDiscount', y: 2, x: 7 },
  { metric: 'ctr', y: 3, x: 7 },
  { metric: 'conversion', y: 4, x: 7 },
  { metric: 'tpr', y: 5, x: 3 },
  { metric: 'fpr', y: 6, x: 8 },
];
/** Beyond this many classes of identical units, the bootstrap draws per group (below). */
const MAX_CLASSES = 4_096;
/**
 * A group with at least this many units has a replicate's resampled sums drawn from their normal
 * limit: a sum of thousands of independent draws, whose percentile interval then matches resampling
 * unit by unit to within the Monte Carlo error of 200 resamples (tested).
 */
export const NORMAL_LIMIT_UNITS = 2_000;

/**
 * Mean and lower Cholesky factor (pivots with no variance left as zeros) of the vectors of the
 * given units, each `dims` numbers long in `data`.
 */
function normalLimit(units: readonly number[], data: Float64Array, dims: number = SUMS): { mean: Float64Array; chol: Float64Array } {
  const m = units.length;
  const mean = new Float64Array(dims);
  for (const u of units) for (let k = 0; k < dims; k++) mean[k]! += data[u * dims + k]!;
  for (let k = 0; k < dims; k++) mean[k]! /= m;
  const cov = new Float64Array(dims * dims);
  const d = new Float64Array(dims);
  for (const u of units) {
    for (let k = 0; k < dims; k++) d[k] = data[u * dims + k]! - mean[k]!;
    for (let r = 0; r < dims; r++) {
      const dr = d[r]!;
      if (dr === 0) continue;
      for (let c = 0; c <= r; c++) cov[r * dims + c]! += dr * d[c]!;
    }
  }
  for (let i = 0; i < cov.length; i++) cov[i]! /= m;
  // Cholesky with pivots at or below a relative tolerance treated as zero: some sums are exact
  // combinations of others (items = clicks + not clicked), so the covariance is only semi-definite.
  const chol = new Float64Array(dims * dims);
  for (let j = 0; j < dims; j++) {
    let v = cov[j * dims + j]!;
    for (let k = 0; k < j; k++) v -= chol[j * dims + k]! ** 2;
    const tolerance = 1e-10 * Math.max(1, cov[j * dims + j]!);
    if (!(v > tolerance)) continue;
    const root = Math.sqrt(v);
    chol[j * dims + j] = root;
    for (let i = j + 1; i < dims; i++) {
      let w = cov[i * dims + j]!;
      for (let k = 0; k < j; k++) w -= chol[i * dims + k]! * chol[j * dims + k]!;
      chol[i * dims + j] = w / root;
    }
  }
  return { mean, chol };
}

/** One draw of the sum of N vectors from their normal limit (mean N·μ, covariance N·Σ) into `out`. */
function drawNormalSum(rng: Rng, limit: { mean: Float64Array; chol: Float64Array }, N: number, z: Float64Array, out: Float64Array, offset = 0): void {
  const dims = limit.mean.length;
  for (let k = 0; k < dims; k++) z[k] = rng.normal();
  const scale = Math.sqrt(N);
  for (let r = 0; r < dims; r++) {
    let v = N * limit.mean[r]!;
    for (let c = 0; c <= r; c++) v += scale * limit.chol[r * dims + c]! * z[c]!;
    out[offset + r] = v;
  }
}
/** Per list: 0 premium, 1 Σ price (yuan), 2 Σ discount, 3 clicks, 4 purchases, 5 premium ∧ clicked, 6 premium ∧ not clicked, 7 items, 8 not clicked. */
const SUMS = 9;

function segmentAudit(log: AuditLogColumns, attribute: SegmentAttribute, premium: Uint8Array, s: AuditSettings, seed: number): SegmentAudit {
  const column = log.segments[attribute];
  const n = log.rows;
  // Clusters: one per unit (a viewer's lists in the show), or per unit and segment value when the
  // viewer's segment changed during the show (declared later, say).
  const U = log.units;
  const unitCode = new Int16Array(U).fill(-3);
  const extra = new Map<number, number>();
  const clusterOfRow = new Int32Array(n);
  let recorded = 0;
  for (let i = 0; i < n; i++) {
    const c = column.code[i]!;
    if (c >= 0) recorded++;
    const u = log.unit[i]!;
    if (unitCode[u] === -3) unitCode[u] = c;
    if (unitCode[u] === c) clusterOfRow[i] = u;
    else {
      const key = u * 128 + (c + 1);
      let k = extra.get(key);
      if (k === undefined) {
        k = U + extra.size;
        extra.set(key, k);
      }
      clusterOfRow[i] = k;
    }
  }
  const C = U + extra.size;
  const listGroup = new Int32Array(C);
  listGroup.set(unitCode);
  for (const [key, k] of extra) listGroup[k] = (key % 128) - 1;
  const sums = new Float64Array(C * SUMS);
  for (let i = 0; i < n; i++) {
    const o = clusterOfRow[i]! * SUMS;
    const p = premium[i]!;
    const clicked = log.clicked[i]!;
    const price = log.priceFen[i]!;
    const list = log.listPriceFen[i]!;
    sums[o]! += p;
    sums[o + 1]! += price / 100;
    sums[o + 2]! += list > price && list > 0 ? 1 - price / list : 0;
    sums[o + 3]! += clicked;
    sums[o + 4]! += log.purchased[i]!;
    sums[o + 5]! += p & clicked;
    sums[o + 6]! += p & (1 - clicked);
    sums[o + 7]! += 1;
    sums[o + 8]! += 1 - clicked;
  }
  const L = C;
  const base = { attribute, recorded, missing: n - recorded };
  if (recorded === 0) return { ...base, status: 'not_recorded', reference: null, groups: [], gaps: [], signed: [], summary: NO_SUMMARY };

  const names = column.values;
  const G = names.length;
  const unitsOf = new Int32Array(G);
  const total = new Float64Array(G * SUMS);
  for (let l = 0; l < L; l++) {
    const g = listGroup[l]!;
    if (g < 0) continue;
    unitsOf[g]! += 1;
    for (let k = 0; k < SUMS; k++) total[g * SUMS + k]! += sums[l * SUMS + k]!;
  }
  const present = names.map((_, g) => g).filter((g) => unitsOf[g]! > 0);
  const suppressed = (g: number) => isSuppressed(unitsOf[g]!, s.minGroupSize);
  const reported = present.filter((g) => !suppressed(g));
  const impressions = (g: number) => total[g * SUMS + 7]!;
  if (reported.length === 0) {
    return { ...base, status: 'too_few', reference: null, groups: sortRows(present.map((g) => suppressedRow(names[g]!, unitsOf[g]!, impressions(g)))), gaps: [], signed: [], summary: NO_SUMMARY };
  }
  // The reference: the group with the most units (its figures are the most precise; presumes nothing).
  const ref = reported.reduce((best, g) => (unitsOf[g]! > unitsOf[best]! || (unitsOf[g] === unitsOf[best] && names[g]! < names[best]!) ? g : best), reported[0]!);
  const ratioOf = (t: Float64Array, g: number, m: { y: number; x: number }) => (t[g * SUMS + m.x]! > 0 ? t[g * SUMS + m.y]! / t[g * SUMS + m.x]! : null);
  const value = (g: number, metric: SegmentMetric) => ratioOf(total, g, RATIO_METRICS.find((m) => m.metric === metric)!);

  const allPremium = reported.reduce((a, g) => a + total[g * SUMS]!, 0);
  const groups: SegmentGroupRow[] = present.map((g) => {
    if (suppressed(g)) return suppressedRow(names[g]!, unitsOf[g]!, impressions(g));
    const fnr = value(g, 'tpr');
    const premiumCount = total[g * SUMS]!;
    const clickedPremium = total[g * SUMS + 5]!;
    const clicks = total[g * SUMS + 3]!;
    const notPremium = impressions(g) - premiumCount;
    return {
      group: names[g]!,
      viewers: unitsOf[g]!,
      impressions: impressions(g),
      suppressed: false,
      premiumRate: value(g, 'premiumRate'),
      premiumShare: allPremium > 0 ? premiumCount / allPremium : null,
      ctr: value(g, 'ctr'),
      conversion: value(g, 'conversion'),
      meanPrice: value(g, 'meanPrice'),
      meanDiscount: value(g, 'meanDiscount'),
      tpr: fnr,
      fpr: value(g, 'fpr'),
      fnr: fnr === null ? null : 1 - fnr,
      // Of the premium shown, the share not clicked; of the rest, the share clicked.
      fdr: premiumCount > 0 ? total[g * SUMS + 6]! / premiumCount : null,
      for: notPremium > 0 ? (clicks - clickedPremium) / notPremium : null,
    };
  });

  const compared = reported.filter((g) => g !== ref);
  const gaps: SegmentGap[] = [];
  if (compared.length > 0) {
    const ci = clusterBootstrap(listGroup, sums, G, ref, compared, s.bootstrap, seed, s.normalLimitUnits);
    RATIO_METRICS.forEach((m, mi) => {
      const refValue = ratioOf(total, ref, m);
      const tests = compared.map((g) => {
        const v = ratioOf(total, g, m);
        if (v === null || refValue === null) return null;
        // Residuals about the pooled ratio (as the pooled two-proportion z-test does): a group with
        // no events at all still has a variance, so it cannot look certain.
        const rx = total[ref * SUMS + m.x]! + total[g * SUMS + m.x]!;
        const pooled = rx > 0 ? (total[ref * SUMS + m.y]! + total[g * SUMS + m.y]!) / rx : null;
        const se = Math.sqrt(ratioVariance(listGroup, sums, g, m, pooled) + ratioVariance(listGroup, sums, ref, m, pooled));
        if (!(se > 0)) return v === refValue ? 1 : null;
        return Math.min(1, 2 * normalUpper(Math.abs(v - refValue) / se));
      });
      compared.forEach((g, k) => {
        const v = ratioOf(total, g, m);
        const d = referenceDisparity(v, refValue, s.threshold);
        // Corrected with every other gap of the audit (correctAcrossSegments).
        const pAdjusted = tests[k]!;
        gaps.push({
          group: names[g]!,
          metric: m.metric,
          value: v,
          referenceValue: refValue,
          difference: d.difference,
          ratio: d.ratio,
          fair: d.fair,
          ci95: ci && d.difference !== null ? percentileInterval(ci[mi]![k]!) : null,
          pValue: tests[k]!,
          pAdjusted,
          flagged: d.fair === false && pAdjusted !== null && pAdjusted < s.alpha,
        });
      });
    });
  }

  const refRow = groups.find((r) => r.group === names[ref]);
  const signed = groups
    .filter((r) => !r.suppressed && r.group !== names[ref])
    .map((r) => {
      const f = sub(r.fpr, refRow?.fpr ?? null);
      const t = sub(r.tpr, refRow?.tpr ?? null);
      return {
        group: r.group,
        statisticalParityDifference: sub(r.premiumRate, refRow?.premiumRate ?? null),
        disparateImpact: div(r.premiumRate, refRow?.premiumRate ?? null),
        equalOpportunityDifference: t,
        averageOddsDifference: f === null || t === null ? null : (f + t) / 2,
      };
    });
  return {
    ...base,
    status: reported.length >= 2 ? 'ok' : 'one_group',
    reference: names[ref]!,
    groups: sortRows(groups),
    gaps: reported.length >= 2 ? gaps : [],
    signed,
    summary: summaryOf(groups.filter((r) => !r.suppressed), reported.map((g) => g * SUMS).map((o) => ({ fn: total[o + 3]! - total[o + 5]!, tp: total[o + 5]!, fp: total[o + 6]!, n: total[o + 7]! }))),
  };
}

/**
 * The variance of a ratio estimator R = Σy/Σx over a group's units (linearisation, as for cluster
 * samples): n/(n − 1) · Σ(y_i − R·x_i)² / (Σx)².
 */
function ratioVariance(listGroup: Int32Array, sums: Float64Array, g: number, m: { y: number; x: number }, r: number | null): number {
  if (r === null) return Number.NaN;
  let n = 0;
  let sx = 0;
  let ss = 0;
  for (let l = 0; l < listGroup.length; l++) {
    if (listGroup[l] !== g) continue;
    const x = sums[l * SUMS + m.x]!;
    const e = sums[l * SUMS + m.y]! - r * x;
    n++;
    sx += x;
    ss += e * e;
  }
  return n > 1 && sx > 0 ? ((n / (n - 1)) * ss) / (sx * sx) : Number.NaN;
}

/**
 * Seeded percentile-bootstrap replicates of each compared group's difference from the reference,
 * per metric: units resampled with replacement from the whole log (so group sizes vary as in a new
 * sample). Units with the same group and the same sums are one class, drawn together from their
 * multinomial (the exact same distribution as drawing units one by one, at the cost of the classes).
 */
function clusterBootstrap(
  listGroup: Int32Array,
  sums: Float64Array,
  G: number,
  ref: number,
  compared: readonly number[],
  replicates: number,
  seed: number,
  normalLimitUnits: number,
): Float64Array[][] | undefined {
  if (replicates <= 0) return undefined;
  const rng = new Rng(seed);
  const out = RATIO_METRICS.map(() => compared.map(() => new Float64Array(replicates).fill(Number.NaN)));
  const acc = new Float64Array(G * SUMS);
  const record = (b: number) => {
    RATIO_METRICS.forEach((m, mi) => {
      const rx = acc[ref * SUMS + m.x]!;
      if (!(rx > 0)) return;
      const r = acc[ref * SUMS + m.y]! / rx;
      compared.forEach((g, k) => {
        const x = acc[g * SUMS + m.x]!;
        if (x > 0) out[mi]![k]![b] = acc[g * SUMS + m.y]! / x - r;
      });
    });
  };
  const members: number[] = [];
  for (let l = 0; l < listGroup.length; l++) if (listGroup[l]! >= 0) members.push(l);
  const n = members.length;
  if (n === 0) return out;
  // Classes of identical units among those that carry the attribute: when there are few (identical
  // lists, say), one multinomial draw over the classes per replicate.
  const classOf = new Map<string, number>();
  const classGroup: number[] = [];
  const classSums: number[] = [];
  const counts: number[] = [];
  for (const l of members) {
    let key = `${listGroup[l]}`;
    for (let k = 0; k < SUMS; k++) key += `|${sums[l * SUMS + k]!}`;
    let c = classOf.get(key);
    if (c === undefined) {
      if (counts.length >= MAX_CLASSES) break;
      c = counts.length;
      classOf.set(key, c);
      classGroup.push(listGroup[l]!);
      for (let k = 0; k < SUMS; k++) classSums.push(sums[l * SUMS + k]!);
      counts.push(0);
    }
    counts[c]! += 1;
  }
  if (counts.length < MAX_CLASSES) {
    const weights = Float64Array.from(counts);
    const drawn = new Float64Array(weights.length);
    for (let b = 0; b < replicates; b++) {
      multinomial(rng, n, weights, drawn);
      acc.fill(0);
      for (let c = 0; c < drawn.length; c++) {
        const times = drawn[c]!;
        if (times === 0) continue;
        const o = classGroup[c]! * SUMS;
        for (let k = 0; k < SUMS; k++) acc[o + k]! += times * classSums[c * SUMS + k]!;
      }
      record(b);
    }
    return out;
  }
  // Many distinct units. Resampling n units from the whole log is the same as drawing how many come
  // from each group, N ~ Multinomial(n, n_g / n), then N_g units with replacement within group g.
  // A group with at least `normalLimitUnits` units has its resampled sums drawn from their normal
  // limit (mean N_g·μ_g, covariance N_g·Σ_g, the sums' exact mean and covariance); a smaller group is
  // resampled unit by unit.
  const byGroup: number[][] = Array.from({ length: G }, () => []);
  for (const l of members) byGroup[listGroup[l]!]!.push(l);
  const sizes = Float64Array.from(byGroup, (u) => u.length);
  const drawnSizes = new Float64Array(G);
  const limits = byGroup.map((units) => (units.length >= normalLimitUnits ? normalLimit(units, sums) : undefined));
  const indexers = byGroup.map((units) => (units.length > 0 && units.length < normalLimitUnits ? uniformIndexer(rng, units.length) : undefined));
  const z = new Float64Array(SUMS);
  for (let b = 0; b < replicates; b++) {
    acc.fill(0);
    multinomial(rng, n, sizes, drawnSizes);
    for (let g = 0; g < G; g++) {
      const N = drawnSizes[g]!;
      if (N === 0) continue;
      const o = g * SUMS;
      const limit = limits[g];
      if (limit) {
        drawNormalSum(rng, limit, N, z, acc, o);
      } else {
        const units = byGroup[g]!;
        const index = indexers[g]!;
        for (let d = 0; d < N; d++) {
          const u = units[index()]! * SUMS;
          for (let k = 0; k < SUMS; k++) acc[o + k]! += sums[u + k]!;
        }
      }
    }
    record(b);
  }
  return out;
}

/** fairlearn's aggregates over the reported groups, and AIF360's individual indices over their impressions. */
function summaryOf(rows: readonly SegmentGroupRow[], cells: readonly { fn: number; tp: number; fp: number; n: number }[]): SegmentAudit['summary'] {
  const spread = (values: (number | null)[]) => {
    const v = values.filter((x): x is number => x !== null);
    if (v.length < 2) return { diff: null, ratio: null };
    const max = Math.max(...v);
    const min = Math.min(...v);
    return { diff: max - min, ratio: max > 0 ? min / max : null };
  };
  const dp = spread(rows.map((r) => r.premiumRate));
  const tpr = spread(rows.map((r) => r.tpr));
  const fpr = spread(rows.map((r) => r.fpr));
  // Benefit b = ŷ − y + 1 per impression: 0 for a click not shown premium (FN), 2 for premium not clicked (FP), else 1.
  const c = cells.reduce((a, x) => ({ n0: a.n0 + x.fn, n2: a.n2 + x.fp, n: a.n + x.n }), { n0: 0, n2: 0, n: 0 });
  const counts = { n0: c.n0, n1: c.n - c.n0 - c.n2, n2: c.n2 };
  return {
    demographicParityDifference: dp.diff,
    demographicParityRatio: dp.ratio,
    equalizedOddsDifference: tpr.diff === null && fpr.diff === null ? null : Math.max(tpr.diff ?? 0, fpr.diff ?? 0),
    equalOpportunityDifference: tpr.diff,
    generalizedEntropyIndex: c.n > 0 ? generalizedEntropyFromCounts(counts, 2) : null,
    theilIndex: c.n > 0 ? generalizedEntropyFromCounts(counts, 1) : null,
  };
}

function suppressedRow(group: string, viewers: number, impressions: number): SegmentGroupRow {
  return {
    group,
    viewers,
    impressions,
    suppressed: true,
    premiumRate: null,
    premiumShare: null,
    ctr: null,
    conversion: null,
    meanPrice: null,
    meanDiscount: null,
    tpr: null,
    fpr: null,
    fnr: null,
    fdr: null,
    for: null,
  };
}

const sortRows = (rows: SegmentGroupRow[]) => rows.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
const sub = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
const div = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);

// ---- products ----

/** Each product grouping's name of a product (by code); groupings that do not apply are absent. */
type Groupers = Partial<Record<ProductGrouping, (p: number) => string>>;

function groupers(log: AuditLogColumns, bands: readonly string[], sellers: readonly (string | null)[]): Groupers {
  return {
    category: (p) => log.productCategory[p]!,
    priceBand: (p) => bands[p]!,
    ...(sellers.some((x) => x !== null) ? { seller: (p: number) => sellers[p] ?? OWN_SELLER } : {}),
  };
}

/** The attention of each position a decision can carry (1–255; the log keeps positions as bytes). */
const POSITION_WEIGHT = Float64Array.from({ length: 256 }, (_, j) => (j === 0 ? 0 : positionWeight(j)));

function exposureSection(log: AuditLogColumns, lists: number, catalogueSize: number, groupOf: Groupers, s: AuditSettings): ExposureSection {
  const k = log.productIds.length;
  const impressions = new Float64Array(k);
  const attention = new Float64Array(k);
  const clicks = new Float64Array(k);
  for (let i = 0; i < log.rows; i++) {
    const p = log.product[i]!;
    impressions[p]! += 1;
    attention[p]! += POSITION_WEIGHT[log.position[i]!]!;
    clicks[p]! += log.clicked[i]!;
  }
  const L = Math.max(1, lists);
  const exposure = attention.map((a) => a / L);
  const size = Math.max(catalogueSize, k);
  const totalExposure = exposure.reduce((a, b) => a + b, 0);

  const groupings = PRODUCT_GROUPINGS.filter((grouping) => groupOf[grouping] !== undefined).map((grouping) => {
    const nameOf = groupOf[grouping]!;
    const names: string[] = [];
    const codeOf = new Map<string, number>();
    const productGroup = new Int32Array(k);
    for (let p = 0; p < k; p++) {
      const name = nameOf(p);
      let c = codeOf.get(name);
      if (c === undefined) {
        c = names.length;
        codeOf.set(name, c);
        names.push(name);
      }
      productGroup[p] = c;
    }
    const G = names.length;
    const products = new Float64Array(G);
    const groupImpressions = new Float64Array(G);
    const groupExposure = new Float64Array(G);
    const groupClicks = new Float64Array(G);
    for (let p = 0; p < k; p++) {
      const g = productGroup[p]!;
      products[g]! += 1;
      groupImpressions[g]! += impressions[p]!;
      groupExposure[g]! += exposure[p]!;
      groupClicks[g]! += clicks[p]!;
    }
    // Merit: the group's click-through; a group deserves attention in proportion to merit × products.
    const merit = (g: number) => (groupImpressions[g]! > 0 ? groupClicks[g]! / groupImpressions[g]! : 0);
    let meritMass = 0;
    for (let g = 0; g < G; g++) meritMass += merit(g) * products[g]!;
    // Per unit and group: clicks and impressions, for the cluster variance of each group's merit
    // (dense arrays: units × groups is small next to the log; a unit never shown a group adds 0).
    const cellClicks = new Float64Array(log.units * G);
    const cellImpressions = new Float64Array(log.units * G);
    const cellAttention = new Float64Array(log.units * G);
    for (let i = 0; i < log.rows; i++) {
      const c = log.unit[i]! * G + productGroup[log.product[i]!]!;
      cellClicks[c]! += log.clicked[i]!;
      cellImpressions[c]! += 1;
      cellAttention[c]! += POSITION_WEIGHT[log.position[i]!]!;
    }
    const intervals = exposureBootstrap(cellAttention, cellClicks, cellImpressions, products, G, log.units, s, s.seed + 7_000 + PRODUCT_GROUPINGS.indexOf(grouping));
    const U = Math.max(2, log.units);
    const rows = names.map((group, g) => {
      const exposureShare = totalExposure > 0 ? groupExposure[g]! / totalExposure : 0;
      const meritShare = meritMass > 0 ? (merit(g) * products[g]!) / meritMass : null;
      const ratio = meritShare !== null && meritShare > 0 ? exposureShare / meritShare : null;
      const fair = ratio === null ? null : withinBand(ratio, s.exposureBand);
      // Is the gap more than noise in the measured merit? Test the group's click-through against the
      // click-through that would put it exactly on the band's edge (others' merit held), with the
      // cluster variance over units about that value.
      let pValue: number | null = null;
      if (fair === false && ratio !== null && groupImpressions[g]! >= s.minGroupSize) {
        const edge = ratio > 1 ? 1 / s.exposureBand : s.exposureBand;
        const target = exposureShare / edge;
        const others = meritMass - merit(g) * products[g]!;
        const mStar = target < 1 ? (target * others) / (products[g]! * (1 - target)) : Number.POSITIVE_INFINITY;
        if (Number.isFinite(mStar)) {
          let ss = 0;
          for (let c = g; c < cellClicks.length; c += G) {
            const e = cellClicks[c]! - mStar * cellImpressions[c]!;
            ss += e * e;
          }
          const se = Math.sqrt(((U / (U - 1)) * ss) / (groupImpressions[g]! * groupImpressions[g]!));
          pValue = se > 0 ? Math.min(1, 2 * normalUpper(Math.abs(merit(g) - mStar) / se)) : null;
        }
      }
      return { group, g, exposureShare, meritShare, ratio, fair, pValue };
    });
    const adjusted = holm(rows.map((r) => r.pValue));
    const groups: ProductGroupExposure[] = rows
      .map((r, i) => ({
        group: r.group,
        products: products[r.g]!,
        impressions: groupImpressions[r.g]!,
        meanExposure: groupExposure[r.g]! / products[r.g]!,
        exposureShare: r.exposureShare,
        merit: groupImpressions[r.g]! > 0 ? merit(r.g) : null,
        meritShare: r.meritShare,
        exposurePerMerit: r.ratio,
        ci95: r.ratio === null ? null : intervals ? percentileInterval(intervals[r.g]!) : null,
        fair: r.fair,
        pValue: r.pValue,
        pAdjusted: adjusted[i]!,
        flagged: r.fair === false && adjusted[i] !== null && adjusted[i]! < s.alpha,
      }))
      .sort((x, y) => (x.group < y.group ? -1 : x.group > y.group ? 1 : 0));
    const means = groups.map((g) => g.meanExposure);
    const max = Math.max(...means);
    return { grouping, groups, minMaxRatio: groups.length > 1 && max > 0 ? Math.min(...means) / max : null };
  });
  return {
    lists,
    productsShown: k,
    catalogueSize: size,
    coverage: size > 0 ? k / size : null,
    gini: k > 0 ? gini(impressions, { catalogSize: size }) : null,
    exposureGini: k > 0 ? gini(exposure, { catalogSize: size }) : null,
    groupings,
  };
}

/**
 * Seeded bootstrap replicates of each product group's exposure ÷ merit: units (viewers in the show)
 * resampled with replacement; with at least `normalLimitUnits` units the resampled sums of every
 * group's (attention, clicks, impressions) are drawn from their joint normal limit.
 */
function exposureBootstrap(
  attention: Float64Array,
  clicks: Float64Array,
  impressions: Float64Array,
  products: Float64Array,
  G: number,
  U: number,
  s: AuditSettings,
  seed: number,
): Float64Array[] | undefined {
  if (s.bootstrap <= 0 || U < 2) return undefined;
  const dims = 3 * G;
  const data = new Float64Array(U * dims);
  for (let u = 0; u < U; u++) {
    for (let g = 0; g < G; g++) {
      data[u * dims + g] = attention[u * G + g]!;
      data[u * dims + G + g] = clicks[u * G + g]!;
      data[u * dims + 2 * G + g] = impressions[u * G + g]!;
    }
  }
  const rng = new Rng(seed);
  const out = Array.from({ length: G }, () => new Float64Array(s.bootstrap).fill(Number.NaN));
  const acc = new Float64Array(dims);
  const all = Array.from({ length: U }, (_, u) => u);
  const limit = U >= s.normalLimitUnits ? normalLimit(all, data, dims) : undefined;
  const index = limit ? undefined : uniformIndexer(rng, U);
  const z = new Float64Array(dims);
  for (let b = 0; b < s.bootstrap; b++) {
    if (limit) drawNormalSum(rng, limit, U, z, acc);
    else {
      acc.fill(0);
      for (let d = 0; d < U; d++) {
        const o = index!() * dims;
        for (let k = 0; k < dims; k++) acc[k]! += data[o + k]!;
      }
    }
    let totalAttention = 0;
    let meritMass = 0;
    for (let g = 0; g < G; g++) {
      totalAttention += acc[g]!;
      if (acc[2 * G + g]! > 0) meritMass += (acc[G + g]! / acc[2 * G + g]!) * products[g]!;
    }
    if (!(totalAttention > 0 && meritMass > 0)) continue;
    for (let g = 0; g < G; g++) {
      const i = acc[2 * G + g]!;
      if (!(i > 0)) continue;
      const meritShare = ((acc[G + g]! / i) * products[g]!) / meritMass;
      if (meritShare > 0) out[g]![b] = acc[g]! / totalAttention / meritShare;
    }
  }
  return out;
}

// ---- mitigation ----

/**
 * Re-ranked lists (kept or changed) against held-out ones: click-through with a unit-clustered
 * variance of the difference of the two ratios (each unit's linearised contribution to both), and
 * how far attention strays from merit in each.
 */
function mitigationSection(log: AuditLogColumns, groupOf: Groupers, s: AuditSettings): MitigationSection | null {
  const n = log.rows;
  let any = false;
  for (let i = 0; i < n && !any; i++) any = log.rerank[i]! > 0;
  if (!any) return null;
  const U = log.units;
  const aY = new Float64Array(U);
  const aX = new Float64Array(U);
  const hY = new Float64Array(U);
  const hX = new Float64Array(U);
  const listState = new Uint8Array(log.lists);
  for (let i = 0; i < n; i++) {
    const r = log.rerank[i]!;
    if (r === 0) continue;
    listState[log.list[i]!] = r;
    const u = log.unit[i]!;
    if (r === 1) {
      hY[u]! += log.clicked[i]!;
      hX[u]! += 1;
    } else {
      aY[u]! += log.clicked[i]!;
      aX[u]! += 1;
    }
  }
  let applied = 0;
  let changed = 0;
  let holdout = 0;
  for (const st of listState) {
    if (st === 1) holdout++;
    else if (st >= 2) applied++;
    if (st === 3) changed++;
  }
  const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
  const [SAY, SAX, SHY, SHX] = [sum(aY), sum(aX), sum(hY), sum(hX)];
  const rA = SAX > 0 ? SAY / SAX : null;
  const rH = SHX > 0 ? SHY / SHX : null;
  let ci95: [number, number] | null = null;
  let pValue: number | null = null;
  const difference = rA !== null && rH !== null ? rA - rH : null;
  if (difference !== null) {
    let ss = 0;
    let units = 0;
    for (let u = 0; u < U; u++) {
      if (aX[u] === 0 && hX[u] === 0) continue;
      units++;
      const d = (aY[u]! - rA! * aX[u]!) / SAX - (hY[u]! - rH! * hX[u]!) / SHX;
      ss += d * d;
    }
    const se = units > 1 ? Math.sqrt((units / (units - 1)) * ss) : Number.NaN;
    if (se > 0) {
      ci95 = [difference - 1.959963984540054 * se, difference + 1.959963984540054 * se];
      pValue = Math.min(1, 2 * normalUpper(Math.abs(difference) / se));
    }
  }
  const exposure = PRODUCT_GROUPINGS.filter((grouping) => groupOf[grouping] !== undefined).map((grouping) => {
    const worst = (keep: (r: number) => boolean) => proportionality(log, groupOf[grouping]!, keep, s.exposureBand);
    const a = worst((r) => r >= 2);
    const h = worst((r) => r === 1);
    return {
      grouping,
      appliedWorst: a.worst,
      holdoutWorst: h.worst,
      appliedOutsideBand: a.outside,
      holdoutOutsideBand: h.outside,
      appliedDistance: a.distance,
      holdoutDistance: h.distance,
    };
  });
  return { lists: { applied, changed, holdout }, ctr: { applied: rA, holdout: rH, difference, ci95, pValue }, exposure };
}

/** Among the rows kept by `keep` (by rerank code): exposure share ÷ merit share per product group. */
function proportionality(
  log: AuditLogColumns,
  nameOf: (p: number) => string,
  keep: (rerank: number) => boolean,
  band: number,
): { worst: number | null; outside: number; distance: number | null } {
  const exposure = new Map<string, number>();
  const impressions = new Map<string, number>();
  const clicks = new Map<string, number>();
  const products = new Map<string, Set<number>>();
  for (let i = 0; i < log.rows; i++) {
    if (!keep(log.rerank[i]!)) continue;
    const p = log.product[i]!;
    const g = nameOf(p);
    exposure.set(g, (exposure.get(g) ?? 0) + POSITION_WEIGHT[log.position[i]!]!);
    impressions.set(g, (impressions.get(g) ?? 0) + 1);
    clicks.set(g, (clicks.get(g) ?? 0) + log.clicked[i]!);
    let set = products.get(g);
    if (!set) products.set(g, (set = new Set()));
    set.add(p);
  }
  let totalExposure = 0;
  let meritMass = 0;
  const merit = new Map<string, number>();
  for (const [g, e] of exposure) {
    totalExposure += e;
    const m = ((clicks.get(g) ?? 0) / (impressions.get(g) ?? 1)) * (products.get(g)?.size ?? 0);
    merit.set(g, m);
    meritMass += m;
  }
  if (!(totalExposure > 0 && meritMass > 0)) return { worst: null, outside: 0, distance: null };
  let worst = 1;
  let outside = 0;
  let distance = 0;
  for (const [g, e] of exposure) {
    const m = merit.get(g)! / meritMass;
    distance += Math.abs(e / totalExposure - m) / 2;
    if (!(m > 0)) continue;
    const r = e / totalExposure / m;
    worst = Math.max(worst, r, 1 / r);
    if (!withinBand(r, band)) outside++;
  }
  return { worst, outside, distance };
}

// ---- flags in words ----

const METRIC_WORDS: Record<SegmentMetric, { zh: string; en: string }> = {
  premiumRate: { zh: '高价商品占比', en: 'share of premium products shown' },
  meanPrice: { zh: '推荐商品平均价格', en: 'mean recommended price' },
  meanDiscount: { zh: '推荐商品平均折扣', en: 'mean discount recommended' },
  ctr: { zh: '点击率', en: 'click-through' },
  conversion: { zh: '转化率', en: 'conversion' },
  tpr: { zh: '真正例率（点击者看到高价商品）', en: 'TPR (premium shown to those who clicked)' },
  fpr: { zh: '假正例率（未点击者被推高价商品）', en: 'FPR (premium shown to those who did not click)' },
};

const GROUPING_WORDS: Record<ProductGrouping, { zh: string; en: string }> = {
  category: { zh: '品类', en: 'category' },
  priceBand: { zh: '价格段', en: 'price band' },
  seller: { zh: '商家', en: 'seller' },
};

const ATTRIBUTE_WORDS: Record<SegmentAttribute, { zh: string; en: string }> = {
  childAgeBand: { zh: '孩子年龄段', en: 'child age band' },
  cityTier: { zh: '城市级别', en: 'city tier' },
  device: { zh: '设备类型', en: 'device type' },
  visitor: { zh: '新老访客', en: 'new or returning' },
};

function formatValue(metric: SegmentMetric, v: number | null): string {
  if (v === null) return '—';
  if (metric === 'meanPrice') return `¥${v.toFixed(2)}`;
  return `${(v * 100).toFixed(1)}%`;
}

function formatP(p: number | null): string {
  if (p === null) return '—';
  return p < 0.001 ? '< 0.001' : `= ${p.toFixed(3)}`;
}

function segmentFlags(a: SegmentAudit): AuditFlag[] {
  return a.gaps
    .filter((g) => g.flagged)
    .map((g) => {
      const words = METRIC_WORDS[g.metric];
      const attr = ATTRIBUTE_WORDS[a.attribute];
      const group = groupWords(a.attribute, g.group);
      const reference = groupWords(a.attribute, a.reference ?? '');
      const ratio = g.ratio === null ? '—' : g.ratio.toFixed(2);
      return {
        kind: 'segment' as const,
        dimension: a.attribute,
        group: g.group,
        reference: a.reference,
        metric: g.metric,
        ratio: g.ratio,
        difference: g.difference,
        pAdjusted: g.pAdjusted,
        text: {
          zh: `${attr.zh}“${group.zh}”：${words.zh} ${formatValue(g.metric, g.value)}，参照组“${reference.zh}”为 ${formatValue(g.metric, g.referenceValue)}（比值 ${ratio}，Holm 校正 p ${formatP(g.pAdjusted)}）`,
          en: `${attr.en} "${group.en}": ${words.en} ${formatValue(g.metric, g.value)} against ${formatValue(g.metric, g.referenceValue)} for the reference "${reference.en}" (ratio ${ratio}, Holm-adjusted p ${formatP(g.pAdjusted)})`,
        },
      };
    });
}

function exposureFlags(e: ExposureSection): AuditFlag[] {
  return e.groupings.flatMap((grouping) =>
    grouping.groups
      .filter((g) => g.flagged)
      .map((g) => {
        const ratio = g.exposurePerMerit === null ? '—' : g.exposurePerMerit.toFixed(2);
        const share = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
        const dim = GROUPING_WORDS[grouping.grouping];
        const group = groupWords(grouping.grouping, g.group);
        return {
          kind: 'exposure' as const,
          dimension: grouping.grouping,
          group: g.group,
          reference: null,
          metric: 'exposurePerMerit',
          ratio: g.exposurePerMerit,
          difference: g.meritShare === null ? null : g.exposureShare - g.meritShare,
          pAdjusted: g.pAdjusted,
          text: {
            zh: `${dim.zh}“${group.zh}”：曝光份额 ${share(g.exposureShare)}，贡献（点击率）份额 ${share(g.meritShare)}（比值 ${ratio}，Holm 校正 p ${formatP(g.pAdjusted)}）`,
            en: `${dim.en} "${group.en}": ${share(g.exposureShare)} of the attention against ${share(g.meritShare)} of the merit (click-through) (ratio ${ratio}, Holm-adjusted p ${formatP(g.pAdjusted)})`,
          },
        };
      }),
  );
}
