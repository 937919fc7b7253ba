/**
 * The Open Bandit sample as a comparison workload: each logged campaign file is split by time, both
 * models are trained on its older part exactly as `qingliu evaluate` trains them (the logged item's
 * features and its click), and each evaluated impression is one recommendation — the model scores
 * every item at the impression's position and picks the best, the evaluation module's greedy policy.
 *
 * - light: Qingliu's linear bandit as production configures it (LinUCB, α and λ from the
 *   recommender's defaults), ranking by its exploit score θ̂ᵀx;
 * - heavy: the multi-layer perceptron of `qingliu evaluate --policy mlp` (hidden 64 and 32, Adam,
 *   10 epochs), ranking by its logit.
 * Both are evaluated greedily, as `qingliu evaluate` evaluates them: neither learns during the
 * evaluated part (the log's rows are another policy's decisions, not feedback on these models'
 * lists), so exploration — the UCB bonus, ε — could only cost quality here and is left out of both
 * the picks and the measured work. The show measures production's serving with exploration.
 *
 * Quality is the doubly robust estimate of the click-through rate on the evaluated rows, with
 * paired bootstrap intervals (see obdQuality).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
// The evaluation module's feature map, trained policies and reward model: what `qingliu evaluate` uses.
import { type BanditLog, banditPolicy, DEFAULT_RIDGE, describeProblem, featureMap, type FeatureMap, fitLogistic, loadBanditLog, mlpPolicy } from '../../evaluation/index.js';
import { MlpRanker, type LinearBandit } from '../../recommender/model/index.js';
import { pairedRatioBootstrap } from './stats.js';
import { CompareInputError, type ModelRun, type ModelSpec, type PhaseMeter, type Workload, type WorkloadQuality } from './workload.js';

export { CompareInputError };

export interface ObdOptions {
  seed: number;
  /** Share of rows, oldest first, used for training. */
  trainFraction: number;
  /** Bootstrap resamples for the intervals. */
  bootstrap: number;
  /** The light model's UCB width (production's). */
  alpha: number;
  /** Hidden layers of the heavy model. */
  hidden: readonly number[];
  /** Epochs of the heavy model's training. */
  epochs: number;
}

/**
 * The log folders under `dir`: `dir` itself when it holds a log, else every folder below it (two
 * levels deep, as the shipped sample's `random/men` and `bts/men`) that holds a csv, sorted by path.
 */
export async function findObdLogs(dir: string): Promise<{ id: string; dir: string }[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new CompareInputError(`${dir}: no such directory`);
  if (!info.isDirectory()) throw new CompareInputError(`${dir}: not a directory (give the Open Bandit sample's folder or one log folder in it)`);
  const found: { id: string; dir: string }[] = [];
  const walk = async (at: string, depth: number): Promise<void> => {
    const entries = await readdir(at, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.toLowerCase().endsWith('.csv'))) {
      found.push({ id: path.relative(dir, at) || path.basename(path.resolve(at)), dir: at });
      return;
    }
    if (depth === 0) return;
    for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      await walk(path.join(at, e.name), depth - 1);
    }
  };
  await walk(dir, 2);
  if (found.length === 0) throw new CompareInputError(`${dir}: no log found (expected <name>.csv and item_context.csv, here or in folders below)`);
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every log under `dir` as a workload (loading and checking each; the first problem is thrown). */
export async function obdWorkloads(dir: string, options: ObdOptions): Promise<Workload[]> {
  const out: Workload[] = [];
  for (const found of await findObdLogs(dir)) {
    const loaded = await loadBanditLog(found.dir);
    if (!loaded.ok) throw new CompareInputError(describeProblem(loaded.problem));
    out.push(obdWorkload(`obd:${found.id.split(path.sep).join('/')}`, loaded.log, options));
  }
  return out;
}

