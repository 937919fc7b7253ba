import { describe, expect, it } from 'vitest';
import { analyse, informationFraction, type ArmFairness } from './analysis.js';
import { describeProblems, parseDefinition, UNIT_METRICS } from './definition.js';
import type { ArmUnitSums } from './ports.js';

const definition = (() => {
  const r = parseDefinition({
    name: 'fairness guardrail',
    brandId: 'b1',
    sessionIds: ['s1'],
    arms: [
      { id: 'control', name: 'Not personalised', policy: 'non_personalised' },
      { id: 'bandit', name: 'LinUCB', policy: 'linucb' },
    ],
    allocation: [0.5, 0.5],
    control: 'control',
    primaryMetric: 'conversion',
    guardrails: [{ metric: 'fairness_gap' }],
    plannedUnitsPerArm: 1_000,
    lookEveryMinutes: 5,
  });
  if (!r.ok) throw new Error(describeProblems(r.problems));
  return r.value;
})();

const sums = (arm: string, units: number, conversions: number): ArmUnitSums => ({
  arm,
  units,
  metrics: Object.fromEntries(UNIT_METRICS.map((m) => [m, { units, sum: m === 'conversion' ? conversions : 0, sumSquares: m === 'conversion' ? conversions : 0 }])) as ArmUnitSums['metrics'],
});

const flag = (key: string) => ({ key, text: { zh: `差距 ${key}`, en: `gap ${key}` } });

function look(fairness: ArmFairness[]) {
  return analyse({ definition, fractions: [0.5], sums: [sums('control', 500, 50), sums('bandit', 500, 55)], exposure: [], fairness });
}

describe('the fairness_gap guardrail', () => {
  it('is breached when the treatment arm’s own audit flags a viewer-segment gap the control’s does not, and names it', () => {
    const a = look([
      { arm: 'control', flags: [flag('cityTier/tier1/ctr')] },
      { arm: 'bandit', flags: [flag('cityTier/tier1/ctr'), flag('cityTier/tier1/meanPrice')] },
    ]);
    const g = a.comparisons[0]!.guardrails.find((x) => x.metric === 'fairness_gap')!;
    expect(g.breached).toBe(true);
    expect(g.newGaps).toEqual([{ zh: '差距 cityTier/tier1/meanPrice', en: 'gap cityTier/tier1/meanPrice' }]);
    expect(a.comparisons[0]!.verdict.kind).toBe('guardrail_breached');
    expect(a.arms.map((x) => x.fairnessFlags)).toEqual([1, 2]);
  });

  it('holds when the treatment flags nothing the control does not flag too', () => {
    const g = look([
      { arm: 'control', flags: [flag('device/ios/ctr')] },
      { arm: 'bandit', flags: [flag('device/ios/ctr')] },
    ]).comparisons[0]!.guardrails[0]!;
    expect(g).toMatchObject({ metric: 'fairness_gap', breached: false, newGaps: [], difference: null });
  });
});

describe('a look where neither arm varies yet', () => {
  it('reports no interval (not a zero-width one) and says there is not enough data', () => {
    const d = { ...definition, guardrails: [{ metric: 'opt_out_rate' }] };
    const a = analyse({ definition: d, fractions: [0.44], sums: [sums('control', 440, 0), sums('bandit', 440, 0)], exposure: [] });
    const c = a.comparisons[0]!;
    expect(c).toMatchObject({ difference: null, relativeUplift: null, z: null, crossed: false, verdict: { kind: 'not_enough_data' } });
    expect(c.guardrails[0]).toMatchObject({ metric: 'opt_out_rate', difference: null, breached: false });
    expect(c.verdict.text.en).toBe('not enough data yet');
    // The final look of such an experiment does not promise more data.
    const last = analyse({ definition: d, fractions: [1], sums: [sums('control', 440, 0), sums('bandit', 440, 0)], exposure: [] }).comparisons[0]!;
    expect(last.verdict).toEqual({ kind: 'not_enough_data', final: true, text: { zh: '数据不足，无法得出结论', en: 'not enough data to conclude' } });
    // With variation there is an interval again.
    const b = analyse({ definition: d, fractions: [0.44], sums: [sums('control', 440, 10), sums('bandit', 440, 20)], exposure: [] });
    expect(b.comparisons[0]!.difference!.hi).toBeGreaterThan(b.comparisons[0]!.difference!.lo);
  });
});

describe('the information fraction', () => {
  const units = (counts: Record<string, number>): ArmUnitSums[] =>
    Object.entries(counts).map(([arm, n]) => ({ arm, units: n, metrics: Object.fromEntries(UNIT_METRICS.map((m) => [m, { units: n, sum: 0, sumSquares: 0 }])) as ArmUnitSums['metrics'] }));
  const plan = (over: Partial<typeof definition> = {}) => ({ ...definition, plannedUnitsPerArm: 100, ...over });

  it('is units per arm over the plan when the arms are equal, capped at 1', () => {
    expect(informationFraction(plan(), units({ control: 40, bandit: 40 }))).toBeCloseTo(0.4, 12);
    expect(informationFraction(plan(), units({ control: 150, bandit: 150 }))).toBe(1);
  });

  it('lets the small arm set the pace with unequal arms: the total alone never completes it', () => {
    // 20 and 180 viewers are 200 in all (the plan's total) but the precision of 1/(1/20 + 1/180) = 18 of 50.
    expect(informationFraction(plan(), units({ control: 20, bandit: 180 }))).toBeCloseTo(18 / 50, 12);
    expect(informationFraction(plan(), units({ control: 0, bandit: 200 }))).toBe(0);
    expect(informationFraction(plan(), units({ bandit: 10 }))).toBe(0);
  });

  it('takes the least informed treatment when there are several', () => {
    const three = plan({
      arms: [...definition.arms, { id: 'ts', name: 'Thompson', policy: 'lints' }],
      allocation: [0.4, 0.3, 0.3],
    } as Partial<typeof definition>);
    expect(informationFraction(three, units({ control: 60, bandit: 60, ts: 30 }))).toBeCloseTo(1 / (1 / 60 + 1 / 30) / 50, 12);
  });
});
