/**
 * The runner: `simulate(options)` plays a scenario's audience against a server through the
 * driver's port (SimTarget) and measures the server's recommendations against the world's truth.
 *
 * What happens, in simulated-time order (ties: minute ticks, host steps, flash-sale ends, arrivals,
 * opt-outs, list requests, chat messages, questions to the assistant, leaving; then by viewer):
 * - before anything changes on the server: the room is read (a production server refuses here and
 *   the run stops), the host script is resolved against the room's products, the consent notices
 *   read, a staff member signed in where needed and an experiment defined (a refused definition
 *   stops the run with the server's problem detail);
 * - then the session goes live (if it is not) and the experiment starts;
 * - each whole simulated minute the target's clock moves (in process), the room is read again;
 * - host steps pin, unpin, mark sold out, restock, start and end flash sales, as a host would;
 * - a viewer arrives: opens the room's socket, declares their age band if a minor, records their
 *   consent decision (accept all, decline all, or purpose by purpose as drawn) and, when they allow
 *   personalisation, tells their child's age band and city tier; every request and socket of a
 *   viewer carries their device's User-Agent (VIEWER_USER_AGENTS);
 * - at each of their request minutes: asks for a list; the truth of that list (expected purchases,
 *   the best possible list's, the regret) is counted for the list's arm; the viewer responds by the
 *   world's behaviour model and sends what they did: behaviour events (view for each examined item,
 *   click, add to cart, purchase), feedback on the recommendation, the anonymous add-to-cart room
 *   event, and an order at the price shown;
 * - at each of their chat minutes they post a chat message over their room socket (in process: the
 *   chat service the socket hands it to), with a nickname that says they are simulated ("模拟观众 12");
 *   at each of their assistant minutes they ask the shopping assistant, on its route or in the chat
 *   as "@助手 …" (then waiting for its public answer there); what came of each is counted;
 * - at their opt-out minute they switch personalisation off; at their leave minute they close the socket;
 * - at the end: flash sales the run started are ended, its pins taken down and its sold-out marks
 *   lifted (the room is left as a host would leave it), the experiment it started is stopped and
 *   the experiment's report read.
 *
 * A viewer's events run one after another; different viewers' events overlap up to `concurrency`
 * (1 in process, so a run is deterministic for a seed). Host steps and minute ticks wait for what
 * is in flight. Nothing is kept per request: a Tally counts (report.ts).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Rng } from '../../../shared/rng.js';
import type { ErrorCode } from '../../../errors/index.js';
import type { RoomState } from '../../live-room/index.js';
import type { ExperimentReport } from '../../experiments/index.js';
import {
  NoiseTable,
  PURPOSES,
  assistantQuestion,
  chatLine,
  expectedReward,
  fillProduct,
  generateAudience,
  hostTimeline,
  mentionText,
  mixSeed,
  parseScenario,
  regret,
  respond,
  roomContext,
  simulatedNickname,
  spokenName,
  type Device,
  type HostStep,
  type ProductView,
  type Purpose,
  type RoomContext,
  type Scenario,
  type SimViewer,
} from '../world/index.js';
import { buildReport, NOT_PERSONALISED_ARM, PERSONALISED_ARM, Tally, type SimulationReport } from './report.js';
import {
  CHAT_FAILURES,
  SimulationRefusedError,
  SimulationSetupError,
  TargetUnreachableError,
  type SimChatResult,
  type SimChatSend,
  type SimRequest,
  type SimResponse,
  type SimSocket,
  type SimTarget,
} from './target.js';

/**
 * The User-Agent a simulated viewer's requests and socket carry, by their device: what the phone
 * browsers of real viewers send, so the server sees the simulated audience's devices as it would
 * real ones'. 'other' stands for every viewer not on a phone: desktop Chrome on Windows.
 */
export const VIEWER_USER_AGENTS: Readonly<Record<Device, string>> = Object.freeze({
  ios: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  android: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36',
  other: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36',
});

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** An experiment for the run: a definition to create, start and stop, or an existing one to read. */
export type ExperimentOption = { definition: unknown } | { id: string };

/** Where the run is, told each simulated minute and at the end. */
export interface SimProgress {
  minute: number;
  minutes: number;
  viewersArrived: number;
  viewers: number;
  requests: number;
}

export interface SimulateOptions {
  target: SimTarget;
  scenario: Scenario;
  /** Viewers over the run (default: the scenario's). */
  viewers?: number;
  /** Simulated minutes to run, from the start of the show (default and at most: the scenario's durationMinutes). */
  minutes?: number;
  /** Simulated minutes per real minute, or 'max' (default 'max' in process, 60 over HTTP). */
  speed?: number | 'max';
  /** Seed of the audience, the truth and the responses (default: the scenario's). */
  seed?: number;
  /** The live session (default 'demo'). */
  sessionId?: string;
  /** Items asked for per list (default 4). */
  k?: number;
  experiment?: ExperimentOption;
  /** Viewer events in flight at once (default 1 in process, 32 over HTTP). */
  concurrency?: number;
  onProgress?: (progress: SimProgress) => void;
  /** Ends the show early (e.g. the server is shutting down): the viewers leave and the report covers what ran. */
  signal?: AbortSignal;
}

/** The settings of a run after defaults, checked. */
export interface ResolvedSettings {
  viewers: number;
  minutes: number;
  speed: number | 'max';
  seed: number;
  sessionId: string;
  k: number;
  concurrency: number;
}

