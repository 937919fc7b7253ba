import { describe, expect, it } from 'vitest';
import { nextTabIndex } from './focus-trap.ts';

describe('nextTabIndex', () => {
  it('moves forward and wraps from the last to the first', () => {
    expect(nextTabIndex(3, 0, false)).toBe(1);
    expect(nextTabIndex(3, 1, false)).toBe(2);
    expect(nextTabIndex(3, 2, false)).toBe(0);
  });

  it('moves back with Shift and wraps from the first to the last', () => {
    expect(nextTabIndex(3, 2, true)).toBe(1);
    expect(nextTabIndex(3, 0, true)).toBe(2);
  });

  it('enters at the edge when focus is on none of them (e.g. the heading)', () => {
    expect(nextTabIndex(4, -1, false)).toBe(0);
    expect(nextTabIndex(4, -1, true)).toBe(3);
    expect(nextTabIndex(4, 9, false)).toBe(0);
  });

  it('stays on a single element, and has nowhere to go with none', () => {
    expect(nextTabIndex(1, 0, false)).toBe(0);
    expect(nextTabIndex(1, 0, true)).toBe(0);
    expect(nextTabIndex(0, -1, false)).toBe(-1);
    expect(nextTabIndex(0, -1, true)).toBe(-1);
  });

  it('never leaves the set, however many times Tab is pressed', () => {
    for (const count of [1, 2, 5]) {
      let index = -1;
      const seen = new Set<number>();
      for (let i = 0; i < count * 3; i++) {
        index = nextTabIndex(count, index, i % 4 === 3);
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).toBeLessThan(count);
        seen.add(index);
      }
      expect(seen.size).toBe(count);
    }
  });
});
