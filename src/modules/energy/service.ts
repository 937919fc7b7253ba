/**
 * The energy service: stores the meter's readings as samples, and turns stored samples into the
 * energy and carbon report, its trend, a live session's meter, and the region advice. Every figure
 * names its method, and the report carries the inputs it was computed from.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { account, emptyTotals, METHOD_DESCRIPTIONS, METHOD_MODEL, METHOD_RAPL, type Accounting, type PowerSettings, type SampleTotals } from './accounting.js';
import { CCF_MEMORY_KWH_PER_GB_HOUR } from './ccf.js';
import { DATA_CENTRE_HUBS, HUB_FACTOR_YEAR, rankRegions, type GridFactor, type LocalisedName } from './carbon.js';
import { METERED_COMPONENTS, type EnergyMeter, type MeterReading } from './meter.js';
import { RaplMeter, readRapl, type RaplSample } from './rapl.js';
import type { EnergyStore, SessionSampleRow, StoredSample, StoredSessionShare } from './ports.js';
import type { EnergyNote, EnergyNoteCode, EnergyReport, GridFactorView, RegionAdvice, SessionEnergy, TrendPoint } from './contract.js';

export type { EnergyNote, EnergyNoteCode, EnergyReport, GridFactorView, RegionAdvice, SessionEnergy, TrendPoint } from './contract.js';

export interface EnergySettings {
  meter: boolean;
  sampleSeconds: number;
  region: { id: string; name: LocalisedName; kind: 'hub' | 'grid' | 'custom' };
  factor: Readonly<GridFactor>;
  pue: number;
  pueSource: string;
  power: { minWattsPerVcpu: number; maxWattsPerVcpu: number; source: string };
  vcpus: number;
  rapl: 'auto' | 'off';
  powercapRoot: string;
  embodied: { totalKg: number; lifespanYears: number; hostVcpus: number } | null;
}

/** Busy CPU time of the whole machine, microseconds (for Qingliu's share of the RAPL package energy). */
export type MachineBusy = () => number;

export const machineBusyMicros: MachineBusy = () => {
  let ms = 0;
  for (const cpu of os.cpus()) ms += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return ms * 1000;
};

export interface EnergyDeps {
  store: EnergyStore;
  meter: EnergyMeter;
  settings: EnergySettings;
  clock: { now(): number };
  /** This node's id (samples from several nodes add up). */
  node?: string;
  rapl?: RaplMeter;
  machineBusy?: MachineBusy;
  /** Called after each stored sample with its accounting (Prometheus counters). */
  onSample?: (sample: StoredSample, accounting: Accounting) => void;
  onError?: (err: unknown) => void;
}

const FORMULA =
  'energyKwh = (computeItKwh + memoryItKwh) × pue; computeItKwh = (vcpuHours × minWattsPerVcpu + min(cpuSeconds/3600, vcpuHours) × (maxWattsPerVcpu − minWattsPerVcpu)) / 1000 (utilisation capped at 1; or raplJoules / 3.6e6 when method is RAPL); memoryItKwh = memoryGbHours × memoryKwhPerGbHour; carbonG = energyKwh × gridFactor.value × 1000; sciPer1000Recommendations = (carbonG + embodiedG) × 1000 / recommendations';

const DAY_MS = 86_400_000;
/** Days are China days (UTC+8): a bucket starts at 16:00 UTC. */
const CHINA_OFFSET_MS = -8 * 3_600_000;

export class EnergyService {
  readonly node: string;
  readonly #deps: EnergyDeps;
  #timer: NodeJS.Timeout | undefined;
  #rapl: { sample: RaplSample; busy: number; at: number } | undefined;
  /** The first RAPL reading (taken at start); samples wait for it. */
  #ready: Promise<void> = Promise.resolve();
  #raplNote: string | null = null;
  #sampling: Promise<void> = Promise.resolve();
  #lastAccounting: Accounting | undefined;

