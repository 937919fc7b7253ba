import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import { fairnessAudit } from './disparity.js';
import { binomial, bootstrapCells, effectiveSize, holm, holmRejects, isSuppressed, multinomial, percentileInterval, quantileSorted, rowClasses, twoProportionZTest, uniformIndexer } from './significance.js';

describe('two-proportion z-test', () => {
  it('TV-3: 3/4 vs 2/6 gives z = 1.2910, p = 0.1967', () => {
    const t = twoProportionZTest(3, 4, 2, 6);
    expect(t.z).toBeCloseTo(1.2909944487358058, 12);
    expect(t.pValue).toBeCloseTo(0.19670560245894686, 12);
    expect(t.z!.toFixed(4)).toBe('1.2910');
    expect(t.pValue!.toFixed(4)).toBe('0.1967');
  });

  it('TV-3 at 100×: 300/400 vs 200/600 gives z = 12.9099, p ≈ 3.96e−38 (full relative accuracy in the tail)', () => {
    const t = twoProportionZTest(300, 400, 200, 600);
    expect(t.z).toBeCloseTo(12.909944487358059, 10);
    expect(t.pValue! / 3.9558614379143684e-38).toBeCloseTo(1, 9);
  });

  it('TV-1 a vs b selection: 3/4 vs 3/6 gives z = 0.7906, p = 0.4292', () => {
    const t = twoProportionZTest(3, 4, 3, 6);
    expect(t.z).toBeCloseTo(0.7905694150420948, 12);
    expect(t.pValue).toBeCloseTo(0.42919530044034926, 12);
  });

  it('is symmetric in sign, and undefined without variance or data', () => {
    expect(twoProportionZTest(2, 6, 3, 4).z).toBeCloseTo(-1.2909944487358058, 12);
    expect(twoProportionZTest(0, 10, 0, 20)).toEqual({ z: null, pValue: null });
    expect(twoProportionZTest(10, 10, 20, 20)).toEqual({ z: null, pValue: null });
    expect(twoProportionZTest(0, 0, 1, 2)).toEqual({ z: null, pValue: null });
    expect(twoProportionZTest(5, 10, 10, 20).pValue).toBe(1);
  });

  it('Kish effective size is n for unit weights and smaller for unequal ones', () => {
    expect(effectiveSize(10, 10)).toBe(10);
    expect(effectiveSize(1 + 3, 1 + 9)).toBeCloseTo(1.6, 15);
    expect(effectiveSize(0, 0)).toBe(0);
  });
});

