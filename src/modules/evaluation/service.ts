/**
 * Offline evaluation of target policies on a bandit log: split by time, train what needs training
 * on the first part, and estimate each policy's click-through rate on the rest with each estimator,
 * with a bootstrap 95 % interval and importance-weight diagnostics.
 */
import { BootstrapResamples, ESTIMATOR_NAMES, estimate, ratioTerms, type EstimatorName, type PolicyTerms } from './estimators.js';
import { featureMap } from './features.js';
import type { BanditLog } from './logs.js';
import { banditPolicy, DEFAULT_POLICIES, loggedPolicy, mlpPolicy, popularityPolicy, uniformPolicy, type PolicyName, type TargetPolicy } from './policies.js';
import { seededRandom } from './random.js';
import { DEFAULT_RIDGE, fitLogistic } from './reward-model.js';

export interface EvaluateOptions {
  policies?: readonly PolicyName[];
  /** Default: every estimator that applies (replay only on a uniformly random log). */
  estimators?: readonly EstimatorName[];
  /** Share of rows, oldest first, used for training; 0 evaluates the whole log (and fits in-sample). */
  trainFraction?: number;
  seed?: number;
  /** Bootstrap resamples for the intervals; 0 for none. */
  bootstrap?: number;
  onProgress?: (done: number, total: number, stage: string) => void;
}

export const EVALUATE_DEFAULTS = { trainFraction: 0.5, seed: 0, bootstrap: 200 } as const;

export interface PolicyEstimate {
  policy: PolicyName;
  estimator: EstimatorName;
  /** NaN (null in JSON) when undefined, e.g. replay keeping no row. */
  value: number;
  ci95: [number, number];
  ess: number | null;
  maxWeight: number | null;
}

export interface EvaluationReport {
  rows: number;
  clicks: number;
  loggedCtr: number;
  estimates: PolicyEstimate[];
  /** Context for a reader: the split, the log kind, what was left out and why. */
  details: {
    file: string;
    layout: BanditLog['layout'];
    items: number;
    positions: number;
    uniformLog: boolean;
    trainRows: [number, number];
    evalRows: [number, number];
    bootstrap: number;
    seed: number;
    rewardModel?: string;
    notes: string[];
  };
}

export type EvaluateResult = { ok: true; report: EvaluationReport } | { ok: false; code: 'REPLAY_NEEDS_UNIFORM_LOG' | 'INVALID_OPTION'; message: string };

export async function evaluateLog(log: BanditLog, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const trainFraction = options.trainFraction ?? EVALUATE_DEFAULTS.trainFraction;
  const seed = options.seed ?? EVALUATE_DEFAULTS.seed;
  const resamples = options.bootstrap ?? EVALUATE_DEFAULTS.bootstrap;
  const policies = [...new Set(options.policies ?? DEFAULT_POLICIES)];
  const notes: string[] = [];
  if (!(trainFraction >= 0 && trainFraction < 1)) return { ok: false, code: 'INVALID_OPTION', message: `--train-fraction must be in [0, 1) (got ${trainFraction})` };
  if (!Number.isInteger(resamples) || resamples < 0) return { ok: false, code: 'INVALID_OPTION', message: `--bootstrap must be a whole number ≥ 0 (got ${resamples})` };
  if (!Number.isInteger(seed)) return { ok: false, code: 'INVALID_OPTION', message: `--seed must be a whole number (got ${seed})` };

  let estimators = [...new Set(options.estimators ?? ESTIMATOR_NAMES)];
  if (!log.uniform && estimators.includes('replay')) {
    const why = `replay is unbiased only for a uniformly random log, and ${log.file} is not (its propensities are not all 1/${log.itemIds.length})`;
    if (options.estimators) return { ok: false, code: 'REPLAY_NEEDS_UNIFORM_LOG', message: `${why}: use ips, snips, dm or dr` };
    notes.push(`replay left out: ${why}`);
    estimators = estimators.filter((e) => e !== 'replay');
  }

  const split = Math.floor(log.rows * trainFraction);
  const evalRows: [number, number] = [split, log.rows];
  // With --train-fraction 0 there is no held-out training part: fit on the evaluated rows.
  const trainRows: [number, number] = split === 0 ? [0, log.rows] : [0, split];
  if (evalRows[1] - evalRows[0] === 0) return { ok: false, code: 'INVALID_OPTION', message: `--train-fraction ${trainFraction} leaves no rows to evaluate` };
  const trained = policies.some((p) => p === 'popularity' || p === 'linucb' || p === 'lints' || p === 'mlp');
  const modelBased = estimators.some((e) => e === 'dm' || e === 'dr');
  if (split === 0 && (trained || modelBased)) {
    notes.push('--train-fraction 0: the trained policies and the dm/dr reward model are fitted on the evaluated rows themselves (in-sample), so their estimates are optimistic');
  }

  const n = evalRows[1] - evalRows[0];
  const k = log.itemIds.length;
  const click = log.click.slice(evalRows[0], evalRows[1]);
  let clicks = 0;
  for (const c of click) clicks += c;
  const progress = options.onProgress ?? (() => {});

  // Reward model q̂ on every (evaluated row, item) at the row's position.
  let qhat: Float64Array | undefined;
  let rewardModel: string | undefined;
  if (modelBased) {
    const map = featureMap(log, { itemIdentity: true });
    const m = trainRows[1] - trainRows[0];
    const X = new Float64Array(m * map.dim);
    const y = new Float64Array(m);
    const x = new Float64Array(map.dim);
    for (let r = trainRows[0]; r < trainRows[1]; r++) {
      map.encode(r, log.item[r]!, log.position[r]!, x);
      X.set(x, (r - trainRows[0]) * map.dim);
      y[r - trainRows[0]] = log.click[r]!;
    }
    progress(0, 1, 'reward model');
    const model = fitLogistic(X, y, map.dim, DEFAULT_RIDGE);
    rewardModel = `ridge logistic regression (λ = ${DEFAULT_RIDGE}, ${map.dim} features: item features and id, position, context, affinity; ${model.iterations} Newton steps) on rows ${trainRows[0] + 1}–${trainRows[1]}`;
    qhat = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const r = evalRows[0] + i;
      for (let a = 0; a < k; a++) {
        map.encode(r, a, log.position[r]!, x);
        qhat[i * k + a] = model.predict(x);
      }
    }
  }

  const bootstrap = resamples > 0 ? new BootstrapResamples(n, resamples, seededRandom(seed)) : undefined;
  const estimates: PolicyEstimate[] = [];
  const banditMap = policies.some((p) => p === 'linucb' || p === 'lints' || p === 'mlp') ? featureMap(log, { itemIdentity: false }) : undefined;
  for (const [index, name] of policies.entries()) {
    progress(index, policies.length, name);
    const policy = buildPolicy(name, log, trainRows, seed, banditMap);
    const terms = policyTerms(policy, log, evalRows, click, qhat, seededRandom(seed + 1));
    for (const estimator of estimators) {
      const e = estimate(ratioTerms(estimator, terms), bootstrap);
      estimates.push({ policy: name, estimator, value: e.value, ci95: [e.ci95[0], e.ci95[1]], ess: e.ess, maxWeight: e.maxWeight });
    }
  }
  progress(policies.length, policies.length, 'done');
  return {
    ok: true,
    report: {
      rows: n,
      clicks,
      loggedCtr: clicks / n,
      estimates,
      details: {
        file: log.file,
        layout: log.layout,
        items: k,
        positions: log.positions,
        uniformLog: log.uniform,
        trainRows,
        evalRows,
        bootstrap: resamples,
        seed,
        ...(rewardModel ? { rewardModel } : {}),
        notes,
      },
    },
  };
}

