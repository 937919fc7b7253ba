/** RightsTicketStore contract, run on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyRightsTicketStore, type StoredTicket } from '../../src/modules/rights/index.js';
import { systemContext } from '../../src/context/index.js';
import { AccessLogService, KyselyAccessLogStore, MemorySigningKeyStore } from '../../src/modules/access-log/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const DAY = 86_400_000;

const ticket = (id: string, subject: string, createdAt: number, over: Partial<StoredTicket> = {}): StoredTicket => ({
  id,
  subject,
  kind: 'access',
  status: 'open',
  detailsSealed: `sealed-${id}`,
  locale: 'zh-CN',
  region: 'cn-mainland',
  createdAt,
  updatedAt: createdAt,
  dueAt: createdAt + 15 * DAY,
  closedAt: null,
  handledBy: null,
  reason: null,
  ...over,
});

for (const dialect of DIALECTS) {
  describe(`RightsTicketStore on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyRightsTicketStore;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyRightsTicketStore(t.storage.db);
    });
    afterEach(async () => t.dispose());

    it('stores a ticket as given and lists one subject’s tickets newest first', async () => {
      const a = ticket('a', 's1', 10, { kind: 'deletion', locale: 'en' });
      await store.insert(a);
      await store.insert(ticket('b', 's1', 30));
      await store.insert(ticket('c', 's2', 20));
      expect(await store.get('a')).toEqual(a);
      expect(await store.get('nope')).toBeUndefined();
      expect((await store.bySubject('s1')).map((r) => r.id)).toEqual(['b', 'a']);
      expect((await store.bySubject('nobody'))).toEqual([]);
    });

    it('refuses a second ticket with the same id, and a kind or status it does not know', async () => {
      await store.insert(ticket('a', 's1', 10));
      await expect(store.insert(ticket('a', 's2', 11))).rejects.toThrow();
      await expect(store.insert(ticket('k', 's1', 12, { kind: 'sell' as never }))).rejects.toThrow();
      await expect(store.insert(ticket('s', 's1', 12, { status: 'pending' as never }))).rejects.toThrow();
      expect((await store.bySubject('s1')).map((r) => r.id)).toEqual(['a']);
    });

    it('never holds a rejection without a reason, nor a closed ticket without its close time', async () => {
      await expect(store.insert(ticket('r', 's1', 10, { status: 'rejected', closedAt: 20, reason: null }))).rejects.toThrow();
      await expect(store.insert(ticket('w', 's1', 10, { status: 'rejected', closedAt: 20, reason: '   ' }))).rejects.toThrow();
      await expect(store.insert(ticket('c', 's1', 10, { status: 'completed', closedAt: null }))).rejects.toThrow();
      await store.insert(ticket('a', 's1', 10));
      await expect(store.close('a', { status: 'rejected', reason: null, handledBy: 'u1', at: 20 })).rejects.toThrow();
      expect((await store.get('a'))?.status).toBe('open');
    });

    it('closes an open ticket exactly once (compare-and-set on status)', async () => {
      await store.insert(ticket('a', 's1', 10));
      expect(await store.close('a', { status: 'rejected', reason: 'not our data', handledBy: 'u1', at: 50 })).toBe(true);
      expect(await store.close('a', { status: 'completed', reason: null, handledBy: 'u2', at: 60 })).toBe(false);
      expect(await store.close('missing', { status: 'completed', reason: null, handledBy: 'u2', at: 60 })).toBe(false);
      expect(await store.get('a')).toMatchObject({ status: 'rejected', reason: 'not our data', handledBy: 'u1', closedAt: 50, updatedAt: 50 });
    });

    it('lets one of two concurrent closures win', async () => {
      await store.insert(ticket('a', 's1', 10));
      const results = await Promise.all([
        store.transaction(({ tickets }) => tickets.close('a', { status: 'completed', reason: null, handledBy: 'u1', at: 50 })),
        store.transaction(({ tickets }) => tickets.close('a', { status: 'rejected', reason: 'why', handledBy: 'u2', at: 51 })),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get('a'))?.status).toBe(results[0] ? 'completed' : 'rejected');
    });

    it('filters by status and overdue, newest first, and pages by (time, id)', async () => {
      await store.insert(ticket('a', 's1', 10, { dueAt: 100 }));
      await store.insert(ticket('b', 's1', 20, { dueAt: 1000 }));
      await store.insert(ticket('c', 's2', 20, { dueAt: 50, status: 'completed', closedAt: 40 }));
      await store.insert(ticket('d', 's2', 30, { dueAt: 60 }));
      expect((await store.list({ limit: 10 })).map((r) => r.id)).toEqual(['d', 'c', 'b', 'a']);
      expect((await store.list({ status: 'open', limit: 10 })).map((r) => r.id)).toEqual(['d', 'b', 'a']);
      // Overdue: open and due before the time given; a closed ticket is never overdue.
      expect((await store.list({ overdueAt: 200, limit: 10 })).map((r) => r.id)).toEqual(['d', 'a']);
      expect(await store.list({ status: 'completed', overdueAt: 200, limit: 10 })).toEqual([]);
      const first = await store.list({ limit: 2 });
      expect(first.map((r) => r.id)).toEqual(['d', 'c']);
      const last = first[1]!;
      expect((await store.list({ limit: 10, before: { createdAt: last.createdAt, id: last.id } })).map((r) => r.id)).toEqual(['b', 'a']);
    });

    it('counts per kind and status, and open tickets overdue', async () => {
      await store.insert(ticket('a', 's1', 10, { kind: 'deletion', dueAt: 100 }));
      await store.insert(ticket('b', 's1', 20, { kind: 'deletion', status: 'completed', closedAt: 30, dueAt: 50 }));
      await store.insert(ticket('c', 's2', 20, { kind: 'complaint', status: 'rejected', closedAt: 30, reason: 'duplicate' }));
      await store.insert(ticket('d', 's2', 30, { kind: 'complaint', dueAt: 1000 }));
      const counts = await store.counts(500);
      expect(counts.overdue).toBe(1);
      expect(counts.byKind.deletion).toEqual({ open: 1, completed: 1, rejected: 0 });
      expect(counts.byKind.complaint).toEqual({ open: 1, completed: 0, rejected: 1 });
      expect(counts.byKind.access).toEqual({ open: 0, completed: 0, rejected: 0 });
      expect((await store.counts(0)).overdue).toBe(0);
    });

    it('purges closed tickets closed before the cutoff, never open ones', async () => {
      await store.insert(ticket('old-open', 's1', 10));
      await store.insert(ticket('old-done', 's1', 10, { status: 'completed', closedAt: 20 }));
      await store.insert(ticket('old-rej', 's1', 10, { status: 'rejected', closedAt: 30, reason: 'no' }));
      await store.insert(ticket('new-done', 's1', 10, { status: 'completed', closedAt: 200 }));
      expect(await store.purgeClosedBefore(100)).toBe(2);
      expect((await store.bySubject('s1')).map((r) => r.id).sort()).toEqual(['new-done', 'old-open']);
      expect(await store.purgeClosedBefore(100)).toBe(0);
    });

    it('runs work in one transaction with the access log: both commit or neither does', async () => {
      const log = new AccessLogService(new KyselyAccessLogStore(t.storage.db), new MemorySigningKeyStore(), { now: () => 1_000 });
      const ctx = systemContext('contract test', 'req-1');
      await store.insert(ticket('a', 's1', 10));
      await expect(
        store.transaction(async ({ tickets, db }) => {
          await tickets.close('a', { status: 'completed', reason: null, handledBy: 'u1', at: 50 });
          await log.record(ctx, { action: 'correct', subject: 'viewer:s1', purpose: 'rights-request' }, db);
          throw new Error('fails after both writes');
        }),
      ).rejects.toThrow('fails after both writes');
      expect((await store.get('a'))?.status).toBe('open');
      expect(await t.storage.db.selectFrom('access_log_entries').select('seq').execute()).toEqual([]);

      await store.transaction(async ({ tickets, db }) => {
        await tickets.close('a', { status: 'completed', reason: null, handledBy: 'u1', at: 50 });
        await log.record(ctx, { action: 'correct', subject: 'viewer:s1', purpose: 'rights-request' }, db);
      });
      expect((await store.get('a'))?.status).toBe('completed');
      expect(await t.storage.db.selectFrom('access_log_entries').select('seq').execute()).toHaveLength(1);
    });
  });
}
