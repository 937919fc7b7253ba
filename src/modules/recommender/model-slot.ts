/**
 * One persisted, versioned bandit: the production model, or the model of an experiment's arm. It
 * learns by rank-one updates; every update is recorded, and a snapshot is written every
 * `snapshotEvery` updates (the updates it covers are then pruned), so restoring the latest snapshot
 * and replaying the updates since gives back exactly the same model.
 */
import { Rng } from '../../shared/rng.js';
import { explain, LinearBandit, type Explanation, type FeatureSpace, type SlateScorer } from './model/index.js';
import type { RecommenderStore } from './ports.js';

export class ModelSlot {
  #bandit: LinearBandit;
  #snapshotUpdates = 0;
  #lastUpdateAt: number | null = null;
  #persisting: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    initial: LinearBandit,
    /** The exploration draws of slates ranked by this model (seeded: reproducible). */
    readonly rng: Rng,
    private readonly store: RecommenderStore,
    private readonly snapshotEvery: number,
    private readonly onError?: (err: unknown) => void,
  ) {
    this.#bandit = initial;
  }

  get bandit(): LinearBandit {
    return this.#bandit;
  }

  readonly kind = 'bandit' as const;

  get scorer(): SlateScorer {
    return this.#bandit;
  }

  get version(): string {
    return this.#bandit.version;
  }

  get updates(): number {
    return this.#bandit.updates;
  }

  /** The exact linear explanation of a pick (base + Σφ = score). */
  explain(space: FeatureSpace, x: Float64Array, background: Float64Array, pick: { explored: boolean; bonus: number }): Explanation {
    return explain(this.#bandit, space, x, background, pick);
  }

  get lastUpdateAt(): number | null {
    return this.#lastUpdateAt;
  }

  /** Loads the latest snapshot plus every update since; false when nothing was ever stored. */
  async restore(): Promise<boolean> {
    const snap = await this.store.latestSnapshot(this.id);
    let bandit = this.#bandit;
    let seq = 0;
    if (snap) {
      bandit = LinearBandit.restore(JSON.parse(snap.snapshot));
      seq = snap.updates;
      this.#lastUpdateAt = snap.createdAt;
    }
    const updates = await this.store.updatesAfter(this.id, seq);
    for (const u of updates) {
      bandit.update(Float64Array.from(u.x), u.reward);
      seq = u.seq;
    }
    this.#bandit = bandit;
    this.#snapshotUpdates = snap?.updates ?? 0;
    return snap !== undefined || updates.length > 0;
  }

  /** One rank-one update, recorded (and snapshotted when due) in order, off the caller's path. */
  learn(x: Float64Array, reward: number, at: number): void {
    this.#bandit.update(x, reward);
    this.#lastUpdateAt = at;
    const seq = this.#bandit.updates;
    const snapshot = seq - this.#snapshotUpdates >= this.snapshotEvery ? this.#bandit.snapshot() : undefined;
    const vector = Array.from(x);
    this.#persisting = this.#persisting
      .then(async () => {
        await this.store.appendUpdate(this.id, seq, vector, reward, at);
        if (snapshot) {
          await this.store.saveSnapshot({ version: snapshot.version, model: this.id, updates: snapshot.updates, snapshot: JSON.stringify(snapshot), createdAt: at });
          await this.store.pruneUpdates(this.id, snapshot.updates);
        }
      })
      .catch((err) => this.onError?.(err));
    if (snapshot) this.#snapshotUpdates = snapshot.updates;
  }

  /** Resolves once every update so far is stored. */
  settled(): Promise<void> {
    return this.#persisting;
  }
}
