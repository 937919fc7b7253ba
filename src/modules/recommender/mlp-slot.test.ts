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
    const make = () => new MlpSlot('experiment:e1:neural', space.dim, 7, new Rng(1), store, 5, (err) => { throw err; });
    const slot = make();
    const random = new Rng(3);
    const xs = Array.from({ length: 12 }, () => Float64Array.from({ length: space.dim }, () => (random.next() < 0.3 ? random.next() : 0)));
    xs.forEach((x, i) => slot.learn(x, i % 3 === 0 ? 1 : 0, 1_000 + i));
    await slot.settled();
    expect(slot.updates).toBe(12);
    // Snapshots at 5 and 10 steps: only the two steps since the last are still stored.
    expect((await store.updatesAfter(slot.id, 10)).map((u) => u.seq)).toEqual([11, 12]);
    expect(await store.updatesAfter(slot.id, 0)).toHaveLength(2);

    const restored = make();
    expect(await restored.restore()).toBe(true);
    expect(restored.version).toBe(slot.version);
    expect(Array.from(restored.model.parameters)).toEqual(Array.from(slot.model.parameters));
    expect(restored.scorer.exploit(xs[0]!)).toBe(slot.scorer.exploit(xs[0]!));
    expect(restored.scorer.bonus(xs[0]!)).toBe(0);
    // A fresh slot with nothing stored starts cold and says so.
    expect(await new MlpSlot('experiment:e1:other', space.dim, 7, new Rng(1), store, 5).restore()).toBe(false);
  });
});
