/** A small bounded map: the least recently used entry goes first when it is full. */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    if (this.#map.size >= this.capacity) this.#map.delete(this.#map.keys().next().value as K);
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
  }
}
