/**
 * A small multi-layer perceptron click model: the heavier neural ranker the linear bandit is
 * compared with (quality, latency, energy per 1,000 recommendations). Pure and deterministic: every
 * random draw (He initialisation, the per-epoch shuffle) comes from the ranker's own seeded PRNG, so
 * the same seed and data give bit-identical weights on any machine.
 *
 *   h₀ = x,  hₗ = ReLU(Wₗᵀhₗ₋₁ + bₗ)  (hidden layers, default 64 and 32 units),
 *   z = w_outᵀh_L + b_out,  p̂ = σ(z)
 *   loss = (1/n) Σ [softplus(z) − y·z] + (λ/2) Σ ‖W‖²      (binary cross-entropy from the logit,
 *                                                           L2 on weights, not on biases)
 *   training: Adam (β₁ 0.9, β₂ 0.999, ε 1e-8, bias-corrected) on mini-batches, the order shuffled
 *   every epoch; `update` is one Adam step on a single example, for learning from live feedback.
 *
 * Every parameter lives in one flat Float64Array, layer after layer: the weights input-major
 * (W[i·out + j] joins input i to unit j) then the biases. A forward pass is a loop over the
 * non-zero inputs of each layer adding a contiguous row — one-hot features and inactive ReLUs cost
 * nothing — and a prediction allocates nothing. `flopsPerPrediction` is the dense count of
 * multiply-adds (Σ in·out), the model's nominal cost, so it compares like for like with a linear
 * scorer's d.
 */
import { Rng, type RngState } from '../../../shared/rng.js';

export const MLP_DEFAULTS = Object.freeze({
  hidden: Object.freeze([64, 32]) as readonly number[],
  batchSize: 32,
  learningRate: 1e-3,
  weightDecay: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
});

/** Predictions are clamped to [MLP_P_MIN, 1 − MLP_P_MIN], so a log loss of a prediction stays finite. */
export const MLP_P_MIN = 1e-12;

/** The largest network accepted (four buffers of this many doubles: 512 MiB). */
export const MLP_MAX_PARAMETERS = 2 ** 24;

export interface MlpOptions {
  /** Input dimension d. */
  dim: number;
  /** Units per hidden layer (ReLU). Default [64, 32]; [] is a logistic regression trained by Adam. */
  hidden?: readonly number[];
  /** Seeds the initialisation and the shuffles. Default 0. */
  seed?: number;
  /** Initial output bias, e.g. the logit of the base click rate so training starts at the prior. Default 0. */
  outputBias?: number;
  /** Model id; `version` is `${id}:${steps}`. Default 'mlp'. */
  version?: string;
}

export interface TrainOptions {
  /** Examples per Adam step. Default 32. */
  batchSize?: number;
  /** Adam step size. Default 1e-3. */
  learningRate?: number;
  /** λ of the L2 penalty (λ/2)·Σ‖W‖² on the weights (not the biases). Default 1e-4. */
  weightDecay?: number;
}

export interface FitOptions extends TrainOptions {
  /** Passes over the training data (a positive integer). */
  epochs: number;
  /** Held-out examples: their mean log loss is recorded after every epoch. */
  validation?: { xs: readonly Float64Array[]; ys: ArrayLike<number> };
  /** Stop after this many epochs without a lower validation loss (needs `validation`). */
  earlyStoppingPatience?: number;
  /** With `validation`, end with the weights (and Adam state) of the best validation epoch. Default true. */
  restoreBest?: boolean;
}

