import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeProblem, evaluateLog, loadBanditLog, type BanditLog, type EvaluationReport, type PolicyEstimate } from './index.js';
import { featureMap } from './features.js';
import { popularityRanking } from './policies.js';
import { fitLogistic, sigmoid } from './reward-model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const OBD = path.join(ROOT, 'datasets/open-bandit-dataset');

async function logOf(dir: string): Promise<BanditLog> {
  const r = await loadBanditLog(dir);
  if (!r.ok) throw new Error(describeProblem(r.problem));
  return r.log;
}

async function reportOf(log: BanditLog, options: Parameters<typeof evaluateLog>[1]): Promise<EvaluationReport> {
  const r = await evaluateLog(log, options);
  if (!r.ok) throw new Error(r.message);
  return r.report;
}

const find = (r: EvaluationReport, policy: string, estimator: string): PolicyEstimate => {
  const e = r.estimates.find((x) => x.policy === policy && x.estimator === estimator);
  if (!e) throw new Error(`no ${policy}/${estimator}`);
  return e;
};

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-eval-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Writes a folder with the given files and returns its path. */
function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

const ITEMS = ',item_id,item_feature_0,item_feature_1\n0,0,0.5,a\n1,1,-0.5,b\n2,2,1.5,a\n3,3,0.0,c\n';
const HEADER = ',timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_0,user-item_affinity_1,user-item_affinity_2,user-item_affinity_3';
/** Four rows: propensities 0.5, 0.25, 0.25, 0.5; clicks 1, 0, 1, 0. */
const TINY = [
  HEADER,
  '0,2019-11-24 00:00:01+00:00,0,1,1,0.5,u1,0,0,0,0',
  '1,2019-11-24 00:00:02+00:00,1,2,0,0.25,u2,0,1,0,0',
  '2,2019-11-24 00:00:03+00:00,2,1,1,0.25,u1,0,0,0,0',
  '3,2019-11-24 00:00:04+00:00,3,2,0,0.5,u2,2,0,0,0',
].join('\n');

