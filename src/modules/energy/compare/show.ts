/**
 * The simulated baby-care show as a comparison workload, run in process (no server): the
 * scenario's viewers arrive, each personalised list is ranked by the model from the recommender's
 * own features, the simulated viewer's known behaviour decides what they do, and the model learns
 * online from its own feedback — as production does, a step per feedback event, only from viewers
 * who allow model improvement.
 *
 * Both models see the same viewers, lists and uniform draws (common random numbers: a viewer's
 * response to their n-th list uses the stream the simulation driver uses for it, and ε-exploration
 * a stream of its own per list), so a difference in clicks is the models' difference, not luck of
 * the draw. Before the show both are trained on the same data: the feedback of a previous show of
 * the same scenario (another audience), served by the production model.
 *
 * Learning is production's: a step per feedback event, and for each item that drew none within the
 * reward wait (60 s) a step with the default reward 0, only from viewers who allow model
 * improvement; each model keeps its own age-band counts (what parents of each declared child age
 * band chose), updated by its own steps as production's are.
 *
 * Measuring: the world (arrivals, the host's script, responses, features) costs far more than a
 * linear model's ranking, and one CPU-clock read per list would cost about as much as the ranking
 * itself. So each model's show is played once for its quality while its model work is recorded
 * (each list's candidate vectors and exploration seed, each learning step, in order), and the
 * energy rounds replay that record — exactly the model's work, list after list, nothing else —
 * with the clock read around chunks of 400 lists (the chunk's vectors are built first, on a clock
 * of their own). A replay must reproduce every pick of the played show.
 *
 * Mirrored from the recommender (service.ts, context.ts) rather than imported, because they are
 * internal there: the feature values (product, room, behaviour, interest tags, child age fit, the
 * age-band interest), the one-second room view, the 5-minute and whole-session popularity and what
 * feeds it, and the reward wait.
 */
import { loadDemoCatalogue } from '../../catalogue/index.js';
import { SIGNAL_WEIGHTS } from '../../interest-tags/index.js';
import { AgeBandCounts, DEFAULT_REWARD, interestDelta, type InterestItem, FEEDBACK_REWARD, FEEDBACK_POPULARITY_WEIGHT, MODEL_ID, POPULARITY_WEIGHT, PRIOR_WEIGHTS, RECOMMENDER_DEFAULTS, priceBandOf } from '../../recommender/index.js';
import {
  FEATURES,
  FeatureSpace,
  LinearBandit,
  MlpRanker,
  PRODUCT_CATEGORIES,
  Rng,
  categoryFeature,
  pinnedRecency,
  priceBandFeature,
  scoreOnly,
  selectSlate,
  type BanditSnapshot,
  type MlpSnapshot,
  type SlateCandidate,
  type SlatePick,
} from '../../recommender/model/index.js';
import {
  CHILD_AGE_MONTHS,
  NoiseTable,
  expectedReward,
  generateAudience,
  hostTimeline,
  mixSeed,
  respond,
  roomContext,
  type HostStep,
  type ProductView,
  type RoomContext,
  type Scenario,
  type SimViewer,
} from '../../simulation/world/index.js';
import { pairedZ, wilson } from './stats.js';
import type { ModelRun, ModelSpec, PhaseMeter, Workload, WorkloadQuality } from './workload.js';

export interface ShowOptions {
  /** The scenario as run (already cut to the viewers wanted). */
  scenario: Scenario;
  /** Seed of the show's audience, truth and responses; the previous show's audience is derived from it. */
  seed: number;
  /** Items per list (production's default k). */
  k: number;
  /** Production's ε-exploration share. */
  epsilon: number;
  /** Production's UCB width. */
  alpha: number;
  hidden: readonly number[];
  epochs: number;
  onProgress?: (stage: string) => void;
}

const MINUTE_MS = 60_000;
/** The recommender rebuilds a room's view at most once a second (ROOM_VIEW_TTL_MS). */
const ROOM_VIEW_MS = 1000;
const FIVE_MINUTES_MS = 5 * MINUTE_MS;
/** The live room allows three pins at once (config.maxPinnedProducts). */
const MAX_PINS = 3;
/** The heavy model's training recipe: the one `qingliu evaluate --policy mlp` uses. */
const MLP_TRAIN = { batchSize: 64, learningRate: 1e-3, weightDecay: 1e-3 } as const;

// ---------------------------------------------------------------------------------------------
// Growable typed arrays (the record of a show runs to tens of thousands of lists)
// ---------------------------------------------------------------------------------------------

