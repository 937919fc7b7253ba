/**
 * What a fairness audit of Qingliu's own decision log reports: types only (the web pages import
 * them too). Every figure is aggregated over decisions that carry no viewer identity; a group
 * below the minimum size is reported with its size only (A8).
 */

/** The coarse viewer segments a decision may carry (the allow-list: nothing else can be audited). */
export const SEGMENT_ATTRIBUTES = ['childAgeBand', 'cityTier', 'device', 'visitor'] as const;
export type SegmentAttribute = (typeof SEGMENT_ATTRIBUTES)[number];

/**
 * The groupings of products whose exposure is audited: category, price band, and seller (from a
 * product's `seller` attribute in the catalogue; products without one are the brand's own), the
 * last only when some product in the scope names a seller.
 */
export const PRODUCT_GROUPINGS = ['category', 'priceBand', 'seller'] as const;
export type ProductGrouping = (typeof PRODUCT_GROUPINGS)[number];

/** Bilingual words for a group: what a report says instead of the value the log stores. */
export interface GroupWords {
  readonly zh: string;
  readonly en: string;
}

/**
 * The words for each value a segment attribute or a product grouping can take (the values come from
 * the viewer profile, the device class and the recommender's price bands: low < ¥100 ≤ mid < ¥400 ≤
 * high). Categories and sellers are the brand's own names and are shown as they are.
 */
export const GROUP_VALUE_WORDS: { readonly [D in SegmentAttribute | 'priceBand']: Readonly<Record<string, GroupWords>> } = {
  childAgeBand: {
    '0_6m': { zh: '0–6 个月', en: '0–6 months' },
    '6_12m': { zh: '6–12 个月', en: '6–12 months' },
    '1_3y': { zh: '1–3 岁', en: '1–3 years' },
    '3_6y': { zh: '3–6 岁', en: '3–6 years' },
    '6y_plus': { zh: '6 岁以上', en: '6 years and over' },
  },
  cityTier: {
    tier1: { zh: '一线城市', en: 'tier-1 city' },
    tier2: { zh: '二线城市', en: 'tier-2 city' },
    tier3_plus: { zh: '三线及以下城市', en: 'tier-3 or smaller city' },
  },
  device: {
    ios: { zh: 'iOS 设备', en: 'iOS device' },
    android: { zh: '安卓设备', en: 'Android device' },
    desktop: { zh: '电脑', en: 'desktop computer' },
    other: { zh: '其他设备', en: 'other device' },
  },
  visitor: {
    new: { zh: '新访客', en: 'new visitor' },
    returning: { zh: '老访客', en: 'returning visitor' },
  },
  priceBand: {
    low: { zh: '低价（低于 ¥100）', en: 'low (under ¥100)' },
    mid: { zh: '中价（¥100 至 ¥400 以下）', en: 'mid (¥100 to under ¥400)' },
    high: { zh: '高价（¥400 及以上）', en: 'high (¥400 and over)' },
  },
};

export const AUDIT_TRIGGERS = ['session_end', 'scheduled', 'on_demand', 'live'] as const;
export type AuditTrigger = (typeof AUDIT_TRIGGERS)[number];

/** The per-group rates a segment gap can be about. */
export const SEGMENT_METRICS = ['premiumRate', 'meanPrice', 'meanDiscount', 'ctr', 'conversion', 'tpr', 'fpr'] as const;
export type SegmentMetric = (typeof SEGMENT_METRICS)[number];

export interface Threshold<T = number> {
  readonly value: T;
  /** Why this value: recorded with every report. */
  readonly reason: string;
}

export interface AuditThresholds {
  /** τ: a gap is outside the band when ratio < τ or ratio > 1/τ. */
  readonly ratio: Threshold;
  /**
   * A viewer group with fewer viewers (each counted once per show) is suppressed: its size only. A
   * product group's exposure gap is tested only on at least this many impressions.
   */
  readonly minGroupSize: Threshold;
  /** Family-wise significance level after Holm's correction. */
  readonly alpha: Threshold;
  /** Products priced at or above this quantile of the products shown are "premium". */
  readonly premiumQuantile: Threshold;
  /** A product group's exposure share ÷ merit share outside [band, 1/band] is flagged. */
  readonly exposureBand: Threshold;
}

export interface AuditScope {
  readonly brandId: string;
  /** One live session, or every session of the brand in [from, until). */
  readonly sessionId: string | null;
  readonly from: number;
  readonly until: number;
}

