/**
 * EnergyService on a real (in-memory SQLite) store and a meter on a fake clock: what sample()
 * stores, that the report recomputes from its own inputs exactly as its formula says, a session's
 * share, the trend's buckets, the RAPL path on a fake powercap tree, and the region advice.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStorage, type TestStorage } from '../../../test/support/databases.js';
import { account, emptyTotals, METHOD_MODEL, METHOD_RAPL, type SampleTotals } from './accounting.js';
import { DATA_CENTRE_HUBS, gridFactor } from './carbon.js';
import { EnergyMeter, type MeterClock } from './meter.js';
import { RaplMeter } from './rapl.js';
import { KyselyEnergyStore } from './adapters/energy.kysely.js';
import { EnergyService, type EnergyReport, type EnergySettings } from './service.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2025-01-06 23:30 in China (15:30 UTC): half an hour before a China day boundary. */
const T0 = Date.UTC(2025, 0, 6, 15, 30);

/** A meter clock the test drives: work(µs) is synchronous CPU work, idle(ms) lets wall time pass. */
function fakeClock(wallStart: number) {
  let cpu = 7_000;
  let mono = 1_000_000;
  let wall = wallStart;
  let rss = 500e6;
  const clock: MeterClock & { work(micros: number): void; idle(ms: number): void; setRss(bytes: number): void } = {
    cpuMicros: () => cpu,
    spanMicros: () => mono,
    now: () => wall,
    rssBytes: () => rss,
    work(micros) {
      cpu += micros;
      mono += micros;
      wall += micros / 1000;
    },
    idle(ms) {
      wall += ms;
    },
    setRss(bytes) {
      rss = bytes;
    },
  };
  return clock;
}

function settingsOf(over: Partial<EnergySettings> = {}): EnergySettings {
  const factor = gridFactor('cn-national');
  return {
    meter: true,
    sampleSeconds: 60,
    region: { id: 'cn-national', name: factor.name, kind: 'grid' },
    factor,
    pue: 1.3,
    pueSource: 'test',
    power: { minWattsPerVcpu: 0.74, maxWattsPerVcpu: 3.5, source: 'CCF Alibaba averages' },
    vcpus: 2,
    rapl: 'auto',
    powercapRoot: '/nonexistent',
    embodied: null,
    ...over,
  };
}

