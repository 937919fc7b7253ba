/**
 * The stored updates of a model, as the nodes that learn it read and prune them (model-slot.ts),
 * on every database: what a sync reads and what a prune deletes, and, on SQLite, that neither walks
 * the rows it does not need (a busy node stores thousands a second and keeps an hour of them).
 */
import { CompiledQuery } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, fileStorage, freshStorage, type TestStorage } from '../../../../test/support/databases.js';
import { QueryRecorder } from '../../../../test/support/query-recorder.js';
import type { ModelUpdateRecord } from '../ports.js';
import { KyselyRecommenderStore } from './recommender.kysely.js';

const MODEL = 'qingliu-linear-test';

const rows = (node: string, from: number, to: number, createdAt: (seq: number) => number = (seq) => seq): ModelUpdateRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ node, seq: from + i, x: [from + i, 0.5], reward: (from + i) % 2, createdAt: createdAt(from + i) }));

const keys = (us: readonly ModelUpdateRecord[]) => us.map((u) => `${u.node}:${u.seq}`);

describe.each(DIALECTS)('stored model updates (%s)', (dialect) => {
  let storage: TestStorage | undefined;
  afterEach(async () => storage?.dispose());

  const open = async () => {
    storage = await freshStorage(dialect);
    return new KyselyRecommenderStore(storage.storage.db);
  };

  it("a sync reads every other node's rows after its cursor, those of nodes it has never seen from the first, and none of its own", async () => {
    const store = await open();
    await store.appendUpdates(MODEL, rows('node-m', 1, 40));
    await store.appendUpdates(MODEL, rows('node-a', 1, 6));
    await store.appendUpdates(MODEL, rows('node-z', 1, 3));
    await store.appendUpdates(MODEL, rows('legacy', 1, 2));
    await store.appendUpdates('another-model', rows('node-b', 1, 5));

    // node-m knows node-a up to 4, and has never seen node-z or the legacy rows.
    const read = await store.updatesSince(MODEL, { 'node-a': 4, 'node-m': 40 }, 'node-m');
    expect(keys(read)).toEqual(['legacy:1', 'legacy:2', 'node-a:5', 'node-a:6', 'node-z:1', 'node-z:2', 'node-z:3']);
    expect(read[2]).toEqual({ node: 'node-a', seq: 5, x: [5, 0.5], reward: 1, createdAt: 5 });
    // Up to date: nothing.
    expect(await store.updatesSince(MODEL, { 'node-a': 6, 'node-z': 3, legacy: 2 }, 'node-m')).toEqual([]);
    // Without a node of its own (restoring), every row after the vector.
    expect(keys(await store.updatesSince(MODEL, { 'node-m': 38, 'node-a': 6, 'node-z': 3, legacy: 2 }))).toEqual(['node-m:39', 'node-m:40']);
    expect(await store.updatesSince('no-such-model', {}, 'node-m')).toEqual([]);
  });

  it('a prune deletes the rows the snapshot holds that are older than the cut-off, and nothing else', async () => {
    const store = await open();
    // Times 10, 20, 30 …
    await store.appendUpdates(MODEL, rows('node-a', 1, 10, (seq) => seq * 10));
    await store.appendUpdates(MODEL, rows('node-b', 1, 10, (seq) => seq * 10));
    await store.appendUpdates(MODEL, rows('node-c', 1, 4, (seq) => seq * 10));
    await store.appendUpdates('another-model', rows('node-a', 1, 10, (seq) => seq * 10));

    // The snapshot holds node-a to 8 and node-b to 3, not node-c; cut-off 55 (seq ≤ 5 are older).
    expect(await store.pruneUpdates(MODEL, { 'node-a': 8, 'node-b': 3 }, 55)).toBe(5 + 3);
    expect(keys(await store.updatesSince(MODEL, {}))).toEqual([
      ...['node-a:6', 'node-a:7', 'node-a:8', 'node-a:9', 'node-a:10'],
      ...['node-b:4', 'node-b:5', 'node-b:6', 'node-b:7', 'node-b:8', 'node-b:9', 'node-b:10'],
      ...['node-c:1', 'node-c:2', 'node-c:3', 'node-c:4'],
    ]);
    expect(await store.updatesSince('another-model', {})).toHaveLength(10);
    // Again: nothing more is old enough and held.
    expect(await store.pruneUpdates(MODEL, { 'node-a': 8, 'node-b': 3 }, 55)).toBe(0);
    expect(await store.pruneUpdates(MODEL, {}, 1_000)).toBe(0);
    // A row older than the cut-off but after a newer one (a clock stepped back) goes only if held.
    await store.appendUpdates(MODEL, rows('node-b', 11, 11, () => 1));
    expect(await store.pruneUpdates(MODEL, { 'node-b': 10 }, 55)).toBe(2);
    expect(keys(await store.updatesSince(MODEL, {})).filter((k) => k.startsWith('node-b'))).toEqual(['node-b:6', 'node-b:7', 'node-b:8', 'node-b:9', 'node-b:10', 'node-b:11']);
    expect(await store.pruneUpdates(MODEL, { 'node-b': 11 }, 55)).toBe(1);
  });

});

