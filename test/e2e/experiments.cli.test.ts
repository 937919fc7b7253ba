/**
 * `qingliu experiments` as a person runs it: a child process on a SQLite file. It defines, starts,
 * reports and stops an experiment; bad input gets one clear message naming the problem and a
 * non-zero exit, with nothing stored.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { systemContext } from '../../src/context/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');

describe('qingliu experiments on a SQLite file', { timeout: 180_000 }, () => {
  let dir: string;
  let db: string;
  const qingliu = (args: string[]) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, QINGLIU_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    const r = spawnSync(process.execPath, [BIN, 'experiments', ...args, ...(args.includes('--help') ? [] : ['--db', `sqlite:${db}`])], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const write = (name: string, content: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const definition = {
    name: 'CLI experiment',
    brandId: 'demo-brand',
    sessionIds: ['demo'],
    arms: [
      { id: 'control', name: 'Not personalised', policy: 'non_personalised' },
      { id: 'ts', name: 'Thompson', policy: 'lints' },
    ],
    allocation: [0.5, 0.5],
    control: 'control',
    primaryMetric: 'conversion',
    plannedUnitsPerArm: 500,
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-exp-cli-'));
    db = path.join(dir, 'qingliu.sqlite');
    const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', QINGLIU_DATA_DIR: path.join(dir, 'data') }, { databaseUrl: `sqlite:${db}`, seedDemo: true }), { logger: false });
    await app.close();
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates, starts, reports and stops an experiment', () => {
    const created = qingliu(['create', '--file', write('good.json', definition), '--json']);
    expect(created.status, created.stderr).toBe(0);
    const id = JSON.parse(created.stdout).id as string;
    expect(id).toMatch(/^exp-[0-9a-f]{12}$/);
    expect(qingliu(['start', id]).stdout).toBe(`${id}\trunning\n`);
    const listed = qingliu(['list', '--status', 'running']);
    expect(listed.stdout).toContain(`${id}\trunning\tdemo\tCLI experiment`);
    // None with a status: nothing on stdout (scripts see no lines), a word for people on stderr.
    const none = qingliu(['list', '--status', 'completed']);
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('no experiments with status completed (all of them: qingliu experiments list)\n');
    // A draft made by mistake goes; then it is not found.
    const mistake = JSON.parse(qingliu(['create', '--file', write('mistake.json', { ...definition, name: 'Mistake' }), '--json']).stdout).id as string;
    expect(qingliu(['discard', mistake]).stdout).toBe(`${mistake}\tdiscarded\n`);
    const twice = qingliu(['discard', mistake]);
    expect([twice.status, twice.stderr]).toEqual([1, `qingliu: no experiment "${mistake}"\n`]);
    const report = qingliu(['report', id]);
    expect(report.status).toBe(0);
    expect(report.stdout).toContain('CLI experiment');
    expect(report.stdout).toContain('no look yet');
    expect(report.stdout).toContain('Outside (no personalisation consent)');
    const json = JSON.parse(qingliu(['report', id, '--json']).stdout);
    expect(json.experiment).toMatchObject({ id, status: 'running', simulated: false });
    expect(json.arms.map((a: { arm: string }) => a.arm)).toEqual(['control', 'ts', 'outside']);
    // A started experiment is never discarded.
    const kept = qingliu(['discard', id]);
    expect([kept.status, kept.stderr]).toEqual([1, `qingliu: ${id}: it is running; only a draft can be discarded (stop a running experiment instead)\n`]);
    expect(qingliu(['stop', id, '--reason', 'done']).stdout).toBe(`${id}\tstopped\n`);
    expect(JSON.parse(qingliu(['report', id, '--json']).stdout).experiment.stopReason).toBe('done');
  });

  it('reports a stop right after a look as that look, final, and claims no interval while nothing varies', async () => {
    // Viewers served through the services on the same database file; a look; a stop with no new viewer.
    const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', QINGLIU_DATA_DIR: path.join(dir, 'data') }, { databaseUrl: `sqlite:${db}` }), { logger: false });
    let id: string;
    try {
      const experiments = app.services.experiments;
      const created = await experiments.create(systemContext('test'), { ...definition, name: 'CLI repeated look', lookEveryMinutes: 1 });
      if (!created.ok) throw new Error(created.code);
      id = created.value.id;
      await experiments.startExperiment(systemContext('test'), id);
      for (let i = 0; i < 40; i++) {
        const a = experiments.assign('demo', 'demo-brand', `cli-subject-${i}`)!;
        experiments.served(a, `cli-subject-${i}`, { items: 3, rankingMicros: 40, at: Date.now() });
      }
      await experiments.takeDueLooks(Date.now() + 2 * 60_000);
      expect((await experiments.stopExperiment(systemContext('test'), id)).ok).toBe(true);
    } finally {
      await app.close();
    }
    const report = qingliu(['report', id]);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^look 1 at .*: [34]\.\d % of the planned sample \(by precision\), .*\(final\)$/m);
    expect(report.stdout).not.toMatch(/^look 2 /m);
    expect(report.stdout).toContain('a look every minute');
    expect(report.stdout).toContain('conversion difference — (no interval) → not enough data to conclude');
    expect(report.stdout).not.toContain('[0.0000, 0.0000]');
    const json = JSON.parse(qingliu(['report', id, '--json']).stdout);
    expect(json.looks.map((l: { look: number; final: boolean }) => [l.look, l.final])).toEqual([[1, true]]);
    expect(json.experiment.stopReasonCode).toBe('stopped_by_operator');
  });

  it('lists every look taken so far, oldest first, not only the latest', async () => {
    const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', QINGLIU_DATA_DIR: path.join(dir, 'data') }, { databaseUrl: `sqlite:${db}` }), { logger: false });
    let id: string;
    try {
      const experiments = app.services.experiments;
      const created = await experiments.create(systemContext('test'), { ...definition, name: 'CLI every look', lookEveryMinutes: 1 });
      if (!created.ok) throw new Error(created.code);
      id = created.value.id;
      await experiments.startExperiment(systemContext('test'), id);
      for (const [from, minutes] of [[0, 2], [40, 4]] as const) {
        for (let i = from; i < from + 40; i++) {
          const a = experiments.assign('demo', 'demo-brand', `cli-every-${i}`)!;
          experiments.served(a, `cli-every-${i}`, { items: 3, rankingMicros: 40, at: Date.now() });
        }
        await experiments.takeDueLooks(Date.now() + minutes * 60_000);
      }
      expect((await experiments.stopExperiment(systemContext('test'), id)).ok).toBe(true);
    } finally {
      await app.close();
    }
    const report = qingliu(['report', id]);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^look\ttaken at\tof the plan\tboundary z\tprimary difference/m);
    // Each look's share of the plan, as stored (the information on the difference: 4 % and 8 % with equal arms).
    const looks = (JSON.parse(qingliu(['report', id, '--json']).stdout) as { looks: { fraction: number }[] }).looks;
    expect(looks).toHaveLength(2);
    expect(looks[0]!.fraction).toBeGreaterThan(0.02);
    expect(looks[0]!.fraction).toBeLessThanOrEqual(0.04);
    expect(looks[1]!.fraction).toBeGreaterThan(looks[0]!.fraction);
    expect(looks[1]!.fraction).toBeLessThanOrEqual(0.08);
    expect(report.stdout).toMatch(new RegExp(`^1\\t\\S+\\t${(looks[0]!.fraction * 100).toFixed(1).replace('.', '\\.')} %\\t`, 'm'));
    expect(report.stdout).toMatch(new RegExp(`^2 \\(final\\)\\t\\S+\\t${(looks[1]!.fraction * 100).toFixed(1).replace('.', '\\.')} %\\t`, 'm'));
  });

  it('refuses bad input with one message and a non-zero exit, storing nothing', () => {
    const before = qingliu(['list', '--json']);
    const count = JSON.parse(before.stdout).length as number;
    const cases: [string[], RegExp][] = [
      [['create', '--file', write('bad.json', { ...definition, allocation: [0.7, 0.7], arms: [definition.arms[0], { id: 'x', name: 'X', policy: 'deep-net' }] })], /\/arms\/1\/policy: unknown model "deep-net".*\/allocation: the shares must sum to 1/],
      [['create', '--file', write('broken.json', '{ "name": ')], /broken\.json: not valid JSON/],
      [['create', '--file', path.join(dir, 'missing.json')], /missing\.json: no such file/],
      [['report', 'not-an-id'], /"not-an-id" is not an experiment id/],
      [['report', 'exp-000000000000'], /no experiment "exp-000000000000"/],
      [['list', '--status', 'sleeping'], /Allowed choices are draft, running, stopped, completed/],
    ];
    for (const [args, message] of cases) {
      const r = qingliu(args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(JSON.parse(qingliu(['list', '--json']).stdout)).toHaveLength(count);
  });
});
