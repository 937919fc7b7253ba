/**
 * The energy settings of loadConfig: defaults, a data-centre site, a grid area with a year, an
 * operator's own factor, and bad input refused with one clear message each (never a silent
 * substitute factor, year or coefficient).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, nodeVcpus } from './index.js';

/** The problems a configuration is refused with (fails when it is accepted). */
function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^Invalid configuration:\n {2}- /);
    return (err as ConfigError).problems;
  }
  throw new Error(`accepted: ${JSON.stringify(env)}`);
}

/** Exactly one problem, naming the setting, matching `pattern`. */
function refusedOnce(env: Record<string, string>, setting: string, pattern: RegExp): string {
  const problems = problemsOf(env);
  expect(problems, problems.join('\n')).toHaveLength(1);
  expect(problems[0]).toContain(setting);
  expect(problems[0]).toMatch(pattern);
  return problems[0]!;
}

const SITES = ['zhangjiakou', 'ulanqab', 'hohhot', 'beijing', 'qingdao', 'chengdu', 'hangzhou', 'shanghai', 'nanjing', 'shenzhen', 'guangzhou', 'heyuan'];

describe('energy settings: defaults', () => {
  it('cn-national at its latest year, PUE 1.3, CCF’s 0.74/3.5 W, meter on, RAPL auto, no embodied', () => {
    const e = loadConfig({}).energy;
    expect(e.meter).toBe(true);
    expect(e.sampleSeconds).toBe(60);
    expect(e.region).toMatchObject({ id: 'cn-national', kind: 'grid', name: { zh: '全国', en: 'China (national average)' } });
    expect(e.factor).toMatchObject({ id: 'cn-national', kgPerKwh: 0.5306, year: 2023, scope: 'national' });
    expect(e.factor.source).toMatch(/2023 electricity CO2 emission factors/);
    expect(e.pue).toBe(1.3);
    expect(e.pueSource).toMatch(/Alibaba Cloud/);
    expect(e.power).toEqual({ minWattsPerVcpu: 0.74, maxWattsPerVcpu: 3.5, source: expect.stringMatching(/Cloud Carbon Footprint/) });
    expect(e.vcpus).toBe(nodeVcpus());
    expect(e.rapl).toBe('auto');
    expect(e.powercapRoot).toBe('/sys/class/powercap');
    expect(e.embodied).toBeNull();
    expect(e.keepDays).toBe(400);
    expect(Object.isFrozen(e.factor)).toBe(true);
  });

  it('turns the meter off, and takes the operator’s own coefficients with their source', () => {
    const e = loadConfig({ QINGLIU_ENERGY_METER: 'off', QINGLIU_ENERGY_MIN_WATTS_PER_VCPU: '0.5', QINGLIU_ENERGY_MAX_WATTS_PER_VCPU: '4', QINGLIU_ENERGY_VCPUS: '8', QINGLIU_ENERGY_RAPL: 'off', QINGLIU_ENERGY_PUE: '1.1' }).energy;
    expect(e.meter).toBe(false);
    expect(e.power).toEqual({ minWattsPerVcpu: 0.5, maxWattsPerVcpu: 4, source: 'set by the operator' });
    expect(e.vcpus).toBe(8);
    expect(e.rapl).toBe('off');
    expect(e.pue).toBe(1.1);
    expect(e.pueSource).toBe('set by the operator (QINGLIU_ENERGY_PUE)');
  });
});

