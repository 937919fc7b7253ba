import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaplMeter, readRapl, type RaplDomain, type RaplSample } from './index.js';

/** A typical max_energy_range_uj (about 262 kJ). */
const RANGE = 262_143_328_850;
const isRoot = process.getuid?.() === 0;

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'qingliu-powercap-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes one powercap zone the way sysfs lays it out (files name, energy_uj, max_energy_range_uj). */
async function zone(dir: string, name: string, energyUj: number | string, range: number = RANGE): Promise<string> {
  const path = join(root, dir);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'name'), `${name}\n`);
  await writeFile(join(path, 'energy_uj'), `${energyUj}\n`);
  await writeFile(join(path, 'max_energy_range_uj'), `${range}\n`);
  return path;
}

async function setEnergy(dir: string, energyUj: number): Promise<void> {
  await writeFile(join(root, dir, 'energy_uj'), `${energyUj}\n`);
}

function sampleOf(atMs: number, ...domains: [path: string, energyUj: number][]): RaplSample {
  return { atMs, domains: domains.map(([path, energyUj]): RaplDomain => ({ path, name: 'package-0', energyUj, maxEnergyRangeUj: RANGE })) };
}

describe('readRapl', () => {
  it('keeps the package domain and ignores subdomains, psys, MMIO and the control directory', async () => {
    const pkg = await zone('intel-rapl:0', 'package-0', 123_456_789);
    await zone('intel-rapl:0:0', 'core', 50_000_000); // sibling link, as in /sys/class/powercap
    await zone('intel-rapl:0:1', 'uncore', 1_000_000);
    await zone('intel-rapl:0:2', 'dram', 9_000_000);
    await zone('intel-rapl:0/intel-rapl:0:0', 'core', 50_000_000); // nested, as in /sys/devices
    await zone('intel-rapl:1', 'psys', 999_999_999);
    await zone('intel-rapl-mmio:0', 'package-0', 123_456_000);
    await mkdir(join(root, 'intel-rapl'));
    await writeFile(join(root, 'intel-rapl', 'enabled'), '1\n');
    expect(await readRapl(root)).toEqual({ available: true, domains: [{ path: pkg, name: 'package-0', energyUj: 123_456_789, maxEnergyRangeUj: RANGE }] });
  });

  it('reads two packages in numeric order', async () => {
    const p0 = await zone('intel-rapl:0', 'package-0', 1_000);
    const p1 = await zone('intel-rapl:1', 'package-1', 2_000, 65_532_610_987);
    await zone('intel-rapl:1:0', 'dram', 7);
    const reading = await readRapl(root);
    expect(reading).toEqual({
      available: true,
      domains: [
        { path: p0, name: 'package-0', energyUj: 1_000, maxEnergyRangeUj: RANGE },
        { path: p1, name: 'package-1', energyUj: 2_000, maxEnergyRangeUj: 65_532_610_987 },
      ],
    });
  });

  it('accepts per-die top-level domains of multi-die packages', async () => {
    await zone('intel-rapl:0', 'package-0-die-0', 10);
    await zone('intel-rapl:1', 'package-0-die-1', 20);
    const reading = await readRapl(root);
    expect(reading.available && reading.domains.map((d) => d.name)).toEqual(['package-0-die-0', 'package-0-die-1']);
  });

  it('reports a missing tree as unavailable, not as zero energy', async () => {
    expect(await readRapl(join(root, 'absent'))).toEqual({ available: false, reason: `no powercap tree at ${join(root, 'absent')} (virtual machines and containers usually have none)` });
  });

  it('reports a tree without package domains as unavailable', async () => {
    await zone('intel-rapl:0:0', 'core', 1);
    await zone('intel-rapl:1', 'psys', 1);
    expect(await readRapl(root)).toEqual({ available: false, reason: `no RAPL package domains under ${root}` });
  });

  it('reports a root-only energy_uj (CVE-2020-8694) as unavailable', async () => {
    const pkg = await zone('intel-rapl:0', 'package-0', 1);
    const expected = `${join(pkg, 'energy_uj')} is not readable: RAPL energy counters are root-only since CVE-2020-8694 (PLATYPUS)`;
    // The real refusal where the test does not run as root (root reads through chmod 000) …
    if (!isRoot) {
      await chmod(join(pkg, 'energy_uj'), 0o000);
      const reading = await readRapl(root);
      expect(!reading.available && reading.reason).toBe(expected);
      await chmod(join(pkg, 'energy_uj'), 0o644);
    }
    // … and everywhere, a reader that refuses the way the kernel does for a non-root process.
    const refusing = async (file: string) => {
      if (file.endsWith('energy_uj')) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      return readFile(file, 'utf8');
    };
    const reading = await readRapl(root, refusing);
    expect(reading.available).toBe(false);
    expect(!reading.available && reading.reason).toBe(expected);
  });

  it('reports an energy_uj that cannot be read as a file as unavailable (works as root too)', async () => {
    // Root reads through chmod 000, so unreadability is simulated by a directory in the file's place.
    await zone('intel-rapl:0', 'package-0', 1);
    const pkg = await zone('intel-rapl:1', 'package-1', 1);
    await rm(join(pkg, 'energy_uj'));
    await mkdir(join(pkg, 'energy_uj'));
    expect(await readRapl(root)).toEqual({ available: false, reason: `cannot read ${join(pkg, 'energy_uj')}: EISDIR` });
  });

  it('refuses counters that are not counters', async () => {
    const pkg = await zone('intel-rapl:0', 'package-0', 'n/a');
    const reading = await readRapl(root);
    expect(!reading.available && reading.reason).toMatch(`cannot read ${join(pkg, 'energy_uj')}: ${join(pkg, 'energy_uj')} does not hold a counter: "n/a"`);
    await zone('intel-rapl:0', 'package-0', 5, 0);
    const zeroRange = await readRapl(root);
    expect(!zeroRange.available && zeroRange.reason).toMatch(/max_energy_range_uj is 0/);
  });
});

