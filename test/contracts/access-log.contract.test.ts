/**
 * AccessLogStore contract and the access-log service on every storage adapter: appends in the
 * caller's transaction, concurrency, checkpoints and keys, and verification of logs tampered with
 * directly in the tables (as someone with database access would).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AccessLogService,
  Frontier,
  KyselyAccessLogStore,
  MemorySigningKeyStore,
  leafHash,
  rootOf,
  type AccessRecord,
  type VerifyReport,
} from '../../src/modules/access-log/index.js';
import { AppError } from '../../src/errors/index.js';
import { ANONYMOUS, systemContext, type RequestContext } from '../../src/context/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const staff = (requestId = 'req-1'): RequestContext => ({
  requestId,
  actor: { kind: 'staff', id: 'u-compliance-1', name: 'anna', role: 'compliance' },
  locale: 'zh-CN',
});
const access = (subject: string, action: AccessRecord['action'] = 'read'): AccessRecord => ({ action, subject, purpose: 'rights-request' });

const problems = (r: VerifyReport) =>
  r.problems.map((p) => `${p.kind}@${p.position ?? '-'}${p.lastPosition !== undefined && p.lastPosition !== p.position ? `-${p.lastPosition}` : ''}${p.checkpoint !== undefined ? `#${p.checkpoint}` : ''}${p.lastCheckpoint !== undefined && p.lastCheckpoint !== p.checkpoint ? `-#${p.lastCheckpoint}` : ''}`);

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return err instanceof AppError ? err.code : (err as Error).message;
  }
  return 'resolved';
}

for (const dialect of DIALECTS) {
  describe(`AccessLog on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyAccessLogStore;
    let keys: MemorySigningKeyStore;
    let service: AccessLogService;
    let now: number;
    const ctx = staff();

    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyAccessLogStore(t.storage.db);
      keys = new MemorySigningKeyStore();
      now = Date.UTC(2026, 1, 1, 8);
      service = new AccessLogService(store, keys, { now: () => (now += 1000) });
    });
    afterEach(async () => t.dispose());

    /** n entries for subjects vp_0 … vp_{n-1}. */
    async function record(n: number, from = 0) {
      for (let i = from; i < from + n; i++) await service.record(staff(`req-${i}`), access(`vp_${i}`));
    }

    it('appends at positions 0, 1, 2 … with the leaf hash beside each entry; the head is the RFC 6962 root', async () => {
      expect(await service.record(ctx, access('vp_a', 'export'))).toMatchObject({ seq: 0 });
      expect(await service.record(systemContext('cli export'), access('vp_b', 'delete'))).toMatchObject({ seq: 1 });
      await record(3, 2);
      const rows = await store.entries(0, 100);
      expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
      for (const r of rows) expect(r.leafHash).toBe(leafHash(r.entry).toString('hex'));
      expect(JSON.parse(rows[0]!.entry)).toEqual({
        seq: 0,
        at: '2026-02-01T08:00:01.000Z',
        actor: { id: 'u-compliance-1', role: 'compliance' },
        action: 'export',
        subject: 'vp_a',
        purpose: 'rights-request',
        requestId: 'req-1',
      });
      expect(JSON.parse(rows[1]!.entry).actor).toEqual({ id: 'system', role: 'system' });
      const head = await store.head();
      expect(head).toEqual({ treeSize: 5, checkpoints: 0, rootHash: rootOf(rows.map((r) => leafHash(r.entry))).toString('hex') });
      expect(await store.count()).toBe(5);
      expect((await store.entries(2, 2)).map((r) => r.seq)).toEqual([2, 3]);
      expect(await store.entries(5, 10)).toEqual([]);
    });

    it('an entry written in the caller’s transaction commits with it and rolls back with it, leaving no gap', async () => {
      const db = t.storage.db;
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('brands').values({ id: 'b1', name_zh: '甲', name_en: 'A', operator_zh: '甲', operator_en: 'A', contact_email: 'ops@example.com', contact_phone: '400', merchant_licence: 'L', created_at: 1 }).execute();
        await service.record(ctx, access('vp_a'), tx);
      });
      expect(await store.count()).toBe(1);

      const failed = db.transaction().execute(async (tx) => {
        await service.record(ctx, access('vp_b', 'export'), tx);
        expect((await tx.selectFrom('access_log_entries').select('seq').execute()).length).toBe(2); // visible inside
        throw new Error('the export failed');
      });
      await expect(failed).rejects.toThrow('the export failed');
      expect(await store.count()).toBe(1);
      expect((await store.head()).treeSize).toBe(1);

      expect(await service.record(ctx, access('vp_c'))).toMatchObject({ seq: 1 });
      expect((await service.verify(ctx)).ok).toBe(true);
    });

    it('concurrent appends get distinct, gap-free positions and the frontier matches the entries', async () => {
      const db = t.storage.db;
      // Some appends inside slow transactions (holding the head lock), others on their own.
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          i % 3 === 0
            ? db.transaction().execute(async (tx) => {
                const r = await service.record(staff(`req-${i}`), access(`vp_${i}`), tx);
                await new Promise((resolve) => setTimeout(resolve, 5));
                return r;
              })
            : service.record(staff(`req-${i}`), access(`vp_${i}`)),
        ),
      );
      expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
      await service.checkpoint(ctx);
      const report = await service.verify(ctx, { allInclusionProofs: true });
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, entries: 24, treeSize: 24, proofsChecked: { inclusion: 24 } });
    });

    it('refuses personal data as the subject and anonymous actors, appending nothing', async () => {
      expect(await rejection(service.record(ctx, access('13800138000')))).toBe('VALIDATION_FAILED');
      expect(await rejection(service.record(ctx, access('anna@example.com')))).toBe('VALIDATION_FAILED');
      expect(await rejection(service.record(ctx, { action: 'read', subject: 'vp_a', purpose: 'because she called' }))).toBe('VALIDATION_FAILED');
      expect(await rejection(service.record({ requestId: 'r', actor: ANONYMOUS, locale: 'en' }, access('vp_a')))).toBe('FORBIDDEN');
      expect(await store.count()).toBe(0);
    });

    it('signs checkpoints of the tree head, numbered from 0; verify passes an intact log and checks the proofs', async () => {
      expect((await service.verify(ctx)).ok).toBe(true); // empty, no key needed
      await record(5);
      const first = await service.checkpoint(ctx);
      expect(first).toMatchObject({ number: 0, treeSize: 5, rootHash: (await store.head()).rootHash, keyId: keys.load()!.keyId });
      await record(6, 5);
      await service.checkpoint(ctx);
      await record(2, 11);
      expect((await store.checkpoints()).map((c) => [c.number, c.treeSize])).toEqual([
        [0, 5],
        [1, 11],
      ]);
      expect((await store.latestCheckpoint())?.number).toBe(1);
      const report = await service.verify(ctx);
      expect(report).toMatchObject({ ok: true, entries: 13, checkpoints: 2, unsignedEntries: 2, proofsChecked: { consistency: 1, inclusion: 2 } });
      expect(report.latestVerifiedCheckpoint).toMatchObject({ number: 1, treeSize: 11 });
    });

    it('a missing or different key for a signed log is one clear error, and no key is made', async () => {
      await record(2);
      await service.checkpoint(ctx);
      keys.forget();
      expect(await rejection(service.checkpoint(ctx))).toBe('AUDIT_KEY_UNAVAILABLE');
      expect(await rejection(service.verify(ctx))).toBe('AUDIT_KEY_UNAVAILABLE');
      expect(keys.load()).toBeUndefined();
      keys.create(); // someone made a fresh key by hand
      expect(await rejection(service.checkpoint(ctx))).toBe('AUDIT_KEY_UNAVAILABLE');
      expect(problems(await service.verify(ctx))).toEqual(['unknown-key@-#0']);
      expect((await store.checkpoints()).length).toBe(1);
    });

    describe('tampered in the tables', () => {
      beforeEach(async () => {
        await record(4);
        await service.checkpoint(ctx); // #0: size 4
        await record(6, 4);
        await service.checkpoint(ctx); // #1: size 10
        await record(2, 10);
        expect((await service.verify(ctx)).ok).toBe(true);
      });

      const db = () => t.storage.db;
      const entryAt = async (seq: number) => (await db().selectFrom('access_log_entries').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow());

      it('a changed field: an altered entry at its position, and the checkpoint covering it', async () => {
        const row = await entryAt(6);
        await db().updateTable('access_log_entries').set({ entry: row.entry.replace('"vp_6"', '"vp_someone"') }).where('seq', '=', 6).execute();
        const report = await service.verify(ctx);
        expect(report.ok).toBe(false);
        expect(problems(report)).toEqual(['altered-entry@6', 'root-mismatch@4-9#1']);
      });

      it('a changed field with its leaf hash recomputed: the checkpoint covering it', async () => {
        const entry = (await entryAt(2)).entry.replace('"read"', '"correct"');
        await db().updateTable('access_log_entries').set({ entry, leaf_hash: leafHash(entry).toString('hex') }).where('seq', '=', 2).execute();
        expect(problems(await service.verify(ctx))).toEqual(['head-mismatch@0-11', 'root-mismatch@0-3#0', 'root-mismatch@0-9#1']);
      });

      it('a deleted row: the removed position', async () => {
        await db().deleteFrom('access_log_entries').where('seq', '=', 7).execute();
        expect(problems(await service.verify(ctx))).toEqual(['removed-entries@7', 'root-mismatch@4-9#1']);
      });

      it('two rows’ contents swapped: both positions', async () => {
        const [a, b] = [await entryAt(1), await entryAt(8)];
        await db().updateTable('access_log_entries').set({ entry: b.entry, leaf_hash: b.leaf_hash }).where('seq', '=', 1).execute();
        await db().updateTable('access_log_entries').set({ entry: a.entry, leaf_hash: a.leaf_hash }).where('seq', '=', 8).execute();
        expect(problems(await service.verify(ctx))).toEqual(['reordered-entry@1', 'reordered-entry@8', 'root-mismatch@0-3#0', 'root-mismatch@0-9#1']);
      });

      it('the last rows deleted and the head rolled back to match: the signed checkpoint still shows it', async () => {
        await db().deleteFrom('access_log_entries').where('seq', '>=', 9).execute();
        const rows = await store.entries(0, 100);
        const f = Frontier.empty();
        for (const r of rows) f.append(Buffer.from(r.leafHash, 'hex'));
        await db().updateTable('access_log_head').set({ size: 9, frontier: f.subtreeHashes.map((h) => h.toString('hex')).join(',') }).where('id', '=', 1).execute();
        expect(problems(await service.verify(ctx))).toEqual(['truncated-log@4-9#1']);
      });

      it('history rewritten consistently, then a new checkpoint signed: the earlier checkpoint fails its consistency proof', async () => {
        // Rewrite entry 5, recompute its hash and the head, as a careful intruder would …
        const entry = (await entryAt(5)).entry.replace('"vp_5"', '"vp_forged"');
        await db().updateTable('access_log_entries').set({ entry, leaf_hash: leafHash(entry).toString('hex') }).where('seq', '=', 5).execute();
        const f = Frontier.empty();
        for (const r of await store.entries(0, 100)) f.append(Buffer.from(r.leafHash, 'hex'));
        await db().updateTable('access_log_head').set({ frontier: f.subtreeHashes.map((h) => h.toString('hex')).join(',') }).where('id', '=', 1).execute();
        // … and the next scheduled checkpoint signs the rewritten head.
        await service.checkpoint(ctx);
        const report = await service.verify(ctx);
        expect(problems(report)).toEqual(['inconsistent-checkpoint@4-9#1']);
        expect(report.problems[0]).toMatchObject({ against: 2 });
      });

      it('a checkpoint altered or deleted', async () => {
        await db().updateTable('access_log_checkpoints').set({ tree_size: 12 }).where('number', '=', 0).execute();
        expect(problems(await service.verify(ctx))).toEqual(['bad-signature@-#0']);
        await db().deleteFrom('access_log_checkpoints').where('number', '=', 0).execute();
        expect(problems(await service.verify(ctx))).toEqual(['removed-checkpoints@-#0']);
        await db().deleteFrom('access_log_checkpoints').where('number', '=', 1).execute();
        expect(problems(await service.verify(ctx))).toEqual(['removed-checkpoints@-#0-#1']);
      });

      it('a row inserted beyond the head', async () => {
        const last = await entryAt(11);
        const entry = last.entry.replace('"seq":11', '"seq":12');
        await db().insertInto('access_log_entries').values({ seq: 12, entry, leaf_hash: leafHash(entry).toString('hex') }).execute();
        expect(problems(await service.verify(ctx))).toEqual(['inserted-entry@12']);
      });
    });
  });
}
