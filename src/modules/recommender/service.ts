/**
 * The recommender: for each viewer in a live room, a short ranked list chosen from the products on
 * stage, each with an exact explanation and plain-language reasons.
 *
 * - Personalised (A5) only when the server's consent check allows `personalised_recommendations`
 *   (which already folds in minors mode and the personalisation switch): a shared linear contextual
 *   bandit over product, room and the viewer's in-session behaviour, with explicit ε-exploration and
 *   its propensity logged.
 * - Otherwise non-personalised (C4, A1): a fixed, published scorer over room signals (pinned, popular
 *   now, on flash sale) with category diversity; no personal event is read or stored.
 * - Feedback updates the model at once, but only under the `model_improvement` consent (F1);
 *   otherwise it only feeds the room's anonymous popularity.
 * Prices are never touched here (A6): the list changes which products are shown, nothing else.
 */
import { createHmac, randomBytes, randomFillSync } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, RequestContext } from '../../context/index.js';
import type { Purpose } from '../consent/index.js';
import type { RoomState, ShowcaseProduct } from '../live-room/index.js';
import { RoomPopularity, ViewerBehaviour } from './context.js';
import { nextTurn } from '../../shared/next-turn.js';
import { LiveDecisionTable, type DueReward, type LiveDecisionFacts } from './live-decisions.js';
import { ModelReplication, ModelSlot } from './model-slot.js';
import { MlpSlot } from './mlp-slot.js';

/** The model of an experiment arm: a linear bandit (LinUCB, LinTS) or the multi-layer perceptron. */
type ArmSlot = ModelSlot | MlpSlot;
import {
  FEATURES,
  FeatureSpace,
  LinearBandit,
  PRODUCT_CATEGORIES,
  Rng,
  categoryFeature,
  fairRerank,
  FAIR_RERANK_DEFAULTS,
  meanVector,
  positionExposure,
  pinnedRecency,
  priceBandFeature,
  selectSlate,
  topReasons,
  REASONS_SHOWN,
  type BanditKind,
  type Explanation,
  type PriceBand,
} from './model/index.js';
import type { DecisionRecord, DecisionSegments, FeedbackType, ModelLearnedChannel, ProductHealth, RecommenderStore } from './ports.js';
import { NO_METER, type WorkMeter } from '../../shared/work-meter.js';

/**
 * v2: the feature space gained profile.child_age_fit; v3: profile.age_band_popular (a snapshot of an
 * earlier version has other dimensions and is not restored).
 */
export const MODEL_ID = 'qingliu-linear-v3';
export const NON_PERSONALISED_VERSION = 'non-personalised-v1';

/** The published weights of the non-personalised list: room signals only. */
export const NON_PERSONALISED_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  'room.pinned': 3,
  'room.pinned_recent': 1,
  'room.flash_sale': 1.5,
  'room.popular_5m': 2,
  'room.popular_session': 1,
  'product.on_sale': 0.3,
});
/**
 * The personalised model's prior (a warm start, so a new deployment explains itself from the first
 * request): θ₀ is these weights, i.e. b₀ = λθ₀ with A₀ = λI. Feedback then moves θ from here.
 */
export const PRIOR_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  ...NON_PERSONALISED_WEIGHTS,
  'behaviour.same_category_viewed': 1,
  'behaviour.same_category_carted': 1.5,
  'behaviour.viewed_this': 0.5,
  'behaviour.tag_weight': 1,
  'profile.child_age_fit': 1,
  'profile.age_band_popular': 1,
});
/** Each earlier pick of the same category lowers a candidate by this much (diversity). */
export const DIVERSITY_PENALTY = 1;

export const FEEDBACK_REWARD: Record<FeedbackType, number> = { click: 1, add_to_cart: 1, purchase: 1, like: 1, dislike: 0, not_interested: 0 };
/** How much each kind of room activity adds to anonymous popularity. */
export const POPULARITY_WEIGHT = { like: 0.5, click: 1, add_to_cart: 2, purchase: 3 } as const;
/**
 * What feedback on a card adds to popularity: only acts the room does not count itself. An order and
 * an add-to-cart are the room's own events (noteActivity), counted there once, card or not; the
 * feedback that follows them would count them twice.
 */
export const FEEDBACK_POPULARITY_WEIGHT: Readonly<Partial<Record<FeedbackType, number>>> = { click: POPULARITY_WEIGHT.click, like: POPULARITY_WEIGHT.like };

export interface RecommenderOptions {
  defaultK: number;
  maxK: number;
  epsilon: number;
  kind: BanditKind;
  alpha: number;
  seed: number;
  /**
   * A snapshot is written after this many updates (the updates since are kept apart). With the
   * reward wait every shown item under consent is an update — thousands a second on a busy node —
   * so snapshots (about 20 kB each, committed to disk) come every few thousand; restoring replays at
   * most that many rank-one updates (milliseconds).
   */
  snapshotEvery: number;
  /** Buffered decisions are written at least this often … */
  flushMs: number;
  /**
   * … and as soon as this many are waiting. The write is synchronous on SQLite, so a batch stalls
   * the event loop for its length (about 6 µs a row): small batches keep that stall short.
   */
  flushRows: number;
  /**
   * Exposure-fair re-ranking (model/fair-rerank.ts): off, or by product category or price band. A
   * random `holdout` share of lists is served without it, so its cost in click-through is measured
   * (the fairness audit compares the two); `band` is τ.
   */
  fairRerank: { grouping: 'off' | 'category' | 'price_band'; band: number; holdout: number };
  /**
   * The reward wait: a decision the model may learn from that drew no feedback at all within this
   * time (a card shown and passed over) is learnt with reward 0, as Azure Personalizer's default
   * reward does; feedback arriving after that is still recorded but no longer learnt (the earliest
   * reward counts). Without it the model would see only the cards that drew feedback, nearly all of
   * them positive, and learn which features feedback comes with rather than which cards are chosen.
   * 0 turns the default reward off.
   */
  rewardWaitMs: number;
}

/** What the re-ranker did to a list: nothing (off), held out, ran and kept the order, or changed it. */
export type RerankState = 'holdout' | 'kept' | 'changed';
/** Added to a card the re-ranker moved up (English capitalised, as every reason: it is an item of its own). */
export const RERANK_REASON = { zh: '为让各类商品获得与其受欢迎程度相称的曝光而调整了顺序', en: 'Moved so that each kind of product gets attention in proportion to its appeal' };

/**
 * A moved card's reasons: its strongest reasons, then why it moved. A card says at most
 * `REASONS_SHOWN` (its top two or three), so the move takes the place of the weakest when all three
 * are in use.
 */
export function movedReasons(reasons: { zh: readonly string[]; en: readonly string[] }): { zh: string[]; en: string[] } {
  return {
    zh: [...reasons.zh.slice(0, REASONS_SHOWN - 1), RERANK_REASON.zh],
    en: [...reasons.en.slice(0, REASONS_SHOWN - 1), RERANK_REASON.en],
  };
}

export const RECOMMENDER_DEFAULTS: RecommenderOptions = {
  defaultK: 4,
  maxK: 10,
  epsilon: 0.1,
  kind: 'linucb',
  alpha: 0.5,
  seed: 20_261_129,
  snapshotEvery: 5_000,
  flushMs: 250,
  flushRows: 100,
  fairRerank: { grouping: 'off', band: FAIR_RERANK_DEFAULTS.band, holdout: 0.1 },
  rewardWaitMs: 60_000,
};

