import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { featureMap } from '../../evaluation/features.js';
import { describeProblem, loadBanditLog } from '../../evaluation/logs.js';
import { DEFAULT_RIDGE, fitLogistic } from '../../evaluation/reward-model.js';
import { Rng } from '../../../shared/rng.js';
import { MLP_DEFAULTS, MLP_MAX_PARAMETERS, MLP_P_MIN, MlpRanker, type MlpSnapshot } from './mlp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const OBD = path.join(ROOT, 'datasets/open-bandit-dataset');

const roundTrip = (s: MlpSnapshot) => JSON.parse(JSON.stringify(s)) as MlpSnapshot;

function randomData(n: number, d: number, seed: number): { xs: Float64Array[]; ys: number[] } {
  const rng = new Rng(seed);
  const xs = Array.from({ length: n }, () => Float64Array.from({ length: d }, () => rng.normal()));
  const ys = xs.map(() => (rng.next() < 0.5 ? 1 : 0));
  return { xs, ys };
}

/** y = a XOR b for a, b ∈ {0, 1} (jittered), plus four pure-noise features. */
function xorData(n: number, seed: number): { xs: Float64Array[]; ys: number[] } {
  const rng = new Rng(seed);
  const xs: Float64Array[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.next() < 0.5 ? 1 : 0;
    const b = rng.next() < 0.5 ? 1 : 0;
    xs.push(Float64Array.of(a + 0.1 * rng.normal(), b + 0.1 * rng.normal(), rng.normal(), rng.normal(), rng.normal(), rng.normal()));
    ys.push(a ^ b);
  }
  return { xs, ys };
}

/** Prepends the bias 1 that fitLogistic expects in column 0 (unpenalised). */
const withBias = (x: Float64Array) => {
  const out = new Float64Array(x.length + 1);
  out[0] = 1;
  out.set(x, 1);
  return out;
};

function logistic(xs: readonly Float64Array[], ys: readonly number[], lambda = DEFAULT_RIDGE) {
  const d = xs[0]!.length;
  const X = new Float64Array(xs.length * d);
  xs.forEach((x, i) => X.set(x, i * d));
  return fitLogistic(X, Float64Array.from(ys), d, lambda);
}

