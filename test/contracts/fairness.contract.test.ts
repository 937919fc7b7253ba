/** FairnessStore contract, run on every storage adapter. */
import type { Insertable, Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditTrigger, FairnessAlert, FairnessReport } from '../../src/modules/fairness/audit/contract.js';
import { AUDIT_SETTINGS_DEFAULTS, runAudit, thresholdsOf } from '../../src/modules/fairness/audit/engine.js';
import { AuditLogBuilder, type AuditRow } from '../../src/modules/fairness/audit/log.js';
import { KyselyFairnessStore } from '../../src/modules/fairness/adapters/fairness.kysely.js';
import { summaryOf } from '../../src/modules/fairness/service.js';
import type { Database } from '../../src/storage/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';
import { QueryRecorder } from '../support/query-recorder.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2025-01-06 10:00 in China. */
const T0 = Date.UTC(2025, 0, 6, 2, 0);

type DecisionRow = Insertable<Database['recommendation_decisions']>;

/** Zero-padded so text order equals numeric order under any collation. */
const pad = (n: number, width = 6): string => String(n).padStart(width, '0');

const decisionRow = (id: string, sessionId: string, createdAt: number, over: Partial<DecisionRow> = {}): DecisionRow => ({
  id,
  session_id: sessionId,
  product_id: 'p1',
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
  feedback: null,
  experiment_id: null,
  arm: null,
  price_fen: 5_000,
  list_price_fen: 6_000,
  category: 'toys',
  seg_child_age: null,
  seg_city_tier: null,
  seg_device: null,
  seg_visitor: null,
  list_id: null,
  ...over,
});

async function insertDecisions(db: Kysely<Database>, rows: readonly DecisionRow[]): Promise<void> {
  // 25 columns × 500 rows stays under both dialects' bind-parameter limits.
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('recommendation_decisions').values(rows.slice(i, i + 500)).execute();
}

/**
 * Two brands. b1: s1 ended, s2 live, s3 scheduled (never started), s6 ended ten days before T0.
 * b2: s4 ended, s5 live, s7 ended without a recorded start.
 */
const SESSIONS = [
  { id: 's1', brand: 'b1', status: 'ended', startedAt: T0, endedAt: T0 + 2 * HOUR },
  { id: 's2', brand: 'b1', status: 'live', startedAt: T0 + 3 * HOUR, endedAt: null },
  { id: 's3', brand: 'b1', status: 'scheduled', startedAt: null, endedAt: null },
  { id: 's4', brand: 'b2', status: 'ended', startedAt: T0 + HOUR, endedAt: T0 + 4 * HOUR },
  { id: 's5', brand: 'b2', status: 'live', startedAt: T0 + 5 * HOUR, endedAt: null },
  { id: 's6', brand: 'b1', status: 'ended', startedAt: T0 - 10 * DAY, endedAt: T0 - 10 * DAY + HOUR },
  { id: 's7', brand: 'b2', status: 'ended', startedAt: null, endedAt: T0 + 6 * HOUR },
] as const;

async function seedRooms(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('brands')
    .values(
      ['b1', 'b2', 'b3'].map((id) => ({
        id,
        name_zh: `品牌${id}`,
        name_en: `Brand ${id}`,
        operator_zh: '运营方',
        operator_en: 'Operator',
        contact_email: `ops-${id}@example.com`,
        contact_phone: '400-000-0000',
        merchant_licence: `L-${id}`,
        created_at: 1,
      })),
    )
    .execute();
  await db
    .insertInto('live_sessions')
    .values(
      SESSIONS.map((s) => ({
        id: s.id,
        brand_id: s.brand,
        title_zh: `直播${s.id}`,
        title_en: `Live ${s.id}`,
        status: s.status,
        scheduled_at: T0 - DAY,
        started_at: s.startedAt,
        ended_at: s.endedAt,
        created_at: T0 - 20 * DAY,
        version: 0,
      })),
    )
    .execute();
  // Catalogue: five products of b1, two of b2, none of b3.
  const products = [
    ...Array.from({ length: 5 }, (_, i) => ({ brand: 'b1', n: i })),
    ...Array.from({ length: 2 }, (_, i) => ({ brand: 'b2', n: i })),
  ];
  await db
    .insertInto('products')
    .values(
      products.map(({ brand, n }) => ({
        id: `${brand}-p${n}`,
        brand_id: brand,
        sku: `SKU-${n}`,
        name_zh: `商品${n}`,
        name_en: `Product ${n}`,
        description_zh: '',
        description_en: '',
        category: n % 2 ? 'toys' : 'books',
        price_fen: 5_000 + n * 1_000,
        list_price_fen: 6_000 + n * 1_000,
        stock: 10,
        age_min_months: 0,
        age_max_months: 144,
        // b1's products 0 and 1 name their seller (zh, or en only); the rest are the brand's own.
        attributes:
          brand === 'b1' && n === 0
            ? JSON.stringify({ seller: { zh: '小熊母婴', en: 'Little Bear Baby' }, material: { zh: '棉', en: 'cotton' } })
            : brand === 'b1' && n === 1
              ? JSON.stringify({ seller: { zh: ' ', en: 'Green Leaf' } })
              : '{}',
        image_url: '/img.png',
        created_at: 1,
        updated_at: 1,
      })),
    )
    .execute();
}

