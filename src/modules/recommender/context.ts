/**
 * What the recommender knows between requests, in memory only: each room's anonymous popularity
 * (from likes, add-to-cart, orders and recommendation clicks, with no identity) and each consenting
 * viewer's recent in-session behaviour (kept only for viewers whose events were stored under the
 * personalised-recommendations consent; dropped on withdrawal, erasure or after two hours).
 */
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

/**
 * What parents who declared the same child age band choose, per product category: of the items a
 * model showed to viewers of that band (only viewers whose feedback it may learn from), the share
 * that drew positive feedback (a click, add to cart, purchase or like). Shrunk towards the
 * category's share over every band, which is shrunk towards the model's overall share, so a band
 * with little data reads as the average.
 *
 * The feature `profile.age_band_popular` is lift / (1 + lift), the lift being this share over the
 * overall one: 0.5 means "as for everyone", 2/3 twice as often, 1/3 half as often; bounded, never
 * saturating. Counts only, never who: an aggregate over a
 * coarse, declared attribute, per model, in this node's memory (a restart starts from the average).
 */
export class AgeBandInterest {
  /** Per model: counts per band and category (key `band\u0000category`), per category over every band, and overall. */
  readonly #models = new Map<string, { cells: Map<string, InterestCell>; categories: Map<string, InterestCell>; total: InterestCell }>();

  shown(model: string, band: string, category: string): void {
    const m = this.#model(model);
    cellOf(m.cells, `${band}\u0000${category}`).shown++;
    cellOf(m.categories, category).shown++;
    if (++m.total.shown >= INTEREST_HALVE_AT) for (const cell of [...m.cells.values(), ...m.categories.values(), m.total]) halve(cell);
  }

  positive(model: string, band: string, category: string): void {
    const m = this.#model(model);
    cellOf(m.cells, `${band}\u0000${category}`).positive++;
    cellOf(m.categories, category).positive++;
    m.total.positive++;
  }

  /** The feature's value for a viewer of `band` and a product of `category` (0.5 with no data). */
  value(model: string, band: string, category: string): number {
    const m = this.#models.get(model);
    const overall = ((m?.total.positive ?? 0) + INTEREST_BASE.positive) / ((m?.total.shown ?? 0) + INTEREST_BASE.shown);
    const c = m?.categories.get(category);
    const categoryRate = c ? (c.positive + INTEREST_PRIOR * overall) / (c.shown + INTEREST_PRIOR) : overall;
    const b = m?.cells.get(`${band}\u0000${category}`);
    const bandRate = b ? (b.positive + INTEREST_PRIOR * categoryRate) / (b.shown + INTEREST_PRIOR) : categoryRate;
    const lift = bandRate / overall;
    return lift / (1 + lift);
  }

  /** The counts of one cell (tests, the model card). */
  counts(model: string, band: string, category: string): Readonly<InterestCell> {
    return { ...(this.#models.get(model)?.cells.get(`${band}\u0000${category}`) ?? { shown: 0, positive: 0 }) };
  }

  /** A model left memory (an experiment ended). */
  forgetModel(model: string): void {
    this.#models.delete(model);
  }

  forgetAll(): void {
    this.#models.clear();
  }

  #model(model: string) {
    let m = this.#models.get(model);
    if (!m) this.#models.set(model, (m = { cells: new Map(), categories: new Map(), total: { shown: 0, positive: 0 } }));
    return m;
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
