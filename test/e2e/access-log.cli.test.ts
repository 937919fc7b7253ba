/**
 * `qingliu audit-log` as a person runs it: a child process on a SQLite file, the key under the
 * data directory. Intact logs exit 0; tampered ones exit 1 naming each problem's position.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLogService, FileSigningKeyStore, KyselyAccessLogStore, accessLogKeyFile, type VerifyReport } from '../../src/modules/access-log/index.js';
import { openStorage } from '../../src/storage/index.js';
import type { RequestContext } from '../../src/context/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');

describe('qingliu audit-log on a SQLite file', { timeout: 120_000 }, () => {
  let dir: string;
  let dataDir: string;
  let dbUrl: string;

  function qingliu(args: string[]) {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, QINGLIU_DATA_DIR: dataDir, NO_COLOR: '1' };
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, input: '', encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  async function withDb<T>(work: (storage: Awaited<ReturnType<typeof openStorage>>) => Promise<T>): Promise<T> {
    const storage = await openStorage(dbUrl);
    try {
      return await work(storage);
    } finally {
      await storage.close();
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-audit-'));
    dataDir = path.join(dir, 'data');
    dbUrl = `sqlite:${path.join(dir, 'qingliu.sqlite')}`;
    await withDb(async (storage) => {
      const log = new AccessLogService(new KyselyAccessLogStore(storage.db), new FileSigningKeyStore(accessLogKeyFile(dataDir)), { now: () => Date.UTC(2026, 1, 1) });
      const ctx: RequestContext = { requestId: 'req-1', actor: { kind: 'staff', id: 'u-1', name: 'anna', role: 'compliance' }, locale: 'zh-CN' };
      for (let i = 0; i < 6; i++) await log.record(ctx, { action: 'read', subject: `vp_${i}`, purpose: 'rights-request' });
    });
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('checkpoint: makes the key (mode 600) on first use and signs the head; verify: intact, exit 0', () => {
    const c = qingliu(['audit-log', 'checkpoint', '--db', dbUrl]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(c.stdout).toMatch(/^checkpoint #0 signed: 6 entries, root [0-9a-f]{64}, key [0-9a-f]{16}\n$/);
    expect(fs.statSync(accessLogKeyFile(dataDir)).mode & 0o777).toBe(0o600);

    const v = qingliu(['audit-log', 'verify', '--db', dbUrl]);
    expect(v.stderr).toBe('');
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^access log intact: 6 entries, root [0-9a-f]{64}\ncheckpoint #0 \(6 entries, signed \d{4}-\d\d-\d\dT[\d:.]+Z\) verified; 0 consistency and 1 inclusion proofs checked\n$/);
  });

  it('verify: an altered and a removed entry exit 1 with one line per problem naming its position', async () => {
    await withDb(async ({ db }) => {
      const row = await db.selectFrom('access_log_entries').select('entry').where('seq', '=', 2).executeTakeFirstOrThrow();
      await db.updateTable('access_log_entries').set({ entry: row.entry.replace('"vp_2"', '"vp_x"') }).where('seq', '=', 2).execute();
      await db.deleteFrom('access_log_entries').where('seq', '=', 4).execute();
    });
    const v = qingliu(['audit-log', 'verify', '--db', dbUrl]);
    expect(v.status).toBe(1);
    expect(v.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^position 2: altered-entry: /),
      expect.stringMatching(/^position 4: removed-entries: /),
      expect.stringMatching(/^positions 0–5: truncated-log: checkpoint #0 signed 6 entries but only 5 are stored/),
    ]);
    expect(v.stderr).toBe('qingliu: access log verification failed: 3 problems\n');

    const json = qingliu(['audit-log', 'verify', '--json', '--db', dbUrl]);
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.kind, p.position])).toEqual([
      ['altered-entry', 2],
      ['removed-entries', 4],
      ['truncated-log', 0],
    ]);
  });

  it('a missing key for a signed log: one clear message, exit 1, and no new key is made', () => {
    fs.renameSync(accessLogKeyFile(dataDir), path.join(dir, 'moved.key'));
    for (const sub of ['verify', 'checkpoint']) {
      const r = qingliu(['audit-log', sub, '--db', dbUrl]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^qingliu: AUDIT_KEY_UNAVAILABLE: the access-log key .*access-log-ed25519\.key is missing, but the log has 1 signed checkpoint; restore the key file/);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(fs.existsSync(accessLogKeyFile(dataDir))).toBe(false);
    }
  });
});