// ---- a realistic report, from the real engine ----

const band = (fen: number) => (fen < 10_000 ? 'low' : fen < 40_000 ? 'mid' : 'high');
const TIERS = ['tier1', 'tier2', 'tier3_plus'] as const;

/** 600 lists of 4; tier1 is shown dear products 70 % of the time, the others 30 %. */
const COMPUTED = (() => {
  const b = new AuditLogBuilder();
  for (let l = 0; l < 600; l++) {
    const tier = TIERS[l % 3]!;
    for (let pos = 1; pos <= 4; pos++) {
      const k = Math.floor(l / 3) * 4 + pos - 1;
      const dear = k % 10 < (tier === 'tier1' ? 7 : 3);
      const p = (dear ? 4 : 0) + (k % 4);
      b.push({
        listId: `l${l}`,
        productId: `p${p}`,
        category: 'abcd'[p % 4]!,
        position: pos,
        priceFen: dear ? 50_000 : 5_000,
        listPriceFen: dear ? 50_000 : 6_000,
        clicked: k % 10 === 9,
        purchased: k % 50 === 9,
        personalised: true,
        segments: { cityTier: tier, device: l % 2 ? 'ios' : 'android' },
      });
    }
  }
  return runAudit(b.build(), { catalogueSize: 8, priceBandOf: band });
})();

interface ReportOptions {
  trigger?: AuditTrigger;
  brandId?: string;
  sessionId?: string | null;
  createdAt?: number;
  simulated?: boolean;
}

/** A report as FairnessService builds it (see #compute in src/modules/fairness/service.ts). */
function report(id: string, o: ReportOptions = {}): FairnessReport {
  const createdAt = o.createdAt ?? T0;
  const s = AUDIT_SETTINGS_DEFAULTS;
  return {
    id,
    trigger: o.trigger ?? 'on_demand',
    scope: { brandId: o.brandId ?? 'b1', sessionId: o.sessionId === undefined ? 's1' : o.sessionId, from: T0, until: T0 + 2 * HOUR + 1 },
    createdAt,
    keepUntil: createdAt + 1_096 * DAY,
    decisions: COMPUTED.decisions,
    lists: COMPUTED.lists,
    personalisedShare: COMPUTED.personalisedShare,
    simulated: o.simulated ?? false,
    definitions: {
      premiumFromFen: COMPUTED.premiumFromFen,
      selection: 'premium product shown: price ≥ the 75th percentile of the prices of the products shown',
      label: 'clicked',
    },
    method: {
      bootstrap: s.bootstrap,
      seed: s.seed,
      tests: 'rates: two-proportion z-test; mean price and discount: Welch z-test; two-sided',
      correction: `Holm, per metric over the groups compared with the reference; α = ${s.alpha}`,
    },
    thresholds: thresholdsOf(s, null),
    segments: COMPUTED.segments,
    exposure: COMPUTED.exposure,
    mitigation: COMPUTED.mitigation,
    flags: COMPUTED.flags,
  };
}

const SEGMENT_FLAGS = COMPUTED.flags.filter((f) => f.kind === 'segment');

const alert = (id: string, auditId: string, brandId: string, sessionId: string, createdAt: number): FairnessAlert => ({
  id,
  auditId,
  brandId,
  sessionId,
  createdAt,
  flags: SEGMENT_FLAGS,
  acknowledgedAt: null,
});

it('builds its report fixture from a steered log (so the stored JSON is realistic)', () => {
  expect(COMPUTED.decisions).toBe(2_400);
  expect(SEGMENT_FLAGS.some((f) => f.dimension === 'cityTier' && f.metric === 'premiumRate')).toBe(true);
  expect(COMPUTED.flags.some((f) => f.kind === 'exposure')).toBe(true);
});

