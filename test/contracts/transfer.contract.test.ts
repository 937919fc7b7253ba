/** The transfer module's stores (registry, separate-consent ledger, export ledger), on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KyselyDestinationRegistry,
  KyselyExportLedger,
  KyselyTransferConsentLedger,
  type Destination,
  type RegistryChange,
  type TransferBasis,
  type TransferConsentRecord,
  type TransferLogEntry,
} from '../../src/modules/transfer/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const destination = (id: string, over: Partial<Destination> = {}): Destination => ({
  id,
  recipientName: 'Example Analytics Pte. Ltd.',
  contact: 'privacy@example.com',
  region: 'sg',
  purpose: { zh: '统计分析', en: 'Analytics' },
  method: { zh: '自动化分析', en: 'Automated analysis' },
  rights: { zh: '发邮件', en: 'Write to us' },
  categories: [
    { id: 'chat_text', zh: '聊天内容', en: 'Chat text', sensitive: false },
    { id: 'minor_age', zh: '未满十四周岁', en: 'Under 14', sensitive: true },
  ],
  sensitive: true,
  baseUrl: 'https://analytics.example.com/v1',
  createdBy: 'staff:u1',
  createdAt: 1000,
  ...over,
});

const change = (id: string, destinationId: string, action: RegistryChange['action'], createdAt: number): RegistryChange => ({
  id,
  destinationId,
  action,
  actor: 'staff:u1',
  detail: { note: id },
  createdAt,
});

const basis = (id: string, destinationId: string, over: Partial<TransferBasis> = {}): TransferBasis => ({
  id,
  destinationId,
  kind: 'standard_contract',
  reference: 'SCC-2026-001',
  validFrom: 0,
  validUntil: 10_000,
  recordedBy: 'staff:u1',
  recordedAt: 2000,
  revokedAt: null,
  revokedBy: null,
  revokeReason: null,
  ...over,
});

const consent = (id: string, subject: string, createdAt: number, over: Partial<TransferConsentRecord> = {}): TransferConsentRecord => ({
  id,
  subject,
  destinationId: 'd1',
  decision: 'granted',
  noticeVersion: 'v1',
  noticeHash: 'a'.repeat(64),
  locale: 'zh-CN',
  region: 'cn-mainland',
  createdAt,
  ...over,
});

const logEntry = (id: string, createdAt: number, over: Partial<TransferLogEntry> = {}): TransferLogEntry => ({
  id,
  destinationId: 'd1',
  region: 'sg',
  crossBorder: true,
  subjects: 3,
  categories: ['chat_text'],
  sensitive: false,
  outcome: 'sent',
  reason: null,
  httpStatus: 200,
  actor: 'system:test',
  createdAt,
  ...over,
});

const subjectsFrom = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

for (const dialect of DIALECTS) {
  describe(`transfer stores on ${dialect}`, () => {
    let t: TestStorage;
    beforeEach(async () => {
      t = await freshStorage(dialect);
    });
    afterEach(async () => t.dispose());

    describe('DestinationRegistry', () => {
      it('creates destinations once, with their change, and reads them back exactly', async () => {
        const registry = new KyselyDestinationRegistry(t.storage.db);
        expect(await registry.createDestination(destination('d1'), change('c1', 'd1', 'destination_created', 1000))).toBe(true);
        expect(await registry.createDestination(destination('d0', { region: 'cn-mainland', sensitive: false }), change('c0', 'd0', 'destination_created', 1001))).toBe(true);
        // A taken id: nothing stored, not even the change.
        expect(await registry.createDestination(destination('d1', { recipientName: 'Other' }), change('c2', 'd1', 'destination_created', 1002))).toBe(false);
        expect(await registry.destination('d1')).toEqual(destination('d1'));
        expect(await registry.destination('nope')).toBeUndefined();
        expect((await registry.destinations()).map((d) => d.id)).toEqual(['d0', 'd1']);
        expect((await registry.changes({ limit: 10 })).map((c) => c.id)).toEqual(['c0', 'c1']);
      });

      it('records bases, revokes each once, and keeps the history newest first', async () => {
        const registry = new KyselyDestinationRegistry(t.storage.db);
        await registry.createDestination(destination('d1'), change('c1', 'd1', 'destination_created', 1000));
        await registry.createDestination(destination('d2'), change('c2', 'd2', 'destination_created', 1001));
        await registry.addBasis(basis('b1', 'd1'), change('c3', 'd1', 'basis_recorded', 2000));
        await registry.addBasis(basis('b2', 'd1', { kind: 'security_assessment', recordedAt: 2500 }), change('c4', 'd1', 'basis_recorded', 2500));
        await registry.addBasis(basis('b3', 'd2'), change('c5', 'd2', 'basis_recorded', 2600));
        expect((await registry.bases('d1')).map((b) => b.id)).toEqual(['b1', 'b2']);
        expect(await registry.bases()).toHaveLength(3);
        expect(await registry.basis('b2')).toEqual(basis('b2', 'd1', { kind: 'security_assessment', recordedAt: 2500 }));

        const revocation = { at: 3000, by: 'staff:u2', reason: 'contract ended' };
        expect(await registry.revokeBasis('b1', revocation, change('c6', 'd1', 'basis_revoked', 3000))).toBe(true);
        expect(await registry.revokeBasis('b1', { ...revocation, at: 3100 }, change('c7', 'd1', 'basis_revoked', 3100))).toBe(false);
        expect(await registry.revokeBasis('missing', revocation, change('c8', 'd1', 'basis_revoked', 3200))).toBe(false);
        expect(await registry.basis('b1')).toMatchObject({ revokedAt: 3000, revokedBy: 'staff:u2', revokeReason: 'contract ended' });

        expect((await registry.changes({ limit: 10, destinationId: 'd1' })).map((c) => c.id)).toEqual(['c6', 'c4', 'c3', 'c1']);
        expect((await registry.changes({ limit: 2 })).map((c) => c.id)).toEqual(['c6', 'c5']);
        expect((await registry.changes({ limit: 1 }))[0]).toEqual(change('c6', 'd1', 'basis_revoked', 3000));
      });

      it('refuses a basis for a destination that does not exist', async () => {
        const registry = new KyselyDestinationRegistry(t.storage.db);
        await expect(registry.addBasis(basis('b1', 'ghost'), change('c1', 'ghost', 'basis_recorded', 1))).rejects.toThrow();
        expect(await registry.bases()).toEqual([]);
        expect(await registry.changes({ limit: 10 })).toEqual([]);
      });
    });

    describe('TransferConsentLedger', () => {
      it('answers the latest decision per subject for one destination, and each subject its history', async () => {
        const ledger = new KyselyTransferConsentLedger(t.storage.db);
        await ledger.append(consent('r1', 's1', 10));
        await ledger.append(consent('r2', 's1', 20, { decision: 'withdrawn' }));
        await ledger.append(consent('r3', 's2', 15));
        await ledger.append(consent('r4', 's2', 16, { destinationId: 'd2', decision: 'withdrawn' }));
        await ledger.append(consent('r5', 's1', 25, { destinationId: 'd2' }));
        const latest = await ledger.latestFor('d1', ['s1', 's2', 's3', 's1']);
        expect([...latest.keys()].sort()).toEqual(['s1', 's2']);
        expect(latest.get('s1')?.id).toBe('r2');
        expect(latest.get('s2')).toEqual(consent('r3', 's2', 15));
        expect((await ledger.latestFor('d2', ['s1', 's2'])).get('s2')?.decision).toBe('withdrawn');
        expect((await ledger.history('s1')).map((r) => r.id)).toEqual(['r1', 'r2', 'r5']);
        expect(await ledger.latestFor('d1', [])).toEqual(new Map());
      });

      it('orders records of the same millisecond by id, and never reuses an id', async () => {
        const ledger = new KyselyTransferConsentLedger(t.storage.db);
        await ledger.append(consent('000a', 's1', 50));
        await ledger.append(consent('000b', 's1', 50, { decision: 'withdrawn' }));
        expect((await ledger.latestFor('d1', ['s1'])).get('s1')?.decision).toBe('withdrawn');
        await expect(ledger.append(consent('000a', 's1', 60))).rejects.toThrow();
      });

      it('looks up more subjects than one query takes', async () => {
        const ledger = new KyselyTransferConsentLedger(t.storage.db);
        const subjects = subjectsFrom('s', 1203);
        await t.storage.db
          .insertInto('transfer_consents')
          .values(subjects.filter((_, i) => i % 2 === 0).map((s, i) => ({ id: `r${i}`, subject: s, destination_id: 'd1', decision: 'granted', notice_version: 'v1', notice_hash: 'a'.repeat(64), locale: 'en', region: 'cn-mainland', created_at: i })))
          .execute();
        const latest = await ledger.latestFor('d1', subjects);
        expect(latest.size).toBe(602);
        expect(latest.has('s1202')).toBe(true);
        expect(latest.has('s1201')).toBe(false);
      });
    });

    describe('ExportLedger', () => {
      it('logs outbound calls and lists them newest first, by outcome', async () => {
        const ledger = new KyselyExportLedger(t.storage.db);
        await ledger.log(logEntry('l1', 10));
        await ledger.log(logEntry('l2', 20, { outcome: 'refused', reason: 'no_valid_basis', httpStatus: null, sensitive: true, categories: ['chat_text', 'minor_age'] }));
        await ledger.log(logEntry('l3', 30, { outcome: 'failed', reason: 'timeout', httpStatus: null, crossBorder: false, region: null }));
        expect((await ledger.recent({ limit: 10 })).map((e) => e.id)).toEqual(['l3', 'l2', 'l1']);
        expect(await ledger.recent({ limit: 10, outcome: 'refused' })).toEqual([
          logEntry('l2', 20, { outcome: 'refused', reason: 'no_valid_basis', httpStatus: null, sensitive: true, categories: ['chat_text', 'minor_age'] }),
        ]);
        expect((await ledger.recent({ limit: 1 })).map((e) => e.id)).toEqual(['l3']);
        expect((await ledger.recent({ limit: 10 }))[0]).toEqual(logEntry('l3', 30, { outcome: 'failed', reason: 'timeout', httpStatus: null, crossBorder: false, region: null }));
      });

      it('counts each individual once per year, sensitive separately, in bulk', async () => {
        const ledger = new KyselyExportLedger(t.storage.db);
        expect(await ledger.totals(2026)).toEqual({ year: 2026, individuals: 0, sensitiveIndividuals: 0 });
        expect(await ledger.countIndividuals({ year: 2026, subjects: ['a', 'b', 'a'], sensitive: false, at: 1 })).toEqual({ individuals: 2, sensitive: 0 });
        expect(await ledger.countIndividuals({ year: 2026, subjects: ['b', 'c'], sensitive: true, at: 2 })).toEqual({ individuals: 1, sensitive: 2 });
        expect(await ledger.countIndividuals({ year: 2026, subjects: ['a', 'b', 'c'], sensitive: true, at: 3 })).toEqual({ individuals: 0, sensitive: 1 });
        expect(await ledger.countIndividuals({ year: 2027, subjects: ['a'], sensitive: false, at: 4 })).toEqual({ individuals: 1, sensitive: 0 });
        expect(await ledger.totals(2026)).toEqual({ year: 2026, individuals: 3, sensitiveIndividuals: 3 });
        expect(await ledger.totals(2027)).toEqual({ year: 2027, individuals: 1, sensitiveIndividuals: 0 });

        // The bulk path: more rows than one INSERT takes, partly overlapping what is counted.
        const bulk = subjectsFrom('p', 2500);
        expect(await ledger.countIndividuals({ year: 2026, subjects: [...bulk, 'a'], sensitive: false, at: 5 })).toEqual({ individuals: 2500, sensitive: 0 });
        expect((await ledger.totals(2026)).individuals).toBe(2503);
        // The totals are the rows: nothing drifted.
        const rows = await t.storage.db.selectFrom('transfer_individuals').select((eb) => eb.fn.countAll<number>().as('n')).where('year', '=', 2026).where('kind', '=', 'any').executeTakeFirstOrThrow();
        expect(Number(rows.n)).toBe(2503);
      });

      it('counts exactly under concurrent calls for the same individuals', async () => {
        const ledger = new KyselyExportLedger(t.storage.db);
        const subjects = subjectsFrom('q', 300);
        const results = await Promise.all([
          ledger.countIndividuals({ year: 2026, subjects, sensitive: true, at: 1 }),
          ledger.countIndividuals({ year: 2026, subjects: [...subjects].reverse(), sensitive: true, at: 2 }),
          ledger.countIndividuals({ year: 2026, subjects: subjects.slice(100), sensitive: false, at: 3 }),
        ]);
        expect(results.reduce((n, r) => n + r.individuals, 0)).toBe(300);
        expect(results.reduce((n, r) => n + r.sensitive, 0)).toBe(300);
        expect(await ledger.totals(2026)).toEqual({ year: 2026, individuals: 300, sensitiveIndividuals: 300 });
      });

      it('raises each alert once per year, threshold and level', async () => {
        const ledger = new KyselyExportLedger(t.storage.db);
        const alert = { year: 2026, threshold: 'sensitive_10k' as const, level: 'reached' as const, limit: 10_000, count: 10_000, raisedAt: 100 };
        expect(await ledger.raiseAlert(alert)).toBe(true);
        expect(await ledger.raiseAlert({ ...alert, count: 10_500, raisedAt: 200 })).toBe(false);
        expect(await ledger.raiseAlert({ ...alert, level: 'warning', limit: 8000, count: 9000, raisedAt: 50 })).toBe(true);
        expect(await ledger.raiseAlert({ ...alert, year: 2027 })).toBe(true);
        expect(await ledger.alerts(2026)).toEqual([{ ...alert, level: 'warning', limit: 8000, count: 9000, raisedAt: 50 }, alert]);
        expect(await ledger.alerts()).toHaveLength(3);
      });

      it('forgets a subject: the counts stay, the rows no longer name them', async () => {
        const ledger = new KyselyExportLedger(t.storage.db);
        await ledger.countIndividuals({ year: 2025, subjects: ['gone', 'kept'], sensitive: true, at: 1 });
        await ledger.countIndividuals({ year: 2026, subjects: ['gone'], sensitive: false, at: 2 });
        expect(await ledger.forgetSubject('gone')).toBe(3);
        expect(await ledger.forgetSubject('gone')).toBe(0);
        expect(await ledger.totals(2025)).toEqual({ year: 2025, individuals: 2, sensitiveIndividuals: 2 });
        expect(await ledger.totals(2026)).toEqual({ year: 2026, individuals: 1, sensitiveIndividuals: 0 });
        const rows = await t.storage.db.selectFrom('transfer_individuals').select('subject').execute();
        expect(rows).toHaveLength(5);
        expect(rows.filter((r) => r.subject === 'gone')).toEqual([]);
        const tombstones = rows.map((r) => r.subject).filter((s) => s !== 'kept');
        expect(tombstones).toHaveLength(3);
        expect(new Set(tombstones).size).toBe(3);
        for (const s of tombstones) expect(s).toMatch(/^forgotten:[A-Za-z0-9_-]{22}$/);
        expect(await ledger.countedFor('gone')).toEqual([]);
        expect(await ledger.countedFor('kept')).toEqual([
          { year: 2025, kind: 'any', firstAt: 1 },
          { year: 2025, kind: 'sensitive', firstAt: 1 },
        ]);
      });

      it("forgets inside the caller's transaction: rolled back with it, or committed with it", async () => {
        const ledger = new KyselyExportLedger(t.storage.db);
        await ledger.countIndividuals({ year: 2026, subjects: ['gone'], sensitive: false, at: 1 });
        await expect(
          t.storage.db.transaction().execute(async (tx) => {
            expect(await new KyselyExportLedger(tx).forgetSubject('gone')).toBe(1);
            throw new Error('erasure failed later');
          }),
        ).rejects.toThrow('erasure failed later');
        expect(await ledger.countedFor('gone')).toHaveLength(1);
        await t.storage.db.transaction().execute(async (tx) => {
          await new KyselyExportLedger(tx).forgetSubject('gone');
        });
        expect(await ledger.countedFor('gone')).toEqual([]);
        expect((await ledger.totals(2026)).individuals).toBe(1);
      });
    });
  });
}
