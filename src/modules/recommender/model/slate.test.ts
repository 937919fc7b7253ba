import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearBandit, Rng, positionPropensities, selectSlate } from './index.js';

const candidatesOf = (scores: number[]) => scores.map((s, i) => ({ id: `p${String(i).padStart(2, '0')}`, x: Float64Array.of(1, s) }));

/** A linucb bandit with θ̂ = [0, 1] so exploit(x) = x[1]; alpha 0 gives no bonus. */
function scorer(alpha = 0): LinearBandit {
  const bandit = new LinearBandit({ dim: 2, kind: 'linucb', alpha });
  bandit.update(Float64Array.of(0, 1), 2);
  return bandit;
}

describe('selectSlate', () => {
  it('with ε = 0 and no bonus takes the best by exploit, ties to the earlier candidate, propensity 1', () => {
    const slate = selectSlate({ candidates: candidatesOf([0.2, 0.9, 0.5, 0.9, 0.1]), k: 3, bandit: scorer(), epsilon: 0, rng: new Rng(1) });
    expect(slate.map((p) => p.id)).toEqual(['p01', 'p03', 'p02']);
    expect(slate.map((p) => p.position)).toEqual([0, 1, 2]);
    for (const p of slate) {
      expect(p.propensity).toBe(1);
      expect(p.explored).toBe(false);
      expect(p.rankScore).toBe(p.exploit + p.bonus);
    }
  });

  it('with ε = 1 picks uniformly: propensity 1/remaining', () => {
    const slate = selectSlate({ candidates: candidatesOf([1, 2, 3, 4, 5]), k: 4, bandit: scorer(), epsilon: 1, rng: new Rng(2) });
    expect(slate.map((p) => p.propensity)).toEqual([1 / 5, 1 / 4, 1 / 3, 1 / 2]);
    expect(new Set(slate.map((p) => p.id)).size).toBe(4);
  });

  it('marks a pick put there by the bonus as explored', () => {
    const bandit = new LinearBandit({ dim: 2, kind: 'linucb', alpha: 5 });
    for (let t = 0; t < 20; t++) bandit.update(Float64Array.of(1, 0), 0.4); // well known: x = [1, 0]
    const candidates = [
      { id: 'known', x: Float64Array.of(1, 0) },
      { id: 'new', x: Float64Array.of(0, 1) }, // exploit 0, large bonus
    ];
    const [first] = selectSlate({ candidates, k: 1, bandit, epsilon: 0, rng: new Rng(3) });
    expect(first!.id).toBe('new');
    expect(first!.explored).toBe(true);
    expect(first!.exploit).toBeLessThan(bandit.exploit(candidates[0]!.x));
  });

  it('does not call a pick explored when it ties the best exploit score, whichever of the tied goes first', () => {
    // θ̂ = [0, 1]: both score 0.5; the second is less known (a larger bonus), so it goes first.
    const candidates = [
      { id: 'known', x: Float64Array.of(0, 0.5) },
      { id: 'tied', x: Float64Array.of(1, 0.5) },
    ];
    const bandit = scorer(1);
    expect(bandit.exploit(candidates[0]!.x)).toBe(bandit.exploit(candidates[1]!.x));
    const slate = selectSlate({ candidates, k: 2, bandit, epsilon: 0, rng: new Rng(4) });
    expect(slate.map((p) => p.id)).toEqual(['tied', 'known']);
    expect(slate.map((p) => p.explored)).toEqual([false, false]);
  });

  it('logs the exact probability of each pick, and each position’s distribution sums to 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (scores, epsilon, k, seed) => {
          const candidates = candidatesOf(scores);
          const bandit = scorer(0.3);
          const slate = selectSlate({ candidates, k, bandit, epsilon, rng: new Rng(seed) });
          expect(slate).toHaveLength(Math.min(k, scores.length));
          const rank = candidates.map((c) => bandit.exploit(c.x) + bandit.bonus(c.x));
          const ids = candidates.map((c) => c.id);
          let remaining = candidates.map((_, i) => i);
          for (const pick of slate) {
            const dist = positionPropensities(remaining, rank, epsilon);
            expect(Math.abs(dist.reduce((s, p) => s + p, 0) - 1)).toBeLessThan(1e-12);
            const at = remaining.findIndex((i) => ids[i] === pick.id);
            expect(at).toBeGreaterThanOrEqual(0);
            expect(pick.propensity).toBeCloseTo(dist[at]!, 15);
            expect(pick.propensity).toBeGreaterThan(0);
            remaining = remaining.filter((i) => ids[i] !== pick.id);
          }
        },
      ),
    );
  });

  it('logged propensities match observed frequencies', () => {
    const candidates = candidatesOf([0.9, 0.5, 0.1, 0.7]);
    const bandit = scorer();
    const rng = new Rng(17);
    const n = 40_000;
    const counts = new Map<string, number>();
    const logged = new Map<string, number>();
    for (let t = 0; t < n; t++) {
      const [first] = selectSlate({ candidates, k: 1, bandit, epsilon: 0.3, rng });
      counts.set(first!.id, (counts.get(first!.id) ?? 0) + 1);
      logged.set(first!.id, first!.propensity);
    }
    expect(logged.get('p00')).toBeCloseTo(0.7 + 0.3 / 4, 12);
    expect(logged.get('p02')).toBeCloseTo(0.3 / 4, 12);
    for (const [id, c] of counts) expect(Math.abs(c / n - logged.get(id)!)).toBeLessThan(0.01);
  });

  it('refuses duplicate ids and a bad ε or k', () => {
    const bandit = scorer();
    const rng = new Rng(1);
    const twice = [...candidatesOf([1]), ...candidatesOf([2])];
    expect(() => selectSlate({ candidates: twice, k: 1, bandit, epsilon: 0, rng })).toThrow(RangeError);
    expect(() => selectSlate({ candidates: candidatesOf([1]), k: 1, bandit, epsilon: 1.5, rng })).toThrow(RangeError);
    expect(() => selectSlate({ candidates: candidatesOf([1]), k: -1, bandit, epsilon: 0, rng })).toThrow(RangeError);
    expect(selectSlate({ candidates: [], k: 3, bandit, epsilon: 0.1, rng })).toEqual([]);
  });
});