/** One log as a workload (exported for tests). */
export function obdWorkload(id: string, log: BanditLog, options: ObdOptions): Workload {
  const split = Math.floor(log.rows * options.trainFraction);
  if (split < 1 || split >= log.rows) throw new CompareInputError(`${log.file}: ${log.rows} rows cannot be split into a training and an evaluated part`);
  const trainRows: [number, number] = [0, split];
  const evalRows: [number, number] = [split, log.rows];
  const n = log.rows - split;
  const map = featureMap(log, { itemIdentity: false });
  const picks: { light?: Int32Array; heavy?: Int32Array } = {};

  const spec = (role: 'light' | 'heavy'): ModelSpec => {
    const isLight = role === 'light';
    const shape = isLight ? undefined : new MlpRanker({ dim: map.dim, hidden: options.hidden });
    return {
      role,
      description: isLight
        ? `linear bandit, LinUCB (α ${options.alpha}, λ 1), ${map.dim} features; trained by one rank-one update per training row; ranks greedily by θ̂ᵀx`
        : `multi-layer perceptron, hidden ${options.hidden.join(' and ')} (ReLU), ${map.dim} features; trained ${options.epochs} epochs of Adam (batch 64); ranks greedily by its logit`,
      // The bandit keeps A⁻¹, b and θ̂; greedy scoring is θ̂ᵀx.
      parameters: shape ? shape.parameterCount : map.dim * map.dim + 2 * map.dim,
      flopsPerItem: shape ? shape.flopsPerPrediction : map.dim,
      onlineLearning: 'none (the evaluated rows are logged decisions of another policy)',
      newRun(): ModelRun {
        const out = new Int32Array(n);
        let bandit: LinearBandit | undefined;
        let mlp: MlpRanker | undefined;
        return {
          train(meter) {
            // Training encodes each training row once for either model: that stays in the phase.
            meter.run(() => {
              if (isLight) bandit = banditPolicy(log, map, trainRows, { kind: 'linucb', seed: options.seed, alpha: options.alpha }).bandit;
              else mlp = mlpPolicy(log, map, trainRows, { seed: options.seed, hidden: options.hidden, epochs: options.epochs }).model;
            });
          },
          serve(meter, common) {
            if (isLight) serveLight(log, map, evalRows, bandit!, out, meter, common);
            else serveHeavy(log, map, evalRows, mlp!, out, meter, common);
          },
          latency(samples) {
            const check = new Int32Array(n);
            if (isLight) serveLight(log, map, evalRows, bandit!, check, UNMETERED, UNMETERED, samples);
            else serveHeavy(log, map, evalRows, mlp!, check, UNMETERED, UNMETERED, samples);
          },
          verify() {
            const reference = picks[role];
            if (!reference) picks[role] = out.slice();
            else if (!sameInts(reference, out)) throw new Error(`${id}: the ${role} model's picks changed between rounds (training is not deterministic)`);
          },
        };
      },
    };
  };

  const light = spec('light');
  const heavy = spec('heavy');
  return {
    id,
    kind: 'obd',
    description: `Open Bandit Dataset ${id.slice(4)}: trained on rows 1–${split} (oldest first), ${n} evaluated impressions, ${log.itemIds.length} items scored each; ${log.uniform ? 'uniformly random log' : 'non-uniform log'}`,
    recommendations: n,
    itemsPerList: log.itemIds.length,
    trainingExamples: split,
    light,
    heavy,
    quality: () => obdQuality(log, evalRows, trainRows, picks, options),
    notes: [],
  };
}

/** Impressions whose candidate vectors are built at a time (34 items × 58 features × 256 rows: 4 MB). */
const CHUNK_ROWS = 256;

/** Runs work directly: for the timed latency pass, which is no energy phase. */
const UNMETERED: PhaseMeter = { run: (work) => work() };

/**
 * The candidate vectors of every (row, item) of a chunk, each a view into one block: built once
 * per chunk under the common meter, as the recommender builds a list's vectors before ranking.
 */