class GrowF64 {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) this.#grow(this.length + 1);
    this.data[this.length++] = v;
  }
  pushAll(v: Float64Array): void {
    if (this.length + v.length > this.data.length) this.#grow(this.length + v.length);
    this.data.set(v, this.length);
    this.length += v.length;
  }
  #grow(min: number): void {
    const next = new Float64Array(Math.max(min, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

class GrowI32 {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

// ---------------------------------------------------------------------------------------------
// The record of a played show: the model's work, in order
// ---------------------------------------------------------------------------------------------

/** Everything a model did in a played show, so it can be done again exactly and measured. */
export class ShowRecord {
  readonly dim: number;
  readonly k: number;
  /** Room views: each candidate's non-personal vector, and the candidates' ids (SKUs). */
  readonly epochBlocks: Float64Array[] = [];
  readonly epochIds: string[][] = [];
  /** Per list: its room view, its exploration seed, the range of its personal feature values. */
  readonly listEpoch = new GrowI32();
  readonly listSeed = new GrowF64();
  readonly overrideStart = new GrowI32();
  /** Personal feature values: (candidate · dim + feature) and the value. */
  readonly overrideAt = new GrowI32();
  readonly overrideValue = new GrowF64();
  /** Learning steps: the item's vector and the reward. */
  readonly updateX = new GrowF64();
  readonly updateReward = new GrowF64();
  /** The order of the work: a list's index (≥ 0), or ~update (< 0). */
  readonly ops = new GrowI32();
  /** The id of each pick, k per list (fewer when fewer candidates), and where each list's start. */
  readonly pickIds: string[] = [];
  readonly pickStart = new GrowI32();

  constructor(dim: number, k: number) {
    this.dim = dim;
    this.k = k;
  }

  get lists(): number {
    return this.listEpoch.length;
  }

  get updates(): number {
    return this.updateReward.length;
  }

  /** The training examples this record's learning steps make (views into the record). */
  examples(): { xs: Float64Array[]; ys: Float64Array } {
    const xs: Float64Array[] = [];
    for (let u = 0; u < this.updates; u++) xs.push(this.updateX.data.subarray(u * this.dim, (u + 1) * this.dim));
    return { xs, ys: this.updateReward.data.slice(0, this.updates) };
  }
}

// ---------------------------------------------------------------------------------------------
// Models as the show uses them
// ---------------------------------------------------------------------------------------------

interface OnlineModel {
  rank(candidates: readonly SlateCandidate[], k: number, rng: Rng): SlatePick[];
  learn(x: Float64Array, reward: number): void;
}

function lightOnline(bandit: LinearBandit, epsilon: number): OnlineModel {
  return {
    rank: (candidates, k, rng) => selectSlate({ candidates, k, bandit, epsilon, rng }),
    learn: (x, reward) => bandit.update(x, reward),
  };
}

function heavyOnline(model: MlpRanker, epsilon: number): OnlineModel {
  const options = { learningRate: MLP_TRAIN.learningRate, weightDecay: MLP_TRAIN.weightDecay };
  return {
    // Production's slate selection with the logit as the score: the same checks, draws and propensities.
    rank: (candidates, k, rng) => selectSlate({ candidates, k, bandit: scoreOnly(model), epsilon, rng }),
    learn: (x, reward) => void model.update(x, reward, options),
  };
}

/** The production model before any feedback: LinUCB with the published prior θ₀ (b₀ = λθ₀). */
function priorBandit(space: FeatureSpace, options: ShowOptions): LinearBandit {
  const bandit = new LinearBandit({ dim: space.dim, kind: 'linucb', alpha: options.alpha, seed: options.seed, version: MODEL_ID });
  const s = bandit.snapshot();
  for (const [name, w] of Object.entries(PRIOR_WEIGHTS)) s.b[space.indexOf(name)] = bandit.lambda * w;
  return LinearBandit.restore(s);
}

/** Offline training of the light model: the prior, then one rank-one update per example, in order. */
function trainLight(space: FeatureSpace, options: ShowOptions, data: ShowRecord): LinearBandit {
  const bandit = priorBandit(space, options);
  const d = data.dim;
  const x = data.updateX.data;
  for (let u = 0; u < data.updates; u++) bandit.update(x.subarray(u * d, (u + 1) * d), data.updateReward.data[u]!);
  return bandit;
}

/** Offline training of the heavy model: `qingliu evaluate --policy mlp`'s recipe on the same examples. */
function trainHeavy(space: FeatureSpace, options: ShowOptions, data: ShowRecord): MlpRanker {
  const { xs, ys } = data.examples();
  let positives = 0;
  for (const y of ys) positives += y;
  // Start at the base rate, so early epochs are not spent learning it.
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, (positives + 1) / (ys.length + 2)));
  const model = new MlpRanker({ dim: space.dim, hidden: options.hidden, seed: options.seed, outputBias: Math.log(rate / (1 - rate)) });
  if (xs.length > 0) model.fit(xs, ys, { epochs: options.epochs, ...MLP_TRAIN });
  return model;
}

// ---------------------------------------------------------------------------------------------
// The world: the stage, the room's view, popularity, viewers
// ---------------------------------------------------------------------------------------------

interface StageProduct {
  /** What the simulated viewers see (a running flash sale's price). */
  view: ProductView;
  /** The showcase price the recommender's features use, and the list price. */
  priceFen: number;
  listPriceFen: number;
  stock: number;
  markedSoldOut: boolean;
  pinnedAtMs: number | null;
  /** A running flash sale: its price, its end and the host step that started it. */
  sale: { priceFen: number; endsAtMs: number; step: number } | null;
}

interface CatalogueRow {
  sku: string;
  category: string;
  price: string;
  listPrice?: string;
  stock: number;
  ageMinMonths: number;
  ageMaxMonths: number;
}

/** The demo catalogue, every product on stage (as the seeded demo room has it). */
function demoStage(): StageProduct[] {
  const rows = JSON.parse(loadDemoCatalogue().productsJson) as CatalogueRow[];
  const fen = (yuan: string) => Math.round(Number(yuan) * 100);
  return rows.map((r) => {
    const priceFen = fen(r.price);
    const listPriceFen = fen(r.listPrice ?? r.price);
    return {
      view: {
        id: r.sku,
        category: r.category,
        priceFen,
        listPriceFen,
        ageMinMonths: r.ageMinMonths,
        ageMaxMonths: r.ageMaxMonths,
        soldOut: r.stock <= 0,
        pinned: false,
        flashSale: false,
      },
      priceFen,
      listPriceFen,
      stock: r.stock,
      markedSoldOut: false,
      pinnedAtMs: null,
      sale: null,
    };
  });
}

/** What the recommender knows of a viewer during the show (behaviour and interest tags, in memory). */
interface ViewerState {
  viewed: Set<number>;
  carted: Set<number>;
  viewedCategories: Map<string, number>;
  cartedCategories: Map<string, number>;
  tags: Map<string, number>;
  optedOut: boolean;
}

/** The feature indices the world writes. */
interface FeatureIndex {
  category: Map<string, number>;
  priceBand: Record<'low' | 'mid' | 'high', number>;
  onSale: number;
  stockLow: number;
  pinned: number;
  pinnedRecent: number;
  flashSale: number;
  popular5m: number;
  popularSession: number;
  viewedCategory: number;
  cartedCategory: number;
  viewedThis: number;
  cartedThis: number;
  tagWeight: number;
  childAgeFit: number;
  ageBandPopular: number;
}

function featureIndex(space: FeatureSpace): FeatureIndex {
  return {
    category: new Map(PRODUCT_CATEGORIES.map((c) => [c, space.indexOf(categoryFeature(c))])),
    priceBand: { low: space.indexOf(priceBandFeature('low')), mid: space.indexOf(priceBandFeature('mid')), high: space.indexOf(priceBandFeature('high')) },
    onSale: space.indexOf('product.on_sale'),
    stockLow: space.indexOf('product.stock_low'),
    pinned: space.indexOf('room.pinned'),
    pinnedRecent: space.indexOf('room.pinned_recent'),
    flashSale: space.indexOf('room.flash_sale'),
    popular5m: space.indexOf('room.popular_5m'),
    popularSession: space.indexOf('room.popular_session'),
    viewedCategory: space.indexOf('behaviour.same_category_viewed'),
    cartedCategory: space.indexOf('behaviour.same_category_carted'),
    viewedThis: space.indexOf('behaviour.viewed_this'),
    cartedThis: space.indexOf('behaviour.carted_this'),
    tagWeight: space.indexOf('behaviour.tag_weight'),
    childAgeFit: space.indexOf('profile.child_age_fit'),
    ageBandPopular: space.indexOf('profile.age_band_popular'),
  };
}

/** Production's reward wait: an item that drew no feedback this long after it was shown is learnt with the default reward. */
const REWARD_WAIT_MS = RECOMMENDER_DEFAULTS.rewardWaitMs;

/** An item shown to a learnable viewer: its part in the age-band counts, and whether feedback came. */
interface ShownItem extends InterestItem {
  /** Feedback came: no default reward. */
  rewarded: boolean;
}

/** What happens during the show that the model sees or is asked for. */
type ShowEvent =
  | { kind: 'host'; minute: number; step: HostStep }
  | { kind: 'saleEnd'; minute: number; step: HostStep }
  | { kind: 'optOut'; minute: number; viewer: SimViewer }
  | { kind: 'request'; minute: number; viewer: SimViewer; n: number };

const EVENT_ORDER: Record<ShowEvent['kind'], number> = { host: 1, saleEnd: 2, optOut: 4, request: 5 };

/**
 * The show's events in the simulation driver's order (its Schedule): by minute, then host steps,
 * sale ends, opt-outs, list requests; then by viewer, request number and script step. Arrivals,
 * leaving and minute ticks are left out: nothing of them reaches the model.
 */
function showEvents(audience: readonly SimViewer[], steps: readonly HostStep[], minutes: number): ShowEvent[] {
  const events: ShowEvent[] = [];
  for (const step of steps) {
    events.push({ kind: 'host', minute: step.atMinute, step });
    if (step.action === 'flash_sale' && step.flashSale) {
      const end = step.atMinute + step.flashSale.durationMinutes;
      if (end < minutes) events.push({ kind: 'saleEnd', minute: end, step });
    }
  }
  for (const viewer of audience) {
    if (viewer.arrivalMinute >= minutes) continue;
    if (viewer.optOutMinute !== null) events.push({ kind: 'optOut', minute: viewer.optOutMinute, viewer });
    viewer.requestMinutes.forEach((minute, n) => events.push({ kind: 'request', minute, viewer, n }));
  }
  return events.sort(
    (a, b) =>
      a.minute - b.minute ||
      EVENT_ORDER[a.kind] - EVENT_ORDER[b.kind] ||
      ('viewer' in a && 'viewer' in b ? a.viewer.index - b.viewer.index : 0) ||
      (a.kind === 'request' && b.kind === 'request' ? a.n - b.n : 0) ||
      ('step' in a && 'step' in b ? a.step.index - b.step.index : 0),
  );
}

/** Per viewer (by audience index): what the played show gave them. */
export interface ShowTally {
  lists: number;
  clicks: Float64Array;
  shown: Float64Array;
  expectedClicks: Float64Array;
  /** 1 for viewers who were served at least one personalised list. */
  served: Uint8Array;
  /** Feedback events, and the learning steps: one per feedback event of a learnable viewer, one per default reward. */
  feedback: number;
  learningSteps: number;
  /** Items shown to viewers who allow model improvement, and the default rewards learnt for those that drew no feedback. */
  learnableItems: number;
  defaultRewards: number;
}

/**
 * Plays the show with a model: every personalised list ranked by it, its feedback learnt from.
 * Returns the tally and the record of the model's work. Viewers without personalisation (no
 * consent, minors mode, or switched off) get the published non-personalised list whatever model
 * runs, so they are not part of the comparison and are not played.
 */
function playShow(space: FeatureSpace, fx: FeatureIndex, scenario: Scenario, audience: readonly SimViewer[], seed: number, options: ShowOptions, model: OnlineModel): { tally: ShowTally; record: ShowRecord } {
  const dim = space.dim;
  const { k } = options;
  const stage = demoStage();
  const bySku = new Map(stage.map((p, i) => [p.view.id, i]));
  const steps: HostStep[] = hostTimeline(scenario, stage.map((p) => p.view));
  const noise = NoiseTable.forScenario(scenario);
  const record = new ShowRecord(dim, k);
  const n = audience.length;
  const tally: ShowTally = {
    lists: 0,
    clicks: new Float64Array(n),
    shown: new Float64Array(n),
    expectedClicks: new Float64Array(n),
    served: new Uint8Array(n),
    feedback: 0,
    learningSteps: 0,
    learnableItems: 0,
    defaultRewards: 0,
  };

  // Popularity: anonymous room activity, per product, over the last five minutes and the session.
  const recent: { product: number; weight: number; at: number }[] = [];
  let recentStart = 0;
  const session = new Float64Array(stage.length);
  const notePopularity = (product: number, weight: number, at: number) => {
    recent.push({ product, weight, at });
    session[product] = session[product]! + weight;
  };

  // The room's view: rebuilt at most once a second, and at once after a change on stage.
  let viewAt = -Infinity;
  let viewEpoch = -1;
  let candidates: number[] = [];
  let context: RoomContext = roomContext(stage.map((p) => p.view));
  let stageChanged = true;
  const roomView = (now: number) => {
    if (!stageChanged && now - viewAt < ROOM_VIEW_MS) return;
    stageChanged = false;
    viewAt = now;
    while (recentStart < recent.length && recent[recentStart]!.at < now - FIVE_MINUTES_MS) recentStart++;
    const recentSum = new Float64Array(stage.length);
    for (let i = recentStart; i < recent.length; i++) recentSum[recent[i]!.product] = recentSum[recent[i]!.product]! + recent[i]!.weight;
    const maxRecent = Math.max(1, ...recentSum);
    const maxSession = Math.max(1, ...session);
    candidates = [];
    stage.forEach((p, i) => {
      if (!p.view.soldOut) candidates.push(i);
    });
    const block = new Float64Array(candidates.length * dim);
    candidates.forEach((i, c) => {
      const p = stage[i]!;
      const x = block.subarray(c * dim, (c + 1) * dim);
      x[0] = 1;
      const category = fx.category.get(p.view.category);
      if (category !== undefined) x[category] = 1;
      x[fx.priceBand[priceBandOf(p.priceFen)]] = 1;
      x[fx.onSale] = p.listPriceFen > p.priceFen ? 1 : 0;
      x[fx.stockLow] = p.stock > 0 && p.stock <= 10 ? 1 : 0;
      x[fx.pinned] = p.pinnedAtMs !== null ? 1 : 0;
      x[fx.pinnedRecent] = p.pinnedAtMs !== null ? pinnedRecency((now - p.pinnedAtMs) / MINUTE_MS) : 0;
      x[fx.flashSale] = p.sale !== null && p.sale.endsAtMs > now ? 1 : 0;
      x[fx.popular5m] = recentSum[i]! / maxRecent;
      x[fx.popularSession] = session[i]! / maxSession;
    });
    context = roomContext(stage.map((p) => p.view));
    record.epochBlocks.push(block);
    record.epochIds.push(candidates.map((i) => stage[i]!.view.id));
    viewEpoch = record.epochBlocks.length - 1;
  };

  const refreshView = (p: StageProduct) => {
    p.view.soldOut = p.markedSoldOut || p.stock === 0;
    p.view.pinned = p.pinnedAtMs !== null;
    p.view.flashSale = p.sale !== null;
    p.view.priceFen = p.sale ? p.sale.priceFen : p.priceFen;
    stageChanged = true;
  };
  const endSale = (p: StageProduct) => {
    p.sale = null;
    refreshView(p);
  };
  const hostStep = (step: HostStep, now: number) => {
    const p = stage[bySku.get(step.productId)!]!;
    switch (step.action) {
      case 'pin':
        if (p.pinnedAtMs === null && stage.filter((q) => q.pinnedAtMs !== null).length < MAX_PINS) p.pinnedAtMs = now;
        break;
      case 'unpin':
        p.pinnedAtMs = null;
        break;
      case 'sold_out':
        p.markedSoldOut = true;
        break;
      case 'restock':
        p.markedSoldOut = false;
        break;
      case 'flash_sale':
        if (step.flashSale) p.sale = { priceFen: step.flashSale.priceFen, endsAtMs: now + step.flashSale.durationMinutes * MINUTE_MS, step: step.index };
        break;
      case 'end_flash_sale':
        p.sale = null;
        break;
    }
    refreshView(p);
  };

  const viewers = new Map<number, ViewerState>();
  const stateOf = (v: SimViewer): ViewerState => {
    let s = viewers.get(v.index);
    if (!s) {
      s = { viewed: new Set(), carted: new Set(), viewedCategories: new Map(), cartedCategories: new Map(), tags: new Map(), optedOut: false };
      viewers.set(v.index, s);
    }
    return s;
  };
  // The model's age-band counts, and the items of learnable viewers waiting for their reward (in order of showing).
  const interest = new AgeBandCounts();
  const awaiting: { due: number; x: Float64Array; item: ShownItem }[] = [];
  let awaitingHead = 0;
  /** One learning step, as production takes it: the model, the record, and the item's part in the age-band counts. */
  const learn = (x: Float64Array, reward: number, item: ShownItem) => {
    const delta = interestDelta(item, reward);
    if (delta) interest.add(delta);
    record.ops.push(~record.updates);
    record.updateX.pushAll(x);
    record.updateReward.push(reward);
    tally.learningSteps++;
    model.learn(x, reward);
  };
  /** Items whose reward wait ended without feedback learn the default reward. */
  const settle = (now: number) => {
    while (awaitingHead < awaiting.length && awaiting[awaitingHead]!.due <= now) {
      const { x, item } = awaiting[awaitingHead++]!;
      if (item.rewarded) continue;
      tally.defaultRewards++;
      learn(x, DEFAULT_REWARD, item);
    }
  };

  const personalised = (v: SimViewer) => v.ageBand === 'adult' && v.consent.granted.includes('personalised_recommendations');
  const learnable = (v: SimViewer) => v.consent.granted.includes('model_improvement');

  /** A behaviour event stored under the personalised consent: in-session behaviour and interest tags. */
  const behaviour = (s: ViewerState, type: keyof typeof SIGNAL_WEIGHTS, product: number) => {
    const category = stage[product]!.view.category;
    const carted = type === 'add_to_cart' || type === 'purchase';
    (carted ? s.carted : s.viewed).add(product);
    const m = carted ? s.cartedCategories : s.viewedCategories;
    m.set(category, (m.get(category) ?? 0) + 1);
    s.tags.set(category, (s.tags.get(category) ?? 0) + SIGNAL_WEIGHTS[type]);
  };

  const serveList = (v: SimViewer, n: number, minute: number) => {
    const now = minute * MINUTE_MS;
    roomView(now);
    const s = stateOf(v);
    const nc = candidates.length;
    if (nc === 0) return;
    const block = record.epochBlocks[viewEpoch]!.slice();
    const [from, to] = CHILD_AGE_MONTHS[v.segment.childAgeBand];
    let maxTag = 1;
    for (const w of s.tags.values()) if (w > maxTag) maxTag = w;
    const band = v.segment.childAgeBand;
    const bandPopular = new Map<string, number>();
    const listIndex = record.lists;
    record.listEpoch.push(viewEpoch);
    record.overrideStart.push(record.overrideAt.length);
    const set = (c: number, feature: number, value: number) => {
      if (value === 0) return;
      block[c * dim + feature] = value;
      record.overrideAt.push(c * dim + feature);
      record.overrideValue.push(value);
    };
    for (let c = 0; c < nc; c++) {
      const i = candidates[c]!;
      const p = stage[i]!.view;
      set(c, fx.viewedCategory, Math.min(1, (s.viewedCategories.get(p.category) ?? 0) / 3));
      set(c, fx.cartedCategory, Math.min(1, (s.cartedCategories.get(p.category) ?? 0) / 2));
      set(c, fx.viewedThis, s.viewed.has(i) ? 1 : 0);
      set(c, fx.cartedThis, s.carted.has(i) ? 1 : 0);
      set(c, fx.tagWeight, (s.tags.get(p.category) ?? 0) / maxTag);
      // The product's age range [min, max] in months meets the declared band [from, to).
      set(c, fx.childAgeFit, p.ageMinMonths < to && p.ageMaxMonths >= from ? 1 : 0);
      let popular = bandPopular.get(p.category);
      if (popular === undefined) bandPopular.set(p.category, (popular = interest.value(band, p.category)));
      set(c, fx.ageBandPopular, popular);
    }
    const exploreSeed = mixSeed('explore', seed, v.index, n);
    record.listSeed.push(exploreSeed);
    record.ops.push(listIndex);
    const ids = record.epochIds[viewEpoch]!;
    const list = ids.map((id, c) => ({ id, x: block.subarray(c * dim, (c + 1) * dim) }));
    const picks = model.rank(list, k, new Rng(exploreSeed));
    record.pickStart.push(record.pickIds.length);
    const pickIndex = new Map(ids.map((id, c) => [id, c]));
    const chosen = picks.map((pick) => pickIndex.get(pick.id)!);
    for (const pick of picks) record.pickIds.push(pick.id);

    const slate = chosen.map((c) => stage[candidates[c]!]!.view);
    tally.lists++;
    tally.served[v.index] = 1;
    tally.shown[v.index] = tally.shown[v.index]! + slate.length;
    tally.expectedClicks[v.index] = tally.expectedClicks[v.index]! + expectedReward(v, slate, context, noise, 'click');
    const actions = respond(v, slate, context, noise, new Rng(mixSeed('respond', scenario.name, seed, v.index, n)));
    const canLearn = learnable(v);
    // Every item a learnable viewer is shown waits for its reward.
    const items: ShownItem[] = chosen.map((c) => ({ band, category: stage[candidates[c]!]!.view.category, shown: false, positive: false, rewarded: false }));
    if (canLearn) {
      tally.learnableItems += items.length;
      chosen.forEach((c, j) => awaiting.push({ due: now + REWARD_WAIT_MS, x: block.subarray(c * dim, (c + 1) * dim), item: items[j]! }));
    }
    for (const action of actions) {
      const c = chosen[action.position];
      if (c === undefined) continue;
      const product = candidates[c]!;
      const item = items[action.position]!;
      const feedback = (type: keyof typeof FEEDBACK_REWARD) => {
        tally.feedback++;
        const weight = FEEDBACK_POPULARITY_WEIGHT[type];
        if (weight !== undefined) notePopularity(product, weight, now);
        if (!canLearn) return;
        item.rewarded = true;
        learn(block.subarray(c * dim, (c + 1) * dim), FEEDBACK_REWARD[type], item);
      };
      switch (action.kind) {
        case 'impression':
          behaviour(s, 'view', product);
          break;
        case 'click':
          tally.clicks[v.index] = tally.clicks[v.index]! + 1;
          feedback('click');
          behaviour(s, 'click', product);
          break;
        case 'add_to_cart':
          // The room's anonymous add-to-cart event, then the behaviour event and the feedback.
          notePopularity(product, POPULARITY_WEIGHT.add_to_cart, now);
          behaviour(s, 'add_to_cart', product);
          feedback('add_to_cart');
          break;
        case 'purchase':
          notePopularity(product, POPULARITY_WEIGHT.purchase, now);
          feedback('purchase');
          behaviour(s, 'purchase', product);
          break;
        case 'thumbs_up':
          feedback('like');
          break;
        case 'thumbs_down':
          feedback('dislike');
          break;
        case 'not_interested':
          feedback('not_interested');
          break;
      }
    }
  };

  for (const event of showEvents(audience, steps, scenario.durationMinutes)) {
    const now = event.minute * MINUTE_MS;
    settle(now);
    switch (event.kind) {
      case 'host':
        hostStep(event.step, now);
        break;
      case 'saleEnd': {
        const p = stage[bySku.get(event.step.productId)!]!;
        if (p.sale?.step === event.step.index) endSale(p);
        break;
      }
      case 'optOut':
        // Switching personalisation off withdraws the consent: what the recommender held goes.
        if (personalised(event.viewer)) {
          const s = stateOf(event.viewer);
          s.viewed.clear();
          s.carted.clear();
          s.viewedCategories.clear();
          s.cartedCategories.clear();
          s.tags.clear();
          s.optedOut = true;
        }
        break;
      case 'request':
        if (personalised(event.viewer) && !stateOf(event.viewer).optedOut) serveList(event.viewer, event.n, event.minute);
        break;
    }
  }
  // The waits still running when the show ends end after it, as production's timer ends them.
  settle(Infinity);
  record.overrideStart.push(record.overrideAt.length);
  record.pickStart.push(record.pickIds.length);
  return { tally, record };
}

// ---------------------------------------------------------------------------------------------
// Replay: the recorded model work, done again
// ---------------------------------------------------------------------------------------------

/** Lists whose candidate vectors are built at a time (56 products × 30 features × 400 lists: 5 MB). */
const CHUNK_LISTS = 400;

/** Runs work directly: for the timed latency pass, which is no energy phase. */
const UNMETERED: PhaseMeter = { run: (work) => work() };

/**
 * The candidate vectors of a chunk of lists, in blocks and objects made once and refilled: the
 * common work allocates nothing per list, so the garbage it would leave is not collected on the
 * models' clock (a chunk's worth of fresh blocks alive in the young generation makes every
 * collection the ranking triggers copy megabytes).
 */
class ListPool {
  readonly #record: ShowRecord;
  readonly #blocks: Float64Array[] = [];
  readonly #lists: SlateCandidate[][] = [];
  readonly #width: number;

  constructor(record: ShowRecord) {
    this.#record = record;
    this.#width = Math.max(0, ...record.epochIds.map((ids) => ids.length)) * record.dim;
  }

  /** Slot `slot` filled with list `op`'s candidates: the room's block with the viewer's values written in. */
  fill(slot: number, op: number): SlateCandidate[] {
    const r = this.#record;
    const dim = r.dim;
    while (this.#blocks.length <= slot) {
      this.#blocks.push(new Float64Array(this.#width));
      this.#lists.push([]);
    }
    const block = this.#blocks[slot]!;
    const list = this.#lists[slot]!;
    const epoch = r.listEpoch.data[op]!;
    const ids = r.epochIds[epoch]!;
    block.set(r.epochBlocks[epoch]!);
    const end = r.overrideStart.data[op + 1]!;
    for (let j = r.overrideStart.data[op]!; j < end; j++) block[r.overrideAt.data[j]!] = r.overrideValue.data[j]!;
    for (let c = 0; c < ids.length; c++) {
      const candidate = list[c];
      if (candidate) candidate.id = ids[c]!;
      else list[c] = { id: ids[c]!, x: block.subarray(c * dim, (c + 1) * dim) };
    }
    list.length = ids.length;
    return list;
  }
}

/**
 * Does a record's model work again with `model`, in the recorded order: each list ranked, each
 * learning step taken. The lists' candidate vectors are built a chunk at a time under `common`, as
 * the recommender builds them (a copy of the room's block with the viewer's values written in)
 * before its ranking clock starts, into a ListPool; the ranking and learning of the chunk run
 * under `meter`.
 * `learnOnly` takes the learning steps alone. With `samples`, each list's ranking is timed
 * (microseconds). Returns the ids picked, list after list.
 */
function replay(record: ShowRecord, model: OnlineModel, mode: 'all' | 'learnOnly', meter: PhaseMeter, common: PhaseMeter, samples?: number[]): string[] {
  const dim = record.dim;
  const k = record.k;
  const ops = record.ops.data;
  const nOps = record.ops.length;
  const updateX = record.updateX.data;
  const updateReward = record.updateReward.data;
  if (mode === 'learnOnly') {
    meter.run(() => {
      for (let o = 0; o < nOps; o++) {
        const op = ops[o]!;
        if (op < 0) model.learn(updateX.subarray(~op * dim, (~op + 1) * dim), updateReward[~op]!);
      }
    });
    return [];
  }
  const listSeed = record.listSeed.data;
  const pickStart = record.pickStart.data;
  const picked: string[] = new Array<string>(record.pickIds.length);
  const pool = new ListPool(record);
  const lists: SlateCandidate[][] = [];
  for (let from = 0; from < nOps; ) {
    let to = from;
    for (let count = 0; to < nOps && (count < CHUNK_LISTS || ops[to]! < 0); to++) if (ops[to]! >= 0) count++;
    const end = to;
    common.run(() => {
      lists.length = 0;
      for (let o = from; o < end; o++) if (ops[o]! >= 0) lists.push(pool.fill(lists.length, ops[o]!));
    });
    meter.run(() => {
      let next = 0;
      for (let o = from; o < end; o++) {
        const op = ops[o]!;
        if (op < 0) {
          model.learn(updateX.subarray(~op * dim, (~op + 1) * dim), updateReward[~op]!);
          continue;
        }
        const started = samples ? performance.now() : 0;
        const picks = model.rank(lists[next++]!, k, new Rng(listSeed[op]!));
        if (samples) samples.push((performance.now() - started) * 1000);
        let p = pickStart[op]!;
        for (const pick of picks) picked[p++] = pick.id;
      }
    });
    from = end;
  }
  return picked;
}

function samePicks(record: ShowRecord, picked: readonly string[]): boolean {
  if (picked.length !== record.pickIds.length) return false;
  for (let i = 0; i < picked.length; i++) if (picked[i] !== record.pickIds[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The workload
// ---------------------------------------------------------------------------------------------

/** Plays the previous show and the show with both models, and returns the show as a workload. */
/** The show's workload, and what each played show learnt (for tests and the report's notes). */
export function showWorkload(options: ShowOptions): Workload & { learning: { light: ShowTally; heavy: ShowTally; training: number } } {
  const progress = options.onProgress ?? (() => {});
  const space = new FeatureSpace(FEATURES);
  const fx = featureIndex(space);
  const { scenario, seed } = options;

  // The training data: a previous show of the scenario (another audience), served by the production model.
  progress('show: previous show (the training data)');
  const previousSeed = mixSeed('previous-show', scenario.name, seed);
  const previous = playShow(space, fx, scenario, generateAudience(scenario, previousSeed), previousSeed, options, lightOnline(priorBandit(space, options), options.epsilon));
  const training = previous.record;

  const audience = generateAudience(scenario, seed);
  progress('show: played with the light model');
  const light = playShow(space, fx, scenario, audience, seed, options, lightOnline(trainLight(space, options, training), options.epsilon));
  progress('show: played with the heavy model');
  const heavy = playShow(space, fx, scenario, audience, seed, options, heavyOnline(trainHeavy(space, options, training), options.epsilon));
  if (light.tally.lists !== heavy.tally.lists) throw new Error('the two played shows served different numbers of lists (the worlds diverged)');

  const shape = new MlpRanker({ dim: space.dim, hidden: options.hidden });
  const spec = (role: 'light' | 'heavy', played: { record: ShowRecord }): ModelSpec => {
    const isLight = role === 'light';
    return {
      role,
      description: isLight
        ? `the production model: linear bandit, LinUCB (α ${options.alpha}, λ 1) with the published prior, ${space.dim} features, ε ${options.epsilon}; trained by one rank-one update per example`
        : `multi-layer perceptron, hidden ${options.hidden.join(' and ')} (ReLU), ${space.dim} features, ε ${options.epsilon}; trained ${options.epochs} epochs of Adam (batch ${MLP_TRAIN.batchSize}) on the same examples`,
      parameters: isLight ? space.dim * space.dim + 2 * space.dim : shape.parameterCount,
      flopsPerItem: isLight ? space.dim + space.dim * space.dim : shape.flopsPerPrediction,
      onlineLearning: isLight
        ? 'one rank-one (Sherman–Morrison) update per feedback event, at once, and one per item that drew none within the reward wait (reward 0)'
        : `one Adam step (learning rate ${MLP_TRAIN.learningRate}, weight decay ${MLP_TRAIN.weightDecay}) on each feedback event, at once, and on each item that drew none within the reward wait (reward 0)`,
      newRun(): ModelRun {
        let bandit: LinearBandit | undefined;
        let mlp: MlpRanker | undefined;
        let trained: BanditSnapshot | MlpSnapshot | undefined;
        let picked: string[] | undefined;
        const fresh = (): OnlineModel => {
          if (isLight) {
            bandit = LinearBandit.restore(trained as BanditSnapshot);
            return lightOnline(bandit, options.epsilon);
          }
          mlp = MlpRanker.restore(trained as MlpSnapshot);
          return heavyOnline(mlp, options.epsilon);
        };
        let online: OnlineModel | undefined;
        return {
          train(meter) {
            meter.run(() => {
              if (isLight) bandit = trainLight(space, options, training);
              else mlp = trainHeavy(space, options, training);
            });
          },
          prepare() {
            trained = isLight ? bandit!.snapshot() : mlp!.snapshot();
            online = isLight ? lightOnline(bandit!, options.epsilon) : heavyOnline(mlp!, options.epsilon);
          },
          serve(meter, common) {
            picked = replay(played.record, online!, 'all', meter, common);
          },
          learnOnly(meter) {
            const model = fresh();
            replay(played.record, model, 'learnOnly', meter, UNMETERED);
          },
          latency(samples) {
            replay(played.record, fresh(), 'all', UNMETERED, UNMETERED, samples);
          },
          verify() {
            if (!picked || !samePicks(played.record, picked)) throw new Error(`show: the ${role} model's replay did not reproduce the played show's picks`);
          },
        };
      },
    };
  };

  const quality = (): WorkloadQuality => showQuality(light.tally, heavy.tally);
  const served = light.tally.served.reduce((a, b) => a + b, 0);
  return {
    id: `show:${scenario.name}`,
    kind: 'show',
    description: `simulated show "${scenario.name}" v${scenario.version}: ${scenario.durationMinutes} minutes, ${audience.length} viewers of whom ${served} were served personalised lists; ${light.tally.lists} lists of ${options.k} from up to ${demoStageSize()} products`,
    recommendations: light.tally.lists,
    itemsPerList: meanCandidates(light.record),
    trainingExamples: training.updates,
    light: spec('light', light),
    heavy: spec('heavy', heavy),
    learning: { light: light.tally, heavy: heavy.tally, training: training.updates },
    quality,
    notes: [
      `training data: the ${training.updates} learning steps (feedback events and default rewards) of a previous show of the same scenario (audience seed derived from --seed), served by the production model; both models train on exactly these`,
      `online learning in the show: light ${light.tally.learningSteps} steps, heavy ${heavy.tally.learningSteps} steps (viewers who allow model improvement: each feedback event, and a default reward of 0 for each item that drew none within the reward wait; each model learns from its own lists)`,
      'viewers without personalised lists (no consent, minors, switched off) get the same published non-personalised list under either model and are left out; interest tags, behaviour and popularity are fed as the server feeds them; stock is not drawn down by orders',
    ],
  };
}

function demoStageSize(): number {
  return demoStage().length;
}

function meanCandidates(record: ShowRecord): number {
  if (record.lists === 0) return 0;
  let total = 0;
  for (let l = 0; l < record.lists; l++) total += record.epochIds[record.listEpoch.data[l]!]!.length;
  return total / record.lists;
}

function showQuality(light: ShowTally, heavy: ShowTally): WorkloadQuality {
  const units: number[] = [];
  for (let i = 0; i < light.served.length; i++) if (light.served[i] || heavy.served[i]) units.push(i);
  const pick = (a: Float64Array) => Float64Array.from(units, (i) => a[i]!);
  const shown = pick(light.shown);
  const lightClicks = pick(light.clicks);
  const heavyClicks = pick(heavy.clicks);
  const total = shown.reduce((a, b) => a + b, 0);
  const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
  const figures = (clicks: Float64Array, expected: Float64Array) => {
    const c = sum(clicks);
    return { ctr: total > 0 ? c / total : Number.NaN, ci95: wilson(c, total), clicks: c, outOf: total, expectedCtr: total > 0 ? sum(pick(expected)) / total : Number.NaN };
  };
  return {
    metric: 'click-through rate: clicks per item shown on the personalised lists (realised by the simulated viewers)',
    interval: '95 % Wilson score interval (treats the items shown as independent; the difference test does not)',
    light: figures(lightClicks, light.expectedClicks),
    heavy: figures(heavyClicks, heavy.expectedClicks),
    difference: pairedZ(lightClicks, heavyClicks, shown),
  };
}
