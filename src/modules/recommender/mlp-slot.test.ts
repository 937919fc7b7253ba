import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng.js';
import { freshStorage, type TestStorage } from '../../../test/support/databases.js';
import { KyselyRecommenderStore } from './adapters/recommender.kysely.js';
import { FeatureSpace, FEATURES } from './model/index.js';
import { MlpSlot } from './mlp-slot.js';

describe('the MLP arm’s slot', () => {
  let storage: TestStorage | undefined;
  afterEach(async () => storage?.dispose());

  it('restores exactly the network it learnt: the latest snapshot plus the steps since, the covered steps pruned', async () => {
    storage = await freshStorage('sqlite');
    const store = new KyselyRecommenderStore(storage.storage.db);
    const space = new FeatureSpace(FEATURES);
    const make = () => new MlpSlot('experiment:e1:neural', space.dim, 7, new Rng(1), store, 5, (err) => { throw err; }, { node: 'node-a', pruneAfterMs: 0 });
    const slot = make();
    const random = new Rng(3);
    const xs = Array.from({ length: 12 }, () => Float64Array.from({ length: space.dim }, () => (random.next() < 0.3 ? random.next() : 0)));
    xs.forEach((x, i) => slot.learn(x, i % 3 === 0 ? 1 : 0, 1_000 + i));
    await slot.settled();
    expect(slot.updates).toBe(12);
    // Snapshots at 5 and 10 steps, each pruning the steps it holds older than itself (the prune age is 0 here).
    expect((await store.latestSnapshot(slot.id))?.vector).toEqual({ 'node-a': 10 });
    expect((await store.updatesSince(slot.id, {})).map((u) => u.seq)).toEqual([10, 11, 12]);
    expect((await store.updatesSince(slot.id, { 'node-a': 10 })).map((u) => u.seq)).toEqual([11, 12]);

    const restored = make();
    expect(await restored.restore()).toBe(true);
    expect(restored.version).toBe(slot.version);
    expect(Array.from(restored.model.parameters)).toEqual(Array.from(slot.model.parameters));
    expect(restored.scorer.exploit(xs[0]!)).toBe(slot.scorer.exploit(xs[0]!));
    expect(restored.scorer.bonus(xs[0]!)).toBe(0);
    // A fresh slot with nothing stored starts cold and says so.
    expect(await new MlpSlot('experiment:e1:other', space.dim, 7, new Rng(1), store, 5).restore()).toBe(false);
  });

  it('two nodes that hold the same steps agree up to their order: close, not identical; a restored node takes the snapshot’s order', async () => {
    storage = await freshStorage('sqlite');
    const store = new KyselyRecommenderStore(storage.storage.db);
    const space = new FeatureSpace(FEATURES);
    const make = (node: string) => new MlpSlot('experiment:e1:neural', space.dim, 7, new Rng(1), store, 1000, (err) => { throw err; }, { node });
    const a = make('node-a');
    const b = make('node-b');
    const random = new Rng(4);
    const x = () => Float64Array.from({ length: space.dim }, () => (random.next() < 0.3 ? random.next() : 0));
    const probes = Array.from({ length: 10 }, x);
    const cold = probes.map((p) => a.scorer.exploit(p));
    for (let i = 0; i < 40; i++) {
      a.learn(x(), i % 3 === 0 ? 1 : 0, i);
      b.learn(x(), i % 4 === 0 ? 1 : 0, i);
      if (i % 10 === 9) {
        await Promise.all([a.settled(), b.settled()]);
        await Promise.all([a.sync(), b.sync()]);
      }
    }
    expect(a.vector).toEqual({ 'node-a': 40, 'node-b': 40 });
    expect(b.vector).toEqual(a.vector);
    expect(a.version).toBe(b.version);
    // Learning moved the scores far more than the order of the steps separates the two nodes.
    const moved = Math.max(...probes.map((p, i) => Math.abs(a.scorer.exploit(p) - cold[i]!)));
    const apart = Math.max(...probes.map((p) => Math.abs(a.scorer.exploit(p) - b.scorer.exploit(p))));
    expect(apart).toBeGreaterThan(0);
    expect(apart).toBeLessThan(moved / 10);
    // A third node restores A's and B's steps (no snapshot yet: all rows, in node order) and lands as close.
    const c = make('node-c');
    await c.restore();
    expect(c.vector).toEqual(a.vector);
    expect(Math.max(...probes.map((p) => Math.abs(c.scorer.exploit(p) - a.scorer.exploit(p))))).toBeLessThan(moved / 10);
  });
});
