/** EnergyStore contract, run on every storage adapter (SQLite always; PostgreSQL where reachable, required in CI). */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KyselyEnergyStore } from '../../src/modules/energy/adapters/energy.kysely.js';
import type { StoredSample, StoredSessionShare } from '../../src/modules/energy/ports.js';
import type { Database } from '../../src/storage/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2025-01-06 00:00 in China (2025-01-05 16:00 UTC). */
const CN_DAY = Date.UTC(2025, 0, 5, 16, 0);
/** China is UTC+8: a China day starts at 16:00 UTC, i.e. buckets at offset −8 h. */
const CHINA_OFFSET = -8 * HOUR;

const ZERO = { recommend: 0, learn: 0, audits: 0, assistant: 0, serving: 0, storage: 0 };

function sample(id: string, startedAt: number, over: Partial<StoredSample> = {}): StoredSample {
  const wallMs = over.wallMs ?? MINUTE;
  return {
    id,
    node: 'n1',
    startedAt,
    endedAt: startedAt + wallMs,
    wallMs,
    vcpus: 2,
    processCpuMicros: 1_000_000,
    componentMicros: { ...ZERO, recommend: 600_000, storage: 100_000 },
    otherMicros: 300_000,
    spanScale: 1,
    memoryGbHours: 0.25,
    raplJoules: null,
    raplNote: null,
    counts: { ...ZERO, recommend: 10 },
    ...over,
  };
}

const share = (sessionId: string, spanMicros: number, sampleSpanMicros: number, recommendations: number): StoredSessionShare => ({ sessionId, spanMicros, sampleSpanMicros, recommendations });

/** Sums are compared to 1e-9 relative: PostgreSQL's double precision sums may round differently. */
const near = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));

it('runs on every adapter the suite requires', () => {
  expect(DIALECTS).toContain('sqlite');
  // PostgreSQL runs in CI (databases.ts throws there when it is unreachable); here too when it is up.
  if (process.env.CI) expect(DIALECTS).toContain('postgres');
});

