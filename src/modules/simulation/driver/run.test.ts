/**
 * The runner's pure parts (the schedule's order, the scenario cut to a run, the room as the world
 * sees it, the wire shapes) and the runner itself against a fake server behind the SimTarget port:
 * what it sends, in which order, what it counts, that it stops at a production server's refusal and
 * that bad input starts nothing.
 */
import { describe, expect, it } from 'vitest';
import { deviceClassOf } from '../../../shared/device-class.js';
import {
  ASSISTANT_MENTION,
  ASSISTANT_QUESTIONS,
  CHAT_PHRASES,
  builtinScenarioPath,
  generateAudience,
  parseScenario,
  readScenarioFile,
  type HostStep,
  type Scenario,
  type SimViewer,
} from '../world/index.js';
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
  NO_SOCKET,
  SimulationRefusedError,
  SimulationSetupError,
  TargetUnreachableError,
  type SimChatResult,
  type SimChatSend,
  type SimRequest,
  type SimResponse,
  type SimSocket,
  type SimTarget,
  type TargetStats,
} from './target.js';

const BABY_CARE = readScenarioFile(builtinScenarioPath('baby-care'));
/** The demo scenario without a host script, for a room with few products. */
const NO_HOST: Scenario = parseScenario({ ...BABY_CARE, host: { script: [] } });
/** NO_HOST with viewers who talk a lot: every kind of chat message and question comes up in a short run. */
const TALKATIVE: Scenario = parseScenario({ ...NO_HOST, behaviour: { ...NO_HOST.behaviour, chatMessagesPerHour: 60, assistantQuestionsPerHour: 40 } });

const phrasesOf = (pool: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>, key: string) => new Set(Object.values(pool[key]!).flat());
const BLOCKED = phrasesOf(CHAT_PHRASES, 'blockedWords');
const LINKS = phrasesOf(CHAT_PHRASES, 'link');
const FOR_A_PERSON = phrasesOf(ASSISTANT_QUESTIONS, 'askForPerson');
const OFF_TOPIC = phrasesOf(ASSISTANT_QUESTIONS, 'offTopic');
const withoutMention = (text: string) => Object.values(ASSISTANT_MENTION).reduce((t, m) => (t.startsWith(m) ? t.slice(m.length) : t), text);
/** The fake assistant: hands off a request for a person, declines what is off topic, answers the rest. */
const fakeOutcome = (question: string) => (FOR_A_PERSON.has(question) ? 'handoff' : OFF_TOPIC.has(question) ? 'declined' : 'answered');

// ---------------------------------------------------------------------------------------------
// A fake server
// ---------------------------------------------------------------------------------------------

const CATEGORIES = ['diapers', 'wipes', 'toys', 'bottles', 'feeding', 'clothing'];

function product(i: number) {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    sku: `SKU-${i}`,
    name: { zh: `好物${i}号 限时款`, en: `Good Thing No. ${i}, limited` },
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
  /** The server refuses to start the experiment (e.g. another already runs in the room). */
  refuseExperimentStart?: boolean;
  personalisedFor?: (deviceId: string) => boolean;
  /** Every this many orders every price rises by 10 %: orders at an older price are refused (PRICE_CHANGED). */
  raisePricesEvery?: number;
}

