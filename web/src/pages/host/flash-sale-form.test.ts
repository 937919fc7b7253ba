import { describe, expect, it } from 'vitest';
import { validateFlashSale } from './flash-sale-form.ts';

const product = { id: 'p1', priceFen: 12900, stock: 50 };

describe('validateFlashSale', () => {
  it('builds the request the API takes', () => {
    expect(validateFlashSale({ price: '99', quantity: '20', durationSeconds: '300' }, product)).toEqual({
      ok: true,
      value: { productId: 'p1', price: '99.00', quantity: 20, durationSeconds: 300 },
    });
  });

  it('wants a price below the real current price', () => {
    const equal = validateFlashSale({ price: '129.00', quantity: '1', durationSeconds: '60' }, product);
    expect(equal.ok).toBe(false);
    if (!equal.ok) expect(Object.keys(equal.errors)).toEqual(['price']);
    for (const price of ['0', '', 'abc', '12.345', '-5']) {
      const result = validateFlashSale({ price, quantity: '1', durationSeconds: '60' }, product);
      expect(result.ok, price).toBe(false);
    }
  });

  it('keeps the quantity within real stock and the duration within bounds', () => {
    const result = validateFlashSale({ price: '99', quantity: '51', durationSeconds: '5' }, product);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(['durationSeconds', 'quantity']);
    expect(validateFlashSale({ price: '99', quantity: '1.5', durationSeconds: '60' }, product).ok).toBe(false);
    expect(validateFlashSale({ price: '99', quantity: '50', durationSeconds: '600' }, product).ok).toBe(true);
  });
});
