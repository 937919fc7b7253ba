/**
 * Measured CPU energy from Intel/AMD RAPL (Running Average Power Limit) counters, read from the
 * Linux powercap tree. Where it is available this replaces a model's estimate with a meter
 * reading of the processor packages (not the whole server: fans, disks, NICs and the power supply
 * are outside it, and PUE still applies on top).
 *
 * Which domains count: only top-level package domains (`intel-rapl:N` whose `name` is
 * `package-N`, or `package-N-die-M` on multi-die parts where each die is its own top-level
 * domain). Subdomains (`intel-rapl:N:M` — core, uncore, dram) are parts of, or beside, the package
 * and adding them would count energy twice or mix in memory; `psys` (whole platform) overlaps the
 * packages; `intel-rapl-mmio:N` is the same package counter read another way.
 *
 * Where it is not available: most virtual machines and containers expose no powercap tree, and
 * since CVE-2020-8694 (PLATYPUS) `energy_uj` is readable only by root. Both are reported as
 * `available: false` with a reason, never as zero energy.
 *
 * This is the only module in energy/ that does I/O.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_POWERCAP_ROOT = '/sys/class/powercap';

export interface RaplDomain {
  /** Directory of the domain, e.g. /sys/class/powercap/intel-rapl:0. */
  path: string;
  /** Contents of its `name` file, e.g. package-0. */
  name: string;
  /** Cumulative energy counter, microjoules; wraps at maxEnergyRangeUj. */
  energyUj: number;
  /** Value at which energyUj wraps to 0, microjoules. */
  maxEnergyRangeUj: number;
}

export type RaplReading = { available: true; domains: RaplDomain[] } | { available: false; reason: string };

const TOP_LEVEL = /^intel-rapl:\d+$/;
const PACKAGE = /^package-\d+(-die-\d+)?$/;

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** How files are read (the tests put a refusing reader in place, as root reads through chmod 000). */
export type ReadText = (file: string) => Promise<string>;
const readText: ReadText = (file) => readFile(file, 'utf8');

async function readCounter(file: string, read: ReadText): Promise<number> {
  const text = (await read(file)).trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new RangeError(`${file} does not hold a counter: "${text.slice(0, 40)}"`);
  return value;
}

function unreadable(file: string, error: unknown): { available: false; reason: string } {
  const code = errnoCode(error);
  if (code === 'EACCES' || code === 'EPERM') {
    return { available: false, reason: `${file} is not readable: RAPL energy counters are root-only since CVE-2020-8694 (PLATYPUS)` };
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return { available: false, reason: `cannot read ${file}: ${detail}` };
}

/**
 * Reads the package energy counters under `root`. Any package counter that cannot be read makes
 * the whole reading unavailable: a sum over the packages we happen to be able to read would be an
 * undercount that looks like a measurement.
 */
export async function readRapl(root = DEFAULT_POWERCAP_ROOT, read: ReadText = readText): Promise<RaplReading> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { available: false, reason: `no powercap tree at ${root} (virtual machines and containers usually have none)` };
    }
    return unreadable(root, error);
  }
  const candidates = entries.filter((e) => TOP_LEVEL.test(e)).sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1]));
  const domains: RaplDomain[] = [];
  for (const entry of candidates) {
    const path = join(root, entry);
    let name: string;
    try {
      name = (await read(join(path, 'name'))).trim();
    } catch {
      continue; // not a domain directory (no name file): nothing to count
    }
    if (!PACKAGE.test(name)) continue;
    let energyUj: number;
    let maxEnergyRangeUj: number;
    try {
      energyUj = await readCounter(join(path, 'energy_uj'), read);
    } catch (error) {
      return unreadable(join(path, 'energy_uj'), error);
    }
    try {
      maxEnergyRangeUj = await readCounter(join(path, 'max_energy_range_uj'), read);
    } catch (error) {
      return unreadable(join(path, 'max_energy_range_uj'), error);
    }
    if (maxEnergyRangeUj <= 0) return { available: false, reason: `${join(path, 'max_energy_range_uj')} is 0, so wrap-around cannot be handled` };
    domains.push({ path, name, energyUj, maxEnergyRangeUj });
  }
  if (domains.length === 0) return { available: false, reason: `no RAPL package domains under ${root}` };
  return { available: true, domains };
}

export interface RaplSample {
  /** Monotonic clock reading when the counters were read, milliseconds. */
  atMs: number;
  domains: readonly RaplDomain[];
}

