import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng (xoshiro128**)', () => {
  it('matches the reference sequence for state {1, 2, 3, 4}', () => {
    const r = Rng.fromState({ s: [1, 2, 3, 4] });
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('repeats a sequence for the same seed and resumes from its state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect(Array.from({ length: 50 }, () => a.next())).toEqual(Array.from({ length: 50 }, () => b.next()));
    expect(new Rng(43).next()).not.toBe(new Rng(42).next());
    const copy = Rng.fromState(JSON.parse(JSON.stringify(a.state())) as ReturnType<Rng['state']>);
    expect(Array.from({ length: 20 }, () => copy.normal())).toEqual(Array.from({ length: 20 }, () => a.normal()));
  });

  it('gives uniforms in [0, 1), integers in range, and normals with mean ≈ 0 and variance ≈ 1', () => {
    const r = new Rng(7);
    const n = 20_000;
    let sum = 0;
    let sq = 0;
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      counts[r.int(5)]!++;
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
    for (const c of counts) expect(Math.abs(c / n - 0.2)).toBeLessThan(0.02);
  });

  it('refuses bad seeds and states', () => {
    expect(() => new Rng(Number.NaN)).toThrow(RangeError);
    expect(() => Rng.fromState({ s: [0, 0, 0, 0] })).toThrow(RangeError);
    expect(() => Rng.fromState({ s: [1, 2, 3, 2 ** 32] })).toThrow(RangeError);
    expect(() => new Rng(1).int(0)).toThrow(RangeError);
  });
});