export interface FitHistory {
  /** Per epoch: the mean log loss of the training examples, each taken just before its mini-batch step. */
  train: number[];
  /** Per epoch: the mean log loss on the validation examples after the epoch ([] without validation). */
  validation: number[];
  /** Epochs run. */
  epochs: number;
  /** The 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  stoppedEarly: boolean;
}

/** The loss at the current parameters and its gradient, laid out like `parameters`. */
export interface MlpGradients {
  loss: number;
  gradient: Float64Array;
}

/** Plain JSON: everything needed to continue exactly where the ranker was. */
export interface MlpSnapshot {
  kind: 'mlp';
  dim: number;
  hidden: number[];
  seed: number;
  outputBias: number;
  id: string;
  /** The flat parameter buffer (see the file comment for the layout). */
  params: number[];
  /** Adam's first and second moment estimates, laid out like params. */
  adamM: number[];
  adamV: number[];
  /** Adam steps taken (t of the bias correction). */
  steps: number;
  rng: RngState;
  version: string;
}

interface Layer {
  readonly inputs: number;
  readonly units: number;
  /** Offset of W (inputs × units, input-major) in the parameter buffer; the biases follow it. */
  readonly weights: number;
  readonly biases: number;
  /** Offsets of this layer's input and output activations in the activation buffer. */
  readonly inAt: number;
  readonly outAt: number;
}

export class MlpRanker {
  readonly dim: number;
  readonly hidden: readonly number[];
  readonly seed: number;
  readonly outputBias: number;
  readonly id: string;
  readonly parameterCount: number;
  readonly flopsPerPrediction: number;
  readonly #layers: readonly Layer[];
  readonly #params: Float64Array;
  readonly #grad: Float64Array;
  readonly #m: Float64Array;
  readonly #v: Float64Array;
  readonly #acts: Float64Array; // input copy, then every layer's output (post-ReLU; the logit last)
  readonly #deltaA: Float64Array; // scratch: ∂loss/∂(pre-activation) of a layer
  readonly #deltaB: Float64Array;
  #steps = 0;
  #rng: Rng;

