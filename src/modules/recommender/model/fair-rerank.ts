/**
 * Exposure-fair re-ranking (optional, off by default): keeps each product group's amortised exposure
 * in a live show within a band of its share of merit, in the spirit of Biega et al. (SIGIR 2018,
 * "equity of attention": attention amortised over repeated rankings) with a greedy, position-by-
 * position fill (as Geyik et al., KDD 2019, fill slots to target proportions).
 *
 * Exposure of a placement at position j (1-based) is 1/log2(1 + j), as the audit measures it. A
 * group's merit is its click-through in the show so far, smoothed towards the show's overall
 * click-through (`priorWeight` pseudo-impressions), times the number of its products on offer: a
 * group with more products, or more clicked ones, deserves more attention. A group is over-exposed
 * when its share of exposure, counting this placement, would pass `1/band` times its merit share.
 *
 * The fill: for each slot, the best-ranked remaining candidate whose group would not be over-exposed;
 * when every remaining group would be, the best-ranked one (the list is never shorter). Pure: the
 * ledger is read, never written here.
 */

export interface ExposureLedger {
  /** Per group: Σ 1/log2(1 + position) of its placements so far in the show. */
  readonly exposure: ReadonlyMap<string, number>;
  readonly impressions: ReadonlyMap<string, number>;
  readonly clicks: ReadonlyMap<string, number>;
}

export interface FairRerankOptions {
  /** τ in (0, 1]: a group's exposure share may reach 1/τ times its merit share. */
  readonly band: number;
  /** Below this much exposure in the show so far, nothing is re-ranked (too little to judge). */
  readonly minExposure: number;
  /** Pseudo-impressions at the show's click-through that smooth each group's click-through. */
  readonly priorWeight: number;
}

export const FAIR_RERANK_DEFAULTS: FairRerankOptions = { band: 0.8, minExposure: 50, priorWeight: 20 };

export const positionExposure = (position: number): number => 1 / Math.log2(1 + position);

export interface RerankResult {
  /** Indices into the ranked candidates, in slot order (length min(k, candidates)). */
  readonly order: number[];
  /** True when the order differs from the first k of the ranking. */
  readonly changed: boolean;
}

export function fairRerank(
  ranked: readonly { readonly group: string }[],
  k: number,
  ledger: ExposureLedger,
  /** Products on offer per group (the room's candidates). */
  offered: ReadonlyMap<string, number>,
  options: FairRerankOptions = FAIR_RERANK_DEFAULTS,
): RerankResult {
  const n = Math.min(k, ranked.length);
  const identity = Array.from({ length: n }, (_, i) => i);
  let totalExposure = 0;
  for (const e of ledger.exposure.values()) totalExposure += e;
  if (totalExposure < options.minExposure || offered.size < 2) return { order: identity, changed: false };

  let impressions = 0;
  let clicks = 0;
  for (const v of ledger.impressions.values()) impressions += v;
  for (const v of ledger.clicks.values()) clicks += v;
  const showCtr = impressions > 0 ? clicks / impressions : 0;
  const merit = new Map<string, number>();
  let meritMass = 0;
  for (const [group, products] of offered) {
    const ctr = ((ledger.clicks.get(group) ?? 0) + options.priorWeight * showCtr) / ((ledger.impressions.get(group) ?? 0) + options.priorWeight);
    const m = ctr * products;
    merit.set(group, m);
    meritMass += m;
  }
  if (!(meritMass > 0)) return { order: identity, changed: false };

  const exposure = new Map(ledger.exposure);
  let total = totalExposure;
  const used = new Uint8Array(ranked.length);
  const order: number[] = [];
  for (let slot = 1; slot <= n; slot++) {
    const v = positionExposure(slot);
    let pick = -1;
    let fallback = -1;
    for (let i = 0; i < ranked.length; i++) {
      if (used[i]) continue;
      if (fallback < 0) fallback = i;
      const group = ranked[i]!.group;
      const share = ((exposure.get(group) ?? 0) + v) / (total + v);
      const meritShare = (merit.get(group) ?? 0) / meritMass;
      if (share <= meritShare / options.band) {
        pick = i;
        break;
      }
    }
    if (pick < 0) pick = fallback;
    used[pick] = 1;
    order.push(pick);
    const group = ranked[pick]!.group;
    exposure.set(group, (exposure.get(group) ?? 0) + v);
    total += v;
  }
  return { order, changed: order.some((x, i) => x !== i) };
}