function buildPolicy(name: PolicyName, log: BanditLog, trainRows: readonly [number, number], seed: number, map: ReturnType<typeof featureMap> | undefined): TargetPolicy {
  switch (name) {
    case 'uniform':
      return uniformPolicy(log);
    case 'logged':
      return loggedPolicy;
    case 'popularity':
      return popularityPolicy(log, trainRows);
    case 'linucb':
    case 'lints':
      return banditPolicy(log, map!, trainRows, { kind: name, seed }).policy;
    case 'mlp':
      return mlpPolicy(log, map!, trainRows, { seed }).policy;
  }
}

/** Per evaluated row: the importance weight, the replay match and the direct-method terms. */
export function policyTerms(policy: TargetPolicy, log: BanditLog, evalRows: readonly [number, number], click: Float64Array, qhat: Float64Array | undefined, random: () => number): PolicyTerms {
  const n = evalRows[1] - evalRows[0];
  const k = log.itemIds.length;
  const weight = new Float64Array(n);
  const match = new Float64Array(n);
  const directValue = qhat ? new Float64Array(n) : undefined;
  const loggedValue = qhat ? new Float64Array(n) : undefined;
  const dist = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const r = evalRows[0] + i;
    const logged = log.item[r]!;
    const pb = log.propensity[r]!;
    if (qhat) loggedValue![i] = qhat[i * k + logged]!;
    if (policy.kind === 'behaviour') {
      // π_e = π_b: the weight is π_b/π_b = 1 exactly; the logged item is itself a draw from π_b, so
      // it stands for the policy's choice (replay keeps the row) and its q̂ for E_{π_b}[q̂].
      weight[i] = pb / pb;
      match[i] = 1;
      if (qhat) directValue![i] = loggedValue![i]!;
    } else if (policy.kind === 'deterministic') {
      const chosen = policy.choose(r);
      weight[i] = chosen === logged ? 1 / pb : 0;
      match[i] = chosen === logged ? 1 : 0;
      if (qhat) directValue![i] = qhat[i * k + chosen]!;
    } else {
      policy.distribution(r, dist);
      weight[i] = dist[logged]! / pb;
      // Replay: one seeded draw from π_e, kept when it is the logged item (Li et al. 2011).
      let u = random();
      let drawn = k - 1;
      for (let a = 0; a < k; a++) {
        u -= dist[a]!;
        if (u < 0) {
          drawn = a;
          break;
        }
      }
      match[i] = drawn === logged ? 1 : 0;
      if (qhat) {
        let v = 0;
        for (let a = 0; a < k; a++) v += dist[a]! * qhat[i * k + a]!;
        directValue![i] = v;
      }
    }
  }
  return { click, weight, match, ...(directValue ? { directValue, loggedValue } : {}) };
}