class ChunkVectors {
  readonly views: Float64Array[];
  readonly #block: Float64Array;
  constructor(
    private readonly log: BanditLog,
    private readonly map: FeatureMap,
  ) {
    const k = log.itemIds.length;
    this.#block = new Float64Array(CHUNK_ROWS * k * map.dim);
    this.views = Array.from({ length: CHUNK_ROWS * k }, (_, j) => this.#block.subarray(j * map.dim, (j + 1) * map.dim));
  }
  build(from: number, to: number): void {
    const k = this.log.itemIds.length;
    for (let r = from; r < to; r++) {
      const position = this.log.position[r]!;
      for (let a = 0; a < k; a++) this.map.encode(r, a, position, this.views[(r - from) * k + a]!);
    }
  }
}

/**
 * Light serving: per impression, every item's exploit score at the impression's position, the best
 * kept (the first of equal scores, as the evaluation module's greedy policy). Two loops rather than one generic one with a scoring callback: a call site shared
 * by both models would be polymorphic and slow both down by the same absolute amount, which weighs
 * far more on the light model.
 */
function serveLight(log: BanditLog, map: FeatureMap, rows: readonly [number, number], bandit: LinearBandit, out: Int32Array, meter: PhaseMeter, common: PhaseMeter, samples?: number[]): void {
  const k = log.itemIds.length;
  const vectors = new ChunkVectors(log, map);
  const views = vectors.views;
  for (let from = rows[0]; from < rows[1]; from += CHUNK_ROWS) {
    const to = Math.min(rows[1], from + CHUNK_ROWS);
    common.run(() => vectors.build(from, to));
    meter.run(() => {
      for (let r = from; r < to; r++) {
        const started = samples ? performance.now() : 0;
        const base = (r - from) * k;
        let best = 0;
        let bestScore = -Infinity;
        for (let a = 0; a < k; a++) {
          const x = views[base + a]!;
          const s = bandit.exploit(x);
          if (s > bestScore) {
            bestScore = s;
            best = a;
          }
        }
        out[r - rows[0]] = best;
        if (samples) samples.push((performance.now() - started) * 1000);
      }
    });
  }
}

/** Heavy serving: as serveLight, scoring by the perceptron's logit. */
function serveHeavy(log: BanditLog, map: FeatureMap, rows: readonly [number, number], model: MlpRanker, out: Int32Array, meter: PhaseMeter, common: PhaseMeter, samples?: number[]): void {
  const k = log.itemIds.length;
  const vectors = new ChunkVectors(log, map);
  const views = vectors.views;
  for (let from = rows[0]; from < rows[1]; from += CHUNK_ROWS) {
    const to = Math.min(rows[1], from + CHUNK_ROWS);
    common.run(() => vectors.build(from, to));
    meter.run(() => {
      for (let r = from; r < to; r++) {
        const started = samples ? performance.now() : 0;
        const base = (r - from) * k;
        let best = 0;
        let bestScore = -Infinity;
        for (let a = 0; a < k; a++) {
          const s = model.logit(views[base + a]!);
          if (s > bestScore) {
            bestScore = s;
            best = a;
          }
        }
        out[r - rows[0]] = best;
        if (samples) samples.push((performance.now() - started) * 1000);
      }
    });
  }
}

/**
 * Quality on the evaluated rows. The primary estimate is doubly robust (DR), as `qingliu evaluate`
 * computes it: the reward model q̂ (ridge logistic regression on the training rows, item identity
 * included) predicts the click of the picked item, and the importance-weighted residual of the
 * logged item corrects it where the pick is the logged item:
 *   DRᵢ = q̂(xᵢ, pickᵢ) + [pickᵢ = loggedᵢ] / π_b(loggedᵢ) · (clickᵢ − q̂(xᵢ, loggedᵢ)).
 * A model picks the logged item on about one row in 34, and those rows hold a click or two: the
 * SNIPS (on the random log: replay) estimate from them alone is reported beside it, with its counts.
 */
function obdQuality(log: BanditLog, rows: readonly [number, number], trainRows: readonly [number, number], picks: { light?: Int32Array; heavy?: Int32Array }, options: ObdOptions): WorkloadQuality {
  if (!picks.light || !picks.heavy) throw new Error('quality is known only after a round has served both models');
  const n = rows[1] - rows[0];
  const qmap = featureMap(log, { itemIdentity: true });
  const m = trainRows[1] - trainRows[0];
  const X = new Float64Array(m * qmap.dim);
  const y = new Float64Array(m);
  const x = new Float64Array(qmap.dim);
  for (let r = trainRows[0]; r < trainRows[1]; r++) {
    qmap.encode(r, log.item[r]!, log.position[r]!, x);
    X.set(x, (r - trainRows[0]) * qmap.dim);
    y[r - trainRows[0]] = log.click[r]!;
  }
  const model = fitLogistic(X, y, qmap.dim, DEFAULT_RIDGE);
  const q = (r: number, item: number) => {
    qmap.encode(r, item, log.position[r]!, x);
    return model.predict(x);
  };
  const loggedQ = Float64Array.from({ length: n }, (_, i) => q(rows[0] + i, log.item[rows[0] + i]!));
  const terms = (chosen: Int32Array) => {
    const dr = new Float64Array(n);
    const w = new Float64Array(n);
    let kept = 0;
    let clicks = 0;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[0] + i;
      const click = log.click[r]!;
      const match = chosen[i] === log.item[r];
      dr[i] = q(r, chosen[i]!) + (match ? (click - loggedQ[i]!) / log.propensity[r]! : 0);
      if (match) {
        w[i] = 1 / log.propensity[r]!;
        kept++;
        clicks += click;
        num += w[i]! * click;
        den += w[i]!;
      }
    }
    return { dr, kept, clicks, snips: den === 0 ? Number.NaN : num / den };
  };
  const a = terms(picks.light);
  const b = terms(picks.heavy);
  const e = pairedRatioBootstrap({ numerator: a.dr }, { numerator: b.dr }, options.bootstrap, options.seed);
  return {
    metric: `click-through rate of the item picked for each evaluated impression, estimated off-policy by doubly robust (DR) estimation with the reward model of \`qingliu evaluate\` (ridge logistic regression, λ ${DEFAULT_RIDGE}, fitted on the training rows); clicks/of: the rows where the model picked the logged item, and their clicks`,
    interval: `95 % percentile bootstrap over the evaluated rows (${options.bootstrap} resamples)`,
    light: { ctr: e.a.value, ci95: e.a.ci95, clicks: a.clicks, outOf: a.kept, snips: a.snips },
    heavy: { ctr: e.b.value, ci95: e.b.ci95, clicks: b.clicks, outOf: b.kept, snips: b.snips },
    difference: e.difference,
  };
}

function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
