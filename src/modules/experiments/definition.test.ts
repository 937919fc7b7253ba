import { describe, expect, it } from 'vitest';
import { parseDefinition } from './definition.js';

const base = {
  name: 'allocation',
  brandId: 'b1',
  sessionIds: ['s1'],
  arms: [
    { id: 'control', name: 'Not personalised', policy: 'non_personalised' },
    { id: 'bandit', name: 'LinUCB', policy: 'linucb' },
  ],
  control: 'control',
  primaryMetric: 'conversion',
  plannedUnitsPerArm: 100,
};
const problems = (allocation: unknown) => {
  const r = parseDefinition({ ...base, allocation });
  return r.ok ? [] : r.problems;
};

describe('an experiment’s allocation', () => {
  it('takes one positive share per arm, summing to 1', () => {
    expect(problems([0.5, 0.5])).toEqual([]);
    expect(problems([0.3, 0.3])).toEqual([{ field: '/allocation', reason: 'the shares must sum to 1 (they sum to 0.6)' }]);
  });

  it('names a share of 0 by its place, and a count that does not match the arms once, in plain words', () => {
    expect(problems([0, 1])).toEqual([{ field: '/allocation/0', reason: 'must be > 0' }]);
    expect(problems([0.5, 0.5, 0])).toEqual([
      { field: '/allocation/2', reason: 'must be > 0' },
      { field: '/allocation', reason: '3 shares for 2 arms: one share per arm, in arm order' },
    ]);
    // Too short for any experiment: said once, by the schema.
    expect(problems([1])).toEqual([{ field: '/allocation', reason: 'must NOT have fewer than 2 items' }]);
  });
});