export interface RecommenderDeps {
  store: RecommenderStore;
  rooms: {
    roomState(sessionId: string, viewers: number): Promise<RoomState | undefined>;
    /** An order placed in this session: what a purchase on a recommendation names. */
    order(sessionId: string, orderId: string): Promise<{ productId: string; createdAt: number } | undefined>;
  };
  consent: {
    allows(deviceId: string, brandId: string, purpose: Purpose): Promise<boolean>;
    effective(deviceId: string, brandId: string): Promise<ReadonlySet<Purpose>>;
  };
  subjectOf(deviceId: string): string;
  /** The viewer's interest tags (category → weight), for consenting viewers only. */
  tagsOf(subject: string): Promise<readonly { kind: string; value: string; weight: number }[]>;
  /** The band the viewer declared for their child and its months [from, to), for consenting viewers only; null when none. */
  childAgeOf?(deviceId: string): Promise<{ band: string; months: readonly [number, number] } | null>;
  clock: Clock;
  region: string;
  onError?: (err: unknown) => void;
  /** Calls back on every showcase change of a room (pins, stock, flash sales …), so cached views go at once. */
  watchRoom?: (sessionId: string, onChange: () => void) => void;
  /** Running A/B experiments: which arm serves a request, and what happened under it. */
  experiments?: ExperimentArms;
  /**
   * The viewer's declared city tier and whether they are new or returning to the brand (for the
   * decision log's audit segments; both null when unknown). Must be cheap: it runs per request.
   */
  auditSegmentsOf?: (deviceId: string, brandId: string, sessionStartedAt: number | null) => Promise<{ cityTier: string | null; visitor: 'new' | 'returning' | null }>;
  /** The energy meter: ranking and logging count as `recommend` work, learning as `learn`, per session. */
  meter?: WorkMeter;
  /** The bus topic on which nodes tell each other they learnt (model-slot.ts); without it, only the 1 s poll. */
  learned?: ModelLearnedChannel;
  /**
   * Feedback on a list another node showed: the decision's features live in that node's memory, so
   * the reward is passed to it (decision id, reward, time, the viewer's keyed pseudonym — never a
   * device id; consent was checked where the feedback arrived) and, if the list was shown to that
   * viewer, it learns, and replicates, as if the feedback had come to it.
   */
  feedbackRelay?: { publish(message: RelayedFeedback): Promise<void>; subscribe(handler: (message: unknown) => void): () => void };
}

/** Feedback passed to the node holding the decision (see RecommenderDeps.feedbackRelay). */
export interface RelayedFeedback {
  type: 'relayed_feedback';
  decisionId: string;
  reward: number;
  at: number;
  /** The keyed pseudonym of the viewer who gave it: the deciding node learns only if it is the viewer it showed the list to. */
  subject: string;
}

export const FEEDBACK_RELAY_TOPIC = 'recommender.feedback';

/** The arm that serves one request of a running experiment. */
export interface ArmAssignment {
  experimentId: string;
  /** The arm's id, or OUTSIDE_ARM for a viewer without personalisation consent (never in a personalised arm). */
  arm: string;
  policy: ArmPolicy;
  /** Exploration share for the bandit arms (default: the recommender's). */
  epsilon?: number;
  /** LinUCB's bonus width, or the scale of the Thompson draw (default: the recommender's). */
  alpha?: number;
}

/** The ranking policies an experiment's arm may use. */
export const ARM_POLICIES = ['non_personalised', 'linucb', 'lints', 'mlp'] as const;
export type ArmPolicy = (typeof ARM_POLICIES)[number];

/** The cohort of viewers without personalisation consent: served non-personalised, counted apart. */
export const OUTSIDE_ARM = 'outside';

/** What the recommender asks of, and tells, the experiments module. */
export interface ExperimentArms {
  /** The arm for this request, or undefined when no experiment covers the room. `subject` only when personalisation is allowed. */
  assign(sessionId: string, brandId: string, subject: string | undefined): ArmAssignment | undefined;
  /** One list served under an arm: its length and the CPU time its ranking took (for energy per 1,000 lists). */
  served(assignment: ArmAssignment, subject: string | undefined, served: { items: number; rankingMicros: number; at: number }): void;
  /** Feedback on a decision an arm made (outcomes per arm and, for a known viewer, per unit). */
  feedback(experiment: { id: string; arm: string }, deviceId: string | undefined, type: FeedbackType, at: number): void;
}

export interface RecommendationItem {
  decisionId: string;
  productId: string;
  position: number;
  personalised: boolean;
  explanation: Explanation;
  reasons: { zh: string[]; en: string[] };
  propensity: number;
}

export interface Recommendations {
  sessionId: string;
  personalised: boolean;
  label: { zh: string; en: string };
  modelVersion: string;
  items: RecommendationItem[];
  at: number;
  /** The experiment and arm that served this list, if one runs in the room (shown for transparency). */
  experiment?: { id: string; arm: string };
}

export interface FeedbackInput {
  deviceId?: string;
  decisionId: string;
  type: FeedbackType;
  idempotencyKey: string;
  /** A purchase's order (required for a purchase, refused for other kinds). */
  orderId?: string;
}

export interface HealthReport {
  sessionId: string;
  since: number;
  modelVersion: string;
  updates: number;
  impressions: number;
  explorationShare: number;
  personalisedShare: number;
  products: (ProductHealth & { ctr: number; cartRate: number })[];
}

/** One pick, before it gets a decision id. */
interface Picked {
  productId: string;
  position: number;
  propensity: number;
  x: Float64Array;
  explanation: Explanation;
  reasons: { zh: string[]; en: string[] };
  /** The non-personal features, when already computed (cached non-personalised picks). */
  context?: Record<string, number>;
  /** The product's category (personalised picks: what the age-band interest counts). */
  category?: string;
}

/** A room as the recommender sees it, rebuilt at most once a second or at once after a showcase change. */
interface RoomView {
  brandId: string;
  /** The show's status when the view was built (scheduled, live, ended). */
  status: string;
  at: number;
  startedAt: number | null;
  /** Available products with their non-personal feature vectors (behaviour left at 0). */
  candidates: { product: ShowcaseProduct; x: Float64Array }[];
  /** Per product: the price a viewer sees now (a running flash sale's, else the product's), the list price and category. */
  audit: Map<string, { priceFen: number; listPriceFen: number; category: string }>;
  /** The non-personalised list per k: the same for every such viewer at this moment. */
  nonPersonalised: Map<number, Picked[]>;
  /**
   * Per product: the non-personal features logged with each decision (product and room, the same
   * for every viewer of this view, personalised or not, since only personal features differ between
   * viewers). Shared, so their JSON for the log is written once per view (recommender.kysely.ts).
   */
  contexts: Map<string, Record<string, number>>;
}

const ROOM_VIEW_TTL_MS = 1000;
const NOTHING_ALLOWED: ReadonlySet<Purpose> = new Set();

/** The reward learnt for a decision whose wait ended without feedback. */
export const DEFAULT_REWARD = 0;

const LABEL_PERSONALISED = { zh: '个性化推荐', en: 'Personalised' };
const LABEL_NOT_PERSONALISED = { zh: '非个性化', en: 'Not personalised' };
/** A card with no reason of its own, placed for variety (Chinese says 您, as the live room does). */
export const DIVERSITY_REASON = { zh: '为您挑选了不同品类', en: 'Picked to show you different categories' };
const MAX_LIVE_DECISIONS = 100_000;
/**
 * How far an order may seem to precede the recommendation it came from: the two times come from
 * the clocks of the nodes that took them, which may differ a little.
 */
const ORDER_CLOCK_SLACK_MS = 5_000;
/** The most decisions one write of the decision log takes (see flush). */
const MAX_DECISIONS_PER_WRITE = 2_000;
/**
 * At most this many decisions wait for their reward: beyond it the oldest are settled at once, their
 * wait cut short, well before the decision table (MAX_LIVE_DECISIONS) would drop them unsettled — on
 * a node too busy for the full wait every shown item is still settled once, by feedback or default.
 */
const MAX_AWAITING = MAX_LIVE_DECISIONS / 2;
/** Decisions settled between two yields to the event loop (each a rank-one update: a few µs). */
const SETTLE_SLICE = 256;

/**
 * Decision ids' random bits come from a pool of CSPRNG bytes refilled 4 KiB at a time: one
 * randomBytes call per request cost more than the rest of the id. Each byte is handed out once and
 * copied (into the id string) before the pool can be refilled, all synchronously.
 */