/** Applies the defaults and checks the settings; throws RangeError naming the bad one. */
export function resolveSettings(options: Omit<SimulateOptions, 'onProgress' | 'experiment'>): ResolvedSettings {
  const s = options.scenario;
  const viewers = options.viewers ?? s.audience.viewers;
  if (!Number.isInteger(viewers) || viewers < 1 || viewers > 10_000_000) throw new RangeError(`viewers must be a whole number from 1 to 10,000,000 (got ${viewers})`);
  const minutes = options.minutes ?? s.durationMinutes;
  if (!(minutes > 0) || minutes > s.durationMinutes) throw new RangeError(`minutes must be more than 0 and at most the scenario's durationMinutes, ${s.durationMinutes} (got ${minutes})`);
  const speed = options.speed ?? (options.target.mode === 'in-process' ? 'max' : 60);
  if (speed !== 'max' && !(typeof speed === 'number' && speed > 0 && Number.isFinite(speed))) throw new RangeError(`speed must be a positive number or "max" (got ${String(speed)})`);
  const seed = options.seed ?? s.seed;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number ≥ 0 (got ${seed})`);
  const sessionId = options.sessionId ?? 'demo';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(sessionId)) throw new RangeError(`sessionId must be a session id (lower-case letters, digits and -) (got "${sessionId}")`);
  const k = options.k ?? 4;
  if (!Number.isInteger(k) || k < 1 || k > 10) throw new RangeError(`k must be a whole number from 1 to 10 (got ${k})`);
  const concurrency = options.concurrency ?? (options.target.mode === 'in-process' ? 1 : 32);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) throw new RangeError(`concurrency must be a whole number from 1 to 10,000 (got ${concurrency})`);
  return { viewers, minutes, speed, seed, sessionId, k, concurrency };
}

/**
 * The scenario as run: `viewers` over the whole run and the show cut at `minutes` (the arrival
 * curve cut there, host steps after it dropped), checked again like any scenario file.
 */
export function scenarioForRun(scenario: Scenario, run: { viewers: number; minutes: number }): Scenario {
  const points: [number, number][] = [];
  const source = scenario.audience.arrival.points;
  for (let i = 0; i < source.length; i++) {
    const [m, r] = source[i]!;
    if (m <= run.minutes) {
      points.push([m, r]);
      continue;
    }
    const prev = source[i - 1];
    if (prev && prev[0] < run.minutes) points.push([run.minutes, prev[1] + ((r - prev[1]) * (run.minutes - prev[0])) / (m - prev[0])]);
    break;
  }
  return parseScenario(
    {
      ...scenario,
      durationMinutes: run.minutes,
      audience: { ...scenario.audience, viewers: run.viewers, arrival: { points } },
      host: { script: scenario.host.script.filter((step) => step.atMinute < run.minutes) },
    },
    `scenario ${scenario.name} cut to ${run.minutes} minutes`,
  );
}

// ---------------------------------------------------------------------------------------------
// The room as the world sees it
// ---------------------------------------------------------------------------------------------

/**
 * The room's products as the world's ProductViews (current flash prices), and what host steps need.
 * The world knows a product by its SKU, not by the id the server's database made (a random UUID, a
 * different one in every fresh database), so the truth of a run — each viewer's idiosyncratic
 * utility of each product, ties between products — is the same on any server with the catalogue.
 */
export interface RoomView {
  status: string;
  brandId: string;
  /** By SKU (ProductView.id is the SKU). */
  products: ProductView[];
  byId: Map<string, ProductView>;
  /** SKU → the product's name (both languages), for viewers who ask the assistant about it by name. */
  names: Map<string, { zh: string; en: string }>;
  /** SKU → the server's product id, and back. */
  serverIdOf: Map<string, string>;
  skuOf: Map<string, string>;
  /** By SKU. */
  stock: Map<string, number>;
  markedSoldOut: Set<string>;
  pins: string[];
  /** Running flash sales by SKU. */
  sales: Map<string, { id: string; priceFen: number }>;
  context: RoomContext;
}

/** Order refusals that mean the room changed since the list was shown: the runner reads the room again at once. */
const ROOM_CHANGED_CODES: ReadonlySet<string> = new Set(['PRICE_CHANGED', 'PRODUCT_SOLD_OUT', 'INSUFFICIENT_STOCK'] satisfies ErrorCode[]);

/** Reads a room state (GET /api/v1/sessions/:id) into a RoomView; throws on a body that is not one. */
export function roomView(state: unknown): RoomView {
  const s = state as Partial<RoomState> | undefined;
  if (!s || typeof s !== 'object' || !Array.isArray(s.products) || !s.session || !Array.isArray(s.pins) || !Array.isArray(s.flashSales)) {
    throw new SimulationSetupError('the server answered the room read with something that is not a room state');
  }
  const skuOf = new Map<string, string>();
  const serverIdOf = new Map<string, string>();
  const names = new Map<string, { zh: string; en: string }>();
  for (const p of s.products) {
    skuOf.set(p.id, p.sku);
    serverIdOf.set(p.sku, p.id);
    if (p.name && typeof p.name.zh === 'string' && typeof p.name.en === 'string') names.set(p.sku, { zh: p.name.zh, en: p.name.en });
  }
  const sales = new Map<string, { id: string; priceFen: number }>();
  for (const f of s.flashSales) {
    const sku = skuOf.get(f.productId);
    if (f.status === 'active' && sku !== undefined) sales.set(sku, { id: f.id, priceFen: f.priceFen });
  }
  const pins = s.pins.flatMap((id) => {
    const sku = skuOf.get(id);
    return sku === undefined ? [] : [sku];
  });
  const pinned = new Set(pins);
  const stock = new Map<string, number>();
  const markedSoldOut = new Set<string>();
  const products = s.products.map((p): ProductView => {
    stock.set(p.sku, p.stock);
    if (p.markedSoldOut) markedSoldOut.add(p.sku);
    const sale = sales.get(p.sku);
    return {
      id: p.sku,
      category: p.category,
      priceFen: sale ? sale.priceFen : p.priceFen,
      listPriceFen: p.listPriceFen,
      ageMinMonths: p.ageMinMonths,
      ageMaxMonths: p.ageMaxMonths,
      soldOut: p.soldOut,
      pinned: pinned.has(p.sku),
      flashSale: sale !== undefined,
    };
  });
  return {
    status: s.session.status,
    brandId: s.session.brandId,
    products,
    byId: new Map(products.map((p) => [p.id, p])),
    names,
    serverIdOf,
    skuOf,
    stock,
    markedSoldOut,
    pins,
    sales,
    context: roomContext(products),
  };
}

// ---------------------------------------------------------------------------------------------
// The schedule
// ---------------------------------------------------------------------------------------------

/** One thing that happens at a simulated minute. */
export type SimEvent =
  | { kind: 'tick'; minute: number }
  | { kind: 'host'; minute: number; step: HostStep }
  | { kind: 'saleEnd'; minute: number; step: HostStep }
  | { kind: 'arrive'; minute: number; viewer: SimViewer }
  | { kind: 'optOut'; minute: number; viewer: SimViewer }
  | { kind: 'request'; minute: number; viewer: SimViewer; n: number }
  /** The viewer's n-th chat message (their chatMinutes). */
  | { kind: 'chat'; minute: number; viewer: SimViewer; n: number }
  /** The viewer's n-th question to the assistant (their assistantMinutes). */
  | { kind: 'ask'; minute: number; viewer: SimViewer; n: number }
  | { kind: 'leave'; minute: number; viewer: SimViewer };

const PRIORITY: Record<SimEvent['kind'], number> = { tick: 0, host: 1, saleEnd: 2, arrive: 3, optOut: 4, request: 5, chat: 6, ask: 7, leave: 8 };

/** The order of events: by minute, then kind (PRIORITY), then viewer index, the viewer's number of it, step. */
export function compareEvents(a: SimEvent, b: SimEvent): number {
  return (
    a.minute - b.minute ||
    PRIORITY[a.kind] - PRIORITY[b.kind] ||
    ('viewer' in a && 'viewer' in b ? a.viewer.index - b.viewer.index : 0) ||
    ('n' in a && 'n' in b ? a.n - b.n : 0) ||
    ('step' in a && 'step' in b ? a.step.index - b.step.index : 0)
  );
}

/**
 * The events of a run, in order (a binary heap). A viewer's later events are added when the earlier
 * ones are taken (arrival brings the first request, chat message and question, opt-out and leaving;
 * each request, message or question the next of its kind), so the heap holds the viewers yet to
 * arrive and at most five events per present viewer.
 */
export class Schedule {
  readonly #heap: SimEvent[] = [];

  constructor(viewers: readonly SimViewer[], steps: readonly HostStep[], minutes: number) {
    for (let m = 1; m <= Math.floor(minutes); m++) this.push({ kind: 'tick', minute: m });
    for (const step of steps) {
      this.push({ kind: 'host', minute: step.atMinute, step });
      if (step.action === 'flash_sale' && step.flashSale) {
        const end = step.atMinute + step.flashSale.durationMinutes;
        if (end < minutes) this.push({ kind: 'saleEnd', minute: end, step });
      }
    }
    for (const viewer of viewers) if (viewer.arrivalMinute < minutes) this.push({ kind: 'arrive', minute: viewer.arrivalMinute, viewer });
  }

  get size(): number {
    return this.#heap.length;
  }

  push(event: SimEvent): void {
    const h = this.#heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareEvents(h[i]!, h[parent]!) >= 0) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** The next event, after adding what it brings (see the class comment); undefined when done. */
  pop(): SimEvent | undefined {
    const h = this.#heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && compareEvents(h[l]!, h[m]!) < 0) m = l;
        if (r < h.length && compareEvents(h[r]!, h[m]!) < 0) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    if (top.kind === 'arrive') {
      const v = top.viewer;
      const first = v.requestMinutes[0];
      if (first !== undefined) this.push({ kind: 'request', minute: first, viewer: v, n: 0 });
      const chat = v.chatMinutes[0];
      if (chat !== undefined) this.push({ kind: 'chat', minute: chat, viewer: v, n: 0 });
      const ask = v.assistantMinutes[0];
      if (ask !== undefined) this.push({ kind: 'ask', minute: ask, viewer: v, n: 0 });
      if (v.optOutMinute !== null) this.push({ kind: 'optOut', minute: v.optOutMinute, viewer: v });
      this.push({ kind: 'leave', minute: v.leaveMinute, viewer: v });
    } else if (top.kind === 'request' || top.kind === 'chat' || top.kind === 'ask') {
      const minutes = top.kind === 'request' ? top.viewer.requestMinutes : top.kind === 'chat' ? top.viewer.chatMinutes : top.viewer.assistantMinutes;
      const next = minutes[top.n + 1];
      if (next !== undefined) this.push({ kind: top.kind, minute: next, viewer: top.viewer, n: top.n + 1 });
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------
// Wire shapes
// ---------------------------------------------------------------------------------------------

interface RecommendationItemBody {
  decisionId: string;
  productId: string;
  position: number;
}
interface RecommendationsBody {
  personalised: boolean;
  experiment?: { id: string; arm: string };
  items: RecommendationItemBody[];
}

/** A recommendations answer, or undefined when the body is not one. */
export function recommendationsOf(body: unknown): RecommendationsBody | undefined {
  const b = body as Partial<RecommendationsBody> | undefined;
  if (!b || typeof b !== 'object' || typeof b.personalised !== 'boolean' || !Array.isArray(b.items)) return undefined;
  const items = b.items.filter(
    (i): i is RecommendationItemBody => typeof i === 'object' && i !== null && typeof i.decisionId === 'string' && typeof i.productId === 'string' && typeof i.position === 'number',
  );
  const experiment = b.experiment && typeof b.experiment.arm === 'string' && typeof b.experiment.id === 'string' ? { id: b.experiment.id, arm: b.experiment.arm } : undefined;
  return { personalised: b.personalised, items: [...items].sort((x, y) => x.position - y.position), ...(experiment ? { experiment } : {}) };
}

/** The arm a list belongs to: the experiment's, else by its personalised flag. */
export function armOf(list: Pick<RecommendationsBody, 'personalised' | 'experiment'>): string {
  return list.experiment?.arm ?? (list.personalised ? PERSONALISED_ARM : NOT_PERSONALISED_ARM);
}

/** The consent method that records exactly the viewer's granted purposes. */
export function consentMethodOf(granted: readonly Purpose[]): 'accept_all' | 'decline_all' | 'custom' {
  if (granted.length === 0) return 'decline_all';
  if (PURPOSES.every((p) => granted.includes(p))) return 'accept_all';
  return 'custom';
}

const fenToYuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

interface Notice {
  version: string;
  hash: string;
  purposes: string[];
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/** Transport failures in a row after which the server is taken as gone. */
const GIVE_UP_AFTER_TRANSPORT_ERRORS = 50;

/** Runs the scenario against the target and returns the report (see the module comment). */
export async function simulate(options: SimulateOptions): Promise<SimulationReport> {
  const { target } = options;
  const settings = resolveSettings(options);
  const { viewers: viewerCount, minutes, speed, seed, sessionId, k, concurrency } = settings;
  const scenario = scenarioForRun(options.scenario, { viewers: viewerCount, minutes });
  const audience = generateAudience(scenario, seed);
  const noise = NoiseTable.forScenario(scenario);
  const tally = new Tally();
  const notes: string[] = [];
  const started = performance.now();
  const runId = randomBytes(4).toString('hex');
  const base = `/api/v1/sessions/${encodeURIComponent(sessionId)}`;

  const send = async (request: SimRequest): Promise<SimResponse> => {
    const res = await target.request(request);
    tally.request(request.route, res);
    if (res.status === 403 && res.code === 'SIMULATION_REFUSED') throw new SimulationRefusedError(target.description);
    if (tally.consecutiveTransportErrors >= GIVE_UP_AFTER_TRANSPORT_ERRORS) throw new TargetUnreachableError(target.description, res.transportError ?? 'no answer');
    return res;
  };
  /** What every request of a viewer carries: their client address (by index) and their device's User-Agent. */
  const asViewer = (v: SimViewer) => ({ viewer: v.index, userAgent: VIEWER_USER_AGENTS[v.segment.device] });
  const staffSend = (route: SimRequest['route'], path: string, body?: unknown) => send({ route, path, staff: true, ...(body !== undefined ? { body } : {}) });

  // ---- before anything changes on the server ----
  const first = await send({ route: 'room', path: base });
  if (first.status === 0) throw new TargetUnreachableError(target.description, first.transportError ?? 'no answer');
  if (first.status === 404) throw new SimulationSetupError(`no session "${sessionId}" on the server at ${target.description}`);
  if (first.status !== 200) throw new SimulationSetupError(`reading session "${sessionId}" failed: ${first.status} ${first.code ?? ''} ${first.detail ?? ''}`.trim());
  let room = roomView(first.body);
  if (room.status === 'ended') throw new SimulationSetupError(`session "${sessionId}" has ended; simulate in a scheduled or live session`);
  let steps = hostTimeline(scenario, room.products);

  const notices = new Map<string, Notice>();
  for (const locale of ['zh-CN', 'en'] as const) {
    if (!audience.some((v) => v.locale === locale)) continue;
    const res = await send({ route: 'notice', path: `/api/v1/consent/notice?brandId=${encodeURIComponent(room.brandId)}&locale=${locale}` });
    const n = res.body as { version?: unknown; hash?: unknown; purposes?: { id?: unknown }[] } | undefined;
    if (res.status !== 200 || typeof n?.version !== 'string' || typeof n.hash !== 'string' || !Array.isArray(n.purposes)) {
      throw new SimulationSetupError(`reading the consent notice (${locale}) failed: ${res.status} ${res.code ?? ''}`.trim());
    }
    notices.set(locale, { version: n.version, hash: n.hash, purposes: n.purposes.map((p) => String(p.id)) });
  }

  const needsStaff = steps.length > 0 || options.experiment !== undefined || room.status !== 'live';
  const staff = needsStaff ? await target.signInStaff() : false;
  if (!staff) {
    if (options.experiment !== undefined) throw new SimulationSetupError('an experiment needs a staff account on the server (admin or the session’s host): give its name and password');
    if (room.status !== 'live') throw new SimulationSetupError(`session "${sessionId}" is not live and no staff account was given to start it; start it from the host console or give a staff account`);
    if (steps.length > 0) {
      notes.push(`no staff account: the host script (${steps.length} steps) was not performed`);
      steps = [];
    }
  }

  let experimentId: string | undefined;
  let startExperiment = false;
  if (options.experiment && 'definition' in options.experiment) {
    const definition = options.experiment.definition;
    const body =
      typeof definition === 'object' && definition !== null && !Array.isArray(definition)
        ? { brandId: room.brandId, sessionIds: [sessionId], ...(definition as Record<string, unknown>) }
        : definition;
    const res = await staffSend('experimentCreate', '/api/v1/experiments', body);
    const id = (res.body as { id?: unknown } | undefined)?.id;
    if (res.status !== 201 || typeof id !== 'string') throw new SimulationSetupError(`the server refused the experiment: ${res.detail ?? res.code ?? `HTTP ${res.status}`}`);
    experimentId = id;
    startExperiment = true;
  } else if (options.experiment && 'id' in options.experiment) {
    const res = await staffSend('experimentReport', `/api/v1/experiments/${encodeURIComponent(options.experiment.id)}`);
    if (res.code === 'EXPERIMENT_NOT_FOUND') throw new SimulationSetupError(`no experiment "${options.experiment.id}" on the server (see \`qingliu experiments list\` there)`);
    if (res.status !== 200) throw new SimulationSetupError(`experiment ${options.experiment.id}: ${res.detail ?? res.code ?? `HTTP ${res.status}`}`);
    experimentId = options.experiment.id;
  }

  // ---- the show starts ----
  const showStart = target.now();
  const epochOf = (minute: number) => showStart + Math.round(minute * 60_000);
  // The draft this run created is discarded if the show cannot begin: it served no one.
  const discardDraft = async (why: string): Promise<never> => {
    if (startExperiment && experimentId) {
      const res = await staffSend('experimentDiscard', `/api/v1/experiments/${experimentId}`);
      if (res.status !== 204) why += `; the draft experiment ${experimentId} could not be discarded (${res.code ?? `HTTP ${res.status}`}): discard it on the server`;
    }
    throw new SimulationSetupError(why);
  };
  if (room.status !== 'live') {
    const res = await staffSend('start', `${base}/start`);
    if (res.status !== 200) await discardDraft(`starting session "${sessionId}" failed: ${res.detail ?? res.code ?? `HTTP ${res.status}`}`);
  }
  if (startExperiment && experimentId) {
    const res = await staffSend('experimentStart', `/api/v1/experiments/${experimentId}/start`);
    if (res.status !== 200) await discardDraft(`starting experiment ${experimentId} failed: ${res.detail ?? res.code ?? `HTTP ${res.status}`}`);
  }
  const refreshRoom = async () => {
    const res = await send({ route: 'room', path: base });
    if (res.status === 200) room = roomView(res.body);
  };
  await refreshRoom();

  // ---- what the run did to the room (to tidy up at the end) ----
  const saleOfStep = new Map<number, string>();
  const pinnedByRun = new Set<string>();
  const markedByRun = new Set<string>();
  const sockets = new Map<number, SimSocket>();
  let progressMinute = 0;

  /** The path segment of a product the world knows by SKU: the server's id for it. */
  const productPath = (sku: string) => encodeURIComponent(room.serverIdOf.get(sku) ?? sku);

  const hostStep = async (step: HostStep) => {
    tally.hostSteps++;
    const p = `${base}/products/${productPath(step.productId)}`;
    let res: SimResponse | undefined;
    switch (step.action) {
      case 'pin':
        res = await staffSend('pin', `${base}/pins/${productPath(step.productId)}`);
        if (res.status === 200) pinnedByRun.add(step.productId);
        break;
      case 'unpin':
        res = await staffSend('unpin', `${base}/pins/${productPath(step.productId)}`);
        if (res.status === 200) pinnedByRun.delete(step.productId);
        break;
      case 'sold_out':
        res = await staffSend('soldOut', `${p}/sold-out`, { soldOut: true });
        if (res.status === 200) markedByRun.add(step.productId);
        break;
      case 'restock':
        res = await staffSend('soldOut', `${p}/sold-out`, { soldOut: false });
        if (res.status === 200) markedByRun.delete(step.productId);
        break;
      case 'flash_sale': {
        const sale = step.flashSale!;
        const stock = room.stock.get(step.productId) ?? sale.quantity;
        // Over HTTP the server keeps real time: the sale runs on and the runner ends it at its simulated end.
        const seconds = target.clockFollowsSimulation || speed === 'max' ? sale.durationMinutes * 60 : (sale.durationMinutes * 60) / speed;
        res = await staffSend('flashSale', `${base}/flash-sales`, {
          productId: room.serverIdOf.get(step.productId) ?? step.productId,
          price: fenToYuan(sale.priceFen),
          quantity: Math.max(1, Math.min(sale.quantity, stock)),
          durationSeconds: Math.min(86_400, Math.max(10, Math.ceil(seconds) + (target.clockFollowsSimulation ? 0 : 5))),
        });
        const id = (res.body as { id?: unknown } | undefined)?.id;
        if (res.status === 201 && typeof id === 'string') saleOfStep.set(step.index, id);
        break;
      }
      case 'end_flash_sale': {
        const running = room.sales.get(step.productId);
        if (running) res = await staffSend('endFlashSale', `${base}/flash-sales/${encodeURIComponent(running.id)}/end`);
        break;
      }
    }
    if (res && res.status >= 200 && res.status < 300) tally.hostDone++;
    else tally.hostRefused++;
    await refreshRoom();
  };

  const endSaleOf = async (step: HostStep) => {
    const id = saleOfStep.get(step.index);
    if (id === undefined) return;
    saleOfStep.delete(step.index);
    // In process the clock has ended it already; over HTTP the runner ends it at its simulated end.
    if ([...room.sales.values()].some((s) => s.id === id)) {
      await staffSend('endFlashSale', `${base}/flash-sales/${encodeURIComponent(id)}/end`);
      await refreshRoom();
    }
  };

  const arrive = async (v: SimViewer) => {
    tally.viewersArrived++;
    sockets.set(v.index, await target.openSocket(sessionId, v.index, VIEWER_USER_AGENTS[v.segment.device]));
    if (v.ageBand !== 'adult') {
      if (v.ageBand === 'under_14') tally.minors.under14++;
      else tally.minors.from14To17++;
      const res = await send({ route: 'age', path: '/api/v1/privacy/age', deviceId: v.deviceId, ...asViewer(v), body: { brandId: room.brandId, ageBand: v.ageBand } });
      if (res.status === 200) tally.minors.declared++;
    }
    const notice = notices.get(v.locale);
    if (!notice) return;
    const method = consentMethodOf(v.consent.granted);
    const granted = method === 'accept_all' ? notice.purposes : method === 'decline_all' ? [] : v.consent.granted;
    const res = await send({
      route: 'consent',
      path: '/api/v1/consent',
      ...asViewer(v),
      body: { deviceId: v.deviceId, brandId: room.brandId, noticeVersion: notice.version, noticeHash: notice.hash, locale: v.locale, method, granted },
    });
    if (res.status === 201) tally.consent(method, method === 'accept_all' ? PURPOSES : v.consent.granted);
    // Viewers who allow personalisation also fill in the privacy centre's optional fields: their
    // child's age band (the server ranks with it only while personalisation is allowed) and their
    // city tier (for fairness audits only, never for ranking or prices).
    if (res.status === 201 && (method === 'accept_all' || v.consent.granted.includes('personalised_recommendations'))) {
      await send({ route: 'childAge', path: '/api/v1/privacy/child-age', deviceId: v.deviceId, ...asViewer(v), body: { brandId: room.brandId, childAgeBand: v.segment.childAgeBand } });
      await send({ route: 'cityTier', path: '/api/v1/privacy/city-tier', deviceId: v.deviceId, ...asViewer(v), body: { brandId: room.brandId, cityTier: v.segment.cityTier } });
    }
  };

  const askForList = async (v: SimViewer, n: number, minute: number) => {
    const res = await send({ route: 'recommendations', path: `${base}/recommendations?k=${k}`, deviceId: v.deviceId, ...asViewer(v) });
    if (res.status !== 200) return;
    const list = recommendationsOf(res.body);
    if (!list) return;
    const arm = armOf(list);
    // The room as the runner knows it now: the products shown, with the prices a viewer sees.
    const shown = list.items.flatMap((item) => {
      const sku = room.skuOf.get(item.productId);
      const product = sku === undefined ? undefined : room.byId.get(sku);
      return product ? [{ item, product }] : [];
    });
    const slate = shown.map((s) => s.product);
    const ctx = room.context;
    const expected = expectedReward(v, slate, ctx, noise, 'purchase');
    const r = regret(v, slate, room.products, k, ctx, noise, 'purchase');
    tally.list(arm, v.index, minute, slate.length, expected, r);

    const actions = respond(v, slate, ctx, noise, new Rng(mixSeed('respond', scenario.name, seed, v.index, n)));
    let seq = 0;
    const id = (kind: string) => `sim-${runId}-${v.index}-${n}-${seq++}-${kind}`.slice(0, 64);
    const viewer = { deviceId: v.deviceId, ...asViewer(v) };
    const behaviour = (type: string, productId: string) =>
      send({ route: 'behaviour', path: `${base}/behaviour`, ...asViewer(v), body: { deviceId: v.deviceId, type, clientEventId: id('b'), productId } });
    // A purchase names the order it placed (the server ties the order to this card alone).
    const feedback = (type: string, decisionId: string, orderId?: string) =>
      send({
        route: 'feedback',
        path: `${base}/recommendations/feedback`,
        ...asViewer(v),
        body: { decisionId, type, idempotencyKey: id('f'), deviceId: v.deviceId, ...(orderId !== undefined ? { orderId } : {}) },
      });
    for (const action of actions) {
      const pair = shown[action.position];
      if (!pair) continue;
      const { item, product } = pair;
      const productId = item.productId;
      switch (action.kind) {
        case 'impression':
          await behaviour('view', productId);
          break;
        case 'click':
          tally.click(arm);
          await feedback('click', item.decisionId);
          await behaviour('click', productId);
          break;
        case 'add_to_cart':
          tally.addToCart(arm);
          await send({ route: 'events', path: `${base}/events`, ...asViewer(v), body: { type: 'add_to_cart', clientEventId: id('e'), productId } });
          await behaviour('add_to_cart', productId);
          await feedback('add_to_cart', item.decisionId);
          break;
        case 'purchase': {
          const order = await send({
            route: 'orders',
            path: `${base}/orders`,
            ...viewer,
            body: { productId, quantity: 1, clientOrderId: id('o'), expectedUnitPriceFen: product.priceFen },
          });
          // The room changed since the list was shown (a flash sale sold out, stock ran out): a
          // viewer's page hears of it over the room's socket at once, so the runner reads the room
          // now rather than at the next minute's tick — later lists are judged and answered at the
          // price the server charges; only the list already on screen can meet the old price.
          if (order.code !== undefined && ROOM_CHANGED_CODES.has(order.code)) await refreshRoom();
          const placed = (order.body as { order?: { id?: unknown; unitPriceFen?: unknown; quantity?: unknown } } | undefined)?.order;
          if (order.status === 201 && placed && typeof placed.unitPriceFen === 'number' && typeof placed.id === 'string') {
            tally.order(arm, v.index, placed.unitPriceFen * (typeof placed.quantity === 'number' ? placed.quantity : 1));
            await feedback('purchase', item.decisionId, placed.id);
            await behaviour('purchase', productId);
          }
          break;
        }
        case 'thumbs_up':
          await feedback('like', item.decisionId);
          break;
        case 'thumbs_down':
          await feedback('dislike', item.decisionId);
          break;
        case 'not_interested':
          await feedback('not_interested', item.decisionId);
          break;
      }
    }
  };

  /** Sends a chat message as the viewer on their socket (a refusal by a production server stops the run). */
  const sendChat = async (v: SimViewer, kind: string, n: number, text: string, awaitAssistant: boolean): Promise<SimChatResult> => {
    const socket = sockets.get(v.index);
    const message: SimChatSend = {
      clientEventId: `sim-${runId}-${v.index}-${kind}${n}`.slice(0, 64),
      deviceId: v.deviceId,
      text,
      nickname: simulatedNickname(v.index, v.locale),
      locale: v.locale,
      ...(awaitAssistant ? { awaitAssistant } : {}),
    };
    const res: SimChatResult = socket ? await socket.chat(message) : { outcome: 'failed', code: CHAT_FAILURES.noSocket, ms: 0 };
    if (res.outcome === 'refused' && res.code === 'SIMULATION_REFUSED') throw new SimulationRefusedError(target.description);
    return res;
  };

  const chat = async (v: SimViewer, n: number) => {
    const line = chatLine(v.locale, scenario.behaviour.chatMix, new Rng(mixSeed('chat', scenario.name, seed, v.index, n)));
    tally.chatMessage(line.kind, await sendChat(v, 'c', n, line.text, false));
  };

  const ask = async (v: SimViewer, n: number) => {
    // Asked about by name: the products whose names the room gave (all of them, from a real server).
    const named = room.products.filter((p) => room.names.has(p.id));
    const q = assistantQuestion(v, named, room.context, noise, new Rng(mixSeed('ask', scenario.name, seed, v.index, n)));
    const name = q.productId === undefined ? undefined : room.names.get(q.productId);
    const question = name ? fillProduct(q.text, spokenName(name, v.locale)) : q.text;
    if (q.via === 'http') {
      const res = await send({ route: 'assistant', path: `${base}/assistant`, deviceId: v.deviceId, ...asViewer(v), body: { question, locale: v.locale, deviceId: v.deviceId } });
      tally.assistantOverHttp(q.topic, res);
    } else {
      const res = await sendChat(v, 'a', n, mentionText(question, v.locale), true);
      tally.chatMessage('assistantMention', res);
      tally.assistantInChat(q.topic, res);
    }
  };

  const optOut = async (v: SimViewer) => {
    const res = await send({ route: 'personalisation', path: '/api/v1/privacy/personalisation', deviceId: v.deviceId, ...asViewer(v), body: { brandId: room.brandId, on: false } });
    if (res.status === 200) tally.optOuts++;
  };

  const leave = async (v: SimViewer) => {
    const socket = sockets.get(v.index);
    sockets.delete(v.index);
    await socket?.close();
  };

  const progress = (minute: number) => {
    progressMinute = minute;
    options.onProgress?.({ minute, minutes, viewersArrived: tally.viewersArrived, viewers: audience.length, requests: tally.total });
  };

  // ---- the event loop ----
  const schedule = new Schedule(audience, steps, minutes);
  const inflight = new Set<Promise<void>>();
  const chains = new Map<number, Promise<void>>();
  let fatal: unknown;
  const realStart = performance.now();
  const drain = async () => {
    while (inflight.size > 0) await Promise.all([...inflight]);
  };

  try {
    for (let event = schedule.pop(); event !== undefined && fatal === undefined && !options.signal?.aborted; event = schedule.pop()) {
      if (speed !== 'max') {
        const due = realStart + (event.minute * 60_000) / speed;
        const wait = due - performance.now();
        if (wait > 1) {
          try {
            await delay(wait, undefined, options.signal ? { signal: options.signal } : undefined);
          } catch {
            break; // aborted while waiting
          }
        }
      }
      if (event.kind === 'tick' || event.kind === 'host' || event.kind === 'saleEnd') {
        await drain();
        if (fatal !== undefined) break;
        await target.advanceTo(epochOf(event.minute));
        if (event.kind === 'tick') {
          await refreshRoom();
          progress(event.minute);
        } else if (event.kind === 'host') await hostStep(event.step);
        else await endSaleOf(event.step);
        continue;
      }
      while (inflight.size >= concurrency) await Promise.race(inflight);
      if (fatal !== undefined) break;
      await target.advanceTo(epochOf(event.minute));
      const e = event;
      const v = e.viewer;
      const work = async () => {
        if (e.kind === 'arrive') await arrive(v);
        else if (e.kind === 'request') await askForList(v, e.n, e.minute);
        else if (e.kind === 'chat') await chat(v, e.n);
        else if (e.kind === 'ask') await ask(v, e.n);
        else if (e.kind === 'optOut') await optOut(v);
        else await leave(v);
      };
      const previous = chains.get(v.index) ?? Promise.resolve();
      const running: Promise<void> = previous.then(work).catch((err: unknown) => {
        fatal ??= err;
      });
      chains.set(v.index, running);
      inflight.add(running);
      void running.finally(() => {
        inflight.delete(running);
        if (chains.get(v.index) === running) chains.delete(v.index);
      });
    }
    await drain();
    if (fatal !== undefined) throw fatal;

    // ---- the end of the show ----
    await target.advanceTo(epochOf(minutes));
    for (const socket of sockets.values()) await socket.close();
    sockets.clear();
    await refreshRoom();
    const tidied = { sales: 0, pins: 0, marks: 0 };
    for (const id of saleOfStep.values()) {
      if (![...room.sales.values()].some((s) => s.id === id)) continue;
      await staffSend('endFlashSale', `${base}/flash-sales/${encodeURIComponent(id)}/end`);
      tidied.sales++;
    }
    for (const sku of pinnedByRun) {
      if (!room.pins.includes(sku)) continue;
      await staffSend('unpin', `${base}/pins/${productPath(sku)}`);
      tidied.pins++;
    }
    for (const sku of markedByRun) {
      if (!room.markedSoldOut.has(sku)) continue;
      await staffSend('soldOut', `${base}/products/${productPath(sku)}/sold-out`, { soldOut: false });
      tidied.marks++;
    }
    if (tidied.sales + tidied.pins + tidied.marks > 0) {
      notes.push(`at the end the run ended ${tidied.sales} flash sale(s), took down ${tidied.pins} pin(s) and lifted ${tidied.marks} sold-out mark(s) of its own, leaving the room as a host would`);
    }
  } finally {
    await Promise.allSettled([...sockets.values()].map((s) => s.close()));
  }

  let experiment: ExperimentReport | null = null;
  if (experimentId) {
    if (startExperiment) {
      const stop = await staffSend('experimentStop', `/api/v1/experiments/${experimentId}/stop`, { reason: 'simulation ended' });
      if (stop.status !== 200 && stop.code !== 'EXPERIMENT_STATE') notes.push(`stopping experiment ${experimentId} failed: ${stop.detail ?? stop.code ?? `HTTP ${stop.status}`}`);
    }
    const res = await staffSend('experimentReport', `/api/v1/experiments/${experimentId}`);
    if (res.status === 200) experiment = res.body as ExperimentReport;
    else notes.push(`reading experiment ${experimentId}'s report failed: ${res.detail ?? res.code ?? `HTTP ${res.status}`}`);
  }
  progress(Math.max(progressMinute, minutes));

  notes.push(...runNotes(options.scenario, scenario, settings, target, experiment));
  notes.push(...target.notes());
  return buildReport(tally, {
    scenario: { name: scenario.name, version: scenario.version },
    seed,
    mode: target.mode,
    target: target.description,
    sessionId,
    viewers: audience.length,
    minutes,
    speed,
    k,
    wallSeconds: (performance.now() - started) / 1000,
    targetStats: target.stats(),
    holdsSockets: target.holdsSockets,
    experiment,
    notes,
  });
}

