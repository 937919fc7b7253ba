/** ExperimentStore contract, run on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyExperimentStore, type ExperimentRecord } from '../../src/modules/experiments/index.js';
import type { TotalsDelta, UnitDelta } from '../../src/modules/experiments/ports.js';
import { KyselyRecommenderStore } from '../../src/modules/recommender/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const record = (id: string, over: Partial<ExperimentRecord> = {}): ExperimentRecord => ({
  id,
  brandId: 'b1',
  name: `experiment ${id}`,
  definition: {
    name: `experiment ${id}`,
    brandId: 'b1',
    sessionIds: ['s1'],
    arms: [
      { id: 'a', name: 'A', policy: 'non_personalised' },
      { id: 'b', name: 'B', policy: 'linucb', epsilon: 0.1 },
    ],
    allocation: [0.5, 0.5],
    control: 'a',
    primaryMetric: 'conversion',
    guardrails: [{ metric: 'opt_out_rate' }],
    alpha: 0.05,
    spending: 'obrien_fleming',
    plannedUnitsPerArm: 100,
    lookEveryMinutes: 5,
  },
  status: 'draft',
  simulated: false,
  assignmentSalt: 'ab'.repeat(32),
  createdBy: 'admin',
  createdAt: 1000,
  startedAt: null,
  stoppedAt: null,
  stopReason: null,
  ...over,
});

const unit = (experimentId: string, u: string, arm: string, at: number, over: Partial<UnitDelta> = {}): UnitDelta => ({
  experimentId,
  unit: u,
  arm,
  region: 'cn-mainland',
  at,
  requests: 1,
  impressions: 4,
  clicks: 0,
  carts: 0,
  ...over,
});

const totals = (experimentId: string, arm: string, over: Partial<TotalsDelta> = {}): TotalsDelta => ({
  experimentId,
  arm,
  cohort: 'in',
  requests: 1,
  impressions: 4,
  clicks: 0,
  carts: 0,
  orders: 0,
  gmvFen: 0,
  rankingCpuMicros: 10,
  ...over,
});

for (const dialect of DIALECTS) {
  describe(`ExperimentStore on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyExperimentStore;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyExperimentStore(t.storage.db);
    });
    afterEach(async () => t.dispose());

    it('stores an experiment once and reads it back whole; lists by status and brand, newest first', async () => {
      expect(await store.insert(record('e1'))).toBe(true);
      expect(await store.insert(record('e1', { name: 'other' }))).toBe(false);
      expect(await store.get('e1')).toEqual(record('e1'));
      expect(await store.get('nope')).toBeUndefined();
      await store.insert(record('e2', { createdAt: 2000, brandId: 'b2', simulated: true }));
      expect((await store.list({})).map((e) => e.id)).toEqual(['e2', 'e1']);
      expect((await store.list({ brandId: 'b2' })).map((e) => e.id)).toEqual(['e2']);
      expect((await store.list({ status: 'running' })).map((e) => e.id)).toEqual([]);
      expect((await store.get('e2'))!.simulated).toBe(true);
    });

    it('deletes a draft only', async () => {
      await store.insert(record('e1'));
      await store.insert(record('e2'));
      await store.setStatus('e2', ['draft'], 'running', 10);
      expect(await store.deleteDraft('e2')).toBe(false);
      expect(await store.deleteDraft('e1')).toBe(true);
      expect(await store.deleteDraft('e1')).toBe(false);
      expect((await store.list({})).map((e) => e.id)).toEqual(['e2']);
    });

    it('marks an experiment simulated once, and never unmarks it', async () => {
      await store.insert(record('e1'));
      expect(await store.markSimulated('e1')).toBe(true);
      expect(await store.markSimulated('e1')).toBe(false);
      expect(await store.markSimulated('nope')).toBe(false);
      await store.setStatus('e1', ['draft'], 'running', 10);
      expect(await store.get('e1')).toMatchObject({ simulated: true, status: 'running' });
    });

    it('changes status only from the expected ones (compare-and-set), stamping start and stop', async () => {
      await store.insert(record('e1'));
      expect(await store.setStatus('e1', ['running'], 'stopped', 5)).toBe(false);
      expect(await store.setStatus('e1', ['draft'], 'running', 10)).toBe(true);
      expect(await store.setStatus('e1', ['draft'], 'running', 11)).toBe(false);
      expect(await store.get('e1')).toMatchObject({ status: 'running', startedAt: 10, stoppedAt: null });
      expect(await store.setStatus('e1', ['running'], 'stopped', 20, 'enough')).toBe(true);
      expect(await store.get('e1')).toMatchObject({ status: 'stopped', startedAt: 10, stoppedAt: 20, stopReason: 'enough' });
      expect((await store.list({ status: 'stopped' })).map((e) => e.id)).toEqual(['e1']);
    });

    it('adds deltas to units and totals (never overwriting), and sums per arm', async () => {
      await store.insert(record('e1'));
      await store.applyDeltas([unit('e1', 'u1', 'a', 100), unit('e1', 'u2', 'b', 100, { clicks: 2 })], [totals('e1', 'a'), totals('e1', 'b', { clicks: 2 })]);
      // A second node's deltas for the same unit add up; last_seen moves forward only.
      await store.applyDeltas([unit('e1', 'u1', 'a', 300, { clicks: 1, carts: 1 }), unit('e1', 'u1', 'a', 200)], [totals('e1', 'a', { clicks: 1, carts: 1, rankingCpuMicros: 5 })]);
      expect(await store.changeUnit('e1', 'u1', { orders: 1, gmvFen: 1999 })).toBe('a');
      expect(await store.changeUnit('e1', 'u2', { optedOut: true, reports: 1 })).toBe('b');
      expect(await store.changeUnit('e1', 'nobody', { orders: 1 })).toBeUndefined();
      const rows = await store.units([
        { experimentId: 'e1', unit: 'u1' },
        { experimentId: 'e1', unit: 'nobody' },
      ]);
      expect(rows).toEqual([
        {
          experimentId: 'e1',
          arm: 'a',
          counts: { firstSeenAt: 100, lastSeenAt: 300, requests: 3, impressions: 12, clicks: 1, carts: 1, orders: 1, gmvFen: 1999, reports: 0, optedOut: false },
        },
      ]);
      const sums = await store.unitSums('e1');
      const a = sums.find((s) => s.arm === 'a')!;
      const b = sums.find((s) => s.arm === 'b')!;
      expect(a.units).toBe(1);
      expect(a.metrics.conversion).toEqual({ units: 1, sum: 1, sumSquares: 1 });
      expect(a.metrics.gmv_per_viewer.sum).toBeCloseTo(19.99, 10);
      expect(a.metrics.gmv_per_viewer.sumSquares).toBeCloseTo(19.99 * 19.99, 8);
      expect(a.metrics.clicks_per_viewer).toEqual({ units: 1, sum: 1, sumSquares: 1 });
      expect(b.metrics.clicks_per_viewer).toEqual({ units: 1, sum: 2, sumSquares: 4 });
      expect(b.metrics.opt_out_rate).toEqual({ units: 1, sum: 1, sumSquares: 1 });
      expect(b.metrics.report_rate).toEqual({ units: 1, sum: 1, sumSquares: 1 });
      expect(b.metrics.conversion).toEqual({ units: 1, sum: 0, sumSquares: 0 });
      const tot = await store.totals('e1');
      expect(tot.find((x) => x.arm === 'a')).toEqual({ arm: 'a', cohort: 'in', requests: 2, impressions: 8, clicks: 1, carts: 1, orders: 1, gmvFen: 1999, rankingCpuMicros: 15 });
      await store.applyDeltas([], [totals('e1', 'outside', { cohort: 'outside', orders: 2, gmvFen: 500 })]);
      expect((await store.totals('e1')).find((x) => x.cohort === 'outside')).toMatchObject({ arm: 'outside', requests: 1, orders: 2, gmvFen: 500 });
    });

    it('reads the exposure of each arm from the decision log', async () => {
      const decisions = new KyselyRecommenderStore(t.storage.db);
      const d = (id: string, productId: string, position: number, arm: string | undefined) => ({
        id,
        sessionId: 's1',
        productId,
        position,
        propensity: 1,
        explored: false,
        personalised: arm === 'b',
        modelVersion: 'm:0',
        context: {},
        region: 'cn-mainland',
        createdAt: 1,
        ...(arm ? { experiment: { id: 'e1', arm } } : {}),
      });
      await decisions.appendDecisions([d('d1', 'p1', 0, 'a'), d('d2', 'p1', 0, 'a'), d('d3', 'p2', 1, 'b'), d('d4', 'p3', 0, undefined)]);
      expect(await decisions.decision('d3')).toMatchObject({ experiment: { id: 'e1', arm: 'b' } });
      expect((await decisions.decision('d4'))!.experiment).toBeUndefined();
      const exposure = (await store.exposure('e1')).sort((x, y) => x.arm.localeCompare(y.arm));
      expect(exposure).toEqual([
        { arm: 'a', productId: 'p1', position: 0, count: 2 },
        { arm: 'b', productId: 'p2', position: 1, count: 1 },
      ]);
    });

    it('numbers looks uniquely (a second node taking the same look is refused) and reads them in order', async () => {
      await store.insert(record('e1'));
      expect(await store.addLook({ experimentId: 'e1', look: 1, fraction: 0.2, takenAt: 10, analysis: '{"look":1}' })).toBe(true);
      expect(await store.addLook({ experimentId: 'e1', look: 1, fraction: 0.25, takenAt: 11, analysis: '{"look":1,"other":true}' })).toBe(false);
      expect(await store.addLook({ experimentId: 'e1', look: 2, fraction: 0.5, takenAt: 20, analysis: '{"look":2}' })).toBe(true);
      expect(await store.looks('e1')).toEqual([
        { experimentId: 'e1', look: 1, fraction: 0.2, takenAt: 10, analysis: '{"look":1}' },
        { experimentId: 'e1', look: 2, fraction: 0.5, takenAt: 20, analysis: '{"look":2}' },
      ]);
    });

    it('deletes one viewer’s units (erasure) and purges units of experiments that ended before a cutoff', async () => {
      await store.insert(record('old'));
      await store.insert(record('new'));
      await store.applyDeltas([unit('old', 'u1', 'a', 1), unit('old', 'u2', 'a', 1), unit('new', 'u1', 'b', 1)], []);
      expect(await store.deleteUnits([{ experimentId: 'old', unit: 'u2' }])).toBe(1);
      await store.setStatus('old', ['draft'], 'running', 5);
      await store.setStatus('old', ['running'], 'stopped', 50);
      expect(await store.purgeUnitsOfEndedBefore(40)).toBe(0);
      expect(await store.purgeUnitsOfEndedBefore(60)).toBe(1);
      expect(await store.units([{ experimentId: 'new', unit: 'u1' }])).toHaveLength(1);
      expect(await store.units([{ experimentId: 'old', unit: 'u1' }])).toHaveLength(0);
    });
  });
}