/** Area under the ROC curve (Mann–Whitney, ties at half credit). */
function auc(p: ArrayLike<number>, y: ArrayLike<number>): number {
  const idx = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && p[idx[j + 1]!] === p[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[idx[k]!] === 1) {
        rankSum += rank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = p.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s -= y[i] === 1 ? Math.log(p[i]!) : Math.log(1 - p[i]!);
  return s / p.length;
}

const accuracy = (predict: (x: Float64Array) => number, xs: readonly Float64Array[], ys: readonly number[]) =>
  xs.filter((x, i) => (predict(x) > 0.5 ? 1 : 0) === ys[i]).length / xs.length;

describe('MlpRanker: architecture and input checks', () => {
  it('counts parameters and dense multiply-adds per prediction (default hidden 64, 32)', () => {
    const m = new MlpRanker({ dim: 10 });
    expect(m.hidden).toEqual([64, 32]);
    expect(m.layerSizes).toEqual([10, 64, 32, 1]);
    expect(m.parameterCount).toBe(10 * 64 + 64 + 64 * 32 + 32 + 32 + 1);
    expect(m.flopsPerPrediction).toBe(10 * 64 + 64 * 32 + 32);
    expect(m.parameters.length).toBe(m.parameterCount);
    const linear = new MlpRanker({ dim: 10, hidden: [] });
    expect(linear.parameterCount).toBe(11);
    expect(linear.flopsPerPrediction).toBe(10);
    expect(m.version).toBe('mlp:0');
  });

  it('He-initialises weights (variance 2/fan_in), zero biases but the output bias it is given', () => {
    const m = new MlpRanker({ dim: 200, hidden: [300], seed: 3, outputBias: -4 });
    const w = m.parameters.subarray(0, 200 * 300);
    let sq = 0;
    for (const v of w) sq += v * v;
    expect(sq / w.length / (2 / 200)).toBeGreaterThan(0.97);
    expect(sq / w.length / (2 / 200)).toBeLessThan(1.03);
    expect(Array.from(m.parameters.subarray(200 * 300, 200 * 300 + 300)).every((b) => b === 0)).toBe(true);
    expect(m.parameters[m.parameterCount - 1]).toBe(-4);
    expect(m.predict(new Float64Array(200))).toBeCloseTo(1 / (1 + Math.exp(4)), 15);
  });

  it('refuses bad architectures, inputs, labels and hyperparameters with a RangeError that says what is wrong', () => {
    expect(() => new MlpRanker({ dim: 0 })).toThrow(/dim must be a positive integer/);
    expect(() => new MlpRanker({ dim: 2.5 })).toThrow(RangeError);
    expect(() => new MlpRanker({ dim: 2, hidden: [4, 0] })).toThrow(/hidden\[1\] must be a positive integer/);
    expect(() => new MlpRanker({ dim: 2, hidden: [1.5] })).toThrow(RangeError);
    expect(() => new MlpRanker({ dim: 2, seed: Number.NaN })).toThrow(/seed/);
    expect(() => new MlpRanker({ dim: 2, outputBias: Infinity })).toThrow(/outputBias/);
    expect(() => new MlpRanker({ dim: 1e6, hidden: [1e6] })).toThrow(/parameters/);
    expect(() => new MlpRanker({ dim: MLP_MAX_PARAMETERS, hidden: [] })).toThrow(/at most/);

    const m = new MlpRanker({ dim: 3, hidden: [4] });
    const x = Float64Array.of(1, 2, 3);
    expect(() => m.predict(Float64Array.of(1, 2))).toThrow(/x has 2 dimensions; the ranker expects 3/);
    expect(() => m.predict(Float64Array.of(1, Number.NaN, 3))).toThrow(/x\[1\] is not finite/);
    expect(() => m.predict(Float64Array.of(1, Infinity, 3))).toThrow(RangeError);
    expect(() => m.predict([1, 2, 3] as unknown as Float64Array)).toThrow(/Float64Array/);
    expect(() => m.predictBatch([x, Float64Array.of(1)])).toThrow(/xs\[1\] has 1 dimensions/);
    expect(() => m.predictBatch([x], new Float64Array(2))).toThrow(/out has length 2/);
    expect(() => m.trainEpoch([x, x], [1])).toThrow(/xs has 2 rows but ys has 1 labels/);
    expect(() => m.trainEpoch([x], [0.5])).toThrow(/ys\[0\] must be 0 or 1 \(got 0.5\)/);
    expect(() => m.trainEpoch([x], [Number.NaN])).toThrow(RangeError);
    expect(() => m.trainEpoch([x], [2])).toThrow(RangeError);
    expect(() => m.trainEpoch([], [])).toThrow(/no training examples/);
    expect(() => m.trainEpoch([x], [1], { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => m.trainEpoch([x], [1], { batchSize: 1.5 })).toThrow(RangeError);
    expect(() => m.trainEpoch([x], [1], { learningRate: 0 })).toThrow(/learningRate must be a finite number > 0/);
    expect(() => m.trainEpoch([x], [1], { learningRate: Number.NaN })).toThrow(RangeError);
    expect(() => m.trainEpoch([x], [1], { weightDecay: -1 })).toThrow(/weightDecay must be a finite number ≥ 0/);
    expect(() => m.fit([x], [1], { epochs: 0 })).toThrow(/epochs must be a positive integer/);
    expect(() => m.fit([x], [1], { epochs: 2, earlyStoppingPatience: 1 })).toThrow(/needs validation data/);
    expect(() => m.fit([x], [1], { epochs: 2, earlyStoppingPatience: 0, validation: { xs: [x], ys: [0] } })).toThrow(/earlyStoppingPatience must be a positive integer/);
    expect(() => m.fit([x], [1], { epochs: 2, validation: { xs: [Float64Array.of(1)], ys: [0] } })).toThrow(/validation\.xs\[0\] has 1 dimensions/);
    expect(() => m.fit([x], [1], { epochs: 2, validation: { xs: [x], ys: [3] } })).toThrow(/validation\.ys\[0\] must be 0 or 1/);
    expect(() => m.update(x, -1)).toThrow(/y must be 0 or 1/);
    expect(() => m.update(x, 1, { learningRate: -1 })).toThrow(RangeError);
    expect(() => m.gradients([x], [1], -0.1)).toThrow(/weightDecay/);
    expect(() => m.logLoss([], [])).toThrow(RangeError);
    // Nothing above trained the ranker.
    expect(m.steps).toBe(0);
  });
});

describe('MlpRanker: gradients', () => {
  it('back-propagated gradients of the penalised loss match central finite differences to 1e-6 relative, for every parameter (d 3, hidden [4, 3])', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const weightDecay of [0, 0.05]) {
        const { xs, ys } = randomData(8, 3, 100 + seed);
        const m = new MlpRanker({ dim: 3, hidden: [4, 3], seed, outputBias: 0.3 });
        // A few steps first, so the biases are not all zero and Adam has moved every weight.
        m.fit(xs, ys, { epochs: 3, batchSize: 3, learningRate: 0.05, weightDecay });
        const { loss, gradient } = m.gradients(xs, ys, weightDecay);
        const base = m.snapshot();
        const lossAt = (k: number, delta: number) => {
          const params = [...base.params];
          params[k] = params[k]! + delta;
          return MlpRanker.restore({ ...base, params }).gradients(xs, ys, weightDecay).loss;
        };
        expect(lossAt(0, 0)).toBe(loss);
        expect(gradient.length).toBe(m.parameterCount);
        const h = 1e-5;
        let nonZero = 0;
        for (let k = 0; k < m.parameterCount; k++) {
          const numeric = (lossAt(k, h) - lossAt(k, -h)) / (2 * h);
          const analytic = gradient[k]!;
          const scale = Math.max(Math.abs(analytic), Math.abs(numeric));
          if (scale > 0) nonZero++;
          // Purely relative: a weight into a unit that is dead on every example has both exactly 0.
          expect(Math.abs(analytic - numeric), `seed ${seed}, λ ${weightDecay}, parameter ${k}: analytic ${analytic}, numeric ${numeric}`).toBeLessThanOrEqual(1e-6 * scale);
        }
        expect(nonZero).toBeGreaterThan(m.parameterCount / 2);
      }
    }
  });

  it('a full-batch epoch is one Adam step: θ − η·g/(|g| + ε) with g from gradients()', () => {
    const { xs, ys } = randomData(16, 5, 9);
    const m = new MlpRanker({ dim: 5, hidden: [6, 4], seed: 2 });
    const before = Float64Array.from(m.parameters);
    const { gradient } = m.gradients(xs, ys, 0.01);
    m.trainEpoch(xs, ys, { batchSize: 16, learningRate: 0.01, weightDecay: 0.01 });
    expect(m.steps).toBe(1);
    for (let k = 0; k < m.parameterCount; k++) {
      const g = gradient[k]!;
      // The shuffle only reorders the sum, so g may differ from gradients() in its last bits.
      expect(m.parameters[k]).toBeCloseTo(before[k]! - (0.01 * g) / (Math.abs(g) + 1e-8), 9);
    }
  });

  it('update(x, y) is one Adam step on that example and returns its loss before the step', () => {
    const m = new MlpRanker({ dim: 4, hidden: [5], seed: 6 });
    const x = Float64Array.of(0.5, -1, 0, 2);
    const p0 = m.predict(x);
    const before = Float64Array.from(m.parameters);
    const { gradient } = m.gradients([x], [1], 0);
    const loss = m.update(x, 1, { learningRate: 0.01, weightDecay: 0 });
    expect(loss).toBeCloseTo(-Math.log(p0), 12);
    expect(m.version).toBe('mlp:1');
    for (let k = 0; k < m.parameterCount; k++) {
      const g = gradient[k]!;
      expect(m.parameters[k]).toBe(before[k]! - (0.01 * g) / (Math.abs(g) + 1e-8));
    }
    for (let t = 0; t < 20; t++) m.update(x, 1, { learningRate: 0.01 });
    expect(m.predict(x)).toBeGreaterThan(p0);
  });
});

