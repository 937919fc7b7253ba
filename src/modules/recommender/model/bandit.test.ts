import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearBandit, Rng, selectSlate, type BanditSnapshot } from './index.js';
import { designMatrix, invertDense } from './testing.js';

const vec = (d: number) => fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: d, maxLength: d }).map((a) => Float64Array.from(a));
const model = fc.integer({ min: 1, max: 6 }).chain((d) =>
  fc.record({
    d: fc.constant(d),
    lambda: fc.double({ min: 0.25, max: 4, noNaN: true }),
    steps: fc.array(fc.tuple(vec(d), fc.double({ min: -1, max: 2, noNaN: true })), { maxLength: 40 }),
    probe: vec(d),
  }),
);

function trained(kind: 'linucb' | 'lints', d: number, steps: [Float64Array, number][], options: { lambda?: number; alpha?: number; seed?: number } = {}) {
  const bandit = new LinearBandit({ dim: d, kind, ...options });
  for (const [x, r] of steps) bandit.update(x, r);
  return bandit;
}

describe('LinearBandit: Sherman–Morrison', () => {
  it('keeps A⁻¹ equal to the direct inverse of λI + Σxxᵀ and θ̂ = A⁻¹b, to 1e-9 (property)', () => {
    fc.assert(
      fc.property(model, ({ d, lambda, steps }) => {
        const bandit = trained('linucb', d, steps, { lambda });
        const direct = invertDense(designMatrix(steps.map(([x]) => x), d, lambda), d);
        for (let i = 0; i < d * d; i++) expect(Math.abs(bandit.aInv[i]! - direct[i]!)).toBeLessThan(1e-9);
        const b = new Float64Array(d);
        for (const [x, r] of steps) for (let i = 0; i < d; i++) b[i] = b[i]! + r * x[i]!;
        for (let i = 0; i < d; i++) {
          let t = 0;
          for (let j = 0; j < d; j++) t += direct[i * d + j]! * b[j]!;
          expect(Math.abs(bandit.theta[i]! - t)).toBeLessThan(1e-9);
        }
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(bandit.aInv[i * d + j]).toBe(bandit.aInv[j * d + i]);
        expect(bandit.updates).toBe(steps.length);
      }),
    );
  });

  it('learns a linear reward: θ̂ approaches the true θ', () => {
    const rng = new Rng(3);
    const truth = [0.5, -1, 2, 0];
    const bandit = new LinearBandit({ dim: 4, kind: 'linucb', lambda: 1 });
    for (let t = 0; t < 2000; t++) {
      const x = Float64Array.from(truth, () => rng.next() * 2 - 1);
      const r = truth.reduce((s, w, i) => s + w * x[i]!, 0) + 0.1 * rng.normal();
      bandit.update(x, r);
    }
    truth.forEach((w, i) => expect(bandit.theta[i]).toBeCloseTo(w, 1));
  });

  it('changes its version on every update and refuses wrong sizes and non-finite rewards', () => {
    const bandit = new LinearBandit({ dim: 3, kind: 'linucb', version: 'qingliu-v1' });
    expect(bandit.version).toBe('qingliu-v1:0');
    bandit.update(Float64Array.of(1, 0, 1), 1);
    expect(bandit.version).toBe('qingliu-v1:1');
    expect(() => bandit.update(Float64Array.of(1, 0), 1)).toThrow(RangeError);
    expect(() => bandit.update(Float64Array.of(1, 0, 0), Number.NaN)).toThrow(RangeError);
    expect(() => bandit.exploit(Float64Array.of(1))).toThrow(RangeError);
    expect(() => new LinearBandit({ dim: 0, kind: 'linucb' })).toThrow(RangeError);
    expect(() => new LinearBandit({ dim: 2, kind: 'linucb', lambda: 0 })).toThrow(RangeError);
    expect(() => new LinearBandit({ dim: 2, kind: 'linucb', alpha: -1 })).toThrow(RangeError);
  });

  it('stays finite and symmetric after many near-identical updates (denominator guard)', () => {
    const bandit = new LinearBandit({ dim: 3, kind: 'lints', lambda: 1e-6, seed: 1 });
    const x = Float64Array.of(1e3, 1e3, 1e3 + 1e-9);
    for (let t = 0; t < 5000; t++) bandit.update(x, 1);
    for (const v of bandit.aInv) expect(Number.isFinite(v)).toBe(true);
    expect(bandit.variance(x)).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(bandit.bonus(x))).toBe(true);
  });
});

