/**
 * Counting and the JSON report: requests by route and status, errors and refusals kept apart, the
 * per-arm figures (click-through over items shown, conversion over viewers served, the truth per
 * list), the regret curve, the experiment's uplift, and a report with the timings taken out.
 */
import { describe, expect, it } from 'vitest';
import type { ExperimentReport } from '../../experiments/index.js';
import { buildReport, LatencyHistogram, Tally, upliftOf, withoutTimings, type ReportMeta } from './report.js';
import { emptyTargetStats, type SimResponse } from './target.js';

const res = (status: number, code?: string, ms = 2): SimResponse => ({ status, body: undefined, ms, ...(code ? { code } : {}), ...(status === 0 ? { transportError: 'ECONNRESET' } : {}) });

const META: ReportMeta = {
  scenario: { name: 'baby-care', version: 1 },
  seed: 7,
  mode: 'in-process',
  target: 'in-process',
  sessionId: 'demo',
  viewers: 4,
  minutes: 10,
  speed: 'max',
  k: 4,
  wallSeconds: 2,
  targetStats: emptyTargetStats(),
  holdsSockets: false,
  experiment: null,
  notes: ['a note'],
};

describe('Tally and buildReport', () => {
  it('counts requests by route and status; transport failures and 5xx are errors, 4xx refusals by code', () => {
    const t = new Tally();
    t.request('recommendations', res(200));
    t.request('recommendations', res(200));
    t.request('recommendations', res(503, 'NOT_READY'));
    t.request('orders', res(409, 'PRICE_CHANGED'));
    t.request('orders', res(409, 'PRODUCT_SOLD_OUT'));
    t.request('consent', res(429, 'RATE_LIMITED'));
    t.request('feedback', res(0));
    const r = buildReport(t, META);
    expect(r.requests.total).toBe(7);
    expect(r.requests.byRoute.recommendations).toMatchObject({ route: 'GET /api/v1/sessions/:id/recommendations', total: 3, byStatus: { '200': 2, '503': 1 } });
    expect(r.requests.errors).toBe(2);
    expect(r.requests.transportErrors).toBe(1);
    expect(r.requests.serverErrors).toBe(1);
    expect(r.requests.refusedByCode).toEqual({ PRICE_CHANGED: 1, PRODUCT_SOLD_OUT: 1, RATE_LIMITED: 1 });
    expect(r.orders.refusedByCode).toEqual({ PRICE_CHANGED: 1, PRODUCT_SOLD_OUT: 1 });
    expect(r.requestsPerSecond).toBe(3.5);
    expect(r.viewersPerSecond).toBe(2);
    expect(Object.keys(r.requests.byRoute)).toEqual(['consent', 'feedback', 'orders', 'recommendations']);
  });

  it('counts transport failures in a row, and a success resets the run', () => {
    const t = new Tally();
    t.request('room', res(0));
    t.request('room', res(0));
    expect(t.consecutiveTransportErrors).toBe(2);
    t.request('room', res(404, 'SESSION_NOT_FOUND'));
    expect(t.consecutiveTransportErrors).toBe(0);
  });

  it('gives each arm its figures: click-through over items shown, conversion over viewers served, the truth per list', () => {
    const t = new Tally();
    // Arm a: viewers 1 and 2, three lists of 4 items; viewer 1 buys twice (one buyer).
    t.list('a', 1, 0.5, 4, 0.01, 0.02);
    t.list('a', 1, 3.2, 4, 0.03, 0.0);
    t.list('a', 2, 3.9, 4, 0.02, 0.04);
    t.click('a');
    t.click('a');
    t.click('a');
    t.addToCart('a');
    t.order('a', 1, 12_000);
    t.order('a', 1, 3_000);
    // Arm b: one viewer, one list, nothing done.
    t.list('b', 3, 1.0, 2, 0.005, 0.01);
    const r = buildReport(t, META);
    expect(r.perArm.map((x) => x.arm)).toEqual(['a', 'b']);
    const a = r.perArm[0]!;
    expect(a).toMatchObject({ lists: 3, viewers: 2, itemsShown: 12, clicks: 3, addToCart: 1, orders: 2, buyers: 1, clickThrough: 0.25, conversion: 0.5, gmvYuan: 150, gmvPerViewerYuan: 75 });
    expect(a.expectedPurchaseReward).toBeCloseTo(0.02, 9);
    expect(a.bestPossiblePurchaseReward).toBeCloseTo(0.04, 9);
    expect(a.regret.total).toBeCloseTo(0.06, 9);
    expect(a.regret.perList).toBeCloseTo(0.02, 9);
    expect(a.regret.curve.map((p) => [p.minute, p.lists, p.cumulativeRegret])).toEqual([
      [0, 1, 0.02],
      [1, 0, 0.02],
      [2, 0, 0.02],
      [3, 2, 0.06],
    ]);
    expect(a.regret.curve[1]!.meanExpectedReward).toBeNull();
    expect(a.regret.curve[3]!.meanExpectedReward).toBeCloseTo(0.025, 9);
    expect(r.perArm[1]).toMatchObject({ conversion: 0, clickThrough: 0, gmvPerViewerYuan: 0 });
    expect(r.orders.placed).toBe(2);
  });

  it('shares each purpose over the consent decisions recorded', () => {
    const t = new Tally();
    t.consent('accept_all', ['personalised_recommendations', 'assistant_memory', 'model_improvement', 'marketing', 'merchant_sharing']);
    t.consent('decline_all', []);
    t.consent('custom', ['personalised_recommendations']);
    t.consent('custom', ['marketing']);
    const r = buildReport(t, META);
    expect(r.consent.decisions).toBe(4);
    expect(r.consent.byMethod).toEqual({ accept_all: 1, decline_all: 1, custom: 2 });
    expect(r.consent.grantedShare).toEqual({ personalised_recommendations: 0.5, assistant_memory: 0.25, model_improvement: 0.25, marketing: 0.5, merchant_sharing: 0.25 });
  });

  it('says it is simulated, and takes the timings out for comparisons', () => {
    const t = new Tally();
    t.request('room', res(200, undefined, 5));
    const r = buildReport(t, META);
    expect(r.simulated).toBe(true);
    expect(r.experiment).toBeNull();
    expect(r.uplift).toBeUndefined();
    const same = buildReport(t, { ...META, wallSeconds: 9 });
    expect(r.wallSeconds).not.toBe(same.wallSeconds);
    expect(withoutTimings(r)).toEqual(withoutTimings(same));
    expect(withoutTimings(r)).not.toHaveProperty('wallSeconds');
  });
});

