/**
 * The demo's gentle simulated audience: it runs only in demo mode (a production configuration
 * refuses it), only while the demo room is live, never as staff (no account made, the host's room
 * left alone), is labelled as simulated, and stops at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { systemContext } from '../../src/context/index.js';
import { startDemoAudience, type DemoAudience } from '../../src/modules/simulation/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';

const quiet = { info: () => undefined, warn: () => undefined };

describe('the demo audience', () => {
  let t: TestApp | undefined;
  let audience: DemoAudience | undefined;
  afterEach(async () => {
    await audience?.stop();
    await t?.close();
  });

  it('is refused by a production configuration', () => {
    expect(loadConfig({ QINGLIU_MODE: 'production' }).demoAudience).toBe(false);
    expect(loadConfig({}).demoAudience).toBe(true);
    expect(() => loadConfig({ QINGLIU_MODE: 'production', QINGLIU_DEMO_AUDIENCE: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ QINGLIU_MODE: 'production', QINGLIU_DEMO_AUDIENCE: 'true' })).toThrow(/QINGLIU_DEMO_AUDIENCE can be on only with QINGLIU_MODE=demo/);
  });

  it('refuses to start outside demo mode', async () => {
    t = await testApp('sqlite', { env: { QINGLIU_MODE: 'production' } });
    expect(() => startDemoAudience(t!.app, { mode: 'production', log: quiet })).toThrow(/only in demo mode/);
  });

  it('waits for the room to go live, then visits it as viewers only, labelled as simulated, and stops at once', async () => {
    t = await testApp('sqlite');
    const db = t.app.services.storage.db;
    const staffBefore = (await t.app.services.staff.listUsers(systemContext('test'))).length;
    audience = startDemoAudience(t.app, { mode: 'demo', log: quiet, viewersPerShow: 30, speed: 600, pollMs: 100 });
    // The room is not live yet: nothing happens, and the audience does not start it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await db.selectFrom('recommendation_decisions').selectAll().execute()).toHaveLength(0);
    expect((await t.app.inject('/api/v1/sessions/demo')).json().session.status).not.toBe('live');

    const admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    await expect.poll(async () => (await db.selectFrom('recommendation_decisions').selectAll().execute()).length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect((await t.app.inject('/api/v1/sessions/demo/simulation')).json()).toMatchObject({ mode: 'demo', simulated: true });

    const started = Date.now();
    await audience.stop();
    audience = undefined;
    expect(Date.now() - started).toBeLessThan(5_000);
    // Only the admin this test made: the audience never makes staff accounts, pins or flash sales.
    expect((await t.app.services.staff.listUsers(systemContext('test'))).length).toBe(staffBefore + 1);
    const room = (await t.app.inject('/api/v1/sessions/demo')).json();
    expect(room.pins).toEqual([]);
    expect(room.flashSales.filter((s: { status: string }) => s.status === 'active')).toEqual([]);
  });
});
