/**
 * Slate selection with explicit ε-exploration and exact propensities, so that every shown slot can
 * be logged with π(a | x, items already placed) for off-policy evaluation (IPS/SNIPS/DR need it).
 *
 * For each position in order, over the candidates not yet placed:
 *   with probability 1 − ε take the greedy one: highest exploit + bonus, ties to the earlier
 *   candidate (the caller's order: the showcase position), so equal scores rank the same way in
 *   every database;
 *   with probability ε take one uniformly at random.
 *   propensity = (1 − ε)·[it is the greedy one] + ε / remaining
 * `explored` marks a pick other than the greedy-by-exploit one: the bonus or the ε draw put it there.
 *
 * One call is one decision: a lints bandit draws one θ̃ for the whole slate.
 */
import type { LinearBandit } from './bandit.js';
import { Rng } from '../../../shared/rng.js';

export { Rng };

export interface SlateCandidate {
  id: string;
  x: Float64Array;
}

export interface SlatePick {
  id: string;
  /** 0-based. */
  position: number;
  /** exploit + bonus: what the greedy choice maximises. */
  rankScore: number;
  exploit: number;
  bonus: number;
  /** Probability that this policy places this item here, given the items placed before it. */
  propensity: number;
  explored: boolean;
}

/** What ranks a slate: an exploit score, an exploration bonus, and a fresh draw per decision. */
export interface SlateScorer {
  resample(): void;
  exploit(x: Float64Array): number;
  bonus(x: Float64Array): number;
}

/** A model that ranks by one score (the MLP's logit) as a slate scorer: no draw, no bonus (it explores by ε only). */
export function scoreOnly(model: { logit(x: Float64Array): number }): SlateScorer {
  return { resample: () => undefined, exploit: (x) => model.logit(x), bonus: () => 0 };
}

export interface SlateRequest {
  candidates: readonly SlateCandidate[];
  k: number;
  /** A linear bandit (LinUCB, LinTS), or any scorer such as the MLP's (bonus 0: it explores by ε). */
  bandit: SlateScorer | LinearBandit;
  epsilon: number;
  rng: Rng;
}

export function selectSlate(request: SlateRequest): SlatePick[] {
  const { candidates, bandit, epsilon, rng } = request;
  if (!(epsilon >= 0 && epsilon <= 1)) throw new RangeError('epsilon must be in [0, 1]');
  if (!Number.isInteger(request.k) || request.k < 0) throw new RangeError('k must be a non-negative integer');
  const n = candidates.length;
  const ids = new Set<string>();
  for (const c of candidates) {
    if (ids.has(c.id)) throw new RangeError(`candidate id "${c.id}" appears twice`);
    ids.add(c.id);
  }
  bandit.resample();
  // Scores in plain arrays: a typed array's backing store costs microseconds to allocate, more
  // than scoring a few dozen candidates, and one list is all they live for.
  const exploit: number[] = new Array<number>(n);
  const bonus: number[] = new Array<number>(n);
  const rank: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = candidates[i]!.x;
    exploit[i] = bandit.exploit(x);
    bonus[i] = bandit.bonus(x);
    rank[i] = exploit[i]! + bonus[i]!;
  }
  const remaining: number[] = [];
  for (let i = 0; i < n; i++) remaining.push(i);
  const k = Math.min(request.k, n);
  const picks: SlatePick[] = [];
  for (let position = 0; position < k; position++) {
    const greedy = argmaxBy(remaining, rank);
    const bestExploit = exploit[argmaxBy(remaining, exploit)]!;
    const m = remaining.length;
    let slot = remaining.indexOf(greedy);
    if (epsilon > 0 && rng.next() < epsilon) slot = rng.int(m);
    const chosen = remaining[slot]!;
    remaining.splice(slot, 1);
    picks.push({
      id: candidates[chosen]!.id,
      position,
      rankScore: rank[chosen]!,
      exploit: exploit[chosen]!,
      bonus: bonus[chosen]!,
      propensity: (chosen === greedy ? 1 - epsilon : 0) + epsilon / m,
      // Explored: shown ahead of something the model scores higher (by ε, or by the uncertainty
      // bonus). A pick that ties the best score is not one, whichever of the tied it is.
      explored: exploit[chosen]! < bestExploit - EXPLOIT_TIE,
    });
  }
  return picks;
}

/**
 * The pick distribution at one position: the probability of each remaining candidate (indices into
 * `scores`), given the rank scores. Sums to 1; `selectSlate` logs the entry of the item it picked.
 */
export function positionPropensities(remaining: readonly number[], scores: ArrayLike<number>, epsilon: number): number[] {
  const m = remaining.length;
  if (m === 0) return [];
  const greedy = argmaxBy(remaining, scores);
  return remaining.map((i) => (i === greedy ? 1 - epsilon : 0) + epsilon / m);
}

/** Exploit scores this close are a tie (the model's arithmetic, not its preference). */
const EXPLOIT_TIE = 1e-12;

/** The index (from `among`) with the highest score; equal scores go to the earlier candidate. */
function argmaxBy(among: readonly number[], scores: ArrayLike<number>): number {
  let best = among[0]!;
  for (let t = 1; t < among.length; t++) {
    const i = among[t]!;
    if (scores[i]! > scores[best]! || (scores[i] === scores[best] && i < best)) best = i;
  }
  return best;
}
