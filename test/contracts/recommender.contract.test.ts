/** RecommenderStore contract, run on every storage adapter. */
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyRecommenderStore, type DecisionRecord, type FeedbackType, type ModelUpdateRecord, type SnapshotRecord } from '../../src/modules/recommender/index.js';
import * as m0018 from '../../src/storage/migrations/0018-model-update-origins.js';
import * as m0019 from '../../src/storage/migrations/0019-model-update-interest.js';
import { DIALECTS, fileStorage, freshStorage, type Dialect, type TestStorage } from '../support/databases.js';

const decision = (id: string, createdAt: number, over: Partial<DecisionRecord> = {}): DecisionRecord => ({
  id,
  sessionId: 'live1',
  productId: 'p1',
  position: 0,
  propensity: 0.5,
  explored: false,
  personalised: false,
  modelVersion: 'np-1',
  context: { price: 0.25, stock: 3 },
  region: 'cn-mainland',
  createdAt,
  ...over,
});

const snapshot = (version: string, model: string, updates: number, over: Partial<SnapshotRecord> = {}): SnapshotRecord => ({
  version,
  model,
  updates,
  snapshot: JSON.stringify({ version, weights: [updates, -updates / 3] }),
  createdAt: 1000 + updates,
  vector: { legacy: updates },
  ...over,
});

const update = (node: string, seq: number, over: Partial<ModelUpdateRecord> = {}): ModelUpdateRecord => ({ node, seq, x: [seq, -seq / 4], reward: seq % 2, createdAt: 1000 + seq, ...over });
const origins = (rows: readonly ModelUpdateRecord[]) => rows.map((u) => `${u.node}:${u.seq}`);

/** Zero-padded so text order equals numeric order under any collation. */
const LEGACY = 'legacy';

const pad = (n: number): string => String(n).padStart(4, '0');

/**
 * Each dialect, and SQLite on disk with the decision log written by its own thread and connection
 * (what a one-node server on a database file runs).
 */
const VARIANTS: { dialect: Dialect; thread: boolean }[] = [
  ...DIALECTS.map((dialect) => ({ dialect, thread: false })),
  ...(DIALECTS.includes('sqlite') ? [{ dialect: 'sqlite' as const, thread: true }] : []),
];

