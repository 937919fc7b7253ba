/**
 * Counting and the JSON report: requests by route and status, errors and refusals kept apart, the
 * per-arm figures (click-through over items shown, conversion over viewers served, the truth per
 * list), the regret curve, the experiment's uplift, and a report with the timings taken out.
 */
import { describe, expect, it } from 'vitest';
import type { ExperimentReport } from '../../experiments/index.js';
import { buildReport, LatencyHistogram, Tally, talkSummary, upliftOf, withoutTimings, type ReportMeta } from './report.js';
import { emptyTargetStats, type SimAssistantReply, type SimChatResult, type SimResponse } from './target.js';

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

describe('chat and the assistant in the report', () => {
  const said = (outcome: SimChatResult['outcome'], code?: string, ms = 4, assistant?: SimAssistantReply | null): SimChatResult => ({
    outcome,
    ms,
    ...(code ? { code } : {}),
    ...(assistant !== undefined ? { assistant } : {}),
  });
  const reply = (handoff: boolean, sources: number, ms: number): SimAssistantReply => ({ messageId: 'a', handoff, sources, aiGenerated: true, label: 'AI生成 / AI-generated', ms });
  const answer = (outcome: string, ms: number, labelled = true): SimResponse => ({ status: 200, body: { outcome, aiGenerated: labelled, label: labelled ? 'AI生成 / AI-generated' : '' }, ms });

  function tally(): Tally {
    const t = new Tally();
    t.chatMessage('reaction', said('accepted', undefined, 3));
    t.chatMessage('reaction', said('refused', 'CHAT_RATE_LIMITED'));
    t.chatMessage('blockedWords', said('refused', 'CHAT_BLOCKED_WORDS'));
    t.chatMessage('link', said('refused', 'CHAT_LINK_NOT_ALLOWED'));
    t.chatMessage('hostQuestion', said('failed', 'SOCKET_CLOSED'));
    // Four questions in the chat: answered, handed off, no answer in time, refused.
    for (const [topic, res] of [
      ['shopPolicy', said('accepted', undefined, 4, reply(false, 1, 40))],
      ['askForPerson', said('accepted', undefined, 4, reply(true, 0, 60))],
      ['namedProduct', said('accepted', undefined, 4, null)],
      ['pinnedProduct', said('refused', 'CHAT_RATE_LIMITED')],
    ] as const) {
      t.chatMessage('assistantMention', res);
      t.assistantInChat(topic, res);
    }
    // Six on the route: answered, declined, answered without the label, rate limited, a 503, no answer at all.
    t.assistantOverHttp('pinnedProduct', answer('answered', 5));
    t.assistantOverHttp('offTopic', answer('declined', 7));
    t.assistantOverHttp('namedProduct', answer('answered', 6, false));
    t.assistantOverHttp('shopPolicy', { status: 429, body: undefined, code: 'RATE_LIMITED', ms: 1 });
    t.assistantOverHttp('pinnedProduct', { status: 503, body: undefined, code: 'NOT_READY', ms: 1 });
    t.assistantOverHttp('offTopic', { status: 0, body: undefined, transportError: 'ECONNRESET', ms: 1 });
    return t;
  }

  it('counts chat messages sent, accepted, refused by code and failed, per kind', () => {
    const c = buildReport(tally(), META).chat;
    expect(c).toMatchObject({
      sent: 9,
      accepted: 4,
      refusedByCode: { CHAT_BLOCKED_WORDS: 1, CHAT_LINK_NOT_ALLOWED: 1, CHAT_RATE_LIMITED: 2 },
      failedByCode: { SOCKET_CLOSED: 1 },
    });
    expect(c.byKind.reaction).toEqual({ sent: 2, accepted: 1, refusedByCode: { CHAT_RATE_LIMITED: 1 }, failedByCode: {} });
    expect(c.byKind.blockedWords).toEqual({ sent: 1, accepted: 0, refusedByCode: { CHAT_BLOCKED_WORDS: 1 }, failedByCode: {} });
    expect(c.byKind.hostQuestion).toEqual({ sent: 1, accepted: 0, refusedByCode: {}, failedByCode: { SOCKET_CLOSED: 1 } });
    expect(c.byKind.assistantMention).toEqual({ sent: 4, accepted: 3, refusedByCode: { CHAT_RATE_LIMITED: 1 }, failedByCode: {} });
    // Latency: every message that got an answer (the failed one did not).
    expect(c.latencyMs.count).toBe(8);
    expect(c.latencyMs.max).toBe(4);
  });

  it('counts questions by outcome, by way and by topic, with the latency the viewer saw and answers without the label', () => {
    const a = buildReport(tally(), META).assistant;
    expect(a).toMatchObject({ asked: 10, answered: 3, handoff: 1, declined: 1, refused: 2, noAnswer: 3, unlabelled: 1 });
    expect(a.refusedByCode).toEqual({ CHAT_RATE_LIMITED: 1, RATE_LIMITED: 1 });
    expect(a.noAnswerByCode).toEqual({ ECONNRESET: 1, HTTP_503: 1, NO_ANSWER_IN_TIME: 1 });
    expect(a.byVia.http).toMatchObject({ asked: 6, answered: 2, handoff: 0, declined: 1, refused: 1, noAnswer: 2 });
    expect(a.byVia.chat).toMatchObject({ asked: 4, answered: 1, handoff: 1, declined: 0, refused: 1, noAnswer: 1 });
    expect(a.byTopic.pinnedProduct).toEqual({ asked: 3, answered: 1, handoff: 0, declined: 0, refused: 1, noAnswer: 1 });
    expect(a.byTopic.askForPerson).toEqual({ asked: 1, answered: 0, handoff: 1, declined: 0, refused: 0, noAnswer: 0 });
    expect(Object.values(a.byTopic).reduce((n, x) => n + x.asked, 0)).toBe(10);
    // Latency of the answers: in the chat from sending the question to the answer (40, 60 ms), on the route the answer (5, 7, 6 ms).
    expect(a.latencyMs.count).toBe(5);
    expect(a.latencyMs.max).toBe(60);
    expect(a.byVia.chat.latencyMs).toMatchObject({ count: 2, mean: 50, max: 60 });
    expect(a.byVia.http.latencyMs).toMatchObject({ count: 3, mean: 6, max: 7 });
    expect(a.latencyMs.p50).toBeGreaterThanOrEqual(6);
    expect(a.latencyMs.p50).toBeLessThanOrEqual(7 * 1.051);
    expect(a.latencyMs.p99).toBeGreaterThan(57);
  });

  it('is empty without talk, takes the timings out for comparisons, and sums up in two lines', () => {
    const empty = buildReport(new Tally(), META);
    expect(empty.chat).toMatchObject({ sent: 0, accepted: 0, refusedByCode: {}, failedByCode: {} });
    expect(empty.assistant).toMatchObject({ asked: 0, answered: 0, handoff: 0, declined: 0, unlabelled: 0 });
    const r = buildReport(tally(), META);
    const untimed = withoutTimings(r);
    expect(untimed.assistant.latencyMs).toEqual({ count: 5, mean: 0, p50: 0, p99: 0, max: 0 });
    expect(untimed.assistant.byVia.chat.latencyMs.p99).toBe(0);
    expect(untimed.chat.latencyMs).toEqual({ count: 8, mean: 0, p50: 0, p99: 0, max: 0 });
    expect(untimed.assistant.answered).toBe(3);
    const lines = talkSummary(r);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('chat: 9 messages sent, 4 accepted, 4 refused (CHAT_BLOCKED_WORDS 1, CHAT_LINK_NOT_ALLOWED 1, CHAT_RATE_LIMITED 2), 1 without an answer (SOCKET_CLOSED 1)');
    expect(lines[1]).toMatch(/^assistant: 10 questions \(6 on its route, 4 in the chat\): 3 answered, 1 handed off, 1 declined, 2 refused \(CHAT_RATE_LIMITED 1, RATE_LIMITED 1\), 3 without an answer \(ECONNRESET 1, HTTP_503 1, NO_ANSWER_IN_TIME 1\); latency as viewers saw it p50 [\d.]+ ms, p99 [\d.]+ ms; 1 answer\(s\) WITHOUT the AI label$/);
    expect(talkSummary(empty)).toEqual(['chat: 0 messages sent, 0 accepted, 0 refused', 'assistant: 0 questions (0 on its route, 0 in the chat): 0 answered, 0 handed off, 0 declined']);
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