describe('energy settings: regions', () => {
  it('a data-centre site takes its PUE and the 2022 provincial factor of its grid', () => {
    const chengdu = loadConfig({ QINGLIU_ENERGY_REGION: 'chengdu' }).energy;
    expect(chengdu.region).toEqual({ id: 'chengdu', name: { zh: '成都', en: 'Chengdu' }, kind: 'hub' });
    expect(chengdu.factor).toMatchObject({ id: 'cn-sichuan', kgPerKwh: 0.1404, year: 2022, scope: 'province' });
    expect(chengdu.factor.source).toMatch(/2022 electricity CO2 emission factors/);
    expect(chengdu.pue).toBe(1.3);
    const zjk = loadConfig({ QINGLIU_ENERGY_REGION: 'zhangjiakou' }).energy;
    expect(zjk.factor).toMatchObject({ id: 'cn-hebei', kgPerKwh: 0.7252, year: 2022 });
    expect(zjk.pue).toBe(1.2);
    expect(zjk.pueSource).toMatch(/northern sites \(1\.2\)/);
    // A site with no provincial factor recorded draws its regional grid's 2022 factor.
    expect(loadConfig({ QINGLIU_ENERGY_REGION: 'beijing' }).energy.factor).toMatchObject({ id: 'cn-north', kgPerKwh: 0.6776, year: 2022 });
    // The operator's PUE wins over the site's.
    expect(loadConfig({ QINGLIU_ENERGY_REGION: 'ulanqab', QINGLIU_ENERGY_PUE: '1.15' }).energy.pue).toBe(1.15);
  });

  it('a grid area with QINGLIU_ENERGY_FACTOR_YEAR takes that year’s factor', () => {
    const south = loadConfig({ QINGLIU_ENERGY_REGION: 'cn-south', QINGLIU_ENERGY_FACTOR_YEAR: '2022' }).energy;
    expect(south.region).toMatchObject({ id: 'cn-south', kind: 'grid', name: { zh: '南方', en: 'Southern grid' } });
    expect(south.factor).toMatchObject({ id: 'cn-south', kgPerKwh: 0.3869, year: 2022, scope: 'regional-grid' });
    expect(loadConfig({ QINGLIU_ENERGY_REGION: 'cn-south' }).energy.factor).toMatchObject({ kgPerKwh: 0.4042, year: 2023 });
    expect(loadConfig({ QINGLIU_ENERGY_FACTOR_YEAR: '2021' }).energy.factor).toMatchObject({ id: 'cn-national', kgPerKwh: 0.5568, year: 2021 });
    expect(loadConfig({ QINGLIU_ENERGY_REGION: 'cn-south' }).energy.pue).toBe(1.3);
  });

  it('an operator’s own factor with its year and source', () => {
    const e = loadConfig({ QINGLIU_ENERGY_REGION: 'my-dc', QINGLIU_ENERGY_FACTOR_KG_PER_KWH: '0.42', QINGLIU_ENERGY_FACTOR_YEAR: '2024', QINGLIU_ENERGY_FACTOR_SOURCE: ' Supplier disclosure 2025 ' }).energy;
    expect(e.region).toEqual({ id: 'my-dc', name: { zh: 'my-dc', en: 'my-dc' }, kind: 'custom' });
    expect(e.factor).toMatchObject({ id: 'my-dc', kgPerKwh: 0.42, year: 2024, source: 'Supplier disclosure 2025', scope: 'custom' });
    expect(e.pue).toBe(1.3);
  });

  it('embodied emissions with the host’s vCPUs and lifespan', () => {
    const e = loadConfig({ QINGLIU_ENERGY_EMBODIED_KG: '1500', QINGLIU_ENERGY_HOST_VCPUS: '64', QINGLIU_ENERGY_VCPUS: '4', QINGLIU_ENERGY_LIFESPAN_YEARS: '5' }).energy;
    expect(e.embodied).toEqual({ totalKg: 1500, lifespanYears: 5, hostVcpus: 64 });
    expect(loadConfig({ QINGLIU_ENERGY_EMBODIED_KG: '1500', QINGLIU_ENERGY_HOST_VCPUS: '64', QINGLIU_ENERGY_VCPUS: '4' }).energy.embodied?.lifespanYears).toBe(4);
  });
});

