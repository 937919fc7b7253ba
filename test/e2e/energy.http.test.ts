/**
 * Energy and carbon through the real app: serve recommendations, store a sample, then the report
 * (the JSON fields, recomputing from their own inputs), the session meter, who may see
 * what, bad periods, the Prometheus counters and the trend as CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURPOSES } from '../../src/modules/consent/index.js';
import type { EnergyReport, SessionEnergy, TrendPoint } from '../../src/modules/energy/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';

const BRAND = 'demo-brand';
const PROBLEM = 'application/problem+json';

/** |a − b| ≤ 1e-12 relative (1e-18 absolute near 0). */
function close(actual: number | null | undefined, expected: number, what = ''): void {
  expect(actual, what).toBeTypeOf('number');
  expect(Math.abs((actual as number) - expected), what).toBeLessThanOrEqual(Math.max(1e-18, 1e-12 * Math.abs(expected)));
}

/** Recomputes the report's figures from its own inputs, exactly as its `model.formula` says. */
function expectRecomputes(r: EnergyReport): void {
  const m = r.model;
  const computeItKwh = m.raplJoules !== null ? m.raplJoules / 3.6e6 : (m.vcpuHours * m.minWattsPerVcpu + (r.cpuSeconds / 3600) * (m.maxWattsPerVcpu - m.minWattsPerVcpu)) / 1000;
  const memoryItKwh = m.memoryGbHours * m.memoryKwhPerGbHour;
  const energyKwh = (computeItKwh + memoryItKwh) * r.pue;
  const carbonG = energyKwh * r.gridFactor.value * 1000;
  close(m.computeItKwh, computeItKwh, 'computeItKwh');
  close(m.memoryItKwh, memoryItKwh, 'memoryItKwh');
  close(r.energyKwh, energyKwh, 'energyKwh');
  close(r.carbonG, carbonG, 'carbonG');
  if (r.recommendations > 0) close(r.sciPer1000Recommendations, ((carbonG + (r.embodiedG ?? 0)) * 1000) / r.recommendations, 'sci');
  else expect(r.sciPer1000Recommendations).toBeNull();
  close(
    r.components.reduce((s, c) => s + c.energyKwh, 0),
    r.energyKwh,
    'component lines add up',
  );
}

