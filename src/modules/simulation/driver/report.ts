/**
 * The simulation report: the counting the runner does while it runs (`Tally`: totals and
 * fixed-size histograms only, never one entry per request, so memory stays bounded whatever the
 * audience) and the JSON report built from it (`buildReport`, a pure function).
 *
 * Arms: a list served under an experiment belongs to the arm the server names (`experiment.arm`:
 * its arms' ids, and `outside` for viewers without personalisation consent); without an experiment,
 * to `personalised` or `not_personalised` by the list's own flag. The truth columns (expected and
 * best possible purchase reward, regret) come from the world's known utility model: what the list
 * shown was worth to that viewer in expectation, against the best list of the same length.
 *
 * Chat and the assistant: chat messages sent, accepted and refused by code (per kind of message:
 * reactions, questions to the host, spam the keyword filter blocks, links, questions to the
 * assistant); questions to the assistant by outcome (answered, handed off, declined), by the way
 * they were asked (its route or "@助手 …" in the chat) and by topic, and the latency a simulated
 * viewer saw, from asking to the answer.
 */
import type { ExperimentReport, VerdictKind } from '../../experiments/index.js';
import { ASSISTANT_TOPICS, CHAT_KINDS, PURPOSES, RegretCurve, type AssistantTopic, type ChatKind, type Purpose } from '../world/index.js';
import { chatReplyOutcome, ROUTES, type RouteKey, type SimChatResult, type SimResponse, type TargetStats } from './target.js';

/** The arm of lists served without an experiment, by the list's `personalised` flag. */
export const PERSONALISED_ARM = 'personalised';
export const NOT_PERSONALISED_ARM = 'not_personalised';

/** One point of an arm's curves: per simulated minute. */
export interface CurvePoint {
  minute: number;
  /** Lists served in this minute. */
  lists: number;
  /** Σ regret from the start to the end of this minute. */
  cumulativeRegret: number;
  /** Mean regret per list in this minute (0 without lists). */
  meanRegret: number;
  /** Mean expected purchase reward per list shown in this minute (the learning curve; null without lists). */
  meanExpectedReward: number | null;
}

/** The figures of one arm. */
export interface ArmFigures {
  arm: string;
  lists: number;
  /** Distinct viewers served at least one list by this arm. */
  viewers: number;
  itemsShown: number;
  clicks: number;
  addToCart: number;
  orders: number;
  /** Distinct viewers who bought after a list of this arm. */
  buyers: number;
  /** clicks ÷ items shown. */
  clickThrough: number | null;
  /** buyers ÷ viewers. */
  conversion: number | null;
  gmvYuan: number;
  gmvPerViewerYuan: number | null;
  /** Truth: mean expected purchases per list shown (Σ_i e_i · P(purchase | examined)). */
  expectedPurchaseReward: number | null;
  /** Truth: mean expected purchases per list of the best possible list for the same viewer. */
  bestPossiblePurchaseReward: number | null;
  regret: { total: number; perList: number | null; curve: CurvePoint[] };
}

/** Requests of one route. */
export interface RouteFigures {
  route: string;
  total: number;
  byStatus: Record<string, number>;
  latencyMs: { mean: number; p50: number; p99: number; max: number };
}

