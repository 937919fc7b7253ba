/**
 * Learning on many nodes: slots on one store are nodes. Each learns its own feedback, reads the
 * others', and every node that holds the same updates holds the same bandit (up to rounding); a node
 * that restores gets it back from the latest snapshot and the rows it does not hold.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../shared/rng.js';
import { freshStorage, type TestStorage } from '../../../test/support/databases.js';
import { KyselyRecommenderStore } from './adapters/recommender.kysely.js';
import { AgeBandCounts } from './context.js';
import { FeatureSpace, FEATURES, LinearBandit, meanVector } from './model/index.js';
import { ModelReplication, ModelReplicationGap, ModelSlot, type ReplicationOptions } from './model-slot.js';
import type { ModelLearned, ModelUpdateRecord, RecommenderStore } from './ports.js';

const space = new FeatureSpace(FEATURES);
const MODEL = 'qingliu-linear-test';

function feedback(seed: number, n: number): { x: Float64Array; reward: number }[] {
  const random = new Rng(seed);
  return Array.from({ length: n }, () => ({
    x: Float64Array.from({ length: space.dim }, () => (random.next() < 0.3 ? Math.round(random.next() * 4) / 4 : 0)),
    reward: random.next() < 0.4 ? 1 : 0,
  }));
}

const probes = feedback(99, 8).map((f) => f.x);
const background = meanVector(probes, space.dim);

/** Relative difference, with an absolute floor for values near 0. */
const close = (a: number, b: number, tolerance = 1e-9) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));

function expectSameModel(a: ModelSlot, b: ModelSlot): void {
  expect(a.updates).toBe(b.updates);
  expect(a.version).toBe(b.version);
  for (const [i, v] of a.bandit.theta.entries()) expect(close(v, b.bandit.theta[i]!), `θ[${i}] ${v} vs ${b.bandit.theta[i]}`).toBe(true);
  for (const [i, v] of a.bandit.aInv.entries()) expect(close(v, b.bandit.aInv[i]!), `A⁻¹[${i}]`).toBe(true);
  for (const x of probes) {
    expect(close(a.scorer.exploit(x), b.scorer.exploit(x))).toBe(true);
    expect(close(a.scorer.bonus(x), b.scorer.bonus(x))).toBe(true);
    const ea = a.explain(space, x, background, { explored: false, bonus: 0 });
    const eb = b.explain(space, x, background, { explored: false, bonus: 0 });
    expect(close(ea.score, eb.score)).toBe(true);
    expect(close(ea.base, eb.base)).toBe(true);
    const phis = new Map(eb.contributions.map((c) => [c.feature, c.phi]));
    for (const c of ea.contributions) expect(close(c.phi, phis.get(c.feature) ?? 0), c.feature).toBe(true);
  }
}

