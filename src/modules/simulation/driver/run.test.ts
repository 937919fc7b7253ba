/**
 * The runner's pure parts (the schedule's order, the scenario cut to a run, the room as the world
 * sees it, the wire shapes) and the runner itself against a fake server behind the SimTarget port:
 * what it sends, in which order, what it counts, that it stops at a production server's refusal and
 * that bad input starts nothing.
 */
import { describe, expect, it } from 'vitest';
import { deviceClassOf } from '../../../shared/device-class.js';
import { builtinScenarioPath, generateAudience, parseScenario, readScenarioFile, type HostStep, type Scenario, type SimViewer } from '../world/index.js';
import { withoutTimings } from './report.js';
import {
  armOf,
  compareEvents,
  consentMethodOf,
  recommendationsOf,
  resolveSettings,
  roomView,
  scenarioForRun,
  Schedule,
  simulate,
  VIEWER_USER_AGENTS,
  type SimEvent,
} from './run.js';
import {
  emptyTargetStats,
  SimulationRefusedError,
  SimulationSetupError,
  TargetUnreachableError,
  type SimRequest,
  type SimResponse,
  type SimSocket,
  type SimTarget,
  type TargetStats,
} from './target.js';

const BABY_CARE = readScenarioFile(builtinScenarioPath('baby-care'));
/** The demo scenario without a host script, for a room with few products. */
const NO_HOST: Scenario = parseScenario({ ...BABY_CARE, host: { script: [] } });

// ---------------------------------------------------------------------------------------------
// A fake server
// ---------------------------------------------------------------------------------------------

const CATEGORIES = ['diapers', 'wipes', 'toys', 'bottles', 'feeding', 'clothing'];

function product(i: number) {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    sku: `SKU-${i}`,
    category: CATEGORIES[i % CATEGORIES.length]!,
    priceFen: 1000 + i * 500,
    listPriceFen: 1200 + i * 500,
    stock: 100,
    ageMinMonths: 0,
    ageMaxMonths: 72,
    soldOut: false,
    markedSoldOut: false,
    pinnedAt: null,
    position: i,
  };
}

interface FakeOptions {
  production?: boolean;
  live?: boolean;
  refuseExperiment?: string;
  personalisedFor?: (deviceId: string) => boolean;
}

/** A SimTarget that answers like a small demo server and records what it was sent. */
class FakeTarget implements SimTarget {
  readonly mode = 'in-process' as const;
  readonly description = 'fake';
  readonly holdsSockets = false;
  readonly clockFollowsSimulation = true;
  readonly sent: SimRequest[] = [];
  readonly opened: number[] = [];
  readonly socketUserAgents = new Map<number, string | undefined>();
  clock = 1_700_000_000_000;
  status: 'scheduled' | 'live';
  readonly products = Array.from({ length: 12 }, (_, i) => product(i));

  constructor(readonly options: FakeOptions = {}) {
    this.status = options.live ? 'live' : 'scheduled';
  }

  now(): number {
    return this.clock;
  }
  async advanceTo(epochMs: number): Promise<void> {
    this.clock = Math.max(this.clock, epochMs);
  }
  async signInStaff(): Promise<boolean> {
    return true;
  }
  async openSocket(_sessionId: string, viewer: number, userAgent?: string): Promise<SimSocket> {
    this.opened.push(viewer);
    this.socketUserAgents.set(viewer, userAgent);
    return { close: async () => undefined };
  }
  stats(): TargetStats {
    return emptyTargetStats();
  }
  notes(): string[] {
    return ['fake target'];
  }
  async close(): Promise<void> {}

