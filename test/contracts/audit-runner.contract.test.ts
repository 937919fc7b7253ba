/**
 * AuditRunner contract, run on both adapters: in process, and the thread a server reads and
 * computes audits on. Each must read exactly the store's decisions (on every database: the thread
 * through its own read-only connection) and give exactly the engine's audit of the log; the thread
 * must also keep the event loop turning while it computes, and survive a failed audit.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Insertable, Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditInputOf,
  AuditLogBuilder,
  AuditRunnerError,
  AuditThread,
  InProcessAuditRunner,
  KyselyFairnessStore,
  runAudit,
  type AuditInput,
  type AuditLogColumns,
  type AuditRunner,
  type DecisionScope,
} from '../../src/modules/fairness/index.js';
import { Rng } from '../../src/shared/rng.js';
import type { Database } from '../../src/storage/index.js';
import { DIALECTS, fileStorage, freshStorage, type TestStorage } from '../support/databases.js';

const band = (fen: number) => (fen < 10_000 ? 'low' : fen < 40_000 ? 'mid' : 'high');
const SELLERS = new Map([
  ['p1', 'partner-a'],
  ['p6', 'partner-b'],
]);

/**
 * A show's decision log: lists of 4 from 12 products (three price levels, four categories), viewers
 * of three city tiers and two devices, tier1 steered towards dearer products, clicks and purchases
 * at random. Each viewer's lists are one unit.
 */
function showLog(seed: number, lists: number): AuditLogColumns {
  const rng = new Rng(seed);
  const b = new AuditLogBuilder();
  const tiers = ['tier1', 'tier2', 'tier3_plus'];
  for (let l = 0; l < lists; l++) {
    const viewer = Math.floor(rng.next() * (lists / 3));
    const tier = tiers[viewer % 3]!;
    const dearOdds = tier === 'tier1' ? 0.6 : 0.3;
    for (let pos = 1; pos <= 4; pos++) {
      const level = rng.next() < dearOdds ? 2 : Math.floor(rng.next() * 2);
      const p = level * 4 + Math.floor(rng.next() * 4);
      const priceFen = [5_000, 20_000, 50_000][level]!;
      b.push({
        listId: `l${l}`,
        unitId: `v${viewer}`,
        productId: `p${p}`,
        category: 'abcd'[p % 4]!,
        position: pos,
        priceFen,
        listPriceFen: Math.round(priceFen * (rng.next() < 0.3 ? 1.2 : 1)),
        clicked: rng.next() < 0.08,
        purchased: rng.next() < 0.02,
        personalised: rng.next() < 0.6,
        rerank: rng.next() < 0.1 ? 'holdout' : rng.next() < 0.5 ? 'kept' : 'changed',
        segments: { cityTier: tier, device: viewer % 2 === 0 ? 'ios' : 'android' },
      });
    }
  }
  return b.build();
}

function inputFor(log: AuditLogColumns): AuditInput {
  return auditInputOf(log, { settings: { bootstrap: 100, seed: 7 }, catalogueSize: 20, priceBandOf: band, sellerOf: (id) => SELLERS.get(id) });
}

const ADAPTERS: Record<string, () => AuditRunner> = {
  'in process': () => new InProcessAuditRunner(),
  'a thread': () => new AuditThread(),
};

for (const [name, make] of Object.entries(ADAPTERS)) {
  describe(`AuditRunner ${name}`, () => {
    const opened: AuditRunner[] = [];
    const runner = () => {
      const r = make();
      opened.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((r) => r.close()));
    });

    it('computes exactly the engine’s audit of the log, with the time it took', async () => {
      const expected = runAudit(showLog(1, 3_000), { settings: { bootstrap: 100, seed: 7 }, catalogueSize: 20, priceBandOf: band, sellerOf: (id) => SELLERS.get(id) });
      // The audit has something to say, so the comparison covers flags and every section.
      expect(expected.flags.some((f) => f.dimension === 'cityTier')).toBe(true);
      expect(expected.exposure.groupings.map((g) => g.grouping)).toContain('seller');
      expect(expected.mitigation).not.toBeNull();
      const log = showLog(1, 3_000);
      const { computation, cpuMicros } = await runner().compute(log, inputFor(log));
      expect(computation).toEqual(expected);
      expect(cpuMicros).toBeGreaterThan(0);
    });

    it('answers audits asked together each with its own log’s audit, in any order of finishing', async () => {
      const r = runner();
      const big = showLog(2, 4_000);
      const small = showLog(3, 400);
      const [a, b] = await Promise.all([r.compute(big, inputFor(big)), r.compute(small, inputFor(small))]);
      expect(a.computation.lists).toBe(4_000);
      expect(b.computation.lists).toBe(400);
      const again = showLog(3, 400);
      expect(b.computation).toEqual((await r.compute(again, inputFor(again))).computation);
    });

    it('refuses audits once closed, with its own error code', async () => {
      const r = runner();
      const log = showLog(4, 100);
      await r.compute(log, inputFor(log));
      await r.close();
      const next = showLog(4, 100);
      const refused = await r.compute(next, inputFor(next)).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(AuditRunnerError);
      expect((refused as AuditRunnerError).code).toBe('CLOSED');
    });

    it('refuses a log the engine cannot read, and keeps computing the next one', async () => {
      const r = runner();
      const log = showLog(5, 200);
      const broken = { ...log, segments: undefined } as unknown as AuditLogColumns;
      const refused = await r.compute(broken, inputFor(log)).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(Error);
      const good = showLog(5, 200);
      expect((await r.compute(good, inputFor(good))).computation.lists).toBe(200);
    });
  });
}

