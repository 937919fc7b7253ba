/**
 * What the recommender knows between requests, in memory only: each room's anonymous popularity
 * (from likes, add-to-cart, orders and recommendation clicks, with no identity) and each consenting
 * viewer's recent in-session behaviour (kept only for viewers whose events were stored under the
 * personalised-recommendations consent; dropped on withdrawal, erasure or after two hours).
 */
import type { InterestDelta } from './ports.js';

export interface RoomActivity {
  productId: string;
  weight: number;
  at: number;
}

const FIVE_MINUTES = 5 * 60_000;

export class RoomPopularity {
  readonly #recent = new Map<string, RoomActivity[]>();
  readonly #session = new Map<string, Map<string, number>>();

  note(sessionId: string, productId: string, weight: number, at: number): void {
    let list = this.#recent.get(sessionId);
    if (!list) this.#recent.set(sessionId, (list = []));
    list.push({ productId, weight, at });
    if (list.length > 5_000) list.splice(0, list.length - 5_000);
    let totals = this.#session.get(sessionId);
    if (!totals) this.#session.set(sessionId, (totals = new Map()));
    totals.set(productId, (totals.get(productId) ?? 0) + weight);
  }

  /** Activity per product in the last five minutes and over the session. */
  snapshot(sessionId: string, now: number): { recent: Map<string, number>; session: Map<string, number> } {
    const list = this.#recent.get(sessionId) ?? [];
    let start = 0;
    while (start < list.length && list[start]!.at < now - FIVE_MINUTES) start++;
    if (start > 0) list.splice(0, start);
    const recent = new Map<string, number>();
    for (const a of list) recent.set(a.productId, (recent.get(a.productId) ?? 0) + a.weight);
    return { recent, session: new Map(this.#session.get(sessionId) ?? []) };
  }
}

export interface Behaviour {
  viewed: Set<string>;
  carted: Set<string>;
  viewedCategories: Map<string, number>;
  cartedCategories: Map<string, number>;
  lastAt: number;
}

const BEHAVIOUR_TTL = 2 * 3_600_000;
const MAX_VIEWERS = 50_000;

export class ViewerBehaviour {
  readonly #bySubject = new Map<string, Behaviour>();

  note(subject: string, event: { type: string; productId: string; category: string | undefined; at: number }): void {
    let b = this.#bySubject.get(subject);
    if (!b || event.at - b.lastAt > BEHAVIOUR_TTL) {
      b = { viewed: new Set(), carted: new Set(), viewedCategories: new Map(), cartedCategories: new Map(), lastAt: event.at };
      this.#bySubject.delete(subject);
      if (this.#bySubject.size >= MAX_VIEWERS) this.#bySubject.delete(this.#bySubject.keys().next().value as string);
      this.#bySubject.set(subject, b);
    }
    b.lastAt = event.at;
    const carted = event.type === 'add_to_cart' || event.type === 'purchase';
    (carted ? b.carted : b.viewed).add(event.productId);
    if (event.category) {
      const m = carted ? b.cartedCategories : b.viewedCategories;
      m.set(event.category, (m.get(event.category) ?? 0) + 1);
    }
  }

  of(subject: string, now: number): Behaviour | undefined {
    const b = this.#bySubject.get(subject);
    if (b && now - b.lastAt > BEHAVIOUR_TTL) {
      this.#bySubject.delete(subject);
      return undefined;
    }
    return b;
  }

  forget(subject: string): void {
    this.#bySubject.delete(subject);
  }

  forgetAll(): void {
    this.#bySubject.clear();
  }
}

interface InterestCell {
  shown: number;
  positive: number;
}

/** Prior strength of the shrinkage, in shown items: a cell with fewer than this leans on the level above it. */
const INTEREST_PRIOR = 50;
/** The overall rate's own prior: 1 positive in 20 shown (about the click-through of a live room). */
const INTEREST_BASE = { positive: 1, shown: 20 };
/** When a model's counts reach this many shown items they are halved: recent shows weigh more, and memory stays bounded. */
const INTEREST_HALVE_AT = 200_000;

/** An item shown to a viewer who declared a child age band, as the updates learnt from it count it. */
export interface InterestItem {
  readonly band: string;
  readonly category: string;
  /** Counted as shown (its first update came). */
  shown?: boolean;
  /** Counted as positive (its first positive reward came). */
  positive?: boolean;
}

/**
 * The part of an update learnt from this item in its model's age-band counts: the item's first
 * update counts it as shown, its first positive reward as positive (each once); undefined when the
 * update adds nothing. Marks the item.
 */
export function interestDelta(item: InterestItem, reward: number): InterestDelta | undefined {
  const shown = !item.shown;
  const positive = reward > 0 && !item.positive;
  if (!shown && !positive) return undefined;
  item.shown = true;
  if (positive) item.positive = true;
  return { band: item.band, category: item.category, shown, positive };
}

/** The counts as a snapshot holds them: [band, category, shown, positive] per cell. */
export type AgeBandCountsJson = readonly (readonly [string, string, number, number])[];

/**
 * What parents who declared the same child age band choose, per product category, for one model:
 * of the items the model learnt from that were shown to viewers of that band (only viewers whose
 * feedback it may learn from), the share that drew positive feedback (a click, add to cart,
 * purchase or like). Shrunk towards the category's share over every band, which is shrunk towards
 * the model's overall share, so a band with little data reads as the average.
 *
 * The feature `profile.age_band_popular` is lift / (1 + lift), the lift being this share over the
 * overall one: 0.5 means "as for everyone", 2/3 twice as often, 1/3 half as often; bounded, never
 * saturating. Counts only, never who: an aggregate over a coarse, declared attribute.
 *
 * The counts are part of the model's state: each update the model learns carries its item's
 * {@link InterestDelta}, so every node that holds the same updates holds the same counts, and a
 * restart restores them with the model (the snapshot holds them; the later updates add theirs).
 */
export class AgeBandCounts {
  /** Per band and category (key `band\u0000category`). */
  readonly #cells = new Map<string, InterestCell>();
  /** Per category over every band. */
  readonly #categories = new Map<string, InterestCell>();
  readonly #total: InterestCell = { shown: 0, positive: 0 };

  /** Adds one update's part. */
  add(delta: InterestDelta): void {
    const cell = cellOf(this.#cells, `${delta.band}\u0000${delta.category}`);
    const category = cellOf(this.#categories, delta.category);
    if (delta.shown) {
      cell.shown++;
      category.shown++;
      this.#total.shown++;
    }
    if (delta.positive) {
      cell.positive++;
      category.positive++;
      this.#total.positive++;
    }
    if (this.#total.shown >= INTEREST_HALVE_AT) for (const c of [...this.#cells.values(), ...this.#categories.values(), this.#total]) halve(c);
  }

  /** The feature's value for a viewer of `band` and a product of `category` (0.5 with no data). */
  value(band: string, category: string): number {
    const overall = (this.#total.positive + INTEREST_BASE.positive) / (this.#total.shown + INTEREST_BASE.shown);
    const c = this.#categories.get(category);
    const categoryRate = c ? (c.positive + INTEREST_PRIOR * overall) / (c.shown + INTEREST_PRIOR) : overall;
    const b = this.#cells.get(`${band}\u0000${category}`);
    const bandRate = b ? (b.positive + INTEREST_PRIOR * categoryRate) / (b.shown + INTEREST_PRIOR) : categoryRate;
    const lift = bandRate / overall;
    return lift / (1 + lift);
  }

  /** The counts of one cell (tests, the model card). */
  counts(band: string, category: string): Readonly<InterestCell> {
    return { ...(this.#cells.get(`${band}\u0000${category}`) ?? { shown: 0, positive: 0 }) };
  }

  /** The per-band cells, for a snapshot (the category and overall counts are their sums). */
  toJSON(): AgeBandCountsJson {
    return [...this.#cells].map(([key, c]) => {
      const [band, category] = key.split('\u0000') as [string, string];
      return [band, category, c.shown, c.positive] as const;
    });
  }

  /** The counts a snapshot held; anything unreadable reads as no counts (the feature then starts from the average). */
  static fromJSON(json: unknown): AgeBandCounts {
    const counts = new AgeBandCounts();
    if (!Array.isArray(json)) return counts;
    for (const row of json) {
      if (!Array.isArray(row) || row.length !== 4) continue;
      const [band, category, shown, positive] = row as unknown[];
      if (typeof band !== 'string' || typeof category !== 'string' || typeof shown !== 'number' || typeof positive !== 'number') continue;
      if (!(shown >= 0 && positive >= 0)) continue;
      for (const cell of [cellOf(counts.#cells, `${band}\u0000${category}`), cellOf(counts.#categories, category), counts.#total]) {
        cell.shown += shown;
        cell.positive += positive;
      }
    }
    return counts;
  }
}

function cellOf(cells: Map<string, InterestCell>, key: string): InterestCell {
  let cell = cells.get(key);
  if (!cell) cells.set(key, (cell = { shown: 0, positive: 0 }));
  return cell;
}

function halve(cell: InterestCell): void {
  cell.shown /= 2;
  cell.positive /= 2;
}