describe('a model learnt on many nodes', () => {
  let storage: TestStorage | undefined;
  afterEach(async () => storage?.dispose());

  const open = async () => {
    storage = await freshStorage('sqlite');
    return new KyselyRecommenderStore(storage.storage.db);
  };
  const errors: unknown[] = [];
  const slot = (store: RecommenderStore, node: string, options: { snapshotEvery?: number } & ReplicationOptions = {}) =>
    new ModelSlot(MODEL, new LinearBandit({ dim: space.dim, kind: 'linucb', alpha: 0.5, version: MODEL }), new Rng(1), store, options.snapshotEvery ?? 1000, (err) => errors.push(err), {
      node,
      ...options,
    });
  afterEach(() => {
    expect(errors).toEqual([]);
    errors.length = 0;
  });

  it('two nodes learning different feedback both hold the model of one node that learnt all of it', async () => {
    const store = await open();
    const a = slot(store, 'node-a');
    const b = slot(store, 'node-b');
    const all = slot(store, 'alone');
    const fa = feedback(1, 30);
    const fb = feedback(2, 25);
    // Interleaved, with reads in between, as two live nodes would.
    for (let i = 0; i < 30; i++) {
      a.learn(fa[i]!.x, fa[i]!.reward, 1000 + i);
      if (i < 25) b.learn(fb[i]!.x, fb[i]!.reward, 1000 + i);
      if (i % 7 === 3) {
        await Promise.all([a.settled(), b.settled()]);
        await Promise.all([a.sync(), b.sync()]);
      }
    }
    await Promise.all([a.settled(), b.settled()]);
    await Promise.all([a.sync(), b.sync()]);
    // The single learner saw everything in a third order: all of B's, then all of A's.
    for (const f of [...fb, ...fa]) all.bandit.update(f.x, f.reward);

    expect(a.vector).toEqual({ 'node-a': 30, 'node-b': 25 });
    expect(b.vector).toEqual({ 'node-a': 30, 'node-b': 25 });
    expect(a.updates).toBe(55);
    expectSameModel(a, b);
    expectSameModel(a, all);
    // Nothing new: a read applies nothing.
    expect(await a.sync()).toBe(0);
    expect(a.lastUpdateAt).toBe(1029);
    expect(b.lastUpdateAt).toBe(1029);
  });

  it('a node that restores gets the same model: the latest snapshot plus the later rows of both nodes', async () => {
    const store = await open();
    const a = slot(store, 'node-a', { snapshotEvery: 10 });
    const b = slot(store, 'node-b', { snapshotEvery: 10 });
    const fa = feedback(3, 17);
    const fb = feedback(4, 12);
    for (let i = 0; i < 17; i++) {
      a.learn(fa[i]!.x, fa[i]!.reward, 5000 + i);
      if (i < 12) b.learn(fb[i]!.x, fb[i]!.reward, 5000 + i);
      await Promise.all([a.settled(), b.settled()]);
      if (i % 4 === 0) await Promise.all([a.sync(), b.sync()]);
    }
    await Promise.all([a.sync(), b.sync()]);
    const latest = await store.latestSnapshot(MODEL);
    expect(latest).toBeDefined();
    // The snapshot holds part of each node's updates; the rest are rows after its vector.
    expect(latest!.updates).toBe(Object.values(latest!.vector).reduce((n, s) => n + s, 0));
    expect(latest!.updates).toBeLessThan(29);
    expect(Object.keys(latest!.vector).sort()).toEqual(['node-a', 'node-b']);
    // Younger than the prune age: every row is still there, the snapshot's included.
    expect(await store.updatesSince(MODEL, {})).toHaveLength(29);

    const c = slot(store, 'node-c');
    expect(await c.restore()).toBe(true);
    expect(c.vector).toEqual({ 'node-a': 17, 'node-b': 12 });
    expectSameModel(c, a);
    expectSameModel(c, b);
    // And it learns on from there, numbering its own updates from 1.
    c.learn(fa[0]!.x, 1, 6000);
    await c.settled();
    await a.sync();
    expect(a.vector).toEqual({ 'node-a': 17, 'node-b': 12, 'node-c': 1 });
    expectSameModel(c, a);
  });

  it('the age-band counts travel with the updates: every node holds the same, and a restore gives them back', async () => {
    const store = await open();
    const a = slot(store, 'node-a', { snapshotEvery: 10 });
    const b = slot(store, 'node-b', { snapshotEvery: 10 });
    const fa = feedback(5, 23);
    const fb = feedback(6, 14);
    const bands = ['0_6m', '3_6y'];
    const categories = ['diapers', 'toys', 'bath'];
    // Every update carries its item's part; a third of them are a second update of an item already counted as shown.
    const delta = (i: number, reward: number) => ({ band: bands[i % 2]!, category: categories[i % 3]!, shown: i % 3 !== 2, positive: reward > 0 });
    const alone = new AgeBandCounts();
    for (let i = 0; i < 23; i++) {
      a.learn(fa[i]!.x, fa[i]!.reward, 7000 + i, delta(i, fa[i]!.reward));
      alone.add(delta(i, fa[i]!.reward));
      if (i < 14) {
        // Some of B's updates carry no part (viewers who declared no band).
        const d = i % 4 === 0 ? undefined : delta(i + 1, fb[i]!.reward);
        b.learn(fb[i]!.x, fb[i]!.reward, 7000 + i, d);
        if (d) alone.add(d);
      }
      await Promise.all([a.settled(), b.settled()]);
      if (i % 5 === 0) await Promise.all([a.sync(), b.sync()]);
    }
    await Promise.all([a.sync(), b.sync()]);
    const latest = await store.latestSnapshot(MODEL);
    expect(latest!.updates).toBeLessThan(37);
    expect((JSON.parse(latest!.snapshot) as { ageBand: unknown[] }).ageBand.length).toBeGreaterThan(0);

    const c = slot(store, 'node-c');
    expect(await c.restore()).toBe(true);
    for (const band of [...bands, '1_3y'])
      for (const category of categories) {
        const want = alone.counts(band, category);
        for (const node of [a, b, c]) expect(node.ageBand.counts(band, category), `${band} ${category}`).toEqual(want);
        for (const node of [a, b, c]) expect(node.ageBand.value(band, category)).toBeCloseTo(alone.value(band, category), 12);
      }
    expect(alone.counts('0_6m', 'diapers').shown).toBeGreaterThan(0);
  });

  it('restores a snapshot stored before the counts were kept, with none', async () => {
    const store = await open();
    const a = slot(store, 'node-a');
    for (const f of feedback(7, 5)) a.learn(f.x, f.reward, 8000);
    await a.settled();
    const old = JSON.stringify(a.bandit.snapshot());
    await store.saveSnapshot({ version: 'old', model: MODEL, updates: 5, snapshot: old, createdAt: 8001, vector: { 'node-a': 5 } });
    const b = slot(store, 'node-b');
    expect(await b.restore()).toBe(true);
    expectSameModel(b, a);
    expect(b.ageBand.value('0_6m', 'diapers')).toBe(0.5);
  });

  it('deletes only rows the latest snapshot holds, and only once older than the prune age', async () => {
    const store = await open();
    const a = slot(store, 'node-a', { snapshotEvery: 5, pruneAfterMs: 100 });
    const f = feedback(5, 12);
    // Times 0, 50, 100 …: at the snapshot of update 10 (time 450), rows before 350 that it holds go.
    f.forEach((u, i) => a.learn(u.x, u.reward, i * 50));
    await a.settled();
    expect((await store.updatesSince(MODEL, {})).map((u) => u.seq)).toEqual([8, 9, 10, 11, 12]);
    // Snapshots of updates 5 (time 200) and 10 (time 450): at the second (cutoff 350) the first is
    // older than the prune age and goes.
    const snapshots = async () =>
      (await storage!.storage.db.selectFrom('model_snapshots').select('updates').where('model', '=', MODEL).orderBy('updates').execute()).map((r) => Number(r.updates));
    expect(await snapshots()).toEqual([10]);
    // Updates 13–20, 5 ms apart from time 560: at the snapshot of 15 (time 570, cutoff 470) the one
    // of 10 goes; at that of 20 (time 595, cutoff 495) the one of 15 is younger and stays.
    feedback(6, 8).forEach((u, i) => a.learn(u.x, u.reward, 560 + i * 5));
    await a.settled();
    expect(await snapshots()).toEqual([15, 20]);
    const c = slot(store, 'node-c');
    await c.restore();
    expectSameModel(c, a);
  });

  it('stores each own update once, in order, retrying what the database refused', async () => {
    const real = await open();
    let refuse = 1;
    const batches: number[] = [];
    const appendUpdates = async (model: string, us: readonly ModelUpdateRecord[]) => {
      if (refuse > 0) {
        refuse--;
        throw new Error('database refused');
      }
      batches.push(us.length);
      return real.appendUpdates(model, us);
    };
    const flaky = new Proxy(real, {
      get: (target, prop) => (prop === 'appendUpdates' ? appendUpdates : (Reflect.get(target, prop, target) as unknown)),
    }) as RecommenderStore;
    const a = slot(flaky, 'node-a');
    const f = feedback(6, 3);
    a.learn(f[0]!.x, f[0]!.reward, 1);
    await a.settled();
    expect(errors.splice(0)).toEqual([new Error('database refused')]);
    expect(a.unstored).toBe(1);
    a.learn(f[1]!.x, f[1]!.reward, 2);
    a.learn(f[2]!.x, f[2]!.reward, 3);
    await a.settled();
    expect(a.unstored).toBe(0);
    expect((await real.updatesSince(MODEL, {})).map((u) => `${u.node}:${u.seq}:${u.createdAt}`)).toEqual(['node-a:1:1', 'node-a:2:2', 'node-a:3:3']);
    // Updates waiting together are stored together: the refused one with the next, the last alone or with it.
    expect(batches.reduce((a, b) => a + b, 0)).toBe(3);
    // A repeated append changes nothing.
    expect(await real.appendUpdate(MODEL, { node: 'node-a', seq: 2, x: [], reward: 0, createdAt: 9 })).toBe(false);
  });

  it('reports updates pruned before it read them, and applies the rest', async () => {
    const store = await open();
    const a = slot(store, 'node-a');
    const b = slot(store, 'node-b');
    const f = feedback(7, 4);
    f.forEach((u, i) => b.learn(u.x, u.reward, i));
    await b.settled();
    await store.pruneUpdates(MODEL, { 'node-b': 2 }, 10);
    expect(await a.sync()).toBe(2);
    expect(errors.splice(0)).toEqual([expect.any(ModelReplicationGap)]);
    expect(a.vector).toEqual({ 'node-b': 4 });
  });

  it('every node starts an arm copied from its own production model from the one start stored first', async () => {
    const store = await open();
    const warm = new LinearBandit({ dim: space.dim, kind: 'linucb', version: 'arm' });
    for (const u of feedback(8, 5)) warm.update(u.x, u.reward);
    const warmer = LinearBandit.restore(warm.snapshot());
    for (const u of feedback(9, 3)) warmer.update(u.x, u.reward);
    const arm = (initial: LinearBandit, node: string) => new ModelSlot('arm', initial, new Rng(1), store, 1000, (err) => errors.push(err), { node, sharedStart: true });
    const a = arm(warm, 'node-a');
    expect(await a.restore()).toBe(false);
    const b = arm(warmer, 'node-b');
    expect(await b.restore()).toBe(true);
    expect(b.updates).toBe(5);
    expectSameModel(a, b);
  });
});

