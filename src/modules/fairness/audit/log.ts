/**
 * Qingliu's decision log in columns, as the audit reads it: one row per recommended product shown
 * (an impression), with the coarse segments the decision carried and what the viewer did. No
 * viewer identity: the rows of one viewer cannot be linked.
 *
 * About 40 bytes per decision (typed arrays), plus one map entry per list and per unit while building.
 */
import { SEGMENT_ATTRIBUTES, type SegmentAttribute } from './contract.js';

export interface SegmentColumn {
  /** Code → segment value. */
  readonly values: readonly string[];
  /** Per row: the value's code, or −1 when the decision carries none. */
  readonly code: Int8Array;
}

export interface AuditLogColumns {
  readonly rows: number;
  /** Distinct lists (one recommendation request each), and each row's list code. */
  readonly lists: number;
  readonly list: Int32Array;
  /** Distinct units (one viewer's lists in one show), and each row's unit code. */
  readonly units: number;
  readonly unit: Int32Array;
  /** Code → product id, and its category. */
  readonly productIds: readonly string[];
  readonly productCategory: readonly string[];
  readonly product: Int32Array;
  /** 1-based position in its list. */
  readonly position: Uint8Array;
  /** The price the viewer saw (a running flash sale's price), and the list price, in fen. */
  readonly priceFen: Int32Array;
  readonly listPriceFen: Int32Array;
  readonly clicked: Uint8Array;
  readonly purchased: Uint8Array;
  readonly personalised: Uint8Array;
  /** What the exposure-fair re-ranker did to the row's list: 0 off, 1 held out, 2 kept, 3 changed. */
  readonly rerank: Uint8Array;
  readonly segments: Readonly<Record<SegmentAttribute, SegmentColumn>>;
}

export const RERANK_CODES = { holdout: 1, kept: 2, changed: 3 } as const;

export interface AuditRow {
  /** The list (one request) the row was shown in. */
  readonly listId: string;
  /** The unit of analysis: one viewer's lists in one show (defaults to the list). */
  readonly unitId?: string | undefined;
  readonly productId: string;
  readonly category: string;
  readonly position: number;
  readonly priceFen: number;
  readonly listPriceFen: number;
  readonly clicked: boolean;
  readonly purchased: boolean;
  readonly personalised: boolean;
  readonly rerank?: 'holdout' | 'kept' | 'changed' | null | undefined;
  readonly segments: Readonly<Partial<Record<SegmentAttribute, string | null>>>;
}

/** The distinct buffers under a log's typed arrays: what is moved (not copied) to another thread. */
export function logBuffers(log: AuditLogColumns): ArrayBuffer[] {
  const columns: ArrayBufferView[] = [log.list, log.unit, log.product, log.position, log.priceFen, log.listPriceFen, log.clicked, log.purchased, log.personalised, log.rerank];
  for (const column of Object.values(log.segments ?? {})) columns.push(column.code);
  const buffers = new Set<ArrayBuffer>();
  for (const c of columns) if (c?.buffer instanceof ArrayBuffer) buffers.add(c.buffer);
  return [...buffers];
}

/** Segment values per attribute: few by design (coarse bands); more is a fault upstream. */
const MAX_SEGMENT_VALUES = 100;

/** Builds the columns row by row, growing by doubling. */
export class AuditLogBuilder {
  #rows = 0;
  #capacity: number;
  #product: Int32Array;
  #list: Int32Array;
  readonly #listCode = new Map<string, number>();
  #unit: Int32Array;
  readonly #unitCode = new Map<string, number>();
  #position: Uint8Array;
  #price: Int32Array;
  #listPrice: Int32Array;
  #clicked: Uint8Array;
  #purchased: Uint8Array;
  #personalised: Uint8Array;
  #rerank: Uint8Array;
  readonly #segmentCodes: Record<SegmentAttribute, Int8Array>;
  readonly #segmentValues: Record<SegmentAttribute, Map<string, number>>;
  readonly #productCode = new Map<string, number>();
  readonly #productIds: string[] = [];
  readonly #productCategory: string[] = [];