export interface SegmentGroupRow {
  readonly group: string;
  /**
   * Viewers in the group, each counted once per show (a viewer whose segment changed during a show
   * counts in both groups): the size held against the minimum group size. Absent from reports made
   * before it was recorded.
   */
  readonly viewers?: number;
  /** Decisions (impressions) of the group. */
  readonly impressions: number;
  /** Fewer viewers than the minimum group size: only `viewers` and `impressions` are given. */
  readonly suppressed: boolean;
  /** Share of the group's impressions that were premium products (the audit's "selection"). */
  readonly premiumRate: number | null;
  /** The group's share of all premium impressions of the reported groups. */
  readonly premiumShare: number | null;
  readonly ctr: number | null;
  /** Purchases per impression. */
  readonly conversion: number | null;
  /** Mean price of the products recommended to the group, in yuan. */
  readonly meanPrice: number | null;
  /** Mean discount (1 − price ÷ list price). */
  readonly meanDiscount: number | null;
  /** Error rates of "premium shown" against "clicked" (label). */
  readonly tpr: number | null;
  readonly fpr: number | null;
  readonly fnr: number | null;
  readonly fdr: number | null;
  readonly for: number | null;
}

export interface SegmentGap {
  readonly group: string;
  readonly metric: SegmentMetric;
  readonly value: number | null;
  readonly referenceValue: number | null;
  /** value − reference (signed). */
  readonly difference: number | null;
  /** value ÷ reference. */
  readonly ratio: number | null;
  /** Inside the band [τ, 1/τ]. */
  readonly fair: boolean | null;
  /** Seeded percentile bootstrap 95 % interval of the difference. */
  readonly ci95: readonly [number, number] | null;
  readonly pValue: number | null;
  /** Holm-adjusted over every segment gap of the audit (all attributes, metrics and groups). */
  readonly pAdjusted: number | null;
  /** Outside the band and significant after correction. */
  readonly flagged: boolean;
}

export interface SegmentAudit {
  readonly attribute: SegmentAttribute;
  /** 'ok', or why nothing could be compared. */
  readonly status: 'ok' | 'one_group' | 'too_few' | 'not_recorded';
  /** Decisions that carry this attribute, and those that do not (undeclared, or not recorded). */
  readonly recorded: number;
  readonly missing: number;
  readonly reference: string | null;
  readonly groups: readonly SegmentGroupRow[];
  readonly gaps: readonly SegmentGap[];
  /** AIF360's signed comparisons of each reported group against the reference, on "premium shown". */
  readonly signed: readonly {
    readonly group: string;
    readonly statisticalParityDifference: number | null;
    readonly disparateImpact: number | null;
    readonly equalOpportunityDifference: number | null;
    readonly averageOddsDifference: number | null;
  }[];
  readonly summary: {
    readonly demographicParityDifference: number | null;
    readonly demographicParityRatio: number | null;
    readonly equalizedOddsDifference: number | null;
    readonly equalOpportunityDifference: number | null;
    readonly generalizedEntropyIndex: number | null;
    readonly theilIndex: number | null;
  };
}

export interface ProductGroupExposure {
  readonly group: string;
  /** Distinct products of the group shown. */
  readonly products: number;
  readonly impressions: number;
  /** Mean amortised exposure of the group's products: Σ 1/log2(1 + position) ÷ lists. */
  readonly meanExposure: number;
  /** Share of all exposure. */
  readonly exposureShare: number;
  /** Merit: the click-through of the group's impressions (its share of merit weighs it by its products shown). */
  readonly merit: number | null;
  /** Share of all merit (Σ products' click-through). */
  readonly meritShare: number | null;
  /** exposureShare ÷ meritShare: 1 when attention follows merit. */
  readonly exposurePerMerit: number | null;
  /** Seeded percentile-bootstrap 95 % interval of exposurePerMerit (units resampled). */
  readonly ci95: readonly [number, number] | null;
  readonly fair: boolean | null;
  /**
   * Outside the band: the z-test of the group's merit against the merit that would put it on the
   * band's edge (cluster variance over units), and Holm-adjusted over the grouping's groups.
   */
  readonly pValue: number | null;
  readonly pAdjusted: number | null;
  readonly flagged: boolean;
}

