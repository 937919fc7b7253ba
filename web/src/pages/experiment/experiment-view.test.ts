import { describe, expect, it } from 'vitest';
import type { ArmReport, DefinitionView, ExperimentReport, ExperimentView, LookAnalysis } from '../../ui/experiments.ts';
import { byRelevance, coversSession, experimentListPath, stopBody } from '../../ui/experiments.ts';
import {
  armColour,
  armMeanSeries,
  chartValue,
  comparisonTitle,
  CONTROL_COLOUR,
  differenceSeries,
  energyBars,
  energyMethods,
  experimentIdFromPath,
  ARM_POLICY_NAMES,
  isArmPolicyName,
  isStopReasonCode,
  mayOperateExperiment,
  STOP_REASON_CODES,
  formatDifference,
  formatDifferenceEstimate,
  formatLevel,
  formatMargin,
  formatRate,
  formatShare,
  formatUplift,
  formatWh,
  formatYuanAmount,
  fractionPercent,
  giniPair,
  metricKind,
  minutesUntilNextLook,
  OUTSIDE_COLOUR,
  reportStage,
  signed,
  stopReasonProblem,
  TREATMENT_COLOURS,
  upliftAxisLimit,
  upliftSeries,
  cutAt,
  confidenceLevel,
  verdictTone,
  type IntervalPoint,
} from './experiment-view.ts';

const definition: DefinitionView = {
  name: 'Personalised vs not',
  brandId: 'demo-brand',
  sessionIds: ['demo'],
  arms: [
    { id: 'control', name: '非个性化', policy: 'non_personalised' },
    { id: 'bandit', name: 'LinUCB', policy: 'linucb', epsilon: 0.05 },
  ],
  allocation: [0.5, 0.5],
  control: 'control',
  primaryMetric: 'conversion',
  guardrails: [{ metric: 'opt_out_rate' }],
  alpha: 0.05,
  spending: 'obrien_fleming',
  plannedUnitsPerArm: 100,
  lookEveryMinutes: 5,
};

const view = (over: Partial<ExperimentView> = {}): ExperimentView => ({
  id: 'exp-0123456789ab',
  brandId: 'demo-brand',
  name: definition.name,
  status: 'running',
  simulated: false,
  definition,
  createdBy: 'admin',
  createdAt: 1,
  startedAt: 2,
  stoppedAt: null,
  stopReason: null,
  ...over,
});

const look = (n: number, fraction: number, difference: { estimate: number; lo: number; hi: number } | null): LookAnalysis & { takenAt: number } => ({
  look: n,
  fraction,
  bound: 3,
  alphaPerComparison: 0.05,
  final: false,
  takenAt: 1000 * n,
  arms: [
    { arm: 'control', name: '非个性化', policy: 'non_personalised', units: 10 * n, means: { conversion: 0.1 * n }, exposureGini: 0.2 },
    { arm: 'bandit', name: 'LinUCB', policy: 'linucb', units: 10 * n, means: { conversion: n === 1 ? null : 0.12 * n }, exposureGini: 0.35 },
  ],
  comparisons: [
    {
      treatment: 'bandit',
      control: 'control',
      metric: 'conversion',
      difference: difference ? { ...difference, se: 0.01 } : null,
      relativeUplift: difference ? { estimate: 0.1, lo: -0.2, hi: 0.4 } : null,
      z: null,
      crossed: false,
      guardrails: [],
      verdict: { kind: difference ? 'no_detectable_difference' : 'not_enough_data', final: false, text: { zh: '数据不足', en: 'not enough data yet' } },
    },
  ],
});

const arm = (over: Partial<ArmReport>): ArmReport => ({
  arm: 'control',
  name: '非个性化',
  policy: 'non_personalised',
  cohort: 'in',
  units: 3,
  requests: 6,
  impressions: 18,
  clickThrough: 0.1,
  cartRate: null,
  orders: 0,
  gmvYuan: 0,
  energy: { rankingCpuMsPer1000: 12, whPer1000: 0.0123, method: 'ccf-linear' },
  ...over,
});

