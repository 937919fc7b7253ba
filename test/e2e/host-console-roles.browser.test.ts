/**
 * The host console in a real browser against a real server, per role and at its edges:
 * - a moderator sees the chat moderation (and can post in it) and the counters, with a note in the
 *   page's language saying the rest is the host's; none of what the server answers 403 FORBIDDEN
 *   for a moderator (go live / end, pin, sold-out, flash sales, recommendation health, the fairness
 *   check, the energy meter) is on the page, and the page asks the server for nothing it refuses;
 * - the recommendation health panel stops polling once the server refuses it (403: the room was
 *   given to another host; 401: signed out) and says so, where it used to ask every 10 s forever;
 * - ending a flash sale early asks first in an accessible dialog (Esc cancels, keyboard confirms);
 * - a flash sale that sells out is announced in a polite status where its card was, in both languages.
 * Debian's Chromium through playwright-core, like the other browser suites (test/support/browser.ts).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { browserSuite, chromiumAvailable } from '../support/browser.js';
import { signIn } from '../support/app.js';

type Locale = 'zh-CN' | 'en';
type Catalogue = { [key: string]: string | Catalogue };
const catalogues: Record<Locale, Catalogue> = {
  'zh-CN': JSON.parse(readFileSync(new URL('../../web/src/i18n/zh-CN.json', import.meta.url), 'utf8')) as Catalogue,
  en: JSON.parse(readFileSync(new URL('../../web/src/i18n/en.json', import.meta.url), 'utf8')) as Catalogue,
};
/** A catalogue text with its {{placeholders}} filled, as the page's t() renders it. */
function text(locale: Locale, key: string, values: Record<string, string | number> = {}): string {
  let node: string | Catalogue = catalogues[locale];
  for (const part of key.split('.')) {
    if (typeof node === 'string' || !(part in node)) throw new Error(`no ${key} in ${locale}`);
    node = node[part]!;
  }
  if (typeof node !== 'string') throw new Error(`${key} is not a text`);
  return node.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => String(values[name] ?? `{{${name}}}`));
}

interface Room {
  products: { id: string; name: { zh: string; en: string }; priceFen: number; stock: number; soldOut: boolean }[];
  flashSales: { id: string; productId: string; status: string; endReason: string | null }[];
}

