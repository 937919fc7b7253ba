/**
 * Load shedding: over a load limit the node answers public API requests (WebSocket upgrades
 * included) with 503 OVERLOADED and Retry-After, and still serves staff, health, readiness, metrics,
 * pages and in-process requests. Here the real sampler is pushed over a 1 MB heap limit (always exceeded); the viewers'
 * WebSocket writes are checked with the gateway's pressure signal switched on by hand, on sockets
 * that joined before it.
 */
import http from 'node:http';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { demoProductIds, signIn, TEST_PASSWORD, testApp, type TestApp } from '../support/app.js';
import { closeAllViewers, connectViewer, waitFor } from '../support/ws.js';
import { DIALECTS } from '../support/databases.js';
import type { Database } from '../../src/storage/index.js';

/**
 * Another transaction (on one of the app's own PostgreSQL connections) takes a table until
 * `release`: in `exclusive` mode inserts into it wait and reads go on; in `access exclusive` reads
 * wait too.
 */
function holdTable(db: Kysely<Database>, table: 'recommendation_decisions' | 'products', mode: 'exclusive' | 'access exclusive' = 'exclusive'): { isTaken: Promise<void>; release: () => void; done: Promise<void> } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let taken!: () => void;
  const isTaken = new Promise<void>((resolve) => (taken = resolve));
  const done = db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    await sql.raw(`lock table ${table} in ${mode} mode`).execute(conn);
    taken();
    await released;
    await sql`commit`.execute(conn);
  });
  return { isTaken, release, done };
}

