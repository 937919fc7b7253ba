/**
 * Nothing lost: a load generator posts room events (likes and add-to-carts, each with its own client
 * event id) to nodes running as child processes and records every id a node acknowledged; one node is
 * killed with SIGKILL at a seeded random moment. After the restart and the clients' resends, every id
 * sent is stored exactly once, every acknowledged id survived the crash (its resend answers
 * duplicate), nothing that was never sent is stored, the counters agree with the stored events, and
 * the store passes its integrity check. SQLite with one node; PostgreSQL + NATS with two nodes, one
 * of them killed (both required in CI, see test/support/databases.ts and nats.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng.js';
import { httpJson, httpJsonServed, killAllNodes, retryAfterSeconds, signInFirstAdmin, sleep, startNode, type ChildNode } from '../support/child-node.js';
import { DIALECTS, POSTGRES_URL } from '../support/databases.js';
import { NATS_AVAILABLE, NATS_URL, testSubjectPrefix } from '../support/nats.js';

const SESSION = 'demo';
const EVENTS = `/api/v1/sessions/${SESSION}/events`;
const SQLITE_SEEDS = [101, 202, 303];
const CLUSTER_SEEDS = [404, 505];
const CASE_TIMEOUT_MS = 120_000;

type RoomEvent = { type: 'like'; clientEventId: string } | { type: 'add_to_cart'; clientEventId: string; productId: string };

/** What the clients sent and what the nodes answered to the first sends. */
class Ledger {
  readonly sent = new Map<string, RoomEvent>();
  /** Ids answered 202 (accepted, not a duplicate) before the load stopped. */
  readonly acked = new Set<string>();
  /** First sends that got no answer: in flight when the node died, or sent to it just after. */
  readonly failed = new Set<string>();
  /** Any other answer to a first send, or none from a node not killed (there must be none). */
  readonly unexpected: string[] = [];
  /** Sends refused with 503 and Retry-After (the node shedding load): the client waits and sends again. */
  shed = 0;

  unacked(): RoomEvent[] {
    return [...this.sent.values()].filter((e) => !this.acked.has(e.clientEventId));
  }

  count(type: RoomEvent['type'], ids: Iterable<string>): number {
    let n = 0;
    for (const id of ids) if (this.sent.get(id)?.type === type) n++;
    return n;
  }
}

/** Seeded events: the n-th event's id, type and product depend only on the seed. */
function eventMaker(seed: number, rng: Rng, productIds: readonly string[], prefix = 'nl'): () => RoomEvent {
  let n = 0;
  return () => {
    const clientEventId = `${prefix}-${seed}-${String(++n).padStart(6, '0')}`;
    return rng.next() < 0.7 ? { type: 'like', clientEventId } : { type: 'add_to_cart', clientEventId, productId: productIds[rng.int(productIds.length)]! };
  };
}

const accepted = (body: unknown): { duplicate: boolean } | undefined => {
  const b = body as { accepted?: unknown; duplicate?: unknown } | undefined;
  return b?.accepted === true && typeof b.duplicate === 'boolean' ? { duplicate: b.duplicate } : undefined;
};

/**
 * One keep-alive client: sends events one after another until told to stop or its node stops
 * answering. A 503 with Retry-After (load shedding) is not an acknowledgement: the client waits as
 * asked and sends the same event again.
 */