describe.runIf(chromiumAvailable)('the host console per role, in a real browser', () => {
  const suite = browserSuite();
  let admin: { cookie: string } | undefined;
  let productCursor = 0;

  const inject = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, cookie?: string, payload?: object) =>
    suite.t.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(method === 'GET' ? {} : { payload: payload ?? {} }) });
  const room = async (): Promise<Room> => (await inject('GET', '/api/v1/sessions/demo')).json() as Room;

  /** The demo room live and an administrator to run it (signed in once: sign-ins are rate limited). */
  const liveRoom = async (): Promise<{ cookie: string }> => {
    if (!admin) {
      admin = await signIn(suite.t.app, 'admin');
      const res = await inject('POST', '/api/v1/sessions/demo/start', admin.cookie);
      expect(res.statusCode, res.body).toBe(200);
    }
    return admin;
  };

  /** Starts a flash sale on a product no earlier test used; returns it with its product. */
  const startFlashSale = async (admin: { cookie: string }, quantity: number) => {
    const { products } = await room();
    const product = products.filter((p) => !p.soldOut && p.stock >= quantity && p.priceFen > 200)[productCursor++];
    if (!product) throw new Error('no product left for a flash sale');
    const price = (Math.floor(product.priceFen / 2) / 100).toFixed(2);
    const res = await inject('POST', '/api/v1/sessions/demo/flash-sales', admin.cookie, { productId: product.id, price, quantity, durationSeconds: 600 });
    expect(res.statusCode, res.body).toBe(201);
    return { sale: res.json() as { id: string; priceFen: number; remaining: number }, product };
  };

  /** A signed-in staff member's browser on the demo room's console, in `locale` (localStorage, like the locale switch). */
  const consolePage = async (
    who: { cookie: string },
    locale: Locale,
    options: { fakeClock?: boolean } = {},
  ): Promise<{ context: BrowserContext; page: Page; errors: string[]; refusedRequests: string[] }> => {
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, locale, reducedMotion: 'reduce' });
    const [name, ...value] = who.cookie.split('=');
    await context.addCookies([{ name: name!, value: value.join('='), url: suite.base }]);
    await context.addInitScript(
      (chosen: string) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('qingliu.locale', chosen),
      locale,
    );
    if (options.fakeClock) await context.clock.install();
    const page = await context.newPage();
    const errors: string[] = [];
    const refusedRequests: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('response', (response) => {
      if (response.status() === 401 || response.status() === 403) refusedRequests.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    });
    await page.goto(`${suite.base}/host/demo`);
    await page.getByTestId('host-product-row').first().waitFor();
    return { context, page, errors, refusedRequests };
  };

  it('shows a moderator the chat and the figures, none of the host controls the server refuses them, and says why in both languages', async () => {
    const admin = await liveRoom();
    await startFlashSale(admin, 3);
    const moderator = await signIn(suite.t.app, 'moderator');

    // The server's side of it: what the console hides from a moderator, the API refuses them.
    const productId = (await room()).products[0]!.id;
    const saleId = (await room()).flashSales[0]!.id;
    const refused: [string, 'GET' | 'POST' | 'PUT' | 'DELETE', string, object?][] = [
      ['go live', 'POST', '/api/v1/sessions/demo/start'],
      ['end the show', 'POST', '/api/v1/sessions/demo/end'],
      ['pin', 'PUT', `/api/v1/sessions/demo/pins/${productId}`],
      ['unpin', 'DELETE', `/api/v1/sessions/demo/pins/${productId}`],
      ['mark sold out', 'PUT', `/api/v1/sessions/demo/products/${productId}/sold-out`, { soldOut: true }],
      ['start a flash sale', 'POST', '/api/v1/sessions/demo/flash-sales', { productId, price: '1.00', quantity: 1, durationSeconds: 60 }],
      ['end a flash sale', 'POST', `/api/v1/sessions/demo/flash-sales/${saleId}/end`],
      ['run a fairness check', 'POST', '/api/v1/fairness/audits', { sessionId: 'demo' }],
      ['read the energy meter', 'GET', '/api/v1/sessions/demo/energy'],
      ['read the recommendation health', 'GET', '/api/v1/sessions/demo/recommendations/health'],
    ];
    for (const [what, method, url, body] of refused) {
      const res = await inject(method, url, moderator.cookie, body);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(403);
    }
    // ...and what it shows them, the API answers.
    for (const url of [
      '/api/v1/sessions/demo/chat/moderation',
      '/api/v1/sessions/demo/chat/moderation-log',
      '/api/v1/sessions/demo/assistant/handoffs?status=all',
      '/api/v1/fairness/alerts?sessionId=demo',
      '/api/v1/experiments',
    ]) {
      const res = await inject('GET', url, moderator.cookie);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    }

    for (const locale of ['zh-CN', 'en'] as const) {
      const { context, page, errors, refusedRequests } = await consolePage(moderator, locale);
      // What a moderator may do is there and working.
      await page.getByTestId('chat-moderation').waitFor();
      await page.getByTestId('staff-message-form').waitFor();
      await page.getByTestId('handoff-queue').waitFor();
      await page.getByTestId('counters').waitFor();
      await page.getByTestId('host-flash-sale').first().waitFor(); // running sales are readable
      await page.locator('[data-testid="host-fairness-empty"], [data-testid="host-fairness-alert"]').first().waitFor();
      await page.locator('[data-testid="host-experiments-empty"], [data-testid="host-experiment-row"]').first().waitFor();

      // None of what the server refuses a moderator.
      for (const testId of ['go-live', 'end-live', 'pin-button', 'unpin-button', 'sold-out-toggle', 'flash-sale-button', 'flash-sale-end', 'host-fairness-check', 'host-energy-meter', 'host-recs-health']) {
        expect(await page.getByTestId(testId).count(), testId).toBe(0);
      }
      expect(await page.getByRole('columnheader', { name: text(locale, 'host.products.columns.actions') }).count()).toBe(0);
      expect(await page.getByRole('button', { name: text(locale, 'host.products.pin'), exact: true }).count()).toBe(0);

      // The note, in the page's language.
      const note = page.getByTestId('host-role-note');
      expect(await note.textContent()).toBe(text(locale, 'host.roleNote', { role: text(locale, 'common.roles.moderator') }));
      expect(await page.getByTestId('host-products-read-only').textContent()).toBe(text(locale, 'host.products.readOnlyNote'));

      // Moderating works: a staff message goes out.
      await page.getByTestId('staff-text').fill(locale === 'en' ? 'Welcome, everyone' : '欢迎大家');
      await page.getByTestId('staff-send').click();
      await page.getByTestId('toast-success').filter({ hasText: text(locale, 'host.chat.staff.sent') }).waitFor();

      // The page asked the server for nothing it refuses a moderator, and shows no FORBIDDEN.
      await page.waitForTimeout(500);
      expect(refusedRequests).toEqual([]);
      expect(await page.locator('.problem-code').count()).toBe(0);
      expect(errors).toEqual([]);
      await context.close();
    }
  }, 90_000);

  it('keeps the host controls for an administrator', async () => {
    const admin = await liveRoom();
    const { context, page, refusedRequests } = await consolePage(admin, 'zh-CN');
    await page.getByTestId('host-energy-meter').waitFor();
    await page.getByTestId('host-recs-model-version').waitFor();
    expect(await page.getByTestId('host-role-note').count()).toBe(0);
    expect(await page.getByTestId('end-live').count()).toBe(1);
    expect(await page.getByTestId('host-fairness-check').count()).toBe(1);
    expect(await page.getByTestId('host-products-read-only').count()).toBe(0);
    const rows = await page.getByTestId('host-product-row').count();
    expect(await page.getByTestId('sold-out-toggle').count()).toBe(rows);
    expect(await page.getByTestId('flash-sale-button').count()).toBe(rows);
    expect(refusedRequests).toEqual([]);
    await context.close();
  }, 60_000);

  it('asks before ending a flash sale early: Esc keeps it running, the keyboard ends it', async () => {
    const admin = await liveRoom();
    const { sale, product } = await startFlashSale(admin, 4);
    const { context, page, errors } = await consolePage(admin, 'zh-CN');
    const card = page.locator(`[data-testid="host-flash-sale"][data-flash-sale-id="${sale.id}"]`);
    const running = async () => (await room()).flashSales.some((s) => s.id === sale.id);

    const endButton = card.getByTestId('flash-sale-end');
    await endButton.click();
    await page.waitForTimeout(500);
    expect(await running()).toBe(true); // one click ended nothing...
    const dialog = page.getByRole('dialog', { name: text('zh-CN', 'host.flash.endConfirmTitle', { name: product.name.zh }) });
    await dialog.waitFor(); // ...it asked
    expect(await dialog.getByTestId('flash-end-body').textContent()).toBe(
      text('zh-CN', 'host.flash.endConfirmBody', { price: `¥${(sale.priceFen / 100).toFixed(2)}`, n: sale.remaining }),
    );
    // Its button names the product for screen readers.
    expect(await endButton.getAttribute('aria-label')).toBe(text('zh-CN', 'host.flash.endLabel', { name: product.name.zh }));

    // Modal, with focus inside; Esc cancels.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { closest(s: string): unknown } | null } }).document.activeElement?.closest('dialog') !== null)).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await running()).toBe(true);
    expect(await card.count()).toBe(1);

    // The cancel button cancels too.
    await endButton.click();
    await dialog.waitFor();
    await dialog.getByTestId('flash-end-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await running()).toBe(true);

    // Keyboard only: open it with Enter, Tab to the confirm button, Enter.
    await endButton.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    const confirm = dialog.getByTestId('flash-end-confirm');
    expect(await confirm.textContent()).toBe(text('zh-CN', 'host.flash.endNow'));
    for (let i = 0; i < 5 && !(await confirm.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    expect(await confirm.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(running).toBe(false);
    await card.waitFor({ state: 'detached' });
    await page.getByTestId('toast-success').filter({ hasText: text('zh-CN', 'host.flash.endedToast', { name: product.name.zh }) }).waitFor();
    const ended = (await room()).flashSales.find((s) => s.id === sale.id);
    expect(ended).toBeUndefined();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('says politely, in both languages, that a flash sale sold out when its card goes', async () => {
    const admin = await liveRoom();
    const { sale, product } = await startFlashSale(admin, 1);
    const zh = await consolePage(admin, 'zh-CN');
    const en = await consolePage(admin, 'en');
    for (const { page } of [zh, en]) await page.locator(`[data-testid="host-flash-sale"][data-flash-sale-id="${sale.id}"]`).waitFor();

    const order = await inject('POST', '/api/v1/sessions/demo/orders', undefined, { productId: product.id, quantity: 1, clientOrderId: `sold-out-${sale.id}`.slice(0, 64) });
    expect(order.statusCode, order.body).toBe(201);

    for (const [locale, { page }] of [['zh-CN', zh], ['en', en]] as const) {
      const name = locale === 'en' ? product.name.en : product.name.zh;
      const notice = page.locator(`[role="status"] [data-testid="flash-sold-out-notice"][data-flash-sale-id="${sale.id}"]`);
      await notice.waitFor();
      expect(await notice.textContent()).toBe(text(locale, 'host.flash.soldOutNotice', { name }));
      await page.locator(`[data-testid="host-flash-sale"][data-flash-sale-id="${sale.id}"]`).waitFor({ state: 'detached' });
      // The status region is polite (role="status"), never an alert.
      expect(await notice.evaluate((el) => el.closest('[role="alert"]') === null)).toBe(true);
    }
    expect([...zh.errors, ...en.errors]).toEqual([]);

    // A sale ended early is not announced as sold out.
    const { sale: other } = await startFlashSale(admin, 2);
    await zh.page.locator(`[data-testid="host-flash-sale"][data-flash-sale-id="${other.id}"]`).waitFor();
    const end = await inject('POST', `/api/v1/sessions/demo/flash-sales/${other.id}/end`, admin.cookie);
    expect(end.statusCode, end.body).toBe(200);
    await zh.page.locator(`[data-testid="host-flash-sale"][data-flash-sale-id="${other.id}"]`).waitFor({ state: 'detached' });
    expect(await zh.page.locator(`[data-testid="flash-sold-out-notice"][data-flash-sale-id="${other.id}"]`).count()).toBe(0);
    await zh.context.close();
    await en.context.close();
  }, 60_000);

  describe('the recommendation health panel once the server refuses it', () => {
    const healthRequests = (page: Page): (() => number) => {
      let n = 0;
      page.on('request', (request) => {
        if (request.url().includes('/recommendations/health')) n++;
      });
      return () => n;
    };

    /** The next refresh (10 s on) is refused with `status`; then a minute on the page's clock asks nothing more. */
    const refusedThenQuiet = async (page: Page, status: 401 | 403, requests: () => number): Promise<void> => {
      const refusal = page.waitForResponse((r) => r.url().includes('/recommendations/health') && r.status() === status);
      await page.clock.fastForward(10_000);
      await refusal;
      await page.waitForTimeout(200);
      const asked = requests();
      for (let i = 0; i < 6; i++) {
        await page.clock.fastForward(10_000);
        await page.waitForTimeout(100);
      }
      expect(requests()).toBe(asked);
    };

    /** The demo room given to `hostId` (null: to nobody), as an administrator does. */
    const assignHost = async (hostId: string | null): Promise<void> => {
      const admin = await liveRoom();
      const res = await suite.t.app.inject({ method: 'PATCH', url: '/api/v1/sessions/demo', headers: { cookie: admin.cookie }, payload: { hostUserId: hostId } });
      expect(res.statusCode, res.body).toBe(200);
    };
    // Whatever a test left, the next one starts with the room given to nobody.
    afterEach(() => assignHost(null));

    it('shows a host of another session only the figures, says whose it is to run, and asks the server for nothing it refuses', async () => {
      const host = await signIn(suite.t.app, 'host');
      const other = await signIn(suite.t.app, 'host');
      await assignHost(other.id);
      for (const endpoint of ['/api/v1/sessions/demo/recommendations/health', '/api/v1/sessions/demo/energy']) {
        expect((await inject('GET', endpoint, host.cookie)).statusCode, endpoint).toBe(403);
      }
      const { context, page, errors, refusedRequests } = await consolePage(host, 'zh-CN');
      const note = page.getByTestId('host-role-note');
      await note.waitFor();
      expect(await note.textContent()).toBe(text('zh-CN', 'host.notYourSession'));
      for (const control of ['go-live', 'end-live', 'pin-button', 'sold-out-toggle', 'flash-sale-button', 'host-recs-health', 'host-energy-meter', 'host-fairness-check']) {
        expect(await page.getByTestId(control).count(), control).toBe(0);
      }
      expect(await page.locator('.host-chat-column').count()).toBe(0);
      await page.waitForTimeout(500);
      expect(refusedRequests).toEqual([]);
      expect(errors).toEqual([]);
      await context.close();

      // Assigned to them, the same console runs the show.
      await assignHost(host.id);
      const mine = await consolePage(host, 'zh-CN');
      await mine.page.getByTestId('host-recs-model-version').waitFor();
      expect(await mine.page.getByTestId('host-role-note').count()).toBe(0);
      expect(await mine.page.getByTestId('end-live').count()).toBe(1);
      await mine.context.close();
    }, 60_000);

    it('stops polling after a 403 (the room was given to another host) and says so', async () => {
      const host = await signIn(suite.t.app, 'host');
      const other = await signIn(suite.t.app, 'host');
      await assignHost(host.id);
      const { context, page } = await consolePage(host, 'zh-CN', { fakeClock: true });
      const requests = healthRequests(page);
      await page.getByTestId('host-recs-model-version').waitFor();

      await assignHost(other.id);
      expect((await inject('GET', '/api/v1/sessions/demo/recommendations/health', host.cookie)).statusCode).toBe(403);

      await refusedThenQuiet(page, 403, requests);

      const stopped = page.getByTestId('host-recs-stopped');
      await stopped.waitFor();
      expect(await stopped.getAttribute('data-status')).toBe('403');
      expect(await stopped.getAttribute('role')).toBe('alert');
      expect(await stopped.textContent()).toContain(text('zh-CN', 'recs.health.forbidden'));
      expect(await page.getByTestId('host-recs-model-version').count()).toBe(1); // the last figures stay
      await context.close();
    }, 60_000);

    it('stops polling after a 401 (signed out elsewhere) and offers to sign in again', async () => {
      const host = await signIn(suite.t.app, 'host');
      await assignHost(host.id);
      const { context, page } = await consolePage(host, 'en', { fakeClock: true });
      const requests = healthRequests(page);
      await page.getByTestId('host-recs-model-version').waitFor();

      const out = await inject('POST', '/api/v1/auth/logout', host.cookie);
      expect(out.statusCode, out.body).toBeLessThan(300);
      expect((await inject('GET', '/api/v1/sessions/demo/recommendations/health', host.cookie)).statusCode).toBe(401);

      await refusedThenQuiet(page, 401, requests);

      const stopped = page.getByTestId('host-recs-stopped');
      await stopped.waitFor();
      expect(await stopped.getAttribute('data-status')).toBe('401');
      expect(await stopped.textContent()).toContain(text('en', 'recs.health.signedOut'));
      const signInLink = page.getByRole('link', { name: text('en', 'recs.health.signInAgain') });
      expect(await signInLink.getAttribute('href')).toBe(`/login?next=${encodeURIComponent('/host/demo')}`);
      await context.close();
    }, 60_000);
  });
});
