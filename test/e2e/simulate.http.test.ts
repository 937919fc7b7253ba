/**
 * The simulator against a real server over loopback: HTTP with keep-alive and one WebSocket per
 * present viewer, at maximum speed. In demo mode the run succeeds, the room's viewer counter rises
 * while viewers are present (their sockets are real), and the room says it has had a simulated
 * audience. Against a production server the run stops at its first request with
 * SIMULATION_REFUSED and nothing is stored.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/context/index.js';
import { builtinScenarioPath, createHttpTarget, readScenarioFile, simulate, SimulationRefusedError, type SimTarget } from '../../src/modules/simulation/index.js';
import { testApp, type TestApp } from '../support/app.js';

describe('qingliu simulate over HTTP', { timeout: 60_000 }, () => {
  let t: TestApp | undefined;
  let target: SimTarget | undefined;
  afterEach(async () => {
    await target?.close();
    await t?.close();
    target = undefined;
    t = undefined;
  });

  it('plays ~150 viewers at max speed: requests succeed, sockets are held, the room is labelled simulated', async () => {
    t = await testApp('sqlite');
    const app = t.app;
    const name = `sim-admin-${randomBytes(3).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    expect((await app.services.staff.addUser(systemContext('test'), { name, role: 'admin', password })).ok).toBe(true);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    target = createHttpTarget({ url, staff: { name, password } });

    let peakViewers = 0;
    const report = await simulate({
      target,
      scenario: readScenarioFile(builtinScenarioPath('baby-care')),
      viewers: 150,
      minutes: 30,
      speed: 'max',
      seed: 11,
      onProgress: () => {
        peakViewers = Math.max(peakViewers, app.services.gateway.viewerCount('demo'));
      },
    });

    expect(report.simulated).toBe(true);
    expect(report.mode).toBe('http');
    expect(report.target).toBe(url);
    expect(report.viewers).toBe(150);
    expect(report.requests.errors).toBe(0);
    const recs = report.requests.byRoute.recommendations!;
    expect(recs.total).toBeGreaterThan(150);
    expect(recs.byStatus['200']).toBe(recs.total);
    expect(report.requests.byRoute.consent!.byStatus['201']).toBeGreaterThan(130);
    expect(report.requests.refusedByCode.RATE_LIMITED ?? 0).toBe(0);
    // Real sockets: opened by every viewer, counted by the room while present, all closed at the end.
    expect(report.sockets).toMatchObject({ held: true, failed: 0 });
    expect(report.sockets.opened).toBe(150);
    expect(report.sockets.roomViewersPeak ?? 0).toBeGreaterThan(1);
    expect(peakViewers).toBeGreaterThan(1);
    await expect.poll(() => app.services.gateway.viewerCount('demo')).toBe(0);
    expect(report.perArm.reduce((n, a) => n + a.lists, 0)).toBe(recs.total);
    for (const arm of report.perArm) expect(arm.regret.total).toBeGreaterThanOrEqual(0);
    expect(report.host.done).toBeGreaterThan(0);
    expect(report.notes.join('\n')).toMatch(/loopback source addresses/);

    const label = (await app.inject('/api/v1/sessions/demo/simulation')).json();
    expect(label).toMatchObject({ mode: 'demo', simulated: true });
    expect(label.requests).toBeGreaterThan(report.requests.total / 2);
    // The run tidied up after itself: no pins or flash sales of its own left running.
    const room = (await app.inject('/api/v1/sessions/demo')).json() as { pins: string[]; flashSales: unknown[] };
    expect(room.pins).toEqual([]);
    expect(room.flashSales).toEqual([]);
  });

  it('stops at once against a production server (SIMULATION_REFUSED), with nothing stored', async () => {
    t = await testApp('sqlite', { env: { QINGLIU_MODE: 'production' } });
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    target = createHttpTarget({ url });
    const run = simulate({ target, scenario: readScenarioFile(builtinScenarioPath('baby-care')), viewers: 150, speed: 'max', seed: 11 });
    await expect(run).rejects.toBeInstanceOf(SimulationRefusedError);
    await expect(run).rejects.toThrow(`the server at ${url} runs in production mode; simulated audiences run only in demo mode`);
    const db = t.app.services.storage.db;
    for (const table of ['consent_records', 'room_events', 'orders', 'viewer_events'] as const) {
      expect(await db.selectFrom(table).selectAll().execute(), table).toHaveLength(0);
    }
    expect(t.app.services.gateway.viewerCount('demo')).toBe(0);
    expect((await t.app.inject('/api/v1/sessions/demo/simulation')).json()).toMatchObject({ mode: 'production', simulated: false });
  });
});