async function client(node: ChildNode, ledger: Ledger, next: () => RoomEvent, stopped: () => boolean, killed: () => boolean): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let event: RoomEvent | undefined;
    while (!stopped()) {
      if (!event) {
        event = next();
        ledger.sent.set(event.clientEventId, event);
      }
      let answer;
      try {
        answer = await httpJson(node.url, 'POST', EVENTS, event, { agent });
      } catch (err) {
        // No answer: not acknowledged. The connection is gone, so this client stops; it resends later.
        ledger.failed.add(event.clientEventId);
        if (!killed()) ledger.unexpected.push(`${event.clientEventId}: no answer from ${node.name}, which was not killed (${(err as Error).message})`);
        return;
      }
      const wait = retryAfterSeconds(answer);
      if (wait !== undefined) {
        ledger.shed++;
        for (const until = Date.now() + wait * 1000; Date.now() < until && !stopped(); ) await sleep(20);
        continue;
      }
      const a = accepted(answer.body);
      if (answer.status === 202 && a && !a.duplicate) ledger.acked.add(event.clientEventId);
      else ledger.unexpected.push(`${event.clientEventId}: ${answer.status} ${JSON.stringify(answer.body)}`);
      event = undefined;
    }
  } finally {
    agent.destroy();
  }
}

interface LoadPlan {
  nodes: readonly ChildNode[];
  clientsPerNode: number;
  victim: ChildNode;
  /** SIGKILL this long after the first acknowledgement (so every case has acknowledged ids to lose). */
  killAfterMs: number;
  /** The other nodes' clients go on this long after the kill. */
  survivorsGoOnMs: number;
}

/** Runs the load on every node and kills the victim in the middle of it. */
async function loadAndKill(plan: LoadPlan, ledger: Ledger, next: () => RoomEvent): Promise<void> {
  let victimDown = false;
  let survivorsDone = false;
  const clients: Promise<void>[] = [];
  for (const node of plan.nodes) {
    const stopped = node === plan.victim ? () => victimDown : () => survivorsDone;
    const killed = node === plan.victim ? () => victimDown : () => false;
    for (let i = 0; i < plan.clientsPerNode; i++) clients.push(client(node, ledger, next, stopped, killed));
  }
  const allDone = Promise.all(clients);
  try {
    const deadline = Date.now() + 20_000;
    while (ledger.acked.size === 0) {
      if (Date.now() > deadline) throw new Error(`no event acknowledged in 20 s (${ledger.unexpected.length} unexpected answers, ${ledger.failed.size} without an answer)`);
      await sleep(5);
    }
    await sleep(plan.killAfterMs);
    const dying = plan.victim.kill(); // SIGKILL is sent at once; its clients stop after their request in flight
    victimDown = true;
    await dying;
    await sleep(plan.survivorsGoOnMs);
  } finally {
    victimDown = true;
    survivorsDone = true;
    await allDone;
  }
}

interface Resent {
  /** Ids the node stored with this resend. */
  stored: string[];
  /** Ids the node had stored already (answered duplicate). */
  duplicates: string[];
  /** Answers other than 202 accepted, or no answer (there must be none). */
  problems: string[];
  /** Sends refused with 503 and Retry-After, then sent again after the wait. */
  shed: number;
}

/** Client retries: each event sent again, by a few keep-alive clients at once. */
async function resend(node: ChildNode, events: readonly RoomEvent[], concurrency = 6): Promise<Resent> {
  const result: Resent = { stored: [], duplicates: [], problems: [], shed: 0 };
  const queue = [...events];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let event = queue.shift(); event; event = queue.shift()) {
          try {
            let answer = await httpJson(node.url, 'POST', EVENTS, event, { agent });
            for (let attempt = 1; retryAfterSeconds(answer) !== undefined && attempt < 10; attempt++) {
              result.shed++;
              await sleep(retryAfterSeconds(answer)! * 1000);
              answer = await httpJson(node.url, 'POST', EVENTS, event, { agent });
            }
            const a = accepted(answer.body);
            if (answer.status !== 202 || !a) result.problems.push(`${event.clientEventId}: ${answer.status} ${JSON.stringify(answer.body)}`);
            else (a.duplicate ? result.duplicates : result.stored).push(event.clientEventId);
          } catch (err) {
            result.problems.push(`${event.clientEventId}: no answer (${(err as Error).message})`);
          }
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  return result;
}