const ID_POOL = Buffer.alloc(4096);
let idPoolAt = ID_POOL.length;
function randomIdBytes(n: number): Buffer {
  if (n > ID_POOL.length) throw new RangeError('too many id bytes at once');
  if (idPoolAt + n > ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolAt = 0;
  }
  const bytes = ID_POOL.subarray(idPoolAt, idPoolAt + n);
  idPoolAt += n;
  return bytes;
}

export class RecommenderService {
  readonly #meter: WorkMeter;
  readonly space: FeatureSpace;
  readonly options: RecommenderOptions;
  readonly popularity = new RoomPopularity();
  readonly behaviour = new ViewerBehaviour();
  /** Per loaded model: how often parents of each declared child age band choose each category (profile.age_band_popular). */
  readonly ageBandInterest = {
    value: (model: string, band: string, category: string): number => this.#loadedSlot(model)?.ageBand.value(band, category) ?? 0.5,
    counts: (model: string, band: string, category: string) => this.#loadedSlot(model)?.ageBand.counts(band, category) ?? { shown: 0, positive: 0 },
  };
  /** The production model. */
  readonly #main: ModelSlot;
  /** This node's part in learning on many nodes: its node id, the bus messages and the poll (model-slot.ts). */
  readonly #replication: ModelReplication;
  /** Each running experiment's bandit arms have a model of their own, learning only from their arm. */
  readonly #arms = new Map<string, ArmSlot | Promise<ArmSlot>>();
  #pending: DecisionRecord[] = [];
  /** Decisions made, and decisions written (or refused by the store), since the start: flush waits for the second to reach the first. */
  #made = 0;
  #written = 0;
  /** A write is under way (it takes what is buffered meanwhile). */
  #writerRunning = false;
  /** Callers of flush, in the order they asked, each waiting for the decisions made before it. */
  readonly #flushed: { upTo: number; resolve: () => void }[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  /**
   * The learnable decisions this node showed, for their feedback and reward wait, newest last (the
   * oldest leave first), in typed columns: as objects they were promoted and died in the old space.
   */
  readonly #live: LiveDecisionTable<ArmSlot>;
  #settling: Promise<number> | undefined;
  readonly #rooms = new Map<string, RoomView | Promise<RoomView | undefined>>();
  readonly #watched = new Set<string>();
  /** NON_PERSONALISED_WEIGHTS as a vector over the feature space. */
  readonly #nonPersonalisedTheta: Float64Array;
  readonly #idx: { viewedCategory: number; cartedCategory: number; viewedThis: number; cartedThis: number; tagWeight: number; childAgeFit: number; ageBandPopular: number };
  /** Per show: exposure, impressions and clicks per product group, for the re-ranker (this node's view). */
  readonly #ledgers = new Map<string, { exposure: Map<string, number>; impressions: Map<string, number>; clicks: Map<string, number> }>();
  /** Per show: a random key held in memory only, for the decision log's per-show viewer labels. */
  readonly #showKeys = new Map<string, Buffer>();
  readonly #feedbackListeners: ((sessionId: string, deviceId: string | undefined) => void)[] = [];