  async request(r: SimRequest): Promise<SimResponse> {
    this.sent.push(r);
    const ok = (status: number, body: unknown): SimResponse => ({ status, body, ms: 1 });
    const problem = (status: number, code: string, detail = code): SimResponse => ({ status, body: { code, detail }, code, detail, ms: 1 });
    if (this.options.production) return problem(403, 'SIMULATION_REFUSED');
    switch (r.route) {
      case 'room':
        return ok(200, {
          session: { id: 'demo', brandId: 'demo-brand', status: this.status },
          products: this.products,
          pins: [],
          flashSales: [],
          counters: { viewers: 0 },
          serverTime: this.clock,
          seq: 1,
        });
      case 'notice':
        return ok(200, { version: 'v1', hash: 'a'.repeat(64), purposes: [{ id: 'personalised_recommendations' }, { id: 'model_improvement' }] });
      case 'start':
        this.status = 'live';
        return ok(200, { session: { status: 'live' } });
      case 'experimentCreate':
        return this.options.refuseExperiment ? problem(400, 'VALIDATION_FAILED', this.options.refuseExperiment) : ok(201, { id: 'exp-000000000001' });
      case 'recommendations': {
        const personalised = this.options.personalisedFor?.(r.deviceId ?? '') ?? false;
        const first = Number(r.deviceId?.charCodeAt(5) ?? 0) % 8;
        const items = [0, 1, 2, 3].map((p) => ({ decisionId: `decision-${this.sent.length}-${p}`, productId: this.products[(first + p) % 12]!.id, position: p }));
        return ok(200, { personalised, items });
      }
      case 'orders': {
        const body = r.body as { productId: string; expectedUnitPriceFen: number };
        return ok(201, { order: { productId: body.productId, quantity: 1, unitPriceFen: body.expectedUnitPriceFen }, duplicate: false });
      }
      case 'consent':
        return ok(201, {});
      default:
        return ok(r.route === 'feedback' || r.route === 'behaviour' || r.route === 'events' ? 202 : 200, {});
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The schedule
// ---------------------------------------------------------------------------------------------

describe('Schedule', () => {
  const viewers = generateAudience(scenarioForRun(NO_HOST, { viewers: 40, minutes: 20 }), 3);
  const steps: HostStep[] = [
    { index: 0, atMinute: 2, action: 'pin', productId: 'SKU-1' },
    { index: 1, atMinute: 5, action: 'flash_sale', productId: 'SKU-2', flashSale: { priceFen: 900, quantity: 5, durationMinutes: 4 } },
    { index: 2, atMinute: 5, action: 'unpin', productId: 'SKU-1' },
  ];

  function drain(): SimEvent[] {
    const schedule = new Schedule(viewers, steps, 20);
    const out: SimEvent[] = [];
    for (let e = schedule.pop(); e; e = schedule.pop()) out.push(e);
    return out;
  }

  it('gives every event in order: by minute, then ticks, host steps, sale ends, arrivals, opt-outs, requests, leaving', () => {
    const events = drain();
    for (let i = 1; i < events.length; i++) expect(compareEvents(events[i - 1]!, events[i]!)).toBeLessThanOrEqual(0);
    expect(events.filter((e) => e.kind === 'tick').map((e) => e.minute)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(events.filter((e) => e.kind === 'host').map((e) => (e as { step: HostStep }).step.index)).toEqual([0, 1, 2]);
    expect(events.filter((e) => e.kind === 'saleEnd').map((e) => e.minute)).toEqual([9]);
    // A host step at a whole minute comes after that minute's tick.
    const at5 = events.filter((e) => e.minute === 5).map((e) => e.kind);
    expect(at5.slice(0, 3)).toEqual(['tick', 'host', 'host']);
  });

  it('keeps each viewer’s own order: arrival, then requests at their minutes, opt-out while present, leaving last', () => {
    const events = drain();
    for (const v of viewers) {
      const mine = events.filter((e) => 'viewer' in e && e.viewer.index === v.index);
      expect(mine[0]!.kind).toBe('arrive');
      expect(mine.at(-1)!.kind).toBe('leave');
      const requests = mine.filter((e): e is Extract<SimEvent, { kind: 'request' }> => e.kind === 'request');
      expect(requests.map((e) => e.n)).toEqual(v.requestMinutes.map((_, n) => n));
      expect(requests.map((e) => e.minute)).toEqual(v.requestMinutes);
      expect(mine.filter((e) => e.kind === 'optOut')).toHaveLength(v.optOutMinute === null ? 0 : 1);
    }
    expect(events.filter((e) => e.kind === 'arrive')).toHaveLength(viewers.length);
  });

  it('breaks ties between viewers by index, and between equal events by kind', () => {
    const v = (index: number): SimViewer => ({ ...viewers[0]!, index });
    const a: SimEvent = { kind: 'request', minute: 3, viewer: v(2), n: 0 };
    const b: SimEvent = { kind: 'request', minute: 3, viewer: v(1), n: 4 };
    const c: SimEvent = { kind: 'arrive', minute: 3, viewer: v(9) };
    expect([a, b, c].sort(compareEvents)).toEqual([c, b, a]);
  });
});

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

describe('scenarioForRun', () => {
  it('cuts the arrival curve at the run’s end (interpolating the rate there), drops later host steps and sets the viewers', () => {
    const run = scenarioForRun(BABY_CARE, { viewers: 300, minutes: 10 });
    expect(run.durationMinutes).toBe(10);
    expect(run.audience.viewers).toBe(300);
    // baby-care: [0,0.4],[5,1.0],[15,1.2] → at 10 the rate is 1.1
    expect(run.audience.arrival.points).toEqual([
      [0, 0.4],
      [5, 1.0],
      [10, 1.1],
    ]);
    expect(run.host.script.every((s) => s.atMinute < 10)).toBe(true);
    expect(run.host.script.length).toBeGreaterThan(0);
    const viewers = generateAudience(run, 7);
    expect(viewers).toHaveLength(300);
    expect(viewers.every((v) => v.arrivalMinute < 10 && v.leaveMinute <= 10)).toBe(true);
  });

  it('keeps the whole show as it is', () => {
    const run = scenarioForRun(BABY_CARE, { viewers: BABY_CARE.audience.viewers, minutes: BABY_CARE.durationMinutes });
    expect(run).toEqual(BABY_CARE);
  });
});

describe('resolveSettings', () => {
  const target = new FakeTarget();
  it('applies the defaults: the scenario’s viewers, length and seed; max speed and one event at a time in process', () => {
    expect(resolveSettings({ target, scenario: BABY_CARE })).toEqual({ viewers: 12000, minutes: 60, speed: 'max', seed: BABY_CARE.seed, sessionId: 'demo', k: 4, concurrency: 1 });
  });
  it.each([
    [{ viewers: 0 }, /viewers must be a whole number/],
    [{ minutes: 61 }, /minutes must be .* at most the scenario's durationMinutes, 60/],
    [{ speed: -1 }, /speed must be a positive number or "max"/],
    [{ k: 11 }, /k must be a whole number from 1 to 10/],
    [{ sessionId: 'Bad Room' }, /sessionId/],
    [{ concurrency: 0 }, /concurrency/],
  ])('refuses %j', (bad, message) => {
    expect(() => resolveSettings({ target, scenario: BABY_CARE, ...bad })).toThrow(message);
  });
});

describe('roomView', () => {
  const state = {
    session: { id: 'demo', brandId: 'b', status: 'live' },
    products: [product(0), { ...product(1), soldOut: true, markedSoldOut: true }, product(2)],
    pins: [product(2).id],
    flashSales: [{ id: 'sale-1', productId: product(0).id, priceFen: 700, previousPriceFen: 1000, status: 'active' }],
  };
  it('knows products by SKU, with the flash price, pins, sold-out marks and the room’s median price', () => {
    const room = roomView(state);
    expect(room.products.map((p) => p.id)).toEqual(['SKU-0', 'SKU-1', 'SKU-2']);
    expect(room.byId.get('SKU-0')).toMatchObject({ priceFen: 700, flashSale: true, pinned: false });
    expect(room.byId.get('SKU-2')).toMatchObject({ priceFen: 2000, flashSale: false, pinned: true });
    expect(room.byId.get('SKU-1')!.soldOut).toBe(true);
    expect(room.markedSoldOut).toEqual(new Set(['SKU-1']));
    expect(room.serverIdOf.get('SKU-2')).toBe(product(2).id);
    expect(room.skuOf.get(product(0).id)).toBe('SKU-0');
    expect(room.sales.get('SKU-0')).toEqual({ id: 'sale-1', priceFen: 700 });
    expect(room.pins).toEqual(['SKU-2']);
    expect(room.context.medianPriceFen).toBe(1500);
  });
  it('refuses a body that is not a room state', () => {
    expect(() => roomView({ products: 'no' })).toThrow(SimulationSetupError);
  });
});

describe('wire shapes', () => {
  it('reads a recommendations answer, in position order, and its arm', () => {
    const list = recommendationsOf({
      personalised: true,
      experiment: { id: 'exp-1', arm: 'bandit' },
      items: [
        { decisionId: 'd2', productId: 'p2', position: 1 },
        { decisionId: 'd1', productId: 'p1', position: 0 },
        { junk: true },
      ],
    });
    expect(list?.items.map((i) => i.productId)).toEqual(['p1', 'p2']);
    expect(armOf(list!)).toBe('bandit');
    expect(armOf({ personalised: true })).toBe('personalised');
    expect(armOf({ personalised: false })).toBe('not_personalised');
    expect(recommendationsOf({ items: [] })).toBeUndefined();
  });
  it('records exactly the purposes drawn: accept all, decline all or custom', () => {
    expect(consentMethodOf([])).toBe('decline_all');
    expect(consentMethodOf(['personalised_recommendations', 'assistant_memory', 'model_improvement', 'marketing', 'merchant_sharing'])).toBe('accept_all');
    expect(consentMethodOf(['marketing'])).toBe('custom');
  });
});

// ---------------------------------------------------------------------------------------------
// The runner against the fake server
// ---------------------------------------------------------------------------------------------

describe('simulate against a fake server', () => {
  const personalisedFor = (deviceId: string) => deviceId.charCodeAt(6) % 2 === 0;

  it('plays the audience: consent on arrival, lists with their truth per arm, actions sent, and a report', async () => {
    const target = new FakeTarget({ personalisedFor });
    const report = await simulate({ target, scenario: NO_HOST, viewers: 60, minutes: 15, seed: 5 });
    const count = (route: string) => target.sent.filter((r) => r.route === route).length;
    expect(report.viewers).toBe(60);
    expect(target.opened).toHaveLength(60);
    expect(count('consent')).toBe(60);
    expect(count('start')).toBe(1);
    const lists = count('recommendations');
    expect(lists).toBeGreaterThan(60);
    expect(report.perArm.map((a) => a.arm)).toEqual(['not_personalised', 'personalised']);
    expect(report.perArm.reduce((n, a) => n + a.lists, 0)).toBe(lists);
    for (const a of report.perArm) {
      expect(a.regret.total).toBeGreaterThanOrEqual(0);
      expect(a.bestPossiblePurchaseReward!).toBeGreaterThanOrEqual(a.expectedPurchaseReward!);
      expect(a.regret.curve.at(-1)!.cumulativeRegret).toBeCloseTo(a.regret.total, 5);
    }
    expect(report.requests.total).toBe(target.sent.length);
    expect(report.requests.byRoute.recommendations!.byStatus).toEqual({ '200': lists });
    // Every behaviour event names a product by the server's id, never the SKU the world uses.
    const ids = new Set(target.products.map((p) => p.id));
    for (const r of target.sent.filter((x) => x.route === 'behaviour' || x.route === 'orders')) expect(ids.has((r.body as { productId: string }).productId)).toBe(true);
    expect(report.orders.placed).toBe(count('orders'));
    // Each viewer: consent before their first list.
    const firstConsent = new Map<number, number>();
    const firstList = new Map<number, number>();
    target.sent.forEach((r, i) => {
      if (r.viewer === undefined) return;
      if (r.route === 'consent' && !firstConsent.has(r.viewer)) firstConsent.set(r.viewer, i);
      if (r.route === 'recommendations' && !firstList.has(r.viewer)) firstList.set(r.viewer, i);
    });
    for (const [v, i] of firstList) expect(firstConsent.get(v)!).toBeLessThan(i);
  });

  it('declares the city tier where it tells the child’s age band, and sends each viewer’s requests with their device’s User-Agent', async () => {
    const target = new FakeTarget({ personalisedFor });
    await simulate({ target, scenario: NO_HOST, viewers: 60, minutes: 15, seed: 5 });
    const audience = generateAudience(scenarioForRun(NO_HOST, { viewers: 60, minutes: 15 }), 5);
    const childAge = target.sent.filter((r) => r.route === 'childAge');
    const cityTier = target.sent.filter((r) => r.route === 'cityTier');
    expect(cityTier.length).toBeGreaterThan(0);
    // The same viewers, each right after their child's age band, on the privacy centre's route.
    expect(cityTier.map((r) => r.viewer)).toEqual(childAge.map((r) => r.viewer));
    for (const r of cityTier) {
      const v = audience[r.viewer!]!;
      expect(r).toMatchObject({ path: '/api/v1/privacy/city-tier', deviceId: v.deviceId, body: { brandId: 'demo-brand', cityTier: v.segment.cityTier } });
      expect(target.sent[target.sent.indexOf(r) - 1]).toMatchObject({ route: 'childAge', viewer: r.viewer });
    }
    // Every viewer request, and the socket, carries the viewer's device's User-Agent; staff and room reads none.
    for (const r of target.sent) {
      if (r.viewer === undefined) expect(r.userAgent).toBeUndefined();
      else expect(r.userAgent).toBe(VIEWER_USER_AGENTS[audience[r.viewer]!.segment.device]);
    }
    for (const [viewer, ua] of target.socketUserAgents) expect(ua).toBe(VIEWER_USER_AGENTS[audience[viewer]!.segment.device]);
  });

  it('uses User-Agents a server reads back as the device: iPhone, Android, and a desktop for the rest', () => {
    expect(deviceClassOf(VIEWER_USER_AGENTS.ios)).toBe('ios');
    expect(deviceClassOf(VIEWER_USER_AGENTS.android)).toBe('android');
    expect(deviceClassOf(VIEWER_USER_AGENTS.other)).toBe('desktop');
  });

  it('is deterministic for a seed (numbers except timings), also with several viewers in flight', async () => {
    const a = await simulate({ target: new FakeTarget({ personalisedFor }), scenario: NO_HOST, viewers: 40, minutes: 10, seed: 9 });
    const b = await simulate({ target: new FakeTarget({ personalisedFor }), scenario: NO_HOST, viewers: 40, minutes: 10, seed: 9 });
    const c = await simulate({ target: new FakeTarget({ personalisedFor }), scenario: NO_HOST, viewers: 40, minutes: 10, seed: 9, concurrency: 8 });
    expect(withoutTimings(a)).toEqual(withoutTimings(b));
    expect(withoutTimings(c).perArm).toEqual(withoutTimings(a).perArm);
    const other = await simulate({ target: new FakeTarget({ personalisedFor }), scenario: NO_HOST, viewers: 40, minutes: 10, seed: 10 });
    expect(withoutTimings(other).perArm).not.toEqual(withoutTimings(a).perArm);
  });

  it('stops at the first answer of a production server, having sent nothing else', async () => {
    const target = new FakeTarget({ production: true });
    await expect(simulate({ target, scenario: NO_HOST, viewers: 10 })).rejects.toBeInstanceOf(SimulationRefusedError);
    expect(target.sent.map((r) => r.route)).toEqual(['room']);
  });

  it('starts nothing when the server refuses the experiment, and says why', async () => {
    const target = new FakeTarget({ refuseExperiment: '/arms/1/policy: unknown model "magic"' });
    const run = simulate({ target, scenario: NO_HOST, viewers: 10, experiment: { definition: { name: 'x' } } });
    await expect(run).rejects.toBeInstanceOf(SimulationSetupError);
    await expect(run).rejects.toThrow('the server refused the experiment: /arms/1/policy: unknown model "magic"');
    const routes = target.sent.map((r) => r.route);
    expect(routes).not.toContain('start');
    expect(routes).not.toContain('consent');
    // The definition was completed with the room's brand and session.
    const created = target.sent.find((r) => r.route === 'experimentCreate')!;
    expect(created.body).toMatchObject({ name: 'x', brandId: 'demo-brand', sessionIds: ['demo'] });
  });

  it('gives up on a server that stopped answering', async () => {
    const target = new FakeTarget({ live: true });
    let calls = 0;
    const original = target.request.bind(target);
    target.request = async (r) => (++calls > 5 ? { status: 0, body: undefined, transportError: 'ECONNRESET', ms: 1 } : original(r));
    await expect(simulate({ target, scenario: NO_HOST, viewers: 200, minutes: 20 })).rejects.toBeInstanceOf(TargetUnreachableError);
  });
});
