/**
 * One persisted, versioned model, learnt on every node at once: the production bandit, or the model
 * of an experiment's arm. See docs/architecture.md, "Learning on many nodes".
 *
 * - Each node (each RecommenderService) has a random node id. An update it learns is applied at
 *   once and stored as (model, node, seq, x, reward), `seq` counting that node's own updates of the
 *   model from 1; the (model, node, seq) key stores it exactly once (a retried append is a no-op).
 * - The model's state is, for every origin node, all of its updates up to a cursor: the version
 *   vector {node: last seq held}. `sync()` reads every other node's rows after its cursor and
 *   applies them in (node, seq) order; it runs every second, and at once when the bus says another
 *   node stored updates (told after each append commits, coalesced to one message per ~100 ms).
 * - The bandit's statistics are sums (A = λI + Σxxᵀ, b = Σrx), so the order updates arrive in does
 *   not matter beyond rounding: nodes that hold the same set of updates have the same model. (The
 *   MLP is order-dependent: see mlp-slot.ts.)
 * - A snapshot is written every `snapshotEvery` updates with its vector; restoring is the latest
 *   snapshot plus every row it does not hold. Rows the latest snapshot holds are deleted once older
 *   than `pruneAfterMs` (an hour), so a node that is slow to read never finds them gone.
 *
 * - The model's age-band counts (context.ts `AgeBandCounts`, the feature `profile.age_band_popular`)
 *   are part of its state: an update carries its item's part in them, the snapshot holds them, so
 *   every node that holds the same updates holds the same counts and a restart restores them.
 *
 * Own updates wait in order in memory until stored: a failed append is retried with the next learn
 * or sync, and a snapshot is saved only after every own update it holds.
 */
import { randomBytes } from 'node:crypto';
import { Rng } from '../../shared/rng.js';
import { explain, LinearBandit, type BanditSnapshot, type Explanation, type FeatureSpace, type SlateScorer } from './model/index.js';
import { AgeBandCounts } from './context.js';
import { LEGACY_NODE, type InterestDelta, type ModelLearned, type ModelLearnedChannel, type ModelUpdateRecord, type RecommenderStore, type SnapshotRecord } from './ports.js';

/** Stored updates are deleted (when a snapshot holds them) only after this long: every live node has read them by then. */
export const PRUNE_AFTER_MS = 3_600_000;
/** Own updates not yet stored (the database refusing them): beyond this many, the oldest are given up. */
const MAX_UNSTORED = 10_000;
/** At most this many own updates are stored in one transaction. */
const STORE_BATCH = 1_000;
/** Restoring retries when a row it needs was pruned between reading the snapshot and the rows. */
const RESTORE_ATTEMPTS = 3;

/** How a slot takes part in replication. */
export interface ReplicationOptions {
  /** This node's id (default: a random one, i.e. a node of its own). */
  node?: string;
  /** Called each time an own update of the model is stored (to tell the other nodes). */
  onStored?: (model: string) => void;
  /** Default PRUNE_AFTER_MS. */
  pruneAfterMs?: number;
  /**
   * The state the slot starts from is not reproducible from its id (a bandit arm copies the
   * production model as it is now): it is stored as the model's first snapshot unless one exists,
   * and every node starts from the stored one.
   */
  sharedStart?: boolean;
}

type Unstored = { kind: 'update'; update: ModelUpdateRecord } | { kind: 'snapshot'; record: SnapshotRecord };

/** Some updates of a node were pruned before this node read them (it was unable to read for a long time). */
export class ModelReplicationGap extends Error {
  constructor(model: string, node: string, expected: number, found: number) {
    super(`model ${model}: updates ${expected}–${found - 1} of node ${node} were pruned before this node read them; it holds the rest (a restart restores the latest snapshot)`);
    this.name = 'ModelReplicationGap';
  }
}

export function randomNodeId(): string {
  return randomBytes(8).toString('hex');
}

