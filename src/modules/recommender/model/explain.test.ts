import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeatureSpace, LinearBandit, defaultFeatureSpace, explain, meanVector, topReasons, type FeatureSpec } from './index.js';
import { designMatrix, invertDense } from './testing.js';

const dataset = (n: number): FeatureSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `test.f${i}`, group: 'product', sensitive: false, label: { zh: `特征${i}`, en: `feature ${i}` } }));

/** A bandit whose θ̂ is exactly `theta`: one update with x = e_i·s and reward r gives θ_i = r·s/(λ+s²). */
function banditWithTheta(theta: number[]): LinearBandit {
  const d = theta.length;
  const bandit = new LinearBandit({ dim: d, kind: 'linucb', lambda: 1 });
  theta.forEach((t, i) => {
    if (t === 0) return;
    const x = new Float64Array(d);
    x[i] = 1;
    bandit.update(x, 2 * t); // θ_i = 2t / (1 + 1) = t
  });
  return bandit;
}

const vec = (d: number) => fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: d, maxLength: d }).map((a) => Float64Array.from(a));

describe('explain: exact SHAP for the linear exploit score', () => {
  it('reproduces the research note vector (β=[0.8,−0.5,0.2], intercept −1 as the bias weight)', () => {
    const space = new FeatureSpace(dataset(3), { allowUnlisted: true });
    const bandit = banditWithTheta([-1, 0.8, -0.5, 0.2]);
    const theta = Array.from(bandit.theta);
    [-1, 0.8, -0.5, 0.2].forEach((t, i) => expect(theta[i]).toBeCloseTo(t, 15));
    const x = Float64Array.of(1, 1, 1, 0);
    const mu = Float64Array.of(1, 0.5, 0.2, 1.0);
    const e = explain(bandit, space, x, mu);
    expect(e.contributions.map((c) => c.feature)).toEqual(['test.f0', 'test.f1', 'test.f2']); // |0.4| = |−0.4| > |−0.2|, stable
    expect(e.contributions.map((c) => c.phi)).toEqual([expect.closeTo(0.4, 12), expect.closeTo(-0.4, 12), expect.closeTo(-0.2, 12)]);
    expect(e.contributions.map((c) => c.value)).toEqual([1, 1, 0]);
    expect(e.base).toBeCloseTo(-0.5, 12);
    expect(e.score).toBeCloseTo(-0.7, 12);
    expect(1 / (1 + Math.exp(-e.score))).toBeCloseTo(0.331812, 6);
    expect(e.contributions.some((c) => c.feature === 'bias')).toBe(false);
  });

  it('local accuracy: base + Σφ = θ̂ᵀx to 1e-9 over random models and inputs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((d) =>
          fc.record({
            d: fc.constant(d),
            steps: fc.array(fc.tuple(vec(d + 1), fc.double({ min: -2, max: 2, noNaN: true })), { maxLength: 30 }),
            x: vec(d + 1),
            mu: vec(d + 1),
          }),
        ),
        ({ d, steps, x, mu }) => {
          const space = new FeatureSpace(dataset(d), { allowUnlisted: true });
          const bandit = new LinearBandit({ dim: d + 1, kind: 'lints', seed: 1 });
          for (const [v, r] of steps) bandit.update(v, r);
          const e = explain(bandit, space, x, mu);
          const sum = e.contributions.reduce((s, c) => s + c.phi, 0);
          expect(Math.abs(e.base + sum - e.score)).toBeLessThan(1e-9);
          expect(Math.abs(e.score - bandit.exploit(x))).toBeLessThan(1e-12);
          // θ̂ against the direct solve, so the explanation is of the model the maths defines
          const inv = invertDense(designMatrix(steps.map(([v]) => v), d + 1, 1), d + 1);
          for (const c of e.contributions) {
            const i = space.indexOf(c.feature);
            let t = 0;
            for (let j = 0; j <= d; j++) t += inv[i * (d + 1) + j]! * steps.reduce((s, [v, r]) => s + r * v[j]!, 0);
            expect(Math.abs(c.phi - t * (x[i]! - mu[i]!))).toBeLessThan(1e-9);
          }
          for (let t = 1; t < e.contributions.length; t++) {
            expect(Math.abs(e.contributions[t - 1]!.phi)).toBeGreaterThanOrEqual(Math.abs(e.contributions[t]!.phi));
          }
          expect(e.modelVersion).toBe(bandit.version);
        },
      ),
    );
  });

  it('missingness: x_i = μ_i or θ_i = 0 gives no contribution (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }), vec(5), vec(5), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (theta, x, mu, same, dead) => {
        const space = new FeatureSpace(dataset(4), { allowUnlisted: true });
        theta[dead - 1] = 0;
        const bandit = banditWithTheta([0.3, ...theta]);
        mu[same] = x[same]!;
        x[0] = 1;
        mu[0] = 1;
        const e = explain(bandit, space, x, mu);
        const names = e.contributions.map((c) => c.feature);
        expect(names).not.toContain(space.names[same]);
        expect(names).not.toContain(space.names[dead]);
        expect(names).not.toContain('bias');
        for (const c of e.contributions) expect(c.phi).not.toBe(0);
      }),
    );
  });

  it('symmetry: equal weights and equal deviations give equal φ', () => {
    const space = new FeatureSpace(dataset(2), { allowUnlisted: true });
    const bandit = banditWithTheta([0, 0.6, 0.6]);
    const e = explain(bandit, space, Float64Array.of(1, 1, 0.5), Float64Array.of(1, 0.5, 0));
    expect(e.contributions[0]!.phi).toBe(e.contributions[1]!.phi);
  });

  it('reports the exploration bonus as its own term, never spread over features', () => {
    const space = new FeatureSpace(dataset(2), { allowUnlisted: true });
    const bandit = new LinearBandit({ dim: 3, kind: 'linucb', alpha: 2 });
    bandit.update(Float64Array.of(1, 1, 0), 1);
    const x = Float64Array.of(1, 0, 1);
    const mu = Float64Array.of(1, 0.5, 0.5);
    const e = explain(bandit, space, x, mu);
    expect(e.exploration).toEqual({ active: false, bonus: bandit.bonus(x) });
    expect(e.exploration.bonus).toBeGreaterThan(0);
    expect(Math.abs(e.base + e.contributions.reduce((s, c) => s + c.phi, 0) - e.score)).toBeLessThan(1e-12);
    expect(explain(bandit, space, x, mu, { explored: true, bonus: 0.25 }).exploration).toEqual({ active: true, bonus: 0.25 });
    expect(() => explain(bandit, space, Float64Array.of(1, 0), mu)).toThrow(RangeError);
  });
});

