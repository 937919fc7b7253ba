import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import { generateAudience } from './audience.js';
import { NoiseTable, examination, itemProbabilities, roomContext, type ProductView } from './behaviour.js';
import { CATEGORIES, builtinScenarioPath, readScenarioFile } from './scenario.js';
import { RegretCurve, bestSlate, expectedReward, itemReward, knowledgeCeilings, regret, type RewardKind } from './truth.js';

const scenario = readScenarioFile(builtinScenarioPath('baby-care'));
const viewers = generateAudience({ ...scenario, audience: { ...scenario.audience, viewers: 300 } }, 9);
const noise = NoiseTable.forScenario(scenario);

/** 39 products: three per category, cheap to dear, with mixed flags. */
const catalogue: ProductView[] = CATEGORIES.flatMap((category, c) =>
  [1900, 12900, 299900].map((base, i) => {
    const priceFen = base + c * 100;
    return {
      id: `p-${category}-${i}`,
      category,
      priceFen,
      listPriceFen: Math.round(priceFen * (1 + 0.1 * i)),
      ageMinMonths: 6 * i,
      ageMaxMonths: 24 + 12 * i,
      soldOut: (c + i) % 11 === 0,
      pinned: (c * 3 + i) % 7 === 0,
      flashSale: (c + 2 * i) % 9 === 0,
    };
  }),
);
const room = roomContext(catalogue);
const REWARDS: readonly RewardKind[] = ['click', 'purchase', 'gmv'];

