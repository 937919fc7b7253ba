/**
 * Two nodes, one room, a real browser: the host console is open on node A, the viewer page on node B
 * (phone-sized), both nodes on one PostgreSQL database and on NATS (the in-process bus when no NATS
 * server runs; both are required in CI). The host goes live and pins on A; the page on B shows it.
 * The viewer likes on B; the host's counters on A count the like and the viewer on B.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { MemoryBus, NatsBus, type Bus } from '../../src/bus/index.js';
import { loadConfig } from '../../src/config/index.js';
import { systemContext } from '../../src/context/index.js';
import { TEST_PASSWORD } from '../support/app.js';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';
import { NATS_AVAILABLE, NATS_URL, testSubjectPrefix } from '../support/nats.js';

describe.runIf(chromiumAvailable && DIALECTS.includes('postgres'))('two nodes in a real browser', () => {
  let db: TestStorage;
  let dataDir: string;
  let buses: Bus[];
  let a: FastifyInstance;
  let b: FastifyInstance;
  let baseA: string;
  let baseB: string;
  let browser: Browser;

  beforeAll(async () => {
    db = await freshStorage('postgres');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-cluster-browser-'));
    const env = { LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dataDir, QINGLIU_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' };
    if (NATS_AVAILABLE) {
      const subjectPrefix = testSubjectPrefix();
      buses = [await NatsBus.connect({ servers: [NATS_URL], subjectPrefix, name: 'node a' }), await NatsBus.connect({ servers: [NATS_URL], subjectPrefix, name: 'node b' })];
    } else {
      const shared = new MemoryBus();
      buses = [shared, shared];
    }
    a = await buildApp(loadConfig(env, { seedDemo: true }), { logger: false, storage: db.storage, bus: buses[0] });
    b = await buildApp(loadConfig(env, { seedDemo: false }), { logger: false, storage: db.storage, bus: buses[1] });
    baseA = await listenLocally(a);
    baseB = await listenLocally(b);
    const created = await a.services.staff.addUser(systemContext('test'), { name: 'clusterhost', role: 'admin', password: TEST_PASSWORD });
    expect(created.ok).toBe(true);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await a?.close();
    await b?.close();
    for (const bus of new Set(buses ?? [])) await bus.close();
    await db?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the host’s pin on node A on the viewer page on node B, and counts B’s viewer and like on A', async () => {
    const viewer = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await viewer.goto(`${baseB}/live/demo`);
    await viewer.getByTestId('product-list').waitFor();
    await expect.poll(() => viewer.getByTestId('connection-status').getAttribute('data-state')).toBe('open');

    const host = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await host.goto(`${baseA}/login?next=/host/demo`);
    await host.getByLabel(/用户名|Name/).fill('clusterhost');
    await host.getByLabel(/密码|Password/).fill(TEST_PASSWORD);
    await host.getByRole('button', { name: /登录|Sign in/ }).click();
    await host.waitForURL(`${baseA}/host/demo`);
    await host.getByTestId('go-live').click();
    await expect.poll(() => viewer.getByTestId('session-status').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');

    const row = host.getByTestId('host-product-row').nth(1);
    const productId = await row.getAttribute('data-product-id');
    expect(productId).toBeTruthy();
    await row.getByTestId('pin-button').click();
    await viewer.locator(`[data-testid="pinned-item"][data-product-id="${productId}"]`).waitFor({ timeout: 10_000 });

    // The viewer on B is counted in the room, and their like reaches the host's counters on A.
    await expect.poll(() => host.getByTestId('counter-viewers').getAttribute('data-count'), { timeout: 15_000 }).toBe('1');
    await viewer.getByTestId('consent-decline-all').click(); // the banner answered (it covers the page's actions)
    await viewer.getByTestId('consent-dialog').waitFor({ state: 'detached' });
    await viewer.getByTestId('like-button').click();
    await expect.poll(() => host.getByTestId('counter-likes').getAttribute('data-count'), { timeout: 10_000 }).toBe('1');
    await host.screenshot({ path: 'test-results/cluster-host-on-a.png' });
    await viewer.screenshot({ path: 'test-results/cluster-viewer-on-b.png' });
  }, 90_000);
});