describe('stored model updates on SQLite: the query plans', () => {
  let storage: TestStorage | undefined;
  afterEach(async () => storage?.dispose());

  it('neither a sync nor a prune walks more of the table than the rows it returns or deletes', async () => {
    storage = await freshStorage('sqlite');
    const store = new KyselyRecommenderStore(storage.storage.db);
    const recorder = new QueryRecorder();
    const db = storage.storage.db;
    const recorded = new KyselyRecommenderStore(db.withPlugin(recorder));
    await store.appendUpdates(MODEL, rows('node-m', 1, 50));
    await store.appendUpdates(MODEL, rows('node-a', 1, 5));
    await recorded.updatesSince(MODEL, { 'node-a': 2 }, 'node-m');
    await recorded.pruneUpdates(MODEL, { 'node-m': 50, 'node-a': 5 }, 10);
    expect(recorder.nodes.length).toBeGreaterThanOrEqual(4);

    let firstNodeSeeks = 0;
    let rangeSeeks = 0;
    for (const node of recorder.nodes) {
      const compiled = db.getExecutor().compileQuery(node, { queryId: 'plan' });
      const plan = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
      for (const { detail } of plan.rows.filter((r) => r.detail.includes('model_updates'))) {
        // The first node of the model: min(node) over the key's (model=?) prefix is its first entry, one seek.
        if (/^select min\("node"\) as "node" from "model_updates" where "model" = \?$/.test(compiled.sql)) {
          expect(detail).toMatch(/^SEARCH model_updates USING COVERING INDEX \S+ \(model=\?\)$/);
          firstNodeSeeks++;
          continue;
        }
        // Every other access is a range on more than the model: (model, node …) or (model, created_at …),
        // never a walk of all the model's rows (`(model=?)`) or of the table (`SCAN`).
        expect(detail, compiled.sql).toMatch(/^SEARCH model_updates USING (COVERING )?INDEX \S+ \(model=\? AND (node|created_at)[<>=]/);
        rangeSeeks++;
      }
    }
    expect(firstNodeSeeks).toBe(1);
    expect(rangeSeeks).toBeGreaterThanOrEqual(4);
  });
});

describe('stored model updates on SQLite on disk', () => {
  let storage: TestStorage | undefined;
  afterEach(async () => storage?.dispose());

  it('updates and the snapshot that holds them are written by the writer thread, in order, and read back as stored', async () => {
    storage = await fileStorage();
    const writer = storage.storage.writer;
    expect(writer).toBeDefined();
    const store = new KyselyRecommenderStore(storage.storage.db, { writer });
    // Not awaited in between, as the slot stores them: the snapshot is queued behind the updates.
    const stored = Promise.all([
      store.appendUpdates(MODEL, rows('node-a', 1, 3)),
      store.saveSnapshot({ version: 'v3', model: MODEL, updates: 3, snapshot: '{"n":3}', createdAt: 3, vector: { 'node-a': 3 } }),
      store.appendUpdates(MODEL, rows('node-a', 4, 5)),
    ]);
    await stored;
    expect(await store.latestSnapshot(MODEL)).toEqual({ version: 'v3', model: MODEL, updates: 3, snapshot: '{"n":3}', createdAt: 3, vector: { 'node-a': 3 } });
    expect(keys(await store.updatesSince(MODEL, { 'node-a': 3 }))).toEqual(['node-a:4', 'node-a:5']);
    // The same version again is a no-op.
    await store.saveSnapshot({ version: 'v3', model: MODEL, updates: 99, snapshot: '{}', createdAt: 9, vector: {} });
    expect((await store.latestSnapshot(MODEL))?.updates).toBe(3);
  });

  it('refuses an update it cannot encode through its promise, never by throwing, and writes nothing of the batch', async () => {
    storage = await fileStorage();
    const store = new KyselyRecommenderStore(storage.storage.db, { writer: storage.storage.writer });
    // JSON cannot hold a BigInt: the batch fails while its statements are built.
    const bad = [...rows('node-a', 1, 2), { node: 'node-a', seq: 3, x: [BigInt(1) as unknown as number], reward: 1, createdAt: 3 }];
    let pending: Promise<void> | undefined;
    expect(() => (pending = store.appendUpdates(MODEL, bad))).not.toThrow();
    await expect(pending).rejects.toThrow(TypeError);
    expect(await store.updatesSince(MODEL, {})).toEqual([]);
    await store.appendUpdates(MODEL, rows('node-a', 1, 2));
    expect(keys(await store.updatesSince(MODEL, {}))).toEqual(['node-a:1', 'node-a:2']);
  });
});