  constructor(options: MlpOptions) {
    const { dim, hidden = MLP_DEFAULTS.hidden, seed = 0, outputBias = 0 } = options;
    if (!Number.isSafeInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer (got ${String(dim)})`);
    if (!Array.isArray(hidden)) throw new RangeError('hidden must be an array of layer widths');
    hidden.forEach((h, i) => {
      if (!Number.isSafeInteger(h) || h < 1) throw new RangeError(`hidden[${i}] must be a positive integer (got ${String(h)})`);
    });
    if (!Number.isFinite(seed)) throw new RangeError('seed must be a finite number');
    if (!Number.isFinite(outputBias)) throw new RangeError('outputBias must be a finite number');
    this.dim = dim;
    this.hidden = Object.freeze([...hidden]);
    this.seed = seed;
    this.outputBias = outputBias;
    this.id = options.version ?? 'mlp';

    const sizes = [dim, ...hidden, 1];
    const layers: Layer[] = [];
    let p = 0;
    let a = 0;
    let flops = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const inputs = sizes[l]!;
      const units = sizes[l + 1]!;
      layers.push({ inputs, units, weights: p, biases: p + inputs * units, inAt: a, outAt: a + inputs });
      p += inputs * units + units;
      a += inputs;
      flops += inputs * units;
    }
    if (!Number.isSafeInteger(p) || p > MLP_MAX_PARAMETERS) throw new RangeError(`the network would have ${p} parameters; at most ${MLP_MAX_PARAMETERS} are supported`);
    this.#layers = layers;
    this.parameterCount = p;
    this.flopsPerPrediction = flops;
    this.#params = new Float64Array(p);
    this.#grad = new Float64Array(p);
    this.#m = new Float64Array(p);
    this.#v = new Float64Array(p);
    this.#acts = new Float64Array(a + 1);
    const widest = Math.max(...sizes);
    this.#deltaA = new Float64Array(widest);
    this.#deltaB = new Float64Array(widest);

    // He initialisation: W ~ N(0, 2/fan_in), layer after layer in buffer order; biases 0.
    this.#rng = new Rng(seed);
    for (const layer of layers) {
      const sd = Math.sqrt(2 / layer.inputs);
      const end = layer.weights + layer.inputs * layer.units;
      for (let k = layer.weights; k < end; k++) this.#params[k] = sd * this.#rng.normal();
    }
    this.#params[p - 1] = outputBias;
  }

  /** Layer widths from input to output: [dim, ...hidden, 1]. */
  get layerSizes(): readonly number[] {
    return [this.dim, ...this.hidden, 1];
  }

  /** Adam steps taken so far. */
  get steps(): number {
    return this.#steps;
  }

  /** Changes on every training step; explanations and logs carry it. */
  get version(): string {
    return `${this.id}:${this.#steps}`;
  }

  /** The flat parameter buffer (a read-only view: do not write to it). */
  get parameters(): Readonly<Float64Array> {
    return this.#params;
  }

  /** The logit z (ranks exactly like the probability, without saturating). */
  logit(x: Float64Array): number {
    this.#checkVector(x, 'x');
    return this.#forward(x);
  }

  /** The predicted click probability σ(z), clamped to [MLP_P_MIN, 1 − MLP_P_MIN]. */
  predict(x: Float64Array): number {
    this.#checkVector(x, 'x');
    return probability(this.#forward(x));
  }

  /** predict for every row, into `out` when given (its length must match). */
  predictBatch(xs: readonly Float64Array[], out?: Float64Array): Float64Array {
    this.#checkRows(xs, 'xs');
    const result = out ?? new Float64Array(xs.length);
    if (result.length !== xs.length) throw new RangeError(`out has length ${result.length}; xs has ${xs.length} rows`);
    for (let i = 0; i < xs.length; i++) result[i] = probability(this.#forward(xs[i]!));
    return result;
  }

  /**
   * ∂z/∂x: the gradient of the logit with respect to the input at x (back-propagated through the
   * active ReLUs), into `out` when given. Its product with (x − μ) is a first-order attribution
   * of z(x) − z(μ) to the features (gradient × input), used to explain the MLP's ranking.
   */
  inputGradient(x: Float64Array, out?: Float64Array): Float64Array {
    this.#checkVector(x, 'x');
    const result = out ?? new Float64Array(this.dim);
    if (result.length !== this.dim) throw new RangeError(`out has length ${result.length}; the input has ${this.dim} dimensions`);
    this.#forward(x);
    const P = this.#params;
    const acts = this.#acts;
    let delta = this.#deltaA;
    let below = this.#deltaB;
    delta[0] = 1;
    for (let l = this.#layers.length - 1; l >= 0; l--) {
      const { inputs, units, weights, inAt } = this.#layers[l]!;
      for (let i = 0; i < inputs; i++) {
        // Through a hidden unit only where its ReLU is active; every input gets its gradient.
        if (l > 0 && acts[inAt + i] === 0) {
          below[i] = 0;
          continue;
        }
        const row = weights + i * units;
        let back = 0;
        for (let j = 0; j < units; j++) back += P[row + j]! * delta[j]!;
        below[i] = back;
      }
      const t = delta;
      delta = below;
      below = t;
    }
    for (let i = 0; i < this.dim; i++) result[i] = delta[i]!;
    return result;
  }

  /** Mean binary cross-entropy of the predictions (no penalty term). */
  logLoss(xs: readonly Float64Array[], ys: ArrayLike<number>): number {
    this.#checkData(xs, ys);
    if (xs.length === 0) throw new RangeError('no examples to score');
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += crossEntropy(this.#forward(xs[i]!), ys[i]!);
    return sum / xs.length;
  }

  /**
   * The training objective at the current parameters — mean cross-entropy plus (λ/2)·Σ‖W‖² — and
   * its gradient by back-propagation (the code path training uses), for checks and diagnostics.
   */
  gradients(xs: readonly Float64Array[], ys: ArrayLike<number>, weightDecay = 0): MlpGradients {
    this.#checkData(xs, ys);
    if (xs.length === 0) throw new RangeError('no examples to differentiate over');
    checkDecay(weightDecay);
    this.#grad.fill(0);
    const scale = 1 / xs.length;
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += this.#accumulate(xs[i]!, ys[i]!, scale);
    const penalty = this.#addDecay(weightDecay);
    return { loss: sum * scale + penalty, gradient: Float64Array.from(this.#grad) };
  }

  /** One shuffled pass in mini-batches; returns the epoch's mean training log loss. */
  trainEpoch(xs: readonly Float64Array[], ys: ArrayLike<number>, options: TrainOptions = {}): number {
    this.#checkData(xs, ys);
    if (xs.length === 0) throw new RangeError('no training examples');
    const o = trainOptions(options);
    return this.#epoch(xs, ys, o, new Int32Array(xs.length));
  }

  /** Trains for `epochs` passes (fewer with early stopping) and returns the loss history. */
  fit(xs: readonly Float64Array[], ys: ArrayLike<number>, options: FitOptions): FitHistory {
    this.#checkData(xs, ys);
    if (xs.length === 0) throw new RangeError('no training examples');
    const o = trainOptions(options);
    const { epochs, validation, earlyStoppingPatience: patience, restoreBest = true } = options;
    if (!Number.isSafeInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer (got ${String(epochs)})`);
    if (patience !== undefined) {
      if (!Number.isSafeInteger(patience) || patience < 1) throw new RangeError(`earlyStoppingPatience must be a positive integer (got ${String(patience)})`);
      if (!validation) throw new RangeError('earlyStoppingPatience needs validation data');
    }
    if (validation) {
      this.#checkData(validation.xs, validation.ys, 'validation.xs', 'validation.ys');
      if (validation.xs.length === 0) throw new RangeError('validation data is empty');
    }
    const history: FitHistory = { train: [], validation: [], epochs: 0, bestEpoch: 0, stoppedEarly: false };
    const order = new Int32Array(xs.length);
    let best = Infinity;
    let saved: { params: Float64Array; m: Float64Array; v: Float64Array; steps: number } | undefined;
    for (let e = 1; e <= epochs; e++) {
      history.train.push(this.#epoch(xs, ys, o, order));
      history.epochs = e;
      if (!validation) {
        history.bestEpoch = e;
        continue;
      }
      let sum = 0;
      for (let i = 0; i < validation.xs.length; i++) sum += crossEntropy(this.#forward(validation.xs[i]!), validation.ys[i]!);
      const loss = sum / validation.xs.length;
      history.validation.push(loss);
      if (loss < best) {
        best = loss;
        history.bestEpoch = e;
        if (restoreBest && e < epochs) {
          if (!saved) saved = { params: new Float64Array(this.parameterCount), m: new Float64Array(this.parameterCount), v: new Float64Array(this.parameterCount), steps: 0 };
          saved.params.set(this.#params);
          saved.m.set(this.#m);
          saved.v.set(this.#v);
          saved.steps = this.#steps;
        }
      } else if (patience !== undefined && e - history.bestEpoch >= patience) {
        history.stoppedEarly = e < epochs;
        break;
      }
    }
    if (validation && restoreBest && history.bestEpoch < history.epochs && saved) {
      this.#params.set(saved.params);
      this.#m.set(saved.m);
      this.#v.set(saved.v);
      this.#steps = saved.steps;
    }
    return history;
  }

  /** One Adam step on a single observed example (online learning); returns its loss before the step. */
  update(x: Float64Array, y: number, options: Omit<TrainOptions, 'batchSize'> = {}): number {
    this.#checkVector(x, 'x');
    checkLabel(y, 'y');
    const o = trainOptions(options);
    this.#grad.fill(0);
    const loss = this.#accumulate(x, y, 1);
    this.#addDecay(o.weightDecay);
    this.#adam(o.learningRate);
    return loss;
  }

  snapshot(): MlpSnapshot {
    return {
      kind: 'mlp',
      dim: this.dim,
      hidden: [...this.hidden],
      seed: this.seed,
      outputBias: this.outputBias,
      id: this.id,
      params: Array.from(this.#params),
      adamM: Array.from(this.#m),
      adamV: Array.from(this.#v),
      steps: this.#steps,
      rng: this.#rng.state(),
      version: this.version,
    };
  }

  static restore(s: MlpSnapshot): MlpRanker {
    if (s.kind !== 'mlp') throw new RangeError(`not an MLP snapshot (kind ${JSON.stringify(s.kind)})`);
    const ranker = new MlpRanker({ dim: s.dim, hidden: s.hidden, seed: s.seed, outputBias: s.outputBias, version: s.id });
    const n = ranker.parameterCount;
    if (s.params.length !== n || s.adamM.length !== n || s.adamV.length !== n) throw new RangeError(`snapshot arrays do not match its architecture (${n} parameters)`);
    if (!Number.isSafeInteger(s.steps) || s.steps < 0) throw new RangeError('snapshot step count is invalid');
    for (const v of s.params) if (!Number.isFinite(v)) throw new RangeError('snapshot parameters are not finite');
    for (const v of s.adamM) if (!Number.isFinite(v)) throw new RangeError('snapshot Adam first moments are not finite');
    for (const v of s.adamV) if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError('snapshot Adam second moments must be finite and ≥ 0');
    ranker.#params.set(s.params);
    ranker.#m.set(s.adamM);
    ranker.#v.set(s.adamV);
    ranker.#steps = s.steps;
    ranker.#rng = Rng.fromState(s.rng);
    if (s.version !== ranker.version) throw new RangeError('snapshot version does not match its id and step count');
    return ranker;
  }

  /** The logit for x; leaves every layer's activations in #acts for back-propagation. */
  #forward(x: Float64Array): number {
    const P = this.#params;
    const acts = this.#acts;
    acts.set(x);
    const last = this.#layers.length - 1;
    for (let l = 0; l <= last; l++) {
      const { inputs, units, weights, biases, inAt, outAt } = this.#layers[l]!;
      for (let j = 0; j < units; j++) acts[outAt + j] = P[biases + j]!;
      for (let i = 0; i < inputs; i++) {
        const a = acts[inAt + i]!;
        if (a === 0) continue;
        const row = weights + i * units;
        for (let j = 0; j < units; j++) acts[outAt + j] = acts[outAt + j]! + a * P[row + j]!;
      }
      if (l < last) for (let j = 0; j < units; j++) if (!(acts[outAt + j]! > 0)) acts[outAt + j] = 0;
    }
    return acts[acts.length - 1]!;
  }

  /** Adds scale·∂loss(x, y)/∂θ to #grad; returns the example's loss. */
  #accumulate(x: Float64Array, y: number, scale: number): number {
    const z = this.#forward(x);
    const P = this.#params;
    const G = this.#grad;
    const acts = this.#acts;
    let delta = this.#deltaA;
    let below = this.#deltaB;
    delta[0] = (sigmoid(z) - y) * scale;
    for (let l = this.#layers.length - 1; l >= 0; l--) {
      const { inputs, units, weights, biases, inAt } = this.#layers[l]!;
      for (let j = 0; j < units; j++) G[biases + j] = G[biases + j]! + delta[j]!;
      if (l === 0) {
        // The input layer: W's gradient only, over the non-zero inputs.
        for (let i = 0; i < inputs; i++) {
          const a = acts[i]!;
          if (a === 0) continue;
          const row = weights + i * units;
          for (let j = 0; j < units; j++) G[row + j] = G[row + j]! + a * delta[j]!;
        }
        break;
      }
      for (let i = 0; i < inputs; i++) {
        const a = acts[inAt + i]!;
        // a = max(0, pre) = 0: an inactive ReLU adds nothing to W's gradient and, its derivative
        // being 0, passes nothing further down.
        if (a === 0) {
          below[i] = 0;
          continue;
        }
        const row = weights + i * units;
        let back = 0;
        for (let j = 0; j < units; j++) {
          const d = delta[j]!;
          G[row + j] = G[row + j]! + a * d;
          back += P[row + j]! * d;
        }
        below[i] = back;
      }
      const t = delta;
      delta = below;
      below = t;
    }
    return crossEntropy(z, y);
  }

  /** Adds λ·W to #grad; returns the penalty (λ/2)·Σ‖W‖². */
  #addDecay(lambda: number): number {
    if (lambda === 0) return 0;
    const P = this.#params;
    const G = this.#grad;
    let sq = 0;
    for (const { inputs, units, weights } of this.#layers) {
      const end = weights + inputs * units;
      for (let k = weights; k < end; k++) {
        const w = P[k]!;
        G[k] = G[k]! + lambda * w;
        sq += w * w;
      }
    }
    return 0.5 * lambda * sq;
  }

  #adam(learningRate: number): void {
    const { beta1, beta2, epsilon } = MLP_DEFAULTS;
    const t = ++this.#steps;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const P = this.#params;
    const G = this.#grad;
    const M = this.#m;
    const V = this.#v;
    for (let k = 0; k < P.length; k++) {
      const g = G[k]!;
      const m = beta1 * M[k]! + (1 - beta1) * g;
      const v = beta2 * V[k]! + (1 - beta2) * g * g;
      M[k] = m;
      V[k] = v;
      P[k] = P[k]! - (learningRate * (m / c1)) / (Math.sqrt(v / c2) + epsilon);
    }
  }

  /** One shuffled pass (inputs already checked); `order` is scratch of length n. */
  #epoch(xs: readonly Float64Array[], ys: ArrayLike<number>, o: Required<TrainOptions>, order: Int32Array): number {
    const n = xs.length;
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.#rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    let sum = 0;
    for (let start = 0; start < n; start += o.batchSize) {
      const end = Math.min(n, start + o.batchSize);
      this.#grad.fill(0);
      const scale = 1 / (end - start);
      for (let k = start; k < end; k++) sum += this.#accumulate(xs[order[k]!]!, ys[order[k]!]!, scale);
      this.#addDecay(o.weightDecay);
      this.#adam(o.learningRate);
    }
    return sum / n;
  }

  #checkVector(x: Float64Array, name: string): void {
    if (!(x instanceof Float64Array)) throw new RangeError(`${name} must be a Float64Array`);
    if (x.length !== this.dim) throw new RangeError(`${name} has ${x.length} dimensions; the ranker expects ${this.dim}`);
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) throw new RangeError(`${name}[${i}] is not finite (${x[i]})`);
  }

  #checkRows(xs: readonly Float64Array[], name: string): void {
    if (!Array.isArray(xs)) throw new RangeError(`${name} must be an array of Float64Array rows`);
    for (let r = 0; r < xs.length; r++) this.#checkVector(xs[r]!, `${name}[${r}]`);
  }

  #checkData(xs: readonly Float64Array[], ys: ArrayLike<number>, xName = 'xs', yName = 'ys'): void {
    this.#checkRows(xs, xName);
    if (ys === null || typeof ys !== 'object' || typeof ys.length !== 'number') throw new RangeError(`${yName} must be an array of 0/1 labels`);
    if (ys.length !== xs.length) throw new RangeError(`${xName} has ${xs.length} rows but ${yName} has ${ys.length} labels`);
    for (let i = 0; i < ys.length; i++) checkLabel(ys[i]!, `${yName}[${i}]`);
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function probability(z: number): number {
  const p = sigmoid(z);
  return p < MLP_P_MIN ? MLP_P_MIN : p > 1 - MLP_P_MIN ? 1 - MLP_P_MIN : p;
}

/** −[y·log σ(z) + (1 − y)·log(1 − σ(z))] = softplus(z) − y·z, without overflow. */
function crossEntropy(z: number, y: number): number {
  return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
}

function checkLabel(y: number, name: string): void {
  if (y !== 0 && y !== 1) throw new RangeError(`${name} must be 0 or 1 (got ${String(y)})`);
}

function checkDecay(lambda: number): void {
  if (!Number.isFinite(lambda) || lambda < 0) throw new RangeError(`weightDecay must be a finite number ≥ 0 (got ${String(lambda)})`);
}

function trainOptions(options: TrainOptions): Required<TrainOptions> {
  const { batchSize = MLP_DEFAULTS.batchSize, learningRate = MLP_DEFAULTS.learningRate, weightDecay = MLP_DEFAULTS.weightDecay } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer (got ${String(batchSize)})`);
  if (!Number.isFinite(learningRate) || learningRate <= 0) throw new RangeError(`learningRate must be a finite number > 0 (got ${String(learningRate)})`);
  checkDecay(weightDecay);
  return { batchSize, learningRate, weightDecay };
}