/** The replicated log of one model; a subclass says how its model learns and snapshots. */
export abstract class ReplicatedSlot<M> {
  readonly node: string;
  #model: M;
  #ageBand = new AgeBandCounts();
  /** The version vector: per origin node, the last of its updates the model holds. */
  readonly #cursor = new Map<string, number>();
  #snapshotAt = 0;
  #lastUpdateAt: number | null = null;
  readonly #unstored: Unstored[] = [];
  #storing = false;
  #persisting: Promise<void> = Promise.resolve();
  #syncing: Promise<number> | undefined;
  #syncAgain = false;
  #closed = false;
  readonly #pruneAfterMs: number;

  protected constructor(
    readonly id: string,
    initial: M,
    protected readonly store: RecommenderStore,
    private readonly snapshotEvery: number,
    private readonly onError: ((err: unknown) => void) | undefined,
    private readonly replication: ReplicationOptions,
  ) {
    this.#model = initial;
    this.node = replication.node ?? randomNodeId();
    this.#pruneAfterMs = replication.pruneAfterMs ?? PRUNE_AFTER_MS;
  }

  /** One learning step of the model. */
  protected abstract step(model: M, x: Float64Array, reward: number): void;
  /** How many updates the model holds in all. */
  protected abstract countOf(model: M): number;
  /** The model's state as a JSON object (the slot adds the age-band counts to it). */
  protected abstract snapshotOf(model: M): { version: string; updates: number; state: object };
  protected abstract fromSnapshot(state: unknown): M;

  protected get current(): M {
    return this.#model;
  }

  /** What parents of each declared child age band chose, as learnt with this model. */
  get ageBand(): AgeBandCounts {
    return this.#ageBand;
  }

  /** A slot that starts as a copy of another model starts with its age-band counts too (before restore). */
  startAgeBandFrom(counts: AgeBandCounts): void {
    this.#ageBand = AgeBandCounts.fromJSON(counts.toJSON());
  }

