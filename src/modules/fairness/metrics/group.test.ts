import { describe, expect, it } from 'vitest';
import { columnsFromArrays, frameFromArrays, metricFrame, selectionRate, tallyDecisions, type MetricFrame } from './group.js';

/** TV-1: fairlearn user guide (MetricFrame with recall, false positive rate, selection rate, count). */
const TV1 = {
  yTrue: [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1],
  yPred: [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0],
  sensitiveFeatures: ['b', 'b', 'a', 'b', 'b', 'c', 'c', 'c', 'a', 'a', 'c', 'a', 'b', 'c', 'c', 'b', 'c', 'c'],
};

const byName = (f: MetricFrame, g: string) => f.byGroup[f.groups.indexOf(g)]!;

describe('group metrics', () => {
  it('TV-1: overall and by-group tpr, fpr, selection rate and count (fairlearn user guide)', () => {
    const f = frameFromArrays(TV1);
    expect(f.groups).toEqual(['a', 'b', 'c']);
    expect(f.overall.tpr).toBeCloseTo(0.5, 12);
    expect(f.overall.fpr).toBeCloseTo(0.666667, 6);
    expect(f.overall.selectionRate).toBeCloseTo(0.555556, 6);
    expect(f.overall.count).toBe(18);
    const expected: Record<string, [number, number, number, number]> = { a: [0.5, 1, 0.75, 4], b: [0.6, 0, 0.5, 6], c: [0.4, 0.666667, 0.5, 8] };
    for (const [g, [tpr, fpr, sel, n]] of Object.entries(expected)) {
      const r = byName(f, g);
      expect(r.tpr, `${g} tpr`).toBeCloseTo(tpr, 6);
      expect(r.fpr, `${g} fpr`).toBeCloseTo(fpr, 6);
      expect(r.selectionRate, `${g} sel`).toBeCloseTo(sel, 12);
      expect(r.count, `${g} n`).toBe(n);
    }
  });

  it('computes the other confusion-matrix rates and shares (TV-1 group a: tp 1, fn 1, fp 2, tn 0)', () => {
    const a = byName(frameFromArrays(TV1), 'a');
    expect(a).toMatchObject({ fnr: 0.5, tnr: 0, precision: 1 / 3, fdr: 2 / 3, npv: 0 });
    expect(a.for).toBe(1); // fn / (fn + tn) = 1/1
    // selectedShare: a's 3 of the 10 predicted positives (Aequitas "ppr").
    expect(a.selectedShare).toBeCloseTo(0.3, 12);
    const f = frameFromArrays(TV1);
    expect(f.byGroup.reduce((s, r) => s + r.selectedShare!, 0)).toBeCloseTo(1, 12);
  });

  it('undefined rates are null, never NaN', () => {
    const f = frameFromArrays({ yTrue: [0, 0, 1], yPred: [0, 0, 0], sensitiveFeatures: ['x', 'x', 'y'] });
    const x = byName(f, 'x');
    expect(x.tpr).toBeNull(); // no positives in x
    expect(x.precision).toBeNull(); // nothing selected
    expect(x.selectedShare).toBeNull(); // nothing selected anywhere
    const noLabels = frameFromArrays({ yPred: [1, 0], sensitiveFeatures: ['x', 'y'] });
    expect(noLabels.byGroup.map((r) => [r.selectionRate, r.tpr, r.fpr])).toEqual([
      [1, null, null],
      [0, null, null],
    ]);
    for (const r of [...f.byGroup, f.overall]) for (const v of Object.values(r)) expect(Number.isNaN(v)).toBe(false);
  });

  it('TV-2: fairlearn selection_rate, weighted and with a pos_label, and empty input is an error', () => {
    expect(selectionRate([0, 0, 0, 1, 1, 1, 1, 1])).toBe(0.625);
    expect(selectionRate([0, 1, 1, 0, 0, 0, 0, 0], { sampleWeight: [1, 2, 3, 4, 1, 2, 1, 2] })).toBe(0.3125);
    expect(selectionRate(['a', 'a', 'a', 'b', 'b', 'b', 'a', 'a'], { posLabel: 'b' })).toBe(0.375);
    expect(() => selectionRate([])).toThrow(RangeError);
    expect(() => columnsFromArrays({ yPred: [], sensitiveFeatures: [] })).toThrow(/empty input/);
  });

  it('weights enter the rates as Σwŷ/Σw; counts stay row counts', () => {
    const f = frameFromArrays({ yPred: [0, 1, 1, 0, 0, 0, 0, 0], sensitiveFeatures: ['g', 'g', 'g', 'g', 'g', 'g', 'g', 'g'], sampleWeight: [1, 2, 3, 4, 1, 2, 1, 2] });
    expect(f.overall.selectionRate).toBe(0.3125);
    expect(f.overall.count).toBe(8);
    expect(f.overall.weight).toBe(16);
  });

  it('a frame restricted to some groups pools only their rows', () => {
    const t = tallyDecisions(columnsFromArrays(TV1));
    const f = metricFrame(t, [0, 1]); // a and b
    expect(f.groups).toEqual(['a', 'b']);
    expect(f.overall.count).toBe(10);
    expect(f.overall.selectionRate).toBeCloseTo(6 / 10, 12);
    expect(f.byGroup[0]!.selectedShare).toBeCloseTo(3 / 6, 12);
  });

  it('rejects unequal lengths and bad weights', () => {
    expect(() => columnsFromArrays({ yPred: [1, 0], sensitiveFeatures: ['a'] })).toThrow(RangeError);
    expect(() => columnsFromArrays({ yPred: [1], yTrue: [1, 0], sensitiveFeatures: ['a'] })).toThrow(RangeError);
    expect(() => columnsFromArrays({ yPred: [1], sensitiveFeatures: ['a'], sampleWeight: [-1] })).toThrow(/sampleWeight\[0\]/);
  });
});
