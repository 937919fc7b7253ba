/**
 * Fairness audits over HTTP, on SQLite and PostgreSQL: real decisions from the real recommender
 * (consenting viewers who declared a city tier and a child's age band, on iPhones, Android phones and
 * Windows desktops, some of whom click) audited on demand by a compliance officer; the report's
 * counts, segments, small-group suppression, thresholds, retention and exposure; the decision log
 * carrying no viewer identity; the audit listed, read as JSON and as a script-free HTML report, and
 * compared; roles and bad input refused with stable problem codes, nothing stored by a failed run;
 * and live alerts raised by two checks in a row, read and acknowledged over HTTP (A8).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Insertable } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditSummaryRow, FairnessAlert, FairnessReport, SegmentAudit } from '../../src/modules/fairness/index.js';
import type { Database } from '../../src/storage/index.js';
import { demoProductIds, signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

const BRAND = 'demo-brand';
const MINUTE = 60_000;
const DAY = 86_400_000;
const PROBLEM = 'application/problem+json';

const UA = {
  ios: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  android: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
} as const;
type DeviceClass = keyof typeof UA;

/** 64 viewers; group sizes chosen so some groups reach the minimum size of 30 viewers and some do not. */
const VIEWERS = 64;
const LISTS_PER_VIEWER = 3;
/** tier1 32, tier2 24, tier3_plus 8: only tier1 is reported. */
const tierOf = (i: number) => (i % 8 < 4 ? 'tier1' : i % 8 < 7 ? 'tier2' : 'tier3_plus');
/** 32 and 32: both reported. */
const childAgeOf = (i: number) => (i % 2 === 0 ? '0_6m' : '3_6y');
/** ios 30, android 30, desktop 4: desktop is suppressed. */
const deviceOf = (i: number): DeviceClass => (i >= 60 ? 'desktop' : Math.floor(i / 2) % 2 === 0 ? 'ios' : 'android');

interface Item {
  decisionId: string;
  productId: string;
  position: number;
  personalised: boolean;
}

interface Viewer {
  deviceId: string;
  tier: string;
  childAge: string;
  device: DeviceClass;
  lists: Item[][];
}

type DecisionRow = Insertable<Database['recommendation_decisions']>;

