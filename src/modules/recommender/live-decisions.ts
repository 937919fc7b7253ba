import { interestDelta, type InterestItem } from './context.js';
import type { InterestDelta } from './ports.js';

/** What feedback on a decision shown by this node reads back without asking the database. */
export interface LiveDecisionFacts {
  readonly id: string;
  readonly sessionId: string;
  readonly productId: string;
  readonly personalised: boolean;
  readonly createdAt: number;
  readonly experiment?: { readonly id: string; readonly arm: string } | undefined;
  readonly priceFen?: number | undefined;
  readonly category?: string | undefined;
  /** The device of the viewer it was shown to: feedback comes from them alone. */
  readonly deviceId?: string | undefined;
}

/** A decision to keep: its facts, its features, the model that learns from it, and its reward wait. */
export interface LiveDecisionInput<Model> extends LiveDecisionFacts {
  /** The feature vector it was ranked with (copied into the table). */
  readonly x: Float64Array;
  readonly model: Model;
  /** The declared child age band and the product's category, for the model's age-band counts. */
  readonly interest?: { readonly band: string; readonly category: string } | undefined;
  /** When its reward wait ends, with whom to check consent again then (absent: no wait). */
  readonly wait?: { readonly due: number; readonly deviceId: string; readonly brandId: string } | undefined;
}

/** A kept decision, read back: a view of the table's row (valid until the row is overwritten). */
export interface LiveDecision<Model> {
  /** The row (pass it to `markRewarded`, `markDefaulted`, `interestDelta`) and the decision's place in the order added (`at`). */
  readonly row: number;
  readonly seq: number;
  readonly facts: LiveDecisionFacts;
  /** A view of the row's features: read it before the table takes more decisions. */
  readonly x: Float64Array;
  readonly model: Model;
  /** Feedback came for it (so no default reward will be learnt). */
  readonly rewarded: boolean;
  /** Its reward wait ended without feedback and the default reward was learnt (later feedback is not). */
  readonly defaulted: boolean;
}

/** One decision whose reward wait is over. */
export interface DueReward {
  readonly row: number;
  readonly seq: number;
  readonly deviceId: string;
  readonly brandId: string;
}

const REWARDED = 1;
const DEFAULTED = 2;
const INTEREST_SHOWN = 4;
const INTEREST_POSITIVE = 8;
const WAITING = 16;
const PERSONALISED = 32;

/**
 * The decisions this node showed and may still learn from, newest last, at most `capacity` (the
 * oldest leave first). Held for up to a minute each (the reward wait) at thousands a second, they
 * were objects that lived long enough to be promoted and then died in the old space: the heap grew
 * by ~150 MB every 10 s under load and each major collection stopped the event loop for 250–480 ms.
 * Here a decision is a row of typed columns (its features in one block of doubles) plus references
 * to strings the room already holds: the only objects per decision are its id and its viewer's
 * device id.
 *
 * The rows are a ring, in the order the decisions were made; as the reward wait is the same for
 * every decision, that is also the order their waits end (`due`). Columns grow by doubling up to
 * `capacity`, so an idle node holds little.
 */
export class LiveDecisionTable<Model> {
  readonly #index = new Map<string, number>();
  /** Decisions added so far; decision `seq` is in row `seq % capacity` while `seq ≥ added − capacity`. */
  #added = 0;
  /** The next decision whose reward wait `due` looks at. */
  #waitCursor = 0;
  #rows = 0;
  #x: Float64Array;
  #createdAt: Float64Array;
  #due: Float64Array;
  #priceFen: Float64Array;
  #flags: Uint8Array;
  #seq: Float64Array;
  #ids: (string | undefined)[] = [];
  #sessions: string[] = [];
  #products: string[] = [];
  #categories: (string | undefined)[] = [];
  #experiments: ({ readonly id: string; readonly arm: string } | undefined)[] = [];
  #models: (Model | undefined)[] = [];
  #bands: (string | undefined)[] = [];
  #interestCategories: (string | undefined)[] = [];
  #devices: (string | undefined)[] = [];
  #brands: (string | undefined)[] = [];