describe('Holm–Bonferroni', () => {
  it('adjusts step-down with monotonicity', () => {
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    expect(adjusted[0]).toBeCloseTo(0.03, 15);
    expect(adjusted[1]).toBeCloseTo(0.06, 15);
    expect(adjusted[2]).toBeCloseTo(0.06, 15);
    expect(adjusted[3]).toBeCloseTo(0.02, 15);
    expect(holmRejects([0.01, 0.04, 0.03, 0.005])).toEqual([true, false, false, true]);
    expect(holm([null, 0.02, 0.5])).toEqual([null, 0.04, 0.5]);
    expect(holm([0.9, 0.8])).toEqual([1, 1]); // 2 × 0.8 caps at 1, and monotonicity carries it
    expect(holm([0.9, 0.3])).toEqual([0.9, 0.6]);
  });

  it('never rejects more than the unadjusted tests, and adjusted p-values are never smaller', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(null)), { maxLength: 20 }), fc.double({ min: 0.001, max: 0.2, noNaN: true }), (ps, alpha) => {
        const adjusted = holm(ps);
        const rejected = holmRejects(ps, alpha);
        ps.forEach((p, i) => {
          if (p === null) return expect(adjusted[i]).toBeNull();
          expect(adjusted[i]!).toBeGreaterThanOrEqual(p);
          expect(adjusted[i]!).toBeLessThanOrEqual(1);
          if (rejected[i]) expect(p).toBeLessThan(alpha);
        });
        expect(rejected.filter(Boolean).length).toBeLessThanOrEqual(ps.filter((p) => p !== null && p < alpha).length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('suppression and quantiles', () => {
  it('suppresses below the minimum group size (default 30)', () => {
    expect(isSuppressed(29)).toBe(true);
    expect(isSuppressed(30)).toBe(false);
    expect(isSuppressed(4, 5)).toBe(true);
  });

  it('type-7 quantiles and percentile intervals skip undefined replicates', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 15);
    const values = Float64Array.from({ length: 101 }, (_, i) => i);
    const [lo, hi] = percentileInterval(values)!;
    expect(lo).toBeCloseTo(2.5, 12);
    expect(hi).toBeCloseTo(97.5, 12);
    const [lo2, hi2] = percentileInterval(Float64Array.from([Number.NaN, 1, Number.NaN, 3]))!;
    expect(lo2).toBeCloseTo(1.05, 12);
    expect(hi2).toBeCloseTo(2.95, 12);
    expect(percentileInterval(Float64Array.from([Number.NaN]))).toBeNull();
  });
});

/** log P(X = k) for X ~ Binomial(n, p), by the recurrence from k = 0 (exact enough for the tests). */
function binomialPmf(n: number, p: number): Float64Array {
  const pmf = new Float64Array(n + 1);
  const logs = new Float64Array(n + 1);
  logs[0] = n * Math.log1p(-p);
  for (let k = 1; k <= n; k++) logs[k] = logs[k - 1]! + Math.log((n - k + 1) / k) + Math.log(p / (1 - p));
  for (let k = 0; k <= n; k++) pmf[k] = Math.exp(logs[k]!);
  return pmf;
}

/** Pearson χ² of draws against the pmf over bins with expected count ≥ 5 (tails pooled). */
function chiSquare(draws: number[], pmf: Float64Array): { stat: number; df: number } {
  const total = draws.length;
  const counts = new Float64Array(pmf.length);
  for (const d of draws) counts[d]! += 1;
  let stat = 0;
  let bins = 0;
  let poolObs = 0;
  let poolExp = 0;
  for (let k = 0; k < pmf.length; k++) {
    poolObs += counts[k]!;
    poolExp += pmf[k]! * total;
    if (poolExp >= 5) {
      stat += (poolObs - poolExp) ** 2 / poolExp;
      bins++;
      poolObs = 0;
      poolExp = 0;
    }
  }
  if (poolExp > 0) stat += (poolObs - poolExp) ** 2 / Math.max(poolExp, 1e-9);
  return { stat, df: bins - 1 };
}

describe('exact binomial and multinomial draws', () => {
  // Small means use inversion; n·p ≥ 10 uses BTRS; p > ½ by symmetry.
  const cases: [number, number][] = [
    [20, 0.05],
    [50, 0.5],
    [1000, 0.3],
    [200, 0.93],
    [100_000, 0.001],
    [60, 0.2],
  ];
  for (const [n, p] of cases) {
    it(`Binomial(${n}, ${p}) matches the exact distribution (χ² test)`, () => {
      const rng = new Rng(n + Math.round(p * 1000));
      const draws = Array.from({ length: 40_000 }, () => binomial(rng, n, p));
      for (const d of draws) expect(Number.isInteger(d) && d >= 0 && d <= n).toBe(true);
      const { stat, df } = chiSquare(draws, binomialPmf(n, p));
      // χ² 99.9 % quantile is below df + 3.1·√(2df) + 10 for these df; a wrong sampler misses by far more.
      expect(stat, `χ² ${stat.toFixed(1)} on ${df} df`).toBeLessThan(df + 3.1 * Math.sqrt(2 * df) + 10);
    });
  }

  it('large n: mean and variance (1,000,000 × 0.37, 2,000 draws)', () => {
    const rng = new Rng(5);
    const n = 1_000_000;
    const p = 0.37;
    const draws = Array.from({ length: 2000 }, () => binomial(rng, n, p));
    const mean = draws.reduce((s, d) => s + d, 0) / draws.length;
    const variance = draws.reduce((s, d) => s + (d - mean) ** 2, 0) / (draws.length - 1);
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(mean - n * p)).toBeLessThan((4 * sd) / Math.sqrt(draws.length));
    expect(variance / (sd * sd)).toBeGreaterThan(0.85);
    expect(variance / (sd * sd)).toBeLessThan(1.15);
  });

  it('edge cases and bad arguments', () => {
    const rng = new Rng(1);
    expect(binomial(rng, 0, 0.5)).toBe(0);
    expect(binomial(rng, 10, 0)).toBe(0);
    expect(binomial(rng, 10, 1)).toBe(10);
    expect(() => binomial(rng, 1.5, 0.5)).toThrow(RangeError);
    expect(() => binomial(rng, 10, 1.5)).toThrow(RangeError);
  });

  it('multinomial draws sum to n and have the right means', () => {
    const rng = new Rng(9);
    const weights = [5, 0, 1, 3, 1];
    const out = new Float64Array(5);
    const sums = new Float64Array(5);
    for (let b = 0; b < 2000; b++) {
      multinomial(rng, 1000, weights, out);
      expect(out.reduce((s, v) => s + v, 0)).toBe(1000);
      expect(out[1]).toBe(0);
      out.forEach((v, i) => (sums[i]! += v));
    }
    weights.forEach((w, i) => expect(sums[i]! / 2000).toBeCloseTo(100 * w, -1));
  });
});