describe('experiment page rules', () => {
  it('reads the id from the path', () => {
    expect(experimentIdFromPath('/experiments/exp-0123456789ab')).toBe('exp-0123456789ab');
    expect(experimentIdFromPath('/experiments/exp-0123456789ab/')).toBe('exp-0123456789ab');
    expect(experimentIdFromPath('/experiments/')).toBeNull();
    expect(experimentIdFromPath('/experiments/a/b')).toBeNull();
    expect(experimentIdFromPath('/experiments/%E0%A4%A')).toBeNull();
    expect(experimentIdFromPath('/host/demo')).toBeNull();
    // Only an id that can exist: anything else is "no such experiment", not a refused request.
    expect(experimentIdFromPath('/experiments/nonsense')).toBeNull();
    expect(experimentIdFromPath('/experiments/exp-0123456789AB')).toBeNull();
    expect(experimentIdFromPath('/experiments/exp-0123456789abc')).toBeNull();
  });

  it('offers start and stop as the server allows them: administrators, and hosts of every room it names', () => {
    const rooms = { sessionIds: ['demo', 'second'] };
    expect(mayOperateExperiment({ role: 'admin', name: 'a' }, rooms, null)).toBe(true);
    expect(mayOperateExperiment({ role: 'admin', name: 'a' }, { sessionIds: [] }, null)).toBe(true);
    expect(mayOperateExperiment({ role: 'host', name: 'h' }, rooms, ['h', 'h'])).toBe(true);
    expect(mayOperateExperiment({ role: 'host', name: 'h' }, rooms, ['h', 'other'])).toBe(false);
    expect(mayOperateExperiment({ role: 'host', name: 'h' }, rooms, ['h', null])).toBe(false);
    // Not known yet, or could not be read: no buttons.
    expect(mayOperateExperiment({ role: 'host', name: 'h' }, rooms, null)).toBe(false);
    expect(mayOperateExperiment({ role: 'host', name: 'h' }, rooms, [])).toBe(false);
    // Across all of a brand's rooms: an administrator's only.
    expect(mayOperateExperiment({ role: 'host', name: 'h' }, { sessionIds: [] }, [])).toBe(false);
    expect(mayOperateExperiment({ role: 'compliance', name: 'c' }, rooms, ['c', 'c'])).toBe(false);
  });

  it('knows every arm policy and stop reason the server names', () => {
    expect(ARM_POLICY_NAMES).toEqual(['non_personalised', 'linucb', 'lints', 'mlp']);
    expect(isArmPolicyName('mlp')).toBe(true);
    expect(isArmPolicyName('mlp-heavy')).toBe(false);
    expect(STOP_REASON_CODES).toContain('room_ended');
    expect(isStopReasonCode(null)).toBe(false);
  });

  it('formats differences with their intervals in the metric’s unit, with real minus signs', () => {
    expect(formatDifference('conversion', { estimate: 0.012, lo: -0.004, hi: 0.028 })).toBe('+1.2 pp [\u22120.4, +2.8]');
    expect(formatDifference('opt_out_rate', { estimate: -0.0004, lo: -0.01, hi: 0.0004 })).toBe('0.0 pp [\u22121.0, 0.0]');
    expect(formatDifference('gmv_per_viewer', { estimate: 1.2, lo: -0.4, hi: 2.8 })).toBe('+¥1.20 [\u2212¥0.40, +¥2.80]');
    expect(formatDifference('gmv_per_viewer', { estimate: 0, lo: 0, hi: 0 })).toBe('¥0.00 [¥0.00, ¥0.00]');
    expect(formatDifference('clicks_per_viewer', { estimate: 0.123, lo: -0.04, hi: 0.28 })).toBe('+0.12 [\u22120.04, +0.28]');
    expect(formatDifference('conversion', null)).toBe('—');
    expect(formatDifferenceEstimate('exposure_gini', 0.15)).toBe('+0.150');
    expect(formatDifferenceEstimate('exposure_gini', null)).toBe('—');
    expect(formatUplift({ estimate: 0.123, lo: -0.04, hi: 0.281 })).toBe('+12.3% [\u22124.0%, +28.1%]');
    expect(formatUplift(null)).toBe('—');
    expect(signed(Number.NaN, 1)).toBe('—');
  });

  it('formats levels, margins, rates, money and energy', () => {
    expect(metricKind('conversion')).toBe('proportion');
    expect(metricKind('gmv_per_viewer')).toBe('money');
    expect(metricKind('carts_per_viewer')).toBe('count');
    expect(metricKind('exposure_gini')).toBe('index');
    expect(formatLevel('conversion', 0.034)).toBe('3.4%');
    expect(formatLevel('gmv_per_viewer', 12.3)).toBe('¥12.30');
    expect(formatLevel('exposure_gini', 0.2134)).toBe('0.213');
    expect(formatLevel('conversion', null)).toBe('—');
    expect(formatMargin('opt_out_rate', 0.005)).toBe('0.5 pp');
    expect(formatMargin('gmv_per_viewer', 1)).toBe('¥1.00');
    expect(formatMargin('exposure_gini', 0.1)).toBe('0.100');
    expect(formatRate(0.0421)).toBe('4.2%');
    expect(formatRate(null)).toBe('—');
    expect(formatYuanAmount(1234.5)).toBe('1,234.50');
    expect(formatYuanAmount(0)).toBe('0.00');
    expect(formatYuanAmount(-12)).toBe('\u221212.00');
    expect(formatWh(0.0123456)).toBe('0.0123');
    expect(formatWh(1.2345)).toBe('1.23');
    expect(formatWh(123.4)).toBe('123');
    expect(formatWh(0)).toBe('0');
    expect(formatWh(null)).toBe('—');
    expect(formatShare(0.5)).toBe('50%');
    expect(formatShare(1 / 3)).toBe('33.3%');
  });

  it('shows the information fraction as a whole percentage that reaches 100 only at the planned sample', () => {
    expect(fractionPercent(0.37)).toBe(37);
    expect(fractionPercent(0.999)).toBe(99);
    expect(fractionPercent(1)).toBe(100);
    expect(fractionPercent(1.2)).toBe(100);
    expect(fractionPercent(0)).toBe(0);
    expect(fractionPercent(Number.NaN)).toBe(0);
  });

  it('says within how many minutes the next scheduled look runs', () => {
    const start = 1_000_000;
    expect(minutesUntilNextLook(5, start, start)).toBe(5);
    expect(minutesUntilNextLook(5, start, start + 61_000)).toBe(4);
    expect(minutesUntilNextLook(5, start, start + 4 * 60_000 + 59_000)).toBe(1);
    // Past the first due time without a look (no viewers yet): the next one on the schedule.
    expect(minutesUntilNextLook(5, start, start + 6 * 60_000)).toBe(4);
    expect(minutesUntilNextLook(5, start, start - 10_000)).toBe(5);
  });

  it('checks the optional stop reason as the server does, and leaves a blank one out', () => {
    expect(stopReasonProblem('')).toBeNull();
    expect(stopReasonProblem('  enough data ')).toBeNull();
    expect(stopReasonProblem('a\nb')).toBe('controlCharacters');
    expect(stopReasonProblem('x'.repeat(201))).toBe('tooLong');
    expect(stopReasonProblem('停'.repeat(200))).toBeNull();
    expect(stopBody('  ')).toEqual({});
    expect(stopBody(' enough ')).toEqual({ reason: 'enough' });
  });

  it('builds the chart series from the looks', () => {
    const looks = [look(1, 0.1, null), look(2, 0.25, { estimate: 0.01, lo: -0.02, hi: 0.04 })];
    expect(differenceSeries(looks, 'bandit')).toEqual([
      { look: 1, fraction: 0.1, takenAt: 1000, estimate: null, lo: null, hi: null },
      { look: 2, fraction: 0.25, takenAt: 2000, estimate: 0.01, lo: -0.02, hi: 0.04 },
    ]);
    expect(upliftSeries(looks, 'bandit')[1]).toMatchObject({ estimate: 0.1, lo: -0.2, hi: 0.4 });
    expect(differenceSeries(looks, 'nobody')[0]).toMatchObject({ estimate: null });
    expect(armMeanSeries(looks, definition, 'conversion')).toEqual([
      { arm: 'control', name: '非个性化', values: [0.1, 0.2] },
      { arm: 'bandit', name: 'LinUCB', values: [null, 0.24] },
    ]);
    expect(chartValue(0.012, 100)).toBe(1.2);
    expect(chartValue(0.1 + 0.2, 1)).toBe(0.3);
    expect(chartValue(null, 100)).toBeNull();
    expect(giniPair(looks[0]!, 'control', 'bandit')).toEqual({ control: 0.2, treatment: 0.35, difference: expect.closeTo(0.15, 10) });
  });

  it('lists energy per arm, the outside cohort included, and each method once', () => {
    const arms = [arm({}), arm({ arm: 'bandit', name: 'LinUCB', policy: 'linucb' }), arm({ arm: 'outside', cohort: 'outside', units: null, energy: { rankingCpuMsPer1000: null, whPer1000: null, method: 'ccf-linear' } })];
    expect(energyBars(arms).map((b) => [b.arm, b.cohort, b.wh])).toEqual([
      ['control', 'in', 0.0123],
      ['bandit', 'in', 0.0123],
      ['outside', 'outside', null],
    ]);
    expect(energyMethods(arms)).toEqual(['ccf-linear']);
  });

  it('names comparisons, tones and stages', () => {
    expect(comparisonTitle(definition, { treatment: 'bandit', control: 'control' })).toBe('LinUCB vs 非个性化');
    expect(verdictTone('better')).toBe('good');
    expect(verdictTone('guardrail_breached')).toBe('alert');
    expect(verdictTone('not_enough_data')).toBe('neutral');
    const report = (experiment: ExperimentView, latest: ExperimentReport['latest'] = null) => ({ experiment, latest });
    expect(reportStage(report(view({ status: 'draft', startedAt: null })))).toBe('draft');
    expect(reportStage(report(view()))).toBe('waiting');
    expect(reportStage(report(view({ status: 'stopped' })))).toBe('noLooks');
    expect(reportStage(report(view(), look(1, 0.1, null)))).toBe('analysed');
    expect(armColour(definition, 'control')).toBe(CONTROL_COLOUR);
    expect(armColour(definition, 'bandit')).toBe(TREATMENT_COLOURS[0]);
    expect(armColour(definition, 'outside', 'outside')).toBe(OUTSIDE_COLOUR);
  });
});

