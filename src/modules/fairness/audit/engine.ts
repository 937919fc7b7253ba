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
 * scope, per product group, against merit (the group's click-through): a group whose share of
 * attention is out of proportion to its share of merit is outside the band. Gini and coverage over
 * the catalogue.
 *
 * Significance: rates by the two-proportion z-test, means by Welch's z (large samples), each with
 * a seeded bootstrap 95 % interval of the difference and Holm's correction over the groups
 * compared on the metric. A gap is flagged only when it is outside the band and significant.
 */
import { Rng } from '../../../shared/rng.js';
import { normalUpper } from '../../experiments/stats/normal.js';
import {
  fairnessAudit,
  gini,
  holm,
  isSuppressed,
  multinomial,
  percentileInterval,
  quantileSorted,
  referenceDisparity,
  withinBand,
  type AuditDisparity,
  type FairnessAudit,
} from '../metrics/index.js';
import {
  PRODUCT_GROUPINGS,
  SEGMENT_ATTRIBUTES,
  type AuditFlag,
  type AuditThresholds,
  type ExposureSection,
  type ProductGroupExposure,
  type ProductGrouping,
  type SegmentAttribute,
  type SegmentAudit,
  type SegmentGap,
  type SegmentGroupRow,
  type SegmentMetric,
} from './contract.js';
import type { AuditLogColumns } from './log.js';

export interface AuditSettings {
  readonly threshold: number;
  readonly minGroupSize: number;
  readonly alpha: number;
  readonly premiumQuantile: number;
  readonly exposureBand: number;
  readonly bootstrap: number;
  readonly seed: number;
}

export const AUDIT_SETTINGS_DEFAULTS: AuditSettings = {
  threshold: 0.8,
  minGroupSize: 30,
  alpha: 0.05,
  premiumQuantile: 0.75,
  exposureBand: 0.8,
  bootstrap: 200,
  seed: 0,
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
          ? 'below about 30 decisions a rate is too uncertain to support a conclusion, and small cells can single people out'
          : set,
    },
    alpha: { value: s.alpha, reason: 'family-wise error rate per metric after Holm’s step-down correction over the groups compared' },
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
  readonly flags: AuditFlag[];
}

/** Price band of a price in fen (the recommender's bands: ¥0–99, ¥100–399, ¥400+). */
export type PriceBandOf = (priceFen: number) => string;