export interface RaplDomainEnergy {
  path: string;
  name: string;
  joules: number;
  /** The counter went backwards by more than a wrap could explain: energy counted from 0. */
  reset: boolean;
}

export interface RaplEnergy {
  joules: number;
  seconds: number;
  /** Average package power, or null when the interval is too short for the counters' resolution. */
  watts: number | null;
  domains: RaplDomainEnergy[];
}

export interface RaplMeterOptions {
  root?: string;
  /** Monotonic clock in milliseconds; injectable for tests. */
  now?: () => number;
  /**
   * Highest believable average power of one package. A backwards step whose wrap-around reading
   * would need more than this is a counter reset (e.g. after suspend), not a wrap.
   */
  maxPlausibleWatts?: number;
  /** Intervals shorter than this give joules but no watts (RAPL updates about every millisecond). */
  minIntervalMs?: number;
}

/** Headroom over the plausible power, for counter update jitter at short intervals (joules). */
const RESET_SLACK_J = 1;

/**
 * Samples RAPL counters and turns two samples into energy. A single wrap per domain between two
 * samples is handled; two wraps cannot be seen, so sample at least every max_energy_range_uj ÷
 * package power (about 17 minutes for a 262 kJ range at 250 W).
 */
export class RaplMeter {
  private readonly root: string;
  private readonly now: () => number;
  private readonly maxPlausibleWatts: number;
  private readonly minIntervalMs: number;

  constructor(options: RaplMeterOptions = {}) {
    this.root = options.root ?? DEFAULT_POWERCAP_ROOT;
    this.now = options.now ?? (() => performance.now());
    this.maxPlausibleWatts = options.maxPlausibleWatts ?? 1000;
    this.minIntervalMs = options.minIntervalMs ?? 10;
    if (!(this.maxPlausibleWatts > 0) || !Number.isFinite(this.maxPlausibleWatts)) throw new RangeError(`maxPlausibleWatts must be a finite number > 0, got ${this.maxPlausibleWatts}`);
    if (!(this.minIntervalMs >= 0) || !Number.isFinite(this.minIntervalMs)) throw new RangeError(`minIntervalMs must be a finite number ≥ 0, got ${this.minIntervalMs}`);
  }

  /** Reads the counters now; the time is taken after the read so it brackets the counter values. */
  async sample(): Promise<({ available: true } & RaplSample) | { available: false; reason: string }> {
    const reading = await readRapl(this.root);
    if (!reading.available) return reading;
    return { available: true, atMs: this.now(), domains: reading.domains };
  }

  /**
   * Joules used between two samples, summed over packages. Per domain: Δ = current − previous, or
   * current + maxEnergyRange − previous when the counter wrapped; if even a wrap would need more
   * than `maxPlausibleWatts`, the counter was reset and only `current` (energy since the reset) is
   * counted, flagged `reset`. Samples over different domains cannot be compared and are refused.
   */
  energySince(previous: RaplSample, current: RaplSample): RaplEnergy {
    const ms = current.atMs - previous.atMs;
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`current sample (atMs ${current.atMs}) is older than previous (atMs ${previous.atMs})`);
    const seconds = ms / 1000;
    const before = new Map(previous.domains.map((d) => [d.path, d]));
    if (before.size !== current.domains.length) {
      throw new RangeError(`samples cover different RAPL domains (${previous.domains.length} before, ${current.domains.length} now)`);
    }
    const budgetJ = this.maxPlausibleWatts * seconds + RESET_SLACK_J;
    const domains = current.domains.map((cur): RaplDomainEnergy => {
      const prev = before.get(cur.path);
      if (!prev) throw new RangeError(`RAPL domain ${cur.path} is not in the previous sample`);
      if (prev.maxEnergyRangeUj !== cur.maxEnergyRangeUj) throw new RangeError(`max_energy_range_uj of ${cur.path} changed between samples`);
      if (cur.energyUj >= prev.energyUj) return { path: cur.path, name: cur.name, joules: (cur.energyUj - prev.energyUj) / 1e6, reset: false };
      const wrappedJ = (cur.energyUj + cur.maxEnergyRangeUj - prev.energyUj) / 1e6;
      if (wrappedJ <= budgetJ) return { path: cur.path, name: cur.name, joules: wrappedJ, reset: false };
      return { path: cur.path, name: cur.name, joules: cur.energyUj / 1e6, reset: true };
    });
    const joules = domains.reduce((sum, d) => sum + d.joules, 0);
    return { joules, seconds, watts: ms >= this.minIntervalMs && ms > 0 ? joules / seconds : null, domains };
  }
}
