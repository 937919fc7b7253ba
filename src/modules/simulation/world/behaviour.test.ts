import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import { generateAudience, type SimViewer } from './audience.js';
import {
  NoiseTable,
  clickProbability,
  examination,
  itemProbabilities,
  purchaseProbability,
  respond,
  roomContext,
  sigmoid,
  utility,
  type ProductView,
  type SimAction,
} from './behaviour.js';
import { CATEGORIES, builtinScenarioPath, readScenarioFile } from './scenario.js';

const scenario = readScenarioFile(builtinScenarioPath('baby-care'));
const viewers = generateAudience({ ...scenario, audience: { ...scenario.audience, viewers: 50 } }, 42);

function product(id: string, over: Partial<ProductView> = {}): ProductView {
  return { id, category: 'diapers', priceFen: 8900, listPriceFen: 10900, ageMinMonths: 0, ageMaxMonths: 72, soldOut: false, pinned: false, flashSale: false, ...over };
}

/** 39 products: three per category at ¥19, ¥129 and ¥2,999-ish. */
const catalogue: ProductView[] = CATEGORIES.flatMap((category, c) =>
  [1900, 12900, 299900].map((price, i) =>
    product(`p-${category}-${i}`, { category, priceFen: price + c * 100, listPriceFen: Math.round((price + c * 100) * (1 + 0.1 * i)), ageMinMonths: 6 * i, ageMaxMonths: 24 + 12 * i }),
  ),
);
const room = roomContext(catalogue);

/** A viewer with livelier intercepts, so Monte Carlo estimates of purchases are tight. */
function lively(v: SimViewer): SimViewer {
  return { ...v, behaviour: { ...v.behaviour, clickIntercept: -1, cartIntercept: 0, purchaseIntercept: 0 } };
}

const count = (actions: readonly SimAction[], kind: SimAction['kind'], position?: number) =>
  actions.filter((a) => a.kind === kind && (position === undefined || a.position === position)).length;

describe('utility', () => {
  it('follows the documented formula', () => {
    const v = viewers[0]!;
    const noise = new NoiseTable(0.5);
    const p = product('x', { category: 'toys', priceFen: 4900, listPriceFen: 7000, ageMinMonths: 0, ageMaxMonths: 200, pinned: true, flashSale: true });
    const l = v.latent;
    const expected =
      l.categoryAffinity.toys! +
      l.ageFitBonus -
      l.priceSensitivity * Math.log(4900 / room.medianPriceFen) +
      l.discountAffinity * (2100 / 7000) +
      l.flashSaleAffinity +
      l.pinnedAffinity +
      noise.get(v, 'x');
    expect(utility(v, p, room, noise)).toBeCloseTo(expected, 12);
    // Outside the age range: no bonus.
    const older = { ...p, ageMinMonths: 100, ageMaxMonths: 200 };
    expect(utility(v, p, room, noise) - utility(v, older, room, noise)).toBeCloseTo(l.ageFitBonus, 12);
    expect(utility(v, { ...p, soldOut: true }, room, noise)).toBe(-Infinity);
  });

  it('uses the room median price as the reference', () => {
    expect(roomContext([product('a', { priceFen: 100 }), product('b', { priceFen: 300 }), product('c', { priceFen: 1000 })]).medianPriceFen).toBe(300);
    expect(roomContext([product('a', { priceFen: 100 }), product('b', { priceFen: 300 })]).medianPriceFen).toBe(200);
  });
});

describe('NoiseTable', () => {
  it('gives each (viewer, product) pair one fixed draw whatever the call order', () => {
    const noise = new NoiseTable(1);
    const ids = catalogue.map((p) => p.id);
    const forward = ids.map((id) => noise.get(viewers[1]!, id));
    const backward = [...ids].reverse().map((id) => new NoiseTable(1).get(viewers[1]!, id)).reverse();
    expect(backward).toEqual(forward);
    expect(noise.get(viewers[2]!, ids[0]!)).not.toBe(forward[0]);
    expect(new NoiseTable(0).get(viewers[1]!, ids[0]!)).toBe(0);
  });

  it('has the configured spread', () => {
    const noise = new NoiseTable(0.5);
    const draws = viewers.flatMap((v) => catalogue.map((p) => noise.get(v, p.id)));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.03);
  });
});

