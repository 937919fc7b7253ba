import { describe, expect, it } from 'vitest';
import { AppError, ERROR_STATUS, ERROR_TITLES, fail, ok, problemOf, unwrap } from './index.js';

describe('errors', () => {
  it('gives every code a 4xx/5xx status and a title', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
      expect(ERROR_TITLES[code as keyof typeof ERROR_STATUS]).toBeTruthy();
    }
  });

  it('builds problem details with a stable type and code', () => {
    expect(problemOf('PIN_LIMIT_REACHED', 'unpin one')).toEqual({
      type: 'urn:qingliu:problem:pin-limit-reached',
      title: ERROR_TITLES.PIN_LIMIT_REACHED,
      status: 409,
      code: 'PIN_LIMIT_REACHED',
      detail: 'unpin one',
    });
  });

  it('unwraps results into values or AppErrors', () => {
    expect(unwrap(ok(3))).toBe(3);
    const thrown = (() => {
      try {
        unwrap(fail('PRODUCT_SOLD_OUT', 'gone', { productId: 'p' }));
      } catch (e) {
        return e;
      }
    })() as AppError;
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown.status).toBe(409);
    expect(thrown.detail).toBe('gone');
    expect(thrown.extensions).toEqual({ productId: 'p' });
  });
});