for (const dialect of DIALECTS) {
  describe(`EnergyStore on ${dialect}`, () => {
    let t: TestStorage;
    let db: Kysely<Database>;
    let store: KyselyEnergyStore;
    // One migrated database per dialect (a PostgreSQL schema takes seconds to migrate), emptied before each test.
    beforeAll(async () => {
      t = await freshStorage(dialect);
      db = t.storage.db;
      store = new KyselyEnergyStore(db);
    });
    afterAll(async () => t?.dispose());
    beforeEach(async () => {
      await db.deleteFrom('energy_session_samples').execute();
      await db.deleteFrom('energy_samples').execute();
      await db.deleteFrom('live_sessions').execute();
      await db.deleteFrom('brands').execute();
    });

    const sampleCount = async () => Number((await db.selectFrom('energy_samples').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const shareCount = async () => Number((await db.selectFrom('energy_session_samples').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    describe('append and totals', () => {
      it('sums every quantity the accounting needs over [from, until), RAPL samples counted', async () => {
        await store.append(sample('s1', CN_DAY), [share('show-a', 400_000, 700_000, 6)]);
        await store.append(
          sample('s2', CN_DAY + HOUR, {
            wallMs: 2 * MINUTE,
            vcpus: 4,
            processCpuMicros: 2_500_000.4, // micros are stored whole
            componentMicros: { recommend: 1_000_000, learn: 250_000, audits: 500_000, assistant: 0, serving: 50_000, storage: 200_000 },
            otherMicros: 500_000,
            memoryGbHours: 0.5,
            raplJoules: 12.5,
            counts: { recommend: 30, learn: 4, audits: 1, assistant: 0, serving: 7, storage: 0 },
          }),
          [],
        );
        await store.append(sample('s3', CN_DAY + 2 * HOUR, { raplJoules: 7.25 }), []);
        // Outside the period: before it, and exactly at its end (until is exclusive).
        await store.append(sample('early', CN_DAY - 1), []);
        await store.append(sample('at-end', CN_DAY + 3 * HOUR), []);

        const tot = await store.totals(CN_DAY, CN_DAY + 3 * HOUR);
        expect(tot.samples).toBe(3);
        expect(tot.raplSamples).toBe(2);
        near(tot.raplJoules, 19.75);
        expect(tot.wallSeconds).toBe(60 + 120 + 60);
        expect(tot.vcpuSeconds).toBe(60 * 2 + 120 * 4 + 60 * 2);
        near(tot.cpuSeconds, 1 + 2.5 + 1);
        near(tot.memoryGbHours, 0.25 + 0.5 + 0.25);
        near(tot.otherSeconds, 0.3 + 0.5 + 0.3);
        near(tot.componentSeconds.recommend, 0.6 + 1 + 0.6);
        near(tot.componentSeconds.learn, 0.25);
        near(tot.componentSeconds.audits, 0.5);
        expect(tot.componentSeconds.assistant).toBe(0);
        near(tot.componentSeconds.serving, 0.05);
        near(tot.componentSeconds.storage, 0.1 + 0.2 + 0.1);
        expect(tot.counts).toEqual({ recommend: 50, learn: 4, audits: 1, assistant: 0, serving: 7, storage: 0 });
        // Types are numbers on both dialects (PostgreSQL returns sums over bigint as strings).
        for (const v of [tot.samples, tot.raplSamples, tot.wallSeconds, tot.cpuSeconds, tot.counts.recommend]) expect(typeof v).toBe('number');

        // The stored row keeps the raw inputs, micros rounded to whole ones.
        const s2 = await db.selectFrom('energy_samples').selectAll().where('id', '=', 's2').executeTakeFirstOrThrow();
        expect(Number(s2.process_cpu_us)).toBe(2_500_000);
        expect(Number(s2.vcpus)).toBe(4);
        expect(s2.rapl_joules).toBe(12.5);

        // An empty period: zero everywhere, not nulls.
        const none = await store.totals(CN_DAY + 10 * DAY, CN_DAY + 11 * DAY);
        expect(none).toMatchObject({ samples: 0, raplSamples: 0, raplJoules: 0, wallSeconds: 0, vcpuSeconds: 0, cpuSeconds: 0, memoryGbHours: 0, otherSeconds: 0 });
        expect(none.counts).toEqual(ZERO);
      });

      it('keeps the RAPL note and node with the sample', async () => {
        await store.append(sample('s1', CN_DAY, { node: 'node-x', raplNote: 'RAPL unreadable, the model applies: no powercap tree at /x' }), []);
        const row = await db.selectFrom('energy_samples').select(['node', 'rapl_note', 'rapl_joules', 'span_scale']).executeTakeFirstOrThrow();
        expect(row).toEqual({ node: 'node-x', rapl_note: 'RAPL unreadable, the model applies: no powercap tree at /x', rapl_joules: null, span_scale: 1 });
      });

      it('is atomic: a failing session insert leaves no sample row, and a duplicate sample id is refused', async () => {
        await expect(store.append(sample('dup-share', CN_DAY), [share('show-a', 1, 2, 0), share('show-a', 1, 2, 0)])).rejects.toThrow();
        expect(await sampleCount()).toBe(0);
        expect(await shareCount()).toBe(0);
        await store.append(sample('s1', CN_DAY), [share('show-a', 1, 2, 0)]);
        await expect(store.append(sample('s1', CN_DAY + HOUR), [share('show-b', 1, 2, 0)])).rejects.toThrow();
        expect(await sampleCount()).toBe(1);
        expect(await shareCount()).toBe(1);
        expect((await store.totals(0, CN_DAY + DAY)).samples).toBe(1);
      });
    });

    describe('buckets', () => {
      it('groups by China day at offset −8 h: 15:59:59.999 UTC and 16:00 UTC fall in different days; empty days are left out', async () => {
        await store.append(sample('d1-a', CN_DAY), []); // 00:00 China, day 1
        await store.append(sample('d1-b', CN_DAY + DAY - 1, { counts: { ...ZERO, recommend: 3 } }), []); // 23:59:59.999 China, day 1
        await store.append(sample('d2-a', CN_DAY + DAY, { counts: { ...ZERO, recommend: 5 } }), []); // 00:00 China, day 2
        await store.append(sample('d4-a', CN_DAY + 3 * DAY + 12 * HOUR, { raplJoules: 4 }), []); // day 4 (day 3 empty)
        const days = await store.buckets(CN_DAY - DAY, CN_DAY + 5 * DAY, DAY, CHINA_OFFSET);
        expect(days.map((b) => new Date(b.start).toISOString())).toEqual(['2025-01-05T16:00:00.000Z', '2025-01-06T16:00:00.000Z', '2025-01-08T16:00:00.000Z']);
        expect(days.map((b) => b.start)).toEqual([CN_DAY, CN_DAY + DAY, CN_DAY + 3 * DAY]);
        expect(days.map((b) => [b.totals.samples, b.totals.counts.recommend, b.totals.raplSamples])).toEqual([
          [2, 13, 0],
          [1, 5, 0],
          [1, 10, 1],
        ]);
        expect(days[2]!.totals.raplJoules).toBe(4);
        near(days[0]!.totals.cpuSeconds, 2);
        // The same samples by UTC day (offset 0): the first day's two samples split.
        const utc = await store.buckets(CN_DAY - DAY, CN_DAY + 5 * DAY, DAY, 0);
        expect(utc.map((b) => [new Date(b.start).toISOString(), b.totals.samples])).toEqual([
          ['2025-01-05T00:00:00.000Z', 1],
          ['2025-01-06T00:00:00.000Z', 2],
          ['2025-01-09T00:00:00.000Z', 1],
        ]);
      });

      it('groups by hour and respects [from, until)', async () => {
        await store.append(sample('h0', CN_DAY + 10 * MINUTE), []);
        await store.append(sample('h0b', CN_DAY + 59 * MINUTE), []);
        await store.append(sample('h2', CN_DAY + 2 * HOUR), []);
        const hours = await store.buckets(CN_DAY, CN_DAY + 3 * HOUR, HOUR, 0);
        expect(hours.map((b) => [b.start - CN_DAY, b.totals.samples])).toEqual([
          [0, 2],
          [2 * HOUR, 1],
        ]);
        const later = await store.buckets(CN_DAY + 30 * MINUTE, CN_DAY + 2 * HOUR, HOUR, 0);
        expect(later.map((b) => [b.start - CN_DAY, b.totals.samples])).toEqual([[0, 1]]);
        // Bucket totals add up to the period's totals.
        const all = await store.totals(CN_DAY, CN_DAY + 3 * HOUR);
        expect(hours.reduce((s, b) => s + b.totals.samples, 0)).toBe(all.samples);
        near(
          hours.reduce((s, b) => s + b.totals.vcpuSeconds, 0),
          all.vcpuSeconds,
        );
      });
    });

    describe('sessionSamples', () => {
      it('joins each share with its sample’s figures, oldest first, only that session', async () => {
        // Appended out of time order.
        await store.append(sample('late', CN_DAY + 2 * HOUR, { wallMs: 2 * MINUTE, vcpus: 4, processCpuMicros: 3_000_000, memoryGbHours: 0.75, raplJoules: 9.5 }), [
          share('show-a', 200_000, 800_000, 2),
          share('show-b', 600_000, 800_000, 7),
        ]);
        await store.append(sample('early', CN_DAY), [share('show-a', 300_000, 700_000, 4)]);
        await store.append(sample('mid', CN_DAY + HOUR), [share('show-b', 700_000, 700_000, 1)]);
        const rows = await store.sessionSamples('show-a');
        expect(rows).toEqual([
          { sessionId: 'show-a', spanMicros: 300_000, sampleSpanMicros: 700_000, recommendations: 4, startedAt: CN_DAY, wallMs: MINUTE, vcpus: 2, processCpuMicros: 1_000_000, memoryGbHours: 0.25, raplJoules: null },
          { sessionId: 'show-a', spanMicros: 200_000, sampleSpanMicros: 800_000, recommendations: 2, startedAt: CN_DAY + 2 * HOUR, wallMs: 2 * MINUTE, vcpus: 4, processCpuMicros: 3_000_000, memoryGbHours: 0.75, raplJoules: 9.5 },
        ]);
        expect((await store.sessionSamples('show-b')).map((r) => r.startedAt)).toEqual([CN_DAY + HOUR, CN_DAY + 2 * HOUR]);
        expect(await store.sessionSamples('nobody')).toEqual([]);
      });
    });

    describe('liveSessionHours', () => {
      it('adds up the overlap of each live window with [from, until); a session still live counts to until', async () => {
        await db
          .insertInto('brands')
          .values({ id: 'b1', name_zh: '品牌', name_en: 'Brand', operator_zh: '运营方', operator_en: 'Operator', contact_email: 'ops@example.com', contact_phone: '400-000-0000', merchant_licence: 'L-1', created_at: 1 })
          .execute();
        const from = CN_DAY;
        const until = CN_DAY + 10 * HOUR;
        const sessions: [id: string, status: string, startedAt: number | null, endedAt: number | null][] = [
          ['inside', 'ended', from + HOUR, from + 3 * HOUR], // 2 h
          ['across-start', 'ended', from - 2 * HOUR, from + 30 * MINUTE], // 0.5 h
          ['across-end', 'ended', until - HOUR, until + 5 * HOUR], // 1 h
          ['still-live', 'live', until - 90 * MINUTE, null], // 1.5 h (to until)
          ['covers-all', 'ended', from - DAY, until + DAY], // 10 h
          ['before', 'ended', from - 5 * HOUR, from - HOUR], // 0
          ['ends-at-from', 'ended', from - HOUR, from], // 0
          ['after', 'ended', until, until + HOUR], // 0 (starts at until)
          ['never-started', 'scheduled', null, null], // 0
          ['live-from-before', 'live', from - HOUR, null], // 10 h
        ];
        await db
          .insertInto('live_sessions')
          .values(
            sessions.map(([id, status, startedAt, endedAt]) => ({
              id,
              brand_id: 'b1',
              title_zh: `直播${id}`,
              title_en: `Live ${id}`,
              status,
              scheduled_at: from - DAY,
              started_at: startedAt,
              ended_at: endedAt,
              created_at: from - 2 * DAY,
              version: 0,
            })),
          )
          .execute();
        near(await store.liveSessionHours(from, until), 2 + 0.5 + 1 + 1.5 + 10 + 10);
        // A window inside one session only.
        near(await store.liveSessionHours(from + 90 * MINUTE, from + 2 * HOUR), 0.5 * 3); // inside, covers-all, live-from-before
        expect(await store.liveSessionHours(from - 10 * DAY, from - 9 * DAY)).toBe(0);
      });
    });

    describe('purgeBefore', () => {
      it('removes samples that started before the cutoff and their session shares, and says how many', async () => {
        await store.append(sample('old-1', CN_DAY - 2 * DAY), [share('show-a', 1, 2, 1), share('show-b', 1, 2, 1)]);
        await store.append(sample('old-2', CN_DAY - 1), [share('show-a', 1, 2, 1)]);
        await store.append(sample('kept', CN_DAY), [share('show-a', 1, 2, 3)]);
        expect(await store.purgeBefore(CN_DAY)).toBe(2);
        expect((await db.selectFrom('energy_samples').select('id').execute()).map((r) => r.id)).toEqual(['kept']);
        const shares = await db.selectFrom('energy_session_samples').select(['sample_id', 'session_id']).execute();
        expect(shares).toEqual([{ sample_id: 'kept', session_id: 'show-a' }]);
        expect((await store.sessionSamples('show-a')).map((r) => r.recommendations)).toEqual([3]);
        expect(await store.sessionSamples('show-b')).toEqual([]);
        expect(await store.purgeBefore(CN_DAY)).toBe(0);
      });
    });
  });
}