/** |a − b| ≤ 1e-12 relative (1e-18 absolute near 0). */
function close(actual: number | null | undefined, expected: number): void {
  expect(actual).toBeTypeOf('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.max(1e-18, 1e-12 * Math.abs(expected)));
}

/** The report's figures recomputed from its own inputs, exactly as `model.formula` says. */
function recompute(r: EnergyReport) {
  const m = r.model;
  const computeItKwh = m.raplJoules !== null ? m.raplJoules / 3.6e6 : (m.vcpuHours * m.minWattsPerVcpu + (r.cpuSeconds / 3600) * (m.maxWattsPerVcpu - m.minWattsPerVcpu)) / 1000;
  const memoryItKwh = m.memoryGbHours * m.memoryKwhPerGbHour;
  const energyKwh = (computeItKwh + memoryItKwh) * r.pue;
  const carbonG = energyKwh * r.gridFactor.value * 1000;
  const sci = r.recommendations > 0 ? ((carbonG + (r.embodiedG ?? 0)) * 1000) / r.recommendations : null;
  return { computeItKwh, memoryItKwh, energyKwh, carbonG, sci };
}

function expectRecomputes(r: EnergyReport): void {
  const x = recompute(r);
  expect(r.model.formula).toContain('energyKwh = (computeItKwh + memoryItKwh) × pue');
  expect(r.model.formula).toContain('carbonG = energyKwh × gridFactor.value × 1000');
  expect(r.model.formula).toContain('sciPer1000Recommendations = (carbonG + embodiedG) × 1000 / recommendations');
  close(r.model.computeItKwh, x.computeItKwh);
  close(r.model.memoryItKwh, x.memoryItKwh);
  close(r.energyKwh, x.energyKwh);
  close(r.carbonG, x.carbonG);
  if (x.sci === null) expect(r.sciPer1000Recommendations).toBeNull();
  else close(r.sciPer1000Recommendations, x.sci);
  close(
    r.components.reduce((s, c) => s + c.energyKwh, 0),
    r.energyKwh,
  );
}

/** Energy (kWh) of one period by the model, by hand: vCPU-h × min + CPU-h × (max − min), memory, PUE. */
function handEnergy(p: { wallS: number; vcpus: number; cpuS: number; gbHours: number }, s = settingsOf()): number {
  const it = ((p.wallS * p.vcpus) / 3600) * s.power.minWattsPerVcpu + (p.cpuS / 3600) * (s.power.maxWattsPerVcpu - s.power.minWattsPerVcpu);
  return (it / 1000 + p.gbHours * 0.000392) * s.pue;
}

let t: TestStorage;
let store: KyselyEnergyStore;
let errors: unknown[];

beforeEach(async () => {
  t = await freshStorage('sqlite');
  store = new KyselyEnergyStore(t.storage.db);
  errors = [];
});
afterEach(async () => {
  expect(errors).toEqual([]);
  await t.dispose();
});

function build(over: { settings?: Partial<EnergySettings>; wallStart?: number; rapl?: RaplMeter; machineBusy?: () => number } = {}) {
  const clock = fakeClock(over.wallStart ?? T0);
  const meter = new EnergyMeter({ clock });
  const service = new EnergyService({
    store,
    meter,
    settings: settingsOf(over.settings),
    clock: { now: () => clock.now() },
    node: 'node-a',
    ...(over.rapl ? { rapl: over.rapl } : {}),
    ...(over.machineBusy ? { machineBusy: over.machineBusy } : {}),
    onError: (err) => errors.push(err),
  });
  return { clock, meter, service };
}

/**
 * One 60-second period: show-a's recommend spans 300 ms (3 lists), show-b's 100 ms (1 list),
 * unsessioned learning 50 ms, 50 ms outside every span; 500 MB resident.
 */
function onePeriod(clock: ReturnType<typeof fakeClock>, meter: EnergyMeter): void {
  meter.span('recommend', () => clock.work(300_000), 'show-a');
  meter.count('recommend', 3, 'show-a');
  meter.span('recommend', () => clock.work(100_000), 'show-b');
  meter.count('recommend', 1, 'show-b');
  meter.span('learn', () => clock.work(50_000));
  meter.count('learn', 2);
  clock.work(50_000);
  clock.idle(59_500);
}
const PERIOD = { wallS: 60, vcpus: 2, cpuS: 0.5, gbHours: (500e6 / 1e9) * (60 / 3600) };

async function allSamples() {
  return t.storage.db.selectFrom('energy_samples').selectAll().orderBy('started_at').execute();
}

describe('EnergyService.sample()', () => {
  it('stores what the meter read (raw inputs, per component and session) and starts a new period', async () => {
    const { clock, meter, service } = build();
    onePeriod(clock, meter);
    const before = meter.read();
    await service.sample();
    const [row, ...rest] = await allSamples();
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      node: 'node-a',
      started_at: T0,
      ended_at: T0 + 60_000,
      wall_ms: 60_000,
      vcpus: 2,
      process_cpu_us: 500_000,
      other_us: 50_000,
      span_scale: 1,
      recommend_us: 400_000,
      recommend_n: 4,
      learn_us: 50_000,
      learn_n: 2,
      audits_us: 0,
      serving_us: 0,
      storage_us: 0,
      rapl_joules: null,
    });
    expect(row!.memory_gb_hours).toBeCloseTo(PERIOD.gbHours, 15);
    expect(before.processCpuMicros).toBe(500_000);
    // A new period began where the stored one ended.
    const next = meter.read();
    expect(next).toMatchObject({ startedAt: T0 + 60_000, wallMs: 0, processCpuMicros: 0, counts: { recommend: 0, learn: 0 } });
    expect(next.sessions.size).toBe(0);
    // Each session's share is stored beside the sample: its span time over all span time.
    const shares = await t.storage.db.selectFrom('energy_session_samples').selectAll().orderBy('session_id').execute();
    expect(shares.map((s) => [s.session_id, s.span_us, s.sample_span_us, s.recommendations, s.started_at])).toEqual([
      ['show-a', 300_000, 450_000, 3, T0],
      ['show-b', 100_000, 450_000, 1, T0],
    ]);
    // Nothing happened since: a zero-length period is not stored.
    await service.sample();
    expect(await allSamples()).toHaveLength(1);
    expect(service.lastAccounting?.energyKwh).toBeCloseTo(handEnergy(PERIOD), 15);
  });

  it('reports each stored sample once to onSample, with its accounting', async () => {
    const seen: { id: string; energy: number }[] = [];
    const clock = fakeClock(T0);
    const meter = new EnergyMeter({ clock });
    const service = new EnergyService({ store, meter, settings: settingsOf(), clock, onSample: (s, a) => seen.push({ id: s.id, energy: a.energyKwh }), onError: (e) => errors.push(e) });
    onePeriod(clock, meter);
    await Promise.all([service.sample(), service.sample()]); // serialised: the second finds an empty period
    expect(seen).toHaveLength(1);
    close(seen[0]!.energy, handEnergy(PERIOD));
    expect((await allSamples()).map((r) => r.id)).toEqual([seen[0]!.id]);
  });
});

