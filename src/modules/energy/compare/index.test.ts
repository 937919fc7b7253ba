import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationalCarbon } from '../carbon.js';
import { cpuTimeEnergyKwh, type CpuPowerModel } from '../model.js';
import { CompareInputError, ENERGY_RATIO_TARGET, runEnergyCompare, type CompareOptions, type CompareReport, type PhaseFigures } from './index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const OBD = path.join(ROOT, 'datasets/open-bandit-dataset');
const POWER: CpuPowerModel = { minWattsPerVcpu: 0.74, maxWattsPerVcpu: 3.5, pue: 1.3 };
const FACTOR = { id: 'cn-national', kgPerKwh: 0.5306, year: 2023, source: 'test' };

let tmp: string;
let obdDir: string;
let powercap: string;
let report: CompareReport;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-compare-'));
  // Both shipped campaign logs, cut to their first 200 rows (real format, small work).
  obdDir = path.join(tmp, 'obd');
  for (const log of ['random/men', 'bts/men']) {
    const dir = path.join(obdDir, log);
    fs.mkdirSync(dir, { recursive: true });
    const lines = fs.readFileSync(path.join(OBD, log, 'men.csv'), 'utf8').split('\n');
    fs.writeFileSync(path.join(dir, 'men.csv'), lines.slice(0, 201).join('\n') + '\n');
    fs.copyFileSync(path.join(OBD, log, 'item_context.csv'), path.join(dir, 'item_context.csv'));
  }
  // A powercap tree whose one package counter stands still: RAPL is readable and measures 0 J.
  powercap = path.join(tmp, 'powercap');
  fs.mkdirSync(path.join(powercap, 'intel-rapl:0'), { recursive: true });
  fs.writeFileSync(path.join(powercap, 'intel-rapl:0', 'name'), 'package-0\n');
  fs.writeFileSync(path.join(powercap, 'intel-rapl:0', 'energy_uj'), '123456\n');
  fs.writeFileSync(path.join(powercap, 'intel-rapl:0', 'max_energy_range_uj'), '262143328850\n');
  report = await runEnergyCompare({ obdDir, seed: 5, rounds: 2, power: POWER, factor: FACTOR, viewers: 150, bootstrap: 50, powercapRoot: powercap });
}, 60_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function checkPhase(p: PhaseFigures, recommendations: number, rounds: number): void {
  expect(p.cpuSeconds.rounds).toHaveLength(rounds);
  expect(p.cpuSeconds.min).toBe(Math.min(...p.cpuSeconds.rounds));
  expect(p.cpuSeconds.max).toBe(Math.max(...p.cpuSeconds.rounds));
  expect(p.cpuSeconds.median).toBeGreaterThanOrEqual(p.cpuSeconds.min);
  expect(p.cpuSeconds.median).toBeLessThanOrEqual(p.cpuSeconds.max);
  expect(p.energyKwh).toBe(cpuTimeEnergyKwh(p.cpuSeconds.median, POWER));
  expect(p.carbonG).toBe(operationalCarbon(p.energyKwh, FACTOR.kgPerKwh));
  expect(p.energyKwhPer1000).toBeCloseTo((p.energyKwh * 1000) / recommendations, 20);
  expect(p.carbonGPer1000).toBe(operationalCarbon(p.energyKwhPer1000, FACTOR.kgPerKwh));
}