describe('estimators on the Open Bandit Dataset sample (whole file: --train-fraction 0)', () => {
  it('logged: IPS and SNIPS equal the log’s CTR exactly (weights π_b/π_b = 1)', async () => {
    for (const [dir, clicks] of [['random/men', 46], ['bts/men', 69]] as const) {
      const r = await reportOf(await logOf(path.join(OBD, dir)), { policies: ['logged'], estimators: ['ips', 'snips', 'dr'], trainFraction: 0, bootstrap: 50 });
      expect(r.rows).toBe(10_000);
      expect(r.clicks).toBe(clicks);
      expect(r.loggedCtr).toBe(clicks / 10_000);
      expect(find(r, 'logged', 'ips').value).toBe(clicks / 10_000);
      expect(find(r, 'logged', 'snips').value).toBe(clicks / 10_000);
      // DR with weight 1: q̂(x,a) + (r − q̂(x,a)) = r on every row (up to rounding of q̂).
      expect(find(r, 'logged', 'dr').value).toBeCloseTo(clicks / 10_000, 15);
      expect(find(r, 'logged', 'ips').ess).toBe(10_000);
      expect(find(r, 'logged', 'ips').maxWeight).toBe(1);
    }
  });

  it('uniform on the uniformly random log: IPS and SNIPS equal its CTR, since π_e = π_b = 1/34 makes every weight exactly 1', async () => {
    const log = await logOf(path.join(OBD, 'random/men'));
    expect(log.uniform).toBe(true);
    expect(log.propensity.every((p) => p === 1 / 34)).toBe(true);
    const r = await reportOf(log, { policies: ['uniform'], estimators: ['ips', 'snips'], trainFraction: 0, bootstrap: 0 });
    expect(find(r, 'uniform', 'ips').value).toBe(46 / 10_000);
    expect(find(r, 'uniform', 'snips').value).toBe(46 / 10_000);
  });

  it('uniform on the Thompson-sampling log: IPS equals Σ click·(1/34)/propensity / n computed straight from the CSV', async () => {
    const file = path.join(OBD, 'bts/men/men.csv');
    const records = parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    let sum = 0;
    for (const rec of records) sum += (Number(rec.click) * (1 / 34)) / Number(rec.propensity_score);
    const expected = sum / records.length;
    const log = await logOf(path.dirname(file));
    expect(log.uniform).toBe(false);
    const r = await reportOf(log, { policies: ['uniform'], estimators: ['ips', 'snips'], trainFraction: 0, bootstrap: 0 });
    expect(find(r, 'uniform', 'ips').value).toBe(expected);
    expect(expected).toBeGreaterThan(0.002);
    expect(expected).toBeLessThan(0.0046); // BTS under-explores what uniform would show: below the random log's CTR here
    // The largest weight is (1/34) / the smallest propensity.
    const minP = Math.min(...records.map((x) => Number(x.propensity_score)));
    expect(find(r, 'uniform', 'ips').maxWeight).toBe(1 / 34 / minP);
  });

  it('replay is refused on a non-uniform log when asked for, and left out with a note by default', async () => {
    const log = await logOf(path.join(OBD, 'bts/men'));
    const refused = await evaluateLog(log, { policies: ['uniform'], estimators: ['replay'], trainFraction: 0, bootstrap: 0 });
    expect(refused).toMatchObject({ ok: false, code: 'REPLAY_NEEDS_UNIFORM_LOG' });
    const r = await reportOf(log, { policies: ['uniform'], trainFraction: 0, bootstrap: 0 });
    expect(r.estimates.map((e) => e.estimator)).toEqual(['ips', 'snips', 'dm', 'dr']);
    expect(r.details.notes[0]).toMatch(/^replay left out: replay is unbiased only for a uniformly random log/);
  });

  it('every policy, trained bandits included, gives finite values and intervals that contain them; bootstrap reproducible by seed', async () => {
    const log = await logOf(path.join(OBD, 'random/men'));
    const options = { trainFraction: 0.5, seed: 7, bootstrap: 60 } as const;
    const r = await reportOf(log, options);
    expect(r.rows).toBe(5000);
    expect(r.details.trainRows).toEqual([0, 5000]);
    expect(r.estimates).toHaveLength(5 * 5);
    for (const e of r.estimates) {
      expect(Number.isFinite(e.value), `${e.policy}/${e.estimator}`).toBe(true);
      expect(e.ci95[0]).toBeLessThanOrEqual(e.value);
      expect(e.ci95[1]).toBeGreaterThanOrEqual(e.value);
    }
    for (const policy of ['linucb', 'lints', 'popularity']) {
      // A deterministic policy on a uniform log over 34 items: weights are 0 or 34; ESS = rows kept.
      const ips = find(r, policy, 'ips');
      expect(ips.maxWeight).toBe(34);
      expect(ips.ess).toBe(find(r, policy, 'replay').ess);
      expect(ips.ess!).toBeGreaterThan(100);
      expect(find(r, policy, 'dm').ess).toBeNull();
    }
    const again = await reportOf(log, options);
    expect(again.estimates).toEqual(r.estimates);
    const other = await reportOf(log, { ...options, seed: 8 });
    expect(other.estimates.map((e) => e.ci95)).not.toEqual(r.estimates.map((e) => e.ci95));
  });

  it('the MLP, on request only: trained on the same rows and features as the bandits, greedy, reproducible by seed', async () => {
    const log = await logOf(path.join(OBD, 'random/men'));
    const options = { policies: ['mlp', 'linucb'] as const, estimators: ['ips', 'snips', 'dm', 'dr'] as const, trainFraction: 0.5, seed: 3, bootstrap: 40 };
    const r = await reportOf(log, { ...options, policies: [...options.policies], estimators: [...options.estimators] });
    expect(r.estimates.map((e) => e.policy)).toEqual([...Array<string>(4).fill('mlp'), ...Array<string>(4).fill('linucb')]);
    const ips = find(r, 'mlp', 'ips');
    expect(ips.maxWeight).toBe(34);
    expect(ips.ess!).toBeGreaterThan(100);
    for (const e of r.estimates) expect(Number.isFinite(e.value), `${e.policy}/${e.estimator}`).toBe(true);
    const again = await reportOf(log, { ...options, policies: [...options.policies], estimators: [...options.estimators] });
    expect(again.estimates).toEqual(r.estimates);
    // Not in the default set.
    expect((await reportOf(log, { trainFraction: 0.5, bootstrap: 0 })).estimates.some((e) => e.policy === 'mlp')).toBe(false);
  });
});