describe('EnergyService.report()', () => {
  it('gives figures that recompute from the report’s own inputs, as model.formula says, over several samples', async () => {
    const { clock, meter, service } = build();
    onePeriod(clock, meter);
    await service.sample();
    // A busier second period with more memory.
    clock.setRss(1.5e9);
    meter.span('audits', () => clock.work(2_000_000));
    meter.count('audits');
    meter.span('recommend', () => clock.work(700_000), 'show-a');
    meter.count('recommend', 9, 'show-a');
    clock.idle(117_300);
    await service.sample();
    const r = await service.report(T0, T0 + DAY);
    expect(r).toMatchObject({ samples: 2, method: METHOD_MODEL, region: 'cn-national', pue: 1.3, recommendations: 13 });
    expect(r.gridFactor).toMatchObject({ id: 'cn-national', value: 0.5306, year: 2023 });
    expect(r.gridFactor.source).toMatch(/MEE/);
    close(r.cpuSeconds, 0.5 + 2.7);
    close(r.model.vcpuHours, ((60 + 120) * 2) / 3600);
    // Memory: 500 MB for a minute, then (0.5 + 1.5)/2 GB for two.
    close(r.model.memoryGbHours, PERIOD.gbHours + 1 * (120 / 3600));
    expectRecomputes(r);
    // And the same figures by hand, from what the meter was made to do.
    close(r.energyKwh, handEnergy(PERIOD) + handEnergy({ wallS: 120, vcpus: 2, cpuS: 2.7, gbHours: 120 / 3600 }));
    expect(r.embodiedG).toBeNull();
    expect(r.notes.some((n) => /Embodied emissions \(SCI M\) are left out/.test(n))).toBe(true);
    expect(r.notes.some((n) => /Estimated by a model/.test(n))).toBe(true);
    expect(r.notes.some((n) => /offsets never reduce/.test(n))).toBe(true);
    // The same notes as codes, one for one, for the pages to translate.
    expect(r.noteCodes.map((n) => n.code)).toEqual(['location-based', 'model-estimate', 'rapl-unreadable', 'embodied-left-out', 'storage-scope']);
    expect(r.noteCodes).toHaveLength(r.notes.length);
    // The component lines: recommend 1.1 s, audits 2 s, learn 0.05 s, other 0.05 s, and memory.
    const line = (c: string) => r.components.find((x) => x.component === c)!;
    close(line('audits').cpuSeconds, 2);
    expect(line('audits').count).toBe(1);
    close(line('recommend').energyKwh / line('audits').energyKwh, 1.1 / 2);
    // Outside the period: nothing, and it says so.
    const empty = await service.report(T0 - 2 * DAY, T0);
    expect(empty).toMatchObject({ samples: 0, energyKwh: 0, carbonG: 0, recommendations: 0, sciPer1000Recommendations: null });
    expect(empty.notes.some((n) => /No samples in this period/.test(n))).toBe(true);
    expect(empty.noteCodes[1]).toEqual({ code: 'no-samples', values: {} });
  });

  it('includes SCI’s M from the settings, and SCI per live-session hour from the live sessions', async () => {
    const embodied = { totalKg: 1200, lifespanYears: 4, hostVcpus: 8 };
    const { clock, meter, service } = build({ settings: { embodied } });
    onePeriod(clock, meter);
    await service.sample();
    const db = t.storage.db;
    await db.insertInto('brands').values({ id: 'b1', name_zh: '品', name_en: 'B', operator_zh: '运', operator_en: 'O', contact_email: 'a@example.com', contact_phone: '400', merchant_licence: 'L', created_at: 1 }).execute();
    // Live from 15 minutes before the report period to 30 minutes into it: half an hour counts.
    await db
      .insertInto('live_sessions')
      .values({ id: 'show-a', brand_id: 'b1', title_zh: '直播', title_en: 'Live', status: 'ended', scheduled_at: T0, started_at: T0 - 15 * 60_000, ended_at: T0 + 30 * 60_000, created_at: 1, version: 0 })
      .execute();
    const r = await service.report(T0, T0 + DAY);
    // M = TE × (TiR ÷ EL) × (RR ÷ ToR): 1,200 kg × (1 min ÷ 4 years) × (2 ÷ 8 vCPUs).
    close(r.embodiedG, (1200 * 1000 * (60 / 3600 / (4 * 365 * 24)) * 2) / 8);
    expectRecomputes(r);
    expect(r.liveSessionHours).toBe(0.5);
    close(r.sciPerLiveSessionHour, (r.carbonG + r.embodiedG!) / 0.5);
    expect(r.notes.some((n) => /Embodied emissions/.test(n))).toBe(false);
  });

  it('says when RAPL covered only some samples, and then uses the model for all', async () => {
    const { clock, meter, service } = build();
    onePeriod(clock, meter);
    await service.sample();
    // A second node's sample with RAPL, appended straight to the store.
    await store.append(
      {
        id: 'other-node-1',
        node: 'node-b',
        startedAt: T0 + HOUR,
        endedAt: T0 + HOUR + 60_000,
        wallMs: 60_000,
        vcpus: 2,
        processCpuMicros: 1_000_000,
        componentMicros: { recommend: 0, learn: 0, audits: 0, assistant: 0, serving: 0, storage: 0 },
        otherMicros: 1_000_000,
        spanScale: 1,
        memoryGbHours: 0.01,
        raplJoules: 50,
        raplNote: null,
        counts: { recommend: 0, learn: 0, audits: 0, assistant: 0, serving: 0, storage: 0 },
      },
      [],
    );
    const r = await service.report(T0, T0 + DAY);
    expect(r.method).toBe(METHOD_MODEL);
    expect(r.model.raplJoules).toBeNull();
    expect(r.notes).toContain('RAPL was readable for 1 of 2 samples; the model is used for all of them so the period is measured one way.');
    expect(r.noteCodes).toContainEqual({ code: 'rapl-partial', values: { readable: 1, samples: 2 } });
    expectRecomputes(r);
  });
});

