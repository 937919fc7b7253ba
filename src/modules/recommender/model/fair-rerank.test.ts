import { describe, expect, it } from 'vitest';
import { FAIR_RERANK_DEFAULTS, fairRerank, positionExposure, type ExposureLedger } from './fair-rerank.js';

const ledger = (exposure: Record<string, number>, impressions: Record<string, number> = {}, clicks: Record<string, number> = {}): ExposureLedger => ({
  exposure: new Map(Object.entries(exposure)),
  impressions: new Map(Object.entries(impressions)),
  clicks: new Map(Object.entries(clicks)),
});
const offered = new Map([
  ['a', 5],
  ['b', 5],
]);
const ranked = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'].map((group) => ({ group }));

describe('exposure-fair re-ranking', () => {
  it('leaves the ranking alone while the show has too little exposure to judge', () => {
    expect(fairRerank(ranked, 4, ledger({ a: 10 }), offered)).toEqual({ order: [0, 1, 2, 3], changed: false });
  });

  it('demotes an over-exposed group of equal merit, and keeps the list full', () => {
    // a has had 90 % of the attention with the same click-through as b.
    const r = fairRerank(ranked, 4, ledger({ a: 90, b: 10 }, { a: 300, b: 100 }, { a: 30, b: 10 }), offered);
    expect(r.changed).toBe(true);
    expect(r.order).toHaveLength(4);
    expect(new Set(r.order).size).toBe(4);
    expect(r.order.every((i) => ranked[i]!.group === 'b')).toBe(true);
  });

  it('keeps the order when exposure already follows merit', () => {
    // a is clicked three times as often as b: 75 % of the merit; it has had 70 % of the attention.
    const r = fairRerank(ranked, 4, ledger({ a: 70, b: 30 }, { a: 100, b: 100 }, { a: 30, b: 10 }), offered);
    expect(r.changed).toBe(false);
  });

  it('falls back to the best-ranked candidate when every group is over-exposed', () => {
    const only = [{ group: 'a' }, { group: 'a' }];
    expect(fairRerank(only, 4, ledger({ a: 90, b: 10 }, { a: 100, b: 100 }, { a: 10, b: 10 }), offered).order).toEqual([0, 1]);
  });

  it('over a show, keeps the favoured group’s amortised exposure within the band of its merit share', () => {
    const run = (rerank: boolean) => {
      const exposure = new Map<string, number>();
      const impressions = new Map<string, number>();
      const clicks = new Map<string, number>();
      for (let list = 0; list < 500; list++) {
        const order = rerank ? fairRerank(ranked, 4, { exposure, impressions, clicks }, offered).order : [0, 1, 2, 3];
        order.forEach((i, slot) => {
          const g = ranked[i]!.group;
          exposure.set(g, (exposure.get(g) ?? 0) + positionExposure(slot + 1));
          impressions.set(g, (impressions.get(g) ?? 0) + 1);
          // Equal merit: every tenth impression of either group is clicked.
          if ((impressions.get(g) ?? 0) % 10 === 0) clicks.set(g, (clicks.get(g) ?? 0) + 1);
        });
      }
      const total = (exposure.get('a') ?? 0) + (exposure.get('b') ?? 0);
      return (exposure.get('a') ?? 0) / total;
    };
    expect(run(false)).toBe(1);
    const share = run(true);
    // Merit share 0.5: the band allows up to 0.5 / 0.8 = 0.625.
    expect(share).toBeLessThanOrEqual(0.5 / FAIR_RERANK_DEFAULTS.band + 0.01);
    expect(share).toBeGreaterThan(0.5);
  });
});