describe('uniform indices and row classes', () => {
  it('uniformIndexer is uniform (χ² over 7 and 1,000 values) and stays in range for large n', () => {
    for (const n of [7, 1000]) {
      const index = uniformIndexer(new Rng(n), n);
      const counts = new Float64Array(n);
      const draws = 200 * n;
      for (let i = 0; i < draws; i++) counts[index()]! += 1;
      const stat = counts.reduce((s, c) => s + (c - 200) ** 2 / 200, 0);
      expect(stat, `χ² ${stat.toFixed(1)} on ${n - 1} df`).toBeLessThan(n - 1 + 3.1 * Math.sqrt(2 * (n - 1)) + 10);
    }
    const big = uniformIndexer(new Rng(1), 2 ** 22 + 3);
    for (let i = 0; i < 1000; i++) {
      const k = big();
      expect(Number.isInteger(k) && k >= 0 && k < 2 ** 22 + 3).toBe(true);
    }
    expect(() => uniformIndexer(new Rng(1), 0)).toThrow(RangeError);
  });

  it('rowClasses groups rows by (cell, weight) and gives up past the limit', () => {
    const weight = Float64Array.from([1, 2, 1, 1, 2]);
    const cells = [0, 0, 1, 0, 0];
    const c = rowClasses((i) => cells[i]!, weight, 10)!;
    expect(Array.from(c.cell)).toEqual([0, 0, 1]);
    expect(Array.from(c.weight)).toEqual([1, 2, 1]);
    expect(Array.from(c.rows)).toEqual([2, 2, 1]);
    expect(rowClasses((i) => cells[i]!, weight, 2)).toBeUndefined();
  });
});

describe('bootstrap', () => {
  it('resampling cell counts (multinomial) matches resampling rows, for a gap in selection rates', () => {
    // 300 rows of group 0 (90 selected) and 200 of group 1 (90 selected); cells [g·2 + ŷ].
    const cell = new Int32Array(500);
    for (let i = 0; i < 500; i++) cell[i] = i < 300 ? (i < 90 ? 1 : 0) : 2 + (i < 390 ? 1 : 0);
    const counts = new Float64Array(4);
    for (const c of cell) counts[c]! += 1;
    const gap = (c: Float64Array) => c[3]! / (c[2]! + c[3]!) - c[1]! / (c[0]! + c[1]!);
    const summary = (rows?: { cell: Int32Array; weight: Float64Array }) => {
      const values: number[] = [];
      bootstrapCells({ replicates: 4000, seed: 11, counts, rows }, (c) => values.push(gap(c)));
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
      return { mean, sd, interval: percentileInterval(Float64Array.from(values))! };
    };
    const byCells = summary();
    const byRows = summary({ cell, weight: new Float64Array(500).fill(1) });
    // Classes of identical rows (here one per cell, weight 1) draw the same multinomial.
    const byClasses = (() => {
      const values: number[] = [];
      const classes = { cell: Int32Array.from([3, 2, 1, 0]), weight: Float64Array.from([1, 1, 1, 1]), rows: Float64Array.from([counts[3]!, counts[2]!, counts[1]!, counts[0]!]) };
      bootstrapCells({ replicates: 4000, seed: 12, counts, classes }, (c) => values.push(gap(c)));
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      return { mean, sd: Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) };
    })();
    expect(byClasses.mean).toBeCloseTo(0.15, 2);
    expect(byClasses.sd / byRows.sd).toBeGreaterThan(0.94);
    expect(byClasses.sd / byRows.sd).toBeLessThan(1.06);
    // Truth: 0.45 − 0.30 = 0.15; sd ≈ √(0.3·0.7/300 + 0.45·0.55/200) ≈ 0.0449.
    expect(byCells.mean).toBeCloseTo(0.15, 2);
    expect(byRows.mean).toBeCloseTo(0.15, 2);
    expect(byCells.sd / 0.0449).toBeGreaterThan(0.95);
    expect(byCells.sd / 0.0449).toBeLessThan(1.05);
    expect(byCells.sd / byRows.sd).toBeGreaterThan(0.94);
    expect(byCells.sd / byRows.sd).toBeLessThan(1.06);
    expect(Math.abs(byCells.interval[0] - byRows.interval[0])).toBeLessThan(0.01);
    expect(Math.abs(byCells.interval[1] - byRows.interval[1])).toBeLessThan(0.01);
  });

  it('the 95 % interval covers the true gap at about the nominal rate (400 synthetic logs)', () => {
    // Each log: 600 decisions; group b with probability 0.4; selection rate a 0.30, b 0.45 (gap 0.15).
    const rng = new Rng(2024);
    const logs = 400;
    const n = 600;
    let covered = 0;
    for (let l = 0; l < logs; l++) {
      const group = new Int32Array(n);
      const prediction = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const b = rng.next() < 0.4 ? 1 : 0;
        group[i] = b;
        prediction[i] = rng.next() < (b ? 0.45 : 0.3) ? 1 : 0;
      }
      const r = fairnessAudit({ groups: ['a', 'b'], group, prediction }, { reference: 'a', bootstrap: 200, seed: l });
      if (!r.ok) throw new Error(r.message);
      const [lo, hi] = r.audit.disparities[0]!.ci95!;
      if (lo <= 0.15 && 0.15 <= hi) covered++;
    }
    const coverage = covered / logs;
    expect(coverage, `coverage ${coverage}`).toBeGreaterThanOrEqual(0.9);
    expect(coverage, `coverage ${coverage}`).toBeLessThanOrEqual(0.99);
  });
});
