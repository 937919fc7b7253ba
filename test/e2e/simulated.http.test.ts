/**
 * LC4: simulated traffic never reaches a production room. A production configuration refuses every
 * request and socket marked as simulated, before anything runs; demo mode serves it and labels the
 * room it touched as having a simulated audience.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SIMULATED_HEADER } from '../../src/http/simulated.js';
import { testApp, type TestApp } from '../support/app.js';

describe('simulated traffic', () => {
  let t: TestApp | undefined;
  afterEach(async () => t?.close());

  it('is refused by a production configuration (HTTP and WebSocket), with nothing stored', async () => {
    t = await testApp('sqlite', { env: { QINGLIU_MODE: 'production' } });
    expect(t.config.mode).toBe('production');
    const marked = { [SIMULATED_HEADER]: '1', 'x-qingliu-device': 'sim-viewer-0000000000001' };
    for (const [method, url, payload] of [
      ['GET', '/api/v1/sessions/demo/recommendations'],
      ['GET', '/api/v1/sessions/demo'],
      ['POST', '/api/v1/sessions/demo/events', { type: 'like', clientEventId: 'sim-like-1' }],
      ['POST', '/api/v1/consent', { deviceId: 'sim-viewer-0000000000001' }],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: marked, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().code).toBe('SIMULATION_REFUSED');
    }
    expect(await t.app.services.storage.db.selectFrom('room_events').selectAll().execute()).toHaveLength(0);
    expect(await t.app.services.storage.db.selectFrom('consent_records').selectAll().execute()).toHaveLength(0);

    // The same requests unmarked are served as usual.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).statusCode).not.toBe(403);

    // A marked socket is refused too.
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${address.replace('http', 'ws')}/api/v1/sessions/demo/live`, { headers: { [SIMULATED_HEADER]: '1' } });
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      ws.on('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(403);
    const simulation = (await t.app.inject('/api/v1/sessions/demo/simulation')).json();
    expect(simulation).toMatchObject({ mode: 'production', simulated: false });
  });

  it('is served in demo mode and labels the room for ten minutes after', async () => {
    t = await testApp('sqlite');
    expect(t.config.mode).toBe('demo');
    expect((await t.app.inject('/api/v1/sessions/demo/simulation')).json()).toMatchObject({ mode: 'demo', simulated: false });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo', headers: { [SIMULATED_HEADER]: '1' } });
    expect(res.statusCode).toBe(200);
    const label = (await t.app.inject('/api/v1/sessions/demo/simulation')).json();
    expect(label).toMatchObject({ mode: 'demo', simulated: true, requests: 1 });
    expect(typeof label.since).toBe('number');
    // Another room was not touched.
    expect((await t.app.inject('/api/v1/sessions/other-room/simulation')).json().simulated).toBe(false);
  });
});