  constructor(deps: EnergyDeps) {
    this.#deps = deps;
    this.node = deps.node ?? randomBytes(6).toString('hex');
  }

  get settings(): EnergySettings {
    return this.#deps.settings;
  }

  #power(): PowerSettings {
    const s = this.#deps.settings;
    return { minWattsPerVcpu: s.power.minWattsPerVcpu, maxWattsPerVcpu: s.power.maxWattsPerVcpu, pue: s.pue, kgPerKwh: s.factor.kgPerKwh, embodied: s.embodied };
  }

  #factorView(): GridFactorView {
    const f = this.#deps.settings.factor;
    return { id: f.id, value: f.kgPerKwh, year: f.year, source: f.source, scope: f.scope };
  }

  /** Starts sampling every `sampleSeconds` (and takes the first RAPL reading). */
  start(): void {
    if (!this.#deps.settings.meter || this.#timer) return;
    this.#ready = this.#raplBaseline().catch((err: unknown) => this.#deps.onError?.(err));
    this.#timer = setInterval(() => void this.sample(), this.#deps.settings.sampleSeconds * 1000);
    this.#timer.unref();
  }

  /** Stops sampling and stores the last period. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#deps.settings.meter) await this.sample();
  }

  async #raplBaseline(): Promise<void> {
    const rapl = this.#deps.rapl;
    if (!rapl || this.#deps.settings.rapl === 'off') {
      this.#raplNote = this.#deps.settings.rapl === 'off' ? 'RAPL off (QINGLIU_ENERGY_RAPL=off)' : 'RAPL not configured';
      return;
    }
    const s = await rapl.sample();
    if (s.available) this.#rapl = { sample: { atMs: s.atMs, domains: s.domains }, busy: (this.#deps.machineBusy ?? machineBusyMicros)(), at: this.#deps.clock.now() };
    else this.#raplNote = `RAPL unreadable, the model applies: ${s.reason}`;
  }

  /** Stores the meter's current period as a sample (one at a time). */
  sample(): Promise<void> {
    const next = this.#sampling.then(() => this.#sampleNow()).catch((err: unknown) => this.#deps.onError?.(err));
    this.#sampling = next;
    return next;
  }

  async #sampleNow(): Promise<void> {
    await this.#ready;
    const reading = this.#deps.meter.take();
    if (reading.wallMs <= 0) return;
    const { raplJoules, raplNote } = await this.#raplShare(reading);
    const sample = sampleOf(reading, { id: `es-${randomBytes(8).toString('hex')}`, node: this.node, vcpus: this.#deps.settings.vcpus, raplJoules, raplNote });
    const sessions = sessionSharesOf(reading);
    await this.#deps.store.append(sample, sessions);
    const accounting = account(totalsOfSample(sample), this.#power());
    this.#lastAccounting = accounting;
    this.#deps.onSample?.(sample, accounting);
  }

  async #raplShare(reading: MeterReading): Promise<{ raplJoules: number | null; raplNote: string | null }> {
    const rapl = this.#deps.rapl;
    if (!rapl || !this.#rapl) return { raplJoules: null, raplNote: this.#raplNote };
    try {
      const current = await rapl.sample();
      if (!current.available) {
        this.#rapl = undefined;
        this.#raplNote = `RAPL became unreadable, the model applies: ${current.reason}`;
        return { raplJoules: null, raplNote: this.#raplNote };
      }
      const busy = (this.#deps.machineBusy ?? machineBusyMicros)();
      const energy = rapl.energySince(this.#rapl.sample, current);
      const busyDelta = busy - this.#rapl.busy;
      const since = this.#rapl.at;
      this.#rapl = { sample: { atMs: current.atMs, domains: current.domains }, busy, at: this.#deps.clock.now() };
      // The meter's period began before the first RAPL reading (start-up): the counters do not cover it.
      if (reading.startedAt < since) return { raplJoules: null, raplNote: 'the period began before the first RAPL reading; the model applies to it' };
      // Qingliu's share of the package: its CPU time over the machine's busy CPU time (the machine's
      // clock ticks in 10 ms steps: a period it shows as idle is Qingliu's only if Qingliu ran).
      const share = busyDelta > 0 ? Math.min(1, reading.processCpuMicros / busyDelta) : reading.processCpuMicros > 0 ? 1 : 0;
      const note = energy.domains.some((d) => d.reset) ? 'a RAPL counter was reset during the period; energy counted from the reset' : null;
      return { raplJoules: energy.joules * share, raplNote: note };
    } catch (err) {
      this.#rapl = undefined;
      this.#raplNote = `RAPL reading failed, the model applies: ${(err as Error).message}`;
      return { raplJoules: null, raplNote: this.#raplNote };
    }
  }

  /** The energy and carbon report over [since, until): its figures recompute from its own inputs. */
  async report(since: number, until: number): Promise<EnergyReport> {
    const [totals, liveSessionHours] = await Promise.all([this.#deps.store.totals(since, until), this.#deps.store.liveSessionHours(since, until)]);
    const acc = account(totals, this.#power());
    const s = this.#deps.settings;
    // Each note twice: in English (the CLI's) and as a code with its values (the pages say it in the reader's language).
    const notes: string[] = [];
    const noteCodes: EnergyNote[] = [];
    const note = (code: EnergyNoteCode, text: string, values: EnergyNote['values'] = {}): void => {
      notes.push(text);
      noteCodes.push({ code, values });
    };
    note('location-based', 'Location-based: green-electricity certificates, power purchase agreements and offsets never reduce these figures (SCI); they may be noted beside them.');
    if (totals.samples === 0) note('no-samples', 'No samples in this period: the meter was off, or nothing ran.');
    if (totals.raplSamples > 0 && totals.raplSamples < totals.samples) {
      note(
        'rapl-partial',
        `RAPL was readable for ${totals.raplSamples} of ${totals.samples} samples; the model is used for all of them so the period is measured one way.`,
        { readable: totals.raplSamples, samples: totals.samples },
      );
    }
    if (acc.method === METHOD_MODEL) {
      note('model-estimate', 'Estimated by a model, not measured by a power meter: the coefficients are fleet averages per vCPU.');
      const rapl = await this.#raplStatus();
      note(rapl.code, rapl.text, rapl.values);
    }
    if (acc.embodiedG === null) note('embodied-left-out', 'Embodied emissions (SCI M) are left out: set QINGLIU_ENERGY_EMBODIED_KG and QINGLIU_ENERGY_HOST_VCPUS to include them.');
    note('storage-scope', 'Storage counts SQLite work done in this process; a PostgreSQL server uses energy on its own host, outside these figures.');
    const total = acc.carbonG + (acc.embodiedG ?? 0);
    return {
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      method: acc.method,
      methodDescription: METHOD_DESCRIPTIONS[acc.method] ?? acc.method,
      cpuSeconds: acc.cpuSeconds,
      energyKwh: acc.energyKwh,
      region: s.region.id,
      regionName: s.region.name,
      gridFactor: this.#factorView(),
      pue: s.pue,
      pueSource: s.pueSource,
      carbonG: acc.carbonG,
      embodiedG: acc.embodiedG,
      recommendations: acc.recommendations,
      sciPer1000Recommendations: acc.sciPer1000Recommendations,
      liveSessionHours,
      sciPerLiveSessionHour: liveSessionHours > 0 ? total / liveSessionHours : null,
      components: acc.components,
      model: {
        minWattsPerVcpu: s.power.minWattsPerVcpu,
        maxWattsPerVcpu: s.power.maxWattsPerVcpu,
        powerSource: s.power.source,
        vcpuHours: acc.vcpuHours,
        utilisation: acc.utilisation,
        memoryGbHours: acc.memoryGbHours,
        memoryKwhPerGbHour: CCF_MEMORY_KWH_PER_GB_HOUR,
        computeItKwh: acc.computeItKwh,
        memoryItKwh: acc.memoryItKwh,
        raplJoules: acc.method === METHOD_RAPL ? totals.raplJoules : null,
        formula: FORMULA,
      },
      samples: totals.samples,
      notes,
      noteCodes,
    };
  }

  /** Why the measured method does not apply here (RAPL off, or unreadable and why). */
  async #raplStatus(): Promise<{ code: EnergyNoteCode; text: string; values: EnergyNote['values'] }> {
    const s = this.#deps.settings;
    if (s.rapl === 'off') return { code: 'rapl-off', text: 'RAPL counters are not read (QINGLIU_ENERGY_RAPL=off).', values: {} };
    const reading = await readRapl(s.powercapRoot);
    if (!reading.available) {
      return { code: 'rapl-unreadable', text: `RAPL counters are unreadable here, so the model applies: ${reading.reason}.`, values: { reason: reading.reason } };
    }
    return {
      code: 'rapl-not-every-sample',
      text: `RAPL counters are readable now (${reading.domains.length} package domains) but were not read for every sample in this period, so the model applies to all of it.`,
      values: { domains: reading.domains.length },
    };
  }

  /** Energy and carbon per hour or per China day over [since, until). */
  async trend(since: number, until: number, bucket: 'hour' | 'day'): Promise<{ bucket: 'hour' | 'day'; points: TrendPoint[] }> {
    const bucketMs = bucket === 'day' ? DAY_MS : 3_600_000;
    const rows = await this.#deps.store.buckets(since, until, bucketMs, bucket === 'day' ? CHINA_OFFSET_MS : 0);
    const power = this.#power();
    return {
      bucket,
      points: rows.map(({ start, totals }) => {
        const acc = account(totals, power);
        return {
          start: new Date(start).toISOString(),
          cpuSeconds: acc.cpuSeconds,
          energyKwh: acc.energyKwh,
          carbonG: acc.carbonG,
          recommendations: acc.recommendations,
          // SCI, as in the report: embodied emissions count when configured.
          gPer1000Recommendations: acc.sciPer1000Recommendations,
          method: acc.method,
        };
      }),
    };
  }

  /**
   * What one session's work used so far: over each sample, the node's energy times the session's
   * share of the metered work; the current, not yet stored period of this node included.
   */
  async session(sessionId: string, window: { startedAt: number | null; endedAt: number | null; live: boolean }): Promise<SessionEnergy> {
    const rows = await this.#deps.store.sessionSamples(sessionId);
    const now = this.#deps.clock.now();
    if (this.#deps.settings.meter) {
      const current = this.#deps.meter.read();
      const share = current.sessions.get(sessionId);
      if (share) {
        const sampleSpan = METERED_COMPONENTS.reduce((a, c) => a + current.components[c], 0);
        const spanMicros = METERED_COMPONENTS.reduce((a, c) => a + share.components[c], 0);
        rows.push({
          sessionId,
          spanMicros,
          sampleSpanMicros: sampleSpan,
          recommendations: share.counts.recommend,
          startedAt: current.startedAt,
          wallMs: current.wallMs,
          vcpus: this.#deps.settings.vcpus,
          processCpuMicros: current.processCpuMicros,
          memoryGbHours: gbHours(current.meanRssBytes, current.wallMs),
          raplJoules: null,
        });
      }
    }
    const power = this.#power();
    let energyKwh = 0;
    let cpuSeconds = 0;
    let recommendations = 0;
    let allRapl = rows.length > 0;
    for (const r of rows) if (r.raplJoules === null) allRapl = false;
    // The share of a period's energy used while live: its overlap with [go-live, end), by time.
    const liveEnd = window.endedAt ?? Number.POSITIVE_INFINITY;
    const liveShare = (r: { startedAt: number; wallMs: number }): number => {
      if (window.startedAt === null) return 0;
      const end = r.startedAt + r.wallMs;
      if (!(r.wallMs > 0)) return r.startedAt >= window.startedAt && r.startedAt < liveEnd ? 1 : 0;
      return Math.max(0, Math.min(end, liveEnd) - Math.max(r.startedAt, window.startedAt)) / r.wallMs;
    };
    let liveEnergyKwh = 0;
    for (const r of rows) {
      recommendations += r.recommendations;
      if (!(r.sampleSpanMicros > 0) || !(r.spanMicros > 0)) continue;
      const share = Math.min(1, r.spanMicros / r.sampleSpanMicros);
      const t = totalsOfSessionRow(r, allRapl);
      const kwh = account(t, power).energyKwh * share;
      energyKwh += kwh;
      liveEnergyKwh += kwh * liveShare(r);
      cpuSeconds += t.cpuSeconds * share;
    }
    const carbonG = energyKwh * this.#deps.settings.factor.kgPerKwh * 1000;
    const liveCarbonG = liveEnergyKwh * this.#deps.settings.factor.kgPerKwh * 1000;
    // The figures count every period of the session's work, before go-live too (visitors, lists):
    // `since` is the earliest of go-live and that work. Live hours run from go-live only.
    let since = window.startedAt ?? Number.POSITIVE_INFINITY;
    for (const r of rows) if (r.startedAt < since) since = r.startedAt;
    if (since === Number.POSITIVE_INFINITY) since = now;
    const end = window.endedAt ?? now;
    const sessionHours = window.startedAt === null ? 0 : Math.max(0, end - window.startedAt) / 3_600_000;
    return {
      sessionId,
      live: window.live,
      since,
      at: now,
      method: allRapl ? METHOD_RAPL : METHOD_MODEL,
      cpuSeconds,
      energyKwh,
      energyWh: energyKwh * 1000,
      carbonG,
      recommendations,
      whPer1000Recommendations: recommendations > 0 ? (energyKwh * 1000 * 1000) / recommendations : null,
      gPer1000Recommendations: recommendations > 0 ? (carbonG * 1000) / recommendations : null,
      sessionHours,
      // Per live hour, of what was used while live: work before go-live would inflate the first minutes.
      gPerSessionHour: sessionHours > 0 ? liveCarbonG / sessionHours : null,
      region: { id: this.#deps.settings.region.id, name: this.#deps.settings.region.name },
      gridFactor: this.#factorView(),
      pue: this.#deps.settings.pue,
    };
  }

  /**
   * Green hosting advice: the data-centre sites (and this deployment's own region) ranked by
   * operational gCO2e per 1,000 recommendations for the workload measured over [since, until).
   * The workload is IT energy (no PUE), so each site's own PUE applies once.
   */
  async regions(since: number, until: number, workloadKwhPer1000?: number): Promise<RegionAdvice> {
    let kwhPer1000: number | null = workloadKwhPer1000 ?? null;
    let measuredFrom = workloadKwhPer1000 !== undefined ? 'given' : 'none';
    let recommendations = 0;
    if (workloadKwhPer1000 === undefined) {
      const totals = await this.#deps.store.totals(since, until);
      const acc = account(totals, this.#power());
      recommendations = acc.recommendations;
      if (acc.recommendations > 0) {
        kwhPer1000 = ((acc.computeItKwh + acc.memoryItKwh) * 1000) / acc.recommendations;
        measuredFrom = `${totals.samples} samples, ${new Date(since).toISOString()} to ${new Date(until).toISOString()}`;
      }
    }
    const s = this.#deps.settings;
    // This deployment's row uses its own settings (its PUE and factor year may differ from the hub's).
    const candidates = DATA_CENTRE_HUBS.filter((h) => h.id !== s.region.id).map((h) => ({ id: h.id, name: h.name, pue: h.pue, factor: h.factor }));
    candidates.push({ id: s.region.id, name: s.region.name, pue: s.pue, factor: s.factor });
    const ranked = rankRegions(kwhPer1000 ?? 1, candidates);
    const ranking = ranked
      .map((r) => ({
        id: r.id,
        name: r.name,
        current: r.id === s.region.id,
        pue: r.pue,
        factorId: r.factorId,
        kgPerKwh: r.kgPerKwh,
        factorYear: r.factorYear,
        factorSource: r.factorSource,
        gPerItKwh: r.pue * r.kgPerKwh * 1000,
        kwhPer1000: kwhPer1000 === null ? null : r.kwhPer1000,
        gPer1000: kwhPer1000 === null ? null : r.gPer1000,
      }))
      .sort((a, b) => a.gPerItKwh - b.gPerItKwh || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const notes = [
      `The sites use ${HUB_FACTOR_YEAR} factors, the latest year with provincial figures, so they compare like with like; this deployment's row uses its configured factor (${s.factor.year}).`,
      'Location-based factors: certificates and offsets never change this ranking.',
    ];
    return { workload: { kwhPer1000, measuredFrom, recommendations }, current: s.region.id, ranking, notes };
  }

  /** The last stored sample's accounting (for the metrics endpoint's SCI gauge). */
  get lastAccounting(): Accounting | undefined {
    return this.#lastAccounting;
  }

  purgeBefore(cutoff: number): Promise<number> {
    return this.#deps.store.purgeBefore(cutoff);
  }
}

function gbHours(meanRssBytes: number, wallMs: number): number {
  return (meanRssBytes / 1e9) * (wallMs / 3_600_000);
}

export function sampleOf(reading: MeterReading, extra: { id: string; node: string; vcpus: number; raplJoules: number | null; raplNote: string | null }): StoredSample {
  return {
    id: extra.id,
    node: extra.node,
    startedAt: reading.startedAt,
    endedAt: reading.startedAt + reading.wallMs,
    wallMs: reading.wallMs,
    vcpus: extra.vcpus,
    processCpuMicros: reading.processCpuMicros,
    componentMicros: reading.components,
    otherMicros: reading.unattributedCpuMicros,
    spanScale: reading.spanScale,
    memoryGbHours: gbHours(reading.meanRssBytes, reading.wallMs),
    raplJoules: extra.raplJoules,
    raplNote: extra.raplNote,
    counts: reading.counts,
  };
}

export function sessionSharesOf(reading: MeterReading): StoredSessionShare[] {
  const sampleSpanMicros = METERED_COMPONENTS.reduce((a, c) => a + reading.components[c], 0);
  return [...reading.sessions].map(([sessionId, share]) => ({
    sessionId,
    spanMicros: METERED_COMPONENTS.reduce((a, c) => a + share.components[c], 0),
    sampleSpanMicros,
    recommendations: share.counts.recommend,
  }));
}

/** One sample as totals (what the store sums over many). */
export function totalsOfSample(sample: StoredSample): SampleTotals {
  const t = emptyTotals();
  t.samples = 1;
  t.raplSamples = sample.raplJoules === null ? 0 : 1;
  t.raplJoules = sample.raplJoules ?? 0;
  t.wallSeconds = sample.wallMs / 1000;
  t.vcpuSeconds = (sample.wallMs / 1000) * sample.vcpus;
  t.cpuSeconds = sample.processCpuMicros / 1e6;
  t.memoryGbHours = sample.memoryGbHours;
  t.otherSeconds = sample.otherMicros / 1e6;
  for (const c of METERED_COMPONENTS) {
    t.componentSeconds[c] = sample.componentMicros[c] / 1e6;
    t.counts[c] = sample.counts[c];
  }
  return t;
}

function totalsOfSessionRow(r: SessionSampleRow, useRapl: boolean): SampleTotals {
  const t = emptyTotals();
  t.samples = 1;
  t.raplSamples = useRapl ? 1 : 0;
  t.raplJoules = useRapl ? (r.raplJoules ?? 0) : 0;
  t.wallSeconds = r.wallMs / 1000;
  t.vcpuSeconds = (r.wallMs / 1000) * r.vcpus;
  t.cpuSeconds = r.processCpuMicros / 1e6;
  t.memoryGbHours = r.memoryGbHours;
  return t;
}
