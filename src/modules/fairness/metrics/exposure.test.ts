import { describe, expect, it } from 'vitest';
import { combine, coverage, exposureAudit, gini, itemExposure, positionWeight, rankingExposure, type RankingColumns } from './exposure.js';

/** TV-7: FairRankTune's EXP example. */
const RANKING = ['Joe', 'Jack', 'Nick', 'David', 'Mark', 'Josh', 'Dave', 'Bella', 'Heidi', 'Amy'];
const GROUP: Record<string, string> = { Joe: 'M', Jack: 'M', Nick: 'M', David: 'M', Mark: 'M', Josh: 'M', Dave: 'M', Bella: 'W', Heidi: 'W', Amy: 'W' };

/** Columns for several lists of item names, with groups and optional relevance. */
function columns(lists: string[][], group: Record<string, string>, relevance?: number[][]): RankingColumns {
  const items: string[] = [];
  const groups = [...new Set(Object.values(group))].sort();
  const item: number[] = [];
  const rank: number[] = [];
  const rel: number[] = [];
  lists.forEach((list, l) =>
    list.forEach((name, j) => {
      if (!items.includes(name)) items.push(name);
      item.push(items.indexOf(name));
      rank.push(j + 1);
      if (relevance) rel.push(relevance[l]![j]!);
    }),
  );
  return {
    lists: lists.length,
    items,
    groups,
    itemGroup: Int32Array.from(items.map((i) => groups.indexOf(group[i]!))),
    item: Int32Array.from(item),
    rank: Int32Array.from(rank),
    relevance: relevance ? Float64Array.from(rel) : undefined,
  };
}

describe('exposure', () => {
  it('position weights are 1/log2(1 + j)', () => {
    expect(positionWeight(1)).toBe(1);
    expect(positionWeight(3)).toBe(0.5);
    expect(positionWeight(7)).toBeCloseTo(1 / 3, 15);
    expect(() => positionWeight(0)).toThrow(RangeError);
  });

  it('TV-7: FairRankTune EXP — group means M 0.5197142341886783, W 0.3018532329225326, MaxMinDiff 0.21786100126614577, MinMaxRatio 0.580806', () => {
    const r = rankingExposure(RANKING, GROUP, 'MaxMinDiff');
    expect(r.byGroup.get('M')).toBeCloseTo(0.5197142341886783, 14);
    expect(r.byGroup.get('W')).toBeCloseTo(0.3018532329225326, 14);
    expect(r.value).toBeCloseTo(0.21786100126614577, 14);
    expect(rankingExposure(RANKING, GROUP, 'MinMaxRatio').value).toBeCloseTo(0.580806, 6);
    // The columnar path on the same single list gives the same figures.
    const a = exposureAudit(columns([RANKING], GROUP));
    if (!a.ok) throw new Error(a.message);
    expect(a.audit.groups.map((g) => [g.group, g.items])).toEqual([
      ['M', 7],
      ['W', 3],
    ]);
    expect(a.audit.groups[0]!.meanExposure).toBeCloseTo(0.5197142341886783, 14);
    expect(a.audit.combined.maxMinDiff).toBeCloseTo(0.21786100126614577, 14);
    expect(a.audit.combined.minMaxRatio).toBeCloseTo(0.580806, 6);
  });

  it('combiners follow FairRankTune (MaxAbsDiff = max |v − mean|, Variance = population variance)', () => {
    const v = [1, 2, 6];
    expect(combine(v, 'MinMaxRatio')).toBeCloseTo(1 / 6, 15);
    expect(combine(v, 'MaxMinRatio')).toBe(6);
    expect(combine(v, 'MaxMinDiff')).toBe(5);
    expect(combine(v, 'MaxAbsDiff')).toBe(3);
    expect(combine(v, 'MeanAbsDev')).toBeCloseTo((2 + 1 + 3) / 3, 15);
    expect(combine(v, 'LTwo')).toBeCloseTo(Math.sqrt(41), 15);
    expect(combine(v, 'Variance')).toBeCloseTo((4 + 1 + 9) / 3, 15);
    expect(combine([], 'MaxMinDiff')).toBeNull();
    expect(combine([0, 0], 'MinMaxRatio')).toBeNull();
  });

  it('amortises over lists: an item in one of two lists gets half the exposure; EXPU is FairRankTune\'s quotient', () => {
    const c = columns(
      [
        ['a', 'b'],
        ['b', 'c'],
      ],
      { a: 'g1', b: 'g1', c: 'g2' },
      [
        [1, 0.5],
        [0.5, 0.25],
      ],
    );
    const ex = itemExposure(c);
    const v2 = 1 / Math.log2(3);
    expect(Array.from(ex.exposure)).toEqual([0.5, (v2 + 1) / 2, v2 / 2]);
    expect(Array.from(ex.appearances)).toEqual([1, 2, 1]);
    const a = exposureAudit(c, { catalogSize: 4 });
    if (!a.ok) throw new Error(a.message);
    const g1 = a.audit.groups[0]!;
    expect(g1.meanExposure).toBeCloseTo((0.5 + (v2 + 1) / 2) / 2, 15);
    expect(g1.meanRelevance).toBeCloseTo((0.5 + 0.5) / 2, 15);
    // FairRankTune: Σ exposure over the group's appearances ÷ Σ relevance over them.
    expect(g1.exposurePerRelevance).toBeCloseTo((1 + v2 + 1) / (1 + 0.5 + 0.5), 12);
    expect(a.audit.coverage).toBe(0.75);
    // Appearances [1, 2, 1, 0]: sorted [0, 1, 1, 2], G = Σ(2i − n − 1)x / (nΣx) = (−1 + 1 + 6)/(4·4).
    expect(a.audit.gini).toBeCloseTo(6 / 16, 15);
  });

  it('Gini: 0 for equal values, (n − 1)/n for one holder, unseen items as zeros; coverage needs a catalogue', () => {
    expect(gini([3, 3, 3])).toBe(0);
    expect(gini([0, 0, 5])).toBeCloseTo(2 / 3, 15);
    expect(gini([5], { catalogSize: 3 })).toBeCloseTo(2 / 3, 15);
    expect(gini([1, 2, 3, 4])).toBeCloseTo(0.25, 15);
    expect(gini([0, 0])).toBeNull();
    expect(() => gini([1, 2], { catalogSize: 1 })).toThrow(RangeError);
    expect(coverage(3, undefined)).toBeNull();
    expect(coverage(3, 12)).toBe(0.25);
  });

  it('refuses a catalogue smaller than the items shown', () => {
    const a = exposureAudit(columns([RANKING], GROUP), { catalogSize: 5 });
    expect(a).toEqual({ ok: false, message: 'catalogue size 5 is smaller than the 10 distinct items shown' });
  });
});
