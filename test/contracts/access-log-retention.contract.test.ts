/**
 * The access log's store beyond appends, on every storage adapter: bulk appends and the stored
 * subtree hashes that serve proofs, retention (entry bodies pruned past their time, leaf hashes
 * kept, the horizon stated in the log), and recorded verification runs.
 */
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AccessLogJob,
  AccessLogService,
  KyselyAccessLogStore,
  MemorySigningKeyStore,
  MerkleTree,
  PRUNE_PURPOSE,
  encodeEntry,
  leafHash,
  rootOf,
  type VerifyReport,
} from '../../src/modules/access-log/index.js';
import { backfillNodes } from '../../src/storage/migrations/0011-access-log-retention.js';
import { AppError } from '../../src/errors/index.js';
import type { RequestContext } from '../../src/context/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const staff = (requestId = 'req-1'): RequestContext => ({
  requestId,
  actor: { kind: 'staff', id: 'u-compliance-1', name: 'anna', role: 'compliance' },
  locale: 'zh-CN',
});
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 8);
const text = (seq: number) =>
  encodeEntry({ seq, at: '2026-01-01T08:00:00.000Z', actor: { id: 'u-1', role: 'compliance' }, action: 'read', subject: `vp_${seq}`, purpose: 'rights-request', requestId: `r-${seq}` });

const problems = (r: VerifyReport) =>
  r.problems.map((p) => `${p.kind}@${p.position ?? '-'}${p.lastPosition !== undefined && p.lastPosition !== p.position ? `-${p.lastPosition}` : ''}${p.checkpoint !== undefined ? `#${p.checkpoint}` : ''}`);

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return err instanceof AppError ? err.code : (err as Error).message;
  }
  return 'resolved';
}