  get updates(): number {
    return this.countOf(this.#model);
  }

  /** When the model last learnt (its own feedback, or another node's as that node recorded it). */
  get lastUpdateAt(): number | null {
    return this.#lastUpdateAt;
  }

  /** Which updates the model holds: {node: last seq}. */
  get vector(): Record<string, number> {
    return Object.fromEntries([...this.#cursor].filter(([, seq]) => seq > 0));
  }

  /** Own updates and snapshots learnt but not stored yet (a count of rows, read on every request: no scan). */
  get unstoredRows(): number {
    return this.#unstored.length;
  }

  /** Own updates learnt but not stored yet. */
  get unstored(): number {
    return this.#unstored.filter((u) => u.kind === 'update').length;
  }

  /** Loads the latest snapshot plus every update it does not hold; false when nothing was ever stored. */
  async restore(): Promise<boolean> {
    let snap = await this.store.latestSnapshot(this.id);
    const found = snap !== undefined;
    if (!snap && this.replication.sharedStart) {
      // The first node to store a start wins (the version is the key); all then read the same one.
      const s = this.#snapshot();
      await this.store.saveSnapshot({ version: `${this.id}:start`, model: this.id, updates: s.updates, snapshot: s.json, createdAt: 0, vector: {} });
      snap = await this.store.latestSnapshot(this.id);
    }
    for (let attempt = 1; ; attempt++) {
      const vector = snap?.vector ?? {};
      const rows = await this.store.updatesSince(this.id, vector);
      const gap = firstGap(this.id, rows, vector);
      if (gap && attempt < RESTORE_ATTEMPTS) {
        // A newer snapshot was saved and the rows it holds pruned meanwhile: start from it.
        snap = await this.store.latestSnapshot(this.id);
        continue;
      }
      if (gap) this.onError?.(gap);
      if (snap) {
        const state = JSON.parse(snap.snapshot) as { ageBand?: unknown };
        this.#model = this.fromSnapshot(state);
        // Snapshots from before the counts were kept hold none: the feature starts from the average.
        this.#ageBand = AgeBandCounts.fromJSON(state.ageBand);
      }
      this.#cursor.clear();
      for (const [node, seq] of Object.entries(vector)) this.#cursor.set(node, seq);
      if (snap && snap.createdAt > 0) this.#lastUpdateAt = snap.createdAt;
      this.#apply(rows, false);
      this.#snapshotAt = snap?.updates ?? 0;
      return found || rows.length > 0;
    }
  }

  /** One update learnt here: applied at once; stored (and snapshotted when due) in order, off the caller's path. */
  learn(x: Float64Array, reward: number, at: number, interest?: InterestDelta): void {
    this.step(this.#model, x, reward);
    if (interest) this.#ageBand.add(interest);
    this.#lastUpdateAt = at;
    const seq = (this.#cursor.get(this.node) ?? 0) + 1;
    this.#cursor.set(this.node, seq);
    this.#unstored.push({ kind: 'update', update: { node: this.node, seq, x: plainCopy(x), reward, createdAt: at, ...(interest ? { interest } : {}) } });
    if (this.updates - this.#snapshotAt >= this.snapshotEvery) {
      const s = this.#snapshot();
      this.#unstored.push({ kind: 'snapshot', record: { version: s.version, model: this.id, updates: s.updates, snapshot: s.json, createdAt: at, vector: this.vector } });
      this.#snapshotAt = s.updates;
    }
    if (this.#unstored.length > MAX_UNSTORED) {
      const dropped = this.#unstored.splice(0, this.#unstored.length - MAX_UNSTORED);
      this.onError?.(new Error(`model ${this.id}: ${dropped.length} unstored update(s) given up; the other nodes will not learn them`));
    }
    void this.#store();
  }

  /**
   * Reads and applies what the other nodes learnt since the last read (and retries storing own
   * updates the database refused). Concurrent calls share one read; a call during a read makes
   * another follow it. Resolves to the number of updates applied.
   */
  sync(): Promise<number> {
    if (this.#unstored.length > 0) void this.#store();
    if (this.#closed) return Promise.resolve(0);
    if (this.#syncing) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    const run = async () => {
      let applied = 0;
      do {
        this.#syncAgain = false;
        const others = Object.fromEntries([...this.#cursor].filter(([node]) => node !== this.node));
        applied += this.#apply(await this.store.updatesSince(this.id, others, this.node), true);
      } while (this.#syncAgain && !this.#closed);
      return applied;
    };
    const syncing = run().finally(() => {
      if (this.#syncing === syncing) this.#syncing = undefined;
    });
    this.#syncing = syncing;
    return syncing;
  }

  /** Resolves once every update learnt so far is stored (or its storing failed and was reported). */
  settled(): Promise<void> {
    return this.#persisting;
  }

  /** No more reads; waits for the running one and tries once more to store what is unstored. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#syncing?.catch(() => undefined);
    await this.#persisting;
    if (this.#unstored.length > 0) await this.#store();
  }

  #apply(rows: readonly ModelUpdateRecord[], reportGaps: boolean): number {
    let applied = 0;
    for (const r of rows) {
      const held = this.#cursor.get(r.node) ?? 0;
      if (r.seq <= held) continue;
      if (reportGaps && r.seq !== held + 1 && r.node !== LEGACY_NODE) this.onError?.(new ModelReplicationGap(this.id, r.node, held + 1, r.seq));
      this.step(this.#model, Float64Array.from(r.x), r.reward);
      if (r.interest) this.#ageBand.add(r.interest);
      this.#cursor.set(r.node, r.seq);
      if (this.#lastUpdateAt === null || r.createdAt > this.#lastUpdateAt) this.#lastUpdateAt = r.createdAt;
      applied++;
    }
    return applied;
  }

  /** The model's snapshot with the age-band counts it learnt with. */
  #snapshot(): { version: string; updates: number; json: string } {
    const s = this.snapshotOf(this.#model);
    return { version: s.version, updates: s.updates, json: JSON.stringify({ ...s.state, ageBand: this.#ageBand.toJSON() }) };
  }

  /** Stores the waiting updates and snapshots in order; stops at the first failure (retried later). */
  #store(): Promise<void> {
    if (this.#storing) return this.#persisting;
    this.#storing = true;
    this.#persisting = (async () => {
      try {
        while (this.#unstored.length > 0) {
          const next = this.#unstored[0]!;
          if (next.kind === 'update') {
            // The updates up to the next snapshot go in one transaction (a reward per shown item
            // under the reward wait is thousands a second on a busy node: one commit each would not keep up).
            let n = 1;
            while (n < this.#unstored.length && n < STORE_BATCH && this.#unstored[n]!.kind === 'update') n++;
            const batch = this.#unstored.slice(0, n).flatMap((u) => (u.kind === 'update' ? [u.update] : []));
            await this.store.appendUpdates(this.id, batch);
            this.#unstored.splice(0, n);
            this.replication.onStored?.(this.id);
          } else {
            await this.store.saveSnapshot(next.record);
            this.#unstored.shift();
            await this.#prune(next.record.createdAt);
          }
        }
      } catch (err) {
        this.onError?.(err);
      } finally {
        this.#storing = false;
      }
    })();
    return this.#persisting;
  }

  /** Deletes the update rows the latest snapshot holds, and earlier snapshots, older than the prune age (best effort). */
  async #prune(now: number): Promise<void> {
    try {
      const latest = await this.store.latestSnapshot(this.id);
      if (!latest) return;
      await this.store.pruneUpdates(this.id, latest.vector, now - this.#pruneAfterMs);
      // Earlier snapshots are superseded by the latest (restore reads only it): kept for the same
      // hour, then deleted, or a busy node's one a second would fill the disk.
      await this.store.pruneSnapshots(this.id, now - this.#pruneAfterMs);
    } catch (err) {
      this.onError?.(err);
    }
  }
}

/** The vector as a plain array (Array.from goes through the iterator protocol: several times slower). */
function plainCopy(x: Float64Array): number[] {
  const out = new Array<number>(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]!;
  return out;
}

/** The first row that does not follow its node's last held (or previous) seq; legacy rows never started at 1. */
function firstGap(model: string, rows: readonly ModelUpdateRecord[], vector: Readonly<Record<string, number>>): ModelReplicationGap | undefined {
  const last = new Map<string, number>();
  for (const r of rows) {
    const held = last.get(r.node) ?? vector[r.node] ?? 0;
    if (r.seq !== held + 1 && r.node !== LEGACY_NODE) return new ModelReplicationGap(model, r.node, held + 1, r.seq);
    last.set(r.node, r.seq);
  }
  return undefined;
}

/** A linear bandit learnt by rank-one (Sherman–Morrison) updates. */
export class ModelSlot extends ReplicatedSlot<LinearBandit> {
  readonly kind = 'bandit' as const;

  constructor(
    id: string,
    initial: LinearBandit,
    /** The exploration draws of slates ranked by this model (seeded: reproducible). */
    readonly rng: Rng,
    store: RecommenderStore,
    snapshotEvery: number,
    onError?: (err: unknown) => void,
    replication: ReplicationOptions = {},
  ) {
    super(id, initial, store, snapshotEvery, onError, replication);
  }

  get bandit(): LinearBandit {
    return this.current;
  }

  get scorer(): SlateScorer {
    return this.current;
  }

  get version(): string {
    return this.current.version;
  }

  /** The exact linear explanation of a pick (base + Σφ = score). */
  explain(space: FeatureSpace, x: Float64Array, background: Float64Array, pick: { explored: boolean; bonus: number }): Explanation {
    return explain(this.current, space, x, background, pick);
  }

  protected step(model: LinearBandit, x: Float64Array, reward: number): void {
    model.update(x, reward);
  }

  protected countOf(model: LinearBandit): number {
    return model.updates;
  }

  protected snapshotOf(model: LinearBandit) {
    const s = model.snapshot();
    return { version: s.version, updates: s.updates, state: s };
  }

  protected fromSnapshot(state: unknown): LinearBandit {
    return LinearBandit.restore(state as BanditSnapshot);
  }
}

/** The bus topic on which nodes say they stored updates of a model. */
export const MODEL_LEARNED_TOPIC = 'recommender.learned';

export interface ModelReplicationOptions {
  /** The bus; without one, only the poll brings other nodes' updates. */
  channel?: ModelLearnedChannel | undefined;
  /** The slots loaded on this node now. */
  slots: () => Iterable<ReplicatedSlot<unknown>>;
  onError?: ((err: unknown) => void) | undefined;
  /** Every slot reads the others' updates this often. Default 1 s. */
  pollMs?: number;
  /** At most one message per model per this long. Default 100 ms. */
  coalesceMs?: number;
  node?: string;
}

/**
 * A node's side of replication: its node id, the "model learned" messages it sends (coalesced) and
 * hears, and the poll that catches whatever the bus lost.
 */
export class ModelReplication {
  readonly node: string;
  readonly #pollMs: number;
  readonly #coalesceMs: number;
  #poll: NodeJS.Timeout | undefined;
  #window: NodeJS.Timeout | undefined;
  readonly #pending = new Set<string>();
  #unsubscribe: (() => void) | undefined;
  #failing = false;
  #stopped = false;

  constructor(private readonly options: ModelReplicationOptions) {
    this.node = options.node ?? randomNodeId();
    this.#pollMs = options.pollMs ?? 1000;
    this.#coalesceMs = options.coalesceMs ?? 100;
  }

  /** What each slot of this node is built with. */
  get slotOptions(): ReplicationOptions {
    return { node: this.node, onStored: (model) => this.#announce(model) };
  }

  start(): void {
    this.#stopped = false;
    this.#unsubscribe = this.options.channel?.subscribe((message) => this.#heard(message));
    this.#poll = setInterval(() => void this.syncAll(), this.#pollMs);
    this.#poll.unref();
  }

  /** Reads every loaded model's new updates from the other nodes now (after a bus outage, say). */
  async syncAll(): Promise<void> {
    if (this.#stopped) return;
    await Promise.all([...this.options.slots()].map((slot) => this.#sync(slot)));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#poll) clearInterval(this.#poll);
    if (this.#window) clearTimeout(this.#window);
    this.#window = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    // What was stored last is still told: the other nodes need not wait for their poll.
    this.#publish();
  }

  #sync(slot: ReplicatedSlot<unknown>): Promise<void> {
    return slot.sync().then(
      () => {
        this.#failing = false;
      },
      (err: unknown) => {
        // One report per outage, not one per second.
        if (!this.#failing) this.options.onError?.(err);
        this.#failing = true;
      },
    );
  }

  #heard(message: unknown): void {
    const m = message as Partial<ModelLearned> | null;
    if (this.#stopped || !m || m.type !== 'model_learned' || m.node === this.node || typeof m.model !== 'string') return;
    for (const slot of this.options.slots()) if (slot.id === m.model) void this.#sync(slot);
  }

  /** The first store in a quiet period is told at once; later ones within the window, at its end. */
  #announce(model: string): void {
    this.#pending.add(model);
    if (this.#window || this.#stopped) return;
    this.#publish();
    this.#openWindow();
  }

  #openWindow(): void {
    this.#window = setTimeout(() => {
      this.#window = undefined;
      if (this.#pending.size === 0) return;
      this.#publish();
      this.#openWindow();
    }, this.#coalesceMs);
    this.#window.unref();
  }

  #publish(): void {
    const channel = this.options.channel;
    const models = [...this.#pending];
    this.#pending.clear();
    if (!channel) return;
    // A lost message (the bus down) only delays the others until their next poll.
    for (const model of models) void channel.publish({ type: 'model_learned', node: this.node, model }).catch(() => undefined);
  }
}
