/**
 * The live chat and the shopping assistant in a real browser against a real server (AI1, LC6, LC3):
 * a viewer who declined consent asks the assistant privately about the pinned product and gets a
 * labelled answer with its real price, copying it keeps the label, and it can be reported (AI6); chat messages reach another
 * viewer as text (markup shows literally); a viewer's link is refused with the reason shown; "@助手"
 * in the chat gets a public, labelled answer on every viewer's page; and a message the host console
 * deletes leaves the viewers' pages. Debian's Chromium through playwright-core, like the other
 * browser suites.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AI_LABEL, AI_LABEL_PREFIX } from '../../src/modules/chat/contract.js';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { demoProductIds, signIn, testApp, type TestApp } from '../support/app.js';

describe.runIf(chromiumAvailable)('live chat and the assistant in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let admin: { cookie: string };
  let pinned: { id: string; priceFen: number; name: string };
  let alice: Page;
  let bob: Page;
  const dialogs: string[] = [];

  /** The ways an answer may write the price in yuan: 129, 129.00, 129.5, 129.50. */
  const yuanForms = (fen: number): string[] => [...new Set([(fen / 100).toFixed(2), String(fen / 100)])];

  beforeAll(async () => {
    t = await testApp('sqlite');
    base = await listenLocally(t.app);
    admin = await signIn(t.app, 'admin', 'chatadmin');
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    expect(started.statusCode, started.body).toBe(200);
    const productId = (await demoProductIds(t.app))[0]!;
    const pin = await t.app.inject({ method: 'PUT', url: `/api/v1/sessions/demo/pins/${productId}`, headers: { cookie: admin.cookie }, payload: {} });
    expect(pin.statusCode, pin.body).toBe(200);
    const room = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json() as { products: { id: string; priceFen: number; name: { zh: string } }[] };
    const product = room.products.find((p) => p.id === productId)!;
    pinned = { id: product.id, priceFen: product.priceFen, name: product.name.zh };
    browser = await launchChromium();
    alice = await newViewer();
    bob = await newViewer();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A phone-sized viewer who declines consent, with the chat loaded. */
  const newViewer = async (): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${base}/live/demo`);
    await page.getByTestId('consent-dialog').waitFor();
    await page.getByTestId('consent-decline-all').click();
    await page.getByTestId('consent-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('chat-panel').waitFor();
    await page.locator('[data-testid="connection-status"][data-state="open"]').waitFor({ timeout: 10_000 });
    return page;
  };

  const post = async (page: Page, text: string): Promise<void> => {
    await page.getByTestId('chat-input').fill(text);
    await page.getByTestId('chat-send').click();
  };

  const messageWithText = (page: Page, text: string) => page.locator('[data-testid="chat-message"]').filter({ has: page.getByTestId('chat-text').getByText(text, { exact: true }) });

  /** The host console of the demo room, signed in as the suite's admin, in its own browser context. */
  const hostConsole = async (context: BrowserContext): Promise<Page> => {
    const [name, ...value] = admin.cookie.split('=');
    await context.addCookies([{ name: name!, value: value.join('='), url: base }]);
    const page = await context.newPage();
    await page.goto(`${base}/host/demo`);
    return page;
  };

  it('a viewer asks the assistant about the pinned product and gets a labelled answer with its price; copying keeps the label', async () => {
    await alice.getByTestId('assistant-open').click();
    await alice.getByTestId('assistant-input').fill('这个多少钱？');
    await alice.getByTestId('assistant-ask').click();

    const reply = alice.getByTestId('assistant-reply');
    await reply.waitFor({ timeout: 15_000 });
    const label = reply.getByTestId('ai-label');
    expect(await label.isVisible()).toBe(true);
    expect(await label.textContent()).toBe(AI_LABEL);
    // The label is inside the answer's own text container.
    expect(await reply.getByTestId('assistant-answer-text').textContent()).toContain(AI_LABEL);
    const words = (await reply.getByTestId('ai-words').textContent()) ?? '';
    expect(yuanForms(pinned.priceFen).some((form) => words.includes(form)), `${words} names ${pinned.priceFen} fen`).toBe(true);
    // The sources name the pinned product.
    expect(await reply.locator(`[data-testid="answer-source"][data-product-id="${pinned.id}"]`).textContent()).toContain(pinned.name);

    // Selecting only the words (not the badge) and copying: the clipboard still starts with the label.
    const copied = await alice.evaluate(`(() => {
      const words = document.querySelector('[data-testid="assistant-reply"] [data-testid="ai-words"]');
      const range = document.createRange();
      range.selectNodeContents(words);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      const event = new ClipboardEvent('copy', { clipboardData: new DataTransfer(), bubbles: true, cancelable: true });
      words.dispatchEvent(event);
      return { text: event.clipboardData.getData('text/plain'), html: event.clipboardData.getData('text/html'), prevented: event.defaultPrevented };
    })()`);
    expect(copied).toEqual({ text: AI_LABEL_PREFIX + words.trim(), html: expect.stringContaining('AI生成'), prevented: true });

    // The answer can be reported (AI6): a reason, a note, and a ticket number back.
    await reply.getByTestId('report-answer').click();
    const dialog = alice.getByTestId('report-dialog');
    await dialog.getByTestId('report-reason-wrong').check();
    await dialog.getByTestId('report-details').fill('价格好像不对');
    await dialog.getByTestId('report-submit').click();
    await dialog.getByTestId('report-done').waitFor({ timeout: 10_000 });
    expect(await dialog.getByTestId('report-done').textContent()).toMatch(/编号 \S+/);
    await alice.keyboard.press('Escape');
    await dialog.getByTestId('report-done').waitFor({ state: 'detached' });
  }, 40_000);

  it('a viewer’s message reaches another viewer as text, markup and all', async () => {
    const markup = '<img src=x onerror=alert(1)>';
    await post(alice, markup);
    await expect.poll(() => alice.getByTestId('chat-input').inputValue()).toBe(''); // acknowledged
    const seen = messageWithText(bob, markup);
    await seen.waitFor({ timeout: 10_000 });
    expect(await seen.getByTestId('chat-text').textContent()).toBe(markup);
    expect(await bob.locator('[data-testid="chat-panel"] img').count()).toBe(0);
    expect(await seen.getAttribute('data-author-kind')).toBe('viewer');
    expect(dialogs).toEqual([]);
  }, 20_000);

  it('a viewer’s link is refused, with the reason shown beside the box', async () => {
    await post(bob, '快看 https://example.com/deal 便宜');
    const error = bob.getByTestId('chat-error');
    await expect.poll(() => error.getAttribute('data-code')).toBe('CHAT_LINK_NOT_ALLOWED');
    expect(await error.textContent()).toBe('观众不能发送链接或二维码');
    expect(await bob.getByTestId('chat-input').inputValue()).toContain('https://example.com/deal'); // kept to edit
    expect(await alice.getByText('https://example.com/deal').count()).toBe(0);
    // Editing clears the refusal.
    await bob.getByTestId('chat-input').fill('好的');
    expect(await error.textContent()).toBe('');
  }, 20_000);

  it('"@助手" in the chat gets a public, labelled answer on every viewer’s page', async () => {
    await post(bob, '@助手 这个多少钱');
    for (const page of [alice, bob]) {
      const answer = page.locator('[data-testid="chat-message"][data-author-kind="assistant"]').last();
      await answer.waitFor({ timeout: 15_000 });
      expect(await answer.getAttribute('data-ai-generated')).toBe('true');
      const label = answer.getByTestId('ai-label');
      expect(await label.isVisible()).toBe(true);
      expect(await label.textContent()).toBe(AI_LABEL);
      const words = (await answer.getByTestId('ai-words').textContent()) ?? '';
      expect(yuanForms(pinned.priceFen).some((form) => words.includes(form)), words).toBe(true);
      expect(await answer.getByTestId('report-answer').count()).toBe(1);
    }
  }, 40_000);

  it('a message the host console deletes leaves the viewers’ pages', async () => {
    const text = `要删除的消息 ${Date.now()}`;
    await post(alice, text);
    const onBob = messageWithText(bob, text);
    await onBob.waitFor({ timeout: 10_000 });
    const messageId = (await onBob.getAttribute('data-message-id'))!;

    let host: BrowserContext | undefined;
    try {
      host = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
      const consolePage = await hostConsole(host);
      const row = consolePage.locator(`[data-testid="mod-message"][data-message-id="${messageId}"]`);
      await row.waitFor({ timeout: 20_000 });
      expect(await row.getByTestId('mod-text').textContent()).toBe(text);
      await row.getByTestId('mod-delete').click();
      await consolePage.getByTestId('mod-confirm').getByTestId('mod-reason').fill('测试删除');
      await consolePage.getByTestId('mod-confirm-submit').click();

      await onBob.waitFor({ state: 'detached', timeout: 15_000 });
      await messageWithText(alice, text).waitFor({ state: 'detached', timeout: 15_000 });
      // Staff still see it, marked deleted; the moderation log records it.
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('deleted');
      await consolePage.getByTestId('moderation-log').locator('summary').click();
      await consolePage.locator('[data-testid="moderation-log-entry"][data-action="delete"]').first().waitFor({ timeout: 10_000 });
      expect(await consolePage.getByTestId('moderation-log-verified').getAttribute('data-verified')).toBe('true');
      // The transcript waits for the end of the show.
      expect(await consolePage.getByTestId('transcript-csv').count()).toBe(0);
    } finally {
      await host?.close();
    }
  }, 60_000);

  it('a question handed to the host from the assistant says the answer will be public, and so does the host’s reply box', async () => {
    const question = `转人工 ${Date.now()}`;
    await alice.getByTestId('assistant-input').fill(question);
    await alice.getByTestId('assistant-ask').click();
    const note = alice.locator('[data-testid="assistant-reply"][data-handoff="true"]').last().getByTestId('handoff-note');
    await note.waitFor({ timeout: 15_000 });
    expect(await note.textContent()).toBe('已转给主播。主播会在直播间聊天里公开回答，不显示您的问题和昵称。');

    let host: BrowserContext | undefined;
    try {
      host = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
      const consolePage = await hostConsole(host);
      const item = consolePage.getByTestId('handoff-item').filter({ hasText: question });
      await item.waitFor({ timeout: 20_000 });
      await item.getByTestId('handoff-reply').click();
      expect(await item.getByTestId('handoff-reply-public').textContent()).toBe('回复会公开发在直播间聊天里，不显示提问者和问题。');
      // Staff may write what the server takes from staff: twice a viewer's longest message (200 here), not more.
      const staffMax = String(2 * t.config.chat.maxLength);
      expect(await item.getByTestId('handoff-reply-text').getAttribute('maxlength')).toBe(staffMax);
      expect(await consolePage.getByTestId('staff-text').getAttribute('maxlength')).toBe(staffMax);
      expect(await consolePage.getByTestId('staff-text').locator('xpath=following-sibling::span[1]').textContent()).toMatch(new RegExp(`/${staffMax}$`));
    } finally {
      await host?.close();
    }
  }, 60_000);
});

