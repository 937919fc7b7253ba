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