for (const dialect of DIALECTS) {
  describe(`AccessLog store proofs, retention and verification runs on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyAccessLogStore;
    let keys: MemorySigningKeyStore;
    let service: AccessLogService;
    let now: number;
    const ctx = staff();
    const db = () => t.storage.db;

    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyAccessLogStore(t.storage.db);
      keys = new MemorySigningKeyStore();
      now = T0;
      service = new AccessLogService(store, keys, { now: () => now });
    });
    afterEach(async () => t.dispose());

    /** One entry per day from T0 + fromDay. */
    async function recordDays(days: number, fromDay = 0) {
      for (let d = fromDay; d < fromDay + days; d++) {
        now = T0 + d * DAY;
        await service.record(staff(`req-${d}`), { action: 'read', subject: `vp_${d}`, purpose: 'rights-request' });
      }
    }

    async function memoryTree(): Promise<MerkleTree> {
      const tree = new MerkleTree();
      for (const r of await store.entries(0, 10_000)) tree.append(Buffer.from(r.leafHash, 'hex'));
      return tree;
    }

    async function expectStoredProofsMatch(tree: MerkleTree) {
      const n = tree.size;
      for (let size = 1; size <= n; size += size < 9 ? 1 : 7) {
        for (const index of new Set([0, size >> 1, size - 1])) {
          expect((await store.inclusionProof(index, size))?.map((h) => h.toString('hex')), `inclusion ${index}/${size}`).toEqual(tree.inclusionProof(index, size).map((h) => h.toString('hex')));
        }
        for (const m of new Set([0, 1, size >> 1, size - 1, size])) {
          if (m > size) continue;
          expect((await store.consistencyProof(m, size))?.map((h) => h.toString('hex')), `consistency ${m}→${size}`).toEqual(tree.consistencyProof(m, size).map((h) => h.toString('hex')));
        }
      }
    }

    describe('bulk appends and proofs served from the stored nodes', () => {
      it('appendMany writes the same tree as single appends, and stores every complete subtree', async () => {
        await db().transaction().execute(async (tx) => {
          await store.appendMany(text, 1500, tx); // over one multi-row insert
          await store.appendMany(text, 37, tx);
        });
        for (let i = 0; i < 3; i++) await store.append(text);
        const rows = await store.entries(0, 10_000);
        expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 1540 }, (_, i) => i));
        for (const r of [rows[0]!, rows[777]!, rows[1539]!]) expect(r).toEqual({ seq: r.seq, entry: text(r.seq), leafHash: leafHash(text(r.seq)).toString('hex') });
        expect((await store.head()).rootHash).toBe(rootOf(rows.map((r) => Buffer.from(r.leafHash, 'hex'))).toString('hex'));
        // One node per merge: n − popcount(n) interior nodes in all.
        const nodes = await db().selectFrom('access_log_nodes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        expect(Number(nodes.n)).toBe(1540 - 1540 .toString(2).replace(/0/g, '').length);
        await expectStoredProofsMatch(await memoryTree());
      });

      it('the migration’s backfill rebuilds the nodes of entries written before it', async () => {
        await recordDays(45);
        const before = await db().selectFrom('access_log_nodes').selectAll().orderBy('level').orderBy('idx').execute();
        await db().deleteFrom('access_log_nodes').execute();
        expect(await store.inclusionProof(3, 45)).toBeUndefined();
        await backfillNodes(db() as unknown as Kysely<unknown>);
        expect(await db().selectFrom('access_log_nodes').selectAll().orderBy('level').orderBy('idx').execute()).toEqual(before);
        await expectStoredProofsMatch(await memoryTree());
      });

      it('a proof needing a missing or malformed node is refused, never built wrong', async () => {
        await recordDays(16);
        await db().updateTable('access_log_nodes').set({ hash: 'not-a-hash' }).where('level', '=', 3).where('idx', '=', 1).execute();
        expect(await store.inclusionProof(0, 16)).toBeUndefined();
        expect(await store.inclusionProof(9, 16)).toHaveLength(4); // its path does not use node (3, 1)
        await expect(store.inclusionProof(0, 17)).rejects.toThrow(RangeError);
      });

      it('the service proves an entry against the latest signed checkpoint; unsigned and unknown positions are refused', async () => {
        await recordDays(11);
        expect(await service.inclusionProof(ctx, 4)).toMatchObject({ ok: false, code: 'AUDIT_ENTRY_UNSIGNED' });
        const c = await service.checkpoint(ctx);
        await recordDays(2, 11);
        const r = await service.inclusionProof(ctx, 4);
        if (!r.ok) throw new Error(r.code);
        expect(r.value).toMatchObject({ seq: 4, treeSize: 11, pruned: false, verified: true, checkpoint: { number: 0, rootHash: c.rootHash } });
        expect(r.value.leafHash).toBe((await store.entry(4))!.leafHash);
        expect(await service.inclusionProof(ctx, 11)).toMatchObject({ ok: false, code: 'AUDIT_ENTRY_UNSIGNED' });
        expect(await service.inclusionProof(ctx, 99)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
        // An altered body no longer proves, whatever the stored nodes say.
        const row = (await store.entry(4))!;
        await db().updateTable('access_log_entries').set({ entry: row.entry.replace('"vp_4"', '"vp_x"') }).where('seq', '=', 4).execute();
        expect(await service.inclusionProof(ctx, 4)).toMatchObject({ ok: true, value: { verified: false } });
      });
    });

    describe('retention: bodies pruned past their time, the tree still verified', () => {
      it('prunes the bodies of a contiguous prefix older than the cutoff, keeps the leaf hashes, and states the horizon in the log', async () => {
        await recordDays(10);
        await service.checkpoint(ctx);
        const hashesBefore = (await store.entries(0, 100)).map((r) => r.leafHash);
        now = T0 + 3 * 365 * DAY;
        expect(await service.purgeBefore(T0 + 5.5 * DAY)).toBe(6);
        expect(await store.pruneHorizon()).toBe(6);
        const rows = await store.entries(0, 100);
        expect(rows.map((r) => r.entry === '')).toEqual([true, true, true, true, true, true, false, false, false, false, false]);
        expect(rows.slice(0, 10).map((r) => r.leafHash)).toEqual(hashesBefore);
        expect(JSON.parse(rows[10]!.entry)).toMatchObject({ seq: 10, actor: { id: 'system', role: 'system' }, action: 'delete', subject: 'access-log:below-6', purpose: PRUNE_PURPOSE });

        const report = await service.verify(ctx, { allInclusionProofs: true });
        expect(report.problems).toEqual([]);
        expect(report).toMatchObject({ ok: true, entries: 11, prunedBelow: 6, prunedEntries: 6, latestVerifiedCheckpoint: { treeSize: 10 } });
        // Nothing more is old enough; a later cutoff prunes on from the horizon (the prune entry too, once old).
        expect(await service.purgeBefore(T0 + 5.5 * DAY)).toBe(0);
        expect(await service.purgeBefore(now + 1)).toBe(5);
        expect(await store.pruneHorizon()).toBe(11);
        expect((await service.verify(ctx)).problems).toEqual([]);
      });

      it('signs a checkpoint first when the entries to prune are not all under one, so their leaf hashes are pinned', async () => {
        await recordDays(4);
        expect(await store.latestCheckpoint()).toBeUndefined();
        now = T0 + 2000 * DAY;
        expect(await service.purgeBefore(now)).toBe(4);
        expect(await store.latestCheckpoint()).toMatchObject({ number: 0, treeSize: 4 });
        expect(await service.verify(ctx)).toMatchObject({ ok: true, prunedEntries: 4, unsignedEntries: 1 });
        // A pruned leaf hash altered afterwards is caught by that checkpoint.
        await db().updateTable('access_log_entries').set({ leaf_hash: leafHash('forged').toString('hex') }).where('seq', '=', 1).execute();
        expect(problems(await service.verify(ctx))).toEqual(['head-mismatch@0-4', 'root-mismatch@0-3#0']);
      });

      it('with the key of a signed log missing, prunes only what is already signed (and does not fail retention)', async () => {
        await recordDays(5);
        await service.checkpoint(ctx); // #0: size 5
        await recordDays(3, 5);
        keys.forget();
        now = T0 + 2000 * DAY;
        expect(await service.purgeBefore(now)).toBe(5);
        expect(await store.pruneHorizon()).toBe(5);
        expect((await store.checkpoints()).length).toBe(1);
        expect(await service.purgeBefore(now)).toBe(0);
      });

      it('stops at an entry whose body does not match its leaf hash, so the verifier still sees the edit', async () => {
        await recordDays(8);
        await service.checkpoint(ctx);
        const row = (await store.entry(3))!;
        await db().updateTable('access_log_entries').set({ entry: row.entry.replace('"vp_3"', '"vp_y"') }).where('seq', '=', 3).execute();
        now = T0 + 2000 * DAY;
        expect(await service.purgeBefore(now)).toBe(3);
        expect(await store.pruneHorizon()).toBe(3);
        expect(problems(await service.verify(ctx))).toEqual(['altered-entry@3', 'root-mismatch@0-7#0']);
      });

      describe('tampered after a prune', () => {
        beforeEach(async () => {
          await recordDays(12);
          await service.checkpoint(ctx); // #0: size 12
          now = T0 + 3 * 365 * DAY;
          expect(await service.purgeBefore(T0 + 5.5 * DAY)).toBe(6);
          await service.checkpoint(ctx); // #1: size 13, over the prune entry
          expect((await service.verify(ctx)).ok).toBe(true);
        });

        it('a body removed above the horizon: missing-body at its position', async () => {
          await db().updateTable('access_log_entries').set({ entry: '' }).where('seq', '=', 8).execute();
          const report = await service.verify(ctx);
          expect(report.ok).toBe(false);
          expect(problems(report)).toEqual(['missing-body@8']);
        });

        it('the leaf hash of a pruned entry altered: the signed roots no longer match', async () => {
          await db().updateTable('access_log_entries').set({ leaf_hash: leafHash(text(2)).toString('hex') }).where('seq', '=', 2).execute();
          expect(problems(await service.verify(ctx))).toEqual(['head-mismatch@0-12', 'root-mismatch@0-11#0', 'root-mismatch@0-12#1']);
        });

        it('the horizon raised in the table without a prune entry, bodies removed below it: reported', async () => {
          await db().updateTable('access_log_retention').set({ pruned_below: 9 }).execute();
          await db().updateTable('access_log_entries').set({ entry: '' }).where('seq', '>=', 6).where('seq', '<', 9).execute();
          expect(problems(await service.verify(ctx))).toEqual(['unrecorded-prune@6-8', 'missing-body@6', 'missing-body@7', 'missing-body@8']);
        });

        it('callers cannot write an entry that states a horizon', async () => {
          expect(await code(service.record(ctx, { action: 'delete', subject: 'access-log:below-12', purpose: PRUNE_PURPOSE }))).toBe('VALIDATION_FAILED');
        });
      });
    });

    describe('verification runs', () => {
      it('are recorded with who ran them, when and how long; the status shows the last', async () => {
        await recordDays(5);
        await service.checkpoint(ctx);
        now = T0 + 10 * DAY;
        const run = await service.runVerification(ctx);
        expect(run).toMatchObject({ status: 'ok', actor: { id: 'u-compliance-1', role: 'compliance' }, startedAt: now, problemCount: 0, errorCode: null });
        expect(run.report).toMatchObject({ ok: true, entries: 5 });
        expect(await store.latestVerification()).toEqual(run);
        const status = await service.status(ctx);
        expect(status).toMatchObject({
          entries: 5,
          prunedBelow: 0,
          entriesSinceCheckpoint: 0,
          latestCheckpoint: { number: 0, treeSize: 5, keyId: keys.load()!.keyId },
          key: { keyId: keys.load()!.keyId },
          keyError: null,
          lastVerification: { id: run.id, status: 'ok', by: { id: 'u-compliance-1', role: 'compliance' }, startedAt: new Date(now).toISOString() },
        });
      });

      it('a tampered log: the run fails loudly with each problem and its position, and stays recorded', async () => {
        await recordDays(6);
        await service.checkpoint(ctx);
        await db().deleteFrom('access_log_entries').where('seq', '=', 2).execute();
        const run = await service.runVerification(ctx);
        expect(run.status).toBe('failed');
        expect(run.problemCount).toBe(2);
        expect(run.report!.problems.map((p) => [p.kind, p.position])).toEqual([
          ['removed-entries', 2],
          ['truncated-log', 0],
        ]);
        expect((await service.status(ctx)).lastVerification).toMatchObject({ status: 'failed', problemCount: 2 });
      });

      it('a run that cannot complete (the key is gone) is recorded as an error and rethrown', async () => {
        await recordDays(2);
        await service.checkpoint(ctx);
        keys.forget();
        expect(await code(service.runVerification(ctx))).toBe('AUDIT_KEY_UNAVAILABLE');
        expect(await store.latestVerification()).toMatchObject({ status: 'error', errorCode: 'AUDIT_KEY_UNAVAILABLE', report: null });
      });

      it('the periodic job signs new entries, then verifies only when no node did recently; old runs go with retention', async () => {
        const job = new AccessLogJob(service, { intervalMs: DAY });
        await recordDays(3);
        now = T0 + 100 * DAY;
        const first = await job.run();
        expect(first.checkpoint).toMatchObject({ number: 0, treeSize: 3 });
        expect(first.run).toMatchObject({ status: 'ok', actor: { id: 'system', role: 'system' } });
        now += DAY / 2;
        expect(await job.run()).toEqual({ checkpoint: undefined, run: undefined }); // nothing new, verified recently
        now += DAY;
        const third = await job.run();
        expect(third.run?.startedAt).toBe(now);
        // Retention keeps the latest run, whatever its age.
        await service.purgeBefore(now + 1);
        const left = await db().selectFrom('access_log_verifications').select('id').execute();
        expect(left.map((r) => r.id)).toEqual([third.run!.id]);
      });

      it('the periodic job on a node without the key of a signed log: an error run is recorded for the console', async () => {
        await recordDays(2);
        await service.checkpoint(ctx);
        await recordDays(1, 2);
        keys.forget();
        now = T0 + 100 * DAY;
        expect(await code(new AccessLogJob(service).run())).toBe('AUDIT_KEY_UNAVAILABLE');
        expect((await service.status(ctx)).lastVerification).toMatchObject({ status: 'error', errorCode: 'AUDIT_KEY_UNAVAILABLE', by: { role: 'system' } });
      });

      it('concurrent requests in one process share one run', async () => {
        await recordDays(3);
        const [a, b] = await Promise.all([service.runVerification(ctx), service.runVerification(staff('req-2'))]);
        expect(a.id).toBe(b.id);
        expect((await db().selectFrom('access_log_verifications').select('id').execute()).length).toBe(1);
      });
    });
  });
}