describe('experiments on the other pages', () => {
  it('builds the list URL from the filter', () => {
    expect(experimentListPath()).toBe('/api/v1/experiments');
    expect(experimentListPath({ status: 'all' })).toBe('/api/v1/experiments');
    expect(experimentListPath({ status: 'running', brandId: 'demo-brand' })).toBe('/api/v1/experiments?status=running&brandId=demo-brand');
  });

  it('knows which experiments cover a room: named rooms, or all rooms of the brand', () => {
    expect(coversSession(view(), 'demo', 'demo-brand')).toBe(true);
    expect(coversSession(view(), 'other', 'demo-brand')).toBe(false);
    expect(coversSession(view({ definition: { ...definition, sessionIds: [] } }), 'other', 'demo-brand')).toBe(true);
    expect(coversSession(view({ brandId: 'another', definition: { ...definition, sessionIds: [] } }), 'demo', 'demo-brand')).toBe(false);
  });

  it('puts running experiments first, then drafts, newest first within each', () => {
    const list = [view({ id: 'a', status: 'stopped', createdAt: 9 }), view({ id: 'b', status: 'draft', createdAt: 1 }), view({ id: 'c', status: 'running', createdAt: 2 }), view({ id: 'd', status: 'draft', createdAt: 5 })];
    expect([...list].sort(byRelevance).map((e) => e.id)).toEqual(['c', 'd', 'b', 'a']);
  });
});