describe('AuditThread beside the event loop', () => {
  let thread: AuditThread | undefined;
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
  });

  it('keeps the event loop turning while a big audit computes', async () => {
    thread = new AuditThread();
    // The thread is started (and its engine loaded) by a first, small audit.
    const warm = showLog(6, 100);
    await thread.compute(warm, inputFor(warm));
    const log = showLog(7, 60_000);
    const input = { ...inputFor(log), settings: { bootstrap: 400, seed: 7 } };
    let turns = 0;
    let done = false;
    const pending = thread.compute(log, input).finally(() => (done = true));
    // Each turn of the loop is one setImmediate; computed on this thread, the audit would allow none.
    while (!done) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    const { computation, cpuMicros } = await pending;
    expect(computation.lists).toBe(60_000);
    expect(turns).toBeGreaterThan(10);
    // The same audit in process, for scale: the turns above happened during this much work.
    expect(cpuMicros).toBeGreaterThan(0);
  });

  it('moves the log’s columns to the thread instead of copying them', async () => {
    thread = new AuditThread();
    const log = showLog(8, 500);
    const input = inputFor(log);
    await thread.compute(log, input);
    // Transferred buffers are detached here.
    expect(log.product.length).toBe(0);
    expect(log.priceFen.length).toBe(0);
  });

  it('refuses the audits in hand when its thread dies, and starts a new one for the next', async () => {
    // A stand-in thread script that dies on its first message: the runner must not hang.
    const dir = mkdtempSync(join(tmpdir(), 'qingliu-audit-thread-'));
    const script = join(dir, 'dies.mjs');
    writeFileSync(script, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
    thread = new AuditThread({ script: pathToFileURL(script) });
    const first = showLog(9, 50);
    const refused = await thread.compute(first, inputFor(first)).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AuditRunnerError);
    expect((refused as AuditRunnerError).code).toBe('WORKER_EXITED');
    const second = showLog(9, 50);
    const again = await thread.compute(second, inputFor(second)).catch((err: unknown) => err);
    expect((again as AuditRunnerError).code).toBe('WORKER_EXITED');
  });
});

// ---- reading the decision log ----

const T0 = Date.UTC(2025, 0, 6, 2, 0);
const AGES = ['0-1', '1-3', '4-6', null] as const;
const TIERS = ['tier1', 'tier2', 'tier3_plus', null] as const;

/** Brand b1 with sessions s1 and s2, brand b2 with s3. */
async function seedShows(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('brands')
    .values(['b1', 'b2'].map((id) => ({ id, name_zh: id, name_en: id, operator_zh: '运营方', operator_en: 'Operator', contact_email: `ops-${id}@example.com`, contact_phone: '400-000-0000', merchant_licence: `L-${id}`, created_at: 1 })))
    .execute();
  await db
    .insertInto('live_sessions')
    .values(
      [
        ['s1', 'b1'],
        ['s2', 'b1'],
        ['s3', 'b2'],
      ].map(([id, brand]) => ({ id: id!, brand_id: brand!, title_zh: id!, title_en: id!, status: 'live', scheduled_at: T0, started_at: T0, ended_at: null, created_at: T0, version: 0 })),
    )
    .execute();
}

