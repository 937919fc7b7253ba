import { describe, expect, it } from 'vitest';
import { count } from './words.js';

describe('count', () => {
  it('puts the noun in the singular for one and the plural otherwise, with grouped digits', () => {
    expect(count(1, 'problem')).toBe('1 problem');
    expect(count(0, 'problem')).toBe('0 problems');
    expect(count(3, 'gap')).toBe('3 gaps');
    expect(count(1200, 'row')).toBe('1,200 rows');
    expect(count(2, 'analysis', 'analyses')).toBe('2 analyses');
  });
});