describe('a tiny hand-made log', () => {
  it('IPS, SNIPS, ESS and the largest weight of the uniform policy match a hand calculation', async () => {
    const log = await logOf(folder('tiny', { 'item_context.csv': ITEMS, 'log.csv': TINY }));
    expect(log.uniform).toBe(false);
    const r = await reportOf(log, { policies: ['uniform', 'logged'], estimators: ['ips', 'snips'], trainFraction: 0, bootstrap: 20 });
    // π_e = 1/4: weights 0.5, 1, 1, 0.5; clicks 1, 0, 1, 0.
    expect(find(r, 'uniform', 'ips').value).toBe((0.5 + 1) / 4);
    expect(find(r, 'uniform', 'snips').value).toBe(1.5 / 3);
    expect(find(r, 'uniform', 'ips').ess).toBe(9 / 2.5);
    expect(find(r, 'uniform', 'ips').maxWeight).toBe(1);
    expect(find(r, 'logged', 'ips')).toMatchObject({ value: 0.5, ess: 4, maxWeight: 1 });
  });

  it('popularity ranks by (clicks + 1) / (impressions + 2), ties by item order', async () => {
    const log = await logOf(folder('tiny', { 'item_context.csv': ITEMS, 'log.csv': TINY }));
    // items 0 and 2: 2/3; items 1 and 3: 1/3.
    expect(popularityRanking(log, [0, 4])).toEqual([0, 2, 1, 3]);
    const r = await reportOf(log, { policies: ['popularity'], estimators: ['ips'], trainFraction: 0, bootstrap: 0 });
    // position 1 → item 0, position 2 → item 2: only row 1 (item 0, position 1, click, p 0.5) matches.
    expect(find(r, 'popularity', 'ips')).toMatchObject({ value: 2 / 4, ess: 1, maxWeight: 2 });
  });

  it('the feature map: bias, item features, position and context one-hots, log(1 + affinity)', async () => {
    const log = await logOf(folder('tiny', { 'item_context.csv': ITEMS, 'log.csv': TINY }));
    const map = featureMap(log, { itemIdentity: false });
    expect(map.names).toEqual(['bias', 'item_feature_0', 'item_feature_1=a', 'item_feature_1=b', 'item_feature_1=c', 'position=1', 'position=2', 'user_feature_0=u1', 'user_feature_0=u2', 'log1p(user-item affinity)']);
    const x = new Float64Array(map.dim);
    map.encode(3, 0, 2, x); // row 4 (affinity 2 for item 0), item 0, position 2
    expect(Array.from(x.slice(2))).toEqual([1, 0, 0, 0, 1, 0, 1, Math.log1p(2)]);
    expect(featureMap(log, { itemIdentity: true }).names).toContain('item=3');
  });
});

describe('the reward model', () => {
  it('ridge logistic regression reaches the penalised optimum: Xᵀ(p − y) + λβ = 0 (bias unpenalised)', () => {
    const n = 200;
    const d = 3;
    const X = new Float64Array(n * d);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      X[i * d] = 1;
      X[i * d + 1] = (i % 10) / 10;
      X[i * d + 2] = i % 3 === 0 ? 1 : 0;
      y[i] = (i * 7) % 11 < 3 + (i % 3 === 0 ? 4 : 0) ? 1 : 0;
    }
    const lambda = 2;
    const model = fitLogistic(X, y, d, lambda);
    for (let j = 0; j < d; j++) {
      let g = j === 0 ? 0 : lambda * model.weights[j]!;
      for (let i = 0; i < n; i++) g += (sigmoid(X[i * d]! * model.weights[0]! + X[i * d + 1]! * model.weights[1]! + X[i * d + 2]! * model.weights[2]!) - y[i]!) * X[i * d + j]!;
      expect(Math.abs(g)).toBeLessThan(1e-8);
    }
  });
});

