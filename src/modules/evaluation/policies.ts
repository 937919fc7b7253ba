/**
 * Target policies π_e for off-policy evaluation. Every policy answers for one logged row: the
 * distribution over the candidate items at that row's context and position. Rows are treated
 * independently: an OBD row does not say which items the same impression showed at its other
 * positions, so "no repeats within a slate" cannot be enforced and is not.
 *
 * - uniform:    1/K for every item at every position.
 * - logged:     the behaviour policy itself. Its full distribution was not logged, only π_b of the
 *               logged item, so it is the one policy given as `behaviour`: weight 1 on every row.
 * - popularity: deterministic; items ranked by training-split click rate with add-one smoothing,
 *               (clicks + 1) / (impressions + 2), ties by item order; position p gets the p-th item.
 * - mlp:        the heavier neural ranker (model/mlp.ts: a multi-layer perceptron, hidden layers 64
 *               and 32) trained on the same training rows and features as linucb/lints (the logged
 *               item's features and its click; 10 epochs of Adam), evaluated greedily the same way.
 *               Not in the default set: it is for the energy comparison (`qingliu evaluate --policy mlp`).
 * - linucb, lints: Qingliu's LinearBandit trained by replaying the training rows (an update with the
 *               logged item's features and its click), evaluated greedily: at each row and position
 *               the item with the largest exploit score θ̂ᵀφ(x, a, p) over all items (π_e ∈ {0, 1}).
 *               Exploration (the UCB bonus, the TS draw) is serving behaviour and is not evaluated.
 */
import { ALLOWED_FEATURES, FeatureSpace, LinearBandit, MlpRanker, type FeatureGroup, type FeatureSpec } from '../recommender/model/index.js';
import type { FeatureMap } from './features.js';
import type { BanditLog } from './logs.js';

export const POLICY_NAMES = ['uniform', 'logged', 'popularity', 'linucb', 'lints', 'mlp'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];
/** What `qingliu evaluate` runs without --policy (the MLP only on request). */
export const DEFAULT_POLICIES: readonly PolicyName[] = ['uniform', 'logged', 'popularity', 'linucb', 'lints'];

export type TargetPolicy =
  | { readonly name: PolicyName; readonly kind: 'behaviour' }
  | { readonly name: PolicyName; readonly kind: 'stochastic'; distribution(row: number, out: Float64Array): void }
  | { readonly name: PolicyName; readonly kind: 'deterministic'; choose(row: number): number };

export function uniformPolicy(log: BanditLog): TargetPolicy {
  const p = 1 / log.itemIds.length;
  return { name: 'uniform', kind: 'stochastic', distribution: (_row, out) => out.fill(p) };
}

export const loggedPolicy: TargetPolicy = { name: 'logged', kind: 'behaviour' };

/** Items by smoothed click rate on the training rows, best first. */
export function popularityRanking(log: BanditLog, trainRows: readonly [number, number]): number[] {
  const k = log.itemIds.length;
  const shown = new Float64Array(k);
  const clicks = new Float64Array(k);
  for (let r = trainRows[0]; r < trainRows[1]; r++) {
    const item = log.item[r]!;
    shown[item] = shown[item]! + 1;
    clicks[item] = clicks[item]! + log.click[r]!;
  }
  const rate = (i: number) => (clicks[i]! + 1) / (shown[i]! + 2);
  return Array.from({ length: k }, (_, i) => i).sort((a, b) => rate(b) - rate(a) || a - b);
}

export function popularityPolicy(log: BanditLog, trainRows: readonly [number, number]): TargetPolicy {
  const ranked = popularityRanking(log, trainRows);
  return { name: 'popularity', kind: 'deterministic', choose: (row) => ranked[(log.position[row]! - 1) % ranked.length]! };
}

