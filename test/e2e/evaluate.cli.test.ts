/**
 * `qingliu evaluate` as a person runs it: the real binary in a child process. Bad input gets one
 * message naming file, row and column and a non-zero exit; tiny temp fixtures keep it fast.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');

const ITEMS = ',item_id,item_feature_0,item_feature_1\n0,0,0.5,a\n1,1,-0.5,b\n2,2,1.5,a\n3,3,0.0,c\n';
const HEADER = ',timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_0,user-item_affinity_1,user-item_affinity_2,user-item_affinity_3';
const rows = (n: number, p = '0.25') =>
  Array.from({ length: n }, (_, i) => `${i},2019-11-24 00:00:${String(i % 60).padStart(2, '0')}+00:00,${i % 4},${(i % 3) + 1},${i % 5 === 0 ? 1 : 0},${p},u${i % 2},0,${i % 7 === 0 ? 1 : 0},0,0`);

describe('qingliu evaluate', { timeout: 120_000 }, () => {
  let dir: string;

  function qingliu(args: string[]) {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, QINGLIU_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    const r = spawnSync(process.execPath, [BIN, 'evaluate', ...args], { cwd: ROOT, env, input: '', encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function fixture(name: string, log: string | undefined, items: string | undefined = ITEMS): string {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    if (log !== undefined) fs.writeFileSync(path.join(d, 'log.csv'), log);
    if (items !== undefined) fs.writeFileSync(path.join(d, 'item_context.csv'), items);
    return d;
  }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-evaluate-'));
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--json prints exactly one object with rows, clicks, loggedCtr and the estimates; the on-policy value is the CTR', () => {
    const d = fixture('good', [HEADER, ...rows(40)].join('\n'));
    const r = qingliu(['--data', d, '--json', '--train-fraction', '0.5', '--seed', '3', '--bootstrap', '50']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { rows: number; clicks: number; loggedCtr: number; estimates: { policy: string; estimator: string; value: number; ci95: number[]; ess: number | null; maxWeight: number | null }[] };
    expect(Object.keys(out)).toEqual(['rows', 'clicks', 'loggedCtr', 'estimates']);
    expect(out.rows).toBe(20);
    expect(out.clicks).toBe(4); // rows 21–40: i = 20, 25, 30, 35
    expect(out.loggedCtr).toBe(4 / 20);
    expect(new Set(out.estimates.map((e) => e.policy))).toEqual(new Set(['uniform', 'logged', 'popularity', 'linucb', 'lints']));
    expect(new Set(out.estimates.map((e) => e.estimator))).toEqual(new Set(['replay', 'ips', 'snips', 'dm', 'dr']));
    const logged = out.estimates.find((e) => e.policy === 'logged' && e.estimator === 'ips')!;
    expect(logged).toMatchObject({ value: 0.2, ess: 20, maxWeight: 1 });
    expect(logged.ci95[0]).toBeLessThanOrEqual(0.2);
    expect(logged.ci95[1]).toBeGreaterThanOrEqual(0.2);
    for (const e of out.estimates.filter((x) => x.estimator !== 'replay')) expect(Number.isFinite(e.value), `${e.policy}/${e.estimator}`).toBe(true);
  });

  it('prints a readable table, and notes on stderr when replay is left out of a non-uniform log', () => {
    const d = fixture('table', [HEADER, ...rows(30, '0.5')].join('\n'));
    const r = qingliu(['--data', d, '--policy', 'uniform,logged', '--bootstrap', '20']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Off-policy evaluation of .*log\.csv\n/);
    expect(r.stdout).toMatch(/\npolicy +estimator +CTR estimate +95 % interval +ESS +max weight\n/);
    expect(r.stdout).toMatch(/\nlogged +ips +20\.000 % +\[/);
    expect(r.stderr).toMatch(/^qingliu: note: replay left out: replay is unbiased only for a uniformly random log/);
  });

  const cases: [string, () => string[], RegExp, number][] = [
    ['a propensity outside (0, 1]', () => ['--data', fixture('p', [HEADER, ...rows(3), '3,2019-11-24 00:01:00+00:00,1,1,0,1.2,u1,0,0,0,0'].join('\n'))], /^qingliu: .*log\.csv, row 4, column propensity_score: propensity must be a number in \(0, 1\] \(got "1\.2"\)\n$/, 1],
    ['an item not in item_context.csv', () => ['--data', fixture('item', [HEADER, ...rows(1), '1,2019-11-24 00:01:00+00:00,77,1,0,0.25,u1,0,0,0,0'].join('\n'))], /^qingliu: .*log\.csv, row 2, column item_id: item "77" is not in item_context\.csv\n$/, 1],
    ['a non-numeric click', () => ['--data', fixture('click', [HEADER, ...rows(2), '2,2019-11-24 00:01:00+00:00,1,1,maybe,0.25,u1,0,0,0,0'].join('\n'))], /^qingliu: .*log\.csv, row 3, column click: click must be 0 or 1 \(got "maybe"\)\n$/, 1],
    ['a click written as hex', () => ['--data', fixture('hex', [HEADER, ...rows(2), '2,2019-11-24 00:01:00+00:00,1,1,0x1,0.25,u1,0,0,0,0'].join('\n'))], /^qingliu: .*log\.csv, row 3, column click: click must be 0 or 1 \(got "0x1"\)\n$/, 1],
    ['a huge position', () => ['--data', fixture('huge', [HEADER, ...rows(2), '2,2019-11-24 00:01:00+00:00,1,100000,0,0.25,u1,0,0,0,0'].join('\n'))], /^qingliu: .*log\.csv, row 3, column position: position must be a whole number from 1 to 100 \(got "100000"\)\n$/, 1],
    ['a position beyond the items', () => ['--data', fixture('beyond', [HEADER, ...rows(2), '2,2019-11-24 00:01:00+00:00,1,9,0,0.25,u1,0,0,0,0'].join('\n'))], /^qingliu: .*log\.csv, row 3, column position: position 9 but only 4 items to show\n$/, 1],
    ['a date that is not ISO 8601', () => ['--data', fixture('date', [HEADER, ...rows(2), '2,March 7,1,1,0,0.25,u1,0,0,0,0'].join('\n'))], /^qingliu: .*log\.csv, row 3, column timestamp: timestamp must be ISO 8601 or epoch milliseconds \(got "March 7"\)\n$/, 1],
    ['a column name given twice', () => ['--data', fixture('twice', [HEADER.replace('user_feature_0', 'click'), ...rows(2)].join('\n'))], /^qingliu: .*log\.csv, column click: header \(line 1\): the column name appears twice \(places 5 and 7\)\n$/, 1],
    ['a missing column', () => ['--data', fixture('cols', ',timestamp,item_id,position,propensity_score\n0,2019-11-24,0,1,0.25\n')], /^qingliu: .*log\.csv, column click: missing column/, 1],
    ['an empty file', () => ['--data', fixture('empty', '')], /^qingliu: .*log\.csv: empty file \(no header row\)\n$/, 1],
    ['a missing DIR', () => ['--data', path.join(dir, 'does-not-exist')], /^qingliu: .*does-not-exist: no such directory\n$/, 2],
    ['two log files', () => {
      const d = fixture('two', [HEADER, ...rows(2)].join('\n'));
      fs.writeFileSync(path.join(d, 'other.csv'), [HEADER, ...rows(2)].join('\n'));
      return ['--data', d];
    }, /^qingliu: .*two: 2 log csv files \(log\.csv, other\.csv\); expected exactly one besides item_context\.csv\n$/, 2],
    ['an unknown policy', () => ['--data', dir, '--policy', 'greedy'], /unknown policy "greedy"; valid policies: uniform, logged, popularity, linucb, lints/, 2],
    ['an unknown estimator', () => ['--data', dir, '--estimator', 'switch-dr'], /unknown estimator "switch-dr"; valid estimators: replay, ips, snips, dm, dr/, 2],
    ['replay asked for on a non-uniform log', () => ['--data', fixture('replay', [HEADER, ...rows(6, '0.5')].join('\n')), '--estimator', 'replay'], /^qingliu: replay is unbiased only for a uniformly random log, .* use ips, snips, dm or dr\n$/, 1],
    ['a train fraction of 1', () => ['--data', dir, '--train-fraction', '1'], /--train-fraction <f>' argument '1' is invalid\. must be a number in \[0, 1\)/, 2],
  ];
  for (const [what, args, message, code] of cases) {
    it(`${what}: one message, exit ${code}, nothing on stdout`, () => {
      const r = qingliu(args());
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'))).toHaveLength(1);
      expect(r.status).toBe(code);
    });
  }
});
