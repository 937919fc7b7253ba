import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, NETWORK_ERROR, apiRequest, consentReceipts, consentStatus, decideConsent, getNotice, getRoomState, pinProduct, toProblem } from './api.ts';

function respond(status: number, body: string, contentType = 'application/json'): Response {
  return new Response(status === 204 ? null : body, { status, headers: { 'content-type': contentType } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('apiRequest', () => {
  it('sends JSON with {} for bodiless writes, and nothing for reads', async () => {
    const fetchMock = vi.fn(async () => respond(200, '{"pins":["p1"]}'));
    vi.stubGlobal('fetch', fetchMock);
    await expect(pinProduct('demo', 'p 1')).resolves.toEqual({ pins: ['p1'] });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/sessions/demo/pins/p%201');
    expect(init.method).toBe('PUT');
    expect(init.body).toBe('{}');
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/json');

    await apiRequest('GET', '/api/v1/auth/me');
    const [, getInit] = fetchMock.mock.calls[1] as unknown as [string, RequestInit];
    expect(getInit.body).toBeUndefined();
  });

  it('turns a problem+json answer into an ApiError with title and code', async () => {
    const problem = { type: 'urn:qingliu:problem:product-sold-out', title: 'The product is sold out', status: 409, code: 'PRODUCT_SOLD_OUT' };
    vi.stubGlobal('fetch', vi.fn(async () => respond(409, JSON.stringify(problem), 'application/problem+json')));
    const error = await apiRequest('POST', '/api/v1/sessions/demo/orders', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).code).toBe('PRODUCT_SOLD_OUT');
    expect((error as ApiError).message).toBe('The product is sold out');
  });

  it('copes with a non-JSON error page and with no network', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<h1>Bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' })));
    const badGateway = (await apiRequest('GET', '/x').catch((e: unknown) => e)) as ApiError;
    expect(badGateway.problem).toMatchObject({ status: 502, code: 'HTTP_502', title: 'Bad Gateway' });

    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const offline = (await apiRequest('GET', '/x').catch((e: unknown) => e)) as ApiError;
    expect(offline.code).toBe(NETWORK_ERROR);
    expect(offline.status).toBe(0);
  });

  it('returns undefined for 204', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => respond(204, '')));
    await expect(apiRequest('POST', '/api/v1/auth/logout')).resolves.toBeUndefined();
  });
});

describe('toProblem', () => {
  it('keeps only well-typed fields', () => {
    expect(toProblem(400, 'Bad Request', { title: 42, code: 'VALIDATION_FAILED', errors: [{ path: '/x' }] })).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ path: '/x' }],
    });
  });
});

describe('consent calls', () => {
  const DEVICE = 'AbCdEfGhIjKlMnOpQrStUv';
  const headersOf = (call: unknown): Record<string, string> => ((call as [string, RequestInit])[1].headers ?? {}) as Record<string, string>;

  it('send the device id in the x-qingliu-device header (status, receipts) or the body (decision) only', async () => {
    const fetchMock = vi.fn(async () => respond(200, '{}'));
    vi.stubGlobal('fetch', fetchMock);

    await getNotice('b 1', 'en');
    await consentStatus('b 1', DEVICE);
    await consentReceipts(DEVICE);
    const decision = {
      deviceId: DEVICE,
      brandId: 'b1',
      noticeVersion: 'v1',
      noticeHash: 'a'.repeat(64),
      locale: 'zh-CN' as const,
      method: 'decline_all' as const,
      granted: [],
    };
    await decideConsent(decision);
    await getRoomState('demo');

    const [notice, status, receipts, decide, room] = fetchMock.mock.calls as unknown as [string, RequestInit][];
    expect(notice?.[0]).toBe('/api/v1/consent/notice?brandId=b%201&locale=en');
    expect(headersOf(notice)['x-qingliu-device']).toBeUndefined();
    expect(status?.[0]).toBe('/api/v1/consent/status?brandId=b%201');
    expect(headersOf(status)['x-qingliu-device']).toBe(DEVICE);
    expect(receipts?.[0]).toBe('/api/v1/consent/receipts');
    expect(headersOf(receipts)['x-qingliu-device']).toBe(DEVICE);
    expect(decide?.[0]).toBe('/api/v1/consent');
    expect(decide?.[1].method).toBe('POST');
    expect(JSON.parse(String(decide?.[1].body))).toEqual(decision);
    expect(headersOf(decide)['x-qingliu-device']).toBeUndefined();
    expect(headersOf(room)['x-qingliu-device']).toBeUndefined();
  });
});
