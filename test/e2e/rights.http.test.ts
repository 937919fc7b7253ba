/**
 * Rights requests over HTTP on every database (PIPL 44–50; R3, S3): a viewer files and follows their
 * tickets; officers list metadata, open a ticket (logged in the access log), and complete or reject
 * it (a rejection needs a reason the viewer sees); completing a deletion request erases the viewer.
 * Other roles are refused; bad input is refused with a stable code and stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { systemContext } from '../../src/context/index.js';
import { KyselyRightsTicketStore, RightsService, accessLogSubjectOf, rightsRoutes } from '../../src/modules/rights/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

const ALICE = 'rights-alice-device-0001';
const BOB = 'rights-bob-device-000001';
const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * Mounts the rights routes unless the app already does, with a recording erasure that destroys the
 * subject's data key (what the erasure workflow does to this module's data). Returns the subjects
 * erased, or null when the app's own wiring (and erasure workflow) is used.
 */
async function mountRights(app: FastifyInstance, region: string): Promise<string[] | null> {
  if ((app.services as unknown as Record<string, unknown>).rights) return null;
  const { storage, protection, accessLog, clock } = app.services;
  const erased: string[] = [];
  const service = new RightsService({
    store: new KyselyRightsTicketStore(storage.db),
    sealer: protection,
    subjectOf: (deviceId) => protection.subjectFor(deviceId, region),
    accessLog,
    eraseSubject: async (_ctx, subject) => {
      erased.push(subject);
      await protection.shred(subject);
    },
    clock,
    region,
  });
  await app.register(rightsRoutes(service));
  return erased;
}