describe('respond', () => {
  const noise = NoiseTable.forScenario(scenario);

  it('is deterministic for the same generator state', () => {
    const slate = catalogue.slice(0, 8);
    const a = respond(viewers[3]!, slate, room, noise, new Rng(5));
    expect(respond(viewers[3]!, slate, room, noise, new Rng(5))).toEqual(a);
    const many = (seed: number) => Array.from({ length: 200 }, (_, i) => respond(lively(viewers[i % 50]!), slate, room, noise, new Rng(seed * 1000 + i)));
    expect(many(1)).toEqual(many(1));
    expect(many(1)).not.toEqual(many(2));
  });

  it('matches clickProbability and purchaseProbability within Monte Carlo error', () => {
    const v = lively(viewers[4]!);
    const slate = [catalogue[0]!, catalogue[15]!, catalogue[3]!, catalogue[30]!, catalogue[9]!, catalogue[1]!];
    const runs = 20_000;
    const rng = new Rng(77);
    const clicks = new Array<number>(slate.length).fill(0);
    const purchases = new Array<number>(slate.length).fill(0);
    const impressions = new Array<number>(slate.length).fill(0);
    for (let r = 0; r < runs; r++) {
      for (const a of respond(v, slate, room, noise, rng)) {
        if (a.kind === 'click') clicks[a.position]!++;
        if (a.kind === 'purchase') purchases[a.position]!++;
        if (a.kind === 'impression') impressions[a.position]!++;
      }
    }
    slate.forEach((p, i) => {
      const pc = clickProbability(v, p, i, room, noise);
      const pp = purchaseProbability(v, p, i, room, noise);
      const pe = examination(v, i);
      // 4.5 standard errors of a binomial proportion, plus a hair for p ≈ 0.
      expect(Math.abs(clicks[i]! / runs - pc)).toBeLessThan(4.5 * Math.sqrt((pc * (1 - pc)) / runs) + 1e-4);
      expect(Math.abs(purchases[i]! / runs - pp)).toBeLessThan(4.5 * Math.sqrt((pp * (1 - pp)) / runs) + 1e-4);
      expect(Math.abs(impressions[i]! / runs - pe)).toBeLessThan(4.5 * Math.sqrt((pe * (1 - pe)) / runs) + 1e-4);
    });
    expect(purchases.reduce((a, b) => a + b, 0)).toBeGreaterThan(500);
  });

  it('respects position examination: lower slots are clicked less for equal utility', () => {
    const v: SimViewer = { ...lively(viewers[5]!) };
    const flat = new NoiseTable(0);
    const slate = Array.from({ length: 8 }, (_, i) => product(`same-${i}`));
    const u = utility(v, slate[0]!, room, flat);
    for (const p of slate) expect(utility(v, p, room, flat)).toBe(u);
    const clicks = new Array<number>(slate.length).fill(0);
    const rng = new Rng(3);
    for (let r = 0; r < 10_000; r++) for (const a of respond(v, slate, room, flat, rng)) if (a.kind === 'click') clicks[a.position]!++;
    for (let i = 1; i < 6; i++) expect(clicks[i]!).toBeLessThan(clicks[i - 1]!);
    const top = clicks[0]! / 10_000;
    expect(top).toBeCloseTo(sigmoid(v.behaviour.clickIntercept + u), 1);
    // Beyond the examination list nothing is examined.
    const long = Array.from({ length: v.behaviour.positionExamination.length + 3 }, (_, i) => product(`l-${i}`));
    const beyond = respond(v, long, room, flat, new Rng(1)).filter((a) => a.position >= v.behaviour.positionExamination.length);
    expect(beyond).toEqual([]);
  });

  it('never clicks, carts or buys a sold-out product, but may see it', () => {
    const v = lively(viewers[6]!);
    const slate = catalogue.slice(0, 6).map((p) => ({ ...p, soldOut: true, pinned: true, flashSale: true }));
    const rng = new Rng(8);
    let seen = 0;
    for (let r = 0; r < 3000; r++) {
      const actions = respond(v, slate, room, noise, rng);
      seen += count(actions, 'impression');
      expect(actions.filter((a) => a.kind !== 'impression')).toEqual([]);
    }
    expect(seen).toBeGreaterThan(3000);
    for (let i = 0; i < slate.length; i++) expect(clickProbability(v, slate[i]!, i, room, noise)).toBe(0);
  });

  it('orders each item’s actions as a cascade and counts a repeated product once', () => {
    const v = lively(viewers[7]!);
    const rng = new Rng(10);
    for (let r = 0; r < 2000; r++) {
      const slate = [catalogue[r % 39]!, catalogue[(r * 7) % 39]!, catalogue[r % 39]!];
      const actions = respond(v, slate, room, noise, rng);
      expect(actions.some((a) => a.position === 2)).toBe(false); // slate[2] repeats slate[0]
      for (const position of [0, 1]) {
        const kinds = actions.filter((a) => a.position === position).map((a) => a.kind);
        if (kinds.length === 0) continue;
        expect(kinds[0]).toBe('impression');
        const rest = kinds.slice(1).join(',');
        expect(['', 'click', 'click,add_to_cart', 'click,add_to_cart,purchase', 'click,add_to_cart,purchase,thumbs_up', 'thumbs_down', 'not_interested']).toContain(rest);
      }
    }
  });

  it('gives thumbs down and not interested mostly to low-utility items', () => {
    const v = { ...viewers[8]!, behaviour: { ...viewers[8]!.behaviour, thumbsDownRate: 0.3, notInterestedRate: 0.3 } };
    const flat = new NoiseTable(0);
    const cheapToys = product('good', { category: 'toys', priceFen: 1900, listPriceFen: 3900 });
    const dearToy = product('bad', { category: 'toys', priceFen: 299900, listPriceFen: 299900, ageMinMonths: 200, ageMaxMonths: 216 });
    const rng = new Rng(12);
    const feedback = { good: 0, bad: 0 };
    for (let r = 0; r < 4000; r++) {
      for (const a of respond(v, [cheapToys, dearToy], room, flat, rng)) {
        if (a.kind === 'thumbs_down' || a.kind === 'not_interested') feedback[a.productId as 'good' | 'bad']++;
      }
    }
    expect(feedback.bad).toBeGreaterThan(feedback.good * 1.5);
  });

  it('exposes the cascade probabilities consistently', () => {
    const v = viewers[9]!;
    const p = itemProbabilities(v, catalogue[4]!, room, noise);
    const b = v.behaviour;
    expect(p.click).toBeCloseTo(sigmoid(b.clickIntercept + p.utility), 12);
    expect(p.cart).toBeCloseTo(p.click * sigmoid(b.cartIntercept + p.utility), 12);
    expect(p.purchase).toBeCloseTo(p.cart * sigmoid(b.purchaseIntercept + p.utility), 12);
    expect(clickProbability(v, catalogue[4]!, 2, room, noise)).toBeCloseTo(b.positionExamination[2]! * p.click, 12);
  });
});