/** Latencies: how many, the mean and percentiles (5 % buckets) and the maximum, in milliseconds. */
export interface LatencyFigures {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/** A chat message's kind in the report: one of the world's kinds, or a question to the assistant in the chat. */
export type ChatMessageKind = ChatKind | 'assistantMention';
/** The kinds the report lists, in this order. */
export const CHAT_MESSAGE_KINDS: readonly ChatMessageKind[] = [...CHAT_KINDS, 'assistantMention'];

/** Chat messages of one kind. */
export interface ChatKindFigures {
  sent: number;
  accepted: number;
  refusedByCode: Record<string, number>;
  failedByCode: Record<string, number>;
}

/** Questions to the assistant, by what came of them. */
export interface AssistantCounts {
  asked: number;
  answered: number;
  handoff: number;
  declined: number;
  /** Refused by the server: the route's 4xx, or the chat refused the "@助手 …" message. */
  refused: number;
  /** No answer: a transport failure or 5xx on the route; no ack, or no answer in time, in the chat. */
  noAnswer: number;
}

/** The chat and the assistant as the simulated viewers saw them. */
export interface TalkFigures {
  chat: {
    /** chat_send frames (in process: messages posted through the chat service), questions to the assistant included. */
    sent: number;
    accepted: number;
    refusedByCode: Record<string, number>;
    /** Messages that got no answer: NO_SOCKET, SOCKET_CLOSED, NO_ANSWER_IN_TIME, SERVER_ERROR. */
    failedByCode: Record<string, number>;
    byKind: Record<ChatMessageKind, ChatKindFigures>;
    /** From sending a message to its ack or error frame. */
    latencyMs: LatencyFigures;
  };
  assistant: AssistantCounts & {
    refusedByCode: Record<string, number>;
    noAnswerByCode: Record<string, number>;
    /** Answers without the AI label (aiGenerated true and a label): must be 0 (AI1). */
    unlabelled: number;
    /** From asking to the answer as the viewer saw it, answered, handed off and declined alike. */
    latencyMs: LatencyFigures;
    byVia: { http: AssistantCounts & { latencyMs: LatencyFigures }; chat: AssistantCounts & { latencyMs: LatencyFigures } };
    byTopic: Record<AssistantTopic, AssistantCounts>;
  };
}

/** The comparison of the primary metric at the experiment's latest look (from the server's report). */
export interface Uplift {
  metric: string;
  treatment: string;
  control: string;
  look: number;
  fraction: number;
  /** treatment − control, with its repeated 95 % (1 − alpha) interval. */
  difference: { estimate: number; lo: number; hi: number } | null;
  /** (treatment − control) ÷ control, with its repeated interval. */
  relativeUplift: { estimate: number; lo: number; hi: number } | null;
  verdict: VerdictKind;
  verdictText: string;
  final: boolean;
}

export interface SimulationReport {
  simulated: true;
  scenario: { name: string; version: number };
  seed: number;
  mode: 'in-process' | 'http';
  /** The server's URL, or 'in-process'. */
  target: string;
  sessionId: string;
  viewers: number;
  minutes: number;
  speed: number | 'max';
  k: number;
  wallSeconds: number;
  /** Viewers processed ÷ wall seconds. */
  viewersPerSecond: number;
  requestsPerSecond: number;
  requests: {
    total: number;
    byRoute: Record<string, RouteFigures>;
    /** Transport failures and unexpected 5xx answers. */
    errors: number;
    transportErrors: number;
    serverErrors: number;
    /** 4xx answers by problem code (refusals the server made: sold out, price changed, limits …). */
    refusedByCode: Record<string, number>;
  };
  sockets: { held: boolean; opened: number; failed: number; peak: number; messages: number; roomViewersPeak: number | null };
  consent: {
    decisions: number;
    byMethod: { accept_all: number; decline_all: number; custom: number };
    /** Share of the decisions recorded that granted each purpose (what viewers chose; the server may still refuse minors). */
    grantedShare: Record<Purpose, number>;
    minors: { under14: number; from14To17: number; declared: number };
    /** Viewers who switched personalisation off during the show. */
    optOuts: number;
  };
  orders: { placed: number; refusedByCode: Record<string, number> };
  host: { steps: number; done: number; refused: number };
  /** Chat messages sent, accepted and refused. */
  chat: TalkFigures['chat'];
  /** Questions to the shopping assistant by outcome, way and topic, with the latency viewers saw. */
  assistant: TalkFigures['assistant'];
  perArm: ArmFigures[];
  uplift?: Uplift;
  /** The server's experiment report at the end of the run, or null. */
  experiment: ExperimentReport | null;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Latency histogram
// ---------------------------------------------------------------------------------------------

const HIST_MIN_MS = 0.01;
const HIST_FACTOR = 1.05;
const HIST_BUCKETS = 340; // up to 0.01 × 1.05^340 ≈ 160 s

/** Latencies in log-spaced buckets (5 % wide): constant memory, percentiles to within 5 %. */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(HIST_BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  add(ms: number): void {
    const v = Math.max(0, ms);
    const b = v <= HIST_MIN_MS ? 0 : Math.min(HIST_BUCKETS - 1, Math.ceil(Math.log(v / HIST_MIN_MS) / Math.log(HIST_FACTOR)));
    this.#counts[b]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** The upper edge of the bucket holding the p-th percentile (p in 0..100); 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let b = 0; b < HIST_BUCKETS; b++) {
      seen += this.#counts[b]!;
      if (seen >= rank) return Math.min(this.max, HIST_MIN_MS * HIST_FACTOR ** b);
    }
    return this.max;
  }
}

// ---------------------------------------------------------------------------------------------
// Tally
// ---------------------------------------------------------------------------------------------

interface ArmTally {
  lists: number;
  viewers: Set<number>;
  itemsShown: number;
  clicks: number;
  addToCart: number;
  orders: number;
  buyers: Set<number>;
  gmvFen: number;
  expected: number;
  best: number;
  regret: number;
  curve: RegretCurve;
}

interface RouteTally {
  total: number;
  byStatus: Map<number, number>;
  latency: LatencyHistogram;
}

interface ChatKindTally {
  sent: number;
  accepted: number;
  refused: Map<string, number>;
  failed: Map<string, number>;
}

const newCounts = (): AssistantCounts => ({ asked: 0, answered: 0, handoff: 0, declined: 0, refused: 0, noAnswer: 0 });
const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);