describe('RaplMeter', () => {
  it('samples the counters with the clock and sums the energy of all packages', async () => {
    let now = 1_000;
    const meter = new RaplMeter({ root, now: () => now });
    await zone('intel-rapl:0', 'package-0', 10_000_000);
    await zone('intel-rapl:1', 'package-1', 20_000_000);
    const a = await meter.sample();
    now += 2_000;
    await setEnergy('intel-rapl:0', 70_000_000); // +60 J
    await setEnergy('intel-rapl:1', 60_000_000); // +40 J
    const b = await meter.sample();
    if (!a.available || !b.available) throw new Error('fake tree should be readable');
    expect(a.atMs).toBe(1_000);
    const energy = meter.energySince(a, b);
    expect(energy).toMatchObject({ joules: 100, seconds: 2, watts: 50 });
    expect(energy.domains.map((d) => [d.name, d.joules, d.reset])).toEqual([
      ['package-0', 60, false],
      ['package-1', 40, false],
    ]);
  });

  it('handles a counter that wrapped around its range', async () => {
    let now = 0;
    const meter = new RaplMeter({ root, now: () => now });
    await zone('intel-rapl:0', 'package-0', RANGE - 329_850);
    await zone('intel-rapl:1', 'package-1', 5_000_000);
    const a = await meter.sample();
    now = 1_000;
    await setEnergy('intel-rapl:0', 1_000_000); // wrapped: 329,850 + 1,000,000 µJ
    await setEnergy('intel-rapl:1', 6_000_000); // did not wrap: 1,000,000 µJ
    const b = await meter.sample();
    if (!a.available || !b.available) throw new Error('fake tree should be readable');
    const energy = meter.energySince(a, b);
    expect(energy.domains.map((d) => d.joules)).toEqual([1.32985, 1]);
    expect(energy.joules).toBeCloseTo(2.32985, 12);
    expect(energy.domains.every((d) => !d.reset)).toBe(true);
  });

  it('treats a backwards step no wrap could explain as a counter reset', () => {
    const meter = new RaplMeter({ maxPlausibleWatts: 500 });
    // A wrap would mean ~62 kJ in one second; the counter was reset and has counted 5 J since.
    const energy = meter.energySince(sampleOf(0, ['/p0', 200_000_000_000]), sampleOf(1_000, ['/p0', 5_000_000]));
    expect(energy.domains[0]).toMatchObject({ joules: 5, reset: true });
    expect(energy.joules).toBe(5);
    // Over a long enough interval the same step is a plausible wrap.
    const longGap = meter.energySince(sampleOf(0, ['/p0', RANGE - 1_000_000]), sampleOf(60_000, ['/p0', 2_000_000]));
    expect(longGap.domains[0]).toMatchObject({ joules: 3, reset: false });
  });

  it('gives joules but no watts for intervals too short to divide by', () => {
    const meter = new RaplMeter();
    expect(meter.energySince(sampleOf(0, ['/p0', 0]), sampleOf(5, ['/p0', 61_000]))).toMatchObject({ joules: 0.061, seconds: 0.005, watts: null });
    expect(meter.energySince(sampleOf(7, ['/p0', 10]), sampleOf(7, ['/p0', 10]))).toMatchObject({ joules: 0, seconds: 0, watts: null });
    expect(meter.energySince(sampleOf(0, ['/p0', 0]), sampleOf(10, ['/p0', 100_000])).watts).toBeCloseTo(10, 12);
  });

  it('refuses samples that cannot be compared', () => {
    const meter = new RaplMeter();
    expect(() => meter.energySince(sampleOf(10, ['/p0', 0]), sampleOf(5, ['/p0', 1]))).toThrow('current sample (atMs 5) is older than previous (atMs 10)');
    expect(() => meter.energySince(sampleOf(0, ['/p0', 0]), sampleOf(5, ['/p0', 1], ['/p1', 1]))).toThrow(/different RAPL domains \(1 before, 2 now\)/);
    expect(() => meter.energySince(sampleOf(0, ['/p0', 0]), sampleOf(5, ['/p1', 1]))).toThrow('RAPL domain /p1 is not in the previous sample');
    const changed: RaplSample = { atMs: 5, domains: [{ path: '/p0', name: 'package-0', energyUj: 1, maxEnergyRangeUj: RANGE - 1 }] };
    expect(() => meter.energySince(sampleOf(0, ['/p0', 0]), changed)).toThrow('max_energy_range_uj of /p0 changed between samples');
    expect(() => new RaplMeter({ maxPlausibleWatts: 0 })).toThrow(/maxPlausibleWatts/);
  });

  it('passes an unavailable reading through from sample()', async () => {
    const meter = new RaplMeter({ root: join(root, 'absent') });
    expect(await meter.sample()).toMatchObject({ available: false, reason: expect.stringContaining('no powercap tree') });
  });
});