/**
 * `lists` lists of 4 in a session, a list every 3 ms from `start`, so the sessions' decisions
 * interleave in time; every 50th decision was logged before the audit's fields (no price).
 */
function showDecisions(sessionId: string, lists: number, seed: number, start = T0): Insertable<Database['recommendation_decisions']>[] {
  const rng = new Rng(seed);
  const rows: Insertable<Database['recommendation_decisions']>[] = [];
  for (let l = 0; l < lists; l++) {
    const viewer = Math.floor(rng.next() * 200);
    for (let pos = 0; pos < 4; pos++) {
      const n = rows.length;
      const price = 5_000 + Math.floor(rng.next() * 10) * 4_000;
      rows.push({
        id: `${sessionId}-d${String(n).padStart(6, '0')}`,
        session_id: sessionId,
        product_id: `p${Math.floor(rng.next() * 30)}`,
        position: pos,
        propensity: 1,
        explored: 0,
        personalised: viewer % 2,
        model_version: 'lin-1',
        context: '{}',
        region: 'cn-mainland',
        created_at: start + l * 3,
        clicked: rng.next() < 0.1 ? 1 : 0,
        carted: 0,
        purchased: rng.next() < 0.02 ? 1 : 0,
        feedback: null,
        experiment_id: null,
        arm: null,
        price_fen: n % 50 === 49 ? null : price,
        list_price_fen: n % 50 === 49 ? null : Math.round(price * 1.2),
        category: 'abcd'[viewer % 4]!,
        seg_child_age: AGES[viewer % 4]!,
        seg_city_tier: TIERS[viewer % 3]!,
        seg_device: viewer % 2 ? 'ios' : 'android',
        seg_visitor: null,
        list_id: `${sessionId}-l${l}`,
        show_viewer: `viewer-${sessionId}-${viewer}`,
        rerank: l % 7 === 0 ? 'holdout' : 'kept',
      });
    }
  }
  return rows;
}

async function insertDecisions(db: Kysely<Database>, rows: readonly Insertable<Database['recommendation_decisions']>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 400) await db.insertInto('recommendation_decisions').values(rows.slice(i, i + 400)).execute();
}

/** What the store's own scan gives, built into columns on this thread: the reference. */
async function reference(db: Kysely<Database>, scope: DecisionScope): Promise<{ log: AuditLogColumns; skipped: number }> {
  const b = new AuditLogBuilder();
  const { skipped } = await new KyselyFairnessStore(db).scanDecisions(scope, (r) => b.push(r));
  return { log: b.build(), skipped };
}

/** Typed arrays compared as plain arrays (a moved buffer arrives as a fresh view of its own). */
const plain = (log: AuditLogColumns | undefined) => JSON.parse(JSON.stringify(log ?? null, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v))) as unknown;

const DATABASES: { name: string; open: () => Promise<TestStorage>; readers: Record<string, (t: TestStorage) => AuditRunner> }[] = [
  {
    name: 'SQLite in memory',
    open: () => freshStorage('sqlite'),
    readers: {
      'in process': (t) => new InProcessAuditRunner(new KyselyFairnessStore(t.storage.db)),
      // No other connection sees an in-memory database: the thread's runner reads on this thread.
      'a thread, reading here': (t) => new AuditThread({ database: t.storage.location, store: new KyselyFairnessStore(t.storage.db) }),
    },
  },
  {
    name: 'a SQLite file',
    open: fileStorage,
    readers: { 'a thread, with its own connection': (t) => new AuditThread({ database: t.storage.location }) },
  },
  ...(DIALECTS.includes('postgres')
    ? [
        {
          name: 'PostgreSQL',
          open: () => freshStorage('postgres'),
          readers: {
            'in process': (t: TestStorage) => new InProcessAuditRunner(new KyselyFairnessStore(t.storage.db)),
            'a thread, with its own connection': (t: TestStorage) => new AuditThread({ database: t.storage.location }),
          },
        },
      ]
    : []),
];