describe('energy over HTTP', () => {
  let t: TestApp;
  let admin: { cookie: string };
  let compliance: { cookie: string };
  const consenting = 'energy-http-viewer-000001';
  /** Lists served to the demo session before the first stored sample. */
  const SERVED = 5;

  const get = (url: string, cookie?: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { ...(cookie ? { cookie } : {}), ...headers } });
  const recommend = async (deviceId?: string) => {
    const res = await get('/api/v1/sessions/demo/recommendations', undefined, deviceId ? { 'x-qingliu-device': deviceId } : {});
    expect(res.statusCode, res.body).toBe(200);
  };
  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string, what: string) => {
    expect(res.statusCode, what).toBe(status);
    expect(String(res.headers['content-type']), what).toContain(PROBLEM);
    expect((res.json() as { code: string }).code, what).toBe(code);
  };

  beforeAll(async () => {
    // RAPL off: the method is the model on any machine, so the figures below are deterministic in kind.
    t = await testApp('sqlite', { env: { QINGLIU_ENERGY_RAPL: 'off', QINGLIU_ENERGY_VCPUS: '2', QINGLIU_ENERGY_SAMPLE_SECONDS: '3600' } });
    admin = await signIn(t.app, 'admin');
    compliance = await signIn(t.app, 'compliance');
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    expect(started.statusCode, started.body).toBe(200);
    const notice = (await get(`/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN`)).json();
    const decided = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId: consenting, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] },
    });
    expect(decided.statusCode, decided.body).toBe(201);
    // Personalised and non-personalised lists, anonymous ones too.
    await recommend(consenting);
    await recommend(consenting);
    await recommend();
    await recommend('energy-http-undecided-0001');
    await recommend(consenting);
    await t.app.services.energy.sample();
  });
  afterAll(async () => t?.close());

  it('reports the issue’s JSON fields, and they recompute from the report’s own inputs', async () => {
    const res = await get('/api/v1/energy/report', compliance.cookie);
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json() as EnergyReport;
    for (const key of ['method', 'cpuSeconds', 'energyKwh', 'region', 'gridFactor', 'pue', 'carbonG', 'recommendations', 'sciPer1000Recommendations'] as const) expect(r, key).toHaveProperty(key);
    expect(Object.keys(r.gridFactor)).toEqual(expect.arrayContaining(['value', 'year', 'source']));
    expect(r).toMatchObject({ method: 'ccf-utilisation', region: 'cn-national', pue: 1.3, recommendations: SERVED, samples: 1 });
    expect(r.gridFactor).toMatchObject({ id: 'cn-national', value: 0.5306, year: 2023 });
    expect(r.gridFactor.source).toMatch(/MEE\/NBS/);
    expect(r.cpuSeconds).toBeGreaterThan(0);
    expect(r.energyKwh).toBeGreaterThan(0);
    expect(r.model.vcpuHours).toBeGreaterThan(0);
    expectRecomputes(r);
    // Recommending was metered as such, and it is a line of its own.
    const recommendLine = r.components.find((c) => c.component === 'recommend')!;
    expect(recommendLine.count).toBe(SERVED);
    expect(recommendLine.cpuSeconds).toBeGreaterThan(0);
    expect(r.notes).toContain('RAPL counters are not read (QINGLIU_ENERGY_RAPL=off).');
    // The session is live: the report divides by live-session hours too.
    expect(r.liveSessionHours).toBeGreaterThan(0);
    close(r.sciPerLiveSessionHour, r.carbonG / r.liveSessionHours);
    // A download names its file.
    const download = await get('/api/v1/energy/report?download=true', compliance.cookie);
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="qingliu-energy-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.json"$/);
    // An explicit period before the app ran: empty, and it says so.
    const old = (await get('/api/v1/energy/report?since=2020-01-01T00:00:00Z&until=2020-02-01T00:00:00Z', compliance.cookie)).json() as EnergyReport;
    expect(old).toMatchObject({ samples: 0, energyKwh: 0, recommendations: 0, sciPer1000Recommendations: null, since: '2020-01-01T00:00:00.000Z', until: '2020-02-01T00:00:00.000Z' });
  });

  it('the session meter counts the recommendations served in that session, stored and current', async () => {
    const res = await get('/api/v1/sessions/demo/energy', admin.cookie);
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json() as SessionEnergy;
    expect(s).toMatchObject({ sessionId: 'demo', live: true, recommendations: SERVED, method: 'ccf-utilisation', region: { id: 'cn-national' }, pue: 1.3 });
    expect(s.energyKwh).toBeGreaterThan(0);
    close(s.energyWh, s.energyKwh * 1000);
    close(s.carbonG, s.energyKwh * 0.5306 * 1000);
    close(s.gPer1000Recommendations, (s.carbonG * 1000) / SERVED);
    // The session's share of a sample is at most the whole sample.
    const report = (await get('/api/v1/energy/report', compliance.cookie)).json() as EnergyReport;
    expect(s.energyKwh).toBeLessThanOrEqual(report.energyKwh);
    // Two more lists, not yet stored: they count at once.
    await recommend(consenting);
    await recommend();
    const now = (await get('/api/v1/sessions/demo/energy', admin.cookie)).json() as SessionEnergy;
    expect(now.recommendations).toBe(SERVED + 2);
    expect(now.energyKwh).toBeGreaterThan(s.energyKwh);
    // A session that does not exist.
    expectProblem(await get('/api/v1/sessions/no-such-show/energy', admin.cookie), 404, 'SESSION_NOT_FOUND', 'unknown session');
  });

  it('lets the session’s host, compliance and admins see its meter; nobody else', async () => {
    expectProblem(await get('/api/v1/sessions/demo/energy'), 401, 'UNAUTHENTICATED', 'anonymous');
    // A viewer is known by a device id only: no staff sign-in, so the same refusal.
    expectProblem(await get('/api/v1/sessions/demo/energy', undefined, { 'x-qingliu-device': consenting }), 401, 'UNAUTHENTICATED', 'viewer');
    const moderator = await signIn(t.app, 'moderator');
    expectProblem(await get('/api/v1/sessions/demo/energy', moderator.cookie), 403, 'FORBIDDEN', 'moderator');
    const otherHost = await signIn(t.app, 'host');
    expectProblem(await get('/api/v1/sessions/demo/energy', otherHost.cookie), 403, 'FORBIDDEN', 'host of another session');
    expect((await get('/api/v1/sessions/demo/energy', compliance.cookie)).statusCode).toBe(200);
    const host = await signIn(t.app, 'host');
    const assigned = await t.app.inject({ method: 'PATCH', url: '/api/v1/sessions/demo', headers: { cookie: admin.cookie }, payload: { hostUserId: host.id } });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const own = await get('/api/v1/sessions/demo/energy', host.cookie);
    expect(own.statusCode, own.body).toBe(200);
    expect((own.json() as SessionEnergy).sessionId).toBe('demo');
    // The report, trend and region advice are for compliance officers and administrators only.
    for (const url of ['/api/v1/energy/report', '/api/v1/energy/trend', '/api/v1/energy/trend.csv', '/api/v1/energy/regions']) {
      expectProblem(await get(url), 401, 'UNAUTHENTICATED', `anonymous ${url}`);
      expectProblem(await get(url, host.cookie), 403, 'FORBIDDEN', `host ${url}`);
      expectProblem(await get(url, moderator.cookie), 403, 'FORBIDDEN', `moderator ${url}`);
      expect((await get(url, compliance.cookie)).statusCode, `compliance ${url}`).toBe(200);
      expect((await get(url, admin.cookie)).statusCode, `admin ${url}`).toBe(200);
    }
  });

  it('refuses bad periods with a problem (VALIDATION_FAILED)', async () => {
    const bad = [
      'since=yesterday',
      'until=tomorrow',
      'since=2026-02-30garbage',
      'since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z', // since after until
      'since=2026-11-01T00:00:00Z&until=2026-11-01T00:00:00Z', // empty
      'since=2020-01-01T00:00:00Z&until=2023-06-01T00:00:00Z', // more than 3 years
      'since=-5',
    ];
    for (const q of bad) {
      for (const path of ['/api/v1/energy/report', '/api/v1/energy/trend', '/api/v1/energy/trend.csv', '/api/v1/energy/regions']) {
        expectProblem(await get(`${path}?${q}`, compliance.cookie), 400, 'VALIDATION_FAILED', `${path}?${q}`);
      }
    }
    // Hourly trends are capped at 93 days; daily ones are not.
    expectProblem(await get('/api/v1/energy/trend?bucket=hour&since=2025-01-01T00:00:00Z&until=2025-06-01T00:00:00Z', compliance.cookie), 400, 'VALIDATION_FAILED', 'hourly > 93 days');
    expect((await get('/api/v1/energy/trend?bucket=day&since=2025-01-01T00:00:00Z&until=2025-06-01T00:00:00Z', compliance.cookie)).statusCode).toBe(200);
    expectProblem(await get('/api/v1/energy/trend?bucket=week', compliance.cookie), 400, 'VALIDATION_FAILED', 'unknown bucket');
    // Epoch milliseconds are accepted.
    const ms = await get(`/api/v1/energy/report?since=0&until=${Date.now() + 60_000}`, compliance.cookie);
    expectProblem(ms, 400, 'VALIDATION_FAILED', 'since 1970: more than 3 years');
    const recent = await get(`/api/v1/energy/report?since=${Date.now() - 86_400_000}&until=${Date.now() + 60_000}`, compliance.cookie);
    expect(recent.statusCode, recent.body).toBe(200);
    expect((recent.json() as EnergyReport).samples).toBeGreaterThanOrEqual(1);
  });

  it('refuses impossible calendar dates instead of rolling them over (2026-02-30 is not 2 March)', async () => {
    // Date.parse('2026-02-30') gives 2 March in V8; parseTime (routes.ts) takes that as given.
    for (const q of ['since=2026-02-30&until=2026-03-05', 'since=2026-01-01&until=2026-04-31']) {
      expectProblem(await get(`/api/v1/energy/report?${q}`, compliance.cookie), 400, 'VALIDATION_FAILED', q);
    }
  });

  it('publishes the energy counters, the SCI gauge and the grid factor (with region and year) on /metrics', async () => {
    const body = (await get('/metrics')).body;
    const report = (await get('/api/v1/energy/report', compliance.cookie)).json() as EnergyReport;
    const value = (pattern: RegExp) => {
      const m = pattern.exec(body);
      expect(m, String(pattern)).not.toBeNull();
      return Number(m![1]);
    };
    expect(body).toMatch(/^qingliu_energy_kwh_total\{component="recommend",method="ccf-utilisation"\} [\d.e+-]+$/m);
    expect(body).toMatch(/^qingliu_energy_kwh_total\{component="memory",method="ccf-utilisation"\} [\d.e+-]+$/m);
    expect(value(/^qingliu_energy_grid_factor_kg_per_kwh\{region="cn-national",factor="cn-national",year="2023"\} ([\d.e+-]+)$/m)).toBe(0.5306);
    expect(value(/^qingliu_energy_pue ([\d.e+-]+)$/m)).toBe(1.3);
    // Samples stored so far: the counters add them up, so they match the report over the same samples.
    const carbon = value(/^qingliu_carbon_grams_total ([\d.e+-]+)$/m);
    const kwh = [...body.matchAll(/^qingliu_energy_kwh_total\{[^}]*\} ([\d.e+-]+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
    expect(Math.abs(carbon - report.carbonG)).toBeLessThanOrEqual(1e-9 * report.carbonG);
    expect(Math.abs(kwh - report.energyKwh)).toBeLessThanOrEqual(1e-9 * report.energyKwh);
    expect(value(/^qingliu_energy_recommendations_total ([\d.e+-]+)$/m)).toBe(report.recommendations);
    const sci = value(/^qingliu_sci_grams_per_1000_recommendations ([\d.e+-]+)$/m);
    expect(report.samples).toBe(1);
    expect(Math.abs(sci - report.sciPer1000Recommendations!)).toBeLessThanOrEqual(1e-9 * report.sciPer1000Recommendations!);
  });

  it('gives the trend as JSON and as CSV: a header row and one line per bucket', async () => {
    for (const bucket of ['day', 'hour'] as const) {
      const json = await get(`/api/v1/energy/trend?bucket=${bucket}`, compliance.cookie);
      expect(json.statusCode, json.body).toBe(200);
      const trend = json.json() as { bucket: string; points: TrendPoint[] };
      expect(trend.bucket).toBe(bucket);
      expect(trend.points.length).toBeGreaterThanOrEqual(1);
      const csv = await get(`/api/v1/energy/trend.csv?bucket=${bucket}`, compliance.cookie);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="qingliu-energy-trend-${bucket}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
      const lines = csv.body.trimEnd().split('\n');
      expect(lines[0]).toBe('start,cpu_seconds,energy_kwh,carbon_g,recommendations,g_per_1000_recommendations,method');
      expect(lines).toHaveLength(1 + trend.points.length);
      for (const [i, p] of trend.points.entries()) {
        const cells = lines[i + 1]!.split(',');
        expect(cells).toHaveLength(7);
        expect(cells[0]).toBe(p.start);
        expect(Number(cells[2])).toBe(p.energyKwh);
        expect(Number(cells[4])).toBe(p.recommendations);
        expect(cells[6]).toBe(p.method);
      }
      // The buckets add up to the report over the same period.
      const report = (await get('/api/v1/energy/report', compliance.cookie)).json() as EnergyReport;
      expect(trend.points.reduce((s, p) => s + p.recommendations, 0)).toBe(report.recommendations);
    }
  });

  it('gives the region advice for the measured workload, each site with its factor’s year and source', async () => {
    const res = await get('/api/v1/energy/regions', compliance.cookie);
    expect(res.statusCode, res.body).toBe(200);
    const advice = res.json() as { workload: { kwhPer1000: number | null; recommendations: number }; current: string; ranking: { id: string; current: boolean; factorYear: number; factorSource: string; gPer1000: number | null }[] };
    expect(advice.current).toBe('cn-national');
    expect(advice.workload.kwhPer1000).toBeGreaterThan(0);
    expect(advice.ranking[0]!.id).toBe('chengdu');
    for (const [i, r] of advice.ranking.entries()) {
      expect(r.factorSource).toMatch(/MEE\/NBS/);
      expect([2022, 2023]).toContain(r.factorYear);
      if (i > 0) expect(r.gPer1000!).toBeGreaterThanOrEqual(advice.ranking[i - 1]!.gPer1000!);
    }
    expect(advice.ranking.filter((r) => r.current).map((r) => r.id)).toEqual(['cn-national']);
  });
});
