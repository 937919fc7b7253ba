/**
 * The truth of the simulated world: the expected reward of any slate, the best possible slate for
 * a viewer (the oracle) and the regret of what the server showed, plus a curve of regret over the
 * show. Exact, because the behaviour model (behaviour.ts) is known.
 */
import {
  examination,
  itemProbabilities,
  type ModelViewer,
  type NoiseTable,
  type ProductView,
  type RoomContext,
} from './behaviour.js';

/** What counts as reward: a click, a purchase, or the money of a purchase (GMV, in fen). */
export type RewardKind = 'click' | 'purchase' | 'gmv';

/**
 * r_j: the expected reward of product j once examined — P(click | examined), P(purchase | examined)
 * or P(purchase | examined) × price in fen.
 */
export function itemReward(viewer: ModelViewer, product: ProductView, room: RoomContext, noise: NoiseTable, reward: RewardKind): number {
  const p = itemProbabilities(viewer, product, room, noise);
  if (reward === 'click') return p.click;
  if (reward === 'purchase') return p.purchase;
  return p.purchase * product.priceFen;
}

/**
 * E[reward of the slate] = Σ_i e_i · r_{slate[i]} (position-based model, items independent).
 * A product repeated in the slate counts only at its first position, as in `respond`.
 */
export function expectedReward(viewer: ModelViewer, slate: readonly ProductView[], room: RoomContext, noise: NoiseTable, reward: RewardKind): number {
  const seen = new Set<string>();
  let total = 0;
  slate.forEach((product, position) => {
    if (seen.has(product.id)) return;
    seen.add(product.id);
    const e = examination(viewer, position);
    if (e > 0) total += e * itemReward(viewer, product, room, noise, reward);
  });
  return total;
}

/**
 * The best slate of k products for this viewer: the k products with the highest r_j, best first
 * (ties by product id, so the oracle is deterministic).
 *
 * Why this is optimal: under the position-based model with independent items the expected reward
 * is Σ_i e_i r_{π(i)} with e_0 ≥ e_1 ≥ … ≥ 0 fixed by position and r_j ≥ 0 fixed by item. For any
 * chosen set, the rearrangement inequality says the sum is largest when the largest r meets the
 * largest e; and swapping a chosen item for an unchosen one with a larger r never lowers the sum
 * (its e_i ≥ 0). So the top-k items in descending order of r are a maximiser.
 */
export function bestSlate(viewer: ModelViewer, products: readonly ProductView[], k: number, room: RoomContext, noise: NoiseTable, reward: RewardKind): ProductView[] {
  const unique = new Map<string, ProductView>();
  for (const p of products) if (!unique.has(p.id)) unique.set(p.id, p);
  const scored = [...unique.values()].map((product) => ({ product, r: itemReward(viewer, product, room, noise, reward) }));
  scored.sort((a, b) => b.r - a.r || (a.product.id < b.product.id ? -1 : a.product.id > b.product.id ? 1 : 0));
  return scored.slice(0, Math.max(0, Math.floor(k))).map((s) => s.product);
}

/**
 * regret = E[reward(best slate)] − E[reward(shown)], ≥ 0. The best slate is chosen among
 * `products` and the shown ones, with max(k, shown length) slots, so a shown slate can never beat
 * it; a tiny negative difference from floating-point summation is returned as 0.
 */
export function regret(
  viewer: ModelViewer,
  shown: readonly ProductView[],
  products: readonly ProductView[],
  k: number,
  room: RoomContext,
  noise: NoiseTable,
  reward: RewardKind,
): number {
  const best = bestSlate(viewer, [...products, ...shown], Math.max(k, shown.length), room, noise, reward);
  const diff = expectedReward(viewer, best, room, noise, reward) - expectedReward(viewer, shown, room, noise, reward);
  return diff > 0 ? diff : 0;
}

/** One bucket of the regret curve. */
export interface RegretBucket {
  /** First minute of the bucket. */
  minute: number;
  decisions: number;
  /** Σ regret of the bucket's decisions. */
  regret: number;
  /** Σ expected reward of the bucket's decisions (of the shown slates). */
  reward: number;
  /** Σ regret from the start of the show to the end of this bucket. */
  cumulativeRegret: number;
  cumulativeReward: number;
  /** regret / decisions (0 for an empty bucket). */
  meanRegret: number;
}

/**
 * Accumulates regret and reward per decision (a slate shown to a viewer) and reports them per
 * bucket of simulated minutes, with running totals. Empty buckets between the first and the last
 * are reported too, so the cumulative curve has a point for every bucket.
 */