/** The OBD/Qingliu feature map as a FeatureSpace (allow-list and sensitivity checks apply). */
export function banditFeatureSpace(map: FeatureMap): FeatureSpace {
  const known = new Map(ALLOWED_FEATURES.map((s) => [s.name, s]));
  const group = (name: string): FeatureGroup =>
    name.startsWith('position=') ? 'room' : name.startsWith('log1p(user-item') ? 'behaviour' : name.startsWith('user_feature') ? 'profile' : 'product';
  const specs: FeatureSpec[] = map.names.slice(1).map((name) => known.get(name) ?? { name, group: group(name), sensitive: false, label: { zh: name, en: name } });
  const space = new FeatureSpace(specs, { allowUnlisted: true });
  if (space.dim !== map.dim || space.names.some((n, i) => n !== map.names[i])) throw new Error('feature space and feature map disagree');
  return space;
}

export interface BanditPolicyOptions {
  kind: 'linucb' | 'lints';
  seed: number;
  alpha?: number;
  lambda?: number;
  onProgress?: (done: number, total: number) => void;
}

export function banditPolicy(log: BanditLog, map: FeatureMap, trainRows: readonly [number, number], options: BanditPolicyOptions): { policy: TargetPolicy; bandit: LinearBandit } {
  banditFeatureSpace(map);
  const bandit = new LinearBandit({ dim: map.dim, kind: options.kind, alpha: options.alpha ?? 1, lambda: options.lambda ?? 1, seed: options.seed });
  const x = new Float64Array(map.dim);
  const total = trainRows[1] - trainRows[0];
  for (let r = trainRows[0]; r < trainRows[1]; r++) {
    map.encode(r, log.item[r]!, log.position[r]!, x);
    bandit.update(x, log.click[r]!);
    if (options.onProgress && (r - trainRows[0]) % 500 === 0) options.onProgress(r - trainRows[0], total);
  }
  const k = log.itemIds.length;
  const choose = (row: number) => {
    let best = 0;
    let bestScore = -Infinity;
    for (let a = 0; a < k; a++) {
      map.encode(row, a, log.position[row]!, x);
      const s = bandit.exploit(x);
      if (s > bestScore) {
        bestScore = s;
        best = a;
      }
    }
    return best;
  };
  return { policy: { name: options.kind, kind: 'deterministic', choose }, bandit };
}

export interface MlpPolicyOptions {
  seed: number;
  hidden?: readonly number[];
  epochs?: number;
}

/** The MLP trained on the training rows (logged item's features → click), then greedy over items. */
export function mlpPolicy(log: BanditLog, map: FeatureMap, trainRows: readonly [number, number], options: MlpPolicyOptions): { policy: TargetPolicy; model: MlpRanker } {
  banditFeatureSpace(map);
  const xs: Float64Array[] = [];
  const ys: number[] = [];
  for (let r = trainRows[0]; r < trainRows[1]; r++) {
    const x = new Float64Array(map.dim);
    map.encode(r, log.item[r]!, log.position[r]!, x);
    xs.push(x);
    ys.push(log.click[r]!);
  }
  // Start at the base click rate, so early epochs are not spent learning it.
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, (ys.reduce((a, b) => a + b, 0) + 1) / (ys.length + 2)));
  const model = new MlpRanker({ dim: map.dim, hidden: options.hidden ?? [64, 32], seed: options.seed, outputBias: Math.log(rate / (1 - rate)) });
  model.fit(xs, ys, { epochs: options.epochs ?? 10, batchSize: 64, learningRate: 1e-3, weightDecay: 1e-3 });
  const k = log.itemIds.length;
  const x = new Float64Array(map.dim);
  const choose = (row: number) => {
    let best = 0;
    let bestScore = -Infinity;
    for (let a = 0; a < k; a++) {
      map.encode(row, a, log.position[row]!, x);
      const s = model.logit(x);
      if (s > bestScore) {
        bestScore = s;
        best = a;
      }
    }
    return best;
  };
  return { policy: { name: 'mlp', kind: 'deterministic', choose }, model };
}