describe('runEnergyCompare', () => {
  it('measures both models on every log of the sample and on the show', () => {
    expect(report.workloads.map((w) => w.id)).toEqual(['obd:bts/men', 'obd:random/men', 'show:baby-care']);
    expect(report.method.power).toEqual(POWER);
    expect(report.method.factor).toEqual(FACTOR);
    expect(report.method.rounds).toBe(2);
    expect(report.notes[0]).toMatch(/^REDUCED RUN: the show had 150 viewers instead of the scenario's 12000/);
    const obd = report.workloads[0]!;
    expect(obd.recommendations).toBe(100);
    expect(obd.light.latencyMicros.lists).toBe(2 * 100);
    expect(obd.light.onlineLearningOnly).toBeNull();
    const show = report.workloads[2]!;
    expect(show.light.onlineLearningOnly).not.toBeNull();
    expect(show.light.quality.outOf).toBe(show.heavy.quality.outOf);
  });

  it('every figure recomputes from its CPU seconds, the power model, the factor and the counts', () => {
    for (const w of report.workloads) {
      for (const m of [w.light, w.heavy]) {
        for (const p of [m.train, m.serve, m.total, m.commonFeatureWork, ...(m.onlineLearningOnly ? [m.onlineLearningOnly] : [])]) checkPhase(p, w.recommendations, 2);
        m.total.cpuSeconds.rounds.forEach((t, i) => expect(t).toBeCloseTo(m.train.cpuSeconds.rounds[i]! + m.serve.cpuSeconds.rounds[i]!, 12));
        expect(m.latencyMicros.p99).toBeGreaterThanOrEqual(m.latencyMicros.median);
        expect(m.clockReadsPerRound).toBeGreaterThanOrEqual(4);
      }
      expect(w.energyRatio).toBeCloseTo(w.heavy.total.energyKwhPer1000 / w.light.total.energyKwhPer1000, 12);
      expect(w.serveEnergyRatio).toBeCloseTo(w.heavy.serve.energyKwhPer1000 / w.light.serve.energyKwhPer1000, 12);
    }
  });

  it('the verdict follows from the ratios and the quality tests', () => {
    const v = report.verdict;
    const ratios = report.workloads.map((w) => w.energyRatio);
    expect(v.minEnergyRatio).toBe(Math.min(...ratios));
    const pass = ratios.every((r) => r >= ENERGY_RATIO_TARGET) && report.workloads.every((w) => w.quality.lightNotSignificantlyWorse);
    expect(v.pass).toBe(pass);
    expect(v.line.startsWith(pass ? 'PASS: ' : 'MISS: ')).toBe(true);
    for (const w of report.workloads) {
      const d = w.quality.difference;
      expect(w.quality.lightNotSignificantlyWorse).toBe(d.ci95[1] >= 0);
      expect(w.quality.heavySignificantlyBetter).toBe(d.ci95[1] < 0);
      expect(v.line).toContain(w.id);
    }
    expect(v.heavyModelFor).toEqual(report.workloads.filter((w) => w.quality.heavySignificantlyBetter).map((w) => w.id));
  });

  it('reports RAPL joules beside the model figure where the counters are readable', () => {
    expect(report.rapl).toEqual({ available: true, reason: null });
    for (const w of report.workloads) expect(w.light.serve.raplJoules).toBe(0);
  });

  it('says why RAPL was not read where there is no powercap tree', async () => {
    const r = await runEnergyCompare({ obdDir: path.join(obdDir, 'random/men'), seed: 1, rounds: 1, power: POWER, factor: FACTOR, workloads: ['obd'], bootstrap: 20, powercapRoot: path.join(tmp, 'none') });
    expect(r.rapl.available).toBe(false);
    expect(r.rapl.reason).toMatch(/no powercap tree/);
    expect(r.workloads.map((w) => w.id)).toEqual(['obd:men']);
    expect(r.workloads[0]!.light.serve.raplJoules).toBeNull();
  });

  it('refuses bad options with one clear message', async () => {
    const base: CompareOptions = { obdDir, seed: 1, rounds: 1, power: POWER, factor: FACTOR, workloads: ['obd'], powercapRoot: null };
    await expect(runEnergyCompare({ ...base, rounds: 0 })).rejects.toThrow(new CompareInputError('rounds must be a whole number from 1 to 100 (got 0)'));
    await expect(runEnergyCompare({ ...base, power: { ...POWER, pue: 0.9 } })).rejects.toThrow(/PUE must be a finite number ≥ 1/);
    await expect(runEnergyCompare({ ...base, obdDir: path.join(tmp, 'missing') })).rejects.toThrow(/missing: no such directory/);
    await expect(runEnergyCompare({ ...base, workloads: ['show'], scenarioFile: path.join(tmp, 'missing.json') })).rejects.toThrow(CompareInputError);
  });
});
