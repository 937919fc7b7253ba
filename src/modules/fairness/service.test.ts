/**
 * FairnessService on a real (in-memory SQLite) store with a controlled clock: on-demand audits and
 * their validation, comparison, the scheduler's end-of-session, per-period (China time) and live
 * audits, each once across two nodes, live alerts and their acknowledgement, and retention.
 */
import type { Insertable, Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestContext } from '../../context/index.js';
import { openStorage, type Database, type Storage } from '../../storage/index.js';
import { priceBandOf } from '../recommender/index.js';
import { EnergyMeter } from '../energy/index.js';
import { AuditRunnerError, InProcessAuditRunner } from './adapters/audit-in-process.js';
import { AuditThread } from './adapters/audit-thread.js';
import { KyselyFairnessStore } from './adapters/fairness.kysely.js';
import type { FairnessAlert, FairnessReport } from './audit/contract.js';
import { FairnessService, type FairnessDeps, type FairnessOptions } from './service.js';
import type { DecisionScope } from './ports.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2025-05-01 00:00 in China (UTC+8). */
const D = Date.UTC(2025, 3, 30, 16, 0);
const china = (day: number, hours: number, minutes = 0) => D + day * DAY + hours * HOUR + minutes * MINUTE;

const staff: RequestContext = { requestId: 'req-1', actor: { kind: 'staff', id: 'staff-7', name: 'Compliance', role: 'compliance' }, locale: 'zh-CN' };

type DecisionRow = Insertable<Database['recommendation_decisions']>;

/** Eight products of brand b1: four cheap (¥50, list ¥60), four dear (¥500); categories a–d. */
const PRODUCTS = Array.from({ length: 8 }, (_, p) => ({
  id: `p${p}`,
  category: 'abcd'[p % 4]!,
  priceFen: p < 4 ? 5_000 : 50_000,
  listPriceFen: p < 4 ? 6_000 : 50_000,
}));

/** Lists cycle tier1, tier2, tier2, tier3_plus: tier2 is the largest group (the reference). */
const TIER_CYCLE = ['tier1', 'tier2', 'tier2', 'tier3_plus'] as const;

interface LogOptions {
  /** tier1 is shown dear products 70 % of the time (the others 30 %); otherwise every tier 30 %. */
  steered: boolean;
  lists?: number;
  /** Milliseconds between lists. */
  every?: number;
  /** Record the device segment. */
  device?: boolean;
}

/** A deterministic decision log of one session: lists of 4 (stored positions 0–3), from `from`. */
function decisions(sessionId: string, from: number, o: LogOptions): DecisionRow[] {
  const lists = o.lists ?? 800;
  const every = o.every ?? 50;
  const perTier = new Map<string, number>();
  const rows: DecisionRow[] = [];
  for (let l = 0; l < lists; l++) {
    const tier = TIER_CYCLE[l % TIER_CYCLE.length]!;
    const c = perTier.get(tier) ?? 0;
    perTier.set(tier, c + 1);
    for (let pos = 0; pos < 4; pos++) {
      // The same sequence of slots in every tier: only the premium odds differ.
      const k = c * 4 + pos;
      const dear = k % 10 < (o.steered && tier === 'tier1' ? 7 : 3);
      const p = PRODUCTS[(dear ? 4 : 0) + (k % 4)]!;
      const list = `${sessionId}-${String(l).padStart(5, '0')}`;
      rows.push(decision(`${list}-${pos}`, sessionId, from + l * every, {
        // The list's first decision id, as the recommender records it.
        list_id: `${list}-0`,
        product_id: p.id,
        position: pos,
        price_fen: p.priceFen,
        list_price_fen: p.listPriceFen,
        category: p.category,
        clicked: k % 10 === 9 ? 1 : 0,
        purchased: k % 50 === 9 ? 1 : 0,
        seg_city_tier: tier,
        seg_device: (o.device ?? true) ? (Math.floor(c / 2) % 2 ? 'ios' : 'android') : null,
      }));
    }
  }
  return rows;
}

const decision = (id: string, sessionId: string, createdAt: number, over: Partial<DecisionRow> = {}): DecisionRow => ({
  id,
  session_id: sessionId,
  product_id: 'p0',
  position: 0,
  propensity: 1,
  explored: 0,
  personalised: 1,
  model_version: 'np-1',
  context: '{}',
  region: 'cn-mainland',
  created_at: createdAt,
  clicked: 0,
  carted: 0,
  purchased: 0,
  price_fen: 5_000,
  list_price_fen: 6_000,
  category: 'a',
  ...over,
});