/** A seeded sample of k items (in a seeded order, independent of the order they came in). */
function sample<T>(rng: Rng, items: Iterable<T>, k: number): T[] {
  const pool = [...items].sort();
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/** Signs in the first administrator, makes the demo session live, and returns its product ids. */
async function goLive(node: ChildNode): Promise<string[]> {
  const cookie = await signInFirstAdmin(node);
  const start = await httpJson(node.url, 'POST', `/api/v1/sessions/${SESSION}/start`, undefined, { headers: { cookie } });
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  const room = await httpJsonServed(node.url, 'GET', `/api/v1/sessions/${SESSION}`);
  expect(room.status, JSON.stringify(room.body)).toBe(200);
  const state = room.body as { session: { status: string }; products: { id: string }[] };
  expect(state.session.status).toBe('live');
  expect(state.products.length).toBeGreaterThan(0);
  return state.products.map((p) => p.id);
}

/** The room's counters as a node shows them (GET /api/v1/sessions/demo). */
async function roomCounters(node: ChildNode): Promise<{ likes: number; addToCart: number }> {
  const room = await httpJsonServed(node.url, 'GET', `/api/v1/sessions/${SESSION}`);
  expect(room.status, JSON.stringify(room.body)).toBe(200);
  const { likes, addToCart } = (room.body as { counters: { likes: number; addToCart: number } }).counters;
  return { likes, addToCart };
}

async function expectReady(node: ChildNode, storage: string, bus: string): Promise<void> {
  const ready = await httpJson(node.url, 'GET', '/readyz');
  expect(ready.status, `${node.name}: ${JSON.stringify(ready.body)}`).toBe(200);
  expect(ready.body).toEqual({ status: 'ready', storage, bus });
}

/** What the database holds after the run, read directly (not through the product). */
interface StoreContents {
  /** The demo session's room events by client event id, with how many rows each has. */
  events: Map<string, { rows: number; type: string; productId: string | null }>;
  /** Room events of every session. */
  total: number;
  /** The stored counters the product derives from the events. */
  counters: { likes: number; addToCart: number };
  /** What the integrity checks found; empty when the store is sound. */
  integrityProblems: string[];
}

interface EventRow {
  id: string;
  rows: number | string;
  type: string;
  productId: string | null;
}

const EVENTS_BY_ID = `select client_event_id as "id", count(*) as "rows", min(type) as "type", min(product_id) as "productId"
  from room_events where session_id = $1 group by client_event_id`;
const COUNTERS = 'select likes, add_to_cart as "addToCart" from session_counters where session_id = $1';

const byId = (rows: EventRow[]) => new Map(rows.map((r) => [r.id, { rows: Number(r.rows), type: r.type, productId: r.productId }]));

/** Opens the SQLite file read-only once its node has stopped. */
function readSqlite(file: string): StoreContents {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const events = byId(db.prepare(EVENTS_BY_ID.replace('$1', '?')).all(SESSION) as EventRow[]);
    const total = (db.prepare('select count(*) as n from room_events').get() as { n: number }).n;
    const counters = db.prepare(COUNTERS.replace('$1', '?')).get(SESSION) as { likes: number; addToCart: number };
    const integrityProblems: string[] = [];
    const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
    if (integrity.length !== 1 || integrity[0]?.integrity_check !== 'ok') integrityProblems.push(`integrity_check: ${JSON.stringify(integrity)}`);
    for (const row of db.pragma('foreign_key_check') as unknown[]) integrityProblems.push(`foreign_key_check: ${JSON.stringify(row)}`);
    return { events, total, counters, integrityProblems };
  } finally {
    db.close();
  }
}