describe('topReasons', () => {
  const space = defaultFeatureSpace();
  const names = ['room.pinned', 'behaviour.same_category_viewed', 'product.stock_low', 'room.popular_5m', 'room.flash_sale'];
  const theta = new Array<number>(space.dim).fill(0);
  theta[space.indexOf('room.pinned')] = 1.5;
  theta[space.indexOf('behaviour.same_category_viewed')] = 1.0;
  theta[space.indexOf('product.stock_low')] = 2.0; // the largest, but no viewer-facing reason (A9)
  theta[space.indexOf('room.popular_5m')] = 0.5;
  theta[space.indexOf('room.flash_sale')] = -1; // negative: never a reason
  const bandit = banditWithTheta(theta);
  const x = space.encode(Object.fromEntries(names.map((n) => [n, 1])));
  const mu = meanVector([x, space.encode({})], space.dim);
  const e = explain(bandit, space, x, mu);

  it('gives the reasons of the top positive contributions, in order, in each language', () => {
    expect(topReasons(e, space, 'zh-CN', mu)).toEqual(['主播正在介绍这件商品', '您刚刚看过同类商品', '最近 5 分钟在本直播间很受欢迎']);
    expect(topReasons(e, space, 'en', mu, 2)).toEqual(['The host is presenting this now', 'You just looked at similar products']);
    expect(e.contributions[0]!.feature).toBe('product.stock_low');
  });

  it('never gives two reasons that say the same thing: the stronger stays and the next distinct reason takes the place', () => {
    // A product just pinned: the host presents it now and presented it moments ago; it is popular now and all show.
    const t = new Array<number>(space.dim).fill(0);
    t[space.indexOf('room.pinned')] = 3;
    t[space.indexOf('room.pinned_recent')] = 1;
    t[space.indexOf('room.popular_5m')] = 2;
    t[space.indexOf('room.popular_session')] = 1;
    t[space.indexOf('room.flash_sale')] = 0.5;
    const pinned = space.encode({ 'room.pinned': 1, 'room.pinned_recent': 1, 'room.popular_5m': 1, 'room.popular_session': 1, 'room.flash_sale': 1 });
    const background = meanVector([pinned, space.encode({}), space.encode({})], space.dim);
    const ex = explain(banditWithTheta(t), space, pinned, background);
    expect(ex.contributions.map((c) => c.feature).slice(0, 4)).toEqual(['room.pinned', 'room.popular_5m', 'room.pinned_recent', 'room.popular_session']);
    expect(topReasons(ex, space, 'en', background)).toEqual(['The host is presenting this now', 'Popular in this room in the last 5 minutes', 'On flash sale now']);
    expect(topReasons(ex, space, 'zh-CN', background)).toEqual(['主播正在介绍这件商品', '最近 5 分钟在本直播间很受欢迎', '正在秒杀']);
    // Without the stronger one, the other of its kind is given.
    const recent = space.encode({ 'room.pinned_recent': 1, 'room.popular_session': 1 });
    const bg2 = meanVector([recent, space.encode({})], space.dim);
    expect(topReasons(explain(banditWithTheta(t), space, recent, bg2), space, 'en', bg2)).toEqual(['The host presented this a few minutes ago', 'Popular in this stream']);
    // A model that weighs recency above the pin still says the product on stage is being presented now.
    const u = new Array<number>(space.dim).fill(0);
    u[space.indexOf('room.pinned')] = 0.5;
    u[space.indexOf('room.pinned_recent')] = 3;
    const ex2 = explain(banditWithTheta(u), space, pinned, background);
    expect(ex2.contributions[0]!.feature).toBe('room.pinned_recent');
    expect(topReasons(ex2, space, 'en', background)[0]).toBe('The host is presenting this now');
  });

  it('says "you looked at this product" once, not also "similar products": looking at a product counts for its category too', () => {
    const t = new Array<number>(space.dim).fill(0);
    // A model that weighs the category signals above the product's own.
    t[space.indexOf('behaviour.same_category_viewed')] = 2;
    t[space.indexOf('behaviour.viewed_this')] = 1;
    t[space.indexOf('behaviour.same_category_carted')] = 1.5;
    t[space.indexOf('behaviour.carted_this')] = 0.5;
    t[space.indexOf('room.flash_sale')] = 0.2;
    const looked = space.encode({ 'behaviour.same_category_viewed': 1, 'behaviour.viewed_this': 1, 'behaviour.same_category_carted': 1, 'behaviour.carted_this': 1, 'room.flash_sale': 1 });
    const background = meanVector([looked, space.encode({}), space.encode({})], space.dim);
    const ex = explain(banditWithTheta(t), space, looked, background);
    expect(topReasons(ex, space, 'en', background)).toEqual(['You looked at this product', 'This product is in your cart', 'On flash sale now']);
    expect(topReasons(ex, space, 'zh-CN', background)).toEqual(['您刚刚看过这件商品', '这件商品在您的购物车里', '正在秒杀']);
    // A sibling of what the viewer looked at and carted: the category's words.
    const sibling = space.encode({ 'behaviour.same_category_viewed': 1, 'behaviour.same_category_carted': 1 });
    const bg2 = meanVector([sibling, space.encode({})], space.dim);
    expect(topReasons(explain(banditWithTheta(t), space, sibling, bg2), space, 'en', bg2)).toEqual(['You just looked at similar products', 'You added a similar product to your cart']);
  });

  it('never shows a sensitive feature as a reason', () => {
    const religion = { name: 'profile.religion', group: 'profile' as const, sensitive: true, label: { zh: '宗教信仰', en: 'religion' }, reason: { zh: 'x', en: 'x' } };
    const sensitiveSpace = new FeatureSpace([religion], { separateConsent: new Set(['profile.religion']), allowUnlisted: true });
    const b = banditWithTheta([0, 1]);
    const ex = explain(b, sensitiveSpace, Float64Array.of(1, 1), Float64Array.of(1, 0));
    expect(ex.contributions).toHaveLength(1);
    expect(topReasons(ex, sensitiveSpace, 'en', Float64Array.of(1, 0))).toEqual([]);
  });

  it('gives no reason for what the product lacks or has less of than the others, though the model weighs it down and so φ is positive', () => {
    const t = new Array<number>(space.dim).fill(0);
    t[space.indexOf('product.category.clothing')] = -2; // clothing drew little interest
    t[space.indexOf('room.popular_5m')] = -1;
    t[space.indexOf('room.pinned')] = 0.5;
    const cot = space.encode({ 'product.category.sleep': 1, 'room.popular_5m': 0.1, 'room.pinned': 1 });
    const others = [space.encode({ 'product.category.clothing': 1, 'room.popular_5m': 0.9 }), space.encode({ 'product.category.clothing': 1, 'room.popular_5m': 0.5 })];
    const background = meanVector([cot, ...others], space.dim);
    const ex = explain(banditWithTheta(t), space, cot, background);
    const phiOf = (f: string) => ex.contributions.find((c) => c.feature === f)?.phi ?? 0;
    // The exact explanation keeps them (base + Σφ is the score) ...
    expect(phiOf('product.category.clothing')).toBeGreaterThan(0);
    expect(phiOf('room.popular_5m')).toBeGreaterThan(0);
    expect(phiOf('product.category.clothing')).toBeGreaterThan(phiOf('room.pinned'));
    // ... but the viewer is told only what the cot has: the host is presenting it.
    expect(topReasons(ex, space, 'en', background)).toEqual(['The host is presenting this now']);
    expect(topReasons(ex, space, 'zh-CN', background)).toEqual(['主播正在介绍这件商品']);
  });
});