describe('the relative-uplift chart’s axis', () => {
  const point = (look: number, estimate: number | null, lo: number | null, hi: number | null): IntervalPoint => ({ look, fraction: look / 10, takenAt: look, estimate, lo, hi });

  it('is left to the chart while every interval is within ±100 %', () => {
    expect(upliftAxisLimit([point(1, 0.2, -0.5, 0.9), point(2, 0.1, -0.2, 0.4)])).toBeNull();
    expect(upliftAxisLimit([point(1, null, null, null)])).toBeNull();
  });

  it('fits the latest look when an early one reaches thousands of percent, and says which are cut', () => {
    const points = [point(1, 4, -12, 40), point(2, 0.3, -0.4, 1.1), point(3, 0.25, -0.1, 0.6)];
    // The latest reaches 60 %: at least ±100 %.
    expect(upliftAxisLimit(points)).toBe(1);
    expect(cutAt(points, 1)).toBe(true);
    // A latest interval of ±180 % → 1.8 × 1.2 = 2.16, rounded up to a whole 50 %: ±250 %.
    const wide = [point(1, 4, -12, 40), point(2, 0.5, -0.8, 1.8)];
    expect(upliftAxisLimit(wide)).toBe(2.5);
    // Nothing past the latest look's own reach: no limit at all.
    expect(upliftAxisLimit([point(1, 0.5, -0.2, 1.2), point(2, 1, -0.9, 3)])).toBeNull();
  });

  it('cuts the drawn band and bars at the edge, and fixes the axis there', async () => {
    const { chartOption } = await import('./charts.ts');
    const option = chartOption({ kind: 'interval', categories: ['1', '2'], estimate: [400, 30], lo: [-1200, -40], hi: [4000, 110], colour: '#000', xName: 'x', yName: 'y', unit: '%', digits: 1, limit: 150 });
    expect(option.yAxis).toMatchObject({ min: -150, max: 150 });
    const series = option.series as { data: unknown[] }[];
    // The band's low end and its width: −150 and 300 at the first look, as drawn; the second is whole.
    expect(series[0]!.data).toEqual([-150, -40]);
    expect(series[1]!.data).toEqual([300, 150]);
  });
});

describe('a confidence level as shown', () => {
  it('is exact when it can be and never higher than it is', () => {
    expect(confidenceLevel(0.05)).toBe('95');
    expect(confidenceLevel(0.025)).toBe('97.5');
    expect(confidenceLevel(0.0005)).toBe('99.95');
    expect(confidenceLevel(0.05 / 3)).toBe('98.3');
    expect(confidenceLevel(0.01 / 3)).toBe('99.6');
  });
});
