/**
 * `qingliu energy report|regions` on a SQLite file holding known samples: the real binary for the
 * JSON report and a start-up refusal (exit codes of a real process), the rest through runCli in
 * this process (each binary start costs seconds). Bad input gets one message and a non-zero exit;
 * a configuration problem stops the command with exit 2 and names the setting.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { KyselyEnergyStore } from '../../src/modules/energy/adapters/energy.kysely.js';
import type { EnergyReport, RegionAdvice } from '../../src/modules/energy/index.js';
import type { StoredSample } from '../../src/modules/energy/ports.js';
import { openStorage } from '../../src/storage/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ZERO = { recommend: 0, learn: 0, audits: 0, assistant: 0, serving: 0, storage: 0 };

/** The settings the command reads from the environment; cleared so the outer environment cannot leak in. */
const ENERGY_ENV = ['QINGLIU_ENERGY_REGION', 'QINGLIU_ENERGY_FACTOR_YEAR', 'QINGLIU_ENERGY_FACTOR_KG_PER_KWH', 'QINGLIU_ENERGY_FACTOR_SOURCE', 'QINGLIU_ENERGY_PUE', 'QINGLIU_ENERGY_MIN_WATTS_PER_VCPU', 'QINGLIU_ENERGY_MAX_WATTS_PER_VCPU', 'QINGLIU_ENERGY_EMBODIED_KG', 'QINGLIU_ENERGY_HOST_VCPUS', 'DATABASE_URL'];

function sample(id: string, startedAt: number, over: Partial<StoredSample>): StoredSample {
  const wallMs = over.wallMs ?? 60_000;
  return { id, node: 'n1', startedAt, endedAt: startedAt + wallMs, wallMs, vcpus: 2, processCpuMicros: 0, componentMicros: { ...ZERO }, otherMicros: 0, spanScale: 1, memoryGbHours: 0, raplJoules: null, raplNote: null, counts: { ...ZERO }, ...over };
}

/**
 * Two samples in the last 30 days (a: 1 min on 2 vCPUs, 1.5 CPU-s, 0.01 GB-h, 120 lists;
 * b: 2 min on 4 vCPUs, 6 CPU-s, 0.03 GB-h, 380 lists) and one 40 days back (outside the default).
 * By hand, at the defaults (0.74–3.5 W, PUE 1.3, cn-national 2023 = 0.5306 kg/kWh):
 *   vCPU-h = (60 × 2 + 120 × 4) / 3600 = 1/6;  CPU-h = 7.5 / 3600;  GB-h = 0.04
 *   compute = (1/6 × 0.74 + 7.5/3600 × 2.76) / 1000;  memory = 0.04 × 0.000392
 */
const COMPUTE = ((1 / 6) * 0.74 + (7.5 / 3600) * 2.76) / 1000;
const MEMORY = 0.04 * 0.000392;
const ENERGY = (COMPUTE + MEMORY) * 1.3;
const CARBON = ENERGY * 0.5306 * 1000;
const SCI = (CARBON * 1000) / 500;

function close(actual: number | null | undefined, expected: number, what = ''): void {
  expect(actual, what).toBeTypeOf('number');
  expect(Math.abs((actual as number) - expected), what).toBeLessThanOrEqual(1e-12 * Math.abs(expected));
}

/** Recomputes the report's figures from its own inputs, as its `model.formula` says. */
function expectRecomputes(r: EnergyReport): void {
  const m = r.model;
  const computeItKwh = (m.vcpuHours * m.minWattsPerVcpu + (r.cpuSeconds / 3600) * (m.maxWattsPerVcpu - m.minWattsPerVcpu)) / 1000;
  const energyKwh = (computeItKwh + m.memoryGbHours * m.memoryKwhPerGbHour) * r.pue;
  const carbonG = energyKwh * r.gridFactor.value * 1000;
  close(r.energyKwh, energyKwh, 'energyKwh');
  close(r.carbonG, carbonG, 'carbonG');
  close(r.sciPer1000Recommendations, ((carbonG + (r.embodiedG ?? 0)) * 1000) / r.recommendations, 'sci');
}