async function readPostgres(url: string): Promise<StoreContents> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const events = byId((await client.query<EventRow>(EVENTS_BY_ID, [SESSION])).rows);
    const total = Number((await client.query<{ n: string }>('select count(*) as n from room_events')).rows[0]!.n);
    const c = (await client.query<{ likes: string; addToCart: string }>(COUNTERS, [SESSION])).rows[0]!;
    const integrityProblems: string[] = [];
    const duplicates = await client.query('select session_id, client_event_id, count(*) as n from room_events group by 1, 2 having count(*) > 1');
    for (const row of duplicates.rows) integrityProblems.push(`duplicate room event: ${JSON.stringify(row)}`);
    const orphans = await client.query('select e.session_id, e.client_event_id from room_events e left join live_sessions s on s.id = e.session_id where s.id is null');
    for (const row of orphans.rows) integrityProblems.push(`room event of no session: ${JSON.stringify(row)}`);
    const key = await client.query<{ indisvalid: boolean; indisunique: boolean }>(
      `select i.indisvalid, i.indisunique from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'room_events_pk'`,
    );
    if (key.rows.length !== 1 || !key.rows[0]!.indisvalid || !key.rows[0]!.indisunique) integrityProblems.push(`room_events_pk: ${JSON.stringify(key.rows)}`);
    return { events, total, counters: { likes: Number(c.likes), addToCart: Number(c.addToCart) }, integrityProblems };
  } finally {
    await client.end();
  }
}

