/**
 * Learning on many nodes: two apps on one database and one bus. Feedback (under the model-improvement
 * consent) that one node learns from reaches the other node's model within a short wait, both ways,
 * and the two hold the same model version. SQLite with the in-process bus always; PostgreSQL with
 * the in-process bus and with NATS (a connection per node) when they are reachable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { MemoryBus, NatsBus, type Bus } from '../../src/bus/index.js';
import { loadConfig } from '../../src/config/index.js';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { signIn } from '../support/app.js';
import { DIALECTS, freshStorage, type Dialect } from '../support/databases.js';
import { BUSES, NATS_URL, testSubjectPrefix, type BusName } from '../support/nats.js';
import { waitFor } from '../support/ws.js';

const BRAND = 'demo-brand';

interface Item {
  decisionId: string;
  productId: string;
  explanation: { score: number; modelVersion: string };
}

interface Pair {
  a: FastifyInstance;
  b: FastifyInstance;
  close(): Promise<void>;
}

/** Two nodes on one fresh database (seeded once, by A) and the named bus, sharing the data directory (its keys). */
async function pair(dialect: Dialect, busName: BusName): Promise<Pair> {
  const { storage, dispose } = await freshStorage(dialect);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-recs-cluster-'));
  const env = { LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dataDir, QINGLIU_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' };
  let buses: [Bus, Bus];
  if (busName === 'memory') {
    const shared = new MemoryBus();
    buses = [shared, shared];
  } else {
    const subjectPrefix = testSubjectPrefix();
    buses = [await NatsBus.connect({ servers: [NATS_URL], subjectPrefix, name: 'node a' }), await NatsBus.connect({ servers: [NATS_URL], subjectPrefix, name: 'node b' })];
  }
  const a = await buildApp(loadConfig(env, { databaseUrl: 'sqlite::memory:', seedDemo: true }), { logger: false, storage, bus: buses[0] });
  const b = await buildApp(loadConfig(env, { databaseUrl: 'sqlite::memory:', seedDemo: false }), { logger: false, storage, bus: buses[1] });
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await Promise.all([...new Set(buses)].map((bus) => bus.close()));
      await dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const SETUPS: [Dialect, BusName][] = [
  ['sqlite', 'memory'],
  ...(DIALECTS.includes('postgres') ? BUSES.map((bus): [Dialect, BusName] => ['postgres', bus]) : []),
];

describe.each(SETUPS)('two nodes on %s and a %s bus', (dialect, busName) => {
  let p: Pair | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  const consent = async (node: FastifyInstance, deviceId: string) => {
    const notice = (await node.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    const res = await node.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const recs = async (node: FastifyInstance, deviceId: string) => {
    const res = await node.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations?k=10', headers: { 'x-qingliu-device': deviceId } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { personalised: boolean; modelVersion: string; items: Item[] };
  };
  let n = 0;
  /** Feedback on the first item a node showed the viewer: learnt there (the viewer consented to model improvement). */
  const learnOn = async (node: FastifyInstance, deviceId: string, type: 'like' | 'dislike') => {
    const shown = await recs(node, deviceId);
    expect(shown.personalised).toBe(true);
    const res = await node.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/recommendations/feedback',
      payload: { decisionId: shown.items[0]!.decisionId, type, idempotencyKey: `recs-cluster-${dialect}-${busName}-${++n}`, deviceId },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ learned: true, duplicate: false });
  };
  const model = (node: FastifyInstance) => ({ version: node.services.recommender.modelVersion, updates: node.services.recommender.updates });
  /** Waits until B holds `updates` updates, and says how long that took. */
  const reached = async (node: FastifyInstance, updates: number, what: string) => {
    const from = Date.now();
    await waitFor(() => (node.services.recommender.updates === updates ? true : undefined), what, 10_000);
    return Date.now() - from;
  };

  it('what one node learns reaches the other’s model, both ways, and both hold the same version', async () => {
    p = await pair(dialect, busName);
    const { a, b } = p;
    const admin = await signIn(a, 'admin');
    expect((await a.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} })).statusCode).toBeLessThan(300);
    const learner = `recs-cluster-learner-${dialect}-${busName}`.padEnd(27, '0');
    const probe = `recs-cluster-probe-${dialect}-${busName}`.padEnd(27, '0');
    await consent(a, learner);
    await consent(a, probe);
    expect(model(a)).toEqual(model(b));
    const start = model(a).updates;

    // B's list for a consenting viewer with no behaviour anywhere: only the model can change it.
    const before = await recs(b, probe);
    expect(before.modelVersion).toBe(model(b).version);

    // Learnt on A: B's model follows.
    await learnOn(a, learner, 'like');
    expect(model(a).updates).toBe(start + 1);
    const ms = await reached(b, start + 1, 'node B to learn what node A learnt');
    expect(model(b)).toEqual(model(a));
    expect(ms).toBeLessThan(5_000);
    // B's room view is rebuilt at most once a second; the scores are the new model's.
    await new Promise((r) => setTimeout(r, 1_100));
    const after = await recs(b, probe);
    expect(after.modelVersion).toBe(model(a).version);
    expect(after.items.every((i) => i.explanation.modelVersion === model(a).version)).toBe(true);
    const beforeScore = new Map(before.items.map((i) => [i.productId, i.explanation.score]));
    const changed = after.items.filter((i) => beforeScore.has(i.productId) && Math.abs(beforeScore.get(i.productId)! - i.explanation.score) > 1e-12);
    expect(changed.length).toBeGreaterThan(0);

    // And the other way: learnt on B (two updates), A follows; the two models are the same again.
    await learnOn(b, learner, 'dislike');
    await learnOn(b, learner, 'like');
    await reached(a, start + 3, 'node A to learn what node B learnt');
    expect(model(a)).toEqual(model(b));

    // Feedback on A's list that reaches B (no sticky sessions behind the load balancer): B passes the
    // reward to A, which holds the decision's features; A learns it and both models follow. The
    // viewer declared a child age band, so the update also counts the item toward that band's
    // interest, and B's counts follow with the model.
    const declared = await a.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: { 'x-qingliu-device': learner }, payload: { brandId: BRAND, childAgeBand: '6_12m' } });
    expect(declared.statusCode, declared.body).toBe(200);
    const shownOnA = await recs(a, learner);
    const modelId = shownOnA.modelVersion.split(':')[0]!;
    const category = ((await a.inject('/api/v1/sessions/demo')).json() as { products: { id: string; category: string }[] }).products.find((x) => x.id === shownOnA.items[0]!.productId)!.category;
    expect(a.services.recommender.ageBandInterest.counts(modelId, '6_12m', category).positive).toBe(0);
    // A purchase on B of a card A showed: the order, placed on B, is found by B and answers for the card.
    const placed = await b.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/orders',
      headers: { 'x-qingliu-device': learner },
      payload: { productId: shownOnA.items[0]!.productId, quantity: 1, clientOrderId: `recs-cluster-order-${dialect}-${busName}` },
    });
    expect(placed.statusCode, placed.body).toBe(201);
    const crossed = await b.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/recommendations/feedback',
      payload: { decisionId: shownOnA.items[0]!.decisionId, type: 'purchase', idempotencyKey: `recs-cluster-${dialect}-${busName}-${++n}`, deviceId: learner, orderId: (placed.json() as { order: { id: string } }).order.id },
    });
    expect(crossed.statusCode, crossed.body).toBe(202);
    expect(crossed.json()).toEqual({ learned: true, duplicate: false });
    await reached(a, start + 4, 'node A to learn the feedback that reached node B');
    await reached(b, start + 4, 'node B to follow');
    expect(model(a)).toEqual(model(b));
    // Counted once, by the update A learnt, and held the same on both nodes.
    expect(a.services.recommender.ageBandInterest.counts(modelId, '6_12m', category)).toEqual({ shown: 1, positive: 1 });
    expect(b.services.recommender.ageBandInterest.counts(modelId, '6_12m', category)).toEqual({ shown: 1, positive: 1 });

    // Another consenting viewer answering on B for a card A showed the learner: passed on, but A
    // learns only feedback from the viewer it showed the card to. The learner's own, sent after it
    // on the same bus, is learnt: one update, not two.
    const stranger = 'recs-cluster-stranger-00001';
    await consent(b, stranger);
    const foreign = await b.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/recommendations/feedback',
      payload: { decisionId: shownOnA.items[1]!.decisionId, type: 'like', idempotencyKey: `recs-cluster-${dialect}-${busName}-${++n}`, deviceId: stranger },
    });
    expect(foreign.statusCode, foreign.body).toBe(202);
    const own = await b.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/recommendations/feedback',
      payload: { decisionId: shownOnA.items[2]!.decisionId, type: 'dislike', idempotencyKey: `recs-cluster-${dialect}-${busName}-${++n}`, deviceId: learner },
    });
    expect(own.statusCode, own.body).toBe(202);
    await waitFor(() => (a.services.recommender.updates >= start + 5 ? true : undefined), 'node A to learn the learner’s relayed feedback', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(model(a).updates).toBe(start + 5);
    await reached(b, start + 5, 'node B to follow');

    // What both learnt is stored once each, under the node that learnt it.
    const rows = await a.services.storage.db.selectFrom('model_updates').select(['node', 'seq']).orderBy('node').orderBy('seq').execute();
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.node)).size).toBe(2);
    expect(rows.map((r) => Number(r.seq)).sort()).toEqual([1, 1, 2, 2, 3]);
  });
});