/** The notes every reader of a report should see about how it was made. */
function runNotes(original: Scenario, run: Scenario, settings: ResolvedSettings, target: SimTarget, experiment: ExperimentReport | null): string[] {
  const out = [
    'SIMULATED: every viewer is simulated (device ids sim-…); every request and socket carried x-qingliu-simulated: 1, which a production server refuses',
    'truth: expected purchases per list under the scenario’s known utility model (position-based cascade); the best possible list is the top-k products by that viewer’s P(purchase | examined); regret = best − shown, per list',
    'arms: an experiment’s arms as the server named them (outside: viewers without personalisation consent); without an experiment, personalised vs not_personalised by each list’s own flag',
    target.holdsSockets
      ? 'chat: each simulated viewer posts over their own room socket (chat_send), nicknamed as simulated ("模拟观众 12" / "Simulated viewer 12"); their questions to the assistant go to its route or into the chat as "@助手 …", where the answer is the assistant’s chat message replying to it, timed until it reached the viewer’s socket'
      : 'chat: in process there are no sockets, so each message goes to the chat service the room socket hands messages to (nicknamed as simulated: "模拟观众 12" / "Simulated viewer 12"); questions to the assistant go to its route (app.inject) or into the chat as "@助手 …", where the answer is read off the room’s chat topic',
    'assistant outcomes: over its route as the server names them; in the chat from the answer: handed off when it says so, answered when it names sources, declined otherwise',
  ];
  if (settings.minutes < original.durationMinutes) out.push(`the show was cut to its first ${settings.minutes} of ${original.durationMinutes} minutes (arrival curve cut there, later host steps dropped)`);
  if (settings.viewers !== original.audience.viewers) out.push(`${run.audience.viewers} viewers instead of the scenario's ${original.audience.viewers}, with the same arrival curve`);
  if (!target.clockFollowsSimulation) {
    out.push(
      settings.speed === 'max'
        ? 'the server keeps real time while the show runs at maximum speed: its time windows (recent popularity, flash-sale ends, experiment looks) do not follow simulated time; the runner ends flash sales at their simulated end'
        : `the server keeps real time; the show runs at ${settings.speed} simulated minutes per real minute, so each of the server's time windows (recent popularity, experiment looks) spans ${settings.speed} times as much show time; flash sales are given their scaled length and ended by the runner at their simulated end`,
    );
  }
  if (experiment) out.push('experiment arms are assigned by the server with a random salt per experiment: arm membership, and so its figures, differ between runs with the same seed');
  return out;
}