describe('EnergyService.session()', () => {
  it('gives each session its share of each sample by span time (3:1 span time → 3:1 energy), the current unstored period included', async () => {
    const { clock, meter, service } = build();
    onePeriod(clock, meter);
    await service.sample();
    const window = { startedAt: T0, endedAt: null, live: true };
    const e1 = handEnergy(PERIOD);
    const a = await service.session('show-a', window);
    const b = await service.session('show-b', window);
    close(a.energyKwh, (e1 * 300) / 450);
    close(b.energyKwh, (e1 * 100) / 450);
    close(a.energyKwh / b.energyKwh, 3);
    close(a.cpuSeconds, (0.5 * 300) / 450);
    expect(a).toMatchObject({ sessionId: 'show-a', live: true, since: T0, at: T0 + 60_000, method: METHOD_MODEL, recommendations: 3, pue: 1.3, region: { id: 'cn-national' } });
    expect(b.recommendations).toBe(1);
    close(a.energyWh, a.energyKwh * 1000);
    close(a.carbonG, a.energyKwh * 0.5306 * 1000);
    close(a.whPer1000Recommendations, (a.energyKwh * 1e6) / 3);
    close(a.gPer1000Recommendations, (a.carbonG * 1000) / 3);
    close(a.sessionHours, 1 / 60);
    close(a.gPerSessionHour, a.carbonG * 60);

    // Work in the current, not yet stored period counts at once: 60 ms for a, 20 ms for b, 10 s.
    meter.span('recommend', () => clock.work(60_000), 'show-a');
    meter.count('recommend', 2, 'show-a');
    meter.span('recommend', () => clock.work(20_000), 'show-b');
    clock.idle(9_920);
    const e2 = handEnergy({ wallS: 10, vcpus: 2, cpuS: 0.08, gbHours: (500e6 / 1e9) * (10 / 3600) });
    const a2 = await service.session('show-a', window);
    const b2 = await service.session('show-b', window);
    close(a2.energyKwh, (e1 * 300) / 450 + (e2 * 60) / 80);
    close(b2.energyKwh, (e1 * 100) / 450 + (e2 * 20) / 80);
    expect(a2.recommendations).toBe(5);
    // Storing the period changes nothing in the session's figures.
    await service.sample();
    close((await service.session('show-a', window)).energyKwh, a2.energyKwh);
    // A session with no work: nothing, and no division by zero.
    const none = await service.session('show-z', { startedAt: null, endedAt: null, live: false });
    expect(none).toMatchObject({ energyKwh: 0, carbonG: 0, recommendations: 0, whPer1000Recommendations: null, gPer1000Recommendations: null, sessionHours: 0, gPerSessionHour: null });
  });

  it('counts live hours from go-live only: a room with work before it has energy but no live time', async () => {
    const { clock, meter, service } = build();
    onePeriod(clock, meter);
    await service.sample();
    // Not live yet (scheduled): show-a has had visitors and lists, so energy, but no live hour.
    const before = await service.session('show-a', { startedAt: null, endedAt: null, live: false });
    expect(before.energyKwh).toBeGreaterThan(0);
    expect(before.recommendations).toBe(3);
    expect(before).toMatchObject({ sessionHours: 0, gPerSessionHour: null });
    // Live from 15 minutes after its first work, looked at 30 minutes later: 30 minutes, not 45.
    const goLive = T0 + 15 * 60_000;
    clock.idle(goLive + 30 * 60_000 - clock.now());
    const live = await service.session('show-a', { startedAt: goLive, endedAt: null, live: true });
    close(live.sessionHours, 0.5);
    // Its only work so far came before go-live: in the totals, not in the figure per live hour.
    close(live.carbonG, before.carbonG);
    expect(live.gPerSessionHour).toBe(0);
    // A period of work while live counts per live hour; the work before go-live still does not.
    // (Samples close periods; the idle one up to now first, so the next holds only live work.
    // A period across go-live counts in proportion to its time after go-live.)
    await service.sample();
    onePeriod(clock, meter);
    await service.sample();
    const later = await service.session('show-a', { startedAt: goLive, endedAt: null, live: true });
    const hours = (clock.now() - goLive) / 3_600_000;
    close(later.sessionHours, hours);
    expect(later.carbonG).toBeGreaterThan(before.carbonG);
    close(later.gPerSessionHour, (later.carbonG - before.carbonG) / hours);
    // The meter says what its figures count: from the first work, before go-live.
    expect(live.since).toBe(T0);
    // Ended: the hours stop at the end.
    const ended = await service.session('show-a', { startedAt: goLive, endedAt: goLive + 10 * 60_000, live: false });
    close(ended.sessionHours, 10 / 60);
    // Live for the second half of the first (60 s) period only: half its energy, over half a minute.
    const half = await service.session('show-a', { startedAt: T0 + 30_000, endedAt: T0 + 60_000, live: false });
    close(half.sessionHours, 30 / 3600);
    close(half.gPerSessionHour, (0.5 * before.carbonG) / (30 / 3600));
  });

  it('leaves out the current period when the meter is off in the settings', async () => {
    const { clock, meter, service } = build({ settings: { meter: false } });
    meter.span('recommend', () => clock.work(60_000), 'show-a');
    clock.idle(1000);
    expect((await service.session('show-a', { startedAt: T0, endedAt: T0 + HOUR, live: false })).energyKwh).toBe(0);
  });
});

