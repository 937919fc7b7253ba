/**
 * Bad input over HTTP, on every database: each malformed, unknown, oversized, wrongly typed or
 * out-of-range request gets a problem+json answer with a stable code, the server keeps serving, and
 * nothing is written. Error bodies never echo submitted secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Database } from '../../src/storage/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

const BODY_LIMIT = 2048;
const TABLES: (keyof Database)[] = [
  'brands',
  'faqs',
  'products',
  'staff_users',
  'staff_sessions',
  'live_sessions',
  'session_products',
  'flash_sales',
  'session_counters',
  'room_events',
  'orders',
];

interface BadRequest {
  name: string;
  method: NonNullable<InjectOptions['method']>;
  url: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  contentType?: string;
  asAdmin?: boolean;
  status: number;
  code: string;
  /** Fields the problem's `errors` must name. */
  fields?: string[];
}

let n = 0;
const orderBody = (change: Record<string, unknown> = {}) => ({ productId: 'PRODUCT', quantity: 1, clientOrderId: `bad-input-${++n}`, ...change });

const BAD: BadRequest[] = [
  { name: 'malformed JSON', method: 'POST', url: '/api/v1/sessions/demo/orders', body: '{"productId": "x", "quantity": 1,', contentType: 'application/json', status: 400, code: 'MALFORMED_JSON' },
  { name: 'JSON with a trailing comma', method: 'POST', url: '/api/v1/sessions/demo/events', body: '{"type": "like", "clientEventId": "abcdefgh",}', contentType: 'application/json', status: 400, code: 'MALFORMED_JSON' },
  { name: 'an empty JSON body', method: 'POST', url: '/api/v1/sessions/demo/orders', body: '', contentType: 'application/json', status: 400, code: 'MALFORMED_JSON' },
  { name: 'an unknown field', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ coupon: 'FREE' }), status: 400, code: 'VALIDATION_FAILED', fields: ['body.coupon'] },
  { name: 'a number sent as text', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ quantity: '2' }), status: 400, code: 'VALIDATION_FAILED', fields: ['body.quantity'] },
  { name: 'a fractional quantity', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ quantity: 1.5 }), status: 400, code: 'VALIDATION_FAILED', fields: ['body.quantity'] },
  { name: 'an array instead of an object', method: 'POST', url: '/api/v1/sessions/demo/orders', body: [orderBody()], status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a missing required field', method: 'POST', url: '/api/v1/sessions/demo/orders', body: { productId: 'PRODUCT', quantity: 1 }, status: 400, code: 'VALIDATION_FAILED', fields: ['body.clientOrderId'] },
  { name: 'several problems at once', method: 'POST', url: '/api/v1/sessions/demo/orders', body: { productId: 7, quantity: 0, clientOrderId: 'short', x: 1 }, status: 400, code: 'VALIDATION_FAILED', fields: ['body.productId', 'body.quantity', 'body.clientOrderId', 'body.x'] },
  { name: 'quantity 0', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ quantity: 0 }), status: 400, code: 'VALIDATION_FAILED', fields: ['body.quantity'] },
  { name: 'quantity 100', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ quantity: 100 }), status: 400, code: 'VALIDATION_FAILED', fields: ['body.quantity'] },
  { name: 'a negative quantity', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ quantity: -1 }), status: 400, code: 'VALIDATION_FAILED', fields: ['body.quantity'] },
  { name: 'a client order id with spaces', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ clientOrderId: 'has spaces in it' }), status: 400, code: 'VALIDATION_FAILED', fields: ['body.clientOrderId'] },
  { name: 'a flash sale of 5 seconds', method: 'POST', url: '/api/v1/sessions/demo/flash-sales', asAdmin: true, body: { productId: 'PRODUCT', price: '1.00', quantity: 1, durationSeconds: 5 }, status: 400, code: 'VALIDATION_FAILED', fields: ['body.durationSeconds'] },
  { name: 'a price with three decimals', method: 'POST', url: '/api/v1/sessions/demo/flash-sales', asAdmin: true, body: { productId: 'PRODUCT', price: '1.005', quantity: 1, durationSeconds: 60 }, status: 400, code: 'VALIDATION_FAILED', fields: ['body.price'] },
  { name: 'a price as a number', method: 'POST', url: '/api/v1/sessions/demo/flash-sales', asAdmin: true, body: { productId: 'PRODUCT', price: 1, quantity: 1, durationSeconds: 60 }, status: 400, code: 'VALIDATION_FAILED', fields: ['body.price'] },
  { name: 'a flash-sale quantity of 0', method: 'POST', url: '/api/v1/sessions/demo/flash-sales', asAdmin: true, body: { productId: 'PRODUCT', price: '1.00', quantity: 0, durationSeconds: 60 }, status: 400, code: 'VALIDATION_FAILED', fields: ['body.quantity'] },
  { name: 'sold-out as text', method: 'PUT', url: '/api/v1/sessions/demo/products/PRODUCT/sold-out', asAdmin: true, body: { soldOut: 'yes' }, status: 400, code: 'VALIDATION_FAILED', fields: ['body.soldOut'] },
  { name: 'an empty session patch', method: 'PATCH', url: '/api/v1/sessions/demo', asAdmin: true, body: {}, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a stream URL that is not https', method: 'PATCH', url: '/api/v1/sessions/demo', asAdmin: true, body: { hlsUrl: 'javascript:alert(1)' }, status: 400, code: 'VALIDATION_FAILED', fields: ['body.hlsUrl'] },
  { name: 'an unknown event type', method: 'POST', url: '/api/v1/sessions/demo/events', body: { type: 'superlike', clientEventId: 'abcdefgh' }, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a session id that breaks the pattern', method: 'GET', url: '/api/v1/sessions/Demo%20Room', status: 400, code: 'VALIDATION_FAILED', fields: ['params.sessionId'] },
  { name: 'an out-of-range page size', method: 'GET', url: '/api/v1/products?limit=1000', status: 400, code: 'VALIDATION_FAILED', fields: ['querystring.limit'] },
  { name: 'an unknown query parameter', method: 'GET', url: '/api/v1/products?sort=price', status: 400, code: 'VALIDATION_FAILED', fields: ['querystring.sort'] },
  { name: 'a body over the limit', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ productId: 'p'.repeat(BODY_LIMIT + 100) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a body over the limit, not even JSON', method: 'POST', url: '/api/v1/sessions/demo/events', body: 'x'.repeat(BODY_LIMIT * 3), contentType: 'application/json', status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'an unknown route', method: 'GET', url: '/api/v1/nope', status: 404, code: 'ROUTE_NOT_FOUND' },
  { name: 'an unknown route under a session', method: 'POST', url: '/api/v1/sessions/demo/refunds', body: { all: true }, status: 404, code: 'ROUTE_NOT_FOUND' },
  { name: 'a known path with a method it does not take', method: 'DELETE', url: '/api/v1/sessions/demo', asAdmin: true, status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'an unknown session', method: 'GET', url: '/api/v1/sessions/no-such-room', status: 404, code: 'SESSION_NOT_FOUND' },
  { name: 'an order in an unknown session', method: 'POST', url: '/api/v1/sessions/no-such-room/orders', body: orderBody(), status: 404, code: 'SESSION_NOT_FOUND' },
  { name: 'a like in an unknown session', method: 'POST', url: '/api/v1/sessions/no-such-room/events', body: { type: 'like', clientEventId: 'abcdefgh' }, status: 404, code: 'SESSION_NOT_FOUND' },
  { name: 'a pin in an unknown session', method: 'PUT', url: '/api/v1/sessions/no-such-room/pins/PRODUCT', asAdmin: true, status: 404, code: 'SESSION_NOT_FOUND' },
  { name: 'an unknown product', method: 'GET', url: '/api/v1/products/no-such-product', status: 404, code: 'PRODUCT_NOT_FOUND' },
  { name: 'an unknown brand', method: 'GET', url: '/api/v1/brands/no-such-brand', status: 404, code: 'NOT_FOUND' },
  { name: 'an unknown flash sale', method: 'POST', url: '/api/v1/sessions/demo/flash-sales/no-such-sale/end', asAdmin: true, status: 404, code: 'FLASH_SALE_NOT_FOUND' },
  { name: 'an order for a product not in the session', method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody({ productId: 'no-such-product' }), status: 409, code: 'PRODUCT_NOT_IN_SESSION' },
  // JSON sent as text/plain (what a cross-site form can send without a preflight) is not read either.
  { name: 'plain text', method: 'POST', url: '/api/v1/sessions/demo/orders', body: 'productId=x&quantity=1', contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'JSON labelled as plain text', method: 'POST', url: '/api/v1/sessions/demo/events', body: '{"type":"like","clientEventId":"abcdefgh"}', contentType: 'text/plain;charset=UTF-8', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'a form', method: 'POST', url: '/api/v1/sessions/demo/orders', body: 'productId=x&quantity=1', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'XML', method: 'POST', url: '/api/v1/sessions/demo/events', body: '<like/>', contentType: 'application/xml', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'CSV where only JSON is read', method: 'POST', url: '/api/v1/sessions/demo/orders', body: 'productId,quantity\nx,1\n', contentType: 'text/csv', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'no content type at all', method: 'POST', url: '/api/v1/sessions/demo/events', body: '{"type":"like","clientEventId":"abcdefgh"}', contentType: '', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
];

describe.each(DIALECTS)('bad input over HTTP on %s', (dialect) => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let product: string;

  beforeAll(async () => {
    t = await testApp(dialect, { env: { QINGLIU_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
    admin = await signIn(t.app, 'admin');
    const live = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie } });
    expect(live.statusCode).toBe(200);
    product = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json<{ products: { id: string }[] }>().products[0]!.id;
  });
  afterAll(async () => t?.close());

  /** Everything stored: row counts of every table, and the demo room as viewers see it. */
  async function stored(): Promise<unknown> {
    const db = t.app.services.storage.db;
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      counts[table] = Number(row.n);
    }
    const room = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json<Record<string, unknown>>();
    delete room.serverTime;
    return { counts, room };
  }

  function send(bad: Pick<BadRequest, 'method' | 'url' | 'body' | 'contentType' | 'asAdmin'>): Promise<LightMyRequestResponse> {
    const fill = (s: string) => s.replaceAll('PRODUCT', product);
    const headers: Record<string, string> = {};
    if (bad.asAdmin) headers.cookie = admin.cookie;
    if (bad.contentType) headers['content-type'] = bad.contentType;
    let payload: string | undefined;
    if (typeof bad.body === 'string') payload = bad.body;
    else if (bad.body !== undefined) {
      payload = fill(JSON.stringify(bad.body));
      headers['content-type'] ??= 'application/json';
    }
    return t.app.inject({ method: bad.method, url: fill(bad.url), headers, ...(payload !== undefined ? { payload } : {}) });
  }

  it('says which methods a known path takes (405 with Allow), and 404 for a path that does not exist', async () => {
    const wrong = await send({ method: 'PUT', url: '/api/v1/sessions/demo/recommendations/feedback', body: {} });
    expect([wrong.statusCode, wrong.json().code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect(wrong.headers.allow).toBe('POST');
    const room = await send({ method: 'DELETE', url: '/api/v1/sessions/demo' });
    expect(room.statusCode).toBe(405);
    expect(String(room.headers.allow).split(', ')).toEqual(expect.arrayContaining(['GET', 'PATCH']));
    expect((await send({ method: 'GET', url: '/api/v1/sessions/demo/nothing-here' })).statusCode).toBe(404);
  });

  it('a valid order does change what is stored (so the checks below can see a write)', async () => {
    const before = await stored();
    const res = await send({ method: 'POST', url: '/api/v1/sessions/demo/orders', body: orderBody() });
    expect(res.statusCode, res.body).toBe(201);
    expect(await stored()).not.toEqual(before);
  });

  it.each(BAD)('$name → $status $code, the server still serves and nothing is written', async (bad) => {
    const before = await stored();
    const res = await send(bad);
    expect(res.statusCode, res.body).toBe(bad.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json<{ type: string; title: string; status: number; code: string; errors?: { field: string; reason: string }[] }>();
    expect(problem.code).toBe(bad.code);
    expect(problem.status).toBe(bad.status);
    expect(problem.type).toBe(`urn:qingliu:problem:${bad.code.toLowerCase().replace(/_/g, '-')}`);
    expect(typeof problem.title).toBe('string');
    expect(problem.title.length).toBeGreaterThan(3);
    if (bad.fields) {
      const named = (problem.errors ?? []).map((e) => e.field);
      for (const f of bad.fields) expect(named, `errors should name ${f}: ${res.body}`).toContain(f);
      for (const e of problem.errors ?? []) expect(e.reason.length).toBeGreaterThan(0);
    }
    // Raw parser or plugin messages are not passed through.
    expect(res.body).not.toMatch(/FST_ERR|Unexpected token|SyntaxError|at .*\.js:\d+/);

    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    expect(await stored()).toEqual(before);
  });

  describe('error bodies never echo submitted secrets', () => {
    const SECRET = 'Tr0ub4dor&3-zebra-Sekret';

    const expectNoSecret = (res: LightMyRequestResponse, secret = SECRET) => {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain(secret);
      expect(JSON.stringify(res.headers)).not.toContain(secret);
    };

    it('a wrong password for a real account', async () => {
      const res = await send({ method: 'POST', url: '/api/v1/auth/login', body: { name: admin.name, password: SECRET } });
      expect(res.json().code).toBe('INVALID_CREDENTIALS');
      expectNoSecret(res);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('a password in JSON that does not parse', async () => {
      const res = await send({ method: 'POST', url: '/api/v1/auth/login', body: `{"name": "${admin.name}", "password": "${SECRET}"`, contentType: 'application/json' });
      expect(res.json().code).toBe('MALFORMED_JSON');
      expectNoSecret(res);
    });

    it('a password beside an unknown field, and one that is too long', async () => {
      const extra = await send({ method: 'POST', url: '/api/v1/auth/login', body: { name: admin.name, password: SECRET, otp: SECRET } });
      expect(extra.json().code).toBe('VALIDATION_FAILED');
      expect(extra.json().errors.map((e: { field: string }) => e.field)).toContain('body.otp');
      expectNoSecret(extra);
      const long = SECRET.repeat(20);
      const tooLong = await send({ method: 'POST', url: '/api/v1/auth/login', body: { name: admin.name, password: long } });
      expect(tooLong.json().code).toBe('VALIDATION_FAILED');
      expectNoSecret(tooLong, SECRET);
    });

    it('a password as a number is refused without echoing it', async () => {
      const res = await send({ method: 'POST', url: '/api/v1/auth/login', body: { name: admin.name, password: 987654321987 } });
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expectNoSecret(res, '987654321987');
    });

    it('a wrong setup token and a short new password', async () => {
      const res = await send({ method: 'POST', url: '/api/v1/auth/setup', body: { token: SECRET, name: 'second-admin', password: 'short-Pw1' } });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expectNoSecret(res);
      expectNoSecret(res, 'short-Pw1');
    });
  });
});