/** Everything counted about the chat and the assistant. */
export class TalkTally {
  readonly chatKinds = new Map<ChatMessageKind, ChatKindTally>(CHAT_MESSAGE_KINDS.map((k) => [k, { sent: 0, accepted: 0, refused: new Map(), failed: new Map() }]));
  readonly chatLatency = new LatencyHistogram();
  readonly assistant = newCounts();
  readonly assistantRefused = new Map<string, number>();
  readonly assistantNoAnswer = new Map<string, number>();
  unlabelled = 0;
  readonly assistantLatency = new LatencyHistogram();
  readonly via = { http: { counts: newCounts(), latency: new LatencyHistogram() }, chat: { counts: newCounts(), latency: new LatencyHistogram() } };
  readonly topics = new Map<AssistantTopic, AssistantCounts>(ASSISTANT_TOPICS.map((t) => [t, newCounts()]));

  /** One question's outcome, counted overall, for its way and its topic. */
  outcome(via: 'http' | 'chat', topic: AssistantTopic, what: 'answered' | 'handoff' | 'declined' | 'refused' | 'noAnswer', code?: string): void {
    for (const c of [this.assistant, this.via[via].counts, this.topics.get(topic) ?? newCounts()]) {
      c.asked++;
      c[what]++;
    }
    if (what === 'refused') bump(this.assistantRefused, code ?? 'REFUSED');
    if (what === 'noAnswer') bump(this.assistantNoAnswer, code ?? 'NO_ANSWER');
  }

  answered(via: 'http' | 'chat', ms: number, labelled: boolean): void {
    this.assistantLatency.add(ms);
    this.via[via].latency.add(ms);
    if (!labelled) this.unlabelled++;
  }
}

/** Everything the runner counts while it runs. */
export class Tally {
  readonly routes = new Map<RouteKey, RouteTally>();
  readonly arms = new Map<string, ArmTally>();
  readonly refusedByCode = new Map<string, number>();
  readonly orderRefusals = new Map<string, number>();
  total = 0;
  transportErrors = 0;
  serverErrors = 0;
  /** Transport failures in a row (the runner gives up on a server that stopped answering). */
  consecutiveTransportErrors = 0;
  consentDecisions = 0;
  consentByMethod = { accept_all: 0, decline_all: 0, custom: 0 };
  readonly granted = new Map<Purpose, number>();
  minors = { under14: 0, from14To17: 0, declared: 0 };
  optOuts = 0;
  ordersPlaced = 0;
  hostSteps = 0;
  hostDone = 0;
  hostRefused = 0;
  viewersArrived = 0;
  readonly talk = new TalkTally();