describe('EnergyService.trend()', () => {
  /** Three 20-minute samples starting 23:30, 23:50 and 00:10 China time (15:30, 15:50, 16:10 UTC). */
  async function threeSamples() {
    const { clock, meter, service } = build();
    const totals: SampleTotals[] = [];
    for (const [i, recs] of [2, 3, 5].entries()) {
      meter.span('recommend', () => clock.work(100_000 * (i + 1)));
      meter.count('recommend', recs);
      clock.idle(20 * 60_000 - 100 * (i + 1));
      const r = meter.read();
      const t0 = emptyTotals();
      t0.samples = 1;
      t0.wallSeconds = r.wallMs / 1000;
      t0.vcpuSeconds = (r.wallMs / 1000) * 2;
      t0.cpuSeconds = r.processCpuMicros / 1e6;
      t0.memoryGbHours = (500e6 / 1e9) * (r.wallMs / HOUR);
      t0.componentSeconds.recommend = r.components.recommend / 1e6;
      t0.counts.recommend = recs;
      totals.push(t0);
      await service.sample();
    }
    const sum = (xs: SampleTotals[]) => xs.reduce((a, b) => ({ ...a, samples: a.samples + b.samples, wallSeconds: a.wallSeconds + b.wallSeconds, vcpuSeconds: a.vcpuSeconds + b.vcpuSeconds, cpuSeconds: a.cpuSeconds + b.cpuSeconds, memoryGbHours: a.memoryGbHours + b.memoryGbHours, counts: { ...a.counts, recommend: a.counts.recommend + b.counts.recommend } }));
    return { service, totals, sum };
  }

  it('buckets by China day (a day starts at 16:00 UTC)', async () => {
    const { service, totals, sum } = await threeSamples();
    const trend = await service.trend(T0 - DAY, T0 + DAY, 'day');
    expect(trend.bucket).toBe('day');
    expect(trend.points.map((p) => p.start)).toEqual(['2025-01-05T16:00:00.000Z', '2025-01-06T16:00:00.000Z']);
    expect(trend.points.map((p) => p.recommendations)).toEqual([5, 5]);
    const power = { minWattsPerVcpu: 0.74, maxWattsPerVcpu: 3.5, pue: 1.3, kgPerKwh: 0.5306, embodied: null };
    close(trend.points[0]!.energyKwh, account(sum(totals.slice(0, 2)), power).energyKwh);
    close(trend.points[1]!.energyKwh, account(totals[2]!, power).energyKwh);
    for (const p of trend.points) {
      close(p.carbonG, p.energyKwh * 0.5306 * 1000);
      close(p.gPer1000Recommendations, (p.carbonG * 1000) / p.recommendations);
      expect(p.method).toBe(METHOD_MODEL);
    }
    close(trend.points[0]!.cpuSeconds, 0.1 + 0.2);
  });

  it('buckets by hour (UTC hours, which China’s whole-hour offset keeps aligned)', async () => {
    const { service } = await threeSamples();
    const trend = await service.trend(T0 - DAY, T0 + DAY, 'hour');
    expect(trend.points.map((p) => [p.start, p.recommendations])).toEqual([
      ['2025-01-06T15:00:00.000Z', 5],
      ['2025-01-06T16:00:00.000Z', 5],
    ]);
    // Only samples that started within the period count.
    const late = await service.trend(T0 + 20 * 60_000, T0 + DAY, 'hour');
    expect(late.points.map((p) => p.recommendations)).toEqual([3, 5]);
    expect((await service.trend(T0 - DAY, T0 - 1, 'day')).points).toEqual([]);
  });
});

