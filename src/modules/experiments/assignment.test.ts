import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { armIndexOf, uniformOf, unitOf } from './assignment.js';

const SALT = '00'.repeat(31) + '01';

describe('assignment by keyed hash', () => {
  it('is stable, keyed and 128 bits long', () => {
    expect(unitOf(SALT, 'subject-1')).toBe(unitOf(SALT, 'subject-1'));
    expect(unitOf(SALT, 'subject-1')).toMatch(/^[0-9a-f]{32}$/);
    expect(unitOf(SALT, 'subject-1')).not.toBe(unitOf(SALT, 'subject-2'));
    // Another experiment's salt gives an unrelated unit for the same viewer.
    expect(unitOf('ff'.repeat(32), 'subject-1')).not.toBe(unitOf(SALT, 'subject-1'));
    // RFC 4231 test case 2 (key "Jefe" = 4a656665): HMAC-SHA256 starts 5bdcc146bf60754e6a042426089575c7.
    expect(unitOf('4a656665', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c7');
  });

  it('splits viewers in the allocated shares (20,000 subjects, 3 arms)', () => {
    const allocation = [0.5, 0.3, 0.2];
    const counts = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[armIndexOf(unitOf(SALT, `subject-${i}`), allocation)]!++;
    // Binomial sd at n = 20,000 is under 0.0036 for every share: allow four of them.
    counts.forEach((c, i) => expect(Math.abs(c / 20_000 - allocation[i]!)).toBeLessThan(0.015));
  });

  it('maps every unit into [0, 1) and into an existing arm', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 2, maxLength: 5 }), (unit, raw) => {
        const total = raw.reduce((a, b) => a + b, 0);
        const allocation = raw.map((x) => x / total);
        const u = uniformOf(unit);
        expect(u).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThan(1);
        const arm = armIndexOf(unit, allocation);
        expect(arm).toBeGreaterThanOrEqual(0);
        expect(arm).toBeLessThan(allocation.length);
      }),
      { seed: 7, numRuns: 500 },
    );
    expect(uniformOf('f'.repeat(32))).toBeLessThan(1);
    expect(armIndexOf('f'.repeat(32), [0.5, 0.4999999])).toBe(1);
  });
});
