/**
 * A real browser against a real server: a host pins a product in the host console and an open
 * viewer page (phone-sized) shows it. Uses Debian's Chromium through playwright-core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { testApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { systemContext } from '../../src/context/index.js';


describe.runIf(chromiumAvailable)('live room in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    t = await testApp('sqlite');
    base = await listenLocally(t.app);
    const created = await t.app.services.staff.addUser(systemContext('test'), { name: 'hostadmin', role: 'admin', password: TEST_PASSWORD });
    expect(created.ok).toBe(true);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the host’s pin on an open viewer page', async () => {
    const viewer = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await viewer.goto(`${base}/live/demo`);
    await viewer.getByTestId('product-list').waitFor();
    await expect.poll(() => viewer.getByTestId('connection-status').getAttribute('data-state')).toBe('open');
    expect(await viewer.getByTestId('pinned-item').count()).toBe(0);

    const host = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await host.goto(`${base}/login?next=/host/demo`);
    await host.getByLabel(/用户名|Name/).fill('hostadmin');
    await host.getByLabel(/密码|Password/).fill(TEST_PASSWORD);
    await host.getByRole('button', { name: /登录|Sign in/ }).click();
    await host.waitForURL(`${base}/host/demo`);
    // Before going live a flash sale cannot start (the server would refuse it), and the console says why.
    await host.getByTestId('host-product-row').first().waitFor();
    expect(await host.locator('[data-testid="flash-sale-button"]:not([disabled])').count()).toBe(0);
    expect(await host.getByTestId('host-products-note').textContent()).toBe('开播后才能发起秒杀。');
    await host.getByTestId('go-live').click();
    await expect.poll(() => host.getByTestId('host-products-note').count()).toBe(0);
    expect(await host.locator('[data-testid="flash-sale-button"]:not([disabled])').count()).toBeGreaterThan(0);
    await expect.poll(() => viewer.getByTestId('session-status').getAttribute('data-status')).toBe('live');

    // On a 1280-pixel screen the product table fits its panel: every row's actions are in view, none behind a sideways scroll.
    const table = host.locator('.product-table');
    const overflow = await table.evaluate((el) => {
      const wrap = el.parentElement!;
      return { scroll: wrap.scrollWidth, client: wrap.clientWidth };
    });
    expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
    const tableBox = (await table.boundingBox())!;
    for (const button of await host.getByTestId('host-product-row').first().locator('button').all()) {
      const box = (await button.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(tableBox.x + tableBox.width + 0.5);
    }

    const row = host.getByTestId('host-product-row').nth(2);
    const productId = await row.getAttribute('data-product-id');
    expect(productId).toBeTruthy();
    await row.getByTestId('pin-button').click();

    const pinned = viewer.locator(`[data-testid="pinned-item"][data-product-id="${productId}"]`);
    await pinned.waitFor({ timeout: 5000 });
    expect(await viewer.getByTestId('pinned-item').count()).toBe(1);
    await viewer.screenshot({ path: 'test-results/viewer-pinned.png' });
  }, 60_000);
});