describe('EnergyService with RAPL', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qingliu-energy-powercap-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function zone(dir: string, name: string, energyUj: number): Promise<void> {
    await mkdir(join(root, dir), { recursive: true });
    await writeFile(join(root, dir, 'name'), `${name}\n`);
    await writeFile(join(root, dir, 'energy_uj'), `${energyUj}\n`);
    await writeFile(join(root, dir, 'max_energy_range_uj'), '262143328850\n');
  }

  /** A RaplMeter whose reads the test can await (start() takes its baseline without waiting). */
  class WatchedRapl extends RaplMeter {
    readonly reads: Promise<unknown>[] = [];
    override sample() {
      const p = super.sample();
      this.reads.push(p);
      return p;
    }
  }

  it('stores Qingliu’s share of the package energy (package joules × its share of the machine’s busy CPU time), and the report says RAPL', async () => {
    await zone('intel-rapl:0', 'package-0', 10_000_000);
    await zone('intel-rapl:0:0', 'core', 5_000_000); // a subdomain: never counted
    await zone('intel-rapl:1', 'package-1', 20_000_000);
    let mono = 0;
    let busy = 50_000_000;
    const rapl = new WatchedRapl({ root, now: () => mono });
    const { clock, meter, service } = build({ rapl, machineBusy: () => busy, settings: { powercapRoot: root } });
    service.start();
    await rapl.reads[0];
    await new Promise((resolve) => setImmediate(resolve));
    // Over the period: the packages used 60 + 40 J; the machine was busy 4 CPU-s, Qingliu 1 CPU-s.
    meter.span('recommend', () => clock.work(1_000_000));
    meter.count('recommend', 10);
    clock.idle(59_000);
    mono += 60_000;
    busy += 4_000_000;
    await zone('intel-rapl:0', 'package-0', 70_000_000);
    await zone('intel-rapl:0:0', 'core', 999_000_000);
    await zone('intel-rapl:1', 'package-1', 60_000_000);
    await service.sample();
    const [row] = await allSamples();
    expect(row!.rapl_joules).toBe(25); // 100 J × 1 ÷ 4
    expect(row!.rapl_note).toBeNull();
    const r = await service.report(T0, T0 + DAY);
    expect(r.method).toBe(METHOD_RAPL);
    expect(r.methodDescription).toMatch(/RAPL package counters/);
    expect(r.model.raplJoules).toBe(25);
    close(r.model.computeItKwh, 25 / 3.6e6);
    expectRecomputes(r);
    expect(r.notes.some((n) => /Estimated by a model/.test(n))).toBe(false);
    await service.stop();
  });

  it('falls back to the model when the tree cannot be read, keeps the reason with the sample, and the report says why', async () => {
    const absent = join(root, 'absent');
    const rapl = new WatchedRapl({ root: absent });
    const { clock, meter, service } = build({ rapl, machineBusy: () => 0, settings: { powercapRoot: absent } });
    service.start();
    await rapl.reads[0];
    await new Promise((resolve) => setImmediate(resolve));
    onePeriod(clock, meter);
    await service.sample();
    const [row] = await allSamples();
    expect(row!.rapl_joules).toBeNull();
    expect(row!.rapl_note).toBe(`RAPL unreadable, the model applies: no powercap tree at ${absent} (virtual machines and containers usually have none)`);
    const r = await service.report(T0, T0 + DAY);
    expect(r.method).toBe(METHOD_MODEL);
    expect(r.model.raplJoules).toBeNull();
    expect(r.notes).toContain('Estimated by a model, not measured by a power meter: the coefficients are fleet averages per vCPU.');
    expect(r.notes).toContain(`RAPL counters are unreadable here, so the model applies: no powercap tree at ${absent} (virtual machines and containers usually have none).`);
    expect(r.noteCodes).toContainEqual({ code: 'rapl-unreadable', values: { reason: `no powercap tree at ${absent} (virtual machines and containers usually have none)` } });
    expectRecomputes(r);
    await service.stop();
  });

  it('says so when RAPL is readable now but the stored samples were not measured with it', async () => {
    await zone('intel-rapl:0', 'package-0', 10_000_000);
    const { clock, meter, service } = build({ settings: { powercapRoot: root } }); // no RaplMeter: samples carry no joules
    onePeriod(clock, meter);
    await service.sample();
    const r = await service.report(T0, T0 + DAY);
    expect(r.method).toBe(METHOD_MODEL);
    expect(r.notes).toContain('RAPL counters are readable now (1 package domains) but were not read for every sample in this period, so the model applies to all of it.');
    expect(r.noteCodes).toContainEqual({ code: 'rapl-not-every-sample', values: { domains: 1 } });
  });

  it('RAPL off in the settings: never read, and the sample says so', async () => {
    await zone('intel-rapl:0', 'package-0', 10_000_000);
    const rapl = new WatchedRapl({ root });
    const { clock, meter, service } = build({ rapl, settings: { rapl: 'off', powercapRoot: root } });
    service.start();
    await new Promise((resolve) => setImmediate(resolve));
    onePeriod(clock, meter);
    await service.sample();
    expect(rapl.reads).toHaveLength(0);
    const [row] = await allSamples();
    expect(row).toMatchObject({ rapl_joules: null, rapl_note: 'RAPL off (QINGLIU_ENERGY_RAPL=off)' });
    const r = await service.report(T0, T0 + DAY);
    expect(r.method).toBe(METHOD_MODEL);
    expect(r.notes).toContain('RAPL counters are not read (QINGLIU_ENERGY_RAPL=off).');
    expect(r.noteCodes).toContainEqual({ code: 'rapl-off', values: {} });
    expect(rapl.reads).toHaveLength(0);
    await service.stop();
  });
});