async function insert(db: Kysely<Database>, rows: readonly DecisionRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('recommendation_decisions').values(rows.slice(i, i + 500)).execute();
}

async function seedBrands(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('brands')
    .values(
      ['b1', 'b2'].map((id) => ({
        id,
        name_zh: id,
        name_en: id,
        operator_zh: id,
        operator_en: id,
        contact_email: `${id}@example.com`,
        contact_phone: '400',
        merchant_licence: 'L',
        created_at: 1,
      })),
    )
    .execute();
  await db
    .insertInto('products')
    .values(
      PRODUCTS.map((p, i) => ({
        id: p.id,
        brand_id: 'b1',
        sku: `SKU-${i}`,
        name_zh: p.id,
        name_en: p.id,
        description_zh: '',
        description_en: '',
        category: p.category,
        price_fen: p.priceFen,
        list_price_fen: p.listPriceFen,
        stock: 10,
        age_min_months: 0,
        age_max_months: 144,
        attributes: '{}',
        image_url: '/p.png',
        created_at: 1,
        updated_at: 1,
      })),
    )
    .execute();
}

async function addSession(db: Kysely<Database>, id: string, brandId: string, status: 'scheduled' | 'live' | 'ended', startedAt: number | null, endedAt: number | null = null): Promise<void> {
  await db
    .insertInto('live_sessions')
    .values({ id, brand_id: brandId, title_zh: id, title_en: id, status, started_at: startedAt, ended_at: endedAt, created_at: 1, version: 0 })
    .execute();
}

const flagsOf = (r: FairnessReport, kind: 'segment' | 'exposure') => r.flags.filter((f) => f.kind === kind);

