import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../context/index.js';
import { openStorage, type Storage } from '../../storage/index.js';
import { AccessLogService, KyselyAccessLogStore, MemorySigningKeyStore } from '../access-log/index.js';
import { EnvKeyProvider, KyselyDataKeyStore, KyselyPseudonymStore, ProtectionService } from '../protection/index.js';
import { KyselyRightsTicketStore } from './adapters/rights-ticket-store.kysely.js';
import { RightsService, accessLogSubjectOf, type RightsDeps, type RightsOptions } from './service.js';
import { rightsDataSource } from './data-source.js';

const DAY = 86_400_000;
const REGION = 'cn-mainland';
const ALICE = 'device-alice-0000000001';
const BOB = 'device-bob-00000000000001';
const staff = (role: 'compliance' | 'admin' | 'host', id = `${role}-1`): RequestContext => ({
  requestId: `req-${randomBytes(4).toString('hex')}`,
  actor: { kind: 'staff', id, name: id, role },
  locale: 'en',
});
const viewer: RequestContext = { requestId: 'req-viewer', actor: { kind: 'anonymous' }, locale: 'zh-CN' };
const officer = staff('compliance');

let storage: Storage;
let protection: ProtectionService;
let now: number;
let erased: string[];
let eraseFails: boolean;

beforeEach(async () => {
  storage = await openStorage('sqlite::memory:');
  now = 1_700_000_000_000;
  erased = [];
  eraseFails = false;
  protection = await ProtectionService.start({
    dataKeys: new KyselyDataKeyStore(storage.db),
    pseudonyms: new KyselyPseudonymStore(storage.db),
    provider: new EnvKeyProvider({ keks: `k1:${randomBytes(32).toString('base64')}`, pseudonymRoot: randomBytes(32).toString('base64') }),
    clock: { now: () => now },
  });
});
afterEach(async () => storage.close());

function rights(options: RightsOptions = {}, extra: Partial<RightsDeps> = {}): RightsService {
  return new RightsService(
    {
      store: new KyselyRightsTicketStore(storage.db),
      sealer: protection,
      subjectOf: (deviceId) => protection.subjectFor(deviceId, REGION),
      accessLog: new AccessLogService(new KyselyAccessLogStore(storage.db), new MemorySigningKeyStore(), { now: () => now }),
      // A recording erasure that does what the workflow does to this module's data: destroys the data key.
      eraseSubject: async (_ctx, subject) => {
        if (eraseFails) throw new Error('erasure backend down');
        erased.push(subject);
        await protection.shred(subject);
      },
      clock: { now: () => now },
      region: REGION,
      ...extra,
    },
    options,
  );
}

const logEntries = async () =>
  (await storage.db.selectFrom('access_log_entries').select('entry').orderBy('seq').execute()).map((r) => JSON.parse(r.entry) as Record<string, unknown>);

async function file(service: RightsService, deviceId: string, kind: string, details = '请删除我的观看记录') {
  const filed = await service.file(viewer, deviceId, { kind, details, locale: 'zh-CN' });
  if (!filed.ok) throw new Error(`filing failed: ${filed.code}`);
  return filed.value;
}