describe('qingliu energy', { timeout: 120_000 }, () => {
  let dir: string;
  let db: string;
  let dataDir: string;

  /** The real binary, with a clean environment plus `env`. */
  function qingliu(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: dir, QINGLIU_DATA_DIR: dataDir, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  /** runCli in this process, stdout and stderr captured, the energy settings from `env` only. */
  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
    vi.stubEnv('QINGLIU_DATA_DIR', dataDir);
    for (const key of ENERGY_ENV) vi.stubEnv(key, env[key]);
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const status = await runCli(args);
      return { status, stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-energy-cli-'));
    db = path.join(dir, 'qingliu.sqlite');
    dataDir = path.join(dir, 'data');
    const storage = await openStorage(`sqlite:${db}`);
    try {
      const store = new KyselyEnergyStore(storage.db);
      const now = Date.now();
      await store.append(
        sample('a', now - 3 * HOUR, { processCpuMicros: 1_500_000, componentMicros: { ...ZERO, recommend: 1_000_000 }, otherMicros: 500_000, memoryGbHours: 0.01, counts: { ...ZERO, recommend: 120 } }),
        [],
      );
      await store.append(
        sample('b', now - 2 * HOUR, {
          wallMs: 120_000,
          vcpus: 4,
          processCpuMicros: 6_000_000,
          componentMicros: { ...ZERO, recommend: 3_000_000, audits: 2_000_000 },
          otherMicros: 1_000_000,
          memoryGbHours: 0.03,
          counts: { ...ZERO, recommend: 380, audits: 1 },
        }),
        [],
      );
      await store.append(sample('old', now - 40 * DAY, { processCpuMicros: 9_000_000, otherMicros: 9_000_000, memoryGbHours: 1, counts: { ...ZERO, recommend: 1000 } }), []);
    } finally {
      await storage.close();
    }
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('report --json (the real binary): the issue’s fields, the hand-computed figures, and they recompute', async () => {
    const r = await qingliu(['energy', 'report', '--json', '--db', `sqlite:${db}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as EnergyReport;
    for (const key of ['method', 'cpuSeconds', 'energyKwh', 'region', 'gridFactor', 'pue', 'carbonG', 'recommendations', 'sciPer1000Recommendations'] as const) expect(report, key).toHaveProperty(key);
    expect(report).toMatchObject({ method: 'ccf-utilisation', region: 'cn-national', pue: 1.3, recommendations: 500, samples: 2 });
    expect(report.gridFactor).toMatchObject({ value: 0.5306, year: 2023, source: expect.stringMatching(/MEE\/NBS/) });
    close(report.cpuSeconds, 7.5);
    close(report.energyKwh, ENERGY);
    close(report.carbonG, CARBON);
    close(report.sciPer1000Recommendations, SCI);
    expectRecomputes(report);
  });

  it('an unknown QINGLIU_ENERGY_REGION (the real binary): exit 2, one message naming it, nothing on stdout', async () => {
    const r = await qingliu(['energy', 'report', '--json', '--db', `sqlite:${db}`], { QINGLIU_ENERGY_REGION: 'atlantis' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/^qingliu: /gm)).toHaveLength(1);
    expect(r.stderr.match(/^ {2}- /gm)).toHaveLength(1);
    expect(r.stderr).toMatch(/QINGLIU_ENERGY_REGION "atlantis" is not a known site or grid area/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('report in another region and period: its factor and PUE apply; --since takes ISO times and spans back from now', async () => {
    const chengdu = await cli(['energy', 'report', '--json', '--db', `sqlite:${db}`], { QINGLIU_ENERGY_REGION: 'chengdu' });
    expect(chengdu.stderr).toBe('');
    expect(chengdu.status).toBe(0);
    const rc = JSON.parse(chengdu.stdout) as EnergyReport;
    expect(rc).toMatchObject({ region: 'chengdu', pue: 1.3, gridFactor: { id: 'cn-sichuan', value: 0.1404, year: 2022 } });
    close(rc.carbonG, ENERGY * 0.1404 * 1000);
    expectRecomputes(rc);
    // 45 days back takes in the old sample too; 150 minutes back only sample b.
    const wide = JSON.parse((await cli(['energy', 'report', '--json', '--since', '45d', '--db', `sqlite:${db}`])).stdout) as EnergyReport;
    expect(wide).toMatchObject({ samples: 3, recommendations: 1500 });
    expectRecomputes(wide);
    const iso = new Date(Date.now() - 150 * 60_000).toISOString();
    const recent = JSON.parse((await cli(['energy', 'report', '--json', '--since', iso, '--db', `sqlite:${db}`])).stdout) as EnergyReport;
    expect(recent).toMatchObject({ samples: 1, recommendations: 380 });
    // The text form names the method, the factor with its year and source, and the SCI.
    const text = await cli(['energy', 'report', '--db', `sqlite:${db}`]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/method {8}ccf-utilisation: /);
    expect(text.stdout).toMatch(/grid factor {3}0\.5306 kg CO2e\/kWh, 2023, MEE\/NBS/);
    expect(text.stdout).toContain(`SCI           ${SCI.toFixed(4)} g CO2e per 1,000 recommendations`);
    expect(text.stdout).toMatch(/^ {2}recommend {5}/m);
  });

  it('regions --json: sites ranked by gCO2e per 1,000 recommendations for the measured workload, each factor with year and source', async () => {
    const r = await cli(['energy', 'regions', '--json', '--db', `sqlite:${db}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const advice = JSON.parse(r.stdout) as RegionAdvice;
    close(advice.workload.kwhPer1000, ((COMPUTE + MEMORY) * 1000) / 500);
    expect(advice.workload.recommendations).toBe(500);
    expect(advice.current).toBe('cn-national');
    expect(advice.ranking[0]).toMatchObject({ id: 'chengdu', factorYear: 2022 });
    for (const [i, site] of advice.ranking.entries()) {
      expect(site.factorSource).toMatch(/MEE\/NBS/);
      close(site.gPer1000, advice.workload.kwhPer1000! * site.pue * site.kgPerKwh * 1000);
      if (i > 0) expect(site.gPer1000!).toBeGreaterThanOrEqual(advice.ranking[i - 1]!.gPer1000!);
    }
    // The current region's figure is the report's SCI.
    close(advice.ranking.find((s) => s.current)!.gPer1000, SCI);
    // A given workload; and text with the sources.
    const given = JSON.parse((await cli(['energy', 'regions', '--json', '--kwh-per-1000', '0.002', '--db', `sqlite:${db}`])).stdout) as RegionAdvice;
    expect(given.workload).toEqual({ kwhPer1000: 0.002, measuredFrom: 'given', recommendations: 0 });
    const text = await cli(['energy', 'regions', '--db', `sqlite:${db}`]);
    expect(text.stdout).toMatch(/^ {2} 1\. chengdu/m);
    expect(text.stdout).toContain('← this deployment');
    expect(text.stdout).toContain('Factor sources:');
  });

  it('bad --since: one message, non-zero exit, nothing on stdout', async () => {
    for (const since of ['yesterday', '2026-02-30x', '-3d']) {
      const r = await cli(['energy', 'report', '--json', '--since', since, '--db', `sqlite:${db}`]);
      expect(r.status, since).not.toBe(0);
      expect(r.stdout, since).toBe('');
      expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('error:') || l.startsWith('qingliu:')), since).toHaveLength(1);
      expect(r.stderr, since).toMatch(/--since <time>' argument .* is invalid\. must be an ISO 8601 time/);
    }
    const backwards = await cli(['energy', 'report', '--since', '2026-11-02', '--until', '2026-11-01', '--db', `sqlite:${db}`]);
    expect(backwards.status).not.toBe(0);
    expect(backwards.stdout).toBe('');
    expect(backwards.stderr).toBe('qingliu: --since must be before --until\n');
    const badKwh = await cli(['energy', 'regions', '--kwh-per-1000', '0', '--db', `sqlite:${db}`]);
    expect(badKwh.status).not.toBe(0);
    expect(badKwh.stderr).toMatch(/must be a number of kWh > 0 and ≤ 1000/);
  });

  it('a factor without its source, or without its year: exit 2, one message', async () => {
    const noSource = await cli(['energy', 'report', '--db', `sqlite:${db}`], { QINGLIU_ENERGY_REGION: 'my-dc', QINGLIU_ENERGY_FACTOR_KG_PER_KWH: '0.42', QINGLIU_ENERGY_FACTOR_YEAR: '2024' });
    expect(noSource.status).toBe(2);
    expect(noSource.stdout).toBe('');
    expect(noSource.stderr.match(/^ {2}- /gm)).toHaveLength(1);
    expect(noSource.stderr).toMatch(/QINGLIU_ENERGY_FACTOR_KG_PER_KWH: custom factor "my-dc": source is required/);
    const noYear = await cli(['energy', 'regions', '--db', `sqlite:${db}`], { QINGLIU_ENERGY_REGION: 'my-dc', QINGLIU_ENERGY_FACTOR_KG_PER_KWH: '0.42', QINGLIU_ENERGY_FACTOR_SOURCE: 'Supplier' });
    expect(noYear.status).toBe(2);
    expect(noYear.stderr).toMatch(/year is required/);
    // With all three, the operator's factor applies.
    const ok = await cli(['energy', 'report', '--json', '--db', `sqlite:${db}`], { QINGLIU_ENERGY_REGION: 'my-dc', QINGLIU_ENERGY_FACTOR_KG_PER_KWH: '0.42', QINGLIU_ENERGY_FACTOR_YEAR: '2024', QINGLIU_ENERGY_FACTOR_SOURCE: 'Supplier' });
    expect(ok.status).toBe(0);
    const r = JSON.parse(ok.stdout) as EnergyReport;
    expect(r).toMatchObject({ region: 'my-dc', gridFactor: { id: 'my-dc', value: 0.42, year: 2024, source: 'Supplier', scope: 'custom' } });
    close(r.carbonG, ENERGY * 0.42 * 1000);
  });
});