for (const dialect of DIALECTS) {
  describe(`FairnessStore on ${dialect}`, () => {
    let t: TestStorage;
    let db: Kysely<Database>;
    let store: KyselyFairnessStore;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      db = t.storage.db;
      store = new KyselyFairnessStore(db);
      await seedRooms(db);
    });
    afterEach(async () => t.dispose());

    const scan = async (scope: { brandId: string; sessionId: string | null; from: number; until: number }) => {
      const rows: AuditRow[] = [];
      const { skipped } = await store.scanDecisions(scope, (r) => rows.push(r));
      return { rows, skipped };
    };
    const auditCount = async () => Number((await db.selectFrom('fairness_audits').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    describe('scanDecisions', () => {
      it('pages through 12,345 decisions of a session: each visited once, in (created_at, id) order across ties at page boundaries; rows logged before 0014 skipped and counted', async () => {
        const N = 12_345;
        const SPREAD = 1_777; // about 7 decisions share each millisecond
        const rows: DecisionRow[] = [];
        const expected: { at: number; id: string; row: AuditRow | null }[] = [];
        for (let r = 0; r < N; r++) {
          const id = `d${pad(r)}`;
          const at = T0 + ((r * 7_919) % SPREAD);
          // Logged before 0014 (no price), or missing another audit field.
          const old = r % 41 === 0;
          const noCategory = r % 97 === 5;
          const noListPrice = r % 113 === 7;
          // Lists of four; a few rows without their list (written before list ids were recorded).
          const listId = r % 29 === 11 ? null : `d${pad(r - (r % 4))}`;
          const over: Partial<DecisionRow> = {
            list_id: listId,
            product_id: `x${pad(r)}`,
            position: r % 5,
            personalised: r % 3 === 0 ? 0 : 1,
            clicked: r % 10 === 3 ? 1 : 0,
            purchased: r % 50 === 3 ? 1 : 0,
            price_fen: old ? null : 1_000 + (r % 17) * 100,
            list_price_fen: old || noListPrice ? null : 3_000,
            category: old || noCategory ? null : `cat${r % 4}`,
            seg_child_age: old ? null : (['0-3', '4-6', null] as const)[r % 3]!,
            seg_city_tier: old ? null : (['tier1', 'tier2', 'tier3_plus', null] as const)[r % 4]!,
            seg_device: old ? null : r % 2 ? 'ios' : 'android',
            seg_visitor: old ? null : (['new', 'returning', null] as const)[r % 3]!,
          };
          rows.push(decisionRow(id, 's1', at, over));
          const skip = old || noCategory || noListPrice;
          expected.push({
            at,
            id,
            row: skip
              ? null
              : {
                  listId: listId ?? id,
                  // No per-show viewer label recorded: the list is its own unit.
                  unitId: `list:${listId ?? id}`,
                  rerank: null,
                  productId: `x${pad(r)}`,
                  category: `cat${r % 4}`,
                  // Stored 0-based (the recommender's slate); the audit reads 1-based.
                  position: (r % 5) + 1,
                  priceFen: 1_000 + (r % 17) * 100,
                  listPriceFen: 3_000,
                  clicked: r % 10 === 3,
                  purchased: r % 50 === 3,
                  personalised: r % 3 !== 0,
                  segments: {
                    childAgeBand: (['0-3', '4-6', null] as const)[r % 3]!,
                    cityTier: (['tier1', 'tier2', 'tier3_plus', null] as const)[r % 4]!,
                    device: r % 2 ? 'ios' : 'android',
                    visitor: (['new', 'returning', null] as const)[r % 3]!,
                  },
                },
          });
        }
        // Inserted in id order, which is not the scan order (created_at first).
        await insertDecisions(db, rows);
        // Another session's decisions at the same instants, and s1's just outside the window.
        await insertDecisions(db, [
          ...Array.from({ length: 30 }, (_, i) => decisionRow(`o${pad(i)}`, 's4', T0 + i, { product_id: 'other' })),
          decisionRow('late', 's1', T0 + SPREAD, { product_id: 'late' }),
          decisionRow('early', 's1', T0 - 1, { product_id: 'early' }),
        ]);

        expected.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        // The fixture does what it claims: ties straddle every page boundary (pages of 2,000).
        for (const boundary of [2_000, 4_000, 6_000, 8_000, 10_000, 12_000]) expect(expected[boundary - 1]!.at).toBe(expected[boundary]!.at);
        const want = expected.flatMap((e) => (e.row ? [e.row] : []));

        // Between pages the scan lets the event loop run: a callback queued now runs before it ends.
        let scanning = true;
        let ranWhileScanning = false;
        setImmediate(() => (ranWhileScanning = scanning));
        const { rows: seen, skipped } = await scan({ brandId: 'b1', sessionId: 's1', from: T0, until: T0 + SPREAD });
        scanning = false;
        expect(ranWhileScanning).toBe(true);
        expect(skipped).toBe(N - want.length);
        expect(skipped).toBeGreaterThan(400);
        expect(seen.length).toBe(want.length);
        expect(new Set(seen.map((r) => r.productId)).size).toBe(seen.length);
        expect(seen.map((r) => r.productId)).toEqual(want.map((r) => r.productId));
        expect(seen).toEqual(want);

        // Brand scope over the same window: the same rows (b2's session is not b1's).
        const brand = await scan({ brandId: 'b1', sessionId: null, from: T0, until: T0 + SPREAD });
        expect(brand.skipped).toBe(skipped);
        expect(brand.rows.map((r) => r.productId)).toEqual(want.map((r) => r.productId));

        // Each page's range starts where the last page ended, not at the scope's start: the lower
        // bound (created_at >= ?) of page k is the time of the last row of page k − 1. A scan
        // that started every page at the scope's start walked the show again per page: minutes for
        // millions of decisions.
        for (const sessionId of ['s1', null]) {
          const recorder = new QueryRecorder();
          await new KyselyFairnessStore(db.withPlugin(recorder)).scanDecisions({ brandId: 'b1', sessionId, from: T0, until: T0 + SPREAD }, () => undefined);
          // Pages of s1 (a brand's scan reads each of its sessions in pages of its own): session, then the bound.
          const pages = recorder.nodes
            .map((node) => db.getExecutor().compileQuery(node, { queryId: 'page' }))
            .filter((q) => q.sql.includes('from "recommendation_decisions"') && q.parameters[0] === 's1');
          const lowerBounds = pages.map((q) => Number(q.parameters[1]));
          expect(lowerBounds).toEqual([T0, ...[2_000, 4_000, 6_000, 8_000, 10_000, 12_000].map((k) => expected[k - 1]!.at)]);
        }
      });

      it('merges a brand’s sessions oldest first across their pages, each decision once, ties included', async () => {
        // s1 and s2 (both b1) interleaved over 1,500 ms, several decisions per millisecond in each,
        // so both cross page boundaries and share instants; s6 (b1) has none in the window.
        const rows: DecisionRow[] = [];
        for (let r = 0; r < 9_000; r++) {
          const sessionId = r % 3 === 0 ? 's2' : 's1';
          rows.push(decisionRow(`${sessionId}-${pad(r)}`, sessionId, T0 + ((r * 7_919) % 1_500), { product_id: `x${pad(r)}` }));
        }
        await insertDecisions(db, rows);
        const { rows: seen, skipped } = await scan({ brandId: 'b1', sessionId: null, from: T0, until: T0 + 1_500 });
        expect(skipped).toBe(0);
        expect(seen.length).toBe(9_000);
        expect(new Set(seen.map((r) => r.productId)).size).toBe(9_000);
        // Oldest first: the time of each visited row (from its product id) never goes back.
        const at = new Map(rows.map((r) => [r.product_id, Number(r.created_at)]));
        const times = seen.map((r) => at.get(r.productId)!);
        expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
        // Within a session, (created_at, id) order, as a session's own scan gives it.
        const own = (await scan({ brandId: 'b1', sessionId: 's2', from: T0, until: T0 + 1_500 })).rows.map((r) => r.productId);
        expect(seen.map((r) => r.productId).filter((id) => own.includes(id))).toEqual(own);
        expect(own.length).toBe(3_000);
      });

      it('keeps to the scope: one session, or only the brand’s own sessions, within [from, until)', async () => {
        await insertDecisions(db, [
          decisionRow('a1', 's1', T0 + 10, { product_id: 'a1' }),
          decisionRow('a2', 's1', T0 + 20, { product_id: 'a2' }),
          decisionRow('a3', 's1', T0 + 30, { product_id: 'a3' }),
          decisionRow('a4', 's1', T0 + 40, { product_id: 'a4', price_fen: null, list_price_fen: null, category: null }),
          decisionRow('b1', 's2', T0 + 3 * HOUR, { product_id: 'b1' }),
          decisionRow('b2', 's2', T0 + 3 * HOUR + 5, { product_id: 'b2' }),
          decisionRow('c1', 's4', T0 + 15, { product_id: 'c1' }),
          decisionRow('e1', 's6', T0 - 10 * DAY + 1, { product_id: 'e1' }),
          // A decision of a session that is not in live_sessions belongs to no brand.
          decisionRow('z1', 'ghost', T0 + 25, { product_id: 'z1' }),
        ]);
        const ids = async (scope: Parameters<typeof scan>[0]) => {
          const r = await scan(scope);
          return { ids: r.rows.map((x) => x.productId), skipped: r.skipped };
        };
        expect(await ids({ brandId: 'b1', sessionId: 's1', from: T0, until: T0 + DAY })).toEqual({ ids: ['a1', 'a2', 'a3'], skipped: 1 });
        // from inclusive, until exclusive.
        expect(await ids({ brandId: 'b1', sessionId: 's1', from: T0 + 20, until: T0 + 30 })).toEqual({ ids: ['a2'], skipped: 0 });
        expect(await ids({ brandId: 'b1', sessionId: 's1', from: T0 + 21, until: T0 + 30 })).toEqual({ ids: [], skipped: 0 });
        expect(await ids({ brandId: 'b1', sessionId: null, from: T0, until: T0 + DAY })).toEqual({ ids: ['a1', 'a2', 'a3', 'b1', 'b2'], skipped: 1 });
        expect(await ids({ brandId: 'b1', sessionId: null, from: T0 + 11, until: T0 + 3 * HOUR + 5 })).toEqual({ ids: ['a2', 'a3', 'b1'], skipped: 1 });
        expect(await ids({ brandId: 'b1', sessionId: null, from: T0 - 30 * DAY, until: T0 })).toEqual({ ids: ['e1'], skipped: 0 });
        expect(await ids({ brandId: 'b2', sessionId: null, from: T0, until: T0 + DAY })).toEqual({ ids: ['c1'], skipped: 0 });
        expect(await ids({ brandId: 'b3', sessionId: null, from: 0, until: T0 + DAY })).toEqual({ ids: [], skipped: 0 });
        expect(await ids({ brandId: 'b1', sessionId: 'nope', from: 0, until: T0 + DAY })).toEqual({ ids: [], skipped: 0 });
      });

      it('reads every field a decision carries for the audit (and nothing that identifies a viewer)', async () => {
        await insertDecisions(db, [
          decisionRow('f1', 's1', T0 + 1, {
            list_id: 'f1',
            show_viewer: 'Zx9-viewerLabel_',
            rerank: 'changed',
            product_id: 'b1-p3',
            position: 0,
            personalised: 1,
            clicked: 1,
            purchased: 1,
            price_fen: 19_900,
            list_price_fen: 25_900,
            category: 'books',
            seg_child_age: '4-6',
            seg_city_tier: 'tier2',
            seg_device: 'ios',
            seg_visitor: 'returning',
          }),
          decisionRow('f2', 's1', T0 + 2, { product_id: 'b1-p4', position: 3, personalised: 0, price_fen: 0, list_price_fen: 0 }),
        ]);
        const { rows, skipped } = await scan({ brandId: 'b1', sessionId: 's1', from: T0, until: T0 + HOUR });
        expect(skipped).toBe(0);
        expect(rows).toEqual([
          {
            listId: 'f1',
            unitId: 'Zx9-viewerLabel_',
            rerank: 'changed',
            productId: 'b1-p3',
            category: 'books',
            position: 1,
            priceFen: 19_900,
            listPriceFen: 25_900,
            clicked: true,
            purchased: true,
            personalised: true,
            segments: { childAgeBand: '4-6', cityTier: 'tier2', device: 'ios', visitor: 'returning' },
          },
          {
            // No list recorded: a list of its own, and its own unit.
            listId: 'f2',
            unitId: 'list:f2',
            rerank: null,
            productId: 'b1-p4',
            category: 'toys',
            position: 4,
            priceFen: 0,
            listPriceFen: 0,
            clicked: false,
            purchased: false,
            personalised: false,
            segments: { childAgeBand: null, cityTier: null, device: null, visitor: null },
          },
        ]);
      });
    });

    describe('sessions and brands', () => {
      it('lists the live sessions with brand and start', async () => {
        const live = await store.liveSessions();
        expect([...live].sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1))).toEqual([
          { sessionId: 's2', brandId: 'b1', startedAt: T0 + 3 * HOUR },
          { sessionId: 's5', brandId: 'b2', startedAt: T0 + 5 * HOUR },
        ]);
      });

      it('names the brands whose sessions made decisions in [from, until), sorted', async () => {
        await insertDecisions(db, [
          decisionRow('a1', 's1', T0 + 10),
          decisionRow('b1', 's2', T0 + 3 * HOUR),
          decisionRow('c1', 's4', T0 + HOUR + 10),
          // Decisions logged before 0014 still count as decisions of the brand.
          decisionRow('e1', 's6', T0 - 10 * DAY + 1, { price_fen: null, list_price_fen: null, category: null }),
          decisionRow('z1', 'ghost', T0 + 11),
        ]);
        expect(await store.brandsWithDecisions(T0, T0 + DAY)).toEqual(['b1', 'b2']);
        expect(await store.brandsWithDecisions(T0 + 2 * HOUR, T0 + DAY)).toEqual(['b1']);
        expect(await store.brandsWithDecisions(T0 + HOUR, T0 + HOUR + 10)).toEqual([]);
        expect(await store.brandsWithDecisions(T0 + HOUR + 10, T0 + HOUR + 11)).toEqual(['b2']);
        expect(await store.brandsWithDecisions(T0 - 30 * DAY, T0)).toEqual(['b1']);
        expect(await store.brandsWithDecisions(T0 + 2 * DAY, T0 + 3 * DAY)).toEqual([]);
      });

      it('finds sessions that ended since a time without an end-of-session audit, oldest end first, until one is saved', async () => {
        expect(await store.endedWithoutAudit(T0 - DAY)).toEqual([
          { sessionId: 's1', brandId: 'b1', startedAt: T0, endedAt: T0 + 2 * HOUR },
          { sessionId: 's4', brandId: 'b2', startedAt: T0 + HOUR, endedAt: T0 + 4 * HOUR },
          { sessionId: 's7', brandId: 'b2', startedAt: null, endedAt: T0 + 6 * HOUR },
        ]);
        expect((await store.endedWithoutAudit(T0 - 30 * DAY)).map((s) => s.sessionId)).toEqual(['s6', 's1', 's4', 's7']);
        expect((await store.endedWithoutAudit(T0 + 4 * HOUR)).map((s) => s.sessionId)).toEqual(['s4', 's7']);
        expect(await store.endedWithoutAudit(T0 + DAY)).toEqual([]);

        // Other audits of a session do not count as its end-of-session audit; nor does a brand audit.
        const others = [
          report('audit-od', { trigger: 'on_demand', sessionId: 's1' }),
          report('audit-live', { trigger: 'live', sessionId: 's1' }),
          report('audit-sched', { trigger: 'scheduled', sessionId: null }),
        ];
        for (const r of others) expect(await store.saveAudit({ report: r, summary: summaryOf(r), runKey: r.trigger === 'on_demand' ? null : `${r.trigger}:${r.id}` })).toBe(true);
        expect((await store.endedWithoutAudit(T0 - DAY)).map((s) => s.sessionId)).toEqual(['s1', 's4', 's7']);

        const end = report('audit-end', { trigger: 'session_end', sessionId: 's1' });
        expect(await store.saveAudit({ report: end, summary: summaryOf(end), runKey: 'session_end:s1' })).toBe(true);
        expect((await store.endedWithoutAudit(T0 - DAY)).map((s) => s.sessionId)).toEqual(['s4', 's7']);
        const end7 = report('audit-end7', { trigger: 'session_end', brandId: 'b2', sessionId: 's7' });
        await store.saveAudit({ report: end7, summary: summaryOf(end7), runKey: 'session_end:s7' });
        expect((await store.endedWithoutAudit(T0 - DAY)).map((s) => s.sessionId)).toEqual(['s4']);
      });

      it('reads one session (brand, start, end), undefined for an unknown one', async () => {
        expect(await store.session('s1')).toEqual({ brandId: 'b1', startedAt: T0, endedAt: T0 + 2 * HOUR });
        expect(await store.session('s2')).toEqual({ brandId: 'b1', startedAt: T0 + 3 * HOUR, endedAt: null });
        expect(await store.session('s3')).toEqual({ brandId: 'b1', startedAt: null, endedAt: null });
        expect(await store.session('nope')).toBeUndefined();
      });

      it('reads the sellers products name in the catalogue', async () => {
        expect([...(await store.productSellers('b1'))].sort()).toEqual([
          ['b1-p0', '小熊母婴'],
          ['b1-p1', 'Green Leaf'],
        ]);
        expect((await store.productSellers('b2')).size).toBe(0);
        expect((await store.productSellers('nope')).size).toBe(0);
      });

      it('counts the brand’s catalogue', async () => {
        expect(await store.catalogueSize('b1')).toBe(5);
        expect(await store.catalogueSize('b2')).toBe(2);
        expect(await store.catalogueSize('b3')).toBe(0);
        expect(await store.catalogueSize('nope')).toBe(0);
      });
    });

    describe('audits', () => {
      it('stores an audit with a run key once: a second save with the same key stores nothing', async () => {
        const a = report('audit-a', { trigger: 'scheduled', sessionId: null });
        const b = report('audit-b', { trigger: 'scheduled', sessionId: null, createdAt: T0 + 1 });
        expect(await store.hasRunKey('scheduled:b1:2025-01-05T00')).toBe(false);
        expect(await store.saveAudit({ report: a, summary: summaryOf(a), runKey: 'scheduled:b1:2025-01-05T00' })).toBe(true);
        expect(await store.hasRunKey('scheduled:b1:2025-01-05T00')).toBe(true);
        expect(await store.saveAudit({ report: b, summary: summaryOf(b), runKey: 'scheduled:b1:2025-01-05T00' })).toBe(false);
        expect(await store.saveAudit({ report: a, summary: summaryOf(a), runKey: 'scheduled:b1:2025-01-05T00' })).toBe(false);
        expect(await auditCount()).toBe(1);
        expect(await store.audit('audit-b')).toBeUndefined();
        expect((await store.audits({ limit: 10 })).map((r) => r.id)).toEqual(['audit-a']);
        expect(await store.hasRunKey('scheduled:b1:2025-01-06T00')).toBe(false);
        // Concurrent saves under one key (two nodes): exactly one wins.
        const racers = Array.from({ length: 4 }, (_, i) => report(`audit-race${i}`, { trigger: 'session_end', sessionId: 's1' }));
        const won = await Promise.all(racers.map((r) => store.saveAudit({ report: r, summary: summaryOf(r), runKey: 'session_end:s1' })));
        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await auditCount()).toBe(2);
      });

      it('stores on-demand audits (no run key) as often as asked', async () => {
        for (let i = 0; i < 3; i++) {
          const r = report(`audit-od${i}`, { createdAt: T0 + i });
          expect(await store.saveAudit({ report: r, summary: summaryOf(r), runKey: null })).toBe(true);
        }
        expect(await auditCount()).toBe(3);
        expect((await store.audits({ limit: 10 })).map((r) => r.id)).toEqual(['audit-od2', 'audit-od1', 'audit-od0']);
      });

      it('reads a report back whole (the JSON round-trips); undefined for an unknown id', async () => {
        const r = report('audit-json', { simulated: true, trigger: 'live', sessionId: 's2' });
        await store.saveAudit({ report: r, summary: summaryOf(r), runKey: 'live:s2:1' });
        const back = await store.audit('audit-json');
        expect(back).toEqual(r);
        expect(back!.flags.length).toBeGreaterThan(0);
        expect(back!.segments.find((s) => s.attribute === 'cityTier')!.status).toBe('ok');
        expect(await store.audit('nope')).toBeUndefined();
      });

      it('lists summaries newest first, filtered by brand, session, trigger and time, up to a limit', async () => {
        const all = [
          report('audit-a', { trigger: 'session_end', brandId: 'b1', sessionId: 's1', createdAt: T0 + 100 }),
          report('audit-b', { trigger: 'scheduled', brandId: 'b1', sessionId: null, createdAt: T0 + 200 }),
          report('audit-c', { trigger: 'session_end', brandId: 'b2', sessionId: 's4', createdAt: T0 + 300, simulated: true }),
          report('audit-d', { trigger: 'on_demand', brandId: 'b1', sessionId: 's1', createdAt: T0 + 400 }),
          // Same time as d: the id breaks the tie.
          report('audit-e', { trigger: 'live', brandId: 'b1', sessionId: 's2', createdAt: T0 + 400 }),
        ];
        for (const r of all) await store.saveAudit({ report: r, summary: summaryOf(r), runKey: r.trigger === 'on_demand' ? null : `${r.trigger}:${r.id}` });
        const ids = async (q: Parameters<typeof store.audits>[0]) => (await store.audits(q)).map((r) => r.id);
        expect(await ids({ limit: 10 })).toEqual(['audit-e', 'audit-d', 'audit-c', 'audit-b', 'audit-a']);
        expect(await ids({ limit: 2 })).toEqual(['audit-e', 'audit-d']);
        expect(await ids({ brandId: 'b1', limit: 10 })).toEqual(['audit-e', 'audit-d', 'audit-b', 'audit-a']);
        expect(await ids({ sessionId: 's1', limit: 10 })).toEqual(['audit-d', 'audit-a']);
        expect(await ids({ trigger: 'session_end', limit: 10 })).toEqual(['audit-c', 'audit-a']);
        expect(await ids({ before: T0 + 400, limit: 10 })).toEqual(['audit-c', 'audit-b', 'audit-a']);
        expect(await ids({ before: T0 + 301, brandId: 'b1', limit: 10 })).toEqual(['audit-b', 'audit-a']);
        expect(await ids({ brandId: 'b1', sessionId: 's1', trigger: 'on_demand', limit: 10 })).toEqual(['audit-d']);
        expect(await ids({ brandId: 'b3', limit: 10 })).toEqual([]);
        expect(await ids({ brandId: undefined, sessionId: undefined, trigger: undefined, before: undefined, limit: 1 })).toEqual(['audit-e']);
        // Each row is the report's summary, trend figures included.
        const rows = await store.audits({ limit: 10 });
        expect(rows).toEqual([...all].reverse().map(summaryOf));
        expect(rows.find((r) => r.id === 'audit-c')!.simulated).toBe(true);
        expect(rows[0]!.headline.minParityRatio).toBeLessThan(0.8);
      });
    });

    describe('alerts', () => {
      it('stores alerts and lists them newest first, by brand or session, up to a limit', async () => {
        const al = [alert('alert-1', 'audit-a', 'b1', 's1', T0 + 10), alert('alert-2', 'audit-e', 'b1', 's2', T0 + 20), alert('alert-3', 'audit-c', 'b2', 's4', T0 + 20)];
        for (const a of al) await store.saveAlert(a);
        expect(await store.alerts({ limit: 10 })).toEqual([al[2], al[1], al[0]]);
        expect((await store.alerts({ limit: 1 })).map((a) => a.id)).toEqual(['alert-3']);
        expect((await store.alerts({ brandId: 'b1', limit: 10 })).map((a) => a.id)).toEqual(['alert-2', 'alert-1']);
        expect((await store.alerts({ sessionId: 's4', limit: 10 })).map((a) => a.id)).toEqual(['alert-3']);
        expect((await store.alerts({ brandId: 'b2', sessionId: 's1', limit: 10 })).map((a) => a.id)).toEqual([]);
        expect(await store.alerts({ sessionId: 'nope', limit: 10 })).toEqual([]);
      });

      it('acknowledges an alert once; again, or an unknown id, is false', async () => {
        await store.saveAlert(alert('alert-1', 'audit-a', 'b1', 's1', T0 + 10));
        await store.saveAlert(alert('alert-2', 'audit-a', 'b1', 's1', T0 + 11));
        expect(await store.acknowledgeAlert('alert-1', 'staff-compliance', T0 + MINUTE)).toBe(true);
        expect(await store.acknowledgeAlert('alert-1', 'staff-other', T0 + 2 * MINUTE)).toBe(false);
        expect(await store.acknowledgeAlert('nope', 'staff-compliance', T0 + MINUTE)).toBe(false);
        const [second, first] = await store.alerts({ sessionId: 's1', limit: 10 });
        expect(first).toEqual({ ...alert('alert-1', 'audit-a', 'b1', 's1', T0 + 10), acknowledgedAt: T0 + MINUTE });
        expect(second!.acknowledgedAt).toBeNull();
        // The first acknowledgement stands.
        const row = await db.selectFrom('fairness_alerts').select(['acknowledged_by', 'acknowledged_at']).where('id', '=', 'alert-1').executeTakeFirstOrThrow();
        expect({ by: row.acknowledged_by, at: Number(row.acknowledged_at) }).toEqual({ by: 'staff-compliance', at: T0 + MINUTE });
      });
    });

    describe('retention', () => {
      it('purges the audits made before the cutoff with their alerts, keeps newer ones, and counts', async () => {
        const all = [
          report('audit-a', { trigger: 'session_end', sessionId: 's1', createdAt: T0 + 100 }),
          report('audit-b', { trigger: 'live', sessionId: 's2', createdAt: T0 + 200 }),
          report('audit-c', { trigger: 'live', brandId: 'b2', sessionId: 's5', createdAt: T0 + 300 }),
        ];
        for (const r of all) await store.saveAudit({ report: r, summary: summaryOf(r), runKey: `${r.trigger}:${r.id}` });
        await store.saveAlert(alert('alert-a', 'audit-a', 'b1', 's1', T0 + 100));
        await store.saveAlert(alert('alert-b', 'audit-b', 'b1', 's2', T0 + 200));
        // An alert older than the cutoff whose audit is kept: it stays with its audit.
        await store.saveAlert(alert('alert-c', 'audit-c', 'b2', 's5', T0 + 50));

        expect(await store.purgeBefore(T0 + 300)).toBe(2);
        expect((await store.audits({ limit: 10 })).map((r) => r.id)).toEqual(['audit-c']);
        expect(await store.audit('audit-a')).toBeUndefined();
        expect(await store.audit('audit-c')).toEqual(all[2]);
        expect((await store.alerts({ limit: 10 })).map((a) => a.id)).toEqual(['alert-c']);
        // Their run keys went with them.
        expect(await store.hasRunKey('session_end:audit-a')).toBe(false);
        expect(await store.hasRunKey('live:audit-c')).toBe(true);
        expect(await store.purgeBefore(T0 + 300)).toBe(0);
        expect(await store.purgeBefore(T0 + 301)).toBe(1);
        expect(await store.alerts({ limit: 10 })).toEqual([]);
        expect(await auditCount()).toBe(0);
      });
    });
  });
}