describe('the node’s replication', () => {
  let storage: TestStorage | undefined;
  afterEach(async () => storage?.dispose());

  afterEach(() => {
    vi.useRealTimers();
  });

  it('tells the bus after updates are stored, at most once per window, and reads a model when another node says it learnt', async () => {
    storage = await freshStorage('sqlite');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const store = new KyselyRecommenderStore(storage.storage.db);
    const sent: ModelLearned[] = [];
    const handlers: ((m: unknown) => void)[] = [];
    const channel = {
      publish: async (m: ModelLearned) => {
        sent.push(m);
        for (const h of handlers) h(m);
      },
      subscribe: (h: (m: unknown) => void) => {
        handlers.push(h);
        return () => handlers.splice(handlers.indexOf(h), 1);
      },
    };
    const make = (node: string) => {
      const slots: ModelSlot[] = [];
      const replication = new ModelReplication({ channel, slots: () => slots, node, pollMs: 60_000, coalesceMs: 50 });
      slots.push(new ModelSlot(MODEL, new LinearBandit({ dim: space.dim, kind: 'linucb', version: MODEL }), new Rng(1), store, 1000, undefined, replication.slotOptions));
      replication.start();
      return { replication, slot: slots[0]! };
    };
    const a = make('node-a');
    const b = make('node-b');
    const f = feedback(10, 5);
    for (const u of f) a.slot.learn(u.x, u.reward, 1);
    await a.slot.settled();
    // The first store is told at once; the four after it within the window, together at its end.
    expect(sent).toEqual([{ type: 'model_learned', node: 'node-a', model: MODEL }]);
    vi.advanceTimersByTime(49);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(2);
    // B read A's updates on hearing it (the poll is a minute away).
    await vi.waitFor(() => expect(b.slot.vector).toEqual({ 'node-a': 5 }));
    expectSameModel(b.slot, a.slot);
    // A quiet window ends without a message.
    vi.advanceTimersByTime(200);
    expect(sent).toHaveLength(2);
    // Messages of its own, of other models or of no known shape change nothing.
    for (const h of handlers) h({ type: 'model_learned', node: 'node-b', model: MODEL });
    for (const h of handlers) h({ type: 'model_learned', node: 'node-a', model: 'other' });
    for (const h of handlers) h('noise');
    await a.replication.stop();
    await b.replication.stop();
    expect(handlers).toHaveLength(0);
  });
});
