/**
 * Recommendations in a real browser against a real server (A4, A5, A6, F1): a viewer who declines
 * consent gets a non-personalised list with reasons, sees a pinned product arrive without a reload,
 * and a 👎 is recorded without learning; a viewer who accepts all gets personalised cards, a 👍
 * teaches the model, and the host console's health panel shows the update; /recommendations renders
 * the feature list; a 👍 stays given when the list refreshes with new decisions for the same product
 * and is sent once; a 👍 whose send fails is undone and said so, and its retry is recorded once.
 * Uses Debian's Chromium through playwright-core, like browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { demoProductIds, signIn, testApp, type TestApp } from '../support/app.js';


describe.runIf(chromiumAvailable)('recommendations in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let admin: { cookie: string };

  beforeAll(async () => {
    t = await testApp('sqlite');
    base = await listenLocally(t.app);
    admin = await signIn(t.app, 'admin', 'recsadmin');
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    expect(started.statusCode, started.body).toBe(200);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const db = () => t.app.services.storage.db;
  const feedbackFor = async (decisionId: string) =>
    db().selectFrom('recommendation_feedback').selectAll().where('decision_id', '=', decisionId).execute();
  /**
   * Clicks a card's button and reads which card it was in the same step: the list may be replaced
   * by a push between a read and a click.
   */
  const clickOnCard = (button: Locator): Promise<{ productId: string; decisionId: string }> =>
    button.evaluate((el) => {
      const item = (el as unknown as { closest(s: string): { getAttribute(n: string): string | null } | null }).closest('[data-testid="recs-item"]');
      (el as unknown as { click(): void }).click();
      return { productId: item?.getAttribute('data-product-id') ?? '', decisionId: item?.getAttribute('data-decision-id') ?? '' };
    });
  /** Every feedback row in the demo room, with the product it was about. */
  const feedbackRows = async () =>
    db()
      .selectFrom('recommendation_feedback')
      .innerJoin('recommendation_decisions', 'recommendation_decisions.id', 'recommendation_feedback.decision_id')
      .select(['recommendation_decisions.product_id as productId'])
      .where('recommendation_decisions.session_id', '=', 'demo')
      .execute();
  /** Every feedback row on this product in the demo room, whichever decision it answered. */
  const productFeedback = async (productId: string) =>
    db()
      .selectFrom('recommendation_feedback')
      .innerJoin('recommendation_decisions', 'recommendation_decisions.id', 'recommendation_feedback.decision_id')
      .select(['recommendation_feedback.type'])
      .where('recommendation_decisions.product_id', '=', productId)
      .where('recommendation_decisions.session_id', '=', 'demo')
      .execute();
  const newViewer = async (): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await page.goto(`${base}/live/demo`);
    await page.getByTestId('consent-dialog').waitFor();
    await page.getByTestId('consent-notice').waitFor();
    return page;
  };
  const shownProducts = async (page: Page) =>
    page.getByTestId('recs-item').evaluateAll((items) => items.map((el) => el.getAttribute('data-product-id')));

  it('a viewer who declines gets a non-personalised list with reasons, a pin arrives live, and 👎 is recorded without learning', async () => {
    const page = await newViewer();
    await page.getByTestId('consent-decline-all').click();
    await page.getByTestId('consent-dialog').waitFor({ state: 'detached' });

    const panel = page.getByTestId('recs-panel');
    await expect.poll(() => panel.getAttribute('data-personalised')).toBe('false');
    await expect.poll(() => page.getByTestId('recs-item').count()).toBe(4);
    expect(await panel.textContent()).toContain('非个性化');
    expect(await page.getByTestId('recs-badge').count()).toBe(0);
    expect(await page.getByTestId('recs-how-link').getAttribute('href')).toMatch(/^\/recommendations/);

    // Each card's price is the showcase's price for that product (A6).
    const first = page.getByTestId('recs-item').first();
    const firstId = (await first.getAttribute('data-product-id'))!;
    const showcasePrice = await page.locator(`[data-testid="product-item"][data-product-id="${firstId}"] .price`).first().textContent();
    expect(await first.locator('.price').first().textContent()).toBe(showcasePrice);

    await first.getByTestId('recs-why').click();
    const why = first.getByTestId('recs-why-panel');
    await why.waitFor();
    expect(await first.getByTestId('recs-why').getAttribute('aria-expanded')).toBe('true');
    expect(await why.getByTestId('recs-reason').count()).toBeGreaterThan(0);
    expect(await why.getByTestId('recs-contribution').count()).toBeGreaterThan(0);
    expect(await why.getByTestId('recs-identity').getAttribute('data-exact')).toBe('true');

    // The host pins a product the viewer is not shown: it arrives in the list without a reload.
    const shown = await shownProducts(page);
    const target = (await demoProductIds(t.app)).find((id) => !shown.includes(id))!;
    const pinned = await t.app.inject({ method: 'PUT', url: `/api/v1/sessions/demo/pins/${target}`, headers: { cookie: admin.cookie }, payload: {} });
    expect(pinned.statusCode, pinned.body).toBe(200);
    await page.locator(`[data-testid="recs-item"][data-product-id="${target}"]`).waitFor({ timeout: 10_000 });

    // 👎 on a card: recorded, and not learned from (no model-improvement consent).
    const card = page.getByTestId('recs-item').first();
    const decisionId = (await card.getAttribute('data-decision-id'))!;
    await card.getByTestId('recs-dislike').click();
    await expect.poll(async () => (await feedbackFor(decisionId)).map((r) => [r.type, r.learned])).toEqual([['dislike', 0]]);
    await page.close();
  }, 30_000);

  it('a 👍 stays given when the list refreshes with new decisions for the same product, and is sent once', async () => {
    const page = await newViewer();
    await page.getByTestId('consent-decline-all').click();
    await page.getByTestId('consent-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('recs-item').count()).toBe(4);

    // The list may be replaced by a push while we look at it: take the card's product and decision as clicked.
    const button = page.getByTestId('recs-item').first().getByTestId('recs-like');
    await button.waitFor();
    const before = await feedbackRows();
    const { productId, decisionId: firstDecision } = await clickOnCard(button);
    await expect.poll(async () => (await feedbackFor(firstDecision)).map((r) => r.type)).toEqual(['like']);

    // The feedback brings a fresh list (over the socket or HTTP): new decision ids, the same product.
    const again = page.locator(`[data-testid="recs-item"][data-product-id="${productId}"]`);
    await expect.poll(async () => ((await again.count()) === 1 ? again.getAttribute('data-decision-id') : firstDecision), { timeout: 10_000 }).not.toBe(firstDecision);
    const like = again.getByTestId('recs-like');
    expect(await like.getAttribute('aria-pressed')).toBe('true');
    expect(await like.isDisabled()).toBe(true);
    expect(await again.getByTestId('recs-dislike').isDisabled()).toBe(true);

    // Counted once: one more feedback row for this product, across every decision the viewer was shown.
    expect((await productFeedback(productId)).length - before.filter((r) => r.productId === productId).length).toBe(1);
    await page.close();
  }, 30_000);

  it('a 👍 that does not go through is undone and said so; the retry is recorded once, under the same key', async () => {
    const page = await newViewer();
    await page.getByTestId('consent-decline-all').click();
    await page.getByTestId('consent-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('recs-item').count()).toBe(4);

    // The first POST fails on the way (the network, a node going down); later ones go through.
    const keys: string[] = [];
    await page.route('**/recommendations/feedback', async (route) => {
      keys.push((route.request().postDataJSON() as { idempotencyKey: string }).idempotencyKey);
      if (keys.length === 1) await route.abort('failed');
      else await route.continue();
    });
    const productId = (await page.getByTestId('recs-item').first().getAttribute('data-product-id'))!;
    const card = page.locator(`[data-testid="recs-item"][data-product-id="${productId}"]`);
    const before = (await productFeedback(productId)).length;
    await card.getByTestId('recs-like').click();

    // Nothing recorded: the 👍 is not left pressed and disabled, and the viewer is told.
    await card.getByTestId('recs-feedback-failed').waitFor();
    expect(await card.getByTestId('recs-feedback-failed').textContent()).toBe('反馈没有发送成功，请再试一次。');
    const like = card.getByTestId('recs-like');
    expect(await like.getAttribute('aria-pressed')).toBe('false');
    expect(await like.isDisabled()).toBe(false);
    expect(await page.getByTestId('recs-panel').locator('[aria-live]').textContent()).toContain('没有发送成功');
    expect((await productFeedback(productId)).length).toBe(before);

    await like.click();
    await expect.poll(async () => (await productFeedback(productId)).length).toBe(before + 1);
    await expect.poll(() => card.getByTestId('recs-like').getAttribute('aria-pressed')).toBe('true');
    expect(await card.getByTestId('recs-feedback-failed').count()).toBe(0);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    await page.close();
  }, 30_000);

  it('a viewer who accepts all gets personalised cards; 👍 teaches the model and the host health panel shows it', async () => {
    const page = await newViewer();
    await page.locator('[data-testid="age-band"][data-band="adult"]').check();
    await page.getByTestId('consent-accept-all').click();
    await page.getByTestId('consent-dialog').waitFor({ state: 'detached' });

    await expect.poll(() => page.getByTestId('recs-panel').getAttribute('data-personalised')).toBe('true');
    await expect.poll(() => page.getByTestId('recs-badge').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('recs-badge').first().textContent()).toBe('个性化推荐');
    // The list may be replaced by a push while we look at it: take the card's decision id as clicked.
    const card = page.locator('[data-testid="recs-item"][data-personalised="true"]').first();
    const button = card.getByTestId('recs-like');
    await button.waitFor();
    const { decisionId } = await clickOnCard(button);
    await expect.poll(async () => (await feedbackFor(decisionId)).map((r) => [r.type, r.learned])).toEqual([['like', 1]]);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const [name, ...value] = admin.cookie.split('=');
    await context.addCookies([{ name: name!, value: value.join('='), url: base }]);
    const host = await context.newPage();
    await host.goto(`${base}/host/demo`);
    const health = host.getByTestId('host-recs-health');
    await expect.poll(async () => Number(await health.getAttribute('data-updates')), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    // The model by name, in the page's language, with the version the server sent beneath it.
    expect(await host.getByTestId('host-recs-model-name').textContent()).toBe('线性 Bandit（第 3 版设计）');
    expect(await host.getByTestId('host-recs-model-technical').textContent()).toBe(t.app.services.recommender.modelVersion);
    await expect.poll(() => host.getByTestId('host-recs-row').count()).toBeGreaterThan(0);
    await context.close();
    await page.close();
  }, 30_000);

  it('/recommendations renders the features, grouped, in the chosen language', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const answer = await page.goto(`${base}/recommendations?brand=demo-brand&from=demo`);
    expect(answer?.status()).toBe(200);
    const root = page.getByTestId('how-recs-page');
    await root.waitFor();
    await expect.poll(() => page.getByTestId('how-recs-feature').count()).toBeGreaterThan(5);
    expect(await page.locator('[data-testid="how-recs-group"][data-group="behaviour"]').count()).toBe(1);
    expect(await page.getByTestId('how-recs-never').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('how-recs-weight').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('how-recs-privacy-link').getAttribute('href')).toBe('/privacy?brand=demo-brand&from=demo');
    expect(await root.getAttribute('data-version')).toBeTruthy();
    expect(await page.locator('h1').textContent()).toBe('推荐是如何工作的');
    await page.getByTestId('locale-switch').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('How recommendations work');
    await expect.poll(() => root.textContent()).toContain('Never used');
    await page.close();
  }, 20_000);
});
