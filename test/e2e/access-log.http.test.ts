/**
 * The access log's compliance routes through the real app (S3): status, a verification run and a
 * checkpoint on demand, an entry's inclusion proof. A run that finds tampering says so with each
 * problem's position, and the status (read by any node, after a restart) keeps showing it.
 * Hosts are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/context/index.js';
import { AccessLogService, KyselyAccessLogStore, MemorySigningKeyStore, accessLogRoutes } from '../../src/modules/access-log/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

const STATUS = '/api/v1/compliance/access-log/status';
const VERIFY = '/api/v1/compliance/access-log/verify';
const CHECKPOINT = '/api/v1/compliance/access-log/checkpoint';
const proofUrl = (seq: number) => `/api/v1/compliance/access-log/entries/${seq}/proof`;

describe.each(DIALECTS)('access-log verification for compliance on %s', (dialect) => {
  let t: TestApp;
  let officer: { cookie: string; id: string; name: string };
  let admin: { cookie: string; id: string; name: string };
  let host: { cookie: string };

  beforeAll(async () => {
    t = await testApp(dialect, { seed: false });
    // Until the composition root registers these routes, register them here (before the app is ready).
    if (!t.app.hasRoute({ method: 'GET', url: STATUS })) await t.app.register(accessLogRoutes(t.app.services.accessLog));
    [officer, admin, host] = await Promise.all([signIn(t.app, 'compliance'), signIn(t.app, 'admin'), signIn(t.app, 'host')]);
    const log = t.app.services.accessLog;
    for (let i = 0; i < 7; i++) await log.record(systemContext('test', `req-${i}`), { action: 'read', subject: `vp_http_${i}`, purpose: 'customer-support' });
  });
  afterAll(async () => t.close());

  const as = (who: { cookie: string } | undefined, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: who ? { cookie: who.cookie } : {}, ...(method === 'POST' ? { payload: payload ?? {} } : {}) });

  it('status before any checkpoint or run: the entries, all of them unsigned, nothing verified yet', async () => {
    const res = await as(officer, 'GET', STATUS);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      entries: 7,
      prunedBelow: 0,
      latestCheckpoint: null,
      entriesSinceCheckpoint: 7,
      key: null,
      keyError: null,
      lastVerification: null,
    });
  });

  it('signs a checkpoint, verifies the log and records who ran it; status shows both', async () => {
    const c = await as(officer, 'POST', CHECKPOINT);
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json()).toMatchObject({ number: 0, treeSize: 7, rootHash: expect.stringMatching(/^[0-9a-f]{64}$/), keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    await t.app.services.accessLog.record(systemContext('test', 'req-7'), { action: 'export', subject: 'vp_http_7', purpose: 'customer-support' });

    const v = await as(officer, 'POST', VERIFY);
    expect(v.statusCode, v.body).toBe(200);
    const run = v.json();
    expect(run).toMatchObject({
      status: 'ok',
      // Who ran it, by account id and, for the console, its sign-in name (looked up; the run stores the id only).
      by: { id: officer.id, role: 'compliance', name: officer.name },
      problemCount: 0,
      errorCode: null,
      report: { ok: true, entries: 8, checkpoints: 1, unsignedEntries: 1, latestVerifiedCheckpoint: { number: 0, treeSize: 7 }, problems: [] },
    });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(run.finishedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));

    const s = (await as(officer, 'GET', STATUS)).json();
    expect(s).toMatchObject({
      entries: 8,
      entriesSinceCheckpoint: 1,
      latestCheckpoint: { number: 0, treeSize: 7, rootHash: c.json().rootHash, keyId: c.json().keyId, createdAt: c.json().createdAt },
      key: { keyId: c.json().keyId, publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY') },
      lastVerification: run,
    });
    // Administrators may run it too; every check over all entries on request.
    const byAdmin = await as(admin, 'POST', VERIFY, { allInclusionProofs: true });
    expect(byAdmin.json()).toMatchObject({ status: 'ok', by: { id: admin.id, role: 'admin', name: admin.name }, report: { proofsChecked: { inclusion: 7 } } });
    const stored = await t.app.services.storage.db.selectFrom('access_log_verifications').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(officer.name);
  });

  it('proves one entry against the latest checkpoint; a later entry is not signed yet', async () => {
    const p = await as(officer, 'GET', proofUrl(3));
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json()).toMatchObject({ seq: 3, treeSize: 7, pruned: false, verified: true, checkpoint: { number: 0, treeSize: 7 } });
    expect(p.json().proof).toHaveLength(3);
    expect(p.body).not.toContain('vp_http_3');
    const unsigned = await as(officer, 'GET', proofUrl(7));
    expect(unsigned.statusCode).toBe(409);
    expect(unsigned.json()).toMatchObject({ code: 'AUDIT_ENTRY_UNSIGNED' });
    expect((await as(officer, 'GET', proofUrl(500))).json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await as(officer, 'POST', VERIFY, { unexpected: true })).statusCode).toBe(400);
    // A POST without any body (curl -X POST) is a plain run.
    const bare = await t.app.inject({ method: 'POST', url: VERIFY, headers: { cookie: officer.cookie } });
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json()).toMatchObject({ status: 'ok' });
  });

  it('refuses hosts (403) and anonymous callers (401), on every route', async () => {
    for (const [method, url] of [
      ['GET', STATUS],
      ['POST', VERIFY],
      ['POST', CHECKPOINT],
      ['GET', proofUrl(0)],
    ] as const) {
      const refused = await as(host, method, url);
      expect(refused.statusCode, `${method} ${url}`).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect((await as(undefined, method, url)).statusCode).toBe(401);
    }
    expect((await t.app.services.storage.db.selectFrom('access_log_checkpoints').select('number').execute()).length).toBe(1);
  });

  it('a row altered in the database: the run fails with the position, and the status keeps showing it on every node', async () => {
    const db = t.app.services.storage.db;
    const row = await db.selectFrom('access_log_entries').select('entry').where('seq', '=', 2).executeTakeFirstOrThrow();
    await db.updateTable('access_log_entries').set({ entry: row.entry.replace('"vp_http_2"', '"vp_someone_else"') }).where('seq', '=', 2).execute();

    const v = await as(officer, 'POST', VERIFY);
    expect(v.statusCode, v.body).toBe(200);
    const run = v.json();
    expect(run.status).toBe('failed');
    expect(run.report.ok).toBe(false);
    expect(run.problemCount).toBe(2);
    expect(run.report.problems).toEqual([
      expect.objectContaining({ kind: 'altered-entry', position: 2 }),
      expect.objectContaining({ kind: 'root-mismatch', checkpoint: 0, position: 0, lastPosition: 6 }),
    ]);
    expect(v.body).not.toContain('vp_someone_else');

    expect((await as(officer, 'GET', STATUS)).json().lastVerification).toEqual(run);
    // Another node (or this one after a restart) reads the same run from the database.
    const staffDirectory = { nameOf: async (id: string) => (await t.app.services.staff.getUser(id))?.name ?? null };
    const elsewhere = new AccessLogService(new KyselyAccessLogStore(db), new MemorySigningKeyStore(), { now: () => Date.now() }, staffDirectory);
    expect((await elsewhere.status(systemContext('other node'))).lastVerification).toEqual(run);
  });
});
