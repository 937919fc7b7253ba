/**
 * Staff sign-in over HTTP, on every database: the session cookie's flags, answers that do not tell
 * which names exist, sign-out, first-administrator setup, the origin check on cookie-authenticated
 * writes, deny-by-default route access, and how passwords are stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { signIn, testApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

type Staff = Awaited<ReturnType<typeof signIn>>;

/** The session cookie a response sets: its value and attributes (lower-cased names). */
function sessionCookie(res: LightMyRequestResponse): { value: string; attributes: Map<string, string> } {
  const header = res.headers['set-cookie'];
  const all = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const raw = all.find((c) => c.startsWith('qingliu_staff='));
  if (!raw) throw new Error(`no qingliu_staff cookie in ${JSON.stringify(all)}`);
  const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
  const attributes = new Map(
    attrs.map((a) => {
      const i = a.indexOf('=');
      return i < 0 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
    }),
  );
  return { value: pair!.slice('qingliu_staff='.length), attributes };
}

const login = (t: TestApp, name: string, password: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name, password }, headers });

describe.each(DIALECTS)('staff auth over HTTP on %s', (dialect) => {
  let t: TestApp;
  let admin: Staff;

  beforeAll(async () => {
    t = await testApp(dialect);
    admin = await signIn(t.app, 'admin');
  });
  afterAll(async () => t?.close());

  const me = (cookie?: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: cookie ? { cookie } : {} });

  it('login sets an HttpOnly, SameSite=Strict session cookie, not Secure over plain http, and no token in the body', async () => {
    const res = await login(t, admin.name, TEST_PASSWORD);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ user: { id: admin.id, name: admin.name, role: 'admin' }, expiresAt: expect.any(Number) });
    const cookie = sessionCookie(res);
    expect(cookie.value.length).toBeGreaterThanOrEqual(32);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('secure')).toBe(false);
    expect(new Date(cookie.attributes.get('expires')!).getTime()).toBe(Math.floor(res.json().expiresAt / 1000) * 1000);
    expect(res.body).not.toContain(cookie.value);

    const who = await me(`qingliu_staff=${cookie.value}`);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toEqual({ user: { id: admin.id, name: admin.name, role: 'admin' } });
  });

  it('a wrong password and an unknown name get the same 401 INVALID_CREDENTIALS, apart from the request id', async () => {
    const wrongPassword = await login(t, admin.name, 'not the right password');
    const unknownName = await login(t, 'nobody-by-this-name', 'not the right password');
    for (const res of [wrongPassword, unknownName]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const strip = (res: LightMyRequestResponse) => {
      const { instance, ...rest } = res.json<Record<string, unknown>>();
      expect(instance).toMatch(/^urn:qingliu:request:/);
      return rest;
    };
    expect(strip(wrongPassword)).toEqual(strip(unknownName));
    expect(strip(wrongPassword).code).toBe('INVALID_CREDENTIALS');
    expect(wrongPassword.json().instance).not.toBe(unknownName.json().instance);
  });

  it('logout ends that session only: its cookie stops working, other sessions go on', async () => {
    const res = await login(t, admin.name, TEST_PASSWORD);
    const cookie = `qingliu_staff=${sessionCookie(res).value}`;
    expect((await me(cookie)).statusCode).toBe(200);

    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    const cleared = sessionCookie(out);
    expect(cleared.value).toBe('');
    expect(new Date(cleared.attributes.get('expires') ?? 0).getTime()).toBeLessThan(Date.now());

    const after = await me(cookie);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('UNAUTHENTICATED');
    const write = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie } });
    expect(write.statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json().session.status).toBe('scheduled');
    // The session signed in earlier is untouched.
    expect((await me(admin.cookie)).statusCode).toBe(200);
  });

  it('a cookie-authenticated write from a foreign Origin is refused with 403 ORIGIN_NOT_ALLOWED; our own origin is fine', async () => {
    const product = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json().products[0].id as string;
    const pin = (origin: string) =>
      t.app.inject({ method: 'PUT', url: `/api/v1/sessions/demo/pins/${product}`, headers: { cookie: admin.cookie, origin } });
    for (const origin of ['https://evil.example', 'null', `${t.config.publicUrl}.evil.example`]) {
      const res = await pin(origin);
      expect(res.statusCode, origin).toBe(403);
      expect(res.json().code).toBe('ORIGIN_NOT_ALLOWED');
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json().pins).toEqual([]);
    // Reads are not writes: a foreign page may not read the answer anyway (no CORS), and nothing changes.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: admin.cookie, origin: 'https://evil.example' } })).statusCode).toBe(200);

    const own = await pin(t.config.publicUrl);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toEqual({ pins: [product] });
  });

  it('stores passwords as salted scrypt hashes at OWASP cost, never the password', async () => {
    await signIn(t.app, 'host'); // the same password as the admin's
    const rows = await t.app.services.storage.db.selectFrom('staff_users').select(['name', 'password_hash']).execute();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) {
      expect(r.password_hash.startsWith('scrypt$131072$8$1$'), r.name).toBe(true);
      expect(r.password_hash.split('$')).toHaveLength(6);
      expect(r.password_hash).not.toContain(TEST_PASSWORD);
    }
    // Same password, different salt, different hash.
    expect(new Set(rows.map((r) => r.password_hash)).size).toBe(rows.length);
    const sessions = await t.app.services.storage.db.selectFrom('staff_sessions').select('token_hash').execute();
    const token = admin.cookie.slice('qingliu_staff='.length);
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) expect(s.token_hash).not.toBe(token);
  });

  describe('first administrator', () => {
    let s: TestApp;
    beforeAll(async () => {
      s = await testApp(dialect, { env: { QINGLIU_COOKIE_SECURE: 'always' } });
    });
    afterAll(async () => s?.close());

    const setup = (body: object) => s.app.inject({ method: 'POST', url: '/api/v1/auth/setup', payload: body });
    const needed = async () => (await s.app.inject({ method: 'GET', url: '/api/v1/auth/setup' })).json<{ needed: boolean }>().needed;

    it('setup with the one-time token creates the admin once; wrong or reused tokens are refused; the cookie is Secure when configured', async () => {
      expect(await needed()).toBe(true);
      const tooEarly = await setup({ token: 'x'.repeat(32), name: 'first-admin', password: 'a-good-long-password' });
      expect(tooEarly.statusCode).toBe(403);
      expect(tooEarly.json().code).toBe('SETUP_TOKEN_INVALID');

      const token = await s.app.services.staff.setupTokenIfNeeded();
      expect(token).toEqual(expect.any(String));
      expect(token!.length).toBeGreaterThanOrEqual(24);

      const wrong = await setup({ token: `${token}x`, name: 'first-admin', password: 'a-good-long-password' });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().code).toBe('SETUP_TOKEN_INVALID');
      expect(wrong.body).not.toContain(token!);
      const weak = await setup({ token, name: 'first-admin', password: 'short' });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().code).toBe('VALIDATION_FAILED');
      expect(await needed()).toBe(true);

      const created = await setup({ token, name: 'first-admin', password: 'a-good-long-password' });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toEqual({ user: { id: expect.any(String), name: 'first-admin', role: 'admin' } });
      expect(await needed()).toBe(false);

      const reused = await setup({ token, name: 'second-admin', password: 'a-good-long-password' });
      expect(reused.statusCode).toBe(409);
      expect(reused.json().code).toBe('SETUP_ALREADY_DONE');
      expect(await s.app.services.staff.setupTokenIfNeeded()).toBeUndefined();

      const signedIn = await login(s, 'first-admin', 'a-good-long-password');
      expect(signedIn.statusCode).toBe(200);
      const cookie = sessionCookie(signedIn);
      expect(cookie.attributes.has('secure')).toBe(true);
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('samesite')).toBe('Strict');
      const users = await s.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: `qingliu_staff=${cookie.value}` } });
      expect(users.json().items.map((u: { name: string; role: string }) => [u.name, u.role])).toEqual([['first-admin', 'admin']]);
    });
  });
});