describe.each(DIALECTS)('fairness audits over HTTP on %s', (dialect) => {
  let t: TestApp;
  let admin: { cookie: string };
  let officer: { cookie: string };
  let startedAt: number;
  let address = 0;

  beforeEach(async () => {
    t = await testApp(dialect);
    admin = await signIn(t.app, 'admin');
    officer = await signIn(t.app, 'compliance');
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    expect(started.statusCode, started.body).toBe(200);
    startedAt = (started.json() as { session: { startedAt: number } }).session.startedAt;
  });
  afterEach(async () => t.close());

  /** `cookie` null: not signed in. */
  const get = (url: string, cookie: string | null = officer.cookie) => t.app.inject({ method: 'GET', url, headers: cookie !== null ? { cookie } : {} });
  const post = (url: string, payload?: object, cookie: string | null = officer.cookie) =>
    t.app.inject({ method: 'POST', url, headers: cookie !== null ? { cookie } : {}, ...(payload === undefined ? {} : { payload }) });
  const runAudit = async (payload: object, cookie = officer.cookie) => {
    const res = await post('/api/v1/fairness/audits', payload, cookie);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as FairnessReport;
  };
  const listAudits = async (query = 'sessionId=demo') => {
    const res = await get(`/api/v1/fairness/audits?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: AuditSummaryRow[] }).items;
  };
  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string, what: string) => {
    expect(res.statusCode, what).toBe(status);
    expect(String(res.headers['content-type']), what).toContain(PROBLEM);
    expect((res.json() as { code: string }).code, what).toBe(code);
  };

  /** A viewer as a real device: its own address, a consent decision, its declarations, its lists. */
  const viewer = async (i: number, notice: { version: string; hash: string }): Promise<Viewer> => {
    const v: Viewer = { deviceId: `fair-${dialect}-viewer-${String(i).padStart(6, '0')}`, tier: tierOf(i), childAge: childAgeOf(i), device: deviceOf(i), lists: [] };
    // Each viewer from its own address, as real devices are (consent and privacy writes are limited per address).
    const remoteAddress = `10.${40 + (dialect === 'sqlite' ? 0 : 1)}.${Math.floor(++address / 250) % 250}.${address % 250}`;
    const consent = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      remoteAddress,
      payload: {
        deviceId: v.deviceId,
        brandId: BRAND,
        noticeVersion: notice.version,
        noticeHash: notice.hash,
        locale: 'zh-CN',
        method: 'custom',
        granted: ['personalised_recommendations', 'model_improvement'],
      },
    });
    expect(consent.statusCode, consent.body).toBe(201);
    const headers = { 'x-qingliu-device': v.deviceId, 'user-agent': UA[v.device] };
    const tier = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/city-tier', remoteAddress, headers, payload: { brandId: BRAND, cityTier: v.tier } });
    expect(tier.statusCode, tier.body).toBe(200);
    const child = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', remoteAddress, headers, payload: { brandId: BRAND, childAgeBand: v.childAge } });
    expect(child.statusCode, child.body).toBe(200);
    for (let l = 0; l < LISTS_PER_VIEWER; l++) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations', remoteAddress, headers });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { personalised: boolean; items: Item[] };
      expect(body.personalised).toBe(true);
      v.lists.push(body.items);
    }
    return v;
  };

  it('audits the real recommender’s decisions on demand: counts, segments with small groups suppressed, thresholds, retention, exposure and clicks; the log identifies no one', async () => {
    const notice = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json() as { version: string; hash: string };
    const viewers: Viewer[] = [];
    for (let i = 0; i < VIEWERS; i++) viewers.push(await viewer(i, notice));

    // Clicks: the first item of the first list of every third viewer, and the second item of the
    // second list of every fifth.
    const clicked = new Set<string>();
    let key = 0;
    for (const [i, v] of viewers.entries()) {
      const picks = [...(i % 3 === 0 ? [v.lists[0]![0]!] : []), ...(i % 5 === 0 ? [v.lists[1]![1]!] : [])];
      for (const item of picks) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/sessions/demo/recommendations/feedback',
          payload: { decisionId: item.decisionId, type: 'click', idempotencyKey: `fair-${dialect}-click-${++key}`, deviceId: v.deviceId },
        });
        expect(res.statusCode, res.body).toBe(202);
        expect((res.json() as { learned: boolean }).learned).toBe(true);
        clicked.add(item.decisionId);
      }
    }
    expect(clicked.size).toBeGreaterThan(20);

    const served = viewers.flatMap((v) => v.lists.flat());
    const requests = viewers.length * LISTS_PER_VIEWER;
    expect(served.length).toBeGreaterThanOrEqual(requests);

    // A moderator may not run one; the compliance officer may.
    expectProblem(await post('/api/v1/fairness/audits', { sessionId: 'demo' }, (await signIn(t.app, 'moderator')).cookie), 403, 'FORBIDDEN', 'moderator runs an audit');
    const report = await runAudit({ sessionId: 'demo' });

    expect(report.id).toMatch(/^audit-[0-9a-f]{12}$/);
    expect(report).toMatchObject({ trigger: 'on_demand', scope: { brandId: BRAND, sessionId: 'demo', from: startedAt }, decisions: served.length, lists: requests, personalisedShare: 1 });
    expect(report.scope.until).toBeGreaterThan(startedAt);
    expect(report.keepUntil).toBeGreaterThanOrEqual(report.createdAt + 3 * 365 * DAY);

    // Thresholds: every one with its value and the reason for it.
    for (const name of ['ratio', 'minGroupSize', 'alpha', 'premiumQuantile', 'exposureBand'] as const) {
      const threshold = report.thresholds[name];
      expect(typeof threshold.value, name).toBe('number');
      expect(threshold.reason.length, name).toBeGreaterThan(10);
    }
    expect(report.thresholds.minGroupSize.value).toBe(30);
    expect(report.thresholds.ratio.value).toBe(0.8);

    // Segments: what each viewer declared or sent, counted per viewer (unit) for the minimum size.
    const segment = (attribute: string) => report.segments.find((s) => s.attribute === attribute)!;
    const expectSegment = (s: SegmentAudit, groupOf: (v: Viewer) => string) => {
      const units = new Map<string, Viewer[]>();
      for (const v of viewers) units.set(groupOf(v), [...(units.get(groupOf(v)) ?? []), v]);
      expect(s.recorded, s.attribute).toBe(served.length);
      expect(s.missing, s.attribute).toBe(0);
      expect(s.groups.map((g) => g.group).sort(), s.attribute).toEqual([...units.keys()].sort());
      for (const g of s.groups) {
        const members = units.get(g.group)!;
        const items = members.flatMap((v) => v.lists.flat());
        expect(g.impressions, `${s.attribute} ${g.group}`).toBe(items.length);
        expect(g.suppressed, `${s.attribute} ${g.group} of ${members.length} viewers`).toBe(members.length < 30);
        if (g.suppressed) {
          for (const metric of ['premiumRate', 'premiumShare', 'ctr', 'conversion', 'meanPrice', 'meanDiscount', 'tpr', 'fpr', 'fnr', 'fdr', 'for'] as const) {
            expect(g[metric], `${s.attribute} ${g.group} ${metric}`).toBeNull();
          }
        } else {
          // Click-through is clicks per impression of the group: the clicks posted are in it.
          expect(g.ctr, `${s.attribute} ${g.group} ctr`).toBeCloseTo(items.filter((it) => clicked.has(it.decisionId)).length / items.length, 12);
          expect(g.premiumRate).not.toBeNull();
          expect(g.meanPrice).toBeGreaterThan(0);
          expect(g.conversion).toBe(0);
        }
      }
      const reported = s.groups.filter((g) => !g.suppressed).length;
      expect(s.status, s.attribute).toBe(reported >= 2 ? 'ok' : reported === 1 ? 'one_group' : 'too_few');
    };
    expectSegment(segment('cityTier'), (v) => v.tier);
    expectSegment(segment('childAgeBand'), (v) => v.childAge);
    expectSegment(segment('device'), (v) => v.device);
    expect(segment('cityTier')).toMatchObject({ status: 'one_group', reference: 'tier1' });
    expect(segment('childAgeBand').status).toBe('ok');
    expect(segment('device')).toMatchObject({ status: 'ok', reference: 'android' });
    expect(segment('device').groups.find((g) => g.group === 'desktop')).toMatchObject({ suppressed: true, premiumRate: null, ctr: null });
    // Every viewer decided on consent after the show began: all new.
    expect(segment('visitor')).toMatchObject({ status: 'one_group', recorded: served.length });
    expect(segment('visitor').groups.map((g) => g.group)).toEqual(['new']);
    // Gaps are only ever against reported groups.
    for (const s of report.segments) for (const gap of s.gaps) expect(s.groups.find((g) => g.group === gap.group)?.suppressed, `${s.attribute} ${gap.group}`).toBe(false);

    // Exposure: products shown over the demo brand's catalogue.
    const catalogue = await t.app.services.storage.db.selectFrom('products').select('id').where('brand_id', '=', BRAND).execute();
    const shown = new Set(served.map((i) => i.productId));
    expect(report.exposure).toMatchObject({ lists: requests, productsShown: shown.size, catalogueSize: catalogue.length });
    expect(report.exposure.coverage).toBeCloseTo(shown.size / catalogue.length, 12);
    // The demo room shows the brand's whole catalogue.
    expect(new Set(await demoProductIds(t.app))).toEqual(new Set(catalogue.map((p) => p.id)));
    expect(Array.isArray(report.flags)).toBe(true);
    for (const f of report.flags) expect(['segment', 'exposure']).toContain(f.kind);

    // The decision log: each row carries its list, a per-show viewer label, the price, category and
    // segments; never the device id or the User-Agent.
    const db = t.app.services.storage.db;
    const rows = await db.selectFrom('recommendation_decisions').selectAll().where('session_id', '=', 'demo').execute();
    expect(rows).toHaveLength(served.length);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const room = (await t.app.inject('/api/v1/sessions/demo')).json() as { products: { id: string; priceFen: number; listPriceFen: number; category: string }[] };
    const products = new Map(room.products.map((p) => [p.id, p]));
    const labels = new Map<string, string>();
    for (const v of viewers) {
      for (const list of v.lists) {
        for (const item of list) {
          const row = byId.get(item.decisionId)!;
          expect(row, item.decisionId).toBeDefined();
          const p = products.get(item.productId)!;
          // The list is named by its first decision; positions are 0-based in storage.
          expect(row).toMatchObject({
            list_id: list[0]!.decisionId,
            product_id: item.productId,
            category: p.category,
            seg_city_tier: v.tier,
            seg_child_age: v.childAge,
            seg_device: v.device,
            seg_visitor: 'new',
          });
          expect(Number(row.position)).toBe(item.position);
          expect(Number(row.price_fen)).toBe(p.priceFen);
          expect(Number(row.list_price_fen)).toBe(p.listPriceFen);
          expect(Number(row.clicked)).toBe(clicked.has(item.decisionId) ? 1 : 0);
          expect(row.show_viewer).toMatch(/^[A-Za-z0-9_-]{16}$/);
          // One label for all of a viewer's lists in the show.
          if (!labels.has(v.deviceId)) labels.set(v.deviceId, row.show_viewer!);
          expect(row.show_viewer).toBe(labels.get(v.deviceId));
        }
      }
    }
    // Distinct viewers, distinct labels; no label is the device id or visibly derived from it.
    expect(new Set(labels.values()).size).toBe(viewers.length);
    const region = t.app.services.region;
    for (const [deviceId, label] of labels) {
      const derived = [
        deviceId,
        createHash('sha256').update(deviceId).digest('hex'),
        createHash('sha256').update(deviceId).digest('base64url'),
        createHash('md5').update(deviceId).digest('hex'),
        Buffer.from(deviceId).toString('base64url'),
        Buffer.from(deviceId).toString('hex'),
        t.app.services.protection.subjectFor(deviceId, region),
      ];
      for (const d of derived) {
        expect(d.includes(label), `label ${label} inside something derived from ${deviceId}`).toBe(false);
        expect(label.includes(d.slice(0, 8)), `label ${label} holds part of something derived from ${deviceId}`).toBe(false);
      }
    }
    const stored = JSON.stringify(rows);
    for (const v of viewers) expect(stored.includes(v.deviceId), v.deviceId).toBe(false);
    for (const ua of Object.values(UA)) expect(stored.includes(ua)).toBe(false);
    expect(stored).not.toMatch(/Mozilla|iPhone|Android|Windows NT|AppleWebKit/);
    // Nor do the stored audit and its JSON.
    const audits = await db.selectFrom('fairness_audits').selectAll().execute();
    expect(audits.map((a) => a.id)).toEqual([report.id]);
    const storedAudit = JSON.stringify(audits);
    for (const v of viewers) expect(storedAudit.includes(v.deviceId)).toBe(false);
    for (const label of labels.values()) expect(storedAudit.includes(label)).toBe(false);
  }, 120_000);

  it('lists the audit, reads it as JSON and as a script-free HTML report (also as downloads), and compares two', async () => {
    const notice = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json() as { version: string; hash: string };
    const viewers: Viewer[] = [];
    for (let i = 0; i < 8; i++) viewers.push(await viewer(i, notice));
    const first = await runAudit({ sessionId: 'demo' });
    // More traffic, and a second audit by the session's host.
    for (let i = 8; i < 12; i++) viewers.push(await viewer(i, notice));
    const host = await signIn(t.app, 'host');
    const assigned = await t.app.inject({ method: 'PATCH', url: '/api/v1/sessions/demo', headers: { cookie: admin.cookie }, payload: { hostUserId: host.id } });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const second = await runAudit({ sessionId: 'demo' }, host.cookie);
    expect(second.decisions).toBeGreaterThan(first.decisions);

    // Listed, newest first, with its trend figures; filters work.
    const listed = await listAudits();
    expect(listed.map((a) => a.id)).toEqual([second.id, first.id]);
    expect(listed[1]).toMatchObject({
      id: first.id,
      trigger: 'on_demand',
      brandId: BRAND,
      sessionId: 'demo',
      from: first.scope.from,
      until: first.scope.until,
      createdAt: first.createdAt,
      decisions: first.decisions,
      flagged: first.flags.length,
      headline: { coverage: first.exposure.coverage, exposureGini: first.exposure.exposureGini },
    });
    expect((await listAudits(`brandId=${BRAND}&trigger=on_demand&limit=1`)).map((a) => a.id)).toEqual([second.id]);
    expect(await listAudits('sessionId=elsewhere')).toEqual([]);
    expect(await listAudits('trigger=live')).toEqual([]);
    expect((await listAudits(`before=${second.createdAt}`)).every((a) => a.createdAt < second.createdAt)).toBe(true);

    // JSON, and the same as a download.
    const read = await get(`/api/v1/fairness/audits/${first.id}`);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.headers['content-type']).toContain('application/json');
    expect(read.headers['content-disposition']).toBeUndefined();
    expect(read.json()).toEqual(first);
    const download = await get(`/api/v1/fairness/audits/${first.id}?download=true`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toBe(`attachment; filename="qingliu-fairness-${first.id}.json"`);
    expect(download.json()).toEqual(first);
    expect((await get(`/api/v1/fairness/audits/${first.id}?download=false`)).headers['content-disposition']).toBeUndefined();

    // HTML, in both languages: a document with inline SVG charts and no script, under its own policy.
    for (const locale of ['en', 'zh-CN'] as const) {
      const html = await get(`/api/v1/fairness/audits/${first.id}/report.html?locale=${locale}`);
      expect(html.statusCode, html.body).toBe(200);
      expect(html.headers['content-type']).toContain('text/html');
      expect(html.body.trimStart().toLowerCase().startsWith('<!doctype html>')).toBe(true);
      expect(html.body).toContain('<svg');
      expect(html.body).not.toMatch(/<script/i);
      expect(html.body).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html.body).toContain(first.id);
      const csp = String(html.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('script-src');
      expect(html.headers['content-disposition']).toBeUndefined();
    }
    const zh = await get(`/api/v1/fairness/audits/${first.id}/report.html`);
    expect(zh.body).toMatch(/lang="zh-CN"/);
    const htmlDownload = await get(`/api/v1/fairness/audits/${first.id}/report.html?locale=en&download=true`);
    expect(htmlDownload.statusCode).toBe(200);
    expect(htmlDownload.headers['content-disposition']).toBe(`attachment; filename="qingliu-fairness-${first.id}.html"`);
    expect(htmlDownload.body.toLowerCase()).toContain('<!doctype html>');

    // Side by side: each figure both report, and how it moved.
    const compared = await get(`/api/v1/fairness/compare?a=${first.id}&b=${second.id}`);
    expect(compared.statusCode, compared.body).toBe(200);
    const c = compared.json() as {
      a: AuditSummaryRow;
      b: AuditSummaryRow;
      segments: { attribute: string; group: string; metric: string; a: number | null; b: number | null; change: number | null }[];
      exposure: { metric: string; a: number | null; b: number | null; change: number | null }[];
      flags: { a: unknown[]; b: unknown[] };
    };
    expect(c.a).toMatchObject({ id: first.id, decisions: first.decisions });
    expect(c.b).toMatchObject({ id: second.id, decisions: second.decisions });
    expect(c.exposure.map((e) => e.metric)).toEqual(['gini', 'exposureGini', 'coverage']);
    expect(c.exposure.find((e) => e.metric === 'coverage')).toMatchObject({ a: first.exposure.coverage, b: second.exposure.coverage });
    for (const e of c.exposure) if (e.a !== null && e.b !== null) expect(e.change).toBeCloseTo(e.b - e.a, 12);
    expect(c.segments.length).toBeGreaterThan(0);
    for (const s of c.segments) {
      if (s.a === null || s.b === null) expect(s.change).toBeNull();
      else expect(s.change).toBeCloseTo(s.b - s.a, 12);
    }
    // Impressions are not a compared metric; group rates are (tier1 has 6 viewers here, so suppressed: null).
    expect(c.segments.find((s) => s.attribute === 'cityTier' && s.group === 'tier1' && s.metric === 'ctr')).toMatchObject({ a: null, b: null, change: null });
    expect(c.flags).toEqual({ a: first.flags, b: second.flags });

    // The brand over the last 24 hours (the default window): the same decisions, not one session.
    const brand = await runAudit({ brandId: BRAND });
    expect(brand).toMatchObject({ trigger: 'on_demand', scope: { brandId: BRAND, sessionId: null }, decisions: second.decisions, lists: second.lists });
    expect(brand.scope.until - brand.scope.from).toBe(DAY + 1);
    expect((await listAudits(`brandId=${BRAND}`)).map((a) => a.id)).toEqual([brand.id, second.id, first.id]);
    expect((await listAudits('sessionId=demo')).map((a) => a.id)).toEqual([second.id, first.id]);
  }, 60_000);

  it('refuses the unauthenticated, the wrong role and bad input with stable problem codes, stores nothing, and keeps serving', async () => {
    // Some decisions (anonymous viewers) and one good audit.
    for (let i = 0; i < 3; i++) expect((await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations', headers: { 'user-agent': UA.ios } })).statusCode).toBe(200);
    const good = await runAudit({ sessionId: 'demo' });
    expect(good).toMatchObject({ decisions: 12, lists: 3 });
    const before = await listAudits('limit=500');
    expect(before).toHaveLength(1);
    // A session of the brand without a single decision.
    const other = await post('/api/v1/sessions', { id: 'quiet-room', brandId: BRAND, title: { zh: '安静的直播间', en: 'Quiet room' } }, admin.cookie);
    expect(other.statusCode, other.body).toBe(201);
    const moderator = await signIn(t.app, 'moderator');
    const now = Date.now();

    const cases: [what: string, send: () => Promise<{ statusCode: number; headers: Record<string, unknown>; json(): unknown }>, status: number, code: string][] = [
      ['unauthenticated run', () => post('/api/v1/fairness/audits', { sessionId: 'demo' }, null), 401, 'UNAUTHENTICATED'],
      ['unauthenticated list', () => get('/api/v1/fairness/audits', null), 401, 'UNAUTHENTICATED'],
      ['unauthenticated read', () => get(`/api/v1/fairness/audits/${good.id}`, null), 401, 'UNAUTHENTICATED'],
      ['unauthenticated html', () => get(`/api/v1/fairness/audits/${good.id}/report.html`, null), 401, 'UNAUTHENTICATED'],
      ['unauthenticated compare', () => get(`/api/v1/fairness/compare?a=${good.id}&b=${good.id}`, null), 401, 'UNAUTHENTICATED'],
      ['unauthenticated alerts', () => get('/api/v1/fairness/alerts', null), 401, 'UNAUTHENTICATED'],
      ['unauthenticated acknowledge', () => post('/api/v1/fairness/alerts/alert-000000000000/acknowledge', undefined, null), 401, 'UNAUTHENTICATED'],
      ['moderator run', () => post('/api/v1/fairness/audits', { sessionId: 'demo' }, moderator.cookie), 403, 'FORBIDDEN'],
      ['neither session nor brand', () => post('/api/v1/fairness/audits', {}), 400, 'VALIDATION_FAILED'],
      ['only a window', () => post('/api/v1/fairness/audits', { from: 0, until: now }), 400, 'VALIDATION_FAILED'],
      ['unknown property', () => post('/api/v1/fairness/audits', { sessionId: 'demo', extra: true }), 400, 'VALIDATION_FAILED'],
      ['empty session id', () => post('/api/v1/fairness/audits', { sessionId: '' }), 400, 'VALIDATION_FAILED'],
      ['session id too long', () => post('/api/v1/fairness/audits', { sessionId: 'x'.repeat(65) }), 400, 'VALIDATION_FAILED'],
      ['from not a time', () => post('/api/v1/fairness/audits', { brandId: BRAND, from: 'yesterday' }), 400, 'VALIDATION_FAILED'],
      ['negative from', () => post('/api/v1/fairness/audits', { brandId: BRAND, from: -1 }), 400, 'VALIDATION_FAILED'],
      ['unknown session', () => post('/api/v1/fairness/audits', { sessionId: 'no-such-session' }), 404, 'SESSION_NOT_FOUND'],
      ['session of another brand', () => post('/api/v1/fairness/audits', { sessionId: 'demo', brandId: 'another-brand' }), 400, 'VALIDATION_FAILED'],
      ['from after until', () => post('/api/v1/fairness/audits', { brandId: BRAND, from: now, until: now - MINUTE }), 400, 'VALIDATION_FAILED'],
      ['from equal to until', () => post('/api/v1/fairness/audits', { brandId: BRAND, from: now, until: now }), 400, 'VALIDATION_FAILED'],
      ['window over a year', () => post('/api/v1/fairness/audits', { brandId: BRAND, from: now - 400 * DAY, until: now }), 400, 'VALIDATION_FAILED'],
      ['brand window without decisions', () => post('/api/v1/fairness/audits', { brandId: BRAND, from: now - 30 * DAY, until: now - 29 * DAY }), 422, 'AUDIT_EMPTY'],
      ['unknown brand', () => post('/api/v1/fairness/audits', { brandId: 'no-such-brand' }), 422, 'AUDIT_EMPTY'],
      ['session without decisions', () => post('/api/v1/fairness/audits', { sessionId: 'quiet-room' }), 422, 'AUDIT_EMPTY'],
      ['malformed id', () => get('/api/v1/fairness/audits/audit-XYZ'), 400, 'VALIDATION_FAILED'],
      ['malformed id, html', () => get('/api/v1/fairness/audits/not-an-audit/report.html'), 400, 'VALIDATION_FAILED'],
      ['unknown id', () => get('/api/v1/fairness/audits/audit-000000000000'), 404, 'AUDIT_NOT_FOUND'],
      ['unknown id, download', () => get('/api/v1/fairness/audits/audit-000000000000?download=true'), 404, 'AUDIT_NOT_FOUND'],
      ['unknown id, html', () => get('/api/v1/fairness/audits/audit-000000000000/report.html?locale=en'), 404, 'AUDIT_NOT_FOUND'],
      ['html, unknown locale', () => get(`/api/v1/fairness/audits/${good.id}/report.html?locale=fr`), 400, 'VALIDATION_FAILED'],
      ['read, unknown query', () => get(`/api/v1/fairness/audits/${good.id}?format=csv`), 400, 'VALIDATION_FAILED'],
      ['compare, unknown b', () => get(`/api/v1/fairness/compare?a=${good.id}&b=audit-000000000000`), 404, 'AUDIT_NOT_FOUND'],
      ['compare, unknown a', () => get(`/api/v1/fairness/compare?a=audit-ffffffffffff&b=${good.id}`), 404, 'AUDIT_NOT_FOUND'],
      ['compare, malformed', () => get(`/api/v1/fairness/compare?a=${good.id}&b=nope`), 400, 'VALIDATION_FAILED'],
      ['compare, missing b', () => get(`/api/v1/fairness/compare?a=${good.id}`), 400, 'VALIDATION_FAILED'],
      ['list, unknown trigger', () => get('/api/v1/fairness/audits?trigger=whenever'), 400, 'VALIDATION_FAILED'],
      ['list, limit 0', () => get('/api/v1/fairness/audits?limit=0'), 400, 'VALIDATION_FAILED'],
      ['list, limit 501', () => get('/api/v1/fairness/audits?limit=501'), 400, 'VALIDATION_FAILED'],
      ['list, unknown query', () => get('/api/v1/fairness/audits?order=asc'), 400, 'VALIDATION_FAILED'],
      ['alerts, limit 0', () => get('/api/v1/fairness/alerts?limit=0'), 400, 'VALIDATION_FAILED'],
      ['acknowledge an unknown alert', () => post('/api/v1/fairness/alerts/alert-000000000000/acknowledge'), 404, 'ALERT_NOT_FOUND'],
      ['acknowledge a malformed id', () => post('/api/v1/fairness/alerts/alert-1/acknowledge'), 400, 'VALIDATION_FAILED'],
    ];
    for (const [what, send, status, code] of cases) expectProblem(await send(), status, code, what);

    // The moderator may read (staff), not run.
    expect((await get('/api/v1/fairness/audits', moderator.cookie)).statusCode).toBe(200);
    // Nothing stored by a failed run; the server keeps serving.
    expect(await listAudits('limit=500')).toEqual(before);
    expect(await t.app.services.storage.db.selectFrom('fairness_audits').select('id').execute()).toEqual([{ id: good.id }]);
    const after = await get(`/api/v1/fairness/audits/${good.id}`);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual(good);
    expect((await get('/api/v1/fairness/alerts')).json()).toEqual({ items: [] });
  }, 60_000);

  it('raises a live alert over HTTP when two checks in a row find a tier steered to pricier products; acknowledged once', async () => {
    // The decision log: 41 tier-1 viewers shown the cheaper half of the catalogue, 40 tier-3 viewers
    // the dearer half; three lists of four each, in the first minutes of the show.
    const db = t.app.services.storage.db;
    const products = await db.selectFrom('products').select(['id', 'category', 'price_fen', 'list_price_fen']).where('brand_id', '=', BRAND).orderBy('price_fen').orderBy('id').execute();
    expect(products.length).toBeGreaterThan(16);
    const half = Math.floor(products.length / 2);
    const rows: DecisionRow[] = [];
    let k = 0;
    for (const [tier, viewers] of [
      ['tier1', 41],
      ['tier3_plus', 40],
    ] as const) {
      for (let v = 0; v < viewers; v++) {
        const label = randomBytes(12).toString('base64url');
        for (let l = 0; l < 3; l++) {
          const listId = `live-${tier}-${v}-${l}-0`;
          for (let position = 0; position < 4; position++) {
            const index = (v * 3 + l * 4 + position) % half;
            const p = tier === 'tier1' ? products[index]! : products[products.length - 1 - index]!;
            k++;
            rows.push({
              id: `live-${tier}-${v}-${l}-${position}`,
              session_id: 'demo',
              product_id: p.id,
              position,
              propensity: 1,
              explored: 0,
              personalised: 1,
              model_version: 'test',
              context: '{}',
              region: 'cn-mainland',
              created_at: startedAt + 1_000 + k,
              clicked: k % 7 === 0 ? 1 : 0,
              carted: 0,
              purchased: 0,
              list_id: listId,
              show_viewer: label,
              price_fen: p.price_fen,
              list_price_fen: p.list_price_fen,
              category: p.category,
              seg_city_tier: tier,
            });
          }
        }
      }
    }
    for (let i = 0; i < rows.length; i += 200) await db.insertInto('recommendation_decisions').values(rows.slice(i, i + 200)).execute();

    const alerts = async (query = 'sessionId=demo') => {
      const res = await get(`/api/v1/fairness/alerts?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { items: FairnessAlert[] }).items;
    };
    const every = t.app.services.fairness.options.liveMinutes * MINUTE;
    expect(every).toBe(5 * MINUTE);

    // The first check finds the gap: one check alone raises nothing, and keeps nothing.
    await t.app.services.fairness.tick(startedAt + every);
    expect(await alerts()).toEqual([]);
    expect(await listAudits('trigger=live')).toEqual([]);
    // The second check in a row finds it again: one alert.
    await t.app.services.fairness.tick(startedAt + 2 * every);
    const raised = await alerts();
    expect(raised).toHaveLength(1);
    const [alert] = raised;
    expect(alert!.id).toMatch(/^alert-[0-9a-f]{12}$/);
    expect(alert).toMatchObject({ brandId: BRAND, sessionId: 'demo', createdAt: startedAt + 2 * every, acknowledgedAt: null });
    expect(alert!.flags.length).toBeGreaterThan(0);
    expect(alert!.flags.every((f) => f.kind === 'segment')).toBe(true);
    const steered = alert!.flags.filter((f) => f.dimension === 'cityTier' && f.group === 'tier3_plus');
    expect(steered.map((f) => f.metric)).toEqual(expect.arrayContaining(['premiumRate', 'meanPrice']));
    for (const f of steered) {
      expect(f.reference).toBe('tier1');
      expect(f.pAdjusted).toBeLessThan(0.05);
      expect(f.text.en.length).toBeGreaterThan(0);
      expect(f.text.zh.length).toBeGreaterThan(0);
    }
    expect(await alerts(`brandId=${BRAND}`)).toEqual(raised);
    expect(await alerts('sessionId=elsewhere')).toEqual([]);
    // The audit behind it is kept, and readable.
    const behind = await get(`/api/v1/fairness/audits/${alert!.auditId}`);
    expect(behind.statusCode, behind.body).toBe(200);
    expect(behind.json()).toMatchObject({ trigger: 'live', scope: { brandId: BRAND, sessionId: 'demo', from: startedAt, until: startedAt + 2 * every + 1 }, decisions: rows.length });
    expect((await listAudits('trigger=live')).map((a) => a.id)).toEqual([alert!.auditId]);
    // The next check: the same gaps were alerted already.
    await t.app.services.fairness.tick(startedAt + 3 * every);
    expect(await alerts()).toHaveLength(1);

    // Acknowledged once, by a host; then it is not found.
    const host = await signIn(t.app, 'host');
    const ack = await post(`/api/v1/fairness/alerts/${alert!.id}/acknowledge`, undefined, host.cookie);
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toEqual({ acknowledged: true });
    expectProblem(await post(`/api/v1/fairness/alerts/${alert!.id}/acknowledge`, undefined, host.cookie), 404, 'ALERT_NOT_FOUND', 'acknowledged again');
    const [acknowledged] = await alerts();
    expect(acknowledged!.acknowledgedAt).toEqual(expect.any(Number));
    expect(acknowledged).toMatchObject({ id: alert!.id, flags: alert!.flags });
  }, 60_000);
});