/** Every id sent is stored exactly once, as sent; nothing else is stored; the counters agree; the store is sound. */
function expectNothingLost(store: StoreContents, ledger: Ledger): void {
  expect(store.integrityProblems).toEqual([]);
  const notStored = [...ledger.sent.keys()].filter((id) => !store.events.has(id));
  expect(notStored, 'sent (and resent) but not stored').toEqual([]);
  const lostAcked = [...ledger.acked].filter((id) => !store.events.has(id));
  expect(lostAcked, 'acknowledged but not stored').toEqual([]);
  const neverSent = [...store.events.keys()].filter((id) => !ledger.sent.has(id));
  expect(neverSent, 'stored but never sent').toEqual([]);
  const notOnce = [...store.events].filter(([, e]) => e.rows !== 1).map(([id, e]) => `${id} ×${e.rows}`);
  expect(notOnce, 'stored more than once').toEqual([]);
  const altered = [...store.events]
    .filter(([id, e]) => {
      const sent = ledger.sent.get(id)!;
      return e.type !== sent.type || e.productId !== (sent.type === 'add_to_cart' ? sent.productId : null);
    })
    .map(([id]) => id);
  expect(altered, 'stored with another type or product than sent').toEqual([]);
  expect(store.events.size).toBe(ledger.sent.size);
  expect(store.total).toBe(ledger.sent.size);
  const storedLikes = [...store.events.values()].filter((e) => e.type === 'like').length;
  expect(store.counters).toEqual({ likes: storedLikes, addToCart: store.events.size - storedLikes });
  expect(storedLikes).toBe(ledger.count('like', ledger.sent.keys()));
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await killAllNodes();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const baseEnv = { LOG_LEVEL: 'warn', QINGLIU_DEMO_AUDIENCE: 'false' };

describe('nothing lost: one node on SQLite, killed with SIGKILL under load', () => {
  for (const seed of SQLITE_SEEDS) {
    it(
      `seed ${seed}: every acknowledged event survives, every resent one is stored exactly once, and the file is sound`,
      async () => {
        const rng = new Rng(seed);
        const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-nothing-lost-'));
        cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
        // Seeding is idempotent: the node restarts with the same settings it first started with.
        const env = { ...baseEnv, QINGLIU_DATA_DIR: dataDir, QINGLIU_SEED_DEMO: 'true' };

        const first = await startNode({ name: 'sqlite', env });
        await expectReady(first, 'sqlite', 'memory');
        const next = eventMaker(seed, rng, await goLive(first));
        const ledger = new Ledger();
        const killAfterMs = 200 + rng.int(1300);
        await loadAndKill({ nodes: [first], clientsPerNode: 8, victim: first, killAfterMs, survivorsGoOnMs: 0 }, ledger, next);
        expect(first.alive()).toBe(false);
        expect(ledger.unexpected).toEqual([]);
        expect(ledger.acked.size).toBeGreaterThan(0);
        const ackedBeforeKill = ledger.acked.size;
        const ackedLikes = ledger.count('like', ledger.acked);

        const node = await startNode({ name: 'sqlite (restarted)', env });
        await expectReady(node, 'sqlite', 'memory');
        expect(node.setupToken).toBeUndefined(); // the administrator survived too
        const afterRestart = await roomCounters(node);
        expect(afterRestart.likes).toBeGreaterThanOrEqual(ackedLikes);
        expect(afterRestart.likes).toBeLessThanOrEqual(ledger.count('like', ledger.sent.keys()));

        // The clients resend what was not acknowledged, and (retrying) some of what was.
        const unacked = ledger.unacked();
        const retried = sample(rng, ledger.acked, 20 + Math.ceil(ledger.acked.size / 10)).map((id) => ledger.sent.get(id)!);
        const resentUnacked = await resend(node, unacked);
        const resentAcked = await resend(node, retried);
        expect(resentUnacked.problems).toEqual([]);
        expect(resentAcked.problems).toEqual([]);
        expect(resentUnacked.stored.length + resentUnacked.duplicates.length).toBe(unacked.length);
        expect(resentAcked.duplicates.sort(), 'every acknowledged event is still stored after the crash').toEqual(retried.map((e) => e.clientEventId).sort());
        const storedLikes = ledger.count('like', ledger.sent.keys());
        expect(await roomCounters(node)).toEqual({ likes: storedLikes, addToCart: ledger.sent.size - storedLikes });

        expect(await node.stop(), node.output()).toBe(0);
        const store = readSqlite(path.join(dataDir, 'qingliu.sqlite'));
        expectNothingLost(store, ledger);
        console.log(
          `[nothing-lost] sqlite seed ${seed}: sent ${ledger.sent.size}, acknowledged before the kill ${ackedBeforeKill} (killed ${killAfterMs} ms after the first), ` +
            `without an answer ${ledger.failed.size}, shed (503, retried) ${ledger.shed}; resent ${unacked.length} unacknowledged (${resentUnacked.duplicates.length} already stored) ` +
            `and ${retried.length} acknowledged (${resentAcked.duplicates.length} duplicates), shed ${resentUnacked.shed + resentAcked.shed}; stored ${store.events.size}`,
        );
      },
      CASE_TIMEOUT_MS,
    );
  }
});

/** A database of its own on the test server, for nodes that take only a DATABASE_URL; dropped afterwards. */
async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `qt_nl_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

describe.skipIf(!DIALECTS.includes('postgres') || !NATS_AVAILABLE)('nothing lost: two nodes on PostgreSQL and NATS, one killed with SIGKILL under load', () => {
  for (const seed of CLUSTER_SEEDS) {
    it(
      `seed ${seed}: the survivor takes the resends, the killed node comes back, and every event is stored exactly once`,
      async () => {
        const rng = new Rng(seed);
        const database = await freshPostgresDatabase();
        cleanups.push(() => database.drop());
        // Nodes of one deployment: one data directory (the same keys), one database, one bus.
        const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-nothing-lost-'));
        cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
        const shared = { ...baseEnv, QINGLIU_DATA_DIR: dataDir, DATABASE_URL: database.url, QINGLIU_BUS_URL: NATS_URL, QINGLIU_BUS_SUBJECT_PREFIX: testSubjectPrefix() };
        // A seeds the demo; B starts once A is ready (one seeder, and the keys exist by then).
        const envOf = { a: { ...shared, QINGLIU_SEED_DEMO: 'true' }, b: { ...shared, QINGLIU_SEED_DEMO: 'false' } };
        const a = await startNode({ name: 'a', env: envOf.a });
        const b = await startNode({ name: 'b', env: envOf.b });
        for (const node of [a, b]) await expectReady(node, 'postgres', 'nats');
        const productIds = await goLive(a);
        const next = eventMaker(seed, rng, productIds);

        const victimName = rng.int(2) === 0 ? 'a' : 'b';
        const [victim, survivor] = victimName === 'a' ? [a, b] : [b, a];
        const ledger = new Ledger();
        const killAfterMs = 200 + rng.int(1300);
        await loadAndKill({ nodes: [a, b], clientsPerNode: 4, victim, killAfterMs, survivorsGoOnMs: 300 }, ledger, next);
        expect(victim.alive()).toBe(false);
        expect(ledger.unexpected).toEqual([]);
        expect(ledger.acked.size).toBeGreaterThan(0);
        const ackedBeforeKill = ledger.acked.size;
        await expectReady(survivor, 'postgres', 'nats');

        // The killed node's clients (and anyone retrying) turn to the survivor.
        const unacked = ledger.unacked();
        const retried = sample(rng, ledger.acked, 20 + Math.ceil(ledger.acked.size / 10)).map((id) => ledger.sent.get(id)!);
        const resentUnacked = await resend(survivor, unacked);
        const resentAcked = await resend(survivor, retried);
        expect(resentUnacked.problems).toEqual([]);
        expect(resentAcked.problems).toEqual([]);
        expect(resentUnacked.stored.length + resentUnacked.duplicates.length).toBe(unacked.length);
        expect(resentAcked.duplicates.sort(), 'every acknowledged event is still stored').toEqual(retried.map((e) => e.clientEventId).sort());

        // The killed node comes back as it was started, is ready, and sees what the survivor stored.
        const restarted = await startNode({ name: `${victimName} (restarted)`, env: envOf[victimName] });
        await expectReady(restarted, 'postgres', 'nats');
        const retriedThere = sample(rng, ledger.acked, 20).map((id) => ledger.sent.get(id)!);
        const resentThere = await resend(restarted, retriedThere);
        expect(resentThere.problems).toEqual([]);
        expect(resentThere.duplicates.sort()).toEqual(retriedThere.map((e) => e.clientEventId).sort());
        const fresh = Array.from({ length: 10 }, eventMaker(seed, rng, productIds, 'nl-back'));
        for (const e of fresh) ledger.sent.set(e.clientEventId, e);
        const sentFresh = await resend(restarted, fresh);
        expect(sentFresh.problems).toEqual([]);
        expect(sentFresh.stored.sort()).toEqual(fresh.map((e) => e.clientEventId).sort());
        const shown = { survivor: await roomCounters(survivor), restarted: await roomCounters(restarted) };

        expect(await survivor.stop(), survivor.output()).toBe(0);
        expect(await restarted.stop(), restarted.output()).toBe(0);
        const store = await readPostgres(database.url);
        expectNothingLost(store, ledger);
        // Both nodes showed the stored counters (each reads them from the shared database).
        expect(shown.survivor).toEqual(store.counters);
        expect(shown.restarted).toEqual(store.counters);
        console.log(
          `[nothing-lost] postgres+nats seed ${seed}: killed ${victimName} ${killAfterMs} ms after the first acknowledgement; sent ${ledger.sent.size - fresh.length}, ` +
            `acknowledged before the kill ${ackedBeforeKill}, without an answer ${ledger.failed.size}, shed (503, retried) ${ledger.shed}; resent to the survivor ${unacked.length} unacknowledged ` +
            `(${resentUnacked.duplicates.length} already stored) and ${retried.length} acknowledged (${resentAcked.duplicates.length} duplicates); ` +
            `to the restarted node ${retriedThere.length} acknowledged (${resentThere.duplicates.length} duplicates) and ${fresh.length} new; ` +
            `resends shed ${resentUnacked.shed + resentAcked.shed + resentThere.shed + sentFresh.shed}; stored ${store.events.size}; ` +
            `likes stored ${store.counters.likes}, shown by the survivor ${shown.survivor.likes}, by the restarted node ${shown.restarted.likes}`,
        );
      },
      CASE_TIMEOUT_MS,
    );
  }
});