describe('EnergyService.regions()', () => {
  it('ranks the sites by gCO2e per 1,000 recommendations for the measured workload, each with its factor’s year and source', async () => {
    const { clock, meter, service } = build();
    onePeriod(clock, meter);
    await service.sample();
    const report = await service.report(T0, T0 + DAY);
    const advice = await service.regions(T0, T0 + DAY);
    // The workload is IT energy (before PUE) per 1,000 recommendations.
    const kwhPer1000 = ((report.model.computeItKwh + report.model.memoryItKwh) * 1000) / 4;
    close(advice.workload.kwhPer1000, kwhPer1000);
    expect(advice.workload.recommendations).toBe(4);
    expect(advice.workload.measuredFrom).toMatch(/^1 samples, 2025-01-06T15:30:00.000Z to /);
    expect(advice.current).toBe('cn-national');
    // Every hub, and this deployment's own grid area, once.
    expect(advice.ranking.map((r) => r.id).sort()).toEqual([...DATA_CENTRE_HUBS.map((h) => h.id), 'cn-national'].sort());
    for (const [i, r] of advice.ranking.entries()) {
      expect(r.factorYear).toBeTypeOf('number');
      expect(r.factorSource).toMatch(/MEE\/NBS/);
      close(r.kwhPer1000, kwhPer1000 * r.pue);
      close(r.gPer1000, kwhPer1000 * r.pue * r.kgPerKwh * 1000);
      close(r.gPerItKwh, r.pue * r.kgPerKwh * 1000);
      if (i > 0) expect(r.gPer1000!).toBeGreaterThanOrEqual(advice.ranking[i - 1]!.gPer1000!);
      expect(r.current).toBe(r.id === 'cn-national');
    }
    // Sichuan's hydro puts Chengdu first (1.3 × 0.1404 = 0.183 kg per IT kWh); Hebei's coal puts
    // Zhangjiakou last (1.2 × 0.7252 = 0.870) despite its low PUE.
    expect(advice.ranking[0]).toMatchObject({ id: 'chengdu', factorId: 'cn-sichuan', factorYear: 2022, kgPerKwh: 0.1404, pue: 1.3 });
    expect(advice.ranking.at(-1)).toMatchObject({ id: 'zhangjiakou', factorId: 'cn-hebei', factorYear: 2022 });
    const current = advice.ranking.find((r) => r.current)!;
    expect(current).toMatchObject({ factorId: 'cn-national', kgPerKwh: 0.5306, factorYear: 2023, pue: 1.3 });
    // The current site's figure is the report's own SCI (operational) for the same workload.
    close(current.gPer1000, report.sciPer1000Recommendations!);
  });

  it('without a measured workload, ranks by gCO2e per IT kWh and gives no per-recommendation figure', async () => {
    const { service } = build({ settings: { region: { id: 'chengdu', name: { zh: '成都', en: 'Chengdu' }, kind: 'hub' }, factor: gridFactor('cn-sichuan', 2022) } });
    const advice = await service.regions(T0, T0 + DAY);
    expect(advice.workload).toEqual({ kwhPer1000: null, measuredFrom: 'none', recommendations: 0 });
    expect(advice.ranking).toHaveLength(DATA_CENTRE_HUBS.length); // the current region is a hub: not added twice
    for (const [i, r] of advice.ranking.entries()) {
      expect(r.kwhPer1000).toBeNull();
      expect(r.gPer1000).toBeNull();
      if (i > 0) expect(r.gPerItKwh).toBeGreaterThanOrEqual(advice.ranking[i - 1]!.gPerItKwh);
    }
    expect(advice.ranking.filter((r) => r.current).map((r) => r.id)).toEqual(['chengdu']);
    // A given workload is used as is.
    const given = await service.regions(T0, T0 + DAY, 0.002);
    expect(given.workload).toEqual({ kwhPer1000: 0.002, measuredFrom: 'given', recommendations: 0 });
    close(given.ranking[0]!.gPer1000, 0.002 * 1.3 * 0.1404 * 1000);
  });
});
