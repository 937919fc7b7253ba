/**
 * The heavier model as an experiment arm: a persisted, versioned multi-layer perceptron that ranks
 * by its logit (exploring by ε only: it has no confidence bonus), explains by gradient × input,
 * and learns online by one Adam step per feedback. Persisted and replicated as ModelSlot persists a
 * bandit: every step recorded under its node, a snapshot every `snapshotEvery` steps with the steps
 * it holds, so the latest snapshot plus the steps it does not hold gives back the same network.
 *
 * Unlike the bandit's sums, Adam steps do not commute: two nodes that hold the same steps, applied
 * in different orders (each applies its own at once and the others' when it reads them), hold
 * networks that differ by the order — a little, since every step moves each weight by about the
 * learning rate, and only the steps of the last second or so are ordered differently. The arm is
 * measured by its outcomes, not by bit-identical weights; a node that restores starts from the
 * snapshotting node's order. (A single learner publishing versions would agree exactly, at the cost
 * of a leader and of staler models on the other nodes; see docs/architecture.md.)
 *
 * It starts cold — seeded He initialisation, the output bias at the logit of a 5 % click rate — and
 * learns only from its own arm's feedback, which is what an experiment of it measures.
 */
import { Rng } from '../../shared/rng.js';
import { explainMlp, MlpRanker, scoreOnly, type Explanation, type FeatureSpace, type MlpSnapshot, type SlateScorer } from './model/index.js';
import { ReplicatedSlot, type ReplicationOptions } from './model-slot.js';
import type { RecommenderStore } from './ports.js';

/** One online step: Adam's default step size, a light L2 penalty. */
export const MLP_ONLINE = Object.freeze({ learningRate: 1e-3, weightDecay: 1e-4 });
export const MLP_ARM_HIDDEN: readonly number[] = Object.freeze([64, 32]);
/** The output bias a cold arm starts from: the logit of a 5 % click rate. */
const PRIOR_LOGIT = Math.log(0.05 / 0.95);

export class MlpSlot extends ReplicatedSlot<MlpRanker> {
  readonly kind = 'mlp' as const;
  readonly scorer: SlateScorer;

  constructor(
    id: string,
    dim: number,
    seed: number,
    /** The ε draws of slates ranked by this model (seeded: reproducible). */
    readonly rng: Rng,
    store: RecommenderStore,
    snapshotEvery: number,
    onError?: (err: unknown) => void,
    replication: ReplicationOptions = {},
  ) {
    super(id, new MlpRanker({ dim, hidden: MLP_ARM_HIDDEN, seed, outputBias: PRIOR_LOGIT, version: id }), store, snapshotEvery, onError, replication);
    this.scorer = scoreOnly({ logit: (x) => this.current.logit(x) });
  }

  get model(): MlpRanker {
    return this.current;
  }

  get version(): string {
    return this.current.version;
  }

  explain(space: FeatureSpace, x: Float64Array, background: Float64Array, pick: { explored: boolean; bonus: number }): Explanation {
    return explainMlp(this.current, space, x, background, pick);
  }

  protected step(model: MlpRanker, x: Float64Array, reward: number): void {
    model.update(x, reward, MLP_ONLINE);
  }

  protected countOf(model: MlpRanker): number {
    return model.steps;
  }

  protected snapshotOf(model: MlpRanker) {
    const s = model.snapshot();
    return { version: s.version, updates: s.steps, state: s };
  }

  protected fromSnapshot(state: unknown): MlpRanker {
    return MlpRanker.restore(state as MlpSnapshot);
  }
}
