/**
 * The consent banner's age gate and the page's behaviour events in a real browser against a real
 * server (C1–C4, M1/M2): a new viewer declines all in one action and still shops, while the store
 * holds nothing personal; a 14–17 viewer gets minors mode; an under-14 viewer gets a guardian link.
 * Uses Debian's Chromium through playwright-core, like browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { signIn, testApp, type TestApp } from '../support/app.js';


const BLOCKED_FOR_MINORS = ['personalised_recommendations', 'marketing', 'merchant_sharing'];

describe.runIf(chromiumAvailable)('consent and the age gate in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    t = await testApp('sqlite');
    base = await listenLocally(t.app);
    const admin = await signIn(t.app, 'admin', 'consentadmin');
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    expect(started.statusCode, started.body).toBe(200);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const db = () => t.app.services.storage.db;
  const newViewer = async (): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await page.goto(`${base}/live/demo`);
    await page.getByTestId('consent-dialog').waitFor();
    await page.getByTestId('consent-notice').waitFor();
    return page;
  };
  const storedDevice = (page: Page) => page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('qingliu.device'));

  it('a new viewer declines all in one action, still likes, adds to cart and buys, and nothing personal is stored', async () => {
    const page = await newViewer();
    expect(await storedDevice(page)).toBeNull();
    await page.getByTestId('consent-decline-all').click();
    await page.getByTestId('consent-dialog').waitFor({ state: 'detached' });
    expect(await storedDevice(page)).toBeTruthy();
    await expect.poll(() => page.getByTestId('session-status').getAttribute('data-status')).toBe('live');

    await page.getByTestId('like-button').click();
    const item = page.getByTestId('product-item').first();
    await item.getByTestId('add-to-cart').click();
    await expect.poll(() => page.getByTestId('cart-count').textContent()).toBe('1');
    // The count is status text, not a control (there is no cart to open): not focusable, styled unlike
    // the buttons beside it, and read out as one sentence.
    const cart = page.locator('.engage-bar > *').filter({ has: page.getByTestId('cart-count') });
    expect(
      await cart.evaluate((el) => {
        const style = (globalThis as unknown as { getComputedStyle(e: unknown): { cursor: string; borderTopStyle: string; backgroundColor: string } }).getComputedStyle(el);
        return { role: el.getAttribute('role'), focusable: el.tabIndex >= 0, cursor: style.cursor, border: style.borderTopStyle, background: style.backgroundColor };
      }),
    ).toEqual({ role: null, focusable: false, cursor: 'default', border: 'none', background: 'rgba(0, 0, 0, 0)' });
    expect(await cart.ariaSnapshot()).toBe('- paragraph: 购物车中有 1 件');

    await item.getByTestId('buy-button').click();
    await page.getByTestId('buy-dialog').getByTestId('buy-submit').click();
    await page.getByTestId('toast-success').filter({ hasText: /下单成功/ }).first().waitFor({ timeout: 5000 });
    await expect.poll(async () => (await db().selectFrom('orders').select('id').execute()).length).toBe(1);

    // The page sent behaviour events (click, add_to_cart, purchase, like); the server only counted them.
    await expect
      .poll(async () => {
        const rows = await db().selectFrom('anonymous_event_counts').selectAll().where('session_id', '=', 'demo').execute();
        return new Set(rows.filter((r) => r.count > 0).map((r) => r.type)).size;
      })
      .toBeGreaterThanOrEqual(4);
    expect(await db().selectFrom('viewer_events').selectAll().execute()).toEqual([]);
    expect(await db().selectFrom('pseudonyms').selectAll().execute()).toEqual([]);
    await page.close();
  }, 30_000);

  it('a 14–17 viewer sees the blocked purposes disabled, accepts, and is in minors mode', async () => {
    const page = await newViewer();
    await page.locator('[data-testid="age-band"][data-band="14_to_17"]').check();
    for (const purpose of BLOCKED_FOR_MINORS) {
      await expect.poll(() => page.locator(`[data-testid="consent-toggle"][data-purpose="${purpose}"]`).isDisabled()).toBe(true);
    }
    expect(await page.locator('[data-testid="consent-toggle"][data-purpose="assistant_memory"]').isDisabled()).toBe(false);
    await page.getByTestId('consent-accept-all').click();
    await page.getByTestId('consent-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('minors-badge').waitFor();

    const device = await storedDevice(page);
    expect(device).toBeTruthy();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/consent/status?brandId=demo-brand', headers: { 'x-qingliu-device': device! } });
    const status = res.json<{ mode: string; effective: string[]; current: { granted: string[]; method: string } }>();
    expect(status.mode).toBe('minor');
    expect(status.effective).not.toContain('personalised_recommendations');
    expect(status.current.method).toBe('custom');
    for (const purpose of BLOCKED_FOR_MINORS) expect(status.current.granted).not.toContain(purpose);
    await page.close();
  }, 20_000);

  it('an under-14 viewer cannot grant anything and gets a link for their guardian', async () => {
    const page = await newViewer();
    await page.locator('[data-testid="age-band"][data-band="under_14"]').check();
    expect(await page.getByTestId('consent-accept-all').isDisabled()).toBe(true);
    expect(await page.getByTestId('consent-decline-all').isDisabled()).toBe(false);
    expect(await page.locator('[data-testid="consent-toggle"]:not([disabled])').count()).toBe(0);
    await page.getByTestId('guardian-ask').click();
    const link = page.getByTestId('guardian-link');
    await link.waitFor();
    expect(await link.inputValue()).toMatch(new RegExp(`^${base.replace(/[.]/g, '\\.')}/guardian#code=.+`));
    await page.close();
  }, 20_000);
});
