/**
 * The heavier model as an experiment arm: a persisted, versioned multi-layer perceptron that ranks
 * by its logit (exploring by ε only: it has no confidence bonus), explains by gradient × input,
 * and learns online by one Adam step per feedback. Persisted as ModelSlot persists a bandit: every
 * step recorded, a snapshot every `snapshotEvery` steps (the steps it covers then pruned), so the
 * latest snapshot plus the steps since gives back exactly the same network (Adam is deterministic).
 *
 * It starts cold — seeded He initialisation, the output bias at the logit of a 5 % click rate — and
 * learns only from its own arm's feedback, which is what an experiment of it measures.
 */
import { Rng } from '../../shared/rng.js';
import { explainMlp, MlpRanker, scoreOnly, type Explanation, type FeatureSpace, type SlateScorer } from './model/index.js';
import type { RecommenderStore } from './ports.js';

/** One online step: Adam's default step size, a light L2 penalty. */
export const MLP_ONLINE = Object.freeze({ learningRate: 1e-3, weightDecay: 1e-4 });
export const MLP_ARM_HIDDEN: readonly number[] = Object.freeze([64, 32]);
/** The output bias a cold arm starts from: the logit of a 5 % click rate. */
const PRIOR_LOGIT = Math.log(0.05 / 0.95);

export class MlpSlot {
  readonly kind = 'mlp' as const;
  #model: MlpRanker;
  #snapshotSteps = 0;
  #lastUpdateAt: number | null = null;
  #persisting: Promise<void> = Promise.resolve();
  readonly scorer: SlateScorer;

  constructor(
    readonly id: string,
    dim: number,
    seed: number,
    /** The ε draws of slates ranked by this model (seeded: reproducible). */
    readonly rng: Rng,
    private readonly store: RecommenderStore,
    private readonly snapshotEvery: number,
    private readonly onError?: (err: unknown) => void,
  ) {
    this.#model = new MlpRanker({ dim, hidden: MLP_ARM_HIDDEN, seed, outputBias: PRIOR_LOGIT, version: id });
    this.scorer = scoreOnly({ logit: (x) => this.#model.logit(x) });
  }

  get model(): MlpRanker {
    return this.#model;
  }

  get version(): string {
    return this.#model.version;
  }

  get updates(): number {
    return this.#model.steps;
  }

  get lastUpdateAt(): number | null {
    return this.#lastUpdateAt;
  }

  explain(space: FeatureSpace, x: Float64Array, background: Float64Array, pick: { explored: boolean; bonus: number }): Explanation {
    return explainMlp(this.#model, space, x, background, pick);
  }

  /** Loads the latest snapshot plus every step since; false when nothing was ever stored. */
  async restore(): Promise<boolean> {
    const snap = await this.store.latestSnapshot(this.id);
    let model = this.#model;
    let seq = 0;
    if (snap) {
      model = MlpRanker.restore(JSON.parse(snap.snapshot));
      seq = snap.updates;
      this.#lastUpdateAt = snap.createdAt;
    }
    const steps = await this.store.updatesAfter(this.id, seq);
    for (const u of steps) {
      model.update(Float64Array.from(u.x), u.reward, MLP_ONLINE);
      seq = u.seq;
    }
    this.#model = model;
    this.#snapshotSteps = snap?.updates ?? 0;
    return snap !== undefined || steps.length > 0;
  }

  /** One Adam step, recorded (and snapshotted when due) in order, off the caller's path. */
  learn(x: Float64Array, reward: number, at: number): void {
    this.#model.update(x, reward, MLP_ONLINE);
    this.#lastUpdateAt = at;
    const seq = this.#model.steps;
    const snapshot = seq - this.#snapshotSteps >= this.snapshotEvery ? this.#model.snapshot() : undefined;
    const vector = Array.from(x);
    this.#persisting = this.#persisting
      .then(async () => {
        await this.store.appendUpdate(this.id, seq, vector, reward, at);
        if (snapshot) {
          await this.store.saveSnapshot({ version: snapshot.version, model: this.id, updates: snapshot.steps, snapshot: JSON.stringify(snapshot), createdAt: at });
          await this.store.pruneUpdates(this.id, snapshot.steps);
        }
      })
      .catch((err) => this.onError?.(err));
    if (snapshot) this.#snapshotSteps = snapshot.steps;
  }

  settled(): Promise<void> {
    return this.#persisting;
  }
}