/** The demo catalogue (src/modules/catalogue/seed), as the room would show it. */
function demoCatalogue(): ProductView[] {
  const file = new URL('../../catalogue/seed/demo-catalogue.json', import.meta.url);
  const data = JSON.parse(readFileSync(file, 'utf8')) as { products: { sku: string; category: string; price: string; listPrice: string; ageMinMonths: number; ageMaxMonths: number }[] };
  return data.products.map((p) => ({
    id: p.sku,
    category: p.category,
    priceFen: Math.round(Number(p.price) * 100),
    listPriceFen: Math.round(Number(p.listPrice) * 100),
    ageMinMonths: p.ageMinMonths,
    ageMaxMonths: p.ageMaxMonths,
    soldOut: false,
    pinned: false,
    flashSale: false,
  }));
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('expectedReward', () => {
  it('is Σ examination × per-item reward (× price for GMV)', () => {
    const v = viewers[0]!;
    const slate = catalogue.slice(3, 10);
    for (const reward of REWARDS) {
      const manual = slate.reduce((sum, p, i) => {
        const q = itemProbabilities(v, p, room, noise);
        const r = reward === 'click' ? q.click : reward === 'purchase' ? q.purchase : q.purchase * p.priceFen;
        return sum + examination(v, i) * r;
      }, 0);
      expect(expectedReward(v, slate, room, noise, reward)).toBeCloseTo(manual, 12);
    }
    expect(expectedReward(v, [], room, noise, 'click')).toBe(0);
    // A repeated product counts once.
    expect(expectedReward(v, [catalogue[4]!, catalogue[4]!], room, noise, 'click')).toBeCloseTo(expectedReward(v, [catalogue[4]!], room, noise, 'click'), 15);
  });
});

describe('bestSlate and regret', () => {
  const slateArb = fc.uniqueArray(fc.integer({ min: 0, max: catalogue.length - 1 }), { maxLength: 14 });

  it('regret is never negative (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: viewers.length - 1 }), slateArb, fc.integer({ min: 0, max: 14 }), fc.constantFrom(...REWARDS), (vi, indices, k, reward) => {
        const shown = indices.map((i) => catalogue[i]!);
        const r = regret(viewers[vi]!, shown, catalogue, k, room, noise, reward);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(r)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('regret of the best slate is 0 and the best slate beats every other slate (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: viewers.length - 1 }), slateArb, fc.integer({ min: 1, max: 12 }), fc.constantFrom(...REWARDS), (vi, indices, k, reward) => {
        const v = viewers[vi]!;
        const best = bestSlate(v, catalogue, k, room, noise, reward);
        expect(best).toHaveLength(k);
        expect(regret(v, best, catalogue, k, room, noise, reward)).toBe(0);
        const shown = indices.slice(0, k).map((i) => catalogue[i]!);
        expect(expectedReward(v, best, room, noise, reward)).toBeGreaterThanOrEqual(expectedReward(v, shown, room, noise, reward) - 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('is the optimum found by trying every ordered slate of a small room (property)', () => {
    const orderedSlates = (items: readonly ProductView[], k: number): ProductView[][] => {
      if (k === 0) return [[]];
      return items.flatMap((p, i) => orderedSlates([...items.slice(0, i), ...items.slice(i + 1)], k - 1).map((rest) => [p, ...rest]));
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: viewers.length - 1 }),
        fc.uniqueArray(fc.integer({ min: 0, max: catalogue.length - 1 }), { minLength: 3, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(...REWARDS),
        (vi, indices, k, reward) => {
          const v = viewers[vi]!;
          const small = indices.map((i) => catalogue[i]!);
          const optimum = Math.max(...orderedSlates(small, k).map((s) => expectedReward(v, s, room, noise, reward)));
          expect(expectedReward(v, bestSlate(v, small, k, room, noise, reward), room, noise, reward)).toBeCloseTo(optimum, 12);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('puts the items in descending order of their reward and never prefers a sold-out one', () => {
    const v = viewers[1]!;
    const best = bestSlate(v, catalogue, 10, room, noise, 'purchase');
    const rewards = best.map((p) => itemReward(v, p, room, noise, 'purchase'));
    for (let i = 1; i < rewards.length; i++) expect(rewards[i]!).toBeLessThanOrEqual(rewards[i - 1]!);
    expect(best.some((p) => p.soldOut)).toBe(false);
  });

  it('beats random slates on average', () => {
    const rng = new Rng(4);
    let best = 0;
    let random = 0;
    for (const v of viewers.slice(0, 200)) {
      best += expectedReward(v, bestSlate(v, catalogue, 8, room, noise, 'click'), room, noise, 'click');
      random += expectedReward(v, shuffled(catalogue, rng).slice(0, 8), room, noise, 'click');
    }
    expect(best).toBeGreaterThan(random * 2);
  });

  it('makes personalisation worth something in baby-care: per-viewer best > best per age band > one slate for all > random', () => {
    const products = demoCatalogue();
    const demoRoom = roomContext(products);
    const k = 8;
    const sample = viewers.slice(0, 300);
    const popularOf = (group: typeof sample) => {
      const mean = new Map(products.map((p) => [p.id, group.reduce((s, v) => s + itemReward(v, p, demoRoom, noise, 'purchase'), 0)]));
      return [...products].sort((a, b) => mean.get(b.id)! - mean.get(a.id)!).slice(0, k);
    };
    const popular = popularOf(sample);
    const byBand = new Map<string, ProductView[]>();
    for (const band of new Set(sample.map((v) => v.segment.childAgeBand))) byBand.set(band, popularOf(sample.filter((v) => v.segment.childAgeBand === band)));
    const rng = new Rng(2);
    const total = (slateOf: (v: (typeof sample)[number]) => ProductView[]) => sample.reduce((s, v) => s + expectedReward(v, slateOf(v), demoRoom, noise, 'purchase'), 0);
    const oracle = total((v) => bestSlate(v, products, k, demoRoom, noise, 'purchase'));
    const band = total((v) => byBand.get(v.segment.childAgeBand)!);
    const all = total(() => popular);
    const random = total(() => shuffled(products, rng).slice(0, k));
    expect(oracle).toBeGreaterThan(band * 1.2);
    expect(band).toBeGreaterThan(all * 1.1);
    expect(all).toBeGreaterThan(random * 2);
  });
});

describe('knowledgeCeilings', () => {
  const room = roomContext(catalogue);
  const band = (v: (typeof viewers)[number]) => v.segment.childAgeBand;

  it('orders the ceilings exactly: each viewer’s own best ≥ the best per group ≥ the best for all', () => {
    for (const reward of ['click', 'purchase', 'gmv'] as RewardKind[]) {
      const c = knowledgeCeilings(viewers, band, catalogue, 4, room, noise, reward);
      expect(c.viewers).toBe(viewers.length);
      expect(c.perViewer).toBeGreaterThanOrEqual(c.perGroup - 1e-12);
      expect(c.perGroup).toBeGreaterThanOrEqual(c.population - 1e-12);
      expect(c.population).toBeGreaterThan(0);
    }
  });

  it('is the population slate with one group and the per-viewer oracle with a group per viewer', () => {
    const one = knowledgeCeilings(viewers, () => 'all', catalogue, 4, room, noise, 'purchase');
    expect(one.perGroup).toBeCloseTo(one.population, 15);
    const each = knowledgeCeilings(viewers, (v) => String(v.index), catalogue, 4, room, noise, 'purchase');
    expect(each.perGroup).toBeCloseTo(each.perViewer, 15);
  });

  it('matches a calculation by hand: the top four by the group’s mean reward, scored on each member', () => {
    const c = knowledgeCeilings(viewers, band, catalogue, 4, room, noise, 'purchase');
    let total = 0;
    let oracle = 0;
    for (const v of viewers) {
      const members = viewers.filter((w) => w.segment.childAgeBand === v.segment.childAgeBand);
      const mean = (p: ProductView) => members.reduce((s, w) => s + itemReward(w, p, room, noise, 'purchase'), 0) / members.length;
      const slate = [...catalogue].sort((a, b) => mean(b) - mean(a) || (a.id < b.id ? -1 : 1)).slice(0, 4);
      total += expectedReward(v, slate, room, noise, 'purchase');
      oracle += expectedReward(v, bestSlate(v, catalogue, 4, room, noise, 'purchase'), room, noise, 'purchase');
    }
    expect(c.perGroup).toBeCloseTo(total / viewers.length, 12);
    expect(c.perViewer).toBeCloseTo(oracle / viewers.length, 12);
    expect(knowledgeCeilings([], () => 'x', catalogue, 4, room, noise, 'purchase')).toEqual({ viewers: 0, perViewer: 0, perGroup: 0, population: 0 });
  });
});

describe('RegretCurve', () => {
  it('sums regret and reward per bucket with running totals, empty buckets included', () => {
    const curve = new RegretCurve(5);
    curve.add(0, 1, 10);
    curve.add(4.9, 2, 20);
    curve.add(12, 0.5, 5);
    expect(curve.decisions).toBe(3);
    expect(curve.buckets()).toEqual([
      { minute: 0, decisions: 2, regret: 3, reward: 30, cumulativeRegret: 3, cumulativeReward: 30, meanRegret: 1.5 },
      { minute: 5, decisions: 0, regret: 0, reward: 0, cumulativeRegret: 3, cumulativeReward: 30, meanRegret: 0 },
      { minute: 10, decisions: 1, regret: 0.5, reward: 5, cumulativeRegret: 3.5, cumulativeReward: 35, meanRegret: 0.5 },
    ]);
    expect(new RegretCurve().buckets()).toEqual([]);
    expect(() => curve.add(-1, 0, 0)).toThrow(RangeError);
    expect(() => curve.add(1, Number.NaN, 0)).toThrow(RangeError);
    expect(() => new RegretCurve(0)).toThrow(RangeError);
  });
});
