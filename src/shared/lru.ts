/**
 * A small bounded map: the least recently used entry goes first when it is full.
 *
 * Eviction walks the map with one iterator kept between evictions. A Map iterates in insertion
 * order and a live iterator sees what is added after it was made, so the cursor always stands on the
 * oldest entry. A fresh `keys().next()` per eviction would instead step again over every deleted
 * slot at the front of V8's table (until the next rehash), which made a full map's inserts slow.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  #cursor: Iterator<K> | undefined;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('an Lru needs a capacity of at least 1');
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  /** The value without making it recently used (for entries that leave by age, not by use). */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    if (this.#map.size >= this.capacity) this.#evictOldest();
    this.#map.set(key, value);
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  /** Drops every key for which the test holds. */
  deleteWhere(test: (key: K) => boolean): void {
    for (const key of [...this.#map.keys()]) if (test(key)) this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
    this.#cursor = undefined;
  }

  #evictOldest(): void {
    let next = this.#cursor?.next();
    if (!next || next.done) {
      this.#cursor = this.#map.keys();
      next = this.#cursor.next();
    }
    if (!next.done) this.#map.delete(next.value);
  }
}