describe('RightsService', () => {
  it('files a ticket with its words sealed, due after the configured days, seen only by its own device', async () => {
    const service = rights({ dueDays: 10 });
    const ticket = await file(service, ALICE, 'correction', '我的收货地址写错了');
    expect(ticket).toMatchObject({ kind: 'correction', status: 'open', details: '我的收货地址写错了', detailsErased: false, region: REGION, createdAt: now, dueAt: now + 10 * DAY, closedAt: null, reason: null });
    const row = await storage.db.selectFrom('rights_tickets').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain('收货地址');
    expect(JSON.stringify(row)).not.toContain(ALICE);
    expect(row.subject).toBe(protection.subjectFor(ALICE, REGION));
    expect((await service.ticketsOfDevice(ALICE)).map((t) => t.id)).toEqual([ticket.id]);
    expect(await service.ticketsOfDevice(BOB)).toEqual([]);
  });

  it('refuses an unknown kind and blank or over-long words, storing nothing', async () => {
    const service = rights();
    for (const [kind, details] of [['sell', 'x'], ['access', '   '], ['access', '字'.repeat(2001)]] as const) {
      const res = await service.file(viewer, ALICE, { kind, details, locale: 'zh-CN' });
      expect(res).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    }
    expect((await service.file(viewer, ALICE, { kind: 'access', details: '字'.repeat(2000), locale: 'en' })).ok).toBe(true);
    expect(await storage.db.selectFrom('rights_tickets').select('id').execute()).toHaveLength(1);
  });

  it('logs an officer’s read of the words with the read itself; an unknown id logs nothing', async () => {
    const service = rights();
    const ticket = await file(service, ALICE, 'explanation', '为什么给我推荐这个？');
    expect(await service.read(officer, 'AAAAAAAAAAAAAAAAAAAAAA')).toMatchObject({ ok: false, code: 'TICKET_NOT_FOUND' });
    expect(await logEntries()).toEqual([]);
    const read = await service.read(officer, ticket.id);
    expect(read).toMatchObject({ ok: true, value: { id: ticket.id, details: '为什么给我推荐这个？', detailsErased: false } });
    expect(await logEntries()).toMatchObject([
      { action: 'read', purpose: 'rights-request', subject: accessLogSubjectOf(protection.subjectFor(ALICE, REGION)), actor: { id: 'compliance-1', role: 'compliance' } },
    ]);
  });

  it('requires a reason to reject, then shows it to the viewer; a closed ticket stays closed', async () => {
    const service = rights();
    const ticket = await file(service, ALICE, 'correction');
    for (const reason of [undefined, '', '   ']) {
      expect(await service.resolve(officer, ticket.id, { outcome: 'rejected', ...(reason !== undefined ? { reason } : {}) })).toMatchObject({ ok: false, code: 'REASON_REQUIRED' });
    }
    expect((await service.ticketsOfDevice(ALICE))[0]?.status).toBe('open');
    expect(await logEntries()).toEqual([]);

    now += 1000;
    const rejected = await service.resolve(officer, ticket.id, { outcome: 'rejected', reason: '  The address on file is already correct.  ' });
    expect(rejected).toMatchObject({ ok: true, value: { status: 'rejected', reason: 'The address on file is already correct.', handledBy: 'compliance-1', closedAt: now } });
    expect((await service.ticketsOfDevice(ALICE))[0]).toMatchObject({ status: 'rejected', reason: 'The address on file is already correct.', closedAt: now });
    expect(await logEntries()).toMatchObject([{ action: 'correct', purpose: 'rights-request' }]);

    expect(await service.resolve(staff('admin'), ticket.id, { outcome: 'completed' })).toMatchObject({ ok: false, code: 'TICKET_CLOSED' });
    expect(await service.resolve(officer, 'AAAAAAAAAAAAAAAAAAAAAA', { outcome: 'completed' })).toMatchObject({ ok: false, code: 'TICKET_NOT_FOUND' });
    expect(await logEntries()).toHaveLength(1);
  });

  it('names who closed a ticket for officers, looked up from the account id it keeps; the shell and unknown accounts have no name', async () => {
    const looked: string[] = [];
    const names: Record<string, string> = { 'compliance-1': 'lin.wei' };
    const service = rights({}, { staff: { nameOf: async (id) => (looked.push(id), names[id] ?? null) } });
    const open = await file(service, ALICE, 'explanation');
    expect(await service.read(officer, open.id)).toMatchObject({ ok: true, value: { handledBy: null, handledByName: null } });
    expect(looked).toEqual([]);

    const resolved = await service.resolve(officer, open.id, { outcome: 'completed' });
    expect(resolved).toMatchObject({ ok: true, value: { handledBy: 'compliance-1', handledByName: 'lin.wei' } });
    expect(await service.read(staff('admin'), open.id)).toMatchObject({ ok: true, value: { handledBy: 'compliance-1', handledByName: 'lin.wei' } });
    // Only the id is stored and logged, never the name.
    const row = await storage.db.selectFrom('rights_tickets').selectAll().where('id', '=', open.id).executeTakeFirstOrThrow();
    expect(row.handled_by).toBe('compliance-1');
    expect(JSON.stringify(await logEntries())).not.toContain('lin.wei');

    const byShell = await file(service, BOB, 'complaint');
    const shell: RequestContext = { requestId: 'req-shell', actor: { kind: 'system', reason: 'test' }, locale: 'en' };
    expect(await service.resolve(shell, byShell.id, { outcome: 'completed' })).toMatchObject({ ok: true, value: { handledBy: 'system', handledByName: null } });
    const byGone = await file(service, BOB, 'complaint');
    expect(await service.resolve(staff('admin', 'admin-gone'), byGone.id, { outcome: 'completed' })).toMatchObject({ ok: true, value: { handledBy: 'admin-gone', handledByName: null } });
    expect(looked).toEqual(['compliance-1', 'compliance-1', 'admin-gone']);
    // Without a directory: the id alone, as before.
    expect(await rights().read(officer, open.id)).toMatchObject({ ok: true, value: { handledBy: 'compliance-1', handledByName: null } });
  });

  it('erases the viewer before completing a deletion request; their words then read as erased', async () => {
    const service = rights();
    const other = await file(service, BOB, 'deletion');
    const ticket = await file(service, ALICE, 'deletion');
    const subject = protection.subjectFor(ALICE, REGION);
    const done = await service.resolve(officer, ticket.id, { outcome: 'completed' });
    expect(done).toMatchObject({ ok: true, value: { status: 'completed' } });
    expect(erased).toEqual([subject]);
    expect((await logEntries()).map((e) => [e.action, e.subject])).toEqual([['delete', accessLogSubjectOf(subject)]]);
    // Lists never fail on erased words; the officer sees them erased too.
    expect(await service.ticketsOfDevice(ALICE)).toMatchObject([{ id: ticket.id, status: 'completed', details: null, detailsErased: true }]);
    expect(await service.read(officer, ticket.id)).toMatchObject({ ok: true, value: { details: null, detailsErased: true } });
    expect(await service.ticketsOfDevice(BOB)).toMatchObject([{ id: other.id, status: 'open', detailsErased: false }]);
    // Rejecting a deletion request erases nobody.
    expect((await service.resolve(officer, other.id, { outcome: 'rejected', reason: 'Identity could not be confirmed.' })).ok).toBe(true);
    expect(erased).toEqual([subject]);
  });

  it('keeps a deletion request open when the erasure fails, and completes it on retry', async () => {
    const service = rights();
    const ticket = await file(service, ALICE, 'deletion');
    eraseFails = true;
    await expect(service.resolve(officer, ticket.id, { outcome: 'completed' })).rejects.toThrow('erasure backend down');
    expect((await service.ticketsOfDevice(ALICE))[0]).toMatchObject({ status: 'open', detailsErased: false });
    expect(await logEntries()).toEqual([]);
    eraseFails = false;
    expect((await service.resolve(officer, ticket.id, { outcome: 'completed' })).ok).toBe(true);
    expect(erased).toEqual([protection.subjectFor(ALICE, REGION)]);
  });

  it('refuses hosts and anonymous callers for every officer action', async () => {
    const service = rights();
    const ticket = await file(service, ALICE, 'access');
    for (const ctx of [staff('host'), viewer]) {
      expect(await service.read(ctx, ticket.id)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await service.resolve(ctx, ticket.id, { outcome: 'completed' })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await service.summary(ctx)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await service.list(ctx, { status: 'all', overdue: false, limit: 10 })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    expect(await logEntries()).toEqual([]);
  });

  it('lists metadata with overdue flags, pages, summarises, and purges closed tickets past retention', async () => {
    const service = rights({ dueDays: 15 });
    const a = await file(service, ALICE, 'access');
    now += 1000;
    const b = await file(service, BOB, 'complaint');
    now += 1000;
    const c = await file(service, BOB, 'deletion');
    expect((await service.resolve(officer, b.id, { outcome: 'rejected', reason: 'Duplicate of an earlier complaint.' })).ok).toBe(true);
    now += 16 * DAY;

    const all = await service.list(officer, { status: 'all', overdue: false, limit: 10 });
    if (!all.ok) throw new Error(all.code);
    expect(all.value.items.map((t) => [t.id, t.status, t.overdue])).toEqual([
      [c.id, 'open', true],
      [b.id, 'rejected', false],
      [a.id, 'open', true],
    ]);
    expect(JSON.stringify(all.value)).not.toContain('请删除');
    expect(Object.keys(all.value.items[0]!).sort()).toEqual(['closedAt', 'createdAt', 'dueAt', 'id', 'kind', 'overdue', 'status']);

    const page1 = await service.list(officer, { status: 'open', overdue: true, limit: 1 });
    if (!page1.ok) throw new Error(page1.code);
    expect(page1.value.items.map((t) => t.id)).toEqual([c.id]);
    const page2 = await service.list(officer, { status: 'open', overdue: true, limit: 1, after: page1.value.next! });
    expect(page2).toMatchObject({ ok: true, value: { items: [{ id: a.id }] } });
    expect(await service.list(officer, { status: 'all', overdue: false, limit: 10, after: 'not-a-cursor' })).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });

    expect(await service.summary(officer)).toMatchObject({
      ok: true,
      value: { total: 3, overdue: 2, byStatus: { open: 2, completed: 0, rejected: 1 }, byKind: { complaint: { rejected: 1 }, deletion: { open: 1 }, access: { open: 1 } } },
    });

    expect(await service.purgeClosedBefore(now - 17 * DAY)).toBe(0);
    expect(await service.purgeClosedBefore(now)).toBe(1);
    expect((await service.ticketsOfDevice(BOB)).map((t) => t.id)).toEqual([c.id]);
  });

  it('gives the privacy export the device’s own tickets, and keeps them on erasure with a stated reason', async () => {
    const service = rights();
    const ticket = await file(service, ALICE, 'access', '请给我一份数据副本');
    await file(service, BOB, 'access');
    const source = rightsDataSource(service);
    expect(await source.exportFor(protection.subjectFor(ALICE, REGION), ALICE)).toMatchObject([{ id: ticket.id, details: '请给我一份数据副本' }]);
    expect('eraseIn' in source).toBe(false);
    expect(source.retainedBecause.en).toContain('3 years');
  });

  it('refuses a due period that is not positive', () => {
    expect(() => rights({ dueDays: 0 })).toThrow('dueDays');
  });
});
