/**
 * Fairness of exposure in rankings (Singh & Joachims, KDD 2018; FairRankTune's EXP and EXPU):
 * position j (1-based) of a list gets attention v_j = 1/log2(1 + j). Over L lists, an item's
 * exposure is Σ v_j over the lists it appears in, divided by L (amortised: attention per list), and
 * its relevance likewise Σ relevance over its appearances ÷ L. A group's mean exposure (relevance)
 * is the mean over the group's items; exposure per relevance (EXPU) is mean exposure ÷ mean
 * relevance, the same quotient FairRankTune computes (the ÷ L cancels). With one list this is
 * exactly FairRankTune's EXP. Group values are combined as FairRankTune does (MinMaxRatio,
 * MaxMinDiff, MaxAbsDiff = max |v − mean|, MeanAbsDev, Variance = population variance, …).
 *
 * Concentration: the Gini coefficient of exposure or of appearance counts over items (unseen
 * catalogue items counted as 0 when a catalogue size is given) and catalogue coverage = distinct
 * items shown ÷ catalogue size. Pure.
 */
import { compareNames } from './group.js';

/** Attention at a 1-based position: 1/log2(1 + rank). */
export function positionWeight(rank: number): number {
  if (!(Number.isInteger(rank) && rank >= 1)) throw new RangeError(`rank must be a whole number ≥ 1 (got ${rank})`);
  return 1 / Math.log2(1 + rank);
}

export const COMBINERS = ['MinMaxRatio', 'MaxMinRatio', 'MaxMinDiff', 'MaxAbsDiff', 'MeanAbsDev', 'LTwo', 'Variance'] as const;
export type Combiner = (typeof COMBINERS)[number];

/** Combine group values into one number (FairRankTune's ComboUtil); null for no values or x/0. */
export function combine(values: readonly number[], combiner: Combiner): number | null {
  const n = values.length;
  if (n === 0) return null;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  switch (combiner) {
    case 'MinMaxRatio':
      return max === 0 ? null : min / max;
    case 'MaxMinRatio':
      return min === 0 ? null : max / min;
    case 'MaxMinDiff':
      return max - min;
    case 'MaxAbsDiff':
      return Math.max(...values.map((v) => Math.abs(v - mean)));
    case 'MeanAbsDev':
      return values.reduce((s, v) => s + Math.abs(v - mean), 0) / n;
    case 'LTwo':
      return Math.sqrt(values.reduce((s, v) => s + v * v, 0));
    case 'Variance':
      return values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  }
}

/**
 * Gini coefficient of non-negative values, G = Σ_i (2i − N − 1)·x_(i) / (N·Σx) over the ascending
 * order statistics. With `catalogSize` N ≥ values.length, the N − values.length items never seen
 * count as zeros. Null when Σx = 0 or there is nothing to measure.
 */
export function gini(values: ArrayLike<number>, options: { catalogSize?: number | undefined } = {}): number | null {
  const shown = values.length;
  const size = options.catalogSize ?? shown;
  if (!(Number.isInteger(size) && size >= shown)) throw new RangeError(`catalogSize ${size} is smaller than the ${shown} values given`);
  if (size === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const zeros = size - shown;
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < shown; i++) {
    const x = sorted[i]!;
    if (!(x >= 0)) throw new RangeError(`gini needs non-negative values (got ${x})`);
    const rank = zeros + i + 1;
    total += x;
    weighted += (2 * rank - size - 1) * x;
  }
  return total > 0 ? weighted / (size * total) : null;
}

/** Distinct items shown ÷ catalogue size (null without a catalogue size). */
export function coverage(distinctShown: number, catalogSize: number | undefined): number | null {
  if (catalogSize === undefined) return null;
  if (!(Number.isInteger(catalogSize) && catalogSize >= 1)) throw new RangeError(`catalogSize must be a whole number ≥ 1 (got ${catalogSize})`);
  return distinctShown / catalogSize;
}

export interface SingleRankingExposure {
  readonly value: number | null;
  /** Mean exposure of each group's items, groups in name order. */
  readonly byGroup: ReadonlyMap<string, number>;
}

/** FairRankTune's EXP of one ranking (items best first) with item → group. */
export function rankingExposure(ranking: readonly string[], itemGroup: ReadonlyMap<string, string> | Readonly<Record<string, string>>, combiner: Combiner = 'MinMaxRatio'): SingleRankingExposure {
  const groupOf = (item: string): string => {
    const g = itemGroup instanceof Map ? itemGroup.get(item) : (itemGroup as Readonly<Record<string, string>>)[item];
    if (g === undefined) throw new RangeError(`item ${JSON.stringify(item)} has no group`);
    return g;
  };
  const totals = new Map<string, { exposure: number; items: number }>();
  ranking.forEach((item, j) => {
    const g = groupOf(item);
    const t = totals.get(g) ?? { exposure: 0, items: 0 };
    t.exposure += positionWeight(j + 1);
    t.items += 1;
    totals.set(g, t);
  });
  const names = [...totals.keys()].sort(compareNames);
  const byGroup = new Map(names.map((g) => [g, totals.get(g)!.exposure / totals.get(g)!.items]));
  return { value: combine([...byGroup.values()], combiner), byGroup };
}

