/**
 * `qingliu energy compare` as a person runs it: the real binary in a child process, on a small cut
 * of the shipped Open Bandit sample and a small show (the full-size run takes minutes). The JSON
 * must be consistent with itself and with the configuration it ran under; bad flags get one message
 * and a non-zero exit.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { operationalCarbon } from '../../src/modules/energy/carbon.js';
import { cpuTimeEnergyKwh } from '../../src/modules/energy/model.js';
import type { CompareReport, PhaseFigures } from '../../src/modules/energy/compare/index.js';
import { compareTable } from '../../src/cli/energy-compare.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');

describe('qingliu energy compare', { timeout: 120_000 }, () => {
  let dir: string;
  let obd: string;
  let env: Record<string, string>;
  /** The JSON report of the first test, rendered as text by the second. */
  let report: CompareReport | undefined;

  function qingliu(args: string[]) {
    const r = spawnSync(process.execPath, [BIN, 'energy', 'compare', ...args], { cwd: ROOT, env, input: '', encoding: 'utf8', timeout: 90_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-energy-compare-'));
    obd = path.join(dir, 'obd', 'random', 'men');
    fs.mkdirSync(obd, { recursive: true });
    const source = path.join(ROOT, 'datasets/open-bandit-dataset/random/men');
    fs.writeFileSync(path.join(obd, 'men.csv'), fs.readFileSync(path.join(source, 'men.csv'), 'utf8').split('\n').slice(0, 241).join('\n') + '\n');
    fs.copyFileSync(path.join(source, 'item_context.csv'), path.join(obd, 'item_context.csv'));
    // A PUE and a processor power other than the defaults, so the report must have read them.
    env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      QINGLIU_DATA_DIR: path.join(dir, 'data'),
      NO_COLOR: '1',
      QINGLIU_ENERGY_PUE: '1.25',
      QINGLIU_ENERGY_MAX_WATTS_PER_VCPU: '4',
    };
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--json prints the report; its energy, carbon and per-1,000 figures recompute from CPU seconds, the configured model and the counts', () => {
    const r = qingliu(['--json', '--data', path.join(dir, 'obd'), '--viewers', '120', '--rounds', '2', '--seed', '7']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as CompareReport;
    report = json;
    const energy = loadConfig(env).energy;
    const power = { minWattsPerVcpu: energy.power.minWattsPerVcpu, maxWattsPerVcpu: energy.power.maxWattsPerVcpu, pue: energy.pue };
    expect(power.pue).toBe(1.25);
    expect(power.maxWattsPerVcpu).toBe(4);
    expect(json.method.power).toEqual(power);
    expect(json.method.factor).toEqual({ id: energy.factor.id, kgPerKwh: energy.factor.kgPerKwh, year: energy.factor.year, source: energy.factor.source });
    expect(json.method.seed).toBe(7);
    expect(json.workloads.map((w) => w.id)).toEqual(['obd:random/men', 'show:baby-care']);
    expect(json.notes.some((n) => n.startsWith('REDUCED RUN: the show had 120 viewers'))).toBe(true);

    const check = (p: PhaseFigures, recommendations: number) => {
      expect(p.cpuSeconds.rounds).toHaveLength(2);
      expect(p.energyKwh).toBe(cpuTimeEnergyKwh(p.cpuSeconds.median, power));
      expect(p.carbonG).toBe(operationalCarbon(p.energyKwh, energy.factor.kgPerKwh));
      expect(p.energyKwhPer1000).toBeCloseTo((p.energyKwh * 1000) / recommendations, 20);
      expect(p.carbonGPer1000).toBe(operationalCarbon(p.energyKwhPer1000, energy.factor.kgPerKwh));
    };
    for (const w of json.workloads) {
      expect(w.recommendations).toBeGreaterThan(0);
      for (const m of [w.light, w.heavy]) {
        for (const p of [m.train, m.serve, m.total]) check(p, w.recommendations);
        m.total.cpuSeconds.rounds.forEach((t, i) => expect(t).toBeCloseTo(m.train.cpuSeconds.rounds[i]! + m.serve.cpuSeconds.rounds[i]!, 12));
      }
      expect(w.energyRatio).toBeCloseTo(w.heavy.total.energyKwhPer1000 / w.light.total.energyKwhPer1000, 12);
    }
    expect(json.workloads[0]!.recommendations).toBe(120);
    const ratios = json.workloads.map((w) => w.energyRatio);
    expect(json.verdict.pass).toBe(ratios.every((x) => x >= json.verdict.target) && json.workloads.every((w) => w.quality.lightNotSignificantlyWorse));
  });

  it('the text form is a table of both datasets and both models ending with the verdict line (rendered from the same report)', () => {
    expect(report).toBeDefined();
    const text = compareTable(report!);
    expect(text).toMatch(/^Light \(production linear bandit\) vs heavy \(multi-layer perceptron\)/);
    for (const id of ['obd:random/men', 'show:baby-care']) expect(text).toContain(`\n${id} — `);
    expect(text.match(/\n {2}light {2}/g)).toHaveLength(2);
    expect(text.match(/\n {2}heavy {2}/g)).toHaveLength(2);
    const last = text.trimEnd().split('\n').at(-1)!;
    expect(last).toBe(report!.verdict.line);
    expect(last).toMatch(/^(PASS|MISS): heavy ÷ light energy per 1,000 recommendations obd:random\/men \d+\.\d×, show:baby-care \d+\.\d×/);
    expect(last).toMatch(/light − heavy CTR: obd:random\/men [+−]\d/);
  });

  const bad: [string, string[], RegExp][] = [
    ['a seed that is not a whole number', ['--seed', '1.5'], /^qingliu: --seed must be a whole number from 0 to .* \(got "1\.5"\)\n$/],
    ['a missing data folder', ['--rounds', '1', '--data', '/nonexistent/obd'], /^qingliu: \/nonexistent\/obd: no such directory\n$/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} with one message and exit 1, printing nothing on stdout`, () => {
      const r = qingliu(args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });
  }
});