export class RegretCurve {
  readonly bucketMinutes: number;
  #regret: number[] = [];
  #reward: number[] = [];
  #decisions: number[] = [];

  constructor(bucketMinutes = 1) {
    if (!(bucketMinutes > 0) || !Number.isFinite(bucketMinutes)) throw new RangeError('bucketMinutes must be a positive number');
    this.bucketMinutes = bucketMinutes;
  }

  /** Records one decision at a simulated minute (≥ 0) with its regret and expected reward. */
  add(minute: number, regret: number, reward: number): void {
    if (!(minute >= 0) || !Number.isFinite(minute)) throw new RangeError('minute must be a finite number ≥ 0');
    if (!Number.isFinite(regret) || !Number.isFinite(reward)) throw new RangeError('regret and reward must be finite');
    const b = Math.floor(minute / this.bucketMinutes);
    if (b > 1_000_000) throw new RangeError('minute is beyond a million buckets: use wider buckets');
    while (this.#decisions.length <= b) {
      this.#decisions.push(0);
      this.#regret.push(0);
      this.#reward.push(0);
    }
    this.#decisions[b]! += 1;
    this.#regret[b]! += regret;
    this.#reward[b]! += reward;
  }

  /** Decisions recorded so far. */
  get decisions(): number {
    return this.#decisions.reduce((a, b) => a + b, 0);
  }

  /** The buckets from minute 0 to the last decision's bucket, with running totals. */
  buckets(): RegretBucket[] {
    let cumulativeRegret = 0;
    let cumulativeReward = 0;
    return this.#decisions.map((decisions, i) => {
      const regret = this.#regret[i]!;
      const reward = this.#reward[i]!;
      cumulativeRegret += regret;
      cumulativeReward += reward;
      return { minute: i * this.bucketMinutes, decisions, regret, reward, cumulativeRegret, cumulativeReward, meanRegret: decisions > 0 ? regret / decisions : 0 };
    });
  }
}

/** What each level of knowledge about the viewers could reach, as mean expected reward per list. */
export interface KnowledgeCeilings {
  viewers: number;
  /** Each viewer's own best slate (the oracle of `bestSlate`: knows everything, noise included). */
  perViewer: number;
  /** One slate per group: the k products with the highest mean reward over the group's viewers. */
  perGroup: number;
  /** One slate for everyone: the k products with the highest mean reward over all viewers. */
  population: number;
}

/**
 * The ceilings of personalisation by what a policy may know: the best slate for each viewer (what
 * regret is measured against), the best one slate per group of viewers (say, the child age band a
 * viewer declared) and the best one slate for all. A policy that knows only a viewer's group cannot,
 * on average, beat `perGroup`; one that knows nothing of the viewer, `population`. Each group slate
 * is scored on every viewer of the group, so the shares are exact for these viewers and products.
 */
export function knowledgeCeilings<V extends ModelViewer>(
  viewers: readonly V[],
  groupOf: (viewer: V) => string,
  products: readonly ProductView[],
  k: number,
  room: RoomContext,
  noise: NoiseTable,
  reward: RewardKind,
): KnowledgeCeilings {
  const unique = [...new Map(products.map((p) => [p.id, p])).values()];
  const n = viewers.length;
  if (n === 0) return { viewers: 0, perViewer: 0, perGroup: 0, population: 0 };
  const rewards = viewers.map((v) => unique.map((p) => itemReward(v, p, room, noise, reward)));
  const topByMean = (rows: readonly number[][]): ProductView[] => {
    const mean = unique.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);
    const order = unique.map((p, j) => ({ p, m: mean[j]! }));
    order.sort((a, b) => b.m - a.m || (a.p.id < b.p.id ? -1 : a.p.id > b.p.id ? 1 : 0));
    return order.slice(0, Math.max(0, Math.floor(k))).map((o) => o.p);
  };
  const groups = new Map<string, number[]>();
  viewers.forEach((v, i) => {
    const g = groupOf(v);
    const members = groups.get(g);
    if (members) members.push(i);
    else groups.set(g, [i]);
  });
  const groupSlate = new Map([...groups].map(([g, members]) => [g, topByMean(members.map((i) => rewards[i]!))]));
  const everyone = topByMean(rewards);
  let perViewer = 0;
  let perGroup = 0;
  let population = 0;
  viewers.forEach((v) => {
    perViewer += expectedReward(v, bestSlate(v, unique, k, room, noise, reward), room, noise, reward);
    perGroup += expectedReward(v, groupSlate.get(groupOf(v))!, room, noise, reward);
    population += expectedReward(v, everyone, room, noise, reward);
  });
  return { viewers: n, perViewer: perViewer / n, perGroup: perGroup / n, population: population / n };
}