  constructor(
    private readonly deps: RecommenderDeps,
    options: Partial<RecommenderOptions> = {},
  ) {
    this.#meter = deps.meter ?? NO_METER;
    this.options = { ...RECOMMENDER_DEFAULTS, ...options };
    // The allow-listed defaults (A7): a sensitive feature could not even be constructed here.
    this.space = new FeatureSpace(FEATURES);
    this.#live = new LiveDecisionTable(this.space.dim, MAX_LIVE_DECISIONS);
    this.#nonPersonalisedTheta = new Float64Array(this.space.dim);
    for (const [name, w] of Object.entries(NON_PERSONALISED_WEIGHTS)) this.#nonPersonalisedTheta[this.space.indexOf(name)] = w;
    this.#idx = {
      viewedCategory: this.space.indexOf('behaviour.same_category_viewed'),
      cartedCategory: this.space.indexOf('behaviour.same_category_carted'),
      viewedThis: this.space.indexOf('behaviour.viewed_this'),
      cartedThis: this.space.indexOf('behaviour.carted_this'),
      tagWeight: this.space.indexOf('behaviour.tag_weight'),
      childAgeFit: this.space.indexOf('profile.child_age_fit'),
      ageBandPopular: this.space.indexOf('profile.age_band_popular'),
    };
    deps.feedbackRelay?.subscribe((message) => {
      const m = message as Partial<RelayedFeedback>;
      if (m.type !== 'relayed_feedback' || typeof m.decisionId !== 'string' || typeof m.reward !== 'number' || typeof m.at !== 'number') return;
      const live = this.#live.get(m.decisionId);
      // Not shown here (or forgotten), its wait is over, or it already taught the model once.
      if (!live || live.defaulted || live.rewarded) return;
      // Only the viewer it was shown to teaches the model on their features.
      if (typeof m.subject !== 'string' || live.facts.deviceId === undefined || this.deps.subjectOf(live.facts.deviceId) !== m.subject) return;
      this.#live.markRewarded(live.row);
      const { reward, at } = m;
      const sessionId = live.facts.sessionId;
      this.#meter.span('learn', () => live.model.learn(live.x, reward, at, this.#live.interestDelta(live.row, reward)), sessionId);
      this.#meter.count('learn', 1, sessionId);
    });
    this.#replication = new ModelReplication({
      channel: deps.learned,
      onError: deps.onError,
      slots: () => [this.#main, ...[...this.#arms.values()].filter((a): a is ArmSlot => !(a instanceof Promise))],
    });
    this.#main = new ModelSlot(
      MODEL_ID,
      withPrior(
        new LinearBandit({ dim: this.space.dim, kind: this.options.kind, alpha: this.options.alpha, seed: this.options.seed, version: MODEL_ID }),
        this.space,
        PRIOR_WEIGHTS,
      ),
      new Rng(this.options.seed),
      this.deps.store,
      this.options.snapshotEvery,
      this.deps.onError,
      this.#replication.slotOptions,
    );
  }

  get modelVersion(): string {
    return this.#main.bandit.version;
  }

  get updates(): number {
    return this.#main.bandit.updates;
  }

  get lastUpdateAt(): number | null {
    return this.#main.lastUpdateAt;
  }

  /** Restores the model: the latest snapshot plus every update recorded since (reproducible). */
  async restore(): Promise<void> {
    await this.#main.restore();
  }

  /** The production model or a loaded arm's, by id. */
  #loadedSlot(id: string): ArmSlot | undefined {
    if (id === this.#main.id) return this.#main;
    const arm = this.#arms.get(id);
    return arm instanceof Promise ? undefined : arm;
  }

  /** An experiment arm's model, for its model card (undefined until the arm first served). */
  armModel(experimentId: string, arm: string): { version: string; updates: number; kind: string } | undefined {
    const slot = this.#arms.get(armModelId(experimentId, arm));
    if (!slot || slot instanceof Promise) return undefined;
    return { version: slot.version, updates: slot.updates, kind: slot.kind === 'mlp' ? 'mlp' : slot.bandit.kind };
  }

  /**
   * The model of an experiment's bandit arm: restored if it has learnt before (also on another
   * node or before a restart), otherwise a copy of the production model as it is now, with the
   * arm's kind and exploration width, so every arm starts from the same knowledge.
   */
  #armSlot(assignment: ArmAssignment): ArmSlot | Promise<ArmSlot> {
    const id = armModelId(assignment.experimentId, assignment.arm);
    const known = this.#arms.get(id);
    if (known) return known;
    const rng = new Rng(hashSeed(this.options.seed, id));
    const slot: ArmSlot =
      assignment.policy === 'mlp'
        ? // The heavier model starts cold (seeded) and learns only from its own arm.
          new MlpSlot(id, this.space.dim, hashSeed(this.options.seed, `${id}:init`), rng, this.deps.store, this.options.snapshotEvery, this.deps.onError, this.#replication.slotOptions)
        : this.#banditArm(id, assignment, rng);
    const ready = slot.restore().then(
      () => {
        this.#arms.set(id, slot);
        return slot;
      },
      (err: unknown) => {
        this.#arms.delete(id);
        throw err;
      },
    );
    this.#arms.set(id, ready);
    return ready;
  }

  /** A bandit arm starts from the production model's current state, with the arm's own kind and width. */
  #banditArm(id: string, assignment: ArmAssignment, rng: Rng): ModelSlot {
    const kind = assignment.policy === 'lints' ? 'lints' : 'linucb';
    const start = this.#main.bandit.snapshot();
    const initial = LinearBandit.restore({
      ...start,
      id,
      kind,
      alpha: assignment.alpha ?? this.options.alpha,
      sample: null,
      version: `${id}:${start.updates}`,
    });
    // Every node starts the arm from the one start stored first (nodes' production models may differ by a second's updates).
    const arm = new ModelSlot(id, initial, rng, this.deps.store, this.options.snapshotEvery, this.deps.onError, { ...this.#replication.slotOptions, sharedStart: true });
    // The age-band counts the production model learnt with come along (part of the shared start).
    arm.startAgeBandFrom(this.#main.ageBand);
    return arm;
  }

  /** An experiment ended: its arms' models leave memory (they stay stored). */
  dropExperiment(experimentId: string): void {
    for (const id of [...this.#arms.keys()])
      if (id.startsWith(`experiment:${experimentId}:`)) this.#arms.delete(id);
  }

  start(): void {
    this.#flushTimer = setInterval(() => {
      this.#startWriting();
      void this.settleRewards();
    }, this.options.flushMs);
    this.#flushTimer.unref();
    this.#replication.start();
  }

  async stop(): Promise<void> {
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    // A settling under way learns before the models close (what is still waiting is not settled).
    await this.#settling;
    await this.flush();
    await this.#main.close();
    for (const slot of this.#arms.values()) if (!(slot instanceof Promise)) await slot.close();
    await this.#replication.stop();
  }

  /** Reads what the other nodes learnt since the last read, into every model loaded here (it runs every second anyway). */
  syncModels(): Promise<void> {
    return this.#replication.syncAll();
  }

  /**
   * Writes the buffered decisions; resolves once every decision made before the call is written
   * (decisions made after it are not waited for). One write is under way at a time: decisions made
   * meanwhile wait in the buffer and go together in the next (a slow disk or a starved writer
   * thread gets bigger transactions, not a growing queue of small ones), at most
   * MAX_DECISIONS_PER_WRITE to a transaction, so that building one never holds the event loop for
   * long. A write the store refuses is reported (onError) and counts as done.
   */
  flush(): Promise<void> {
    const upTo = this.#made;
    if (this.#written >= upTo) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#flushed.push({ upTo, resolve }));
    this.#startWriting();
    return done;
  }

  /** Starts writing the buffer unless a write is under way (it takes what comes meanwhile). */
  #startWriting(): void {
    if (this.#writerRunning || this.#pending.length === 0) return;
    this.#writerRunning = true;
    void this.#writeAll();
  }

  async #writeAll(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.length <= MAX_DECISIONS_PER_WRITE ? this.#pending : this.#pending.slice(0, MAX_DECISIONS_PER_WRITE);
        this.#pending = batch === this.#pending ? [] : this.#pending.slice(MAX_DECISIONS_PER_WRITE);
        // Only the count outlives the call: the records are the store's to copy, not held here while
        // the write is awaited (held, they would be promoted to the old generation before dying).
        const count = batch.length;
        try {
          await this.deps.store.appendDecisions(batch);
        } catch (err) {
          this.deps.onError?.(err);
        } finally {
          // Decisions are written in the order made: those up to #written are done.
          this.#written += count;
          while (this.#flushed.length > 0 && this.#flushed[0]!.upTo <= this.#written) this.#flushed.shift()!.resolve();
        }
      }
    } finally {
      // Synchronously after the loop's last look at the buffer: nothing is buffered in between unseen.
      this.#writerRunning = false;
    }
  }

  /**
   * Rows made and not yet written: decisions buffered or being written, and the models' own
   * updates not yet stored. The overload guard refuses new requests while this is over its limit,
   * so that a storage that cannot keep up slows the intake instead of filling the memory.
   */
  get unwrittenRows(): number {
    // Decisions buffered or being written.
    let rows = this.#made - this.#written + this.#main.unstoredRows;
    for (const slot of this.#arms.values()) if (!(slot instanceof Promise)) rows += slot.unstoredRows;
    return rows;
  }

  /** `device`: the coarse class of the viewer's device (from the User-Agent), for the audit segments. */
  async recommend(_ctx: RequestContext, sessionId: string, input: { deviceId?: string; k?: number; device?: string }): Promise<Result<Recommendations>> {
    const k = input.k ?? this.options.defaultK;
    if (!Number.isInteger(k) || k < 1 || k > this.options.maxK) return fail('VALIDATION_FAILED', `k must be an integer from 1 to ${this.options.maxK}`);
    const now = this.deps.clock.now();
    const meter = this.#meter;
    // Rewards due are settled by the service's clock as requests come (and by the timer when none do).
    if (this.#live.hasDue(now, MAX_AWAITING)) void this.settleRewards();
    const room = await this.#room(sessionId, now);
    if (!room) return fail('SESSION_NOT_FOUND');
    // Recommendations are for a show that is on: nothing is ranked, logged or learnt before or after it.
    if (room.status === 'ended') return fail('SESSION_ENDED', 'the show has ended: recommendations are for the live show');
    if (room.status !== 'live') return fail('SESSION_NOT_LIVE', 'recommendations start when the show goes live');
    // One server-side consent read answers both questions (consent, minors mode, the switch).
    const allowed = input.deviceId !== undefined ? await this.deps.consent.effective(input.deviceId, room.brandId) : NOTHING_ALLOWED;
    const subject = allowed.has('personalised_recommendations') ? this.deps.subjectOf(input.deviceId!) : undefined;
    // A running experiment picks the policy: its arm's model, or the non-personalised list. A viewer
    // without personalisation consent is never put in a personalised arm.
    const assignment = this.deps.experiments?.assign(sessionId, room.brandId, subject);
    let slot: ArmSlot | undefined = subject ? this.#main : undefined;
    if (assignment) {
      if (!subject || assignment.policy === 'non_personalised') slot = undefined;
      else {
        const s = this.#armSlot(assignment);
        slot = s instanceof Promise ? await s : s;
      }
    }
    const personalised = slot !== undefined;
    // Outside experiments, non-personalised feedback still refines the production model (under
    // consent); inside one, only a bandit arm's own decisions refine that arm's model.
    const learnSlot = slot ?? (assignment ? undefined : this.#main);
    const learnable = learnSlot !== undefined && allowed.has('model_improvement');

    // Started now, awaited after ranking; a failure only loses the segments, never the list.
    const declared =
      input.deviceId !== undefined && this.deps.auditSegmentsOf
        ? this.deps.auditSegmentsOf(input.deviceId, room.brandId, room.startedAt).catch((err: unknown) => {
            this.deps.onError?.(err);
            return undefined;
          })
        : undefined;
    let childAgeBand: string | null = null;
    let items: Picked[];
    let rankingStarted = 0;
    // With the re-ranker on, rank twice as many as shown, so it has candidates to move up.
    const rerankOn = this.options.fairRerank.grouping !== 'off';
    const depth = rerankOn ? 2 * k : k;
    if (!slot || !subject) {
      rankingStarted = performance.now();
      items = meter.span('recommend', () => this.#nonPersonalisedCached(room, depth), sessionId);
    } else {
      const behaviour = this.behaviour.of(subject, now);
      const [tags, childAge] = await Promise.all([this.deps.tagsOf(subject), this.deps.childAgeOf?.(input.deviceId!) ?? null]);
      if (childAge) childAgeBand = childAge.band;
      const maxTag = Math.max(1, ...tags.map((t) => t.weight));
      const tagWeight = new Map(tags.filter((t) => t.kind === 'category').map((t) => [t.value, t.weight / maxTag]));
      // One block for every candidate's vector: 50 typed-array copies cost about 40 µs, views of one block 8.
      const dim = this.space.dim;
      // One value per category for this viewer's band (the 50 candidates share a dozen categories).
      const bandPopular = new Map<string, number>();
      items = meter.span('recommend', () => {
        const block = new Float64Array(room.candidates.length * dim);
        const candidates = room.candidates.map((c, j) => {
          const x = block.subarray(j * dim, (j + 1) * dim);
          x.set(c.x);
          const p = c.product;
          if (behaviour) {
            x[this.#idx.viewedCategory] = Math.min(1, (behaviour.viewedCategories.get(p.category) ?? 0) / 3);
            x[this.#idx.cartedCategory] = Math.min(1, (behaviour.cartedCategories.get(p.category) ?? 0) / 2);
            x[this.#idx.viewedThis] = behaviour.viewed.has(p.id) ? 1 : 0;
            x[this.#idx.cartedThis] = behaviour.carted.has(p.id) ? 1 : 0;
          }
          x[this.#idx.tagWeight] = tagWeight.get(p.category) ?? 0;
          // The product's age range [min, max] in months meets the declared band [from, to).
          if (childAge) {
            x[this.#idx.childAgeFit] = p.ageMinMonths < childAge.months[1] && p.ageMaxMonths >= childAge.months[0] ? 1 : 0;
            let popular = bandPopular.get(p.category);
            if (popular === undefined) bandPopular.set(p.category, (popular = slot.ageBand.value(childAge.band, p.category)));
            x[this.#idx.ageBandPopular] = popular;
          }
          return { product: p, x };
        });
        rankingStarted = performance.now();
        return this.#personalised(slot, candidates, depth, assignment?.epsilon);
      }, sessionId);
    }
    let rerank: RerankState | undefined;
    if (rerankOn) ({ items, rerank } = meter.span('recommend', () => this.#rerank(sessionId, room, items, k), sessionId));
    const rankingMicros = (performance.now() - rankingStarted) * 1000;
    const experiment = assignment ? { id: assignment.experimentId, arm: assignment.arm } : undefined;
    const more = declared ? await declared : undefined;
    // Building and logging the list is recommend work too (ids, the viewer label, the records).
    meter.count('recommend', 1, sessionId);
    return meter.span('recommend', () => {
      const segments: DecisionSegments = { childAgeBand, cityTier: more?.cityTier ?? null, device: input.device ?? null, visitor: more?.visitor ?? null };
      const out: RecommendationItem[] = [];
      // Time first (so the log's index grows at its end), then 96 random bits (so ids cannot be guessed:
      // holding one is what lets feedback refer to a recommendation shown).
      const stamp = now.toString(36).padStart(9, '0');
      const ids = randomIdBytes(12 * items.length).toString('base64url');
      const listId = `${stamp}${ids.slice(0, 16)}`;
      const showViewer = input.deviceId !== undefined ? this.#showViewer(sessionId, input.deviceId) : undefined;
      for (const [i, item] of items.entries()) {
        const decisionId = `${stamp}${ids.slice(i * 16, i * 16 + 16)}`;
        // Logged without the viewer, with only the non-personal features (evaluation, health).
        // Every field always present (undefined when absent), so every record has one shape: object
        // spreads made a differently shaped object per combination, slow to build and to read.
        const audit = room.audit.get(item.productId);
        const record: DecisionRecord = {
          id: decisionId,
          sessionId,
          productId: item.productId,
          position: item.position,
          propensity: item.propensity,
          explored: item.explanation.exploration.active,
          personalised,
          modelVersion: item.explanation.modelVersion,
          context: item.context ?? room.contexts.get(item.productId) ?? this.#nonPersonalContext(item.x),
          region: this.deps.region,
          createdAt: now,
          experiment,
          listId,
          showViewer,
          rerank,
          priceFen: audit?.priceFen,
          listPriceFen: audit?.listPriceFen,
          category: audit?.category,
          segments,
        };
        this.#pending.push(record);
        this.#made++;
        // Only what feedback may learn from is kept in memory (feedback on the rest finds the logged
        // row). A personalised vector is a view of this request's block: it keeps a copy of its own.
        if (learnable) {
          this.#live.add({
            id: decisionId,
            sessionId,
            productId: item.productId,
            personalised,
            createdAt: now,
            experiment,
            priceFen: record.priceFen,
            category: record.category,
            deviceId: input.deviceId,
            x: item.x,
            model: learnSlot,
            // What parents of this viewer's declared band are shown counts toward the band's interest once it is learnt from.
            interest: personalised && childAgeBand !== null && item.category !== undefined ? { band: childAgeBand, category: item.category } : undefined,
            wait: this.options.rewardWaitMs > 0 ? { due: now + this.options.rewardWaitMs, deviceId: input.deviceId!, brandId: room.brandId } : undefined,
          });
        }
        out.push({ decisionId, productId: item.productId, position: item.position, personalised, explanation: item.explanation, reasons: item.reasons, propensity: item.propensity });
      }
      if (this.#pending.length >= this.options.flushRows) this.#startWriting();
      if (assignment) this.deps.experiments?.served(assignment, subject, { items: out.length, rankingMicros, at: now });
      return ok({
        sessionId,
        personalised,
        label: personalised ? LABEL_PERSONALISED : LABEL_NOT_PERSONALISED,
        modelVersion: slot ? slot.version : NON_PERSONALISED_VERSION,
        items: out,
        at: now,
        ...(experiment ? { experiment } : {}),
      });
    }, sessionId);
  }

  /**
   * Feedback on a recommendation. Refines the model at once only under the model-improvement
   * consent (F1); always feeds the room's anonymous popularity. Once per idempotency key, and once
   * per decision and kind (a second click on one card is the same act again). A decision teaches
   * the model once, with its earliest reward. A list shown to a viewer takes feedback from that
   * viewer only.
   */
  async feedback(ctx: RequestContext, sessionId: string, input: FeedbackInput): Promise<Result<{ learned: boolean; duplicate: boolean }>> {
    // One at a time per card on this node: which of two feedbacks on one card teaches the model is
    // then decided in order, never lost between them.
    const before = this.#feedbackInFlight.get(input.decisionId);
    const run = (before ?? Promise.resolve()).then(
      () => this.#feedback(ctx, sessionId, input),
      () => this.#feedback(ctx, sessionId, input),
    );
    this.#feedbackInFlight.set(input.decisionId, run);
    try {
      return await run;
    } finally {
      if (this.#feedbackInFlight.get(input.decisionId) === run) this.#feedbackInFlight.delete(input.decisionId);
    }
  }

  readonly #feedbackInFlight = new Map<string, Promise<Result<{ learned: boolean; duplicate: boolean }>>>();

  async #feedback(_ctx: RequestContext, sessionId: string, input: FeedbackInput): Promise<Result<{ learned: boolean; duplicate: boolean }>> {
    const room = await this.#room(sessionId, this.deps.clock.now());
    if (!room) return fail('SESSION_NOT_FOUND');
    const shown = this.#live.get(input.decisionId);
    let record: LiveDecisionFacts | DecisionRecord | undefined = shown?.facts;
    if (!record) {
      await this.flush();
      record = await this.deps.store.decision(input.decisionId);
    }
    if (!record && this.deps.feedbackRelay) {
      // Shown by another node a moment ago: its decision log reaches the database every flushMs.
      await new Promise((resolve) => setTimeout(resolve, this.options.flushMs + 100));
      record = await this.deps.store.decision(input.decisionId);
    }
    if (!record || record.sessionId !== sessionId) return fail('DECISION_NOT_FOUND', 'no such recommendation was shown in this session');
    // Shown to a viewer: nobody else answers for them (nor without a device). Another node's
    // decision names its viewer only by that node's label; the deciding node checks (relay below).
    const shownTo = shown ? shown.facts.deviceId : (record as DecisionRecord).showViewer;
    if (shownTo !== undefined && (input.deviceId === undefined || (shown !== undefined && shown.facts.deviceId !== input.deviceId))) {
      return fail('DECISION_NOT_FOUND', 'no such recommendation was shown to this viewer in this session');
    }
    // A purchase names its order: placed in this room, of this product, after the card was shown.
    // Nobody claims a purchase without buying, and one order answers for one card (the store).
    if (input.type === 'purchase') {
      if (input.orderId === undefined) return fail('VALIDATION_FAILED', 'orderId: a purchase names the order that made it');
      const order = await this.deps.rooms.order(sessionId, input.orderId);
      if (!order) return fail('ORDER_NOT_FOUND');
      if (order.productId !== record.productId) return fail('ORDER_NOT_OF_RECOMMENDATION', 'the order is of another product');
      if (order.createdAt < record.createdAt - ORDER_CLOCK_SLACK_MS) return fail('ORDER_NOT_OF_RECOMMENDATION', 'the order was placed before the recommendation was shown');
    } else if (input.orderId !== undefined) {
      return fail('VALIDATION_FAILED', `orderId: only a purchase names an order, not ${input.type}`);
    }
    // Consent is checked now, on the server: a withdrawal since the decision is honoured.
    const allowed = input.deviceId !== undefined && (await this.deps.consent.allows(input.deviceId, room.brandId, 'model_improvement'));
    // Read again after the waits: its reward wait may have ended meanwhile (or, on a node far behind, it left the table).
    const live = shown && this.#live.at(shown.row, shown.seq);
    // The earliest reward counts: after the reward wait its default, or the first feedback; later ones are only recorded.
    const learned = live !== undefined && allowed && !live.defaulted && !live.rewarded;
    // What it learns from is taken now: after the waits below its row may hold a newer decision.
    const learning = learned ? { x: live.x.slice(), model: live.model, row: live.row, seq: live.seq } : undefined;
    // Claimed now (before the awaits below) so that a second feedback arriving meanwhile is not learnt too.
    const claimed = live !== undefined && !live.defaulted && !live.rewarded ? { row: live.row, seq: live.seq } : undefined;
    if (claimed) this.#live.markRewarded(claimed.row);
    // Shown by another node (its features are in that node's memory): that node learns it.
    const relay = shown === undefined && allowed && record.personalised && this.deps.feedbackRelay !== undefined;
    await this.flush();
    const at = this.deps.clock.now();
    // `learned`: the reward went to the model that made the decision, here or relayed to its node.
    const recorded = await this.deps.store.recordFeedback({
      idempotencyKey: input.idempotencyKey,
      decisionId: record.id,
      type: input.type,
      learned: learned || relay,
      at,
      ...(input.orderId !== undefined ? { orderId: input.orderId } : {}),
    });
    if (recorded !== 'recorded' && claimed) this.#live.clearRewarded(claimed.row, claimed.seq);
    if (recorded === 'conflict') return fail('DUPLICATE_REQUEST', 'this idempotency key was already used for other feedback');
    if (recorded === 'order_used') return fail('ORDER_ALREADY_CLAIMED');
    if (recorded === 'duplicate') return ok({ learned: false, duplicate: true });
    const weight = FEEDBACK_POPULARITY_WEIGHT[input.type];
    if (weight !== undefined) this.popularity.note(sessionId, record.productId, weight, at);
    if (learning) {
      const reward = FEEDBACK_REWARD[input.type];
      // Its age-band count, if its row is still its own (the table turns over only on a node far behind).
      const interest = this.#live.at(learning.row, learning.seq) ? this.#live.interestDelta(learning.row, reward) : undefined;
      this.#meter.span('learn', () => learning.model.learn(learning.x, reward, at, interest), sessionId);
      this.#meter.count('learn', 1, sessionId);
    } else if (relay) {
      const message: RelayedFeedback = { type: 'relayed_feedback', decisionId: record.id, reward: FEEDBACK_REWARD[input.type], at, subject: this.deps.subjectOf(input.deviceId!) };
      await this.deps.feedbackRelay!.publish(message).catch(this.deps.onError);
    }
    if (input.type === 'click') this.#noteClick(sessionId, record);
    if (record.experiment) this.deps.experiments?.feedback(record.experiment, input.deviceId, input.type, at);
    for (const listener of this.#feedbackListeners) listener(sessionId, input.deviceId);
    return ok({ learned: learned || relay, duplicate: false });
  }

  /** Told after each new feedback (e.g. to push the viewer a fresh list). */
  onFeedback(listener: (sessionId: string, deviceId: string | undefined) => void): void {
    this.#feedbackListeners.push(listener);
  }

  async health(sessionId: string, since: number): Promise<HealthReport> {
    await this.flush();
    const products = await this.deps.store.health(sessionId, since);
    const impressions = products.reduce((n, p) => n + p.impressions, 0);
    const explored = products.reduce((n, p) => n + p.explored, 0);
    const personalisedCount = await this.deps.store.personalisedCount(sessionId, since);
    return {
      sessionId,
      since,
      modelVersion: this.#main.bandit.version,
      updates: this.#main.bandit.updates,
      impressions,
      explorationShare: impressions ? explored / impressions : 0,
      personalisedShare: impressions ? personalisedCount / impressions : 0,
      products: products.map((p) => ({ ...p, ctr: p.impressions ? p.clicks / p.impressions : 0, cartRate: p.impressions ? p.carts / p.impressions : 0 })),
    };
  }

  /** The model card for staff: what it uses, what it optimises, how it explores, how it is doing. */
  async modelCard() {
    await this.flush();
    const since = this.deps.clock.now() - 86_400_000;
    const rows = await this.deps.store.summary(since);
    const segment = (personalised: boolean) => {
      const r = rows.find((x) => x.personalised === personalised) ?? { impressions: 0, clicks: 0, carts: 0, purchases: 0, explored: 0 };
      const rate = (n: number) => (r.impressions ? n / r.impressions : 0);
      return { impressions: r.impressions, ctr: rate(r.clicks), cartRate: rate(r.carts), purchaseRate: rate(r.purchases), explorationShare: rate(r.explored) };
    };
    return {
      model: MODEL_ID,
      version: this.#main.bandit.version,
      kind: this.options.kind,
      alpha: this.options.alpha,
      epsilon: this.options.epsilon,
      updates: this.#main.bandit.updates,
      lastUpdateAt: this.#main.lastUpdateAt,
      objective:
        'reward 1 for a click, add-to-cart, purchase or like on a shown item, 0 for dislike or not interested' +
        (this.options.rewardWaitMs > 0 ? `, and 0 for an item that drew no feedback within ${this.options.rewardWaitMs / 1000} s of being shown (the reward wait)` : '') +
        '; maximise expected reward per impression',
      features: this.space.specs.map((f) => ({ name: f.name, group: f.group, personal: f.group === 'behaviour' || f.group === 'profile' })),
      learning:
        'rank-one (Sherman–Morrison) update per feedback' +
        (this.options.rewardWaitMs > 0 ? ' and per shown item whose reward wait ended without any' : '') +
        ', only from viewers with the model-improvement consent; snapshot every ' +
        this.options.snapshotEvery +
        ' updates plus the updates since',
      prior: PRIOR_WEIGHTS,
      nonPersonalised: { version: NON_PERSONALISED_VERSION, weights: NON_PERSONALISED_WEIGHTS, diversityPenalty: DIVERSITY_PENALTY },
      quality: { window: 'last 24 hours', personalised: segment(true), nonPersonalised: segment(false) },
      offlineEvaluation: 'export the decision log (GET /api/v1/compliance/recommendations/decisions.csv) and run `qingliu evaluate --data DIR`',
    };
  }

  /**
   * The decision log as CSV for `qingliu evaluate`: decision_id, timestamp, item_id, position
   * (1-based), click, propensity_score, then the non-personal features. No viewer identity.
   */
  async exportDecisions(from: number, until: number): Promise<string> {
    await this.flush();
    const features = this.space.names.filter((_, i) => !this.space.personal[i]);
    const lines = [['decision_id', 'timestamp', 'item_id', 'position', 'click', 'propensity_score', ...features].join(',')];
    let after: { createdAt: number; id: string } | undefined;
    for (;;) {
      const page = await this.deps.store.decisionsBetween(from, until, 1000, after);
      for (const d of page) {
        lines.push(
          [d.id, new Date(d.createdAt).toISOString(), d.productId, d.position + 1, d.clicked ? 1 : 0, d.propensity, ...features.map((f) => d.context[f] ?? 0)].join(','),
        );
      }
      if (page.length < 1000) break;
      const last = page[page.length - 1]!;
      after = { createdAt: last.createdAt, id: last.id };
    }
    return `${lines.join('\r\n')}\r\n`;
  }

  /** Room activity with no viewer identity (likes, add-to-cart, orders): anonymous popularity. */
  noteActivity(sessionId: string, productId: string, kind: keyof typeof POPULARITY_WEIGHT, quantity = 1): void {
    this.popularity.note(sessionId, productId, POPULARITY_WEIGHT[kind] * quantity, this.deps.clock.now());
  }

  /** A consenting viewer's stored behaviour event (the viewer-events module calls this). */
  noteBehaviour(subject: string, event: { type: string; productId: string | null; category: string | undefined; at: number }): void {
    if (event.productId === null) return;
    this.behaviour.note(subject, { type: event.type, productId: event.productId, category: event.category, at: event.at });
  }

  /** Withdrawal or erasure: nothing of the viewer stays in memory. */
  forgetViewer(subject: string): void {
    this.behaviour.forget(subject);
  }

  /** The re-ranker's group of a product (its category or price band). */
  #groupOf(room: RoomView, productId: string): string {
    const a = room.audit.get(productId);
    if (!a) return 'unknown';
    return this.options.fairRerank.grouping === 'price_band' ? priceBandOf(a.priceFen) : a.category;
  }

  /**
   * Re-ranks a ranked list to k for fair exposure (or holds it out, at random), records what it
   * served in the show's ledger. A changed list's items keep the propensity of their pick before
   * re-ranking, which no longer describes the policy: the evaluation export leaves such lists out.
   */
  #rerank(sessionId: string, room: RoomView, ranked: Picked[], k: number): { items: Picked[]; rerank: RerankState } {
    const options = this.options.fairRerank;
    let ledger = this.#ledgers.get(sessionId);
    if (!ledger) {
      if (this.#ledgers.size >= 1_000) this.#ledgers.delete(this.#ledgers.keys().next().value as string);
      ledger = { exposure: new Map(), impressions: new Map(), clicks: new Map() };
      this.#ledgers.set(sessionId, ledger);
    }
    let items = ranked.slice(0, k);
    let state: RerankState = 'holdout';
    if (randomIdBytes(1)[0]! >= options.holdout * 256) {
      const offered = new Map<string, number>();
      for (const c of room.candidates) {
        const g = this.#groupOf(room, c.product.id);
        offered.set(g, (offered.get(g) ?? 0) + 1);
      }
      const r = fairRerank(
        ranked.map((p) => ({ group: this.#groupOf(room, p.productId) })),
        k,
        ledger,
        offered,
        { ...FAIR_RERANK_DEFAULTS, band: options.band },
      );
      state = r.changed ? 'changed' : 'kept';
      if (r.changed) {
        items = r.order.map((i, slot) => {
          const p = ranked[i]!;
          if (i === slot) return p;
          const moved = i > slot ? movedReasons(p.reasons) : p.reasons;
          return { ...p, position: slot, reasons: moved };
        });
      }
    }
    items.forEach((p, slot) => {
      const g = this.#groupOf(room, p.productId);
      ledger.exposure.set(g, (ledger.exposure.get(g) ?? 0) + positionExposure(slot + 1));
      ledger.impressions.set(g, (ledger.impressions.get(g) ?? 0) + 1);
    });
    return { items, rerank: state };
  }

  #noteClick(sessionId: string, record: Pick<DecisionRecord, 'priceFen' | 'category'>): void {
    const ledger = this.#ledgers.get(sessionId);
    if (!ledger) return;
    const g = this.options.fairRerank.grouping === 'price_band' ? (record.priceFen !== undefined ? priceBandOf(record.priceFen) : 'unknown') : (record.category ?? 'unknown');
    ledger.clicks.set(g, (ledger.clicks.get(g) ?? 0) + 1);
  }

  /**
   * The viewer's label for this show: HMAC-SHA-256 of the device id under the show's key, 96 bits.
   * The key lives in this process only and is never written; a node that restarts, or a second
   * node, labels the same viewer differently (the audit then counts them as two units).
   */
  #showViewer(sessionId: string, deviceId: string): string {
    let key = this.#showKeys.get(sessionId);
    if (!key) {
      if (this.#showKeys.size >= 1_000) this.#showKeys.delete(this.#showKeys.keys().next().value as string);
      key = randomBytes(32);
      this.#showKeys.set(sessionId, key);
    }
    return createHmac('sha256', key).update(deviceId).digest('base64url').slice(0, 16);
  }

  /** The show ended: its key is forgotten, so its labels lead to no one; its exposure ledger goes too. */
  forgetShow(sessionId: string): void {
    this.#showKeys.delete(sessionId);
    this.#ledgers.delete(sessionId);
  }

  /**
   * The bus was down: showcase changes and withdrawal or erasure notices from other nodes may be
   * lost. Every room's view is rebuilt on its next request, and no viewer's in-session behaviour is
   * kept (it may belong to someone who withdrew or was erased meanwhile).
   */
  resync(): void {
    this.#rooms.clear();
    this.behaviour.forgetAll();
    // "Model learned" messages may have been lost too: read the other nodes' updates now.
    void this.syncModels();
  }

  /** A showcase change (pin, stock, flash sale …): the next request rebuilds the room's view. */
  invalidateRoom(sessionId: string): void {
    this.#rooms.delete(sessionId);
  }

  // ---- internals ----

  async #room(sessionId: string, now: number): Promise<RoomView | undefined> {
    const cached = this.#rooms.get(sessionId);
    if (cached && !(cached instanceof Promise) && now - cached.at < ROOM_VIEW_TTL_MS) return cached;
    if (cached instanceof Promise) return cached;
    if (!this.#watched.has(sessionId) && this.deps.watchRoom) {
      this.#watched.add(sessionId);
      this.deps.watchRoom(sessionId, () => this.invalidateRoom(sessionId));
    }
    const building = this.#buildRoom(sessionId, now);
    this.#rooms.set(sessionId, building);
    try {
      const view = await building;
      if (this.#rooms.get(sessionId) === building) {
        if (view) this.#rooms.set(sessionId, view);
        else this.#rooms.delete(sessionId);
      }
      return view;
    } catch (err) {
      if (this.#rooms.get(sessionId) === building) this.#rooms.delete(sessionId);
      throw err;
    }
  }

  async #buildRoom(sessionId: string, now: number): Promise<RoomView | undefined> {
    const room = await this.deps.rooms.roomState(sessionId, 0);
    if (!room) return undefined;
    const pop = this.popularity.snapshot(sessionId, now);
    const maxRecent = Math.max(1, ...pop.recent.values());
    const maxSession = Math.max(1, ...pop.session.values());
    const onSale = new Set(room.flashSales.filter((f) => f.endsAt > now).map((f) => f.productId));
    const pins = new Set(room.pins);
    const candidates = room.products
      .filter((p) => !p.soldOut)
      .map((p) => ({
        product: p,
        x: this.space.encode({
          ...productValues(p),
          'room.pinned': pins.has(p.id) ? 1 : 0,
          'room.pinned_recent': p.pinnedAt !== null ? pinnedRecency((now - p.pinnedAt) / 60_000) : 0,
          'room.flash_sale': onSale.has(p.id) ? 1 : 0,
          'room.popular_5m': (pop.recent.get(p.id) ?? 0) / maxRecent,
          'room.popular_session': (pop.session.get(p.id) ?? 0) / maxSession,
        }),
      }));
    const sale = new Map(room.flashSales.filter((f) => f.status === 'active' && f.endsAt > now).map((f) => [f.productId, f.priceFen]));
    const audit = new Map(room.products.map((p) => [p.id, { priceFen: sale.get(p.id) ?? p.priceFen, listPriceFen: p.listPriceFen, category: p.category }]));
    const contexts = new Map(candidates.map((c) => [c.product.id, this.#nonPersonalContext(c.x)]));
    return { brandId: room.session.brandId, status: room.session.status, startedAt: room.session.startedAt ?? null, at: now, candidates, audit, nonPersonalised: new Map(), contexts };
  }

  #nonPersonalisedCached(room: RoomView, k: number): Picked[] {
    let picks = room.nonPersonalised.get(k);
    if (!picks) {
      picks = this.#nonPersonalised(room.candidates, k).map((p) => ({ ...p, context: room.contexts.get(p.productId) ?? this.#nonPersonalContext(p.x) }));
      room.nonPersonalised.set(k, picks);
    }
    return picks;
  }

  #personalised(slot: ArmSlot, candidates: { product: ShowcaseProduct; x: Float64Array }[], k: number, epsilon = this.options.epsilon): Picked[] {
    const picks = selectSlate({
      candidates: candidates.map((c) => ({ id: c.product.id, x: c.x })),
      k: Math.min(k, candidates.length),
      bandit: slot.scorer,
      epsilon,
      rng: slot.rng,
    });
    const mu = meanVector(
      candidates.map((c) => c.x),
      this.space.dim,
    );
    const byId = new Map(candidates.map((c) => [c.product.id, c]));
    return picks.map((pick) => {
      const x = byId.get(pick.id)!.x;
      const explanation = slot.explain(this.space, x, mu, pick);
      return {
        productId: pick.id,
        position: pick.position,
        propensity: pick.propensity,
        x,
        category: byId.get(pick.id)!.product.category,
        explanation,
        reasons: { zh: topReasons(explanation, this.space, 'zh-CN', mu), en: topReasons(explanation, this.space, 'en', mu) },
      };
    });
  }

  /** Room signals with published weights, then diversity: exact explanations, propensity 1. */
  #nonPersonalised(candidates: readonly { product: ShowcaseProduct; x: Float64Array }[], k: number): Picked[] {
    const theta = this.#nonPersonalisedTheta;
    const mu = meanVector(
      candidates.map((c) => c.x),
      this.space.dim,
    );
    const base = dot(theta, mu);
    const shownPerCategory = new Map<string, number>();
    const remaining = [...candidates];
    const out: Picked[] = [];
    for (let position = 0; position < k && remaining.length > 0; position++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let i = 0; i < remaining.length; i++) {
        const c = remaining[i]!;
        const score = dot(theta, c.x) - DIVERSITY_PENALTY * (shownPerCategory.get(c.product.category) ?? 0);
        if (score > bestScore || (score === bestScore && c.product.position < remaining[best]!.product.position)) {
          best = i;
          bestScore = score;
        }
      }
      const chosen = remaining.splice(best, 1)[0]!;
      const same = shownPerCategory.get(chosen.product.category) ?? 0;
      shownPerCategory.set(chosen.product.category, same + 1);
      const contributions: Explanation['contributions'] = [];
      for (let i = 0; i < this.space.dim; i++) {
        const phi = theta[i]! * (chosen.x[i]! - mu[i]!);
        if (phi !== 0) contributions.push({ feature: this.space.names[i]!, value: chosen.x[i]!, phi });
      }
      if (same > 0) contributions.push({ feature: 'diversity', value: same, phi: -DIVERSITY_PENALTY * same });
      contributions.sort((a, b) => Math.abs(b.phi) - Math.abs(a.phi));
      const explanation: Explanation = {
        score: bestScore,
        base,
        contributions,
        exploration: { active: false, bonus: 0 },
        modelVersion: NON_PERSONALISED_VERSION,
      };
      const reasons = {
        zh: topReasons(explanation, this.space, 'zh-CN', mu),
        en: topReasons(explanation, this.space, 'en', mu),
      };
      if (position > 0 && same === 0 && reasons.zh.length === 0) {
        reasons.zh.push(DIVERSITY_REASON.zh);
        reasons.en.push(DIVERSITY_REASON.en);
      }
      out.push({ productId: chosen.product.id, position, propensity: 1, x: chosen.x, explanation, reasons });
    }
    return out;
  }

  #nonPersonalContext(x: Float64Array): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.space.dim; i++) if (!this.space.personal[i] && x[i] !== 0) out[this.space.names[i]!] = x[i]!;
    return out;
  }

  /**
   * Learns the default reward for every decision whose reward wait has ended without feedback
   * (the recommender's timer calls this; tests may too). Consent to model improvement is asked again
   * now, once per viewer: a withdrawal or an erasure since the decision is honoured. Resolves to the
   * number of decisions learnt.
   */
  settleRewards(): Promise<number> {
    if (this.#settling) return this.#settling;
    const now = this.deps.clock.now();
    if (!this.#live.hasDue(now, MAX_AWAITING)) return Promise.resolve(0);
    const due = this.#live.due(now, MAX_AWAITING);
    const settling = this.#settle(due, now)
      .catch((err: unknown) => {
        this.deps.onError?.(err);
        return 0;
      })
      .finally(() => {
        this.#settling = undefined;
      });
    this.#settling = settling;
    return settling;
  }

  async #settle(due: readonly DueReward[], now: number): Promise<number> {
    const verdicts = new Map<string, Promise<boolean>>();
    let learnt = 0;
    for (let i = 0; i < due.length; i++) {
      // A long batch (a busy minute's decisions come due together when requests resume after a
      // pause) yields to the event loop between slices: settled in one go, 50,000 took ~400 ms, and
      // every request waited behind it (the overload guard then refused them).
      if (i > 0 && i % SETTLE_SLICE === 0) await nextTurn();
      const entry = due[i]!;
      if (!this.#live.awaitsReward(entry.row, entry.seq)) continue;
      const key = `${entry.brandId}\u0000${entry.deviceId}`;
      let allowed = verdicts.get(key);
      if (!allowed) {
        allowed = this.deps.consent.allows(entry.deviceId, entry.brandId, 'model_improvement').catch((err: unknown) => {
          this.deps.onError?.(err);
          return false;
        });
        verdicts.set(key, allowed);
      }
      // Withdrawn, or feedback came while consent was read.
      if (!(await allowed) || !this.#live.awaitsReward(entry.row, entry.seq)) continue;
      const live = this.#live.at(entry.row, entry.seq)!;
      this.#live.markDefaulted(entry.row);
      const sessionId = live.facts.sessionId;
      this.#meter.span('learn', () => live.model.learn(live.x, DEFAULT_REWARD, now, this.#live.interestDelta(entry.row, DEFAULT_REWARD)), sessionId);
      this.#meter.count('learn', 1, sessionId);
      learnt++;
    }
    return learnt;
  }

}

function withPrior(bandit: LinearBandit, space: FeatureSpace, weights: Readonly<Record<string, number>>): LinearBandit {
  const s = bandit.snapshot();
  for (const [name, w] of Object.entries(weights)) s.b[space.indexOf(name)] = bandit.lambda * w;
  return LinearBandit.restore(s);
}

function productValues(p: ShowcaseProduct): Record<string, number> {
  const values: Record<string, number> = {};
  if ((PRODUCT_CATEGORIES as readonly string[]).includes(p.category)) values[categoryFeature(p.category as (typeof PRODUCT_CATEGORIES)[number])] = 1;
  values[priceBandFeature(priceBandOf(p.priceFen))] = 1;
  values['product.on_sale'] = p.listPriceFen > p.priceFen ? 1 : 0;
  values['product.stock_low'] = p.stock > 0 && p.stock <= 10 ? 1 : 0;
  return values;
}

/** ¥0–99, ¥100–399, ¥400+. */
export function priceBandOf(priceFen: number): PriceBand {
  if (priceFen < 10_000) return 'low';
  if (priceFen < 40_000) return 'mid';
  return 'high';
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The stored model id of an experiment's arm. */
export function armModelId(experimentId: string, arm: string): string {
  return `experiment:${experimentId}:${arm}`;
}

/** A seed for an arm's exploration draws: the recommender's seed mixed with the arm's model id (FNV-1a). */
function hashSeed(seed: number, id: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
