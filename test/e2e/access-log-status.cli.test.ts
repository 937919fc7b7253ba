/**
 * `qingliu audit-log status` as a person runs it: the last recorded verification run (here, the
 * CLI's own `verify`), intact or failed with each problem's position, and the checkpoint state.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLogService, FileSigningKeyStore, KyselyAccessLogStore, accessLogKeyFile, type AccessLogStatus } from '../../src/modules/access-log/index.js';
import { KyselyStaffStore } from '../../src/modules/staff/index.js';
import { openStorage } from '../../src/storage/index.js';
import type { RequestContext } from '../../src/context/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');

describe('qingliu audit-log status on a SQLite file', { timeout: 120_000 }, () => {
  let dir: string;
  let dataDir: string;
  let dbUrl: string;

  const qingliu = (args: string[]) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, QINGLIU_DATA_DIR: dataDir, NO_COLOR: '1' };
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, input: '', encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-audit-status-'));
    dataDir = path.join(dir, 'data');
    dbUrl = `sqlite:${path.join(dir, 'qingliu.sqlite')}`;
    const storage = await openStorage(dbUrl);
    try {
      const log = new AccessLogService(new KyselyAccessLogStore(storage.db), new FileSigningKeyStore(accessLogKeyFile(dataDir)), { now: () => Date.UTC(2026, 1, 1) });
      const ctx: RequestContext = { requestId: 'req-1', actor: { kind: 'staff', id: 'u-1', name: 'anna', role: 'compliance' }, locale: 'zh-CN' };
      for (let i = 0; i < 5; i++) await log.record(ctx, { action: 'read', subject: `vp_${i}`, purpose: 'rights-request' });
      await log.checkpoint(ctx);
      await log.record(ctx, { action: 'read', subject: 'vp_5', purpose: 'rights-request' });
    } finally {
      await storage.close();
    }
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('before any run: the checkpoint, the entries since, never verified', () => {
    const r = qingliu(['audit-log', 'status', '--db', dbUrl]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^6 entries\nlatest checkpoint #0: 5 entries, root [0-9a-f]{64}, signed 2026-02-01T00:00:00\.000Z by key [0-9a-f]{16}; 1 entries since\nnever verified\n$/);
  });

  it('after `verify` finds an altered entry: the failed run with each problem’s position', async () => {
    expect(qingliu(['audit-log', 'verify', '--db', dbUrl]).status).toBe(0);
    expect(qingliu(['audit-log', 'status', '--db', dbUrl]).stdout).toMatch(/\nlast verification \S+ by system, \d+ ms: intact\n$/);

    const storage = await openStorage(dbUrl);
    try {
      const row = await storage.db.selectFrom('access_log_entries').select('entry').where('seq', '=', 1).executeTakeFirstOrThrow();
      await storage.db.updateTable('access_log_entries').set({ entry: row.entry.replace('"vp_1"', '"vp_z"') }).where('seq', '=', 1).execute();
    } finally {
      await storage.close();
    }
    expect(qingliu(['audit-log', 'verify', '--db', dbUrl]).status).toBe(1);
    const r = qingliu(['audit-log', 'status', '--db', dbUrl]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').slice(-3)).toEqual([
      expect.stringMatching(/^last verification \S+ by system, \d+ ms: FAILED: 2 problems$/),
      expect.stringMatching(/^ {2}position 1: altered-entry: /),
      expect.stringMatching(/^ {2}positions 0–4: root-mismatch: /),
    ]);
    const json = JSON.parse(qingliu(['audit-log', 'status', '--json', '--db', dbUrl]).stdout) as AccessLogStatus;
    expect(json).toMatchObject({ entries: 6, entriesSinceCheckpoint: 1, lastVerification: { status: 'failed', problemCount: 2, by: { id: 'system', role: 'system' } } });
  });

  it('names the staff account that ran the last verification, and gives the id alone when no account has it', async () => {
    // Runs recorded after the CLI's own (the latest run by start time is the one shown).
    const later = Date.now() + 60_000;
    const runAs = async (actor: { id: string; name: string }, at: number) => {
      const storage = await openStorage(dbUrl);
      try {
        const log = new AccessLogService(new KyselyAccessLogStore(storage.db), new FileSigningKeyStore(accessLogKeyFile(dataDir)), { now: () => at });
        await log.runVerification({ requestId: 'req-2', actor: { kind: 'staff', ...actor, role: 'compliance' }, locale: 'zh-CN' });
      } finally {
        await storage.close();
      }
    };
    const lastLine = () => {
      const r = qingliu(['audit-log', 'status', '--db', dbUrl]);
      expect(r.status).toBe(0);
      return r.stdout.split('\n').find((l) => l.startsWith('last verification '));
    };

    await runAs({ id: 'u-1', name: 'anna' }, later); // the entries' actor: no account has this id
    expect(lastLine()).toMatch(/^last verification \S+ by compliance u-1, \d+ ms: /);

    const storage = await openStorage(dbUrl);
    try {
      await new KyselyStaffStore(storage.db).createUser({ id: 'u-officer', name: 'li.officer', role: 'compliance', passwordHash: 'unused', createdAt: Date.UTC(2026, 0, 1), disabled: false });
    } finally {
      await storage.close();
    }
    await runAs({ id: 'u-officer', name: 'li.officer' }, later + 60_000);
    expect(lastLine()).toMatch(/^last verification \S+ by compliance li\.officer \(u-officer\), \d+ ms: /);
    const json = JSON.parse(qingliu(['audit-log', 'status', '--json', '--db', dbUrl]).stdout) as AccessLogStatus;
    expect(json.lastVerification?.by).toEqual({ id: 'u-officer', role: 'compliance', name: 'li.officer' });
  });
});
