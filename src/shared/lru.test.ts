import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lru } from './lru.js';

/** The reference: an array in recency order, oldest first. */
class ModelLru {
  entries: [number, number][] = [];
  constructor(private readonly capacity: number) {}
  get(k: number) {
    const i = this.entries.findIndex(([key]) => key === k);
    if (i < 0) return undefined;
    const [e] = this.entries.splice(i, 1);
    this.entries.push(e!);
    return e![1];
  }
  set(k: number, v: number) {
    const i = this.entries.findIndex(([key]) => key === k);
    if (i >= 0) this.entries.splice(i, 1);
    if (this.entries.length >= this.capacity) this.entries.shift();
    this.entries.push([k, v]);
  }
  delete(k: number) {
    this.entries = this.entries.filter(([key]) => key !== k);
  }
}

describe('Lru', () => {
  it('evicts the least recently used entry', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.has('b')).toBe(false);
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.size).toBe(2);
  });

  it('agrees with a reference model over random operations (the eviction cursor stays on the oldest entry)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 12 }), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const lru = new Lru<number, number>(capacity);
        const model = new ModelLru(capacity);
        for (const o of ops) {
          if (o.kind === 'get') expect(lru.get(o.key)).toBe(model.get(o.key));
          else if (o.kind === 'set') {
            lru.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            lru.delete(o.key);
            model.delete(o.key);
          } else {
            lru.clear();
            model.entries = [];
          }
          expect(lru.size).toBe(model.entries.length);
          for (const [k] of model.entries) expect(lru.has(k)).toBe(true);
        }
      }),
      { seed: 20261129, numRuns: 300 },
    );
  });

  it('peeks without making the entry recently used', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.peek('a')).toBe(1);
    expect(lru.peek('z')).toBeUndefined();
    lru.set('c', 3);
    expect(lru.has('a')).toBe(false);
    expect(lru.peek('b')).toBe(2);
  });

  it('rejects a capacity below 1', () => {
    expect(() => new Lru(0)).toThrow(RangeError);
  });
});
