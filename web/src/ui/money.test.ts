import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fenToYuanString, formatFen, parseYuanToFen } from './money.ts';

describe('formatFen', () => {
  it('formats integer fen as yuan with two decimals', () => {
    expect(formatFen(12900)).toBe('¥129.00');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(129999)).toBe('¥1299.99');
    expect(formatFen(-250)).toBe('-¥2.50');
  });
});

describe('parseYuanToFen', () => {
  it('reads yuan with up to two decimals', () => {
    expect(parseYuanToFen('99.00')).toBe(9900);
    expect(parseYuanToFen('99')).toBe(9900);
    expect(parseYuanToFen('99.5')).toBe(9950);
    expect(parseYuanToFen(' 0.01 ')).toBe(1);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '-1', '1.234', 'abc', '1,000', '1e3', '.5', '¥9']) expect(parseYuanToFen(bad), bad).toBeNull();
  });

  it('round-trips with fenToYuanString', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 99_999_999 }), (fen) => parseYuanToFen(fenToYuanString(fen)) === fen));
  });
});