describe('energy settings: bad input is refused with one clear message', () => {
  it('an unknown region, listing the known sites and grid areas and how to give another', () => {
    const p = refusedOnce({ QINGLIU_ENERGY_REGION: 'atlantis' }, 'QINGLIU_ENERGY_REGION', /"atlantis" is not a known site or grid area/);
    for (const site of SITES) expect(p).toContain(site);
    for (const grid of ['cn-national', 'cn-north', 'cn-east', 'cn-south', 'cn-southwest', 'cn-sichuan', 'cn-yunnan']) expect(p).toContain(grid);
    expect(p).toMatch(/QINGLIU_ENERGY_FACTOR_KG_PER_KWH with QINGLIU_ENERGY_FACTOR_YEAR and QINGLIU_ENERGY_FACTOR_SOURCE/);
  });

  it('a year the table does not have, for a grid area or a site', () => {
    refusedOnce({ QINGLIU_ENERGY_REGION: 'cn-south', QINGLIU_ENERGY_FACTOR_YEAR: '2019' }, 'QINGLIU_ENERGY_FACTOR_YEAR', /no 2019 factor for "cn-south"; known years: 2022, 2023/);
    refusedOnce({ QINGLIU_ENERGY_REGION: 'chengdu', QINGLIU_ENERGY_FACTOR_YEAR: '2023' }, 'QINGLIU_ENERGY_FACTOR_YEAR', /no 2023 factor for "cn-sichuan"; known years: 2022/);
  });

  it('a year that is not a whole number: one message (not a second one about a "NaN" factor)', () => {
    refusedOnce({ QINGLIU_ENERGY_FACTOR_YEAR: 'last' }, 'QINGLIU_ENERGY_FACTOR_YEAR', /must be a whole year \(got "last"\)/);
    refusedOnce({ QINGLIU_ENERGY_REGION: 'cn-south', QINGLIU_ENERGY_FACTOR_YEAR: '2022.5' }, 'QINGLIU_ENERGY_FACTOR_YEAR', /must be a whole year \(got "2022.5"\)/);
  });

  it('a custom factor without its year, or without its source', () => {
    refusedOnce({ QINGLIU_ENERGY_REGION: 'my-dc', QINGLIU_ENERGY_FACTOR_KG_PER_KWH: '0.42', QINGLIU_ENERGY_FACTOR_SOURCE: 'Supplier' }, 'QINGLIU_ENERGY_FACTOR_KG_PER_KWH', /year is required/);
    refusedOnce({ QINGLIU_ENERGY_REGION: 'my-dc', QINGLIU_ENERGY_FACTOR_KG_PER_KWH: '0.42', QINGLIU_ENERGY_FACTOR_YEAR: '2024' }, 'QINGLIU_ENERGY_FACTOR_KG_PER_KWH', /source is required/);
    refusedOnce({ QINGLIU_ENERGY_REGION: 'my-dc', QINGLIU_ENERGY_FACTOR_KG_PER_KWH: '0.42', QINGLIU_ENERGY_FACTOR_YEAR: '2024', QINGLIU_ENERGY_FACTOR_SOURCE: '   ' }, 'QINGLIU_ENERGY_FACTOR_KG_PER_KWH', /source is required/);
    // A source without a factor is a mistake too, not silently ignored.
    refusedOnce({ QINGLIU_ENERGY_FACTOR_SOURCE: 'Supplier' }, 'QINGLIU_ENERGY_FACTOR_SOURCE', /is set but QINGLIU_ENERGY_FACTOR_KG_PER_KWH is not/);
  });

  it('a negative, zero, non-numeric or absurd factor (> 2 kg/kWh)', () => {
    const custom = (kg: string) => ({ QINGLIU_ENERGY_REGION: 'my-dc', QINGLIU_ENERGY_FACTOR_KG_PER_KWH: kg, QINGLIU_ENERGY_FACTOR_YEAR: '2024', QINGLIU_ENERGY_FACTOR_SOURCE: 'Supplier' });
    for (const kg of ['-0.5', '0', '2.5', '530', 'half']) {
      refusedOnce(custom(kg), 'QINGLIU_ENERGY_FACTOR_KG_PER_KWH', /kgPerKwh must be > 0 and ≤ 2 kg CO2e\/kWh/);
    }
    expect(loadConfig(custom('2')).energy.factor.kgPerKwh).toBe(2);
  });

  it('PUE below 1 or above 3', () => {
    for (const pue of ['0.9', '3.5', '-1', 'high']) refusedOnce({ QINGLIU_ENERGY_PUE: pue }, 'QINGLIU_ENERGY_PUE', /must be a number ≥ 1 and ≤ 3/);
    expect(loadConfig({ QINGLIU_ENERGY_PUE: '1' }).energy.pue).toBe(1);
    expect(loadConfig({ QINGLIU_ENERGY_PUE: '3' }).energy.pue).toBe(3);
  });

  it('negative watts, watts above 50 per vCPU, a zero maximum, and a maximum below the minimum', () => {
    refusedOnce({ QINGLIU_ENERGY_MIN_WATTS_PER_VCPU: '-0.1' }, 'QINGLIU_ENERGY_MIN_WATTS_PER_VCPU', /must be a number ≥ 0 and ≤ 50/);
    refusedOnce({ QINGLIU_ENERGY_MAX_WATTS_PER_VCPU: '-3' }, 'QINGLIU_ENERGY_MAX_WATTS_PER_VCPU', /must be a number > 0 and ≤ 50/);
    refusedOnce({ QINGLIU_ENERGY_MAX_WATTS_PER_VCPU: '0' }, 'QINGLIU_ENERGY_MAX_WATTS_PER_VCPU', /must be a number > 0 and ≤ 50/);
    refusedOnce({ QINGLIU_ENERGY_MAX_WATTS_PER_VCPU: '350' }, 'QINGLIU_ENERGY_MAX_WATTS_PER_VCPU', /must be a number > 0 and ≤ 50 \(got "350"\)/);
    refusedOnce({ QINGLIU_ENERGY_MIN_WATTS_PER_VCPU: '51' }, 'QINGLIU_ENERGY_MIN_WATTS_PER_VCPU', /≤ 50/);
    refusedOnce({ QINGLIU_ENERGY_MIN_WATTS_PER_VCPU: '2', QINGLIU_ENERGY_MAX_WATTS_PER_VCPU: '1.5' }, 'QINGLIU_ENERGY_MAX_WATTS_PER_VCPU (1.5) must be at least QINGLIU_ENERGY_MIN_WATTS_PER_VCPU (2)', /./);
    // Against the default minimum (0.74 W) too.
    refusedOnce({ QINGLIU_ENERGY_MAX_WATTS_PER_VCPU: '0.5' }, 'QINGLIU_ENERGY_MAX_WATTS_PER_VCPU (0.5) must be at least QINGLIU_ENERGY_MIN_WATTS_PER_VCPU (0.74)', /./);
    // Equal is a flat line, allowed.
    expect(loadConfig({ QINGLIU_ENERGY_MIN_WATTS_PER_VCPU: '2', QINGLIU_ENERGY_MAX_WATTS_PER_VCPU: '2' }).energy.power).toMatchObject({ minWattsPerVcpu: 2, maxWattsPerVcpu: 2 });
  });

  it('embodied emissions without the host’s vCPUs, or with fewer host vCPUs than the node holds', () => {
    refusedOnce({ QINGLIU_ENERGY_EMBODIED_KG: '1500' }, 'QINGLIU_ENERGY_HOST_VCPUS is required with QINGLIU_ENERGY_EMBODIED_KG', /./);
    refusedOnce({ QINGLIU_ENERGY_EMBODIED_KG: '1500', QINGLIU_ENERGY_VCPUS: '8', QINGLIU_ENERGY_HOST_VCPUS: '4' }, 'QINGLIU_ENERGY_HOST_VCPUS (4) must be at least the node', /8/);
    refusedOnce({ QINGLIU_ENERGY_EMBODIED_KG: '-1', QINGLIU_ENERGY_HOST_VCPUS: '64' }, 'QINGLIU_ENERGY_EMBODIED_KG', /must be a number > 0/);
  });

  it('other settings out of range: sample period, meter, RAPL, vCPUs', () => {
    refusedOnce({ QINGLIU_ENERGY_SAMPLE_SECONDS: '1' }, 'QINGLIU_ENERGY_SAMPLE_SECONDS', /≥ 5 and ≤ 3600/);
    refusedOnce({ QINGLIU_ENERGY_METER: 'sometimes' }, 'QINGLIU_ENERGY_METER', /must be on or off/);
    refusedOnce({ QINGLIU_ENERGY_RAPL: 'on' }, 'QINGLIU_ENERGY_RAPL', /must be auto or off/);
    refusedOnce({ QINGLIU_ENERGY_VCPUS: '2.5' }, 'QINGLIU_ENERGY_VCPUS', /whole number/);
  });

  it('reports several energy problems together, each once', () => {
    const problems = problemsOf({ QINGLIU_ENERGY_REGION: 'atlantis', QINGLIU_ENERGY_PUE: '0.5', QINGLIU_ENERGY_MIN_WATTS_PER_VCPU: '-1' });
    expect(problems).toHaveLength(3);
    expect(problems.filter((p) => p.includes('QINGLIU_ENERGY_REGION'))).toHaveLength(1);
    expect(problems.filter((p) => p.startsWith('QINGLIU_ENERGY_PUE'))).toHaveLength(1);
    expect(problems.filter((p) => p.startsWith('QINGLIU_ENERGY_MIN_WATTS_PER_VCPU'))).toHaveLength(1);
  });
});

describe('the vCPUs a node holds', () => {
  const write = (text: string): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-cgroup-'));
    const file = path.join(dir, 'cpu.max');
    fs.writeFileSync(file, text);
    return file;
  };

  it('is the container’s CPU quota when one is set (rounded up), never more than the CPUs visible', () => {
    const cpus = os.availableParallelism();
    expect(nodeVcpus(write('150000 100000\n'))).toBe(Math.min(cpus, 2));
    expect(nodeVcpus(write('100000 100000\n'))).toBe(1);
    expect(nodeVcpus(write(`${(cpus + 8) * 100000} 100000\n`))).toBe(cpus);
  });

  it('is the CPUs visible without a quota, or when the file is missing or unreadable', () => {
    const cpus = os.availableParallelism();
    expect(nodeVcpus(write('max 100000\n'))).toBe(cpus);
    expect(nodeVcpus(write('garbage\n'))).toBe(cpus);
    expect(nodeVcpus(path.join(os.tmpdir(), 'no-such-dir-qingliu', 'cpu.max'))).toBe(cpus);
  });
});