// ---- many lists, columnar ----

/** A ranking log in columns: one row per (list, item, rank). */
export interface RankingColumns {
  /** Number of distinct lists (L). */
  readonly lists: number;
  readonly items: readonly string[];
  readonly groups: readonly string[];
  /** Group code of each item. */
  readonly itemGroup: Int32Array;
  /** Per row: item code and 1-based rank. */
  readonly item: Int32Array;
  readonly rank: Int32Array;
  /** Per row relevance in [0, 1], when given. */
  readonly relevance?: Float64Array | undefined;
}

export interface ItemExposure {
  /** Amortised exposure per item: Σ v_rank ÷ L. */
  readonly exposure: Float64Array;
  /** Appearances per item. */
  readonly appearances: Int32Array;
  /** Amortised relevance per item: Σ relevance ÷ L (undefined without relevance). */
  readonly relevance: Float64Array | undefined;
}

export function itemExposure(c: RankingColumns): ItemExposure {
  const k = c.items.length;
  const exposure = new Float64Array(k);
  const appearances = new Int32Array(k);
  const relevance = c.relevance ? new Float64Array(k) : undefined;
  const rows = c.item.length;
  // Position weights are cached for the ranks that occur.
  const weights: number[] = [];
  for (let i = 0; i < rows; i++) {
    const item = c.item[i]!;
    const rank = c.rank[i]!;
    exposure[item]! += weights[rank] ??= positionWeight(rank);
    appearances[item]! += 1;
    if (relevance) relevance[item]! += c.relevance![i]!;
  }
  const lists = Math.max(1, c.lists);
  for (let i = 0; i < k; i++) {
    exposure[i]! /= lists;
    if (relevance) relevance[i]! /= lists;
  }
  return { exposure, appearances, relevance };
}

export interface GroupExposure {
  readonly group: string;
  /** Distinct items of the group shown. */
  readonly items: number;
  readonly meanExposure: number;
  /** Null without relevance. */
  readonly meanRelevance: number | null;
  /** meanExposure / meanRelevance; null without relevance or when the mean relevance is 0. */
  readonly exposurePerRelevance: number | null;
}

export interface ExposureAudit {
  readonly groups: GroupExposure[];
  /** Gini of appearance counts over items (unseen catalogue items as 0). */
  readonly gini: number | null;
  /** Distinct items shown ÷ catalogue size; null without a catalogue size. */
  readonly coverage: number | null;
  /** Combined group mean exposures. */
  readonly combined: { readonly minMaxRatio: number | null; readonly maxMinDiff: number | null };
}

export type ExposureResult = { ok: true; audit: ExposureAudit; exposureGini: number | null } | { ok: false; message: string };

/** Group exposure, concentration and coverage of a ranking log (groups in name order). */
export function exposureAudit(c: RankingColumns, options: { catalogSize?: number | undefined } = {}): ExposureResult {
  const { catalogSize } = options;
  const shown = c.items.length;
  if (catalogSize !== undefined) {
    if (!(Number.isInteger(catalogSize) && catalogSize >= 1)) return { ok: false, message: `catalogue size must be a whole number ≥ 1 (got ${catalogSize})` };
    if (catalogSize < shown) return { ok: false, message: `catalogue size ${catalogSize} is smaller than the ${shown} distinct items shown` };
  }
  const ex = itemExposure(c);
  const g = c.groups.length;
  const sumExposure = new Float64Array(g);
  const sumRelevance = new Float64Array(g);
  const items = new Int32Array(g);
  for (let i = 0; i < shown; i++) {
    const code = c.itemGroup[i]!;
    sumExposure[code]! += ex.exposure[i]!;
    if (ex.relevance) sumRelevance[code]! += ex.relevance[i]!;
    items[code]! += 1;
  }
  const order = c.groups.map((_, i) => i).sort((a, b) => compareNames(c.groups[a]!, c.groups[b]!));
  const groups: GroupExposure[] = order
    .filter((code) => items[code]! > 0)
    .map((code) => {
      const meanExposure = sumExposure[code]! / items[code]!;
      const meanRelevance = ex.relevance ? sumRelevance[code]! / items[code]! : null;
      return {
        group: c.groups[code]!,
        items: items[code]!,
        meanExposure,
        meanRelevance,
        exposurePerRelevance: meanRelevance === null || meanRelevance === 0 ? null : meanExposure / meanRelevance,
      };
    });
  const means = groups.map((x) => x.meanExposure);
  return {
    ok: true,
    audit: {
      groups,
      gini: gini(ex.appearances, { catalogSize }),
      coverage: coverage(shown, catalogSize),
      combined: { minMaxRatio: combine(means, 'MinMaxRatio'), maxMinDiff: combine(means, 'MaxMinDiff') },
    },
    exposureGini: gini(ex.exposure, { catalogSize }),
  };
}
