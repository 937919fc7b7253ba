import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearBandit, MlpRanker, Rng, scoreOnly, selectSlate } from '../../recommender/model/index.js';
import { builtinScenarioPath, parseScenario, readScenarioFile } from '../../simulation/world/index.js';
import { showWorkload, type ShowOptions } from './show.js';
import type { PhaseMeter } from './workload.js';

function countingMeter(): PhaseMeter & { calls: number } {
  const m = { calls: 0, run: (work: () => void) => (m.calls++, work()) };
  return m;
}

describe('the heavy model’s slate (selectSlate with the logit as the score)', () => {
  it('picks, orders and logs propensities exactly as the bandit’s slate does for the same scores and draws', () => {
    const dim = 6;
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: dim - 1, maxLength: dim - 1 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: dim, maxLength: dim }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom(0, 0.1, 0.5, 1),
        fc.nat(1000),
        (rows, weights, k, epsilon, seed) => {
          // A perceptron without hidden layers scores wᵀx; a bandit with θ̂ = w and no bonus scores the same.
          const mlp = new MlpRanker({ dim, hidden: [] });
          const snapshot = mlp.snapshot();
          snapshot.params = [...weights.map((w) => w / 2), 0];
          const model = MlpRanker.restore(snapshot);
          const bandit = LinearBandit.restore({ ...new LinearBandit({ dim, kind: 'linucb', alpha: 0 }).snapshot(), b: weights.map((w) => w / 2) });
          const candidates = rows.map((r, i) => ({ id: `p${i}`, x: Float64Array.from([1, ...r]) }));
          const heavy = selectSlate({ candidates, k, bandit: scoreOnly(model), epsilon, rng: new Rng(seed) });
          const light = selectSlate({ candidates, k, bandit, epsilon, rng: new Rng(seed) });
          expect(heavy.map((p) => [p.id, p.position, p.propensity, p.explored])).toEqual(light.map((p) => [p.id, p.position, p.propensity, p.explored]));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the simulated show as a workload', () => {
  const full = readScenarioFile(builtinScenarioPath('baby-care'));
  const scenario = parseScenario({ ...full, audience: { ...full.audience, viewers: 250 } });
  const options: ShowOptions = { scenario, seed: 11, k: 4, epsilon: 0.1, alpha: 0.5, hidden: [64, 32], epochs: 10 };
  const w = showWorkload(options);

  it('serves the same viewers the same number of lists under both models and compares their clicks pairwise', () => {
    expect(w.kind).toBe('show');
    expect(w.recommendations).toBeGreaterThan(100);
    expect(w.itemsPerList).toBeGreaterThan(40);
    expect(w.trainingExamples).toBeGreaterThan(0);
    const q = w.quality();
    expect(q.light.outOf).toBe(q.heavy.outOf);
    expect(q.light.outOf).toBe(w.recommendations * 4);
    expect(q.difference.estimate).toBeCloseTo(q.light.ctr - q.heavy.ctr, 15);
    for (const m of [q.light, q.heavy]) {
      expect(m.ctr).toBe(m.clicks / m.outOf);
      expect(m.ci95[0]).toBeLessThanOrEqual(m.ctr);
      expect(m.ci95[1]).toBeGreaterThanOrEqual(m.ctr);
      expect(m.expectedCtr).toBeGreaterThan(0);
    }
  });

  it('learns as production does: each feedback event, and the default reward for every item of a learnable viewer that drew none', () => {
    for (const tally of [w.learning.light, w.learning.heavy]) {
      expect(tally.learnableItems).toBeGreaterThan(0);
      expect(tally.defaultRewards).toBeGreaterThan(0);
      // Most items draw no feedback; each that did not got exactly one default step.
      expect(tally.defaultRewards).toBeGreaterThan(tally.learnableItems / 2);
      expect(tally.defaultRewards).toBeLessThanOrEqual(tally.learnableItems);
      // Feedback steps are at least one per item that drew feedback, and no more than the feedback events.
      const feedbackSteps = tally.learningSteps - tally.defaultRewards;
      expect(feedbackSteps).toBeGreaterThanOrEqual(tally.learnableItems - tally.defaultRewards);
      expect(feedbackSteps).toBeLessThanOrEqual(tally.feedback);
    }
    // The training data is such a show's steps.
    expect(w.trainingExamples).toBe(w.learning.training);
  });

  it('the measured replay reproduces every pick of the played show, for both models, in chunks of lists', () => {
    for (const spec of [w.light, w.heavy]) {
      const run = spec.newRun();
      run.train(countingMeter());
      run.prepare?.();
      const meter = countingMeter();
      const common = countingMeter();
      run.serve(meter, common);
      expect(() => run.verify()).not.toThrow();
      expect(meter.calls).toBe(Math.ceil(w.recommendations / 400));
      expect(common.calls).toBe(meter.calls);
      const learn = countingMeter();
      run.learnOnly!(learn);
      expect(learn.calls).toBe(1);
      const samples: number[] = [];
      run.latency(samples);
      expect(samples).toHaveLength(w.recommendations);
    }
  });

  it('a run that did not serve is not taken as reproducing the show', () => {
    const run = w.heavy.newRun();
    run.train(countingMeter());
    expect(() => run.verify()).toThrow(/did not reproduce/);
  });

  it('is deterministic for a seed: the same show gives the same quality figures', () => {
    expect(showWorkload(options).quality()).toEqual(w.quality());
  });
});