  constructor(
    readonly dim: number,
    readonly capacity: number,
    initialRows = 1024,
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError('dim must be a positive integer');
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#rows = Math.min(capacity, Math.max(1, initialRows));
    this.#x = new Float64Array(this.#rows * dim);
    this.#createdAt = new Float64Array(this.#rows);
    this.#due = new Float64Array(this.#rows);
    this.#priceFen = new Float64Array(this.#rows);
    this.#flags = new Uint8Array(this.#rows);
    this.#seq = new Float64Array(this.#rows);
  }

  /** Decisions held now. */
  get size(): number {
    return this.#index.size;
  }

  /** Decisions `due` has not taken or passed over yet. */
  get waiting(): number {
    return this.#added - Math.max(this.#waitCursor, this.#added - this.capacity);
  }

  add(d: LiveDecisionInput<Model>): void {
    if (d.x.length !== this.dim) throw new RangeError(`a decision's features must have ${this.dim} values, not ${d.x.length}`);
    const seq = this.#added;
    if (seq === this.#rows && this.#rows < this.capacity) this.#grow();
    const row = seq % this.capacity;
    const old = this.#ids[row];
    if (old !== undefined) this.#index.delete(old);
    this.#ids[row] = d.id;
    this.#index.set(d.id, row);
    this.#seq[row] = seq;
    this.#x.set(d.x, row * this.dim);
    this.#createdAt[row] = d.createdAt;
    this.#priceFen[row] = d.priceFen ?? Number.NaN;
    this.#sessions[row] = d.sessionId;
    this.#products[row] = d.productId;
    this.#categories[row] = d.category;
    this.#experiments[row] = d.experiment;
    this.#models[row] = d.model;
    this.#bands[row] = d.interest?.band;
    this.#interestCategories[row] = d.interest?.category;
    this.#flags[row] = (d.personalised ? PERSONALISED : 0) | (d.wait ? WAITING : 0);
    this.#due[row] = d.wait?.due ?? Number.POSITIVE_INFINITY;
    this.#devices[row] = d.deviceId ?? d.wait?.deviceId;
    this.#brands[row] = d.wait?.brandId;
    this.#added++;
  }

  /** The decision with this id, if it is still held. */
  get(id: string): LiveDecision<Model> | undefined {
    const row = this.#index.get(id);
    return row === undefined ? undefined : this.#view(row);
  }

  /**
   * The decision in `row` if it is still the `seq`th decision added: read again after any wait, as
   * a view's flags are those of the moment it was read and its row may since hold a newer decision.
   */
  at(row: number, seq: number): LiveDecision<Model> | undefined {
    return this.#ids[row] !== undefined && this.#seq[row] === seq ? this.#view(row) : undefined;
  }

  /**
   * Whether `row` still holds the `seq`th decision and it awaits its reward (no feedback, no
   * default yet): the check settling makes before and after each wait, without building a view.
   */
  awaitsReward(row: number, seq: number): boolean {
    return this.#ids[row] !== undefined && this.#seq[row] === seq && (this.#flags[row]! & (REWARDED | DEFAULTED)) === 0;
  }

  markRewarded(row: number): void {
    this.#flags[row]! |= REWARDED;
  }

  /** Feedback that claimed the decision was not recorded after all (a duplicate, a reused key): it may still be rewarded. */
  clearRewarded(row: number, seq: number): void {
    if (this.#seq[row] === seq) this.#flags[row]! &= ~REWARDED;
  }

  markDefaulted(row: number): void {
    this.#flags[row]! |= DEFAULTED;
  }

  /**
   * The part of an update learnt from this decision in its model's age-band counts: the first
   * update counts it as shown, the first positive one as positive (context.ts `interestDelta`).
   */
  interestDelta(row: number, reward: number): InterestDelta | undefined {
    const band = this.#bands[row];
    const category = this.#interestCategories[row];
    if (band === undefined || category === undefined) return undefined;
    const flags = this.#flags[row]!;
    const item: InterestItem = { band, category, shown: (flags & INTEREST_SHOWN) !== 0, positive: (flags & INTEREST_POSITIVE) !== 0 };
    const delta = interestDelta(item, reward);
    this.#flags[row] = flags | (item.shown ? INTEREST_SHOWN : 0) | (item.positive ? INTEREST_POSITIVE : 0);
    return delta;
  }

  /** Whether some decision's reward wait is over (or more than `maxWaiting` wait: the oldest go first). */
  hasDue(now: number, maxWaiting: number): boolean {
    return this.#nextDue(now, maxWaiting) !== undefined;
  }

  /**
   * Takes the decisions whose reward wait is over, oldest first, and those beyond the newest
   * `maxWaiting` (a node too busy for the full wait settles every decision once, early, rather than
   * drop it unsettled). Each is taken once.
   */
  due(now: number, maxWaiting: number): DueReward[] {
    const out: DueReward[] = [];
    for (let seq = this.#nextDue(now, maxWaiting); seq !== undefined; seq = this.#nextDue(now, maxWaiting)) {
      const row = seq % this.capacity;
      this.#waitCursor = seq + 1;
      out.push({ row, seq, deviceId: this.#devices[row]!, brandId: this.#brands[row]! });
    }
    return out;
  }

  /**
   * The oldest decision not yet taken by `due` if its wait is over (or too many wait). Moves the
   * cursor past decisions that left the table or have no wait: they are never due.
   */
  #nextDue(now: number, maxWaiting: number): number | undefined {
    // Decisions that left the table unsettled (it is full) are skipped, and so are those without a wait.
    let seq = Math.max(this.#waitCursor, this.#added - this.capacity);
    while (seq < this.#added && (this.#flags[seq % this.capacity]! & WAITING) === 0) seq++;
    this.#waitCursor = seq;
    if (seq >= this.#added) return undefined;
    const row = seq % this.capacity;
    if (this.#due[row]! <= now || this.#added - seq > maxWaiting) return seq;
    return undefined;
  }

  #view(row: number): LiveDecision<Model> {
    const flags = this.#flags[row]!;
    const price = this.#priceFen[row]!;
    return {
      row,
      seq: this.#seq[row]!,
      facts: {
        id: this.#ids[row]!,
        sessionId: this.#sessions[row]!,
        productId: this.#products[row]!,
        personalised: (flags & PERSONALISED) !== 0,
        createdAt: this.#createdAt[row]!,
        experiment: this.#experiments[row],
        priceFen: Number.isNaN(price) ? undefined : price,
        category: this.#categories[row],
        deviceId: this.#devices[row],
      },
      x: this.#x.subarray(row * this.dim, (row + 1) * this.dim),
      model: this.#models[row]!,
      rewarded: (flags & REWARDED) !== 0,
      defaulted: (flags & DEFAULTED) !== 0,
    };
  }

  /** Doubles the columns (only before the ring first wraps, so rows keep their places). */
  #grow(): void {
    const rows = Math.min(this.capacity, this.#rows * 2);
    const grown = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T, width = 1): T => {
      const b = make(rows * width);
      b.set(a);
      return b;
    };
    this.#x = grown(this.#x, (n) => new Float64Array(n), this.dim);
    this.#createdAt = grown(this.#createdAt, (n) => new Float64Array(n));
    this.#due = grown(this.#due, (n) => new Float64Array(n));
    this.#priceFen = grown(this.#priceFen, (n) => new Float64Array(n));
    this.#flags = grown(this.#flags, (n) => new Uint8Array(n));
    this.#seq = grown(this.#seq, (n) => new Float64Array(n));
    this.#rows = rows;
  }
}
