/**
 * `qingliu simulate` as a person runs it: the real binary in a child process, in process on a
 * temporary SQLite file (removed afterwards). A run prints one JSON report, the same numbers for the
 * same seed; with an experiment file the server's experiment report comes back with its looks; bad
 * input gets one message naming the thing and exit 2, and starts nothing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutTimings, type SimulationReport } from '../../src/modules/simulation/index.js';
import { testApp } from '../support/app.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');

describe('qingliu simulate', { timeout: 300_000 }, () => {
  let dir: string;
  let tmp: string;

  /** Runs the CLI without blocking this process (a test may serve the child from here). */
  function qingliu(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, TMPDIR: tmp, QINGLIU_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'simulate', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      // A safety net only (a hung child), well above a run on a busy machine (two runs at once took over 90 s there).
      const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  const file = (name: string, content: unknown) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
    return f;
  };

  const definition = (policy = 'linucb') => ({
    name: 'Bandit vs not personalised (simulated)',
    arms: [
      { id: 'control', name: 'Not personalised', policy: 'non_personalised' },
      { id: 'bandit', name: 'LinUCB', policy },
    ],
    allocation: [0.5, 0.5],
    control: 'control',
    primaryMetric: 'conversion',
    plannedUnitsPerArm: 100,
  });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-simulate-cli-'));
    tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--viewers 300 --minutes 10 --seed 7 --json: one valid report, the same numbers on a second run', async () => {
    const args = ['--viewers', '300', '--minutes', '10', '--seed', '7', '--json'];
    const [a, b] = await Promise.all([qingliu(args), qingliu(args)]);
    for (const r of [a, b]) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    const first = JSON.parse(a.stdout) as SimulationReport;
    const second = JSON.parse(b.stdout) as SimulationReport;
    expect(first).toMatchObject({ simulated: true, scenario: { name: 'baby-care', version: 1 }, seed: 7, mode: 'in-process', target: 'in-process', viewers: 300, minutes: 10, speed: 'max', experiment: null });
    expect(first.requests.errors).toBe(0);
    expect(first.wallSeconds).toBeGreaterThan(0);
    expect(first.viewersPerSecond).toBeGreaterThan(0);
    expect(first.perArm.map((x) => x.arm)).toEqual(['not_personalised', 'personalised']);
    for (const arm of first.perArm) {
      expect(arm.lists).toBeGreaterThan(0);
      expect(arm.regret.total).toBeGreaterThanOrEqual(0);
      for (const p of arm.regret.curve) expect(p.meanRegret).toBeGreaterThanOrEqual(0);
      expect(arm.bestPossiblePurchaseReward!).toBeGreaterThanOrEqual(arm.expectedPurchaseReward!);
    }
    expect(first.consent.decisions).toBeGreaterThan(250);
    expect(first.consent.minors.under14 + first.consent.minors.from14To17).toBeGreaterThan(0);
    // The same seed, the same numbers (wall time and latencies aside).
    expect(withoutTimings(second)).toEqual(withoutTimings(first));
    // The temporary database is gone.
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('qingliu-simulate-'))).toEqual([]);
  });

  it('--experiment FILE: creates, starts and stops it; the report carries the server’s experiment report with its looks, and --report writes the HTML', async () => {
    const html = path.join(dir, 'report.html');
    const r = await qingliu(['--viewers', '300', '--minutes', '10', '--seed', '7', '--json', '--experiment', file('experiment.json', definition()), '--report', html]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`qingliu: wrote the HTML report to ${html}\n`);
    const report = JSON.parse(r.stdout) as SimulationReport;
    expect(report.experiment).not.toBeNull();
    const e = report.experiment!;
    expect(e.experiment.status).toMatch(/stopped|completed/);
    expect(e.looks.length).toBeGreaterThanOrEqual(1);
    expect(e.arms.map((a) => a.arm)).toEqual(['control', 'bandit', 'outside']);
    expect(report.perArm.map((a) => a.arm)).toEqual(['bandit', 'control', 'outside']);
    for (const arm of report.perArm) expect(arm.lists).toBeGreaterThan(0);
    expect(report.uplift).toMatchObject({ metric: 'conversion', treatment: 'bandit', control: 'control', look: e.looks.at(-1)!.look });
    // The uplift is the latest look's: treatment's conversion less control's. Arms are drawn by the
    // server's salt, so a run may see no order in either arm; nothing varies then and no interval is
    // given (a zero-width one would claim a certainty there is not).
    const means = new Map(e.latest!.arms.map((a) => [a.arm, a.means.conversion]));
    const [control, bandit] = [means.get('control')!, means.get('bandit')!];
    if (control === 0 && bandit === 0) {
      expect(report.uplift!.difference).toBeNull();
      expect(['not_enough_data', 'guardrail_breached']).toContain(report.uplift!.verdict);
    } else {
      expect(report.uplift!.difference!.estimate).toBeCloseTo(bandit - control, 12);
      expect(report.uplift!.difference!.lo).toBeLessThan(report.uplift!.difference!.hi);
    }
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toMatch(/<title>SIMULATION 模拟/);
    expect(page.match(/<svg[\s>]/g)!.length).toBe(4);
    expect(page).not.toMatch(/<script/i);
  });

  it('prints a readable summary without --json', async () => {
    const r = await qingliu(['--viewers', '40', '--minutes', '3', '--seed', '1']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^SIMULATION \(模拟\) — scenario baby-care v1, seed 1, in process, session demo\n/);
    expect(r.stdout).toMatch(/\narm +lists +viewers +click-through +conversion +GMV\/viewer ¥ +E\[purchases\]\/list +best\/list +regret\/list +regret\n/);
    expect(r.stdout).toMatch(/\nnotes:\n {2}- /);
  });

  const cases: [string, () => string[], RegExp][] = [
    ['an unknown scenario', () => ['--scenario', 'moon-landing'], /^qingliu: unknown scenario "moon-landing"; shipped scenarios: baby-care, cold-start, biased-steering, heavy-opt-out; or give a scenario file \(\.json\)\n$/],
    [
      'a scenario file that fails validation',
      () => {
        const s = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios/baby-care.json'), 'utf8')) as { audience: { arrival: { points: number[][] } } };
        s.audience.arrival.points[2] = [3, 1];
        return ['--scenario', file('bad-scenario.json', s)];
      },
      /^qingliu: .*bad-scenario\.json: \/audience\/arrival\/points\/2: minutes must increase \(3 follows 5\)\n$/,
    ],
    ['--viewers 0', () => ['--viewers', '0'], /^error: option '--viewers <n>' argument '0' is invalid\. must be a whole number ≥ 1\n/],
    ['a bad --speed', () => ['--speed', 'fast'], /^error: option '--speed <x\|max>' argument 'fast' is invalid\. must be "max" or a number/],
    ['--minutes beyond the show', () => ['--minutes', '90'], /^qingliu: --minutes 90 is longer than the show of scenario baby-care \(60 minutes\)\n$/],
    [
      'an experiment file the server refuses',
      () => ['--viewers', '10', '--minutes', '2', '--experiment', file('bad-experiment.json', definition('magic'))],
      /^qingliu: the server refused the experiment: \/arms\/1\/policy: unknown model "magic"; known: .*\n$/,
    ],
    ['--report naming a folder (refused before the run, not after it)', () => ['--viewers', '10', '--minutes', '2', '--report', os.tmpdir()], /^qingliu: --report .*: is a folder; name the HTML file to write\n$/],
    ['an experiment file that is not JSON', () => ['--experiment', file('not-json.json', '{ nope')], /^qingliu: --experiment .*not-json\.json: not valid JSON/],
    [
      'an experiment file saved with a byte-order mark (read as the JSON it is)',
      () => ['--viewers', '10', '--minutes', '2', '--experiment', file('bom-experiment.json', `\uFEFF${JSON.stringify(definition('magic'))}`)],
      /^qingliu: the server refused the experiment: \/arms\/1\/policy: unknown model "magic"/,
    ],
    ['--report where nothing can be written (refused before the run)', () => ['--viewers', '10', '--minutes', '2', '--report', '/proc/qingliu-report.html'], /^qingliu: --report \/proc\/qingliu-report\.html: cannot be written \(E[A-Z]+\)\n$/],
    ['an unreachable server', () => ['--server', 'http://127.0.0.1:1', '--viewers', '5'], /^qingliu: cannot reach the server at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)\n$/],
    [
      'an experiment id in process (its temporary database holds none)',
      () => ['--experiment', 'exp-0123456789ab'],
      /^qingliu: --experiment exp-0123456789ab: an experiment id is read from a running server \(--server\); in process the simulator starts on a new temporary database, so give a definition file instead\n$/,
    ],
    ['--experiment with --server and no staff account', () => ['--server', 'http://127.0.0.1:1', '--experiment', 'exp-0123456789ab'], /^qingliu: --experiment with --server needs a staff account/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: one message, exit 2, nothing on stdout`, async () => {
      const r = await qingliu(args());
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'))).toHaveLength(1);
      expect(r.status).toBe(2);
    });
  }

  it('Ctrl-C ends the show early: the report of what ran, exit 130, and the temporary database removed', async () => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, TMPDIR: tmp, QINGLIU_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    const report = path.join(dir, 'interrupted.html');
    const child = spawn(process.execPath, [BIN, 'simulate', '--viewers', '20000', '--minutes', '60', '--seed', '3', '--json', '--report', report], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Interrupted once the show runs: its temporary database exists.
    const running = () => fs.readdirSync(tmp).some((f) => f.startsWith('qingliu-simulate-') && fs.existsSync(path.join(tmp, f, 'simulation.sqlite')));
    while (!running()) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2_000));
    child.kill('SIGINT');
    const status = await closed;
    expect(status).toBe(130);
    expect(stderr).toMatch(/^qingliu: interrupted: ending the show early/);
    expect(stderr).toMatch(/qingliu: the show was ended early by Ctrl-C: the figures cover only what ran\n$/);
    const parsed = JSON.parse(stdout) as { viewers: number; requests: { total: number } };
    expect(parsed.requests.total).toBeGreaterThan(0);
    expect(fs.readFileSync(report, 'utf8')).toMatch(/^<!doctype html>/i);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('qingliu-simulate-'))).toEqual([]);
  });

  it('a production server: one message, exit 2, and nothing stored', async () => {
    const t = await testApp('sqlite', { env: { QINGLIU_MODE: 'production' } });
    try {
      const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
      const r = await qingliu(['--server', url, '--viewers', '20', '--speed', 'max']);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`qingliu: the server at ${url} runs in production mode; simulated audiences run only in demo mode\n`);
      expect(r.status).toBe(2);
      expect(await t.app.services.storage.db.selectFrom('consent_records').selectAll().execute()).toHaveLength(0);
      expect(t.app.services.gateway.viewerCount('demo')).toBe(0);
    } finally {
      await t.close();
    }
  });
});