export interface ExposureSection {
  readonly lists: number;
  readonly productsShown: number;
  readonly catalogueSize: number;
  /** Distinct products shown ÷ catalogue size. */
  readonly coverage: number | null;
  /** Gini of impressions over the catalogue (unseen products as 0). */
  readonly gini: number | null;
  /** Gini of amortised exposure over the catalogue. */
  readonly exposureGini: number | null;
  readonly groupings: readonly {
    readonly grouping: ProductGrouping;
    readonly groups: readonly ProductGroupExposure[];
    readonly minMaxRatio: number | null;
  }[];
}

/**
 * The exposure-fair re-ranker's effect and cost, measured: a random share of lists is held out
 * (served as ranked), so re-ranked and held-out lists differ only by the re-ranking.
 */
export interface MitigationSection {
  readonly lists: { readonly applied: number; readonly changed: number; readonly holdout: number };
  /** Click-through per impression; difference = applied − held out (negative: what fairness cost). */
  readonly ctr: {
    readonly applied: number | null;
    readonly holdout: number | null;
    readonly difference: number | null;
    /** Normal 95 % interval with the variance clustered by unit (viewer in the show). */
    readonly ci95: readonly [number, number] | null;
    readonly pValue: number | null;
  };
  /** Per grouping: how far attention strays from merit, with and without the re-ranker. */
  readonly exposure: readonly {
    readonly grouping: ProductGrouping;
    /** The largest max(r, 1/r) over groups of r = exposure share ÷ merit share; 1 is perfectly proportional. */
    readonly appliedWorst: number | null;
    readonly holdoutWorst: number | null;
    readonly appliedOutsideBand: number;
    readonly holdoutOutsideBand: number;
    /** ½ Σ |exposure share − merit share| over the groups: 0 when attention follows merit exactly. */
    readonly appliedDistance: number | null;
    readonly holdoutDistance: number | null;
  }[];
}

export interface AuditFlag {
  readonly kind: 'segment' | 'exposure';
  /** A segment attribute, or a product grouping. */
  readonly dimension: string;
  readonly group: string;
  readonly reference: string | null;
  readonly metric: string;
  readonly ratio: number | null;
  readonly difference: number | null;
  readonly pAdjusted: number | null;
  /** One plain sentence. */
  readonly text: { readonly zh: string; readonly en: string };
}

export interface FairnessReport {
  readonly id: string;
  readonly trigger: AuditTrigger;
  readonly scope: AuditScope;
  readonly createdAt: number;
  /** Reports are kept at least three years (A8); purged after this. */
  readonly keepUntil: number;
  readonly decisions: number;
  readonly lists: number;
  readonly personalisedShare: number | null;
  readonly simulated: boolean;
  readonly definitions: {
    /** Premium: price ≥ this (fen), the premiumQuantile of the prices of the products shown. */
    readonly premiumFromFen: number | null;
    readonly selection: string;
    readonly label: string;
  };
  readonly method: {
    readonly bootstrap: number;
    readonly seed: number;
    readonly tests: string;
    readonly correction: string;
  };
  readonly thresholds: AuditThresholds;
  readonly segments: readonly SegmentAudit[];
  readonly exposure: ExposureSection;
  /** Null when the re-ranker was off for every decision of the scope. */
  readonly mitigation: MitigationSection | null;
  readonly flags: readonly AuditFlag[];
}

/** One line of the audit list: enough for trends. */
export interface AuditSummaryRow {
  readonly id: string;
  readonly trigger: AuditTrigger;
  readonly brandId: string;
  readonly sessionId: string | null;
  readonly from: number;
  readonly until: number;
  readonly createdAt: number;
  readonly decisions: number;
  readonly flagged: number;
  readonly simulated: boolean;
  /** Headline figures for trend lines. */
  readonly headline: {
    /** Largest |1 − ratio| of mean recommended price against the reference, over every attribute. */
    readonly maxPriceGap: number | null;
    /** Smallest premium-rate ratio (demographic parity ratio) over every attribute. */
    readonly minParityRatio: number | null;
    readonly exposureGini: number | null;
    readonly coverage: number | null;
  };
}

export interface FairnessAlert {
  readonly id: string;
  readonly auditId: string;
  readonly brandId: string;
  readonly sessionId: string;
  readonly createdAt: number;
  readonly flags: readonly AuditFlag[];
  readonly acknowledgedAt: number | null;
}