  constructor(capacity = 1024) {
    this.#capacity = Math.max(16, capacity);
    this.#product = new Int32Array(this.#capacity);
    this.#list = new Int32Array(this.#capacity);
    this.#unit = new Int32Array(this.#capacity);
    this.#position = new Uint8Array(this.#capacity);
    this.#price = new Int32Array(this.#capacity);
    this.#listPrice = new Int32Array(this.#capacity);
    this.#clicked = new Uint8Array(this.#capacity);
    this.#purchased = new Uint8Array(this.#capacity);
    this.#personalised = new Uint8Array(this.#capacity);
    this.#rerank = new Uint8Array(this.#capacity);
    this.#segmentCodes = Object.fromEntries(SEGMENT_ATTRIBUTES.map((a) => [a, new Int8Array(this.#capacity)])) as Record<SegmentAttribute, Int8Array>;
    this.#segmentValues = Object.fromEntries(SEGMENT_ATTRIBUTES.map((a) => [a, new Map<string, number>()])) as Record<SegmentAttribute, Map<string, number>>;
  }

  get rows(): number {
    return this.#rows;
  }

  push(row: AuditRow): void {
    if (this.#rows === this.#capacity) this.#grow();
    const i = this.#rows++;
    let code = this.#productCode.get(row.productId);
    if (code === undefined) {
      code = this.#productIds.length;
      this.#productCode.set(row.productId, code);
      this.#productIds.push(row.productId);
      this.#productCategory.push(row.category);
    }
    this.#product[i] = code;
    let list = this.#listCode.get(row.listId);
    if (list === undefined) {
      list = this.#listCode.size;
      this.#listCode.set(row.listId, list);
    }
    this.#list[i] = list;
    const unitId = row.unitId ?? `list:${row.listId}`;
    let unit = this.#unitCode.get(unitId);
    if (unit === undefined) {
      unit = this.#unitCode.size;
      this.#unitCode.set(unitId, unit);
    }
    this.#unit[i] = unit;
    this.#position[i] = Math.min(255, Math.max(1, row.position));
    this.#price[i] = row.priceFen;
    this.#listPrice[i] = row.listPriceFen;
    this.#clicked[i] = row.clicked ? 1 : 0;
    this.#purchased[i] = row.purchased ? 1 : 0;
    this.#personalised[i] = row.personalised ? 1 : 0;
    this.#rerank[i] = row.rerank ? RERANK_CODES[row.rerank] : 0;
    for (const attribute of SEGMENT_ATTRIBUTES) {
      const value = row.segments[attribute];
      let c = -1;
      if (value !== null && value !== undefined && value !== '') {
        const values = this.#segmentValues[attribute];
        const known = values.get(value);
        if (known !== undefined) c = known;
        else if (values.size < MAX_SEGMENT_VALUES) {
          c = values.size;
          values.set(value, c);
        }
      }
      this.#segmentCodes[attribute][i] = c;
    }
  }

  build(): AuditLogColumns {
    const n = this.#rows;
    const segments = {} as Record<SegmentAttribute, SegmentColumn>;
    for (const a of SEGMENT_ATTRIBUTES) segments[a] = { values: [...this.#segmentValues[a].keys()], code: this.#segmentCodes[a].subarray(0, n) };
    return {
      rows: n,
      lists: this.#listCode.size,
      list: this.#list.subarray(0, n),
      units: this.#unitCode.size,
      unit: this.#unit.subarray(0, n),
      productIds: this.#productIds,
      productCategory: this.#productCategory,
      product: this.#product.subarray(0, n),
      position: this.#position.subarray(0, n),
      priceFen: this.#price.subarray(0, n),
      listPriceFen: this.#listPrice.subarray(0, n),
      clicked: this.#clicked.subarray(0, n),
      purchased: this.#purchased.subarray(0, n),
      personalised: this.#personalised.subarray(0, n),
      rerank: this.#rerank.subarray(0, n),
      segments,
    };
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const grow = <T extends Int32Array | Uint8Array | Int8Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.#product = grow(this.#product, (n) => new Int32Array(n));
    this.#list = grow(this.#list, (n) => new Int32Array(n));
    this.#unit = grow(this.#unit, (n) => new Int32Array(n));
    this.#position = grow(this.#position, (n) => new Uint8Array(n));
    this.#price = grow(this.#price, (n) => new Int32Array(n));
    this.#listPrice = grow(this.#listPrice, (n) => new Int32Array(n));
    this.#clicked = grow(this.#clicked, (n) => new Uint8Array(n));
    this.#purchased = grow(this.#purchased, (n) => new Uint8Array(n));
    this.#personalised = grow(this.#personalised, (n) => new Uint8Array(n));
    this.#rerank = grow(this.#rerank, (n) => new Uint8Array(n));
    for (const a of SEGMENT_ATTRIBUTES) this.#segmentCodes[a] = grow(this.#segmentCodes[a], (n) => new Int8Array(n));
    this.#capacity = capacity;
  }
}