describe('LinearBandit: exploration terms', () => {
  it('linucb bonus is α√(xᵀA⁻¹x) against the direct inverse (property)', () => {
    fc.assert(
      fc.property(model, fc.double({ min: 0, max: 3, noNaN: true }), ({ d, lambda, steps, probe }, alpha) => {
        const bandit = trained('linucb', d, steps, { lambda, alpha });
        const inv = invertDense(designMatrix(steps.map(([x]) => x), d, lambda), d);
        let q = 0;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += probe[i]! * inv[i * d + j]! * probe[j]!;
        expect(Math.abs(bandit.bonus(probe) - alpha * Math.sqrt(Math.max(0, q)))).toBeLessThan(1e-9);
      }),
    );
  });

  it('lints bonus has mean ≈ 0 and variance ≈ α²·xᵀA⁻¹x over posterior draws', () => {
    const rng = new Rng(11);
    const d = 5;
    const steps: [Float64Array, number][] = Array.from({ length: 30 }, () => [Float64Array.from({ length: d }, () => rng.next()), rng.next()]);
    const bandit = trained('lints', d, steps, { alpha: 0.7, seed: 5 });
    const x = Float64Array.of(0.3, 1, 0, 0.5, 0.2);
    const expected = 0.49 * bandit.variance(x);
    const n = 20_000;
    let sum = 0;
    let sq = 0;
    for (let t = 0; t < n; t++) {
      bandit.resample();
      const v = bandit.bonus(x);
      sum += v;
      sq += v * v;
    }
    expect(Math.abs(sum / n)).toBeLessThan(4 * Math.sqrt(expected / n));
    expect(sq / n / expected).toBeGreaterThan(0.95);
    expect(sq / n / expected).toBeLessThan(1.05);
  });

  it('lints keeps one draw per decision: bonus is stable until resample or update', () => {
    const bandit = new LinearBandit({ dim: 2, kind: 'lints', seed: 9 });
    const x = Float64Array.of(1, 0.5);
    const first = bandit.bonus(x);
    expect(bandit.bonus(x)).toBe(first);
    bandit.resample();
    expect(bandit.bonus(x)).not.toBe(first);
    const second = bandit.bonus(x);
    bandit.update(x, 1);
    expect(bandit.bonus(x)).not.toBe(second);
  });
});

describe('LinearBandit: snapshot and restore', () => {
  const roundTrip = (s: BanditSnapshot) => JSON.parse(JSON.stringify(s)) as BanditSnapshot;

  it('restores through JSON and continues with bit-identical θ and bonuses (property)', () => {
    fc.assert(
      fc.property(model, fc.constantFrom('linucb' as const, 'lints' as const), fc.integer(), ({ d, lambda, steps, probe }, kind, seed) => {
        const half = Math.floor(steps.length / 2);
        const original = trained(kind, d, steps.slice(0, half), { lambda, seed, alpha: 0.5 });
        original.bonus(probe); // lints: a live draw is part of the state
        const copy = LinearBandit.restore(roundTrip(original.snapshot()));
        expect(copy.version).toBe(original.version);
        expect(copy.bonus(probe)).toBe(original.bonus(probe));
        for (const [x, r] of steps.slice(half)) {
          original.update(x, r);
          copy.update(x, r);
          expect(copy.bonus(probe)).toBe(original.bonus(probe));
        }
        expect(Array.from(copy.theta)).toEqual(Array.from(original.theta));
        expect(Array.from(copy.aInv)).toEqual(Array.from(original.aInv));
        expect(copy.snapshot()).toEqual(original.snapshot());
      }),
    );
  });

  it('makes the same slate choices for the same seed', () => {
    const run = () => {
      const bandit = new LinearBandit({ dim: 3, kind: 'lints', seed: 21 });
      const rng = new Rng(4);
      const candidates = ['a', 'b', 'c', 'd', 'e'].map((id, i) => ({ id, x: Float64Array.of(1, i / 4, (i % 2) as number) }));
      const shown: string[] = [];
      for (let t = 0; t < 50; t++) {
        const slate = selectSlate({ candidates, k: 2, bandit, epsilon: 0.2, rng });
        shown.push(slate.map((p) => p.id).join(''));
        bandit.update(candidates.find((c) => c.id === slate[0]!.id)!.x, slate[0]!.id === 'c' ? 1 : 0);
      }
      return shown;
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('refuses a snapshot whose parts do not fit together', () => {
    const s = new LinearBandit({ dim: 2, kind: 'linucb' }).snapshot();
    expect(() => LinearBandit.restore({ ...s, b: [0] })).toThrow(RangeError);
    expect(() => LinearBandit.restore({ ...s, version: 'linucb:7' })).toThrow(RangeError);
    expect(() => LinearBandit.restore({ ...s, aInv: [1, 0, 0, Number.NaN] })).toThrow(RangeError);
  });
});
