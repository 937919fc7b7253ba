/**
 * S3: hosts and moderators see no viewer personal data; compliance officers read it only through
 * logged paths. Every /api/v1 route states its access; this walks all of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../src/context/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { PURPOSES } from '../../src/modules/consent/index.js';

const SAMPLE_PARAMS: Record<string, string> = {
  sessionId: 'demo',
  brandId: 'demo-brand',
  productId: 'p-1',
  id: 'x1',
  flashSaleId: 'fs-1',
  userId: 'u-1',
  tag: 'category:toys',
  destinationId: 'd-1',
  basisId: 'b-1',
};
const PERSONAL_KEYS = /"(subject|pseudonym|pseudonyms|deviceId|device_id|sealedDeviceId|details|guardianSubject)"\s*:/;

describe('roles (S3)', () => {
  let t: TestApp;
  const device = 'roles-viewer-000000000001';
  beforeAll(async () => {
    t = await testApp('sqlite');
    const admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    // One viewer with personal data, so there is something a host must not see.
    const n = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId: device, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] },
    });
    const room = (await t.app.inject('/api/v1/sessions/demo')).json();
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId: device, type: 'click', productId: room.products[0].id, clientEventId: 'roles-evt-0001' } });
    await t.app.inject({ method: 'POST', url: '/api/v1/privacy/tickets', headers: { 'x-qingliu-device': device }, payload: { kind: 'correction', details: 'My name is spelled wrong', locale: 'zh-CN' } });
  });
  afterAll(async () => t.close());

  const urlOf = (pattern: string) => pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => SAMPLE_PARAMS[name] ?? 'x1');
  const allowed = (access: unknown, role: StaffRole) => access === 'staff' || (Array.isArray(access) && access.includes(role));

  it('every /api/v1 route states its access', () => {
    expect(t.app.routeAccess.length).toBeGreaterThan(40);
    for (const r of t.app.routeAccess) expect(['public', 'staff'].includes(r.access as string) || Array.isArray(r.access), `${r.method} ${r.url}`).toBe(true);
  });

  it.each(['host', 'moderator'] as const)('refuses a %s every route meant for other roles, before looking at the request', async (role) => {
    const { cookie } = await signIn(t.app, role);
    const refused = t.app.routeAccess.filter((r) => r.access !== 'public' && !allowed(r.access, role) && r.method !== 'HEAD');
    expect(refused.some((r) => r.url.startsWith('/api/v1/compliance/'))).toBe(true);
    for (const r of refused) {
      const res = await t.app.inject({ method: r.method as 'GET', url: urlOf(r.url), headers: { cookie }, ...(r.method === 'GET' ? {} : { payload: {} }) });
      expect([res.statusCode, res.json().code], `${r.method} ${r.url}`).toEqual([403, 'FORBIDDEN']);
    }
  });

  it('shows a host no viewer personal data on any route a host may read', async () => {
    const { cookie } = await signIn(t.app, 'host');
    const readable = t.app.routeAccess.filter((r) => r.method === 'GET' && allowed(r.access, 'host'));
    expect(readable.length).toBeGreaterThan(0);
    for (const r of readable) {
      const res = await t.app.inject({ method: 'GET', url: urlOf(r.url), headers: { cookie } });
      expect(res.body, `${r.url}`).not.toMatch(PERSONAL_KEYS);
      expect(res.body).not.toContain(device);
    }
    // And the privacy routes answer only to the device itself: a staff cookie opens nothing.
    const data = await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: { cookie } });
    expect([data.statusCode, data.json().code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('lets compliance read personal data only through routes that write the access log', async () => {
    const { cookie } = await signIn(t.app, 'compliance');
    const size = async () => Number((await t.app.services.storage.db.selectFrom('access_log_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const readable = t.app.routeAccess.filter((r) => r.method === 'GET' && allowed(r.access, 'compliance') && !r.url.includes(':'));
    for (const r of readable) {
      const before = await size();
      const res = await t.app.inject({ method: 'GET', url: urlOf(r.url) + (r.url.endsWith('/export') ? '?purpose=internal-audit' : ''), headers: { cookie } });
      if (res.statusCode !== 200) continue;
      const personal = PERSONAL_KEYS.test(res.body);
      if (personal) expect(await size(), `${r.url} returned personal data without an access-log entry`).toBeGreaterThan(before);
    }
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/compliance/tickets', headers: { cookie } })).json();
    const ticketId = (list.items ?? list.tickets)[0].id;
    const before = await size();
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/compliance/tickets/${ticketId}`, headers: { cookie } });
    expect(read.statusCode).toBe(200);
    expect(read.body).toContain('My name is spelled wrong');
    expect(await size()).toBe(before + 1);
  });
});