for (const database of DATABASES) {
  for (const [name, make] of Object.entries(database.readers)) {
    describe(`AuditRunner.collect on ${database.name}: ${name}`, () => {
      let t: TestStorage;
      let runner: AuditRunner;
      beforeEach(async () => {
        t = await database.open();
        await seedShows(t.storage.db);
        await insertDecisions(t.storage.db, [...showDecisions('s1', 900, 1), ...showDecisions('s2', 700, 2, T0 + 1), ...showDecisions('s3', 300, 3)]);
        runner = make(t);
      });
      afterEach(async () => {
        await runner.close();
        await t.dispose();
      });

      it('reads exactly the columns the store’s scan gives, for a session and for a brand, with the rows it skipped', async () => {
        for (const scope of [
          { brandId: 'b1', sessionId: 's1', from: T0, until: T0 + 3_600_000 },
          { brandId: 'b1', sessionId: null, from: T0 + 600, until: T0 + 2_400 },
          { brandId: 'b2', sessionId: null, from: T0, until: T0 + 3_600_000 },
        ]) {
          const expected = await reference(t.storage.db, scope);
          const collected = await runner.collect(scope);
          expect(expected.log.rows).toBeGreaterThan(500);
          expect(expected.skipped).toBeGreaterThan(0);
          expect(collected.skipped).toBe(expected.skipped);
          expect(plain(collected.log)).toEqual(plain(expected.log));
        }
      });

      it('reads nothing (no log) for a scope without decisions', async () => {
        const collected = await runner.collect({ brandId: 'b1', sessionId: 's1', from: T0 - 10_000, until: T0 });
        expect(collected).toMatchObject({ log: undefined, skipped: 0 });
      });

      it('gives a log the engine audits exactly as the reference log', async () => {
        const scope = { brandId: 'b1', sessionId: null, from: T0, until: T0 + 3_600_000 };
        const expected = runAudit((await reference(t.storage.db, scope)).log, { settings: { bootstrap: 50, seed: 3 }, catalogueSize: 30, priceBandOf: band });
        const { log } = await runner.collect(scope);
        const { computation } = await runner.compute(log!, auditInputOf(log!, { settings: { bootstrap: 50, seed: 3 }, catalogueSize: 30, priceBandOf: band }));
        expect(computation).toEqual(expected);
        expect(computation.lists).toBe(1_600);
      });

      it('sees the decisions committed before each read', async () => {
        const scope = { brandId: 'b2', sessionId: 's3', from: T0, until: T0 + 3_600_000 };
        const before = (await runner.collect(scope)).log!.rows;
        await insertDecisions(t.storage.db, showDecisions('s3', 50, 4, T0 + 100_000).map((r) => ({ ...r, id: `late-${r.id}`, list_id: `late-${r.list_id}` })));
        const after = (await runner.collect(scope)).log!.rows;
        expect(after - before).toBe(50 * 4 - 4);
      });

      it('refuses to read once closed, with its own error code', async () => {
        await runner.close();
        const refused = await runner.collect({ brandId: 'b1', sessionId: 's1', from: T0, until: T0 + 1 }).catch((err: unknown) => err);
        expect((refused as AuditRunnerError).code).toBe('CLOSED');
      });
    });
  }
}

describe('AuditThread reading through its own connection', () => {
  let t: TestStorage;
  let thread: AuditThread | undefined;
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
    await t.dispose();
  });

  it('reports the time the read kept the thread busy, and keeps the event loop turning while it reads', async () => {
    t = await fileStorage();
    await seedShows(t.storage.db);
    await insertDecisions(t.storage.db, showDecisions('s1', 10_000, 5));
    thread = new AuditThread({ database: t.storage.location });
    // Started, with its connection open, by a first small read.
    await thread.collect({ brandId: 'b1', sessionId: 's1', from: T0, until: T0 + 3 });
    let turns = 0;
    let done = false;
    const pending = thread.collect({ brandId: 'b1', sessionId: 's1', from: T0, until: T0 + 3_600_000 }).finally(() => (done = true));
    while (!done) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    const collected = await pending;
    expect(collected.log!.rows).toBe(40_000 - 800);
    expect(collected.cpuMicros).toBeGreaterThan(0);
    expect(turns).toBeGreaterThan(10);
  });

  it('refuses a read it cannot do with READ_FAILED, and keeps computing', async () => {
    t = await fileStorage();
    await seedShows(t.storage.db);
    await insertDecisions(t.storage.db, showDecisions('s1', 10, 6));
    // A database file that is not there: the thread's connection cannot open.
    thread = new AuditThread({ database: { url: `sqlite:${t.storage.location!.url.slice('sqlite:'.length)}.missing` } });
    const refused = await thread.collect({ brandId: 'b1', sessionId: 's1', from: T0, until: T0 + 3_600_000 }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AuditRunnerError);
    expect((refused as AuditRunnerError).code).toBe('READ_FAILED');
    const log = showLog(10, 50);
    expect((await thread.compute(log, inputFor(log))).computation.lists).toBe(50);
  });
});