describe('loading', () => {
  const bad = async (files: Record<string, string>) => {
    const r = await loadBanditLog(folder(`bad-${Math.random().toString(36).slice(2)}`, files));
    if (r.ok) throw new Error('expected a problem');
    return describeProblem(r.problem).replace(/^.*[\\/]/, '');
  };
  const row = (values: string) => `${HEADER}\n0,2019-11-24 00:00:01+00:00,0,1,0,0.5,u1,0,0,0,0\n${values}`;

  it('names the line where a quote that is never closed opens', async () => {
    const text = `${HEADER}\n0,2019-11-24 00:00:01+00:00,0,1,0,0.5,u1,0,0,0,0\n1,"2019-11-24 00:00:02+00:00,1,1,0,0.5,u1,0,0,0,0\n2,2019-11-24 00:00:03+00:00,1,1,0,0.5,u1,0,0,0,0\n`;
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': text })).toBe('log.csv: not valid CSV: the quote opened on line 3 is never closed');
  });

  it('names file, 1-based data row and column for each kind of bad value', async () => {
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': row('1,2019-11-24 00:00:02+00:00,1,1,0,1.5,u1,0,0,0,0') })).toBe('log.csv, row 2, column propensity_score: propensity must be a number in (0, 1] (got "1.5")');
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': row('1,2019-11-24 00:00:02+00:00,1,1,0,0,u1,0,0,0,0') })).toMatch(/^log.csv, row 2, column propensity_score: /);
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': row('1,2019-11-24 00:00:02+00:00,9,1,0,0.5,u1,0,0,0,0') })).toBe('log.csv, row 2, column item_id: item "9" is not in item_context.csv');
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': row('1,2019-11-24 00:00:02+00:00,1,1,yes,0.5,u1,0,0,0,0') })).toBe('log.csv, row 2, column click: click must be 0 or 1 (got "yes")');
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': row('1,2019-11-24 00:00:02+00:00,1,0,0,0.5,u1,0,0,0,0') })).toMatch(/^log.csv, row 2, column position: /);
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': row('1,yesterday,1,1,0,0.5,u1,0,0,0,0') })).toMatch(/^log.csv, row 2, column timestamp: /);
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': row('1,2019-11-24 00:00:02+00:00,1,1,0,0.5,u1,0,x,0,0') })).toMatch(/^log.csv, row 2, column user-item_affinity_1: /);
  });

  it('missing columns, empty files, several logs, no item_context.csv', async () => {
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': ',timestamp,item_id,position,click\n0,2019-11-24,0,1,0\n' })).toBe('log.csv, column propensity_score: missing column (the header needs timestamp, item_id, position, click, propensity_score)');
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': '' })).toBe('log.csv: empty file (no header row)');
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': HEADER + '\n' })).toBe('log.csv: no data rows (only a header)');
    expect(await bad({ 'item_context.csv': ITEMS, 'a.csv': TINY, 'b.csv': TINY })).toMatch(/: 2 log csv files \(a\.csv, b\.csv\); expected exactly one besides item_context.csv$/);
    expect(await bad({ 'log.csv': TINY })).toBe('item_context.csv: missing: the Open Bandit Dataset layout needs item_context.csv beside log.csv');
    expect(await bad({ 'item_context.csv': ITEMS, 'log.csv': `${TINY}\n4,2019-11-24 00:00:05+00:00,0,1` })).toBe('log.csv, row 5: has 4 fields, the header has 11');
    const missing = await loadBanditLog(path.join(tmp, 'nope'));
    expect(missing.ok ? '' : describeProblem(missing.problem)).toMatch(/nope: no such directory$/);
  });

  it('reads a Qingliu decision-log export: string item ids, optional item_context.csv, numeric and categorical context, sorted by time', async () => {
    const csv = [
      'decision_id,timestamp,item_id,position,click,propensity_score,room.viewers,viewer.segment,user-item_affinity_p-2',
      'd2,2026-02-01T10:00:05.000Z,p-2,1,1,0.5,0.3,new,1',
      'd1,2026-02-01T10:00:00.000Z,p-1,1,0,0.5,0.2,returning,0',
      'd1,2026-02-01T10:00:00.000Z,p-2,2,0,0.5,0.2,returning,0',
    ].join('\n');
    const log = await logOf(folder('export', { 'decisions.csv': csv }));
    expect(log.layout).toBe('qingliu');
    expect(log.itemIds).toEqual(['p-2', 'p-1']);
    expect(log.uniform).toBe(true); // 1/2 for two candidate items
    expect(Array.from(log.click)).toEqual([0, 0, 1]); // oldest first
    expect(log.context.map((c) => [c.name, c.kind])).toEqual([['room.viewers', 'numeric'], ['viewer.segment', 'categorical']]);
    expect(Array.from(log.affinity!)).toEqual([0, 0, 0, 0, 1, 0]);
    const r = await reportOf(log, { policies: ['logged', 'uniform'], estimators: ['ips', 'replay'], trainFraction: 0, bootstrap: 10 });
    expect(find(r, 'logged', 'ips').value).toBe(1 / 3);
    expect(find(r, 'uniform', 'ips').value).toBe(1 / 3);
  });
});