describe.each(DIALECTS)('rights requests over HTTP on %s', (dialect) => {
  let t: TestApp;
  let erased: string[] | null;
  let officer: { cookie: string; id: string; name: string };
  let admin: { cookie: string };
  let host: { cookie: string };
  let moderator: { cookie: string };

  beforeAll(async () => {
    t = await testApp(dialect, { seed: false });
    erased = await mountRights(t.app, t.config.dataRegion);
    [officer, admin, host, moderator] = await Promise.all([signIn(t.app, 'compliance'), signIn(t.app, 'admin'), signIn(t.app, 'host'), signIn(t.app, 'moderator')]);
  });
  afterAll(async () => t.close());

  const fileTicket = (deviceId: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/privacy/tickets', headers: { 'x-qingliu-device': deviceId }, payload });
  const myTickets = async (deviceId: string) => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/privacy/tickets', headers: { 'x-qingliu-device': deviceId } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as Record<string, unknown>[];
  };
  const asStaff = (cookie: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    t.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
  const ticketRows = () => t.app.services.storage.db.selectFrom('rights_tickets').selectAll().execute();
  const logEntries = async () =>
    (await t.app.services.storage.db.selectFrom('access_log_entries').select('entry').orderBy('seq').execute()).map((e) => JSON.parse(e.entry) as Record<string, unknown>);
  const subjectOf = (deviceId: string) => t.app.services.protection.subjectFor(deviceId, t.config.dataRegion);
  const file = async (deviceId: string, kind: string, details: string) => {
    const res = await fileTicket(deviceId, { kind, details, locale: 'zh-CN' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  };

  it('lets a viewer file a request and follow it; another device never sees it; words and device id are not stored in the clear', async () => {
    const res = await fileTicket(ALICE, { kind: 'access', details: '请提供我的全部个人信息副本', locale: 'zh-CN' });
    expect(res.statusCode, res.body).toBe(201);
    const ticket = res.json();
    expect(ticket).toMatchObject({ kind: 'access', status: 'open', details: '请提供我的全部个人信息副本', detailsErased: false, region: t.config.dataRegion, closedAt: null, reason: null });
    expect(ticket.dueAt - ticket.createdAt).toBe(15 * 86_400_000);
    const second = await file(ALICE, 'explanation', 'Why was this product recommended to me?');

    expect((await myTickets(ALICE)).map((x) => x.id)).toEqual([second.id, ticket.id]);
    expect(await myTickets(BOB)).toEqual([]);
    const stored = JSON.stringify(await ticketRows());
    expect(stored).not.toContain('个人信息副本');
    expect(stored).not.toContain(ALICE);
  });

  it('refuses bad input with a stable code and stores nothing', async () => {
    const before = (await ticketRows()).length;
    const good = { kind: 'correction', details: 'My nickname is misspelt.', locale: 'en' };
    const cases: [string | undefined, Record<string, unknown>, string][] = [
      [ALICE, { ...good, kind: 'sell_my_data' }, 'VALIDATION_FAILED'],
      [ALICE, { ...good, details: 'x'.repeat(2001) }, 'VALIDATION_FAILED'],
      [ALICE, { ...good, details: '' }, 'VALIDATION_FAILED'],
      [ALICE, { ...good, details: '    ' }, 'VALIDATION_FAILED'],
      [ALICE, { ...good, locale: 'fr' }, 'VALIDATION_FAILED'],
      [ALICE, { ...good, subject: 'someone-else' }, 'VALIDATION_FAILED'],
      [undefined, good, 'VALIDATION_FAILED'],
      ['short', good, 'VALIDATION_FAILED'],
      ['has spaces in it, 12345', good, 'VALIDATION_FAILED'],
    ];
    for (const [device, payload, code] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/privacy/tickets', headers: device ? { 'x-qingliu-device': device } : {}, payload });
      expect(res.statusCode, JSON.stringify([device, payload]).slice(0, 200)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe(code);
    }
    const noHeader = await t.app.inject({ method: 'GET', url: '/api/v1/privacy/tickets' });
    expect([noHeader.statusCode, noHeader.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await ticketRows()).length).toBe(before);
  });

  it('gives officers metadata lists and counts, never the words, and logs no read for them', async () => {
    const logBefore = (await logEntries()).length;
    const list = await asStaff(officer.cookie, 'GET', '/api/v1/compliance/tickets?status=open');
    expect(list.statusCode, list.body).toBe(200);
    const items = list.json().items as Record<string, unknown>[];
    expect(items.length).toBeGreaterThanOrEqual(2);
    for (const item of items) expect(Object.keys(item).sort()).toEqual(['closedAt', 'createdAt', 'dueAt', 'id', 'kind', 'overdue', 'status']);
    expect(items.every((i) => i.status === 'open' && i.overdue === false)).toBe(true);
    expect(list.body).not.toContain('个人信息副本');
    expect(list.body).not.toContain('recommended');
    const overdue = await asStaff(admin.cookie, 'GET', '/api/v1/compliance/tickets?overdue=true');
    expect(overdue.json().items).toEqual([]);

    const summary = await asStaff(officer.cookie, 'GET', '/api/v1/compliance/tickets/summary');
    expect(summary.statusCode, summary.body).toBe(200);
    expect(summary.json()).toMatchObject({ overdue: 0, byKind: { access: { open: 1 }, explanation: { open: 1 } } });
    expect(summary.json().byStatus.open).toBe(items.length);
    expect((await logEntries()).length).toBe(logBefore);

    const badFilter = await asStaff(officer.cookie, 'GET', '/api/v1/compliance/tickets?status=pending');
    expect([badFilter.statusCode, badFilter.json().code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('refuses hosts and moderators (403) and anonymous callers (401), logging nothing', async () => {
    const [ticket] = await myTickets(ALICE);
    const logBefore = (await logEntries()).length;
    for (const cookie of [host.cookie, moderator.cookie]) {
      for (const [method, url, payload] of [
        ['GET', '/api/v1/compliance/tickets'],
        ['GET', '/api/v1/compliance/tickets/summary'],
        ['GET', `/api/v1/compliance/tickets/${ticket!.id as string}`],
        ['POST', `/api/v1/compliance/tickets/${ticket!.id as string}/resolve`, { outcome: 'completed' }],
      ] as const) {
        const res = await asStaff(cookie, method, url, payload);
        expect([res.statusCode, res.json().code], `${method} ${url}`).toEqual([403, 'FORBIDDEN']);
      }
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/compliance/tickets' })).statusCode).toBe(401);
    expect((await logEntries()).length).toBe(logBefore);
    expect((await myTickets(ALICE)).find((x) => x.id === ticket!.id)?.status).toBe('open');
  });

  it('logs an officer opening a ticket’s words in the access log, which verifies', async () => {
    const ticket = await file(BOB, 'complaint', 'The host pressured me to buy. 主播强迫我购买。');
    const logBefore = (await logEntries()).length;
    const res = await asStaff(officer.cookie, 'GET', `/api/v1/compliance/tickets/${ticket.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toMatchObject({ id: ticket.id, kind: 'complaint', status: 'open', details: 'The host pressured me to buy. 主播强迫我购买。', detailsErased: false });
    const entries = await logEntries();
    expect(entries.slice(logBefore)).toMatchObject([
      { action: 'read', purpose: 'rights-request', subject: accessLogSubjectOf(subjectOf(BOB)), actor: { id: officer.id, role: 'compliance' } },
    ]);
    await t.app.services.accessLog.checkpoint(systemContext('test'));
    expect((await t.app.services.accessLog.verify(systemContext('test'))).ok).toBe(true);

    const unknown = await asStaff(officer.cookie, 'GET', `/api/v1/compliance/tickets/${UNKNOWN_ID}`);
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'TICKET_NOT_FOUND']);
    const malformed = await asStaff(officer.cookie, 'GET', '/api/v1/compliance/tickets/not-a-ticket');
    expect([malformed.statusCode, malformed.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await logEntries()).length).toBe(logBefore + 1);
  });

  it('requires a reason to reject, shows it to the viewer, and refuses a second resolution', async () => {
    const ticket = await file(BOB, 'correction', 'Please change my delivery city to 杭州.');
    const resolve = (payload: Record<string, unknown>, id = ticket.id, cookie = officer.cookie) =>
      asStaff(cookie, 'POST', `/api/v1/compliance/tickets/${id}/resolve`, payload);
    const logBefore = (await logEntries()).length;

    for (const payload of [{ outcome: 'rejected' }, { outcome: 'rejected', reason: '' }, { outcome: 'rejected', reason: '   ' }]) {
      const res = await resolve(payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([400, 'REASON_REQUIRED']);
    }
    for (const payload of [{ outcome: 'rejected', reason: 'r'.repeat(1001) }, { outcome: 'maybe' }, { outcome: 'completed', note: 'x' }]) {
      const res = await resolve(payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload).slice(0, 80)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await myTickets(BOB)).find((x) => x.id === ticket.id)).toMatchObject({ status: 'open', reason: null });
    expect((await logEntries()).length).toBe(logBefore);

    const reason = '我们无法核实该地址变更请求，请通过订单页面修改。';
    const rejected = await resolve({ outcome: 'rejected', reason });
    expect(rejected.statusCode, rejected.body).toBe(200);
    // Who closed it: the account id, and for officers its sign-in name (looked up, never stored with the ticket).
    expect(rejected.json()).toMatchObject({ status: 'rejected', reason, handledBy: officer.id, handledByName: officer.name });
    expect(JSON.stringify(await ticketRows())).not.toContain(officer.name);
    expect(rejected.json().details).toBeUndefined();
    expect((await myTickets(BOB)).find((x) => x.id === ticket.id)).toMatchObject({ status: 'rejected', reason });
    expect((await logEntries()).slice(logBefore)).toMatchObject([{ action: 'correct', purpose: 'rights-request', subject: accessLogSubjectOf(subjectOf(BOB)) }]);
    // Another officer opening it later sees the same (the read is logged, by id).
    expect((await asStaff(admin.cookie, 'GET', `/api/v1/compliance/tickets/${ticket.id}`)).json()).toMatchObject({ handledBy: officer.id, handledByName: officer.name });

    const again = await resolve({ outcome: 'completed' }, ticket.id, admin.cookie);
    expect([again.statusCode, again.json().code]).toEqual([409, 'TICKET_CLOSED']);
    const unknown = await resolve({ outcome: 'completed' }, UNKNOWN_ID);
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'TICKET_NOT_FOUND']);
    expect((await myTickets(BOB)).find((x) => x.id === ticket.id)).toMatchObject({ status: 'rejected', reason });
    expect((await logEntries()).length).toBe(logBefore + 2);
  });

  it('erases the viewer when a deletion request is completed; the ticket then shows their words as erased', async () => {
    const deviceId = 'rights-carol-device-0001';
    const ticket = await file(deviceId, 'deletion', '请删除我的全部数据');
    const res = await asStaff(officer.cookie, 'POST', `/api/v1/compliance/tickets/${ticket.id}/resolve`, { outcome: 'completed' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'completed', handledBy: officer.id });
    if (erased) expect(erased).toEqual([subjectOf(deviceId)]);
    expect((await logEntries()).some((e) => e.action === 'delete' && e.subject === accessLogSubjectOf(subjectOf(deviceId)))).toBe(true);

    // The viewer (same device) still sees the ticket and its outcome; the words are gone for good.
    expect(await myTickets(deviceId)).toMatchObject([{ id: ticket.id, status: 'completed', details: null, detailsErased: true }]);
    const read = await asStaff(officer.cookie, 'GET', `/api/v1/compliance/tickets/${ticket.id}`);
    expect(read.json()).toMatchObject({ status: 'completed', details: null, detailsErased: true });
    // Other viewers are untouched.
    expect((await myTickets(ALICE)).every((x) => x.detailsErased === false)).toBe(true);
  });
});
