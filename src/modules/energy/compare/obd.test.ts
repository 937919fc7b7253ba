import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BanditLog, banditPolicy, featureMap, loadBanditLog, mlpPolicy } from '../../evaluation/index.js';
import { CompareInputError, findObdLogs, obdWorkload, obdWorkloads, type ObdOptions } from './obd.js';
import type { ModelRun, PhaseMeter } from './workload.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const OBD = path.join(ROOT, 'datasets/open-bandit-dataset');
const OPTIONS: ObdOptions = { seed: 3, trainFraction: 0.5, bootstrap: 200, alpha: 0.5, hidden: [64, 32], epochs: 10 };

let tmp: string;
let small: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-compare-obd-'));
  // The real random/men log cut to its first 800 rows: the real format, a small workload.
  small = path.join(tmp, 'sample', 'random', 'men');
  fs.mkdirSync(small, { recursive: true });
  const lines = fs.readFileSync(path.join(OBD, 'random/men/men.csv'), 'utf8').split('\n');
  fs.writeFileSync(path.join(small, 'men.csv'), lines.slice(0, 801).join('\n') + '\n');
  fs.copyFileSync(path.join(OBD, 'random/men/item_context.csv'), path.join(small, 'item_context.csv'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function logOf(dir: string): Promise<BanditLog> {
  const r = await loadBanditLog(dir);
  if (!r.ok) throw new Error('fixture did not load');
  return r.log;
}

/** A meter that runs the work and counts its calls (the clock reads a phase makes). */
function countingMeter(): PhaseMeter & { calls: number } {
  const m = { calls: 0, run: (work: () => void) => (m.calls++, work()) };
  return m;
}

function served(run: ModelRun): { model: number; common: number } {
  const train = countingMeter();
  run.train(train);
  expect(train.calls).toBe(1);
  const meter = countingMeter();
  const common = countingMeter();
  run.serve(meter, common);
  run.verify();
  return { model: meter.calls, common: common.calls };
}

describe('finding the logs', () => {
  it('finds both campaign logs of the shipped sample, sorted, and one log given directly', async () => {
    expect((await findObdLogs(OBD)).map((l) => l.id)).toEqual(['bts/men', 'random/men']);
    expect((await findObdLogs(path.join(OBD, 'random/men'))).map((l) => l.id)).toEqual(['men']);
  });

  it('refuses a missing folder and a folder without any log, naming it', async () => {
    await expect(findObdLogs(path.join(tmp, 'nope'))).rejects.toThrow(new CompareInputError(`${path.join(tmp, 'nope')}: no such directory`));
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    await expect(findObdLogs(empty)).rejects.toThrow(/no log found/);
  });

  it('a malformed log is refused with the loader’s message (file, row, column)', async () => {
    const bad = path.join(tmp, 'bad');
    fs.mkdirSync(bad, { recursive: true });
    fs.copyFileSync(path.join(OBD, 'random/men/item_context.csv'), path.join(bad, 'item_context.csv'));
    fs.writeFileSync(path.join(bad, 'log.csv'), ',timestamp,item_id,position,click,propensity_score\n0,2019-11-24,0,1,maybe,0.5\n');
    await expect(obdWorkloads(bad, OPTIONS)).rejects.toThrow(/log\.csv, row 1, column click: click must be 0 or 1/);
  });
});

describe('the OBD workload', () => {
  it('makes the picks `qingliu evaluate`’s greedy policies make, measuring per chunk of impressions, not per item', async () => {
    const log = await logOf(small);
    const w = obdWorkload('obd:random/men', log, OPTIONS);
    expect(w.recommendations).toBe(400);
    expect(w.itemsPerList).toBe(34);
    expect(w.trainingExamples).toBe(400);

    const light = w.light.newRun();
    const heavy = w.heavy.newRun();
    // 400 impressions in chunks of 256: two clock-read pairs per model, two for the common vectors.
    expect(served(light)).toEqual({ model: 2, common: 2 });
    expect(served(heavy)).toEqual({ model: 2, common: 2 });

    // The same models trained by the evaluation module choose the same items on every evaluated row.
    const map = featureMap(log, { itemIdentity: false });
    const lightPolicy = banditPolicy(log, map, [0, 400], { kind: 'linucb', seed: 3, alpha: 0.5 }).policy;
    const heavyPolicy = mlpPolicy(log, map, [0, 400], { seed: 3, hidden: [64, 32], epochs: 10 }).policy;
    const q = w.quality();
    let lightKept = 0;
    let heavyKept = 0;
    let lightClicks = 0;
    for (let r = 400; r < 800; r++) {
      if (lightPolicy.kind !== 'deterministic' || heavyPolicy.kind !== 'deterministic') throw new Error('greedy policies are deterministic');
      if (lightPolicy.choose(r) === log.item[r]) {
        lightKept++;
        lightClicks += log.click[r]!;
      }
      if (heavyPolicy.choose(r) === log.item[r]) heavyKept++;
    }
    expect(q.light.outOf).toBe(lightKept);
    expect(q.heavy.outOf).toBe(heavyKept);
    expect(q.light.clicks).toBe(lightClicks);
    // On a uniformly random log SNIPS is replay: clicks over kept rows.
    expect(q.light.snips).toBe(lightKept === 0 ? Number.NaN : lightClicks / lightKept);
    expect(q.difference.estimate).toBeCloseTo(q.light.ctr - q.heavy.ctr, 15);
    for (const m of [q.light, q.heavy]) {
      expect(Number.isFinite(m.ctr)).toBe(true);
      expect(m.ci95[0]).toBeLessThanOrEqual(m.ci95[1]);
    }
  });

  it('a second round reproduces the first round’s picks (training is deterministic); the latency pass times every impression', async () => {
    const w = obdWorkload('obd:random/men', await logOf(small), OPTIONS);
    for (let round = 0; round < 2; round++) served(w.light.newRun());
    const run = w.light.newRun();
    served(run);
    const samples: number[] = [];
    run.latency(samples);
    expect(samples).toHaveLength(400);
    expect(samples.every((s) => s >= 0)).toBe(true);
  });

  it('refuses a log too small to split', async () => {
    const log = await logOf(small);
    expect(() => obdWorkload('x', log, { ...OPTIONS, trainFraction: 0 })).toThrow(CompareInputError);
  });
});