for (const { dialect, thread } of VARIANTS) {
  describe(`RecommenderStore on ${dialect}${thread ? ' on disk (decision log on the writer thread)' : ''}`, () => {
    let t: TestStorage;
    let store: KyselyRecommenderStore;
    beforeEach(async () => {
      t = thread ? await fileStorage() : await freshStorage(dialect);
      store = new KyselyRecommenderStore(t.storage.db, { writer: t.storage.writer });
      if (thread) expect(t.storage.writer).toBeDefined();
    });
    afterEach(async () => t.dispose());

    /** The outcome columns the port does not expose directly. */
    const outcome = async (id: string) =>
      t.storage.db
        .selectFrom('recommendation_decisions')
        .select(['clicked', 'carted', 'purchased', 'feedback'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
        .then((r) => ({ clicked: Number(r.clicked), carted: Number(r.carted), purchased: Number(r.purchased), feedback: r.feedback }));

    const feedbackRows = async () =>
      (await t.storage.db.selectFrom('recommendation_feedback').selectAll().orderBy('idempotency_key').execute()).map((r) => ({
        key: r.idempotency_key,
        decisionId: r.decision_id,
        type: r.type,
        learned: Number(r.learned),
        at: Number(r.created_at),
      }));

    describe('decisions', () => {
      it('answers undefined for an unknown decision and accepts an empty batch', async () => {
        await store.appendDecisions([]);
        expect(await store.decision('nope')).toBeUndefined();
      });

      it('appends many (more than one 200-row chunk) in one call and reads every field back', async () => {
        const all = Array.from({ length: 450 }, (_, i) =>
          decision(`d${pad(i)}`, 1_700_000_000_000 + i, {
            sessionId: `live${i % 3}`,
            productId: `p${i % 7}`,
            position: i % 10,
            propensity: i === 0 ? 0.1 + 0.2 : 1 / (i + 3),
            explored: i % 2 === 0,
            personalised: i % 5 === 0,
            modelVersion: `m-${i % 4}`,
            context: { price: i / 7, stock: -(i + 1), 'room.viewers': 1e6 + 0.5, 室温: 0.000123 },
            region: i % 2 ? 'cn-mainland' : 'hk',
          }),
        );
        await store.appendDecisions(all);
        for (const i of [0, 1, 199, 200, 201, 399, 400, 449]) {
          const got = await store.decision(`d${pad(i)}`);
          expect(got).toEqual(all[i]);
          expect(typeof got?.propensity).toBe('number');
          expect(typeof got?.createdAt).toBe('number');
          expect(typeof got?.explored).toBe('boolean');
          expect(typeof got?.personalised).toBe('boolean');
        }
        expect((await store.decision('d0000'))?.propensity).toBe(0.1 + 0.2);
        expect((await store.decision('d0449'))?.propensity).toBe(1 / 452);
        const n = await t.storage.db.selectFrom('recommendation_decisions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        expect(Number(n.n)).toBe(450);
      });

      // The log is committed without waiting for the disk; nothing else may be.
      it('leaves the connection as fully synchronous as it found it, also when a batch fails', async () => {
        const level = async () =>
          dialect === 'sqlite'
            ? Number((await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(t.storage.db)).rows[0]!.synchronous)
            : String((await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(t.storage.db)).rows[0]!.synchronous_commit);
        const before = await level();
        expect(before).toBe(dialect === 'sqlite' ? 2 : 'on');
        await store.appendDecisions([decision('s1', 10), decision('s2', 11)]);
        expect(await level()).toBe(before);
        const bad = { ...decision('s3', 12), sessionId: null } as unknown as DecisionRecord;
        await expect(store.appendDecisions([decision('s4', 13), bad])).rejects.toThrow();
        expect(await level()).toBe(before);
        // All or nothing: the failed batch left no row behind.
        expect(await store.decision('s4')).toBeUndefined();
        expect(await store.decision('s1')).toBeDefined();
      });

      it('ignores a duplicate id (first write kept), within a batch and across calls', async () => {
        await store.appendDecisions([decision('a', 10, { productId: 'first' })]);
        await store.appendDecisions([decision('a', 20, { productId: 'second' }), decision('b', 30)]);
        await store.appendDecisions([decision('c', 40, { productId: 'c1' }), decision('c', 41, { productId: 'c2' })]);
        expect(await store.decision('a')).toEqual(decision('a', 10, { productId: 'first' }));
        expect(await store.decision('b')).toEqual(decision('b', 30));
        expect((await store.decision('c'))?.productId).toBe('c1');
      });
    });

    describe('feedback', () => {
      const cases: [FeedbackType, { clicked: number; carted: number; purchased: number; feedback: string | null }][] = [
        ['click', { clicked: 1, carted: 0, purchased: 0, feedback: null }],
        ['add_to_cart', { clicked: 0, carted: 1, purchased: 0, feedback: null }],
        ['purchase', { clicked: 0, carted: 0, purchased: 1, feedback: null }],
        ['like', { clicked: 0, carted: 0, purchased: 0, feedback: 'like' }],
        ['dislike', { clicked: 0, carted: 0, purchased: 0, feedback: 'dislike' }],
        ['not_interested', { clicked: 0, carted: 0, purchased: 0, feedback: 'not_interested' }],
      ];
      for (const [type, expected] of cases) {
        it(`${type}: recorded the first time, the outcome set; the same key again a duplicate, for another decision or kind a conflict, and nothing changed`, async () => {
          await store.appendDecisions([decision('d1', 10), decision('d2', 11)]);
          expect(await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd1', type, learned: true, at: 100 })).toBe('recorded');
          expect(await outcome('d1')).toEqual(expected);
          expect(await outcome('d2')).toEqual({ clicked: 0, carted: 0, purchased: 0, feedback: null });
          expect(await feedbackRows()).toEqual([{ key: 'k1', decisionId: 'd1', type, learned: 1, at: 100 }]);

          // Same key, other decision or type: a conflict, nothing touched.
          const other: FeedbackType = type === 'purchase' ? 'dislike' : 'purchase';
          expect(await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd2', type: other, learned: false, at: 200 })).toBe('conflict');
          expect(await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd2', type, learned: false, at: 200 })).toBe('conflict');
          expect(await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd1', type: other, learned: false, at: 200 })).toBe('conflict');
          expect(await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd1', type, learned: true, at: 100 })).toBe('duplicate');
          // The same kind on the same decision under a new key: the same act again, a duplicate.
          expect(await store.recordFeedback({ idempotencyKey: 'k2', decisionId: 'd1', type, learned: true, at: 300 })).toBe('duplicate');
          expect(await outcome('d1')).toEqual(expected);
          expect(await outcome('d2')).toEqual({ clicked: 0, carted: 0, purchased: 0, feedback: null });
          expect(await feedbackRows()).toEqual([{ key: 'k1', decisionId: 'd1', type, learned: 1, at: 100 }]);
        });
      }

      it('accumulates outcomes from different keys on one decision; the latest text feedback wins', async () => {
        await store.appendDecisions([decision('d1', 10)]);
        expect(await store.recordFeedback({ idempotencyKey: 'a', decisionId: 'd1', type: 'click', learned: true, at: 20 })).toBe('recorded');
        expect(await store.recordFeedback({ idempotencyKey: 'b', decisionId: 'd1', type: 'add_to_cart', learned: false, at: 21 })).toBe('recorded');
        expect(await store.recordFeedback({ idempotencyKey: 'c', decisionId: 'd1', type: 'like', learned: true, at: 22 })).toBe('recorded');
        expect(await store.recordFeedback({ idempotencyKey: 'd', decisionId: 'd1', type: 'dislike', learned: true, at: 23 })).toBe('recorded');
        expect(await outcome('d1')).toEqual({ clicked: 1, carted: 1, purchased: 0, feedback: 'dislike' });
        expect((await feedbackRows()).map((r) => [r.key, r.learned])).toEqual([
          ['a', 1],
          ['b', 0],
          ['c', 1],
          ['d', 1],
        ]);
      });

      it('concurrent feedback with the same key: exactly one recorded', async () => {
        await store.appendDecisions([decision('d1', 10)]);
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) => store.recordFeedback({ idempotencyKey: 'same', decisionId: 'd1', type: 'click', learned: true, at: 100 + i })),
        );
        expect(results.filter((r) => r === 'recorded')).toHaveLength(1);
        expect(await feedbackRows()).toHaveLength(1);
        expect(await outcome('d1')).toEqual({ clicked: 1, carted: 0, purchased: 0, feedback: null });
      });

      it('concurrent feedback of one kind on one decision under different keys: exactly one recorded, the rest duplicates', async () => {
        await store.appendDecisions([decision('d1', 10)]);
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.recordFeedback({ idempotencyKey: `key-${i}`, decisionId: 'd1', type: 'purchase', learned: true, at: 100 + i })),
        );
        expect(results.filter((r) => r === 'recorded')).toHaveLength(1);
        expect(results.filter((r) => r === 'duplicate')).toHaveLength(7);
        expect(await feedbackRows()).toHaveLength(1);
      });

      it('lets an order answer for one decision only: a purchase elsewhere naming it changes nothing', async () => {
        await store.appendDecisions([decision('d1', 10), decision('d2', 11)]);
        expect(await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd1', type: 'purchase', learned: true, at: 100, orderId: 'order-1' })).toBe('recorded');
        // The same request again is a duplicate; another decision naming the order is refused.
        expect(await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd1', type: 'purchase', learned: true, at: 101, orderId: 'order-1' })).toBe('duplicate');
        expect(await store.recordFeedback({ idempotencyKey: 'k2', decisionId: 'd2', type: 'purchase', learned: true, at: 102, orderId: 'order-1' })).toBe('order_used');
        expect(await outcome('d2')).toEqual({ clicked: 0, carted: 0, purchased: 0, feedback: null });
        // Two decisions racing for one order: one has it.
        await store.appendDecisions([decision('d3', 12), decision('d4', 13)]);
        const raced = await Promise.all(['d3', 'd4'].map((d, i) => store.recordFeedback({ idempotencyKey: `race-${i}`, decisionId: d, type: 'purchase', learned: true, at: 103, orderId: 'order-2' })));
        expect([...raced].sort()).toEqual(['order_used', 'recorded']);
        // The same key with another order is another request; a card that has its purchase cannot take another's order.
        expect(await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd1', type: 'purchase', learned: true, at: 101, orderId: 'order-9' })).toBe('conflict');
        const winner = raced.indexOf('recorded') === 0 ? 'd3' : 'd4';
        expect(await store.recordFeedback({ idempotencyKey: 'k9', decisionId: winner, type: 'purchase', learned: true, at: 101, orderId: 'order-1' })).toBe('order_used');
        // Feedback without an order (other kinds) never collides on it.
        expect(await store.recordFeedback({ idempotencyKey: 'k5', decisionId: 'd2', type: 'click', learned: true, at: 104 })).toBe('recorded');
        expect(await store.recordFeedback({ idempotencyKey: 'k6', decisionId: 'd2', type: 'like', learned: true, at: 105 })).toBe('recorded');
      });
    });

    describe('health, personalised count and summary', () => {
      beforeEach(async () => {
        await store.appendDecisions([
          // Before the window: counted nowhere.
          decision('old1', 99, { productId: 'pA', explored: true, personalised: true }),
          // live1 in the window: pA ×3, pB ×1, pC ×2.
          decision('a1', 100, { productId: 'pA', explored: true, personalised: true }),
          decision('a2', 110, { productId: 'pA' }),
          decision('a3', 120, { productId: 'pA', explored: true }),
          decision('b1', 130, { productId: 'pB', personalised: true }),
          decision('c1', 140, { productId: 'pC', personalised: true }),
          decision('c2', 150, { productId: 'pC' }),
          // Another session: never in live1's figures.
          decision('x1', 160, { sessionId: 'live2', productId: 'pB', personalised: true, explored: true }),
          decision('x2', 170, { sessionId: 'live2', productId: 'pB' }),
        ]);
        const fb = (key: string, decisionId: string, type: FeedbackType) => store.recordFeedback({ idempotencyKey: key, decisionId, type, learned: true, at: 500 });
        await fb('f1', 'a1', 'click');
        await fb('f2', 'a1', 'add_to_cart');
        await fb('f3', 'a2', 'click');
        await fb('f4', 'a3', 'purchase');
        await fb('f5', 'c1', 'click');
        await fb('f6', 'old1', 'click');
        await fb('f7', 'old1', 'purchase');
        await fb('f8', 'x1', 'click');
        await fb('f9', 'b1', 'like');
      });

      it('health counts per product for one session since a time, most impressions first', async () => {
        expect(await store.health('live1', 100)).toEqual([
          { productId: 'pA', impressions: 3, clicks: 2, carts: 1, purchases: 1, explored: 2 },
          { productId: 'pC', impressions: 2, clicks: 1, carts: 0, purchases: 0, explored: 0 },
          { productId: 'pB', impressions: 1, clicks: 0, carts: 0, purchases: 0, explored: 0 },
        ]);
        // `since` is inclusive; an earlier since takes in the old decision.
        expect((await store.health('live1', 99))[0]).toEqual({ productId: 'pA', impressions: 4, clicks: 3, carts: 1, purchases: 2, explored: 3 });
        expect(await store.health('live1', 141)).toEqual([{ productId: 'pC', impressions: 1, clicks: 0, carts: 0, purchases: 0, explored: 0 }]);
        expect(await store.health('live2', 0)).toEqual([{ productId: 'pB', impressions: 2, clicks: 1, carts: 0, purchases: 0, explored: 1 }]);
        expect(await store.health('nobody', 0)).toEqual([]);
        expect(await store.health('live1', 10_000)).toEqual([]);
        const h = await store.health('live1', 0);
        for (const row of h) for (const v of [row.impressions, row.clicks, row.carts, row.purchases, row.explored]) expect(typeof v).toBe('number');
      });

      it('breaks an impressions tie by product id', async () => {
        await store.appendDecisions([decision('t1', 1000, { sessionId: 'tie', productId: 'zz' }), decision('t2', 1000, { sessionId: 'tie', productId: 'aa' })]);
        expect((await store.health('tie', 0)).map((r) => r.productId)).toEqual(['aa', 'zz']);
      });

      it('counts the personalised decisions of a session since a time', async () => {
        expect(await store.personalisedCount('live1', 100)).toBe(3);
        expect(await store.personalisedCount('live1', 99)).toBe(4);
        expect(await store.personalisedCount('live1', 131)).toBe(1);
        expect(await store.personalisedCount('live2', 0)).toBe(1);
        expect(await store.personalisedCount('nobody', 0)).toBe(0);
      });

      it('summarises every session since a time, split by personalised', async () => {
        const byFlag = async (since: number) => (await store.summary(since)).sort((a, b) => Number(a.personalised) - Number(b.personalised));
        expect(await byFlag(100)).toEqual([
          { personalised: false, impressions: 4, clicks: 1, carts: 0, purchases: 1, explored: 1 },
          { personalised: true, impressions: 4, clicks: 3, carts: 1, purchases: 0, explored: 2 },
        ]);
        expect(await byFlag(0)).toEqual([
          { personalised: false, impressions: 4, clicks: 1, carts: 0, purchases: 1, explored: 1 },
          { personalised: true, impressions: 5, clicks: 4, carts: 1, purchases: 1, explored: 3 },
        ]);
        expect(await byFlag(165)).toEqual([{ personalised: false, impressions: 1, clicks: 0, carts: 0, purchases: 0, explored: 0 }]);
        expect(await store.summary(10_000)).toEqual([]);
      });
    });

    describe('decisionsBetween', () => {
      it('pages with `after`: [from, until), ordered by time then id, no row twice, none missed', async () => {
        // 60 decisions over 12 distinct times, inserted out of order, ids not in time order.
        const all = Array.from({ length: 60 }, (_, i) => decision(`e${pad((i * 37) % 60)}`, 1000 + (i % 12) * 10, { productId: `p${i}` }));
        await store.appendDecisions([...all].reverse());
        await store.recordFeedback({ idempotencyKey: 'k', decisionId: 'e0005', type: 'click', learned: true, at: 2000 });
        await store.recordFeedback({ idempotencyKey: 'k2', decisionId: 'e0042', type: 'purchase', learned: true, at: 2000 });

        const from = 1020;
        const until = 1100;
        const expected = all
          .filter((d) => d.createdAt >= from && d.createdAt < until)
          .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        expect(expected.length).toBeGreaterThan(0);

        const seen: (DecisionRecord & { clicked: boolean })[] = [];
        let after: { createdAt: number; id: string } | undefined;
        for (let guard = 0; guard < 100; guard++) {
          const page = await store.decisionsBetween(from, until, 7, after);
          expect(page.length).toBeLessThanOrEqual(7);
          if (page.length === 0) break;
          seen.push(...page);
          const last = page[page.length - 1]!;
          after = { createdAt: last.createdAt, id: last.id };
        }
        expect(seen.map((d) => d.id)).toEqual(expected.map((d) => d.id));
        expect(new Set(seen.map((d) => d.id)).size).toBe(seen.length);
        expect(seen.every((d) => d.createdAt >= from && d.createdAt < until)).toBe(true);
        // Every field comes back, plus clicked (only a click counts, not a purchase).
        for (const d of seen) {
          const { clicked, ...rest } = d;
          expect(rest).toEqual(all.find((x) => x.id === d.id));
          expect(clicked).toBe(d.id === 'e0005');
        }
        expect(seen.find((d) => d.id === 'e0005')).toBeDefined();
      });

      it('includes `from`, excludes `until`, and an empty range is empty', async () => {
        await store.appendDecisions([decision('a', 10), decision('b', 20), decision('c', 30)]);
        expect((await store.decisionsBetween(10, 30, 100)).map((d) => d.id)).toEqual(['a', 'b']);
        expect((await store.decisionsBetween(11, 31, 100)).map((d) => d.id)).toEqual(['b', 'c']);
        expect(await store.decisionsBetween(20, 20, 100)).toEqual([]);
        expect((await store.decisionsBetween(0, 100, 100, { createdAt: 20, id: 'b' })).map((d) => d.id)).toEqual(['c']);
        expect((await store.decisionsBetween(0, 100, 100, { createdAt: 20, id: 'a' })).map((d) => d.id)).toEqual(['b', 'c']);
        expect((await store.decisionsBetween(0, 100, 100, { createdAt: 30, id: 'c' })).map((d) => d.id)).toEqual([]);
      });
    });

    describe('snapshots', () => {
      it('answers undefined for a model with no snapshot', async () => {
        expect(await store.latestSnapshot('linucb')).toBeUndefined();
      });

      it('picks the highest `updates` per model, whatever the save order; models are separate', async () => {
        await store.saveSnapshot(snapshot('v2', 'linucb', 20));
        await store.saveSnapshot(snapshot('v10', 'linucb', 1000));
        await store.saveSnapshot(snapshot('v9', 'linucb', 900));
        await store.saveSnapshot(snapshot('o1', 'other', 5_000));
        expect(await store.latestSnapshot('linucb')).toEqual(snapshot('v10', 'linucb', 1000));
        expect(await store.latestSnapshot('other')).toEqual(snapshot('o1', 'other', 5_000));
        const s = await store.latestSnapshot('linucb');
        expect(typeof s?.updates).toBe('number');
        expect(typeof s?.createdAt).toBe('number');
      });

      it('saving the same version twice is a no-op (the first kept)', async () => {
        await store.saveSnapshot(snapshot('v1', 'linucb', 10));
        await store.saveSnapshot(snapshot('v1', 'linucb', 99, { snapshot: 'changed', createdAt: 1 }));
        expect(await store.latestSnapshot('linucb')).toEqual(snapshot('v1', 'linucb', 10));
        const n = await t.storage.db.selectFrom('model_snapshots').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        expect(Number(n.n)).toBe(1);
      });

      it('round-trips the version vector; ties in `updates` go to the newest', async () => {
        await store.saveSnapshot(snapshot('a:30', 'linucb', 30, { vector: { 'node-a': 20, 'node-b': 10 }, createdAt: 5 }));
        await store.saveSnapshot(snapshot('b:30', 'linucb', 30, { vector: { 'node-a': 12, 'node-b': 18 }, createdAt: 6 }));
        expect(await store.latestSnapshot('linucb')).toEqual(snapshot('b:30', 'linucb', 30, { vector: { 'node-a': 12, 'node-b': 18 }, createdAt: 6 }));
        await store.saveSnapshot(snapshot('start', 'other', 7, { vector: {}, createdAt: 0 }));
        expect((await store.latestSnapshot('other'))?.vector).toEqual({});
      });

      it('prunes a model’s snapshots made before the cutoff, never the latest, never another model’s', async () => {
        // created at 1000 + updates.
        for (const n of [10, 20, 30, 40]) await store.saveSnapshot(snapshot(`v${n}`, 'linucb', n));
        await store.saveSnapshot(snapshot('o5', 'other', 5));
        await store.saveSnapshot(snapshot('o6', 'other', 6));
        const versions = async (model: string) =>
          (await t.storage.db.selectFrom('model_snapshots').select('version').where('model', '=', model).orderBy('updates').execute()).map((r) => r.version);
        expect(await store.pruneSnapshots('linucb', 1025)).toBe(2);
        expect(await versions('linucb')).toEqual(['v30', 'v40']);
        // Everything is old enough: the latest stays.
        expect(await store.pruneSnapshots('linucb', 99_999)).toBe(1);
        expect(await versions('linucb')).toEqual(['v40']);
        expect(await store.latestSnapshot('linucb')).toEqual(snapshot('v40', 'linucb', 40));
        expect(await store.pruneSnapshots('linucb', 99_999)).toBe(0);
        expect(await versions('other')).toEqual(['o5', 'o6']);
        expect(await store.pruneSnapshots('none', 99_999)).toBe(0);
      });
    });

    describe('model updates', () => {
      it('answers the updates a vector does not hold, by node then seq, with x arrays exactly as given', async () => {
        const xs: number[][] = [
          [1, 0, -1],
          [0.1, -0.2, 0.30000000000000004, 1 / 3, -2 / 3],
          [1e-12, -1e12, 123456789.123456, Number.MIN_VALUE, -Number.MAX_SAFE_INTEGER],
          [],
          [-0.5, 0.5, 2.5],
        ];
        // Appended out of order.
        for (const [i, seq] of [3, 1, 5, 2, 4].entries()) await store.appendUpdate('linucb', update('n1', seq, { x: xs[seq - 1]!, reward: seq === 3 ? -1 : seq / 10, createdAt: 1000 + i }));
        await store.appendUpdate('other', update('n1', 2, { x: [9], reward: 1, createdAt: 1000 }));

        const all = await store.updatesSince('linucb', {});
        expect(all.map((u) => u.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(all.map((u) => u.x)).toEqual(xs);
        for (const [i, u] of all.entries()) for (const [j, v] of u.x.entries()) expect(Object.is(v, xs[i]![j])).toBe(true);
        expect(all.map((u) => u.reward)).toEqual([0.1, 0.2, -1, 0.4, 0.5]);
        expect(all.map((u) => u.createdAt)).toEqual([1001, 1003, 1000, 1004, 1002]);
        expect(all.every((u) => u.node === 'n1')).toBe(true);
        expect((await store.updatesSince('linucb', { n1: 3 })).map((u) => u.seq)).toEqual([4, 5]);
        expect(await store.updatesSince('linucb', { n1: 5 })).toEqual([]);
        expect(await store.updatesSince('other', {})).toEqual([{ node: 'n1', seq: 2, x: [9], reward: 1, createdAt: 1000 }]);
        expect(await store.updatesSince('none', {})).toEqual([]);
      });

      it('keeps two nodes’ updates with the same seqs apart, and reads each after its own cursor', async () => {
        // Interleaved, as two nodes append them; both number from 1.
        for (let seq = 1; seq <= 4; seq++) {
          expect(await store.appendUpdate('linucb', update('node-b', seq))).toBe(true);
          expect(await store.appendUpdate('linucb', update('node-a', seq, { reward: 7 }))).toBe(true);
        }
        await store.appendUpdate('linucb', update(LEGACY, 9));
        expect(origins(await store.updatesSince('linucb', {}))).toEqual(['legacy:9', 'node-a:1', 'node-a:2', 'node-a:3', 'node-a:4', 'node-b:1', 'node-b:2', 'node-b:3', 'node-b:4']);
        expect((await store.updatesSince('linucb', {})).filter((u) => u.node === 'node-a').map((u) => u.reward)).toEqual([7, 7, 7, 7]);
        // Per node after its cursor; a node the vector does not name: all of it.
        expect(origins(await store.updatesSince('linucb', { 'node-a': 3, 'node-b': 1, legacy: 9 }))).toEqual(['node-a:4', 'node-b:2', 'node-b:3', 'node-b:4']);
        expect(origins(await store.updatesSince('linucb', { 'node-a': 2 }))).toEqual(['legacy:9', 'node-a:3', 'node-a:4', 'node-b:1', 'node-b:2', 'node-b:3', 'node-b:4']);
        // A node reading the others leaves its own out, whatever the vector says of it.
        expect(origins(await store.updatesSince('linucb', { 'node-b': 2, legacy: 9 }, 'node-a'))).toEqual(['node-b:3', 'node-b:4']);
        expect(origins(await store.updatesSince('linucb', { 'node-a': 0 }, 'node-a'))).toEqual(['legacy:9', 'node-b:1', 'node-b:2', 'node-b:3', 'node-b:4']);
        expect(await store.updatesSince('linucb', { 'node-a': 4, 'node-b': 4, legacy: 9 })).toEqual([]);
      });

      it('stores an update once: a repeated append is a no-op that answers false', async () => {
        expect(await store.appendUpdate('linucb', update('n1', 1, { x: [1], reward: 1, createdAt: 10 }))).toBe(true);
        expect(await store.appendUpdate('linucb', update('n1', 1, { x: [2], reward: 0, createdAt: 11 }))).toBe(false);
        expect(await store.appendUpdate('linucb', update('n1', 1, { x: [1], reward: 1, createdAt: 10 }))).toBe(false);
        expect(await store.appendUpdate('linucb', update('n2', 1, { x: [3], reward: 0, createdAt: 12 }))).toBe(true);
        expect(await store.appendUpdate('other', update('n1', 1, { x: [4], reward: 0, createdAt: 13 }))).toBe(true);
        expect(await store.updatesSince('linucb', {})).toEqual([
          { node: 'n1', seq: 1, x: [1], reward: 1, createdAt: 10 },
          { node: 'n2', seq: 1, x: [3], reward: 0, createdAt: 12 },
        ]);
      });

      it('appends many updates in one go, each once, in one transaction', async () => {
        await store.appendUpdates('linucb', []);
        expect(await store.appendUpdate('linucb', update('n1', 2, { x: [2], reward: 1, createdAt: 20 }))).toBe(true);
        // 1,213 rows: chunks of every size (100, 10, 1), with one already stored and one repeated within the batch.
        const many = [...Array(1_210).keys()].map((i) => update('n1', i + 1, { x: [i, i / 7], reward: i % 2, createdAt: 10 + i }));
        const batch = [...many, update('n1', 5, { x: [99], reward: 1, createdAt: 1 }), update('n2', 1, { x: [-1.5], reward: 0.25, createdAt: 5 }), update('n2', 2, { x: [], reward: 1, createdAt: 6 })];
        await store.appendUpdates('linucb', batch);
        const stored = await store.updatesSince('linucb', {});
        expect(stored).toHaveLength(1_212);
        expect(stored[1]).toEqual({ node: 'n1', seq: 2, x: [2], reward: 1, createdAt: 20 }); // the first append kept
        expect(stored[4]).toEqual(many[4]); // the batch's own first copy of seq 5 kept
        expect(stored[1_209]).toEqual(many[1_209]);
        expect(stored.slice(-2)).toEqual([
          { node: 'n2', seq: 1, x: [-1.5], reward: 0.25, createdAt: 5 },
          { node: 'n2', seq: 2, x: [], reward: 1, createdAt: 6 },
        ]);
        await store.appendUpdates('linucb', batch);
        expect(await store.updatesSince('linucb', {})).toEqual(stored);
        // All or nothing: a batch with a row the database refuses stores none of it.
        const bad = [update('n3', 1, { x: [1], reward: 1, createdAt: 1 }), update('n3', 2, { x: [1], reward: Number.NaN, createdAt: Number.NaN })];
        await expect(store.appendUpdates('linucb', bad)).rejects.toThrow();
        expect((await store.updatesSince('linucb', {})).filter((u) => u.node === 'n3')).toEqual([]);
      });

      it("keeps an update's part in the age-band counts, and reads none where none was stored", async () => {
        const parts = [
          update('n1', 1, { x: [1], reward: 1, createdAt: 10, interest: { band: '0_6m', category: '纸尿裤', shown: true, positive: true } }),
          update('n1', 2, { x: [2], reward: 0, createdAt: 11 }),
          update('n1', 3, { x: [3], reward: 1, createdAt: 12, interest: { band: '3_6y', category: 'toys', shown: false, positive: true } }),
          update('n1', 4, { x: [4], reward: 0, createdAt: 13, interest: { band: '3_6y', category: 'toys', shown: true, positive: false } }),
        ];
        await store.appendUpdates('linucb', parts.slice(0, 3));
        expect(await store.appendUpdate('linucb', parts[3]!)).toBe(true);
        expect(await store.updatesSince('linucb', {})).toEqual(parts);
      });

      it('prunes only the updates the vector holds that are older than the cutoff, only of that model', async () => {
        // node-a's seq n was created at 1000 + n; node-b's at 2000 + n.
        for (let seq = 1; seq <= 6; seq++) await store.appendUpdate('linucb', update('node-a', seq));
        for (let seq = 1; seq <= 4; seq++) await store.appendUpdate('linucb', update('node-b', seq, { createdAt: 2000 + seq }));
        for (let seq = 1; seq <= 3; seq++) await store.appendUpdate('other', update('node-a', seq));
        // Held: a ≤ 4, b ≤ 3; old enough: created before 1004 (a 1–3; no b).
        expect(await store.pruneUpdates('linucb', { 'node-a': 4, 'node-b': 3 }, 1004)).toBe(3);
        expect(origins(await store.updatesSince('linucb', {}))).toEqual(['node-a:4', 'node-a:5', 'node-a:6', 'node-b:1', 'node-b:2', 'node-b:3', 'node-b:4']);
        expect((await store.updatesSince('linucb', {}))[0]).toEqual(update('node-a', 4));
        // Later: everything held is old enough; node-a 5 and 6 and node-b 4 are not held.
        expect(await store.pruneUpdates('linucb', { 'node-a': 4, 'node-b': 3 }, 10_000)).toBe(4);
        expect(origins(await store.updatesSince('linucb', {}))).toEqual(['node-a:5', 'node-a:6', 'node-b:4']);
        // A node the vector does not name, or an empty vector: nothing.
        expect(await store.pruneUpdates('linucb', { 'node-c': 99 }, 10_000)).toBe(0);
        expect(await store.pruneUpdates('linucb', {}, 10_000)).toBe(0);
        expect(origins(await store.updatesSince('other', {}))).toEqual(['node-a:1', 'node-a:2', 'node-a:3']);
        expect(await store.pruneUpdates('linucb', { 'node-a': 6, 'node-b': 4 }, 10_000)).toBe(3);
        expect(await store.updatesSince('linucb', {})).toEqual([]);
      });

      it('migration 0018: earlier rows belong to the node "legacy" with their seq, and each earlier snapshot held the legacy updates up to its count', async () => {
        const db = t.storage.db as unknown as Kysely<unknown>;
        await m0019.down(db);
        await m0018.down(db);
        // The shape before: one sequence per model.
        await sql`insert into model_snapshots (version, model, updates, snapshot, created_at) values ('old:3', 'linucb', 3, '{"w":1}', 5)`.execute(db);
        for (const seq of [3, 4, 5]) await sql`insert into model_updates (model, seq, x, reward, created_at) values ('linucb', ${seq}, '[1,2]', 1, ${100 + seq})`.execute(db);
        await m0018.up(db);
        await m0019.up(db);
        expect(await store.latestSnapshot('linucb')).toEqual({ version: 'old:3', model: 'linucb', updates: 3, snapshot: '{"w":1}', createdAt: 5, vector: { legacy: 3 } });
        expect(origins(await store.updatesSince('linucb', { legacy: 3 }))).toEqual(['legacy:4', 'legacy:5']);
        // New nodes number from 1 beside the legacy rows.
        expect(await store.appendUpdate('linucb', update('node-a', 3))).toBe(true);
        expect(await store.appendUpdate('linucb', update(LEGACY, 3))).toBe(false);
        expect(origins(await store.updatesSince('linucb', {}))).toEqual(['legacy:3', 'legacy:4', 'legacy:5', 'node-a:3']);
      });
    });

    describe('purgeBefore', () => {
      it('removes decisions and feedback older than the cutoff only and returns the count', async () => {
        await store.appendDecisions([decision('d1', 10), decision('d2', 20), decision('d3', 30), decision('d4', 40)]);
        await store.recordFeedback({ idempotencyKey: 'k1', decisionId: 'd1', type: 'click', learned: true, at: 15 });
        await store.recordFeedback({ idempotencyKey: 'k2', decisionId: 'd2', type: 'like', learned: true, at: 29 });
        await store.recordFeedback({ idempotencyKey: 'k3', decisionId: 'd2', type: 'purchase', learned: true, at: 30 });
        await store.recordFeedback({ idempotencyKey: 'k4', decisionId: 'd4', type: 'click', learned: true, at: 45 });
        await store.saveSnapshot(snapshot('v1', 'linucb', 1, { createdAt: 1 }));
        await store.appendUpdate('linucb', update('n1', 1));

        // Decisions d1, d2 (< 30) and feedback k1, k2 (< 30): four rows.
        expect(await store.purgeBefore(30)).toBe(4);
        expect(await store.decision('d1')).toBeUndefined();
        expect(await store.decision('d2')).toBeUndefined();
        expect(await store.decision('d3')).toEqual(decision('d3', 30));
        expect(await store.decision('d4')).toBeDefined();
        expect((await feedbackRows()).map((r) => r.key)).toEqual(['k3', 'k4']);
        // Not retention's business: the model.
        expect(await store.latestSnapshot('linucb')).toBeDefined();
        expect(await store.updatesSince('linucb', {})).toHaveLength(1);

        expect(await store.purgeBefore(30)).toBe(0);
        // A used key stays used while its feedback row is kept.
        expect(await store.recordFeedback({ idempotencyKey: 'k4', decisionId: 'd3', type: 'click', learned: true, at: 50 })).toBe('conflict');
        expect(await store.purgeBefore(1_000)).toBe(4);
        expect(await store.decisionsBetween(0, 10_000, 100)).toEqual([]);
        expect(await feedbackRows()).toEqual([]);
      });
    });
  });
}