  /** Counts one answer of a route. */
  request(route: RouteKey, res: SimResponse): void {
    this.total++;
    let r = this.routes.get(route);
    if (!r) {
      r = { total: 0, byStatus: new Map(), latency: new LatencyHistogram() };
      this.routes.set(route, r);
    }
    r.total++;
    r.byStatus.set(res.status, (r.byStatus.get(res.status) ?? 0) + 1);
    r.latency.add(res.ms);
    if (res.status === 0) {
      this.transportErrors++;
      this.consecutiveTransportErrors++;
      return;
    }
    this.consecutiveTransportErrors = 0;
    if (res.status >= 500) this.serverErrors++;
    else if (res.status >= 400) {
      const code = res.code ?? `HTTP_${res.status}`;
      this.refusedByCode.set(code, (this.refusedByCode.get(code) ?? 0) + 1);
      if (route === 'orders') this.orderRefusals.set(code, (this.orderRefusals.get(code) ?? 0) + 1);
    }
  }

  #arm(arm: string): ArmTally {
    let a = this.arms.get(arm);
    if (!a) {
      a = { lists: 0, viewers: new Set(), itemsShown: 0, clicks: 0, addToCart: 0, orders: 0, buyers: new Set(), gmvFen: 0, expected: 0, best: 0, regret: 0, curve: new RegretCurve(1) };
      this.arms.set(arm, a);
    }
    return a;
  }

  /** One list served to a viewer at a simulated minute, with its truth (expected reward and regret). */
  list(arm: string, viewer: number, minute: number, itemsShown: number, expected: number, regret: number): void {
    const a = this.#arm(arm);
    a.lists++;
    a.viewers.add(viewer);
    a.itemsShown += itemsShown;
    a.expected += expected;
    a.best += expected + regret;
    a.regret += regret;
    a.curve.add(minute, regret, expected);
  }

  click(arm: string): void {
    this.#arm(arm).clicks++;
  }

  addToCart(arm: string): void {
    this.#arm(arm).addToCart++;
  }

  /** An order placed (201) after a list of the arm. */
  order(arm: string, viewer: number, amountFen: number): void {
    const a = this.#arm(arm);
    a.orders++;
    a.buyers.add(viewer);
    a.gmvFen += amountFen;
    this.ordersPlaced++;
  }

  /** A chat message a viewer sent, and what came of it. */
  chatMessage(kind: ChatMessageKind, res: SimChatResult): void {
    const k = this.talk.chatKinds.get(kind)!;
    k.sent++;
    if (res.outcome === 'accepted') k.accepted++;
    else if (res.outcome === 'refused') bump(k.refused, res.code ?? 'REFUSED');
    else bump(k.failed, res.code ?? 'FAILED');
    if (res.outcome !== 'failed') this.talk.chatLatency.add(res.ms);
  }

  /** A question to the assistant on its route (POST /api/v1/sessions/:id/assistant). */
  assistantOverHttp(topic: AssistantTopic, res: SimResponse): void {
    const t = this.talk;
    const body = res.body as { outcome?: unknown; aiGenerated?: unknown; label?: unknown } | undefined;
    if (res.status === 200 && (body?.outcome === 'answered' || body?.outcome === 'handoff' || body?.outcome === 'declined')) {
      t.outcome('http', topic, body.outcome);
      t.answered('http', res.ms, body.aiGenerated === true && typeof body.label === 'string' && body.label.length > 0);
    } else if (res.status >= 400 && res.status < 500) t.outcome('http', topic, 'refused', res.code ?? `HTTP_${res.status}`);
    else t.outcome('http', topic, 'noAnswer', res.status === 0 ? (res.transportError ?? 'NO_ANSWER') : `HTTP_${res.status}`);
  }

  /** A question to the assistant in the chat ("@助手 …"), and its answer there. */
  assistantInChat(topic: AssistantTopic, res: SimChatResult): void {
    const t = this.talk;
    if (res.outcome === 'refused') t.outcome('chat', topic, 'refused', res.code);
    else if (res.outcome === 'failed') t.outcome('chat', topic, 'noAnswer', res.code);
    else if (!res.assistant) t.outcome('chat', topic, 'noAnswer', 'NO_ANSWER_IN_TIME');
    else {
      t.outcome('chat', topic, chatReplyOutcome(res.assistant));
      t.answered('chat', res.assistant.ms, res.assistant.aiGenerated && res.assistant.label !== null && res.assistant.label.length > 0);
    }
  }

  /** A consent decision the server recorded. */
  consent(method: 'accept_all' | 'decline_all' | 'custom', granted: readonly Purpose[]): void {
    this.consentDecisions++;
    this.consentByMethod[method]++;
    for (const p of granted) this.granted.set(p, (this.granted.get(p) ?? 0) + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Building the report
// ---------------------------------------------------------------------------------------------

/** What the report says about the run besides the tally. */
export interface ReportMeta {
  scenario: { name: string; version: number };
  seed: number;
  mode: 'in-process' | 'http';
  target: string;
  sessionId: string;
  viewers: number;
  minutes: number;
  speed: number | 'max';
  k: number;
  wallSeconds: number;
  targetStats: TargetStats;
  holdsSockets: boolean;
  experiment: ExperimentReport | null;
  notes: string[];
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
const round = (x: number, digits = 6): number => Math.round(x * 10 ** digits) / 10 ** digits;
const roundOrNull = (x: number | null, digits = 6): number | null => (x === null ? null : round(x, digits));

/** The figures of one arm from its tally. */
export function armFigures(arm: string, a: ArmTally): ArmFigures {
  const curve = a.curve.buckets().map(
    (b): CurvePoint => ({
      minute: b.minute,
      lists: b.decisions,
      cumulativeRegret: round(b.cumulativeRegret),
      meanRegret: round(b.meanRegret),
      meanExpectedReward: b.decisions > 0 ? round(b.reward / b.decisions) : null,
    }),
  );
  const viewers = a.viewers.size;
  return {
    arm,
    lists: a.lists,
    viewers,
    itemsShown: a.itemsShown,
    clicks: a.clicks,
    addToCart: a.addToCart,
    orders: a.orders,
    buyers: a.buyers.size,
    clickThrough: roundOrNull(ratio(a.clicks, a.itemsShown)),
    conversion: roundOrNull(ratio(a.buyers.size, viewers)),
    gmvYuan: round(a.gmvFen / 100, 2),
    gmvPerViewerYuan: roundOrNull(viewers > 0 ? a.gmvFen / 100 / viewers : null, 4),
    expectedPurchaseReward: roundOrNull(ratio(a.expected, a.lists)),
    bestPossiblePurchaseReward: roundOrNull(ratio(a.best, a.lists)),
    regret: { total: round(a.regret), perList: roundOrNull(ratio(a.regret, a.lists)), curve },
  };
}

/** The latest look's comparison of the primary metric, or undefined without one. */
export function upliftOf(experiment: ExperimentReport | null): Uplift | undefined {
  const latest = experiment?.latest;
  if (!experiment || !latest) return undefined;
  const primary = experiment.experiment.definition.primaryMetric;
  const c = latest.comparisons.find((x) => x.metric === primary) ?? latest.comparisons[0];
  if (!c) return undefined;
  return {
    metric: c.metric,
    treatment: c.treatment,
    control: c.control,
    look: latest.look,
    fraction: latest.fraction,
    difference: c.difference ? { estimate: c.difference.estimate, lo: c.difference.lo, hi: c.difference.hi } : null,
    relativeUplift: c.relativeUplift ? { estimate: c.relativeUplift.estimate, lo: c.relativeUplift.lo, hi: c.relativeUplift.hi } : null,
    verdict: c.verdict.kind,
    verdictText: c.verdict.text.en,
    final: c.verdict.final,
  };
}

const sortedRecord = <V>(entries: Iterable<[string, V]>): Record<string, V> => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The figures of a latency histogram, in milliseconds to the microsecond. */
export function latencyFigures(h: LatencyHistogram): LatencyFigures {
  return { count: h.count, mean: round(h.count ? h.sum / h.count : 0, 3), p50: round(h.percentile(50), 3), p99: round(h.percentile(99), 3), max: round(h.max, 3) };
}

const NO_LATENCY: LatencyFigures = { count: 0, mean: 0, p50: 0, p99: 0, max: 0 };

/** The chat's and the assistant's figures from the tally. */
export function talkFigures(t: TalkTally): TalkFigures {
  const kinds = [...t.chatKinds];
  const sum = (f: (k: ChatKindTally) => number) => kinds.reduce((n, [, k]) => n + f(k), 0);
  const merged = (pick: (k: ChatKindTally) => Map<string, number>) => {
    const all = new Map<string, number>();
    for (const [, k] of kinds) for (const [code, n] of pick(k)) all.set(code, (all.get(code) ?? 0) + n);
    return sortedRecord(all);
  };
  return {
    chat: {
      sent: sum((k) => k.sent),
      accepted: sum((k) => k.accepted),
      refusedByCode: merged((k) => k.refused),
      failedByCode: merged((k) => k.failed),
      byKind: Object.fromEntries(kinds.map(([kind, k]) => [kind, { sent: k.sent, accepted: k.accepted, refusedByCode: sortedRecord(k.refused), failedByCode: sortedRecord(k.failed) }])) as Record<ChatMessageKind, ChatKindFigures>,
      latencyMs: latencyFigures(t.chatLatency),
    },
    assistant: {
      ...t.assistant,
      refusedByCode: sortedRecord(t.assistantRefused),
      noAnswerByCode: sortedRecord(t.assistantNoAnswer),
      unlabelled: t.unlabelled,
      latencyMs: latencyFigures(t.assistantLatency),
      byVia: {
        http: { ...t.via.http.counts, latencyMs: latencyFigures(t.via.http.latency) },
        chat: { ...t.via.chat.counts, latencyMs: latencyFigures(t.via.chat.latency) },
      },
      byTopic: Object.fromEntries([...t.topics].map(([topic, c]) => [topic, { ...c }])) as Record<AssistantTopic, AssistantCounts>,
    },
  };
}

/** The report of a run: pure, from the tally and the run's settings. */
export function buildReport(tally: Tally, meta: ReportMeta): SimulationReport {
  const wall = Math.max(meta.wallSeconds, 1e-9);
  const byRoute = sortedRecord(
    [...tally.routes].map(([route, r]): [string, RouteFigures] => [
      route,
      {
        route: ROUTES[route].label,
        total: r.total,
        byStatus: sortedRecord([...r.byStatus].map(([status, n]): [string, number] => [String(status), n])),
        latencyMs: (({ count: _count, ...figures }) => figures)(latencyFigures(r.latency)),
      },
    ]),
  );
  const decisions = tally.consentDecisions;
  const grantedShare = Object.fromEntries(PURPOSES.map((p) => [p, decisions > 0 ? round((tally.granted.get(p) ?? 0) / decisions, 4) : 0])) as Record<Purpose, number>;
  const s = meta.targetStats;
  const uplift = upliftOf(meta.experiment);
  const talk = talkFigures(tally.talk);
  return {
    simulated: true,
    scenario: { name: meta.scenario.name, version: meta.scenario.version },
    seed: meta.seed,
    mode: meta.mode,
    target: meta.target,
    sessionId: meta.sessionId,
    viewers: meta.viewers,
    minutes: meta.minutes,
    speed: meta.speed,
    k: meta.k,
    wallSeconds: round(meta.wallSeconds, 3),
    viewersPerSecond: round(meta.viewers / wall, 2),
    requestsPerSecond: round(tally.total / wall, 2),
    requests: {
      total: tally.total,
      byRoute,
      errors: tally.transportErrors + tally.serverErrors,
      transportErrors: tally.transportErrors,
      serverErrors: tally.serverErrors,
      refusedByCode: sortedRecord(tally.refusedByCode),
    },
    sockets: { held: meta.holdsSockets, opened: s.socketsOpened, failed: s.socketsFailed, peak: s.socketsPeak, messages: s.socketMessages, roomViewersPeak: s.roomViewersPeak },
    consent: { decisions, byMethod: { ...tally.consentByMethod }, grantedShare, minors: { ...tally.minors }, optOuts: tally.optOuts },
    orders: { placed: tally.ordersPlaced, refusedByCode: sortedRecord(tally.orderRefusals) },
    host: { steps: tally.hostSteps, done: tally.hostDone, refused: tally.hostRefused },
    chat: talk.chat,
    assistant: talk.assistant,
    perArm: [...tally.arms].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([arm, a]) => armFigures(arm, a)),
    ...(uplift ? { uplift } : {}),
    experiment: meta.experiment,
    notes: [...meta.notes],
  };
}

/**
 * The report without what depends on the machine (wall time, rates, latencies, socket and pacing
 * counts that vary with timing): what must be equal for two in-process runs with the same seed.
 */
export function withoutTimings(report: SimulationReport): Omit<SimulationReport, 'wallSeconds' | 'viewersPerSecond' | 'requestsPerSecond'> {
  const { wallSeconds: _w, viewersPerSecond: _v, requestsPerSecond: _r, ...rest } = report;
  const byRoute = Object.fromEntries(Object.entries(rest.requests.byRoute).map(([k, r]) => [k, { route: r.route, total: r.total, byStatus: r.byStatus, latencyMs: { mean: 0, p50: 0, p99: 0, max: 0 } }]));
  const untimed = (l: LatencyFigures): LatencyFigures => ({ ...NO_LATENCY, count: l.count });
  const a = rest.assistant;
  return {
    ...rest,
    requests: { ...rest.requests, byRoute },
    chat: { ...rest.chat, latencyMs: untimed(rest.chat.latencyMs) },
    assistant: {
      ...a,
      latencyMs: untimed(a.latencyMs),
      byVia: { http: { ...a.byVia.http, latencyMs: untimed(a.byVia.http.latencyMs) }, chat: { ...a.byVia.chat, latencyMs: untimed(a.byVia.chat.latencyMs) } },
    },
  };
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The chat's and the assistant's lines of the readable summary (`qingliu simulate` without --json). */
export function talkSummary(r: Pick<SimulationReport, 'chat' | 'assistant'>): string[] {
  const c = r.chat;
  const a = r.assistant;
  const codes = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
  const refused = Object.values(c.refusedByCode).reduce((x, y) => x + y, 0);
  const failed = Object.values(c.failedByCode).reduce((x, y) => x + y, 0);
  const lines = [
    `chat: ${c.sent} messages sent, ${c.accepted} accepted, ${refused} refused${refused ? ` (${codes(c.refusedByCode)})` : ''}${failed ? `, ${failed} without an answer (${codes(c.failedByCode)})` : ''}`,
    `assistant: ${a.asked} questions (${a.byVia.http.asked} on its route, ${a.byVia.chat.asked} in the chat): ${a.answered} answered, ${a.handoff} handed off, ${a.declined} declined` +
      `${a.refused ? `, ${a.refused} refused (${codes(a.refusedByCode)})` : ''}${a.noAnswer ? `, ${a.noAnswer} without an answer (${codes(a.noAnswerByCode)})` : ''}` +
      (a.latencyMs.count > 0 ? `; latency as viewers saw it p50 ${ms(a.latencyMs.p50)} ms, p99 ${ms(a.latencyMs.p99)} ms` : '') +
      (a.unlabelled > 0 ? `; ${a.unlabelled} answer(s) WITHOUT the AI label` : ''),
  ];
  return lines;
}