describe('MlpRanker: learning', () => {
  it('learns XOR with noise features (> 95 % held-out accuracy) where logistic regression stays near 50 %', () => {
    const train = xorData(2000, 1);
    const test = xorData(1000, 2);
    const mlp = new MlpRanker({ dim: 6, seed: 7 });
    const history = mlp.fit(train.xs, train.ys, { epochs: 15, batchSize: 32, learningRate: 3e-3, weightDecay: 1e-4 });
    expect(history.train.length).toBe(15);
    expect(history.train.at(-1)!).toBeLessThan(history.train[0]!);
    const mlpAccuracy = accuracy((x) => mlp.predict(x), test.xs, test.ys);

    const lr = logistic(train.xs.map(withBias), train.ys);
    const lrAccuracy = accuracy((x) => lr.predict(withBias(x)), test.xs, test.ys);
    // The same ranker without hidden layers is a logistic regression too, and fails the same way.
    const flat = new MlpRanker({ dim: 6, hidden: [], seed: 7 });
    flat.fit(train.xs, train.ys, { epochs: 15, batchSize: 32, learningRate: 3e-3, weightDecay: 1e-4 });
    const flatAccuracy = accuracy((x) => flat.predict(x), test.xs, test.ys);

    const figures = `MLP ${mlpAccuracy}, logistic regression ${lrAccuracy}, MLP without hidden layers ${flatAccuracy}`;
    expect(mlpAccuracy, figures).toBeGreaterThan(0.95);
    expect(Math.abs(lrAccuracy - 0.5), figures).toBeLessThan(0.06);
    expect(Math.abs(flatAccuracy - 0.5), figures).toBeLessThan(0.06);
  });

  it('early stopping keeps the weights of the best validation epoch', () => {
    // Pure-noise labels and a wide network: the validation loss can only get worse as it memorises.
    const train = randomData(40, 8, 21);
    const valid = randomData(200, 8, 22);
    const m = new MlpRanker({ dim: 8, hidden: [64, 64], seed: 1 });
    const history = m.fit(train.xs, train.ys, { epochs: 200, batchSize: 8, learningRate: 0.01, weightDecay: 0, validation: valid, earlyStoppingPatience: 3 });
    expect(history.stoppedEarly).toBe(true);
    expect(history.epochs).toBeLessThan(200);
    expect(history.epochs).toBe(history.bestEpoch + 3);
    expect(history.train.length).toBe(history.epochs);
    expect(history.validation.length).toBe(history.epochs);
    const best = Math.min(...history.validation);
    expect(history.validation[history.bestEpoch - 1]).toBe(best);
    expect(m.logLoss(valid.xs, valid.ys)).toBe(best);
    expect(m.steps).toBe(history.bestEpoch * 5);

    const kept = new MlpRanker({ dim: 8, hidden: [64, 64], seed: 1 });
    const all = kept.fit(train.xs, train.ys, { epochs: history.epochs, batchSize: 8, learningRate: 0.01, weightDecay: 0, validation: valid, restoreBest: false });
    expect(all.validation).toEqual(history.validation);
    expect(kept.logLoss(valid.xs, valid.ys)).toBe(history.validation.at(-1));
  });
});