export function runAudit(log: AuditLogColumns, options: { settings?: Partial<AuditSettings>; catalogueSize: number; priceBandOf: PriceBandOf }): AuditComputation {
  const s = { ...AUDIT_SETTINGS_DEFAULTS, ...options.settings };
  const n = log.rows;
  let lists = 0;
  let personalised = 0;
  for (let i = 0; i < n; i++) {
    if (log.position[i] === 1) lists++;
    personalised += log.personalised[i]!;
  }
  const premiumFromFen = premiumCut(log, s.premiumQuantile);
  const premium = new Uint8Array(n);
  if (premiumFromFen !== null) for (let i = 0; i < n; i++) premium[i] = log.priceFen[i]! >= premiumFromFen ? 1 : 0;

  const segments = SEGMENT_ATTRIBUTES.map((attribute, a) => segmentAudit(log, attribute, premium, s, s.seed + 1_000 * (a + 1)));
  const exposure = exposureSection(log, lists, options.catalogueSize, options.priceBandOf, s);
  const flags = [...segments.flatMap(segmentFlags), ...exposureFlags(exposure)];
  return { decisions: n, lists, personalisedShare: n > 0 ? personalised / n : null, premiumFromFen, segments, exposure, flags };
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

function segmentAudit(log: AuditLogColumns, attribute: SegmentAttribute, premium: Uint8Array, s: AuditSettings, seed: number): SegmentAudit {
  const column = log.segments[attribute];
  const n = log.rows;
  let recorded = 0;
  for (let i = 0; i < n; i++) if (column.code[i]! >= 0) recorded++;
  const base = { attribute, recorded, missing: n - recorded };
  if (recorded === 0) return { ...base, status: 'not_recorded', reference: null, groups: [], gaps: [], signed: [], summary: NO_SUMMARY };

  // The decisions that carry the attribute, compacted.
  const group = new Int32Array(recorded);
  const isPremium = new Uint8Array(recorded);
  const clicked = new Uint8Array(recorded);
  const purchased = new Uint8Array(recorded);
  const rowOf = new Int32Array(recorded);
  for (let i = 0, j = 0; i < n; i++) {
    const c = column.code[i]!;
    if (c < 0) continue;
    group[j] = c;
    isPremium[j] = premium[i]!;
    clicked[j] = log.clicked[i]!;
    purchased[j] = log.purchased[i]!;
    rowOf[j] = i;
    j++;
  }
  const groups = column.values;
  const auditOptions = { threshold: s.threshold, minGroupSize: s.minGroupSize, alpha: s.alpha, bootstrap: s.bootstrap };
  const main = fairnessAudit({ groups, group, prediction: isPremium, label: clicked }, { ...auditOptions, seed });
  const sizes = new Int32Array(groups.length);
  for (let j = 0; j < recorded; j++) sizes[group[j]!]! += 1;
  const present = groups.map((_, g) => g).filter((g) => sizes[g]! > 0);

  if (!main.ok) {
    // Every group is below the minimum size (the reference is the largest): sizes only.
    const rows = present.map((g) => suppressedRow(groups[g]!, sizes[g]!));
    return { ...base, status: 'too_few', reference: null, groups: sortRows(rows), gaps: [], signed: [], summary: NO_SUMMARY };
  }
  const audit = main.audit;
  const reference = audit.reference;
  const ctr = fairnessAudit({ groups, group, prediction: clicked }, { ...auditOptions, seed: seed + 1, reference });
  const conversion = fairnessAudit({ groups, group, prediction: purchased }, { ...auditOptions, seed: seed + 2, reference });
  const means = meanGaps(log, rowOf, group, groups, sizes, groups.indexOf(reference), s, seed + 3);

  const rateOf = (a: typeof ctr, name: string) => (a.ok ? (a.audit.groups.find((g) => g.group === name)?.selectionRate ?? null) : null);
  const rows: SegmentGroupRow[] = audit.groups
    .filter((g) => g.n > 0)
    .map((g) => {
      if (g.suppressed) return suppressedRow(g.group, g.n);
      const m = means.byGroup.get(g.group);
      return {
        group: g.group,
        impressions: g.n,
        suppressed: false,
        premiumRate: g.selectionRate,
        premiumShare: g.selectedShare,
        ctr: rateOf(ctr, g.group),
        conversion: rateOf(conversion, g.group),
        meanPrice: m ? m.price / 100 : null,
        meanDiscount: m ? m.discount : null,
        tpr: g.tpr,
        fpr: g.fpr,
        fnr: g.fnr,
        fdr: g.fdr,
        for: g.for,
      };
    });
  const reportedCount = rows.filter((r) => !r.suppressed).length;
  const gaps: SegmentGap[] = [
    ...gapsOf(audit, 'selectionRate', 'premiumRate'),
    ...means.gaps,
    ...(ctr.ok ? gapsOf(ctr.audit, 'selectionRate', 'ctr') : []),
    ...(conversion.ok ? gapsOf(conversion.audit, 'selectionRate', 'conversion') : []),
    ...gapsOf(audit, 'tpr', 'tpr'),
    ...gapsOf(audit, 'fpr', 'fpr'),
  ];
  const refRow = rows.find((r) => r.group === reference);
  const signed = rows
    .filter((r) => !r.suppressed && r.group !== reference)
    .map((r) => ({
      group: r.group,
      statisticalParityDifference: sub(r.premiumRate, refRow?.premiumRate ?? null),
      disparateImpact: div(r.premiumRate, refRow?.premiumRate ?? null),
      equalOpportunityDifference: sub(r.tpr, refRow?.tpr ?? null),
      averageOddsDifference: (() => {
        const f = sub(r.fpr, refRow?.fpr ?? null);
        const t = sub(r.tpr, refRow?.tpr ?? null);
        return f === null || t === null ? null : (f + t) / 2;
      })(),
    }));
  return {
    ...base,
    status: reportedCount >= 2 ? 'ok' : 'one_group',
    reference,
    groups: sortRows(rows),
    gaps: reportedCount >= 2 ? gaps : [],
    signed,
    summary: audit.summary,
  };
}

function suppressedRow(group: string, impressions: number): SegmentGroupRow {
  return {
    group,
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

function gapsOf(audit: FairnessAudit, metric: AuditDisparity['metric'], as: SegmentMetric): SegmentGap[] {
  const valueOf = (name: string) => {
    const g = audit.groups.find((x) => x.group === name);
    return g ? g[metric] : null;
  };
  const refValue = valueOf(audit.reference);
  return audit.disparities
    .filter((d) => d.metric === metric)
    .map((d) => ({
      group: d.group,
      metric: as,
      value: valueOf(d.group),
      referenceValue: refValue,
      difference: d.difference,
      ratio: d.ratio,
      fair: d.fair,
      ci95: d.ci95,
      pValue: d.pValue,
      pAdjusted: d.pAdjusted,
      flagged: d.flagged,
    }));
}

/**
 * Mean recommended price (yuan) and discount per group against the reference: Welch's z on the
 * two means (hundreds of decisions per group at least, so the normal approximation holds) and a
 * bootstrap of the difference. The bootstrap draws the whole log's (group × distinct price pair)
 * cell counts from their multinomial, which is exactly resampling rows (few distinct prices).
 */
function meanGaps(
  log: AuditLogColumns,
  rowOf: Int32Array,
  group: Int32Array,
  names: readonly string[],
  sizes: Int32Array,
  ref: number,
  s: AuditSettings,
  seed: number,
): { byGroup: Map<string, { price: number; discount: number }>; gaps: SegmentGap[] } {
  const G = names.length;
  // Distinct (price, list price) pairs → a value code.
  const pairCode = new Map<number, number>();
  const pairs: { price: number; discount: number }[] = [];
  const code = new Int32Array(rowOf.length);
  for (let j = 0; j < rowOf.length; j++) {
    const i = rowOf[j]!;
    const price = log.priceFen[i]!;
    const list = log.listPriceFen[i]!;
    const key = price * 4_294_967_296 + list;
    let c = pairCode.get(key);
    if (c === undefined) {
      c = pairs.length;
      pairCode.set(key, c);
      pairs.push({ price, discount: list > 0 && list > price ? 1 - price / list : 0 });
    }
    code[j] = c;
  }
  const V = pairs.length;
  const counts = new Float64Array(G * V);
  for (let j = 0; j < group.length; j++) counts[group[j]! * V + code[j]!]! += 1;

  const moments = (cells: ArrayLike<number>, g: number) => {
    let m = 0;
    let p = 0;
    let p2 = 0;
    let d = 0;
    let d2 = 0;
    for (let v = 0; v < V; v++) {
      const c = cells[g * V + v]!;
      if (c === 0) continue;
      const x = pairs[v]!;
      m += c;
      p += c * x.price;
      p2 += c * x.price * x.price;
      d += c * x.discount;
      d2 += c * x.discount * x.discount;
    }
    return { n: m, price: m > 0 ? p / m : Number.NaN, priceVar: m > 1 ? (p2 - (p * p) / m) / (m - 1) : Number.NaN, discount: m > 0 ? d / m : Number.NaN, discountVar: m > 1 ? (d2 - (d * d) / m) / (m - 1) : Number.NaN };
  };
  const reported = names.map((_, g) => g).filter((g) => sizes[g]! > 0 && !isSuppressed(sizes[g]!, s.minGroupSize));
  const byGroup = new Map<string, { price: number; discount: number }>();
  const observed = new Map<number, ReturnType<typeof moments>>();
  for (const g of reported) {
    const m = moments(counts, g);
    observed.set(g, m);
    byGroup.set(names[g]!, { price: m.price, discount: m.discount });
  }
  const compared = reported.filter((g) => g !== ref);
  if (!observed.has(ref) || compared.length === 0) return { byGroup, gaps: [] };

  const replicates = s.bootstrap;
  const diffs = { price: compared.map(() => new Float64Array(replicates)), discount: compared.map(() => new Float64Array(replicates)) };
  if (replicates > 0) {
    const rng = new Rng(seed);
    const cells = new Float64Array(counts.length);
    let total = 0;
    for (let c = 0; c < counts.length; c++) total += counts[c]!;
    for (let b = 0; b < replicates; b++) {
      multinomial(rng, total, counts, cells);
      const r = moments(cells, ref);
      compared.forEach((g, k) => {
        const m = moments(cells, g);
        diffs.price[k]![b] = (m.price - r.price) / 100;
        diffs.discount[k]![b] = m.discount - r.discount;
      });
    }
  }

  const gaps: SegmentGap[] = [];
  const r = observed.get(ref)!;
  for (const metric of ['meanPrice', 'meanDiscount'] as const) {
    const key = metric === 'meanPrice' ? 'price' : 'discount';
    const scale = metric === 'meanPrice' ? 100 : 1;
    const tests = compared.map((g) => welchP(observed.get(g)!, r, key));
    const adjusted = holm(tests);
    compared.forEach((g, k) => {
      const m = observed.get(g)!;
      const value = m[key] / scale;
      const refValue = r[key] / scale;
      const d = referenceDisparity(value, refValue, s.threshold);
      const pAdjusted = adjusted[k]!;
      gaps.push({
        group: names[g]!,
        metric,
        value,
        referenceValue: refValue,
        difference: d.difference,
        ratio: d.ratio,
        fair: d.fair,
        ci95: replicates > 0 ? percentileInterval(diffs[key][k]!) : null,
        pValue: tests[k]!,
        pAdjusted,
        flagged: d.fair === false && pAdjusted !== null && pAdjusted < s.alpha,
      });
    });
  }
  for (const [name, v] of byGroup) byGroup.set(name, { price: v.price, discount: v.discount });
  return { byGroup, gaps };
}

/** Two-sided p of Welch's z for a difference of means; null without variance. */
function welchP(a: { n: number; price: number; priceVar: number; discount: number; discountVar: number }, b: typeof a, key: 'price' | 'discount'): number | null {
  const va = key === 'price' ? a.priceVar : a.discountVar;
  const vb = key === 'price' ? b.priceVar : b.discountVar;
  const se = Math.sqrt(va / a.n + vb / b.n);
  if (!(se > 0)) return a[key] === b[key] ? 1 : null;
  return Math.min(1, 2 * normalUpper(Math.abs(a[key] - b[key]) / se));
}

// ---- products ----

function exposureSection(log: AuditLogColumns, lists: number, catalogueSize: number, priceBandOf: PriceBandOf, s: AuditSettings): ExposureSection {
  const k = log.productIds.length;
  const impressions = new Float64Array(k);
  const attention = new Float64Array(k);
  const clicks = new Float64Array(k);
  const priceSum = new Float64Array(k);
  const weights: number[] = [];
  for (let i = 0; i < log.rows; i++) {
    const p = log.product[i]!;
    const pos = log.position[i]!;
    impressions[p]! += 1;
    attention[p]! += weights[pos] ??= 1 / Math.log2(1 + pos);
    clicks[p]! += log.clicked[i]!;
    priceSum[p]! += log.priceFen[i]!;
  }
  const L = Math.max(1, lists);
  const exposure = attention.map((a) => a / L);
  const size = Math.max(catalogueSize, k);
  const groupOf: Record<ProductGrouping, (p: number) => string> = {
    category: (p) => log.productCategory[p]!,
    priceBand: (p) => priceBandOf(priceSum[p]! / Math.max(1, impressions[p]!)),
  };
  const totalExposure = exposure.reduce((a, b) => a + b, 0);
  const ctrOf = (p: number) => (impressions[p]! > 0 ? clicks[p]! / impressions[p]! : 0);
  let totalMerit = 0;
  for (let p = 0; p < k; p++) totalMerit += ctrOf(p);
  let totalClicks = 0;
  for (let p = 0; p < k; p++) totalClicks += clicks[p]!;

  const groupings = PRODUCT_GROUPINGS.map((grouping) => {
    const acc = new Map<string, { products: number; impressions: number; exposure: number; clicks: number; merit: number }>();
    for (let p = 0; p < k; p++) {
      const name = groupOf[grouping](p);
      const a = acc.get(name) ?? { products: 0, impressions: 0, exposure: 0, clicks: 0, merit: 0 };
      a.products += 1;
      a.impressions += impressions[p]!;
      a.exposure += exposure[p]!;
      a.clicks += clicks[p]!;
      a.merit += ctrOf(p);
      acc.set(name, a);
    }
    const groups: ProductGroupExposure[] = [...acc.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([group, a]) => {
        const exposureShare = totalExposure > 0 ? a.exposure / totalExposure : 0;
        const meritShare = totalMerit > 0 ? a.merit / totalMerit : null;
        const ratio = meritShare !== null && meritShare > 0 ? exposureShare / meritShare : null;
        const fair = ratio === null ? null : withinBand(ratio, s.exposureBand);
        // Merit is measured, not known: only judged on enough impressions and clicks.
        const measured = a.impressions >= s.minGroupSize && totalClicks >= s.minGroupSize;
        return {
          group,
          products: a.products,
          impressions: a.impressions,
          meanExposure: a.exposure / a.products,
          exposureShare,
          merit: a.impressions > 0 ? a.clicks / a.impressions : null,
          meritShare,
          exposurePerMerit: ratio,
          fair,
          flagged: fair === false && measured,
        };
      });
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
          zh: `${attr.zh}“${g.group}”：${words.zh} ${formatValue(g.metric, g.value)}，参照组“${a.reference}”为 ${formatValue(g.metric, g.referenceValue)}（比值 ${ratio}，Holm 校正 p ${formatP(g.pAdjusted)}）`,
          en: `${attr.en} "${g.group}": ${words.en} ${formatValue(g.metric, g.value)} against ${formatValue(g.metric, g.referenceValue)} for the reference "${a.reference}" (ratio ${ratio}, Holm-adjusted p ${formatP(g.pAdjusted)})`,
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
        const dim = grouping.grouping === 'category' ? { zh: '品类', en: 'category' } : { zh: '价格段', en: 'price band' };
        return {
          kind: 'exposure' as const,
          dimension: grouping.grouping,
          group: g.group,
          reference: null,
          metric: 'exposurePerMerit',
          ratio: g.exposurePerMerit,
          difference: g.meritShare === null ? null : g.exposureShare - g.meritShare,
          pAdjusted: null,
          text: {
            zh: `${dim.zh}“${g.group}”：曝光份额 ${share(g.exposureShare)}，贡献（点击率）份额 ${share(g.meritShare)}（比值 ${ratio}）`,
            en: `${dim.en} "${g.group}": ${share(g.exposureShare)} of the attention against ${share(g.meritShare)} of the merit (click-through) (ratio ${ratio})`,
          },
        };
      }),
  );
}