describe('a node over its load limit', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await closeAllViewers();
    await t?.close();
    t = undefined;
  });

  it('sheds public API requests and WebSocket upgrades with 503 OVERLOADED and Retry-After, and keeps serving staff, health and metrics', async () => {
    t = await testApp('sqlite', { env: { QINGLIU_OVERLOAD_MAX_HEAP_MB: '1', QINGLIU_OVERLOAD_SAMPLE_INTERVAL_MS: '10', QINGLIU_OVERLOAD_RETRY_AFTER_SECONDS: '3' } });
    const app = t.app;
    await waitFor(() => (app.isUnderPressure() ? true : undefined), 'the first load sample');

    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // Not in the first two samples after listen (start-up weighs on them): then shed.
    await waitFor(async () => ((await fetch(`${base}/api/v1/products?limit=1`)).status === 503 ? true : undefined), 'shedding to begin');
    const post = (url: string, body: object, headers: Record<string, string> = {}) =>
      fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    const shed = await post('/api/v1/sessions/demo/events', { type: 'like', clientEventId: 'overload-like-0001' });
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('3');
    expect(shed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await shed.json()).toMatchObject({ code: 'OVERLOADED', status: 503, retryAfterSeconds: 3 });
    expect((await fetch(`${base}/api/v1/sessions/demo`)).status).toBe(503);
    // Nothing of the refused write was kept.
    const likes = await app.services.storage.db.selectFrom('room_events').select('client_event_id').where('client_event_id', '=', 'overload-like-0001').execute();
    expect(likes).toEqual([]);

    // Staff sign in and work; the load balancer's and operator's endpoints and the pages answer.
    const admin = await signIn(app, 'admin');
    const login = await post('/api/v1/auth/login', { name: admin.name, password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    expect((await fetch(`${base}/api/v1/sessions/demo/recommendations/health`, { headers: { cookie: admin.cookie } })).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/live/demo`)).status).toBe(200);
    // In-process requests are the node's own work (the simulation's driver): never shed.
    expect((await app.inject('/api/v1/sessions/demo')).statusCode).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/qingliu_shed_total\{surface="http"\} [1-9]/);

    // A new viewer is turned away at the upgrade, to try another node.
    await expect(connectViewer(app, 'demo')).rejects.toMatchObject({ statusCode: 503 });
  });

  it('refuses viewers’ writes on open sockets with OVERLOADED naming the event, and one slow_down frame per wait', async () => {
    t = await testApp('sqlite', { env: { QINGLIU_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', QINGLIU_OVERLOAD_MAX_HEAP_MB: '0' } });
    const app = t.app;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const [productId] = await demoProductIds(app);
    const viewer = await connectViewer(app, 'demo');
    await viewer.next('snapshot');

    let pressure = true;
    app.services.gateway.useShedding({ underPressure: () => pressure, retryAfterSeconds: 2 }, () => undefined);
    viewer.send({ type: 'add_to_cart', clientEventId: 'overload-ws-cart-01', productId });
    viewer.send({ type: 'add_to_cart', clientEventId: 'overload-ws-cart-02', productId });
    viewer.send({ type: 'ping' });
    const refusals = await waitFor(() => {
      const r = viewer.received.filter((m) => m.type === 'error' && (m as { code: string }).code === 'OVERLOADED');
      return r.length === 2 ? r : undefined;
    }, 'two refusals');
    expect(refusals.map((r) => (r as { clientEventId?: string }).clientEventId)).toEqual(['overload-ws-cart-01', 'overload-ws-cart-02']);
    expect(refusals[0]).toMatchObject({ retryAfterSeconds: 2 });
    // Reads are still answered; the page is told to wait once, not per refusal.
    await waitFor(() => viewer.received.find((m) => m.type === 'pong'), 'the pong');
    expect(viewer.received.filter((m) => (m.type as string) === 'slow_down')).toEqual([{ type: 'slow_down', reason: 'overloaded', retryAfterMs: 2000 }]);

    // Load gone: the resend (same id) is stored, once.
    pressure = false;
    viewer.send({ type: 'add_to_cart', clientEventId: 'overload-ws-cart-01', productId });
    const ack = await waitFor(() => viewer.received.find((m) => m.type === 'ack'), 'the ack');
    expect(ack).toMatchObject({ clientEventId: 'overload-ws-cart-01', duplicate: false });
    const stored = await app.services.storage.db.selectFrom('room_events').select('client_event_id').where('client_event_id', 'like', 'overload-ws-cart-%').execute();
    expect(stored.map((r) => r.client_event_id)).toEqual(['overload-ws-cart-01']);
  });

  it('counts a request in flight from its headers: past the limit a plain request is refused before the app, one with a forged staff cookie by the app, staff served', async () => {
    t = await testApp('sqlite', { env: { QINGLIU_OVERLOAD_MAX_IN_FLIGHT: '1', QINGLIU_OVERLOAD_MAX_HEAP_MB: '0', QINGLIU_OVERLOAD_RETRY_AFTER_SECONDS: '4' } });
    const app = t.app;
    // The server is the one Fastify would make, timeouts included.
    expect(app.server.keepAliveTimeout).toBe(72_000);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const base = `http://127.0.0.1:${port}`;
    const admin = await signIn(app, 'admin');
    expect((await app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie } })).statusCode).toBe(200);

    // A like whose body has not arrived yet holds the one place.
    const held = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/sessions/demo/events', headers: { 'content-type': 'application/json', 'content-length': '200' } });
    const heldAnswer = new Promise<http.IncomingMessage>((resolve, reject) => held.on('response', resolve).on('error', reject));
    held.flushHeaders();
    const refused = await waitFor(async () => {
      const r = await fetch(`${base}/api/v1/products?limit=1`);
      return r.status === 503 ? r : undefined;
    }, 'the held request to count');
    expect(refused.headers.get('retry-after')).toBe('4');
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await refused.json()).toMatchObject({ code: 'OVERLOADED', status: 503, retryAfterSeconds: 4, instance: expect.stringMatching(/^urn:qingliu:request:/) });
    // A staff cookie that is no staff member's gets no further; a real one is served.
    const forged = await fetch(`${base}/api/v1/products?limit=1`, { headers: { cookie: 'qingliu_staff=not-a-session' } });
    expect(forged.status).toBe(503);
    expect(await forged.json()).toMatchObject({ code: 'OVERLOADED' });
    expect((await fetch(`${base}/api/v1/products?limit=1`, { headers: { cookie: admin.cookie } })).status).toBe(200);
    // A refused write with a body leaves the connection usable (the body is read and dropped).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, agent, method: 'POST', path: '/api/v1/sessions/demo/events', headers: { 'content-type': 'application/json' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end(JSON.stringify({ type: 'like', clientEventId: `overload-gate-${i}` }));
        });
        expect(status).toBe(503);
      }
    } finally {
      agent.destroy();
    }

    // The held request completes; its place is free again.
    held.end(JSON.stringify({ type: 'like', clientEventId: 'overload-held-0001' }).padEnd(200, ' '));
    expect((await heldAnswer).statusCode).toBe(202);
    await waitFor(async () => ((await fetch(`${base}/api/v1/products?limit=1`)).status === 200 ? true : undefined), 'the place to be free');
    const stored = await app.services.storage.db.selectFrom('room_events').select('client_event_id').where('client_event_id', 'like', 'overload-%').execute();
    expect(stored.map((r) => r.client_event_id)).toEqual(['overload-held-0001']);
  });

  // On PostgreSQL, where requests wait on the database side by side (SQLite serves them one by one).
  it.skipIf(!DIALECTS.includes('postgres'))('refuses public requests past the in-flight limit at once, and counts them down again', async () => {
    t = await testApp('postgres', { env: { QINGLIU_OVERLOAD_MAX_IN_FLIGHT: '2', QINGLIU_OVERLOAD_MAX_HEAP_MB: '0' } });
    const app = t.app;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // 40 at once over 40 connections while the products table is held: the first two wait on the
    // database in flight, the rest are refused at the door (without the hold, on a slow machine the
    // requests need not overlap at all). Then the table is let go and the two are served.
    const hold = holdTable(app.services.storage.db, 'products', 'access exclusive');
    await hold.isTaken;
    let settled = 0;
    const pending = Array.from({ length: 40 }, () =>
      fetch(`${base}/api/v1/products?limit=50`, { headers: { connection: 'close' } }).finally(() => {
        settled++;
      }),
    );
    await waitFor(() => (settled >= 38 ? true : undefined), 'the refusals', 15_000);
    hold.release();
    await hold.done;
    const burst = await Promise.all(pending);
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    const refused = burst.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.headers.get('retry-after')).toBe('2');
    expect(await refused[0]!.json()).toMatchObject({ code: 'OVERLOADED' });
    // Nothing leaked: one at a time, every request is served.
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/api/v1/products?limit=1`)).status).toBe(200);
  });

  // A decision log that cannot be written: another transaction holds the table (PostgreSQL, where
  // one connection can hold it while the app's others serve).
  it.skipIf(!DIALECTS.includes('postgres'))('sheds public requests while the rows it made wait to be written, keeps every row, and serves again once they are', async () => {
    t = await testApp('postgres', { env: { QINGLIU_OVERLOAD_MAX_UNWRITTEN_ROWS: '40', QINGLIU_OVERLOAD_MAX_HEAP_MB: '0', QINGLIU_OVERLOAD_SAMPLE_INTERVAL_MS: '10' } });
    const app = t.app;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const admin = await signIn(app, 'admin');
    expect((await app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie } })).statusCode).toBe(200);
    const db = app.services.storage.db;
    const logged = async () => Number((await db.selectFrom('recommendation_decisions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await logged();
    let device = 0;
    const recommend = () => fetch(`${base}/api/v1/sessions/demo/recommendations?k=4`, { headers: { 'x-qingliu-device': `backlog-device-${++device}` } });

    // Another transaction holds the decision log: inserts wait, reads go on.
    const holder = holdTable(db, 'recommendation_decisions');
    await holder.isTaken;
    const lockedAt = Date.now();
    let served = 0;
    let lists = 0;
    const refused = await waitFor(async () => {
      const r = await recommend();
      if (r.status === 200) {
        served += ((await r.json()) as { items: unknown[] }).items.length;
        lists++;
        // Asked to write after every list: while a write waits, the rows gather for the next one.
        void app.services.recommender.flush();
        return undefined;
      }
      return r;
    }, 'the unwritten rows to pass the limit');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await refused.json()).toMatchObject({ code: 'OVERLOADED' });
    expect(served).toBeGreaterThan(40);
    expect(app.services.recommender.unwrittenRows).toBeGreaterThan(40);
    // The operator sees why; staff and health are served.
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/qingliu_unwritten_rows [4-9]\d/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/products?limit=1`, { headers: { cookie: admin.cookie } })).status).toBe(200);
    // A forged staff cookie is refused too, by the app.
    const forged = await fetch(`${base}/api/v1/products?limit=1`, { headers: { cookie: 'qingliu_staff=not-a-session' } });
    expect(forged.status).toBe(503);

    // The table is free: the rows are written, none lost, and requests are served again.
    holder.release();
    await holder.done;
    await waitFor(async () => ((await recommend()).status === 200 ? true : undefined), 'serving again');
    await app.services.recommender.flush();
    expect(app.services.recommender.unwrittenRows).toBe(0);
    // The host's recommendation health (which reads the log once it is written) answers again.
    expect((await fetch(`${base}/api/v1/sessions/demo/recommendations/health`, { headers: { cookie: admin.cookie } })).status).toBe(200);
    expect((await logged()) - before).toBeGreaterThanOrEqual(served + 1);
    // Rows of one transaction share its id (xmin): the lists made while the table was held went in
    // the write that waited and one more, not one write each.
    const writes = await sql<{ n: string }>`select count(distinct xmin::text) as n from recommendation_decisions where created_at >= ${lockedAt}`.execute(db);
    expect(lists).toBeGreaterThan(10);
    expect(Number(writes.rows[0]!.n)).toBeLessThanOrEqual(3);
  });

  // Two transactions take the decision table in turn, so that the rows made before a flush and
  // those made after it are written separately, the second write held.
  it.skipIf(!DIALECTS.includes('postgres'))('a flush waits for the decisions made before it, not for those made after it', async () => {
    t = await testApp('postgres', { env: { QINGLIU_OVERLOAD_MAX_HEAP_MB: '0' } });
    const app = t.app;
    const admin = await signIn(app, 'admin');
    expect((await app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie } })).statusCode).toBe(200);
    const db = app.services.storage.db;
    const recommender = app.services.recommender;
    let device = 0;
    const recommend = async () => {
      const r = await app.inject({ url: '/api/v1/sessions/demo/recommendations?k=4', headers: { 'x-qingliu-device': `flush-device-${String(++device).padStart(4, '0')}` } });
      expect(r.statusCode).toBe(200);
    };
    // Waits on this test's own table (other test files share the server).
    const waitingForLock = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from pg_locks where not granted and relation = 'recommendation_decisions'::regclass`.execute(db)).rows[0]!.n);

    const first = holdTable(db, 'recommendation_decisions');
    await first.isTaken;
    await recommend();
    let flushed = false;
    const flush = recommender.flush().then(() => (flushed = true));
    // The write of the first list waits for the table; a second holder queues behind it.
    await waitFor(async () => ((await waitingForLock()) >= 1 ? true : undefined), 'the first write to wait');
    const second = holdTable(db, 'recommendation_decisions');
    await waitFor(async () => ((await waitingForLock()) >= 2 ? true : undefined), 'the second holder to queue');
    // Made after the flush was asked for.
    await recommend();
    first.release();
    await first.done;
    // The first write commits, then the second holder takes the table: the later list's write waits.
    await second.isTaken;
    await flush;
    expect(flushed).toBe(true);
    expect(recommender.unwrittenRows).toBeGreaterThan(0);
    second.release();
    await second.done;
    await recommender.flush();
    expect(recommender.unwrittenRows).toBe(0);
  });
});