describe('MlpRanker: determinism and snapshots', () => {
  const data = randomData(300, 7, 5);
  const train = (seed: number) => {
    const m = new MlpRanker({ dim: 7, hidden: [16, 8], seed });
    m.fit(data.xs, data.ys, { epochs: 4, batchSize: 16, learningRate: 0.01 });
    return m;
  };

  it('gives bit-identical weights and predictions for the same seed and data, different ones for another seed', () => {
    const a = train(42);
    const b = train(42);
    expect(Array.from(b.parameters)).toEqual(Array.from(a.parameters));
    expect(Array.from(b.predictBatch(data.xs))).toEqual(Array.from(a.predictBatch(data.xs)));
    expect(b.snapshot()).toEqual(a.snapshot());
    const c = train(43);
    expect(Array.from(c.parameters)).not.toEqual(Array.from(a.parameters));
  });

  it('restores through JSON and continues training bit-identically (shuffles included)', () => {
    const original = train(8);
    const copy = MlpRanker.restore(roundTrip(original.snapshot()));
    expect(copy.version).toBe(original.version);
    expect(copy.snapshot()).toEqual(original.snapshot());
    expect(Array.from(copy.predictBatch(data.xs))).toEqual(Array.from(original.predictBatch(data.xs)));
    expect(original.trainEpoch(data.xs, data.ys, { batchSize: 16 })).toBe(copy.trainEpoch(data.xs, data.ys, { batchSize: 16 }));
    original.update(data.xs[0]!, 1);
    copy.update(data.xs[0]!, 1);
    expect(Array.from(copy.parameters)).toEqual(Array.from(original.parameters));
    expect(copy.snapshot()).toEqual(original.snapshot());
  });

  it('predicts probabilities strictly inside (0, 1), even far out where σ saturates', () => {
    const m = train(3);
    for (const p of m.predictBatch(data.xs)) {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
    for (const scale of [1e6, -1e6]) {
      const x = new Float64Array(7).fill(scale);
      const p = m.predict(x);
      expect(p).toBeGreaterThanOrEqual(MLP_P_MIN);
      expect(p).toBeLessThanOrEqual(1 - MLP_P_MIN);
      expect(Number.isFinite(m.logit(x))).toBe(true);
    }
  });

  it('refuses a snapshot whose parts do not fit together', () => {
    const s = train(1).snapshot();
    expect(() => MlpRanker.restore({ ...s, params: s.params.slice(1) })).toThrow(/do not match its architecture/);
    expect(() => MlpRanker.restore({ ...s, hidden: [16, 9] })).toThrow(RangeError);
    expect(() => MlpRanker.restore({ ...s, params: [Number.NaN, ...s.params.slice(1)] })).toThrow(/not finite/);
    expect(() => MlpRanker.restore({ ...s, adamV: [-1, ...s.adamV.slice(1)] })).toThrow(/second moments/);
    expect(() => MlpRanker.restore({ ...s, version: 'mlp:0' })).toThrow(/version/);
    expect(() => MlpRanker.restore({ ...s, kind: 'linucb' } as unknown as MlpSnapshot)).toThrow(/not an MLP snapshot/);
    expect(() => MlpRanker.restore({ ...s, rng: { s: [0, 0, 0, 0] } })).toThrow(RangeError);
  });
});

/**
 * The Open Bandit sample: train on the oldest 80 % of each 10,000-row log, evaluate on the newest
 * 20 %. Features are the evaluation module's reward-model map φ(context, item, position) (item
 * features and id one-hot, position one-hot, user features, affinity); the linear baseline is its
 * ridge logistic regression (fitLogistic, λ = DEFAULT_RIDGE) on the same φ. Run at import so the
 * figures (deterministic) can be shown in the test names; the training time is in the messages.
 */
const MLP_OBD = { epochs: 10, batchSize: 64, learningRate: 1e-3, weightDecay: 1e-3 } as const;

async function openBandit(dir: string) {
  const loaded = await loadBanditLog(path.join(OBD, dir));
  if (!loaded.ok) throw new Error(describeProblem(loaded.problem));
  const log = loaded.log;
  const map = featureMap(log, { itemIdentity: true });
  const xs = Array.from({ length: log.rows }, (_, r) => {
    const x = new Float64Array(map.dim);
    map.encode(r, log.item[r]!, log.position[r]!, x);
    return x;
  });
  const ys = Array.from(log.click);
  const split = Math.floor(log.rows * 0.8);
  const trainX = xs.slice(0, split);
  const trainY = ys.slice(0, split);
  const testX = xs.slice(split);
  const testY = ys.slice(split);
  const ctr = trainY.reduce((s, y) => s + y, 0) / split;

  let t0 = performance.now();
  const mlp = new MlpRanker({ dim: map.dim, seed: 1, outputBias: Math.log(ctr / (1 - ctr)) });
  const history = mlp.fit(trainX, trainY, MLP_OBD);
  const mlpMs = performance.now() - t0;
  t0 = performance.now();
  const lr = logistic(trainX, trainY);
  const lrMs = performance.now() - t0;

  const mlpP = mlp.predictBatch(testX);
  const lrP = testX.map((x) => lr.predict(x));
  return {
    dir,
    dim: map.dim,
    trainClicks: trainY.reduce((s, y) => s + y, 0),
    testRows: testY.length,
    testClicks: testY.reduce((s, y) => s + y, 0),
    mlp: { auc: auc(mlpP, testY), logLoss: logLoss(mlpP, testY), trainLogLoss: mlp.logLoss(trainX, trainY), ms: mlpMs, history, flops: mlp.flopsPerPrediction, params: mlp.parameterCount },
    lr: { auc: auc(lrP, testY), logLoss: logLoss(lrP, testY), trainLogLoss: logLoss(trainX.map((x) => lr.predict(x)), trainY), ms: lrMs, newtonSteps: lr.iterations },
    constant: { logLoss: logLoss(new Float64Array(testY.length).fill(ctr), testY), trainLogLoss: logLoss(new Float64Array(split).fill(ctr), trainY) },
  };
}

const obd = [await openBandit('random/men'), await openBandit('bts/men')];
const f = (v: number) => v.toFixed(3);
const f5 = (v: number) => v.toFixed(5);

describe('MlpRanker on the Open Bandit sample (oldest 80 % train, newest 20 % test)', () => {
  for (const r of obd) {
    const name =
      `${r.dir} (d ${r.dim}, ${r.testClicks} test clicks in ${r.testRows}): ` +
      `MLP AUC ${f(r.mlp.auc)}, log loss ${f5(r.mlp.logLoss)}; ` +
      `logistic regression AUC ${f(r.lr.auc)}, log loss ${f5(r.lr.logLoss)}; constant log loss ${f5(r.constant.logLoss)}`;
    it(name, () => {
      const detail = `${name}; MLP ${r.mlp.params} parameters, ${r.mlp.flops} multiply-adds, ${MLP_OBD.epochs} epochs in ${r.mlp.ms.toFixed(0)} ms; logistic regression ${r.lr.newtonSteps} Newton steps in ${r.lr.ms.toFixed(0)} ms`;
      for (const m of [r.mlp, r.lr]) {
        expect(Number.isFinite(m.logLoss), detail).toBe(true);
        // Both fit their training part better than its base rate does.
        expect(m.trainLogLoss, detail).toBeLessThan(r.constant.trainLogLoss);
        // On the future: some ranking signal or better calibrated than the base rate …
        expect(m.auc > 0.5 || m.logLoss < r.constant.logLoss, detail).toBe(true);
        // … and never badly overconfident (a few clicks; the margin is for that noise).
        expect(m.logLoss, detail).toBeLessThan(1.1 * r.constant.logLoss);
      }
      expect(r.mlp.history.train.every(Number.isFinite), detail).toBe(true);
      // The energy comparison's premise: the MLP costs at least 10× the linear scorer's d multiply-adds.
      expect(r.mlp.flops, detail).toBeGreaterThanOrEqual(10 * r.dim);
      expect(r.mlp.flops, detail).toBe(r.dim * MLP_DEFAULTS.hidden[0]! + MLP_DEFAULTS.hidden[0]! * MLP_DEFAULTS.hidden[1]! + MLP_DEFAULTS.hidden[1]!);
    });
  }
});

describe('MlpRanker.inputGradient', () => {
  it('matches central finite differences of the logit, including through inactive ReLUs', () => {
    const model = new MlpRanker({ dim: 6, hidden: [5, 4], seed: 11, outputBias: -1 });
    const x = Float64Array.from([1, 0, 0.3, -0.7, 0, 2]);
    const g = model.inputGradient(x);
    const h = 1e-6;
    for (let i = 0; i < x.length; i++) {
      const up = x.slice();
      const down = x.slice();
      up[i]! += h;
      down[i]! -= h;
      const numeric = (model.logit(up) - model.logit(down)) / (2 * h);
      expect(Math.abs(g[i]! - numeric)).toBeLessThan(1e-6);
    }
  });

  it('of a network without hidden layers is its weight vector', () => {
    const model = new MlpRanker({ dim: 3, hidden: [], seed: 2 });
    expect(Array.from(model.inputGradient(Float64Array.from([5, -1, 0.5])))).toEqual(Array.from(model.parameters.subarray(0, 3)));
  });
});
