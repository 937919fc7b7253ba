import { describe, expect, it } from 'vitest';
import { LiveDecisionTable, type LiveDecisionInput } from './live-decisions.js';

const DIM = 3;
const decision = (n: number, over: Partial<LiveDecisionInput<string>> = {}): LiveDecisionInput<string> => ({
  id: `d${n}`,
  sessionId: `s${n % 2}`,
  productId: `p${n}`,
  personalised: n % 2 === 0,
  createdAt: 1_000 + n,
  x: Float64Array.of(n, n + 0.5, -n),
  model: `model-${n % 3}`,
  wait: { due: 61_000 + n, deviceId: `device-${n}`, brandId: 'b1' },
  ...over,
});

describe('LiveDecisionTable', () => {
  it('gives back each decision’s facts, model and a copy of its features', () => {
    const t = new LiveDecisionTable<string>(DIM, 100, 4);
    const x = Float64Array.of(1, 2, 3);
    t.add(decision(0, { x, experiment: { id: 'e1', arm: 'b' }, priceFen: 19_900, category: 'toys' }));
    t.add(decision(1));
    x[0] = 99; // the caller's vector is the caller's: the table kept its own copy
    const d0 = t.get('d0')!;
    expect(d0.facts).toEqual({ id: 'd0', sessionId: 's0', productId: 'p0', personalised: true, createdAt: 1_000, experiment: { id: 'e1', arm: 'b' }, priceFen: 19_900, category: 'toys', deviceId: 'device-0' });
    expect([...d0.x]).toEqual([1, 2, 3]);
    expect(d0.model).toBe('model-0');
    expect(d0).toMatchObject({ rewarded: false, defaulted: false });
    expect(t.get('d1')!.facts).toMatchObject({ personalised: false, priceFen: undefined, category: undefined, experiment: undefined });
    expect(t.get('nope')).toBeUndefined();
    expect(t.size).toBe(2);
  });

  it('grows from a few rows to its capacity without moving a decision, then lets the oldest go first', () => {
    const t = new LiveDecisionTable<string>(DIM, 10, 2);
    for (let n = 0; n < 10; n++) t.add(decision(n));
    for (let n = 0; n < 10; n++) expect([...t.get(`d${n}`)!.x]).toEqual([n, n + 0.5, -n]);
    const before = t.get('d3')!;
    for (let n = 10; n < 14; n++) t.add(decision(n));
    expect(t.size).toBe(10);
    for (let n = 0; n < 4; n++) expect(t.get(`d${n}`)).toBeUndefined();
    for (let n = 4; n < 14; n++) expect(t.get(`d${n}`)!.facts.productId).toBe(`p${n}`);
    // A row read before it was taken by a newer decision is no longer found by its place.
    expect(t.at(before.row, before.seq)).toBeUndefined();
    const d13 = t.get('d13')!;
    expect(t.at(d13.row, d13.seq)!.facts.id).toBe('d13');
  });

  it('refuses features of the wrong length, and sizes that make no table', () => {
    const t = new LiveDecisionTable<string>(DIM, 10);
    expect(() => t.add(decision(0, { x: Float64Array.of(1, 2) }))).toThrow(RangeError);
    expect(t.size).toBe(0);
    expect(() => new LiveDecisionTable<string>(0, 10)).toThrow(RangeError);
    expect(() => new LiveDecisionTable<string>(3, 0)).toThrow(RangeError);
  });

  it('hands out reward waits as they end, oldest first, each once; decisions without a wait are passed over', () => {
    const t = new LiveDecisionTable<string>(DIM, 100);
    for (let n = 0; n < 6; n++) t.add(decision(n, n === 2 ? { wait: undefined } : {}));
    expect(t.waiting).toBe(6);
    expect(t.hasDue(61_000 - 1, 50)).toBe(false);
    expect(t.due(61_000 - 1, 50)).toEqual([]);
    expect(t.hasDue(61_003, 50)).toBe(true);
    expect(t.due(61_003, 50).map((d) => [d.deviceId, d.brandId])).toEqual([
      ['device-0', 'b1'],
      ['device-1', 'b1'],
      ['device-3', 'b1'],
    ]);
    expect(t.due(61_003, 50)).toEqual([]);
    expect(t.waiting).toBe(2);
    const [d4, d5] = t.due(70_000, 50);
    expect([t.at(d4!.row, d4!.seq)!.facts.id, t.at(d5!.row, d5!.seq)!.facts.id]).toEqual(['d4', 'd5']);
    expect(t.hasDue(70_000, 50)).toBe(false);
  });

  it('has nothing due when no decision waits (the reward wait off)', () => {
    const t = new LiveDecisionTable<string>(DIM, 100);
    for (let n = 0; n < 5; n++) t.add(decision(n, { wait: undefined }));
    expect(t.hasDue(1e12, 0)).toBe(false);
    expect(t.due(1e12, 0)).toEqual([]);
    expect(t.waiting).toBe(0);
    t.add(decision(5));
    expect(t.hasDue(61_005, 50)).toBe(true);
    expect(t.due(61_005, 50).map((d) => d.deviceId)).toEqual(['device-5']);
  });

  it('cuts the oldest waits short when more than the most allowed wait', () => {
    const t = new LiveDecisionTable<string>(DIM, 100);
    for (let n = 0; n < 10; n++) t.add(decision(n));
    // Nothing is due yet, but only the newest 4 may wait.
    expect(t.due(0, 4).map((d) => d.deviceId)).toEqual(['device-0', 'device-1', 'device-2', 'device-3', 'device-4', 'device-5']);
    expect(t.waiting).toBe(4);
    expect(t.hasDue(0, 4)).toBe(false);
  });

  it('never hands out a decision that left the table before its wait ended', () => {
    const t = new LiveDecisionTable<string>(DIM, 4);
    for (let n = 0; n < 7; n++) t.add(decision(n));
    expect(t.waiting).toBe(4);
    expect(t.due(1e9, 100).map((d) => d.deviceId)).toEqual(['device-3', 'device-4', 'device-5', 'device-6']);
  });

  it('marks feedback and the default reward on the decision’s row', () => {
    const t = new LiveDecisionTable<string>(DIM, 10);
    t.add(decision(0));
    t.add(decision(1));
    t.add(decision(2));
    const [d0, d1, d2] = ['d0', 'd1', 'd2'].map((id) => t.get(id)!);
    t.markRewarded(d0!.row);
    t.markDefaulted(d1!.row);
    expect(t.get('d0')).toMatchObject({ rewarded: true, defaulted: false });
    expect(t.get('d1')).toMatchObject({ rewarded: false, defaulted: true });
    expect([d0, d1, d2].map((d) => t.awaitsReward(d!.row, d!.seq))).toEqual([false, false, true]);
    // Not once its row holds another decision.
    expect(t.awaitsReward(d2!.row, d2!.seq + 1)).toBe(false);
  });

  it('counts a decision towards its age band’s interest once as shown and once as positive (context.ts interestDelta)', () => {
    const t = new LiveDecisionTable<string>(DIM, 10);
    t.add(decision(0, { interest: { band: '0_6m', category: 'diapers' } }));
    t.add(decision(1));
    const row = t.get('d0')!.row;
    expect(t.interestDelta(row, 0)).toEqual({ band: '0_6m', category: 'diapers', shown: true, positive: false });
    expect(t.interestDelta(row, 0)).toBeUndefined();
    expect(t.interestDelta(row, 1)).toEqual({ band: '0_6m', category: 'diapers', shown: false, positive: true });
    expect(t.interestDelta(row, 1)).toBeUndefined();
    expect(t.interestDelta(t.get('d1')!.row, 1)).toBeUndefined();
  });
});