describe('FairnessService', () => {
  let storage: Storage;
  let db: Kysely<Database>;
  let now: number;
  const clock = { now: () => now };
  const errors: unknown[] = [];
  const alerts: FairnessAlert[] = [];

  const make = (options: Partial<FairnessOptions> = {}, deps: Partial<FairnessDeps> = {}) =>
    new FairnessService(
      {
        store: new KyselyFairnessStore(db),
        clock,
        priceBandOf,
        onAlert: (a) => alerts.push(a),
        onError: (err) => errors.push(err),
        ...deps,
      },
      // Fewer bootstrap replicates keep the suite quick; the figures tested do not depend on them.
      { settings: { bootstrap: 50 }, ...options },
    );

  const audit = async (service: FairnessService, request: Parameters<FairnessService['runOnDemand']>[1]) => {
    const r = await service.runOnDemand(staff, request);
    if (!r.ok) throw new Error(`audit failed: ${r.code} ${r.detail ?? ''}`);
    return r.value;
  };

  beforeEach(async () => {
    storage = await openStorage('sqlite::memory:');
    db = storage.db;
    await seedBrands(db);
    now = china(0, 12);
    errors.length = 0;
    alerts.length = 0;
  });
  afterEach(async () => {
    expect(errors).toEqual([]);
    await storage.close();
  });

  describe('on demand', () => {
    it('audits a session: the city tier steered to pricier products is flagged; the report is stored and listed', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
      await insert(db, decisions('s1', china(0, 10), { steered: true }));
      const service = make();
      const report = await audit(service, { sessionId: 's1' });

      expect(report).toMatchObject({
        trigger: 'on_demand',
        scope: { brandId: 'b1', sessionId: 's1', from: china(0, 10), until: china(0, 11) + 1 },
        createdAt: now,
        decisions: 3_200,
        lists: 800,
        simulated: false,
      });
      expect(report.keepUntil).toBe(now + service.options.keepDays * DAY);
      expect(report.exposure.catalogueSize).toBe(8);
      expect(report.definitions.premiumFromFen).toBe(50_000);
      const city = report.segments.find((s) => s.attribute === 'cityTier')!;
      expect(city.reference).toBe('tier2');
      expect(city.groups.find((g) => g.group === 'tier1')!.premiumRate).toBeCloseTo(0.7, 2);
      expect(city.groups.find((g) => g.group === 'tier2')!.premiumRate).toBeCloseTo(0.3, 2);
      const cityFlags = flagsOf(report, 'segment').filter((f) => f.dimension === 'cityTier');
      expect(cityFlags.map((f) => f.metric)).toEqual(expect.arrayContaining(['premiumRate', 'meanPrice']));
      expect(new Set(cityFlags.map((f) => f.group))).toEqual(new Set(['tier1']));
      // The device is recorded, balanced, and not flagged.
      expect(report.segments.find((s) => s.attribute === 'device')!.status).toBe('ok');
      expect(report.flags.filter((f) => f.dimension === 'device')).toEqual([]);

      const listed = await service.list({ limit: 10 });
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: report.id, trigger: 'on_demand', brandId: 'b1', sessionId: 's1', decisions: 3_200, flagged: report.flags.length });
      expect(await service.report(report.id)).toEqual({ ok: true, value: report });
      // Asked again: another report (on demand is never de-duplicated).
      await audit(service, { sessionId: 's1' });
      expect(await service.list({ sessionId: 's1', limit: 10 })).toHaveLength(2);
    });

    it('covers the same decisions as the end-of-session audit, the last millisecond of the session included', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
      await insert(db, [...decisions('s1', china(0, 10), { steered: true, lists: 200 }), decision('last', 's1', china(0, 11)), decision('after', 's1', china(0, 11) + 1)]);
      const service = make();
      await service.tick(china(0, 11, 5));
      const [end] = await service.list({ trigger: 'session_end', limit: 10 });
      expect(end!.decisions).toBe(801);
      expect((await audit(service, { sessionId: 's1' })).decisions).toBe(end!.decisions);
      // A window given explicitly is taken as is.
      expect((await audit(service, { sessionId: 's1', from: china(0, 10), until: china(0, 11) })).decisions).toBe(800);
    });

    it('audits a brand over a window (every session of the brand, no other brand), by default the last 24 hours', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 8), china(0, 9));
      await addSession(db, 's2', 'b1', 'live', china(0, 10));
      await addSession(db, 'x1', 'b2', 'ended', china(0, 8), china(0, 9));
      await insert(db, [
        ...decisions('s1', china(0, 8), { steered: true }),
        ...decisions('s2', china(0, 10), { steered: false }),
        ...decisions('x1', china(0, 8), { steered: false, lists: 100 }),
        // Two days ago: outside the default window.
        ...decisions('s1', china(-2, 8), { steered: false, lists: 10 }).map((r) => ({ ...r, id: `old-${r.id}` })),
      ]);
      const service = make();

      const morning = await audit(service, { brandId: 'b1', from: china(0, 8), until: china(0, 10) });
      expect(morning.scope).toEqual({ brandId: 'b1', sessionId: null, from: china(0, 8), until: china(0, 10) });
      expect(morning.decisions).toBe(3_200);
      expect(morning.simulated).toBe(false);
      expect(morning.flags.some((f) => f.dimension === 'cityTier' && f.group === 'tier1')).toBe(true);

      const day = await audit(service, { brandId: 'b1' });
      expect(day.scope).toEqual({ brandId: 'b1', sessionId: null, from: now - DAY, until: now + 1 });
      expect(day.decisions).toBe(6_400);

      expect((await audit(service, { brandId: 'b2' })).decisions).toBe(400);
      expect((await service.list({ brandId: 'b1', limit: 10 })).map((r) => r.id).sort()).toEqual([morning.id, day.id].sort());
    });

    it('labels reports of rooms with a simulated audience', async () => {
      await addSession(db, 'demo', 'b1', 'live', china(0, 10));
      await insert(db, decisions('demo', china(0, 10), { steered: false, lists: 100 }));
      const service = make();
      service.labelSimulatedBy((id) => id === 'demo');
      expect((await audit(service, { sessionId: 'demo' })).simulated).toBe(true);
      expect((await service.list({ limit: 1 }))[0]!.simulated).toBe(true);
    });

    it('refuses what it cannot audit, and stores nothing then', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
      await addSession(db, 'empty', 'b1', 'ended', china(0, 8), china(0, 9));
      await addSession(db, 'old', 'b2', 'ended', china(0, 8), china(0, 9));
      await insert(db, decisions('s1', china(0, 10), { steered: true, lists: 100 }));
      // Logged before the audit fields were recorded (0014): skipped, so nothing to audit.
      await insert(db, decisions('old', china(0, 8), { steered: false, lists: 50 }).map((r) => ({ ...r, price_fen: null, list_price_fen: null, category: null })));
      const service = make({ maxWindowDays: 30 });
      const code = async (request: Parameters<FairnessService['runOnDemand']>[1]) => {
        const r = await service.runOnDemand(staff, request);
        return r.ok ? 'ok' : r.code;
      };

      expect(await code({})).toBe('VALIDATION_FAILED');
      expect(await code({ from: china(0, 0), until: china(1, 0) })).toBe('VALIDATION_FAILED');
      expect(await code({ sessionId: 'nope' })).toBe('SESSION_NOT_FOUND');
      expect(await code({ sessionId: 'nope', brandId: 'b1' })).toBe('SESSION_NOT_FOUND');
      expect(await code({ sessionId: 's1', brandId: 'b2' })).toBe('VALIDATION_FAILED');
      expect(await code({ brandId: 'b1', from: china(0, 10), until: china(0, 10) })).toBe('VALIDATION_FAILED');
      expect(await code({ brandId: 'b1', from: china(0, 11), until: china(0, 10) })).toBe('VALIDATION_FAILED');
      expect(await code({ sessionId: 's1', from: china(0, 11), until: china(0, 10) })).toBe('VALIDATION_FAILED');
      expect(await code({ brandId: 'b1', from: china(-31, 0), until: china(0, 0) })).toBe('VALIDATION_FAILED');
      const tooLong = await service.runOnDemand(staff, { brandId: 'b1', from: china(-30, 0) - 1, until: china(0, 0) });
      expect(tooLong).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', detail: expect.stringContaining('30 days') });
      expect(await code({ sessionId: 'empty' })).toBe('AUDIT_EMPTY');
      expect(await code({ sessionId: 'old' })).toBe('AUDIT_EMPTY');
      expect(await code({ brandId: 'b2', from: china(0, 0), until: china(1, 0) })).toBe('AUDIT_EMPTY');
      expect(await code({ brandId: 'b1', from: china(1, 0), until: china(2, 0) })).toBe('AUDIT_EMPTY');
      expect(await service.list({ limit: 10 })).toEqual([]);
      // A window of exactly the maximum is allowed.
      expect(await code({ brandId: 'b1', from: china(-30, 0) + HOUR * 12, until: china(0, 12) })).toBe('ok');
      expect(await service.list({ limit: 10 })).toHaveLength(1);
    });
  });

  describe('where audits are computed', () => {
    it('computes on the audit thread exactly what it computes in process, and meters the thread’s time as audits', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
      await insert(db, decisions('s1', china(0, 10), { steered: true, lists: 400 }));
      const meter = new EnergyMeter();
      const threaded = make({}, { auditRunner: new AuditThread({ store: new KyselyFairnessStore(db) }), meter });
      const inProcess = make();
      const a = await audit(threaded, { sessionId: 's1' });
      const b = await audit(inProcess, { sessionId: 's1' });
      const figures = (r: FairnessReport) => ({ segments: r.segments, exposure: r.exposure, mitigation: r.mitigation, flags: r.flags, decisions: r.decisions });
      expect(figures(a)).toEqual(figures(b));
      expect(flagsOf(a, 'segment').length).toBeGreaterThan(0);
      const reading = meter.read();
      expect(reading.components.audits).toBeGreaterThan(0);
      expect(reading.counts.audits).toBe(1);
      expect(reading.sessions.get('s1')?.counts.audits).toBe(1);
      // stop() ends the schedule only; close() ends the thread too.
      await threaded.stop();
      expect((await threaded.runOnDemand(staff, { sessionId: 's1' })).ok).toBe(true);
      await threaded.close();
      const closed = await threaded.runOnDemand(staff, { sessionId: 's1' });
      expect(closed).toMatchObject({ ok: false, code: 'AUDIT_UNAVAILABLE' });
      expect(errors.splice(0).map((e) => (e as AuditRunnerError).code)).toEqual(['CLOSED']);
    });

    it('answers AUDIT_UNAVAILABLE when the runner fails, stores nothing, and tells the server’s log the reason alone', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
      await insert(db, decisions('s1', china(0, 10), { steered: true, lists: 100 }));
      const reads = new InProcessAuditRunner(new KyselyFairnessStore(db));
      const failing = {
        collect: (scope: DecisionScope) => reads.collect(scope),
        compute: async () => Promise.reject(new AuditRunnerError('WORKER_EXITED', 'audit thread exited with code 1')),
        close: async () => undefined,
      };
      const service = make({}, { auditRunner: failing });
      const r = await service.runOnDemand(staff, { sessionId: 's1' });
      expect(r).toMatchObject({ ok: false, code: 'AUDIT_UNAVAILABLE' });
      expect(await service.list({ limit: 10 })).toEqual([]);
      expect(errors.splice(0).map((e) => String(e))).toEqual(['AuditRunnerError: fairness audit: audit thread exited with code 1']);
      // A scheduled audit that fails is tried again at the next tick (the tick reports the failure).
      now = china(1, 0);
      await service.tick(now);
      expect(errors.splice(0).map((e) => (e as AuditRunnerError).code)).toEqual(['WORKER_EXITED']);
    });

    it('answers AUDIT_UNAVAILABLE when the decision log cannot be read, and stores nothing', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
      await insert(db, decisions('s1', china(0, 10), { steered: true, lists: 100 }));
      const unreadable = {
        collect: async () => Promise.reject(new AuditRunnerError('READ_FAILED', 'SqliteError SQLITE_BUSY: database is locked')),
        compute: async () => Promise.reject(new Error('not reached')),
        close: async () => undefined,
      };
      const r = await make({}, { auditRunner: unreadable }).runOnDemand(staff, { sessionId: 's1' });
      expect(r).toMatchObject({ ok: false, code: 'AUDIT_UNAVAILABLE' });
      expect(await make().list({ limit: 10 })).toEqual([]);
      expect(errors.splice(0).map((e) => (e as AuditRunnerError).code)).toEqual(['READ_FAILED']);
    });
  });

  describe('reading and comparing', () => {
    it('answers AUDIT_NOT_FOUND for an unknown report', async () => {
      expect(await make().report('audit-nope')).toEqual({ ok: false, code: 'AUDIT_NOT_FOUND' });
    });

    it('compares two reports figure by figure (change = b − a), only figures both have', async () => {
      await addSession(db, 'steered', 'b1', 'ended', china(0, 8), china(0, 9));
      await addSession(db, 'fair', 'b1', 'ended', china(0, 10), china(0, 11));
      await insert(db, decisions('steered', china(0, 8), { steered: true }));
      await insert(db, decisions('fair', china(0, 10), { steered: false, device: false }));
      const service = make();
      const a = await audit(service, { sessionId: 'steered' });
      const b = await audit(service, { sessionId: 'fair' });
      const r = await service.compare(a.id, b.id);
      if (!r.ok) throw new Error(r.code);
      const c = r.value;
      expect(c.a).toMatchObject({ id: a.id, sessionId: 'steered' });
      expect(c.b).toMatchObject({ id: b.id, sessionId: 'fair' });

      expect(c.segments.length).toBeGreaterThan(0);
      for (const s of c.segments) {
        expect(s.change).toBe(s.a === null || s.b === null ? null : s.b - s.a);
        const valueIn = (rep: FairnessReport) => rep.segments.find((x) => x.attribute === s.attribute)!.groups.find((g) => g.group === s.group)![s.metric as 'ctr'];
        expect(s.a).toBe(valueIn(a));
        expect(s.b).toBe(valueIn(b));
      }
      // b did not record the device: no device figures to compare.
      expect(a.segments.find((s) => s.attribute === 'device')!.groups.length).toBeGreaterThan(0);
      expect(c.segments.filter((s) => s.attribute === 'device')).toEqual([]);
      const tier1 = c.segments.find((s) => s.attribute === 'cityTier' && s.group === 'tier1' && s.metric === 'premiumRate')!;
      expect(tier1.a).toBeCloseTo(0.7, 2);
      expect(tier1.b).toBeCloseTo(0.3, 2);
      expect(tier1.change).toBeCloseTo(-0.4, 2);
      // Every group × metric of the city tier is there once.
      expect(c.segments.filter((s) => s.attribute === 'cityTier')).toHaveLength(3 * 7);

      expect(c.exposure.map((e) => e.metric)).toEqual(['gini', 'exposureGini', 'coverage']);
      for (const e of c.exposure) {
        expect(e.a).toBe(a.exposure[e.metric]);
        expect(e.b).toBe(b.exposure[e.metric]);
        expect(e.change).toBe(e.a === null || e.b === null ? null : e.b - e.a);
      }
      expect(c.flags.a).toEqual(a.flags);
      expect(c.flags.b).toEqual(b.flags);
      expect(flagsOf(a, 'segment').length).toBeGreaterThan(0);
      expect(flagsOf(b, 'segment')).toEqual([]);

      expect(await service.compare(a.id, 'audit-nope')).toMatchObject({ ok: false, code: 'AUDIT_NOT_FOUND', detail: 'no audit audit-nope' });
      expect(await service.compare('audit-nope', b.id)).toMatchObject({ ok: false, code: 'AUDIT_NOT_FOUND' });
    });
  });

  describe('the scheduler', () => {
    it('audits a session that ended exactly once, even with two nodes ticking and ticking again', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
      await addSession(db, 'quiet', 'b1', 'ended', china(0, 9), china(0, 10));
      await addSession(db, 'on-air', 'b2', 'live', china(0, 11, 30));
      await insert(db, decisions('s1', china(0, 10), { steered: true }));
      const flushed = vi.fn(async () => undefined);
      const one = make({ liveMinutes: 0 }, { flushDecisions: flushed });
      const two = make({ liveMinutes: 0 });

      now = china(0, 11, 1);
      await Promise.all([one.tick(now), two.tick(now)]);
      await one.tick(now + MINUTE);
      await two.tick(now + MINUTE);
      await Promise.all([one.tick(now + 2 * MINUTE), two.tick(now + 2 * MINUTE)]);

      const ends = await one.list({ trigger: 'session_end', limit: 10 });
      expect(ends).toHaveLength(1);
      expect(ends[0]).toMatchObject({ brandId: 'b1', sessionId: 's1', from: china(0, 10), until: china(0, 11) + 1, decisions: 3_200 });
      const report = await one.report(ends[0]!.id);
      expect(report.ok && report.value.flags.some((f) => f.dimension === 'cityTier')).toBe(true);
      // Decisions still buffered are written before an audit reads them.
      expect(flushed).toHaveBeenCalled();
      // A session without decisions has nothing to audit; nothing else is stored.
      expect(await one.list({ limit: 10 })).toHaveLength(1);
    });

    it('audits each brand’s previous day in China time, once per brand and period across two nodes', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 7), china(0, 9));
      await addSession(db, 'edge', 'b1', 'ended', china(-1, 23), china(1, 1));
      await addSession(db, 'x1', 'b2', 'ended', china(0, 20), china(0, 21));
      await insert(db, [
        // 07:00 in China is the day before in UTC: still this China day.
        ...decisions('s1', china(0, 7), { steered: true }),
        decision('edge-before', 'edge', china(0, 0) - 1),
        decision('edge-first', 'edge', china(0, 0)),
        decision('edge-next-day', 'edge', china(1, 0)),
        ...decisions('x1', china(0, 20), { steered: false, lists: 100 }),
      ]);
      const one = make({ liveMinutes: 0, scheduleHours: 24 });
      const two = make({ liveMinutes: 0, scheduleHours: 24 });

      // The next morning, 09:30 in China (01:30 UTC).
      now = china(1, 9, 30);
      await Promise.all([one.tick(now), two.tick(now)]);
      await one.tick(now + HOUR);
      await two.tick(china(1, 23, 59));

      const scheduled = await one.list({ trigger: 'scheduled', limit: 10 });
      expect(scheduled.map((s) => s.brandId).sort()).toEqual(['b1', 'b2']);
      const b1 = scheduled.find((s) => s.brandId === 'b1')!;
      expect(b1).toMatchObject({ sessionId: null, from: china(0, 0), until: china(1, 0), decisions: 3_201 });
      expect(new Date(b1.from).toISOString()).toBe('2025-04-30T16:00:00.000Z');
      expect(scheduled.find((s) => s.brandId === 'b2')!).toMatchObject({ from: china(0, 0), until: china(1, 0), decisions: 400 });
      const store = new KyselyFairnessStore(db);
      expect(await store.hasRunKey('scheduled:b1:2025-05-01T00')).toBe(true);
      expect(await store.hasRunKey('scheduled:b2:2025-05-01T00')).toBe(true);

      // The day after: the next period, for the brand with decisions in it only.
      now = china(2, 0, 1);
      await Promise.all([one.tick(now), two.tick(now)]);
      const later = await one.list({ trigger: 'scheduled', limit: 10 });
      expect(later).toHaveLength(3);
      expect(later[0]).toMatchObject({ brandId: 'b1', from: china(1, 0), until: china(2, 0), decisions: 1 });
    });

    it('finds the brands of a scheduled period once per period and node, not at every tick', async () => {
      await addSession(db, 's1', 'b1', 'ended', china(0, 7), china(0, 9));
      await insert(db, decisions('s1', china(0, 7), { steered: false, lists: 50 }));
      const store = new KyselyFairnessStore(db);
      const brandsWithDecisions = vi.spyOn(store, 'brandsWithDecisions');
      const one = make({ liveMinutes: 0, scheduleHours: 24 }, { store });

      now = china(1, 9, 30);
      for (let minute = 0; minute < 30; minute++) await one.tick(now + minute * MINUTE);
      expect(brandsWithDecisions).toHaveBeenCalledTimes(1);
      expect(await one.list({ trigger: 'scheduled', limit: 10 })).toHaveLength(1);

      // A failed read is tried again at the next tick; then the period is done.
      now = china(2, 0, 1);
      brandsWithDecisions.mockRejectedValueOnce(new Error('database is locked'));
      await one.tick(now);
      await one.tick(now + MINUTE);
      await one.tick(now + 2 * MINUTE);
      expect(brandsWithDecisions).toHaveBeenCalledTimes(3);
      expect(errors.map((e) => (e as Error).message)).toEqual(['database is locked']);
      errors.length = 0;
    });

    describe('live', () => {
      it('alerts once on a significant segment gap found by two checks in a row; not again for the same gaps; not for a fair session', async () => {
        now = china(0, 20);
        await addSession(db, 'steered', 'b1', 'live', now - 11 * MINUTE);
        await addSession(db, 'fair', 'b1', 'live', now - 11 * MINUTE);
        await addSession(db, 'young', 'b1', 'live', now - 9 * MINUTE);
        await insert(db, decisions('steered', now - 11 * MINUTE, { steered: true, every: 100 }));
        await insert(db, decisions('fair', now - 11 * MINUTE, { steered: false, every: 100 }));
        await insert(db, decisions('young', now - 9 * MINUTE, { steered: true, every: 100 }));
        const one = make({ liveMinutes: 5 });
        const two = make({ liveMinutes: 5 });

        // The first check finds the gap; one check alone raises nothing.
        await one.tick(now - 5 * MINUTE);
        expect(alerts).toHaveLength(0);
        // The second check in a row finds it again: one alert.
        await one.tick(now);
        expect(alerts).toHaveLength(1);
        const [raised] = alerts;
        expect(raised).toMatchObject({ brandId: 'b1', sessionId: 'steered', createdAt: now, acknowledgedAt: null });
        expect(raised!.flags.length).toBeGreaterThan(0);
        expect(raised!.flags.every((f) => f.kind === 'segment')).toBe(true);
        expect(raised!.flags.some((f) => f.dimension === 'cityTier' && f.group === 'tier1' && f.metric === 'premiumRate')).toBe(true);
        expect(await one.alerts({ limit: 10 })).toEqual([raised]);

        // The audit behind it is kept (exposure is in the report, never in a live alert).
        const behind = await one.report(raised!.auditId);
        if (!behind.ok) throw new Error(behind.code);
        expect(behind.value).toMatchObject({ trigger: 'live', scope: { brandId: 'b1', sessionId: 'steered', from: now - 11 * MINUTE, until: now + 1 } });
        expect(raised!.flags.length).toBeLessThanOrEqual(flagsOf(behind.value, 'segment').length);

        // A second node in the same interval: its first check of the room, nothing new.
        await two.tick(now + 1_000);
        expect(alerts).toHaveLength(1);
        // Both nodes at the next interval: the steered session's gaps were alerted already; the young
        // session (checked once by each node before) alerts once between them.
        await Promise.all([one.tick(now + 5 * MINUTE), two.tick(now + 5 * MINUTE)]);
        expect(alerts.map((a) => a.sessionId)).toEqual(['steered', 'young']);
        expect((await one.alerts({ limit: 10 })).map((a) => a.sessionId).sort()).toEqual(['steered', 'young']);
        // Live audits are kept only when they alert: never for the fair session.
        const live = await one.list({ trigger: 'live', limit: 10 });
        expect(live.map((a) => a.sessionId).sort()).toEqual(['steered', 'young']);
      });

      it('waits for the first interval, needs two checks, and is off with liveMinutes 0', async () => {
        now = china(0, 20);
        await addSession(db, 'young', 'b1', 'live', now - 4 * MINUTE);
        await insert(db, decisions('young', now - 4 * MINUTE, { steered: true, every: 100 }));
        const off = make({ liveMinutes: 0 });
        await off.tick(now + 10 * MINUTE);
        await off.tick(now + 15 * MINUTE);
        expect(alerts).toEqual([]);
        const service = make({ liveMinutes: 5 });
        await service.tick(now);
        expect(alerts).toEqual([]);
        expect(await service.list({ limit: 10 })).toEqual([]);
        await service.tick(now + MINUTE);
        expect(alerts).toEqual([]);
        await service.tick(now + 6 * MINUTE);
        expect(alerts.map((a) => a.sessionId)).toEqual(['young']);
      });

      it('acknowledges an alert once; then, or for an unknown id, ALERT_NOT_FOUND', async () => {
        now = china(0, 20);
        await addSession(db, 'steered', 'b1', 'live', now - 11 * MINUTE);
        await insert(db, decisions('steered', now - 11 * MINUTE, { steered: true, every: 100 }));
        const service = make();
        await service.tick(now - 5 * MINUTE);
        await service.tick(now);
        const [a] = await service.alerts({ sessionId: 'steered', limit: 10 });
        now += MINUTE;
        expect(await service.acknowledge(staff, a!.id)).toEqual({ ok: true, value: undefined });
        expect(await service.acknowledge(staff, a!.id)).toEqual({ ok: false, code: 'ALERT_NOT_FOUND' });
        expect(await service.acknowledge(staff, 'alert-nope')).toEqual({ ok: false, code: 'ALERT_NOT_FOUND' });
        expect((await service.alerts({ limit: 10 }))[0]).toEqual({ ...a, acknowledgedAt: now });
        const row = await db.selectFrom('fairness_alerts').select('acknowledged_by').where('id', '=', a!.id).executeTakeFirstOrThrow();
        expect(row.acknowledged_by).toBe('staff-7');
      });
    });
  });

  it('audits each arm of an experiment on its own decisions (for the fairness_gap guardrail), storing nothing', async () => {
    now = china(0, 12);
    await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
    const arm = (name: string, steered: boolean) =>
      decisions(`s1-${name}`, china(0, 10), { steered, every: 1 }).map((d) => ({ ...d, session_id: 's1', experiment_id: 'exp-000000000001', arm: name }));
    await insert(db, [...arm('control', false), ...arm('bandit', true)]);
    const service = make();
    const arms = await service.armFairness('exp-000000000001', 'b1', ['control', 'bandit', 'absent']);
    expect(arms.map((a) => a.arm)).toEqual(['control', 'bandit', 'absent']);
    expect(arms[0]!.flags.filter((f) => f.key.includes('cityTier'))).toEqual([]);
    const bandit = arms[1]!.flags;
    expect(bandit.some((f) => f.key === 'segment\u0000cityTier\u0000tier1\u0000premiumRate' || f.key.startsWith('segment\u0000cityTier'))).toBe(true);
    expect(bandit.every((f) => f.text.zh.length > 0 && f.text.en.length > 0)).toBe(true);
    expect(arms[2]!.flags).toEqual([]);
    expect(await service.list({ limit: 10 })).toEqual([]);
  });

  it('purges reports made before the cutoff (retention)', async () => {
    await addSession(db, 's1', 'b1', 'ended', china(0, 10), china(0, 11));
    await insert(db, decisions('s1', china(0, 10), { steered: true, lists: 100 }));
    const service = make();
    now = china(1, 0);
    const old = await audit(service, { sessionId: 's1' });
    now = china(2, 0);
    const recent = await audit(service, { sessionId: 's1' });
    expect(await service.purgeBefore(china(2, 0))).toBe(1);
    expect((await service.list({ limit: 10 })).map((r) => r.id)).toEqual([recent.id]);
    expect(await service.report(old.id)).toMatchObject({ ok: false, code: 'AUDIT_NOT_FOUND' });
    expect(await service.report(recent.id)).toMatchObject({ ok: true });
    expect(await service.purgeBefore(china(2, 0))).toBe(0);
  });
});