/** A SimTarget that answers like a small demo server and records what it was sent. */
class FakeTarget implements SimTarget {
  readonly mode = 'in-process' as const;
  readonly description = 'fake';
  readonly holdsSockets = false;
  readonly clockFollowsSimulation = true;
  readonly sent: SimRequest[] = [];
  readonly opened: number[] = [];
  /** Chat messages, with the viewer whose socket sent them. */
  readonly chats: { viewer: number; message: SimChatSend }[] = [];
  readonly socketUserAgents = new Map<number, string | undefined>();
  clock = 1_700_000_000_000;
  status: 'scheduled' | 'live';
  readonly products = Array.from({ length: 12 }, (_, i) => product(i));
  ordersPlaced = 0;
  /** Orders placed and not yet named by a purchase's feedback (id → product). */
  readonly orders = new Map<string, string>();
  /** Purchase feedback that named an order placed here. */
  purchaseFeedback = 0;
  priceChanges = 0;

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
    return { close: async () => undefined, chat: async (message) => this.chat(viewer, message) };
  }
  /** Refuses spam and links as the real chat does, accepts the rest; answers "@助手 …" in the chat. */
  chat(viewer: number, message: SimChatSend): SimChatResult {
    this.chats.push({ viewer, message });
    if (this.options.production) return { outcome: 'refused', code: 'SIMULATION_REFUSED', ms: 1 };
    if (BLOCKED.has(message.text)) return { outcome: 'refused', code: 'CHAT_BLOCKED_WORDS', ms: 1 };
    if (LINKS.has(message.text)) return { outcome: 'refused', code: 'CHAT_LINK_NOT_ALLOWED', ms: 1 };
    const messageId = `m${String(this.chats.length).padStart(9, '0')}`;
    if (!message.awaitAssistant) return { outcome: 'accepted', messageId, ms: 1 };
    const outcome = fakeOutcome(withoutMention(message.text));
    return { outcome: 'accepted', messageId, ms: 1, assistant: { messageId: `a${messageId}`, handoff: outcome === 'handoff', sources: outcome === 'answered' ? 1 : 0, aiGenerated: true, label: 'AI生成 / AI-generated', ms: 2 } };
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
      case 'experimentReport':
        return problem(404, 'EXPERIMENT_NOT_FOUND', '');
      case 'experimentCreate':
        return this.options.refuseExperiment ? problem(400, 'VALIDATION_FAILED', this.options.refuseExperiment) : ok(201, { id: 'exp-000000000001' });
      case 'experimentStart':
        return this.options.refuseExperimentStart ? problem(409, 'EXPERIMENT_CONFLICT', 'experiment exp-000000000009 already runs in session demo') : ok(200, { status: 'running' });
      case 'experimentDiscard':
        return { status: 204, body: undefined, ms: 1 };
      case 'recommendations': {
        const personalised = this.options.personalisedFor?.(r.deviceId ?? '') ?? false;
        const first = Number(r.deviceId?.charCodeAt(5) ?? 0) % 8;
        const items = [0, 1, 2, 3].map((p) => ({ decisionId: `decision-${this.sent.length}-${p}`, productId: this.products[(first + p) % 12]!.id, position: p }));
        return ok(200, { personalised, items });
      }
      case 'orders': {
        const body = r.body as { productId: string; expectedUnitPriceFen: number };
        const now = this.products.find((p) => p.id === body.productId)!.priceFen;
        if (body.expectedUnitPriceFen !== now) return problem(409, 'PRICE_CHANGED', `the unit price is now ${now} fen`);
        this.ordersPlaced++;
        if (this.ordersPlaced % (this.options.raisePricesEvery ?? Infinity) === 0) {
          for (const p of this.products) p.priceFen = Math.round(p.priceFen * 1.1);
          this.priceChanges++;
        }
        const id = `order-${this.ordersPlaced}`;
        this.orders.set(id, body.productId);
        return ok(201, { order: { id, productId: body.productId, quantity: 1, unitPriceFen: body.expectedUnitPriceFen }, duplicate: false });
      }
      case 'feedback': {
        // As the server: a purchase names an order placed here (once), and only a purchase does.
        const body = r.body as { type: string; orderId?: string };
        if ((body.type === 'purchase') !== (body.orderId !== undefined)) return problem(400, 'VALIDATION_FAILED', 'orderId: a purchase, and only a purchase, names its order');
        if (body.orderId !== undefined) {
          if (!this.orders.has(body.orderId)) return problem(404, 'ORDER_NOT_FOUND', 'no such order');
          this.orders.delete(body.orderId);
          this.purchaseFeedback++;
        }
        return ok(202, { learned: false, duplicate: false });
      }
      case 'consent':
        return ok(201, {});
      case 'assistant': {
        const outcome = fakeOutcome((r.body as { question: string }).question);
        return ok(200, { id: 'x', answer: '…', aiGenerated: true, label: 'AI生成 / AI-generated', sources: [], handoff: outcome === 'handoff', outcome, productIds: [] });
      }
      default:
        return ok(r.route === 'behaviour' || r.route === 'events' ? 202 : 200, {});
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

  it('keeps each viewer’s own order: arrival, then requests, chat messages and questions at their minutes, opt-out while present, leaving last', () => {
    const events = drain();
    for (const v of viewers) {
      const mine = events.filter((e) => 'viewer' in e && e.viewer.index === v.index);
      expect(mine[0]!.kind).toBe('arrive');
      expect(mine.at(-1)!.kind).toBe('leave');
      for (const [kind, minutes] of [
        ['request', v.requestMinutes],
        ['chat', v.chatMinutes],
        ['ask', v.assistantMinutes],
      ] as const) {
        const of = mine.filter((e): e is Extract<SimEvent, { kind: 'request' | 'chat' | 'ask' }> => e.kind === kind);
        expect(of.map((e) => e.n)).toEqual(minutes.map((_, n) => n));
        expect(of.map((e) => e.minute)).toEqual(minutes);
      }
      expect(mine.filter((e) => e.kind === 'optOut')).toHaveLength(v.optOutMinute === null ? 0 : 1);
    }
    expect(events.some((e) => e.kind === 'chat') && events.some((e) => e.kind === 'ask')).toBe(true);
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

  it('lets viewers chat over their socket, nicknamed as simulated, and ask the assistant on its route or as "@助手 …" in the chat; the report counts it all', async () => {
    const target = new FakeTarget({ personalisedFor });
    const report = await simulate({ target, scenario: TALKATIVE, viewers: 60, minutes: 15, seed: 5 });
    const audience = generateAudience(scenarioForRun(TALKATIVE, { viewers: 60, minutes: 15 }), 5);
    const drawn = (f: (v: SimViewer) => number[]) => audience.reduce((n, v) => n + f(v).length, 0);
    const mentions = target.chats.filter((c) => c.message.awaitAssistant);
    const plain = target.chats.filter((c) => !c.message.awaitAssistant);
    const overRoute = target.sent.filter((r) => r.route === 'assistant');

    // Every message the world drew was sent, on the socket of the viewer who drew it, as that viewer.
    expect(plain).toHaveLength(drawn((v) => v.chatMinutes));
    expect(mentions.length + overRoute.length).toBe(drawn((v) => v.assistantMinutes));
    expect(mentions.length).toBeGreaterThan(0);
    expect(overRoute.length).toBeGreaterThan(0);
    for (const { viewer, message } of target.chats) {
      const v = audience[viewer]!;
      expect(message).toMatchObject({ deviceId: v.deviceId, locale: v.locale, nickname: v.locale === 'en' ? `Simulated viewer ${viewer + 1}` : `模拟观众 ${viewer + 1}` });
      expect(message.clientEventId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    }
    expect(new Set(target.chats.map((c) => c.message.clientEventId)).size).toBe(target.chats.length);
    for (const { message } of mentions) expect(message.text.startsWith(ASSISTANT_MENTION[message.locale])).toBe(true);
    for (const r of overRoute) {
      const v = audience[r.viewer!]!;
      expect(r).toMatchObject({ path: '/api/v1/sessions/demo/assistant', deviceId: v.deviceId, userAgent: VIEWER_USER_AGENTS[v.segment.device], body: { locale: v.locale, deviceId: v.deviceId } });
    }
    // A question about a product by name names it ({product} filled in with a name a viewer would type).
    const asked = [...overRoute.map((r) => (r.body as { question: string }).question), ...mentions.map((x) => x.message.text)];
    for (const q of asked) expect(q).not.toContain('{product}');
    expect(asked.some((q) => /好物\d+号|Good Thing No\. \d+/.test(q))).toBe(true);
    expect(asked.some((q) => /限时款|limited/.test(q))).toBe(false);

    // The chat, counted: everything the fake refused by its code, per kind of message.
    const c = report.chat;
    expect(c.sent).toBe(target.chats.length);
    const blocked = plain.filter((x) => BLOCKED.has(x.message.text)).length;
    const links = plain.filter((x) => LINKS.has(x.message.text)).length;
    expect(blocked).toBeGreaterThan(0);
    expect(links).toBeGreaterThan(0);
    expect(c.refusedByCode).toEqual({ CHAT_BLOCKED_WORDS: blocked, CHAT_LINK_NOT_ALLOWED: links });
    expect(c.accepted).toBe(c.sent - blocked - links);
    expect(c.failedByCode).toEqual({});
    expect(c.byKind.blockedWords).toEqual({ sent: blocked, accepted: 0, refusedByCode: { CHAT_BLOCKED_WORDS: blocked }, failedByCode: {} });
    expect(c.byKind.link).toMatchObject({ sent: links, accepted: 0 });
    expect(c.byKind.assistantMention).toMatchObject({ sent: mentions.length, accepted: mentions.length });
    expect(c.byKind.reaction.sent + c.byKind.hostQuestion.sent).toBe(c.sent - blocked - links - mentions.length);
    expect(c.latencyMs.count).toBe(c.sent);

    // The assistant, counted by outcome, by way and by topic.
    const a = report.assistant;
    expect(a.asked).toBe(drawn((v) => v.assistantMinutes));
    expect(a.byVia.http.asked).toBe(overRoute.length);
    expect(a.byVia.chat.asked).toBe(mentions.length);
    const questions = [...overRoute.map((r) => (r.body as { question: string }).question), ...mentions.map((x) => withoutMention(x.message.text))];
    const expected = (o: string) => questions.filter((q) => fakeOutcome(q) === o).length;
    expect([a.answered, a.handoff, a.declined]).toEqual([expected('answered'), expected('handoff'), expected('declined')]);
    expect(a.answered).toBeGreaterThan(0);
    expect(a.handoff).toBe(a.byTopic.askForPerson.asked);
    expect(a.declined).toBe(a.byTopic.offTopic.asked);
    expect(a).toMatchObject({ refused: 0, noAnswer: 0, unlabelled: 0, refusedByCode: {}, noAnswerByCode: {} });
    expect(Object.values(a.byTopic).reduce((n, t) => n + t.asked, 0)).toBe(a.asked);
    expect(a.latencyMs.count).toBe(a.asked);
    expect(a.byVia.http.latencyMs.count + a.byVia.chat.latencyMs.count).toBe(a.asked);
    // Chat latency is from sending the question to the answer (the fake's 2 ms), the route's its answer (1 ms).
    expect(a.byVia.chat.latencyMs.max).toBe(2);
    expect(a.byVia.http.latencyMs.max).toBe(1);
  });

  it('counts chat messages refused, unanswered or without a socket, and assistant answers without the AI label', async () => {
    const target = new FakeTarget({ personalisedFor });
    let n = 0;
    target.openSocket = async (_s, viewer) => ({
      close: async () => undefined,
      chat: async (message) => {
        target.chats.push({ viewer, message });
        const i = n++ % 4;
        if (i === 0) return { outcome: 'refused', code: 'CHAT_RATE_LIMITED', ms: 1 };
        if (i === 1) return { outcome: 'failed', code: 'NO_ANSWER_IN_TIME', ms: 1 };
        if (!message.awaitAssistant) return { outcome: 'accepted', messageId: 'm000000001', ms: 1 };
        return i === 2
          ? { outcome: 'accepted', messageId: 'm000000001', ms: 1, assistant: null }
          : { outcome: 'accepted', messageId: 'm000000001', ms: 1, assistant: { messageId: 'a', handoff: false, sources: 2, aiGenerated: false, label: null, ms: 3 } };
      },
    });
    const report = await simulate({ target, scenario: TALKATIVE, viewers: 40, minutes: 10, seed: 3 });
    const c = report.chat;
    expect(c.refusedByCode.CHAT_RATE_LIMITED).toBe(Math.ceil(target.chats.length / 4));
    expect(c.failedByCode.NO_ANSWER_IN_TIME).toBeGreaterThan(0);
    expect(c.sent).toBe(c.accepted + c.refusedByCode.CHAT_RATE_LIMITED! + c.failedByCode.NO_ANSWER_IN_TIME!);
    const a = report.assistant;
    expect(a.byVia.chat.asked).toBeGreaterThan(3);
    expect(a.byVia.chat.refused).toBe(a.refusedByCode.CHAT_RATE_LIMITED);
    // No answer: the message got none, or it did but the assistant's answer never came.
    expect(a.byVia.chat.noAnswer).toBe(a.noAnswerByCode.NO_ANSWER_IN_TIME);
    expect(a.byVia.chat.noAnswer).toBeGreaterThan(0);
    expect(a.byVia.chat.answered).toBe(a.unlabelled);
    expect(a.unlabelled).toBeGreaterThan(0);
  });

  it('counts a chat message as failed (NO_SOCKET) when the viewer has no socket', async () => {
    const target = new FakeTarget({ personalisedFor });
    target.openSocket = async () => NO_SOCKET;
    const report = await simulate({ target, scenario: TALKATIVE, viewers: 20, minutes: 10, seed: 3 });
    expect(report.chat.sent).toBeGreaterThan(0);
    expect(report.chat.failedByCode).toEqual({ NO_SOCKET: report.chat.sent });
    expect(report.chat.accepted).toBe(0);
    expect(report.assistant.noAnswerByCode.NO_SOCKET).toBe(report.assistant.byVia.chat.asked);
  });

  it('stops when the chat refuses simulated traffic (SIMULATION_REFUSED)', async () => {
    const target = new FakeTarget({ personalisedFor });
    target.openSocket = async () => ({ close: async () => undefined, chat: async () => ({ outcome: 'refused', code: 'SIMULATION_REFUSED', ms: 1 }) });
    await expect(simulate({ target, scenario: TALKATIVE, viewers: 20, minutes: 10, seed: 3 })).rejects.toBeInstanceOf(SimulationRefusedError);
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

  it('reads the room again right after an order refused because the price changed, so a change costs at most the one list already shown', async () => {
    const buyers = parseScenario({ ...NO_HOST, behaviour: { ...NO_HOST.behaviour, clickIntercept: 3, cartIntercept: 3, purchaseIntercept: 3 } });
    const target = new FakeTarget({ personalisedFor, live: true, raisePricesEvery: 4 });
    const report = await simulate({ target, scenario: buyers, viewers: 30, minutes: 10, seed: 4 });
    const refused = report.orders.refusedByCode.PRICE_CHANGED ?? 0;
    expect(target.priceChanges).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(0);
    // Each refusal is followed at once by a read of the room …
    const orders = target.sent.flatMap((r, i) => (r.route === 'orders' ? [i] : []));
    const readAfter = orders.filter((i) => target.sent[i + 1]?.route === 'room').length;
    expect(readAfter).toBe(refused);
    // … so only orders from the list already on screen meet the old price: at most 3 per change (4 slots).
    expect(refused).toBeLessThanOrEqual(3 * target.priceChanges);
    expect(report.orders.placed).toBe(target.ordersPlaced);
    // Every order placed from a card is named, once, by that card's purchase feedback.
    expect(target.purchaseFeedback).toBe(target.ordersPlaced);
    expect(target.orders.size).toBe(0);
  });

  it('stops at the first answer of a production server, having sent nothing else', async () => {
    const target = new FakeTarget({ production: true });
    await expect(simulate({ target, scenario: NO_HOST, viewers: 10 })).rejects.toBeInstanceOf(SimulationRefusedError);
    expect(target.sent.map((r) => r.route)).toEqual(['room']);
  });

  it('discards the draft it created when the server will not start it, and says why', async () => {
    const target = new FakeTarget({ refuseExperimentStart: true, live: true });
    const run = simulate({ target, scenario: NO_HOST, viewers: 10, experiment: { definition: { name: 'x' } } });
    await expect(run).rejects.toThrow('starting experiment exp-000000000001 failed: experiment exp-000000000009 already runs in session demo');
    const routes = target.sent.map((r) => r.route);
    expect(routes.slice(routes.indexOf('experimentCreate'))).toEqual(['experimentCreate', 'experimentStart', 'experimentDiscard']);
    expect(target.sent.at(-1)!.path).toBe('/api/v1/experiments/exp-000000000001');
    expect(routes).not.toContain('consent');
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

  it('starts nothing when the experiment id names none on the server, and says so in words', async () => {
    const target = new FakeTarget({});
    const run = simulate({ target, scenario: NO_HOST, viewers: 10, experiment: { id: 'exp-0123456789ab' } });
    await expect(run).rejects.toThrow('no experiment "exp-0123456789ab" on the server (see `qingliu experiments list` there)');
    const routes = target.sent.map((r) => r.route);
    expect(routes).not.toContain('start');
    expect(routes).not.toContain('consent');
  });

  it('gives up on a server that stopped answering', async () => {
    const target = new FakeTarget({ live: true });
    let calls = 0;
    const original = target.request.bind(target);
    target.request = async (r) => (++calls > 5 ? { status: 0, body: undefined, transportError: 'ECONNRESET', ms: 1 } : original(r));
    await expect(simulate({ target, scenario: NO_HOST, viewers: 200, minutes: 20 })).rejects.toBeInstanceOf(TargetUnreachableError);
  });
});