describe('upliftOf', () => {
  const comparison = (metric: string, estimate: number) => ({
    treatment: 'bandit',
    control: 'control',
    metric,
    difference: { estimate, lo: estimate - 0.01, hi: estimate + 0.01, se: 0.005 },
    relativeUplift: { estimate: 0.1, lo: -0.2, hi: 0.4 },
    z: 1,
    crossed: false,
    guardrails: [],
    verdict: { kind: 'no_detectable_difference' as const, final: false, text: { zh: '暂无差异', en: 'no detectable difference yet' } },
  });
  const look = (n: number, estimate: number) => ({ look: n, fraction: n / 4, bound: 3, alphaPerComparison: 0.05, final: false, arms: [], comparisons: [comparison('clicks_per_viewer', 9), comparison('conversion', estimate)], takenAt: n });
  const report = {
    experiment: { definition: { primaryMetric: 'conversion' } },
    looks: [look(1, 0.01), look(2, 0.02)],
    latest: look(2, 0.02),
  } as unknown as ExperimentReport;

  it('is the latest look’s comparison of the primary metric', () => {
    expect(upliftOf(report)).toEqual({
      metric: 'conversion',
      treatment: 'bandit',
      control: 'control',
      look: 2,
      fraction: 0.5,
      difference: { estimate: 0.02, lo: 0.01, hi: 0.03 },
      relativeUplift: { estimate: 0.1, lo: -0.2, hi: 0.4 },
      verdict: 'no_detectable_difference',
      verdictText: 'no detectable difference yet',
      final: false,
    });
    expect(buildReport(new Tally(), { ...META, experiment: report }).uplift?.look).toBe(2);
  });

  it('is absent before any look', () => {
    expect(upliftOf({ ...report, looks: [], latest: null })).toBeUndefined();
    expect(upliftOf(null)).toBeUndefined();
  });
});

describe('LatencyHistogram', () => {
  it('gives percentiles within its 5 % buckets, the exact mean and maximum, in constant memory', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.add(i / 10);
    expect(h.count).toBe(1000);
    expect(h.sum / h.count).toBeCloseTo(50.05, 6);
    expect(h.max).toBe(100);
    expect(h.percentile(50)).toBeGreaterThanOrEqual(50);
    expect(h.percentile(50)).toBeLessThanOrEqual(50 * 1.051);
    expect(h.percentile(99)).toBeGreaterThanOrEqual(99);
    expect(h.percentile(99)).toBeLessThanOrEqual(100);
    expect(new LatencyHistogram().percentile(50)).toBe(0);
  });
});