describe('deny by default: every /api/v1 route states who may call it', () => {
  it('adding an /api/v1 route without config.access throws; with it, or outside /api/v1, it is fine', async () => {
    const t = await testApp('sqlite', { seed: false });
    try {
      expect(() => t.app.get('/api/v1/unguarded', async () => 1)).toThrow(/GET \/api\/v1\/unguarded does not state its access/);
      expect(() => t.app.post('/api/v1/also-unguarded', { config: {} }, async () => 1)).toThrow(/does not state its access/);
      t.app.get('/api/v1/guarded', { config: { access: ['admin'] } }, async () => ({ secret: 1 }));
      t.app.get('/api/v1/open', { config: { access: 'public' } }, async () => ({ open: 1 }));
      t.app.get('/not-api', async () => ({ page: 1 }));
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/guarded' })).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/open' })).json()).toEqual({ open: 1 });
      expect((await t.app.inject({ method: 'GET', url: '/not-api' })).json()).toEqual({ page: 1 });
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/unguarded' })).json().code).toBe('ROUTE_NOT_FOUND');
    } finally {
      await t.close();
    }
  });

  it('a plugin that registers an /api/v1 route without access stops the app from starting', async () => {
    const t = await testApp('sqlite', { seed: false });
    try {
      // Not awaited: the plugin loads while the app starts, and the start fails.
      t.app.register(async (plugin) => {
        plugin.get('/api/v1/from-a-plugin', async () => 1);
      });
      await expect(t.app.ready()).rejects.toThrow(/GET \/api\/v1\/from-a-plugin does not state its access/);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});

describe('login attempts are rate limited', () => {
  it('the 11th login request in a minute from one address gets 429 RATE_LIMITED with Retry-After', async () => {
    const t = await testApp('sqlite', { seed: false });
    try {
      // Bodies that fail validation are cheap (no password hashing) but still count.
      for (let i = 0; i < 10; i++) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name: 'x' } });
        expect(res.statusCode).toBe(400);
      }
      const limited = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name: 'x' } });
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Other routes are not limited by it.
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/setup' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
