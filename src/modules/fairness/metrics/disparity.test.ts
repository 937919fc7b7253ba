import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  demographicParityDifference,
  demographicParityRatio,
  difference,
  disparateImpact,
  equalizedOddsDifference,
  equalizedOddsRatio,
  equalOpportunityDifference,
  equalOpportunityRatio,
  fairnessAudit,
  ratio,
  referenceDisparity,
  signedComparison,
  statisticalParityDifference,
  withinBand,
  type AuditDisparity,
} from './disparity.js';
import { columnsFromArrays, frameFromArrays, type DecisionColumns, type MetricName } from './group.js';

/** TV-1: fairlearn user guide, 18 rows, 3 groups. */
const TV1 = {
  yTrue: [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1],
  yPred: [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0],
  sensitiveFeatures: ['b', 'b', 'a', 'b', 'b', 'c', 'c', 'c', 'a', 'a', 'c', 'a', 'b', 'c', 'c', 'b', 'c', 'c'],
};

/** TV-3: holisticai's statistical parity example. */
const TV3 = {
  groupA: [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
  yPred: [1, 1, 1, 0, 1, 1, 0, 0, 0, 0],
};

describe('differences and ratios (fairlearn)', () => {
  const f = frameFromArrays(TV1);
  const cases: [MetricName, number, number, number | null, number | null][] = [
    // metric, difference(), ratio(), difference('to_overall'), ratio('to_overall')
    ['tpr', 0.2, 0.666667, 0.1, 0.8],
    ['fpr', 1.0, 0.0, 0.666667, 0.0],
    ['selectionRate', 0.25, 0.666667, 0.194444, 0.740741],
    ['count', 4, 0.5, null, null],
  ];
  for (const [metric, diff, rat, diffOverall, ratOverall] of cases) {
    it(`TV-1 ${metric}: difference ${diff}, ratio ${rat}${diffOverall === null ? '' : `, to_overall ${diffOverall} and ${ratOverall}`}`, () => {
      expect(difference(f, metric)).toBeCloseTo(diff, 6);
      expect(ratio(f, metric)).toBeCloseTo(rat, 6);
      if (diffOverall !== null) expect(difference(f, metric, 'to_overall')).toBeCloseTo(diffOverall, 6);
      if (ratOverall !== null) expect(ratio(f, metric, 'to_overall')).toBeCloseTo(ratOverall, 6);
    });
  }

  it('TV-1 named metrics: demographic parity, equalized odds, equal opportunity', () => {
    expect(demographicParityDifference(f)).toBeCloseTo(0.25, 12);
    expect(demographicParityRatio(f)).toBeCloseTo(0.666667, 6);
    expect(equalizedOddsDifference(f)).toBeCloseTo(1.0, 12);
    expect(equalizedOddsRatio(f)).toBe(0);
    expect(equalOpportunityDifference(f)).toBeCloseTo(0.2, 12);
    expect(equalOpportunityRatio(f)).toBeCloseTo(0.666667, 6);
    expect(equalizedOddsDifference(f, { agg: 'mean' })).toBeCloseTo(0.6, 12);
    expect(demographicParityDifference(f, { method: 'to_overall' })).toBeCloseTo(0.194444, 6);
  });

  it('undefined values are skipped; nothing defined gives null', () => {
    const g = frameFromArrays({ yTrue: [0, 0, 1, 1], yPred: [1, 0, 1, 0], sensitiveFeatures: ['x', 'x', 'y', 'y'] });
    // x has no positives: its TPR is undefined and left out, so ΔTPR is over y alone.
    expect(difference(g, 'tpr')).toBe(0);
    const none = frameFromArrays({ yPred: [0, 0], sensitiveFeatures: ['x', 'y'] });
    expect(ratio(none, 'selectionRate')).toBeNull(); // 0/0
    expect(ratio(none, 'precision')).toBeNull();
    expect(equalizedOddsDifference(none)).toBeNull(); // no labels
  });
});

describe('signed comparisons (AIF360) and the reference band', () => {
  const f = frameFromArrays({ yPred: TV3.yPred, sensitiveFeatures: TV3.groupA.map((a) => (a ? 'a' : 'b')) });

  it('TV-3: statistical parity difference a − b = 0.4166666666666667, disparate impact b over a = 0.4444', () => {
    expect(statisticalParityDifference(f, 'a', 'b')).toBeCloseTo(0.4166666666666667, 15);
    expect(disparateImpact(f, 'b', 'a')).toBeCloseTo(0.4444444444, 9);
    expect(statisticalParityDifference(f, 'b', 'a')).toBeCloseTo(-0.4166666666666667, 15);
  });

  it('equal opportunity and average odds differences are signed', () => {
    const t = frameFromArrays(TV1);
    const c = signedComparison(t, 'c', 'b');
    expect(c.equalOpportunityDifference).toBeCloseTo(0.4 - 0.6, 12);
    expect(c.averageOddsDifference).toBeCloseTo(((2 / 3 - 0) + (0.4 - 0.6)) / 2, 12);
    expect(c.averageAbsOddsDifference).toBeCloseTo((2 / 3 + 0.2) / 2, 12);
    expect(() => signedComparison(t, 'z', 'b')).toThrow(/no group "z"/);
  });

  it('fair means τ ≤ ratio ≤ 1/τ, inclusive, and a zero reference is fair only against zero', () => {
    expect(withinBand(0.8)).toBe(true);
    expect(withinBand(0.4 / 0.5)).toBe(true);
    expect(withinBand(1.25)).toBe(true);
    expect(withinBand(0.79)).toBe(false);
    expect(withinBand(1.26)).toBe(false);
    expect(withinBand(0.6, 0.5)).toBe(true);
    expect(referenceDisparity(0.3, 0.5)).toEqual({ ratio: 0.6, difference: -0.2, fair: false });
    expect(referenceDisparity(0, 0)).toEqual({ ratio: null, difference: 0, fair: true });
    expect(referenceDisparity(0.1, 0)).toEqual({ ratio: null, difference: 0.1, fair: false });
    expect(referenceDisparity(null, 0.5)).toEqual({ ratio: null, difference: null, fair: null });
  });
});

/** A log with given group sizes and rows selected (and labels) laid out deterministically. */
function log(spec: Record<string, { n: number; selected: number; positives?: number; truePositives?: number }>): DecisionColumns {
  const yPred: number[] = [];
  const yTrue: number[] = [];
  const sensitiveFeatures: string[] = [];
  for (const [g, s] of Object.entries(spec)) {
    for (let i = 0; i < s.n; i++) {
      sensitiveFeatures.push(g);
      // The first `selected` rows are selected; of the positives, the first `truePositives` are among them.
      const positive = s.positives !== undefined && (i < (s.truePositives ?? 0) || (i >= s.selected && i < s.selected + s.positives - (s.truePositives ?? 0)));
      yPred.push(i < s.selected ? 1 : 0);
      yTrue.push(positive ? 1 : 0);
    }
  }
  const withLabels = Object.values(spec).some((s) => s.positives !== undefined);
  return columnsFromArrays({ yPred, sensitiveFeatures, ...(withLabels ? { yTrue } : {}) });
}

const find = (ds: AuditDisparity[], group: string, metric: string) => ds.find((d) => d.group === group && d.metric === metric)!;

describe('the audit', () => {
  it('TV-3 through the audit: ratio and signed difference against the reference, z-test p = 0.1967', () => {
    const cols = columnsFromArrays({ yPred: TV3.yPred, sensitiveFeatures: TV3.groupA.map((a) => (a ? 'a' : 'b')) });
    const r = fairnessAudit(cols, { reference: 'a', minGroupSize: 1, bootstrap: 0 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.audit.reference).toBe('a');
    const d = find(r.audit.disparities, 'b', 'selectionRate');
    expect(d.ratio).toBeCloseTo(0.4444444444, 9);
    expect(d.difference).toBeCloseTo(-0.4166666666666667, 15);
    expect(d.pValue).toBeCloseTo(0.1967, 4);
    expect(d.pAdjusted).toBeCloseTo(0.1967, 4); // one comparison: Holm changes nothing
    expect(d.fair).toBe(false);
    expect(d.flagged).toBe(false); // outside the band, but not significant
    expect(d.ci95).toBeNull();
  });

  it('flags a gap only when it is outside the band and significant after Holm', () => {
    const cols = log({ big: { n: 1000, selected: 500 }, low: { n: 1000, selected: 300 }, near: { n: 1000, selected: 450 }, noisy: { n: 40, selected: 14 } });
    const r = fairnessAudit(cols, { bootstrap: 100, seed: 7 });
    if (!r.ok) throw new Error(r.message);
    expect(r.audit.reference).toBe('big'); // largest (ties: first by name)
    const low = find(r.audit.disparities, 'low', 'selectionRate');
    expect(low).toMatchObject({ fair: false, flagged: true });
    expect(low.ratio).toBeCloseTo(0.6, 12);
    expect(low.pAdjusted!).toBeLessThan(1e-6);
    expect(low.ci95![0]).toBeLessThan(-0.2);
    expect(low.ci95![1]).toBeGreaterThan(-0.2);
    expect(find(r.audit.disparities, 'near', 'selectionRate')).toMatchObject({ fair: true, flagged: false });
    const noisy = find(r.audit.disparities, 'noisy', 'selectionRate');
    expect(noisy.ratio).toBeCloseTo(0.7, 12);
    expect(noisy).toMatchObject({ fair: false, flagged: false }); // 14/40 vs 500/1000: p ≈ 0.07
    expect(noisy.pAdjusted!).toBeGreaterThanOrEqual(noisy.pValue!);
  });

  it('suppresses groups under the minimum size: n only, never their rates, and nothing recoverable from shares', () => {
    const cols = log({ a: { n: 100, selected: 50 }, b: { n: 80, selected: 20 }, tiny: { n: 5, selected: 5 } });
    const r = fairnessAudit(cols, { bootstrap: 0 });
    if (!r.ok) throw new Error(r.message);
    const tiny = r.audit.groups.find((g) => g.group === 'tiny')!;
    expect(tiny).toEqual({ group: 'tiny', n: 5, selectionRate: null, selectedShare: null, tpr: null, fpr: null, fnr: null, fdr: null, for: null, precision: null, suppressed: true });
    expect(r.audit.disparities.map((d) => d.group)).toEqual(['b']);
    // Shares are of the reported groups' selections only (50 + 20), so they sum to 1.
    expect(r.audit.groups.filter((g) => !g.suppressed).reduce((s, g) => s + g.selectedShare!, 0)).toBeCloseTo(1, 12);
    expect(r.audit.summary.demographicParityDifference).toBeCloseTo(0.25, 12);
  });

  it('explains a missing or suppressed reference and bad options', () => {
    const cols = log({ a: { n: 40, selected: 20 }, b: { n: 10, selected: 5 } });
    expect(fairnessAudit(cols, { reference: 'zz' })).toMatchObject({ ok: false, code: 'UNKNOWN_REFERENCE' });
    expect(fairnessAudit(cols, { reference: 'b' })).toMatchObject({ ok: false, code: 'REFERENCE_SUPPRESSED' });
    expect(fairnessAudit(cols, { minGroupSize: 50 })).toMatchObject({ ok: false, code: 'REFERENCE_SUPPRESSED', message: expect.stringMatching(/largest group/) });
    expect(fairnessAudit(cols, { threshold: 1.2 })).toMatchObject({ ok: false, code: 'INVALID_OPTION' });
    expect(fairnessAudit(cols, { bootstrap: -1 })).toMatchObject({ ok: false, code: 'INVALID_OPTION' });
  });

  it('with labels: TPR and FPR disparities and the summary indices (TV-1 with b as reference)', () => {
    const r = fairnessAudit(columnsFromArrays(TV1), { minGroupSize: 1, bootstrap: 50, seed: 1 });
    if (!r.ok) throw new Error(r.message);
    expect(r.audit.reference).toBe('c'); // largest: 8 rows
    expect(r.audit.summary.demographicParityDifference).toBeCloseTo(0.25, 12);
    expect(r.audit.summary.demographicParityRatio).toBeCloseTo(0.666667, 6);
    expect(r.audit.summary.equalizedOddsDifference).toBeCloseTo(1, 12);
    expect(r.audit.summary.equalOpportunityDifference).toBeCloseTo(0.2, 12);
    expect(r.audit.disparities.map((d) => `${d.group}/${d.metric}`)).toEqual(['a/selectionRate', 'b/selectionRate', 'a/tpr', 'b/tpr', 'a/fpr', 'b/fpr']);
    const bFpr = find(r.audit.disparities, 'b', 'fpr');
    expect(bFpr.ratio).toBe(0);
    expect(bFpr.difference).toBeCloseTo(-2 / 3, 12);
    // TV-1 a vs b selection is the test vector 3/4 vs 3/6 (z = 0.7906, p = 0.4292); here against c (4/8).
    const aSel = find(r.audit.disparities, 'a', 'selectionRate');
    expect(aSel.ratio).toBeCloseTo(1.5, 12);
    expect(r.audit.summary.generalizedEntropyIndex).not.toBeNull();
  });

  it('is reproducible for a seed', () => {
    const cols = log({ a: { n: 300, selected: 120 }, b: { n: 200, selected: 60 } });
    const one = fairnessAudit(cols, { seed: 42, bootstrap: 100 });
    const two = fairnessAudit(cols, { seed: 42, bootstrap: 100 });
    const other = fairnessAudit(cols, { seed: 43, bootstrap: 100 });
    expect(one).toEqual(two);
    expect(one).not.toEqual(other);
  });

  it('weighted logs: unit weights (row classes) and all-distinct weights (row by row) agree with the unweighted audit', () => {
    const base = log({ a: { n: 200, selected: 100 }, b: { n: 200, selected: 60 } });
    const plain = fairnessAudit(base, { bootstrap: 400, seed: 3 });
    // Unit weights: few distinct (cell, weight) classes, so a multinomial over classes.
    const unit = fairnessAudit({ ...base, weight: new Float64Array(400).fill(1) }, { bootstrap: 400, seed: 3 });
    // Weights 1 + i·1e-12: numerically unit, but every row its own class, so rows are resampled one by one.
    const distinct = fairnessAudit({ ...base, weight: Float64Array.from({ length: 400 }, (_, i) => 1 + i * 1e-12) }, { bootstrap: 400, seed: 3 });
    if (!unit.ok || !plain.ok || !distinct.ok) throw new Error('audit failed');
    const p = find(plain.audit.disparities, 'b', 'selectionRate');
    for (const r of [unit, distinct]) {
      const u = find(r.audit.disparities, 'b', 'selectionRate');
      // Same point estimates and test; the bootstraps agree to Monte Carlo noise.
      expect(u.pValue).toBeCloseTo(p.pValue!, 9);
      expect(u.ratio).toBeCloseTo(p.ratio!, 9);
      expect(Math.abs(u.ci95![0] - p.ci95![0])).toBeLessThan(0.03);
      expect(Math.abs(u.ci95![1] - p.ci95![1])).toBeLessThan(0.03);
    }
  });

  it('weights change rates, and unequal weights shrink the effective size in the z-test', () => {
    const base = log({ a: { n: 100, selected: 50 }, b: { n: 100, selected: 30 } });
    // Selected rows of b weigh 3: b's weighted rate is 90 / (90 + 70) = 0.5625.
    const weight = Float64Array.from(base.group, (g, i) => (g === 1 && base.prediction[i] === 1 ? 3 : 1));
    const r = fairnessAudit({ ...base, weight }, { bootstrap: 0 });
    const plain = fairnessAudit(base, { bootstrap: 0 });
    if (!r.ok || !plain.ok) throw new Error('audit failed');
    expect(r.weighted).toBe(true);
    expect(r.audit.groups[1]!.selectionRate).toBeCloseTo(0.5625, 12);
    expect(r.audit.groups[1]!.n).toBe(100);
    const d = find(r.audit.disparities, 'b', 'selectionRate');
    expect(d.ratio).toBeCloseTo(1.125, 12);
  });
});

describe('properties', () => {
  const groupNames = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 2, maxLength: 5 });

  it('a perfectly balanced log has differences 0 and ratios 1', () => {
    fc.assert(
      fc.property(groupNames, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), (names, selected, extra, positivesSelected) => {
        // Every group: the same cells (selected positives, selected negatives, unselected positives and negatives).
        const yPred: number[] = [];
        const yTrue: number[] = [];
        const sensitiveFeatures: string[] = [];
        for (const g of names) {
          const cells: [number, number, number][] = [
            [1, 1, positivesSelected],
            [1, 0, selected],
            [0, 1, extra],
            [0, 0, extra + 1],
          ];
          for (const [p, y, k] of cells) {
            for (let i = 0; i < k; i++) {
              yPred.push(p);
              yTrue.push(y);
              sensitiveFeatures.push(g);
            }
          }
        }
        const f = frameFromArrays({ yPred, yTrue, sensitiveFeatures });
        for (const m of ['selectionRate', 'tpr', 'fpr', 'precision'] as const) {
          expect(difference(f, m)).toBeCloseTo(0, 12);
          expect(ratio(f, m)).toBeCloseTo(1, 12);
          expect(difference(f, m, 'to_overall')).toBeCloseTo(0, 12);
          expect(ratio(f, m, 'to_overall')).toBeCloseTo(1, 12);
        }
        const r = fairnessAudit(columnsFromArrays({ yPred, yTrue, sensitiveFeatures }), { minGroupSize: 1, bootstrap: 0 });
        if (!r.ok) throw new Error(r.message);
        for (const d of r.audit.disparities) expect(d).toMatchObject({ fair: true, flagged: false, difference: 0 });
      }),
      { numRuns: 60 },
    );
  });

  it('renaming groups renames the results and changes nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ g: fc.integer({ min: 0, max: 3 }), p: fc.integer({ min: 0, max: 1 }), y: fc.integer({ min: 0, max: 1 }) }), { minLength: 1, maxLength: 60 }),
        fc.shuffledSubarray(['w', 'x', 'y', 'z'], { minLength: 4, maxLength: 4 }),
        (rows, perm) => {
          const original = ['w', 'x', 'y', 'z'];
          const base = { yPred: rows.map((r) => r.p), yTrue: rows.map((r) => r.y) };
          const f1 = frameFromArrays({ ...base, sensitiveFeatures: rows.map((r) => original[r.g]!) });
          const f2 = frameFromArrays({ ...base, sensitiveFeatures: rows.map((r) => perm[r.g]!) });
          f1.groups.forEach((g, i) => {
            const renamed = perm[original.indexOf(g)]!;
            expect(f2.byGroup[f2.groups.indexOf(renamed)]).toEqual(f1.byGroup[i]);
          });
          expect(f2.overall).toEqual(f1.overall);
          for (const m of ['selectionRate', 'tpr', 'fpr'] as const) {
            expect(difference(f2, m)).toBe(difference(f1, m));
            expect(ratio(f2, m)).toBe(ratio(f1, m));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
