/**
 * The privacy centre, the processing rules and the guardian page in a real browser (Debian's
 * Chromium through playwright-core) against a real server: a viewer sees what is held, deletes a
 * tag, switches personalisation off, declares and clears a city tier, downloads the CSV, files a
 * request and erases everything; what is held reads in words (named fields, nothing shown for an
 * empty record, the assistant's memory where the chat records hold it, a completion's note); a
 * guardian consents from their own phone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';


const BRAND = 'demo-brand';

describe.runIf(chromiumAvailable)('privacy centre in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let eventNo = 0;

  beforeAll(async () => {
    t = await testApp('sqlite');
    base = await listenLocally(t.app);
    const admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const h = (deviceId: string) => ({ 'x-qingliu-device': deviceId });
  const decide = async (deviceId: string, method: string, granted: string[]) => {
    const n = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId, brandId: BRAND, noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method, granted },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const send = (deviceId: string, type: string, productId: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId, type, productId, clientEventId: `evt-browser-${++eventNo}` } });
  /** A phone-sized page whose localStorage already holds this device id (as ui/device.ts stores it). */
  const pageWithDevice = async (deviceId: string | null, locale = 'zh-CN'): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale, acceptDownloads: true });
    if (deviceId) await context.addInitScript((id) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('qingliu.device', id), deviceId);
    return context.newPage();
  };

  it('shows a viewer what is held, and lets them delete a tag, switch personalisation off, download, file a request and erase', async () => {
    const viewer = 'browser-viewer-00000000001';
    await decide(viewer, 'accept_all', [...PURPOSES]);
    const room = (await t.app.inject('/api/v1/sessions/demo')).json() as { products: { id: string; category: string }[] };
    const first = room.products[0]!;
    const other = room.products.find((p) => p.category !== first.category)!;
    for (const [type, id] of [['view', first.id], ['add_to_cart', first.id], ['click', other.id]] as const) {
      expect((await send(viewer, type, id)).json()).toMatchObject({ stored: true });
    }

    const page = await pageWithDevice(viewer);
    await page.goto(`${base}/privacy?brand=${BRAND}&from=demo`);
    await page.getByTestId('privacy-page').waitFor();
    expect(await page.getByTestId('privacy-back').getAttribute('href')).toBe('/live/demo');
    await expect.poll(() => page.getByTestId('privacy-events').getAttribute('data-count')).toBe('3');
    await page.locator(`[data-testid="privacy-tag"][data-tag="category:${other.category}"]`).waitFor();
    expect(await page.getByTestId('privacy-tag').count()).toBe(2);
    // The other modules' sections are headed by their names, never by the export's keys.
    const crossBorder = page.locator('[data-testid="privacy-other"][data-category="cross_border"]');
    await crossBorder.waitFor();
    const headings = await page.locator('h3').allInnerTexts();
    expect(headings.some((h3) => h3.startsWith('个人信息出境'))).toBe(true);
    expect(headings.some((h3) => h3.startsWith('聊天与购物助手'))).toBe(true);
    expect(headings.some((h3) => /^(chat|experiment_units|cross_border|rights_tickets)\b/.test(h3))).toBe(false);

    // A3: delete one tag, after a confirmation.
    const tag = page.locator(`[data-testid="privacy-tag"][data-tag="category:${first.category}"]`);
    await tag.getByTestId('privacy-tag-delete').click();
    await tag.getByTestId('privacy-tag-delete-confirm').click();
    await expect.poll(() => page.getByTestId('privacy-tag').count()).toBe(1);
    const tags = (await t.app.inject({ method: 'GET', url: '/api/v1/privacy/tags', headers: h(viewer) })).json().items as { tag: string }[];
    expect(tags.map((x) => x.tag)).toEqual([`category:${other.category}`]);

    // A1: the switch, as the server sees it.
    const toggle = page.getByTestId('personalisation-switch');
    expect(await toggle.isChecked()).toBe(true);
    await toggle.click();
    await expect
      .poll(async () => (await t.app.inject({ method: 'GET', url: `/api/v1/privacy/profile?brandId=${BRAND}`, headers: h(viewer) })).json().personalisation)
      .toBe(false);
    await expect.poll(() => toggle.isChecked()).toBe(false);

    // The city tier: declared and cleared with its select, which says what it is for.
    const profile = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/privacy/profile?brandId=${BRAND}`, headers: h(viewer) })).json();
    const tier = page.getByTestId('city-tier');
    expect(await tier.inputValue()).toBe('');
    expect(await page.locator('#city-tier-explain').textContent()).toContain('公平');
    await tier.selectOption('tier2');
    await expect.poll(async () => (await profile()).cityTier).toBe('tier2');
    await tier.selectOption('');
    await expect.poll(async () => (await profile()).cityTier).toBeNull();

    // R1: the CSV download carries the device header, so it is this viewer's data.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('privacy-download-csv').click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const csv = Buffer.concat(chunks).toString('utf8');
    expect(csv.startsWith('category,record,field,value')).toBe(true);
    expect(csv).toContain('events,');
    expect(download.suggestedFilename()).toMatch(/^qingliu-my-data-.*\.csv$/);

    // R3: a correction request, listed as open.
    await page.getByTestId('ticket-kind').selectOption('correction');
    await page.getByTestId('ticket-details').fill('我的年龄段填错了，请更正。');
    await page.getByTestId('ticket-submit').click();
    const item = page.locator('[data-testid="ticket-item"][data-kind="correction"]');
    await item.waitFor();
    expect(await item.getAttribute('data-status')).toBe('open');

    // Erasure: an explicit second step, then the report.
    await page.getByTestId('erase-button').click();
    await page.getByTestId('erase-confirm').click();
    await page.getByTestId('erase-report').waitFor();
    expect(Number(await page.getByTestId('erase-report-events').getAttribute('data-count'))).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('erase-report-key').getAttribute('data-destroyed')).toBe('true');
    // Each source is named as the data it held was, never by the export's key; what is kept, by its name and reason.
    const erasedLines = await page.getByTestId('erase-report').locator('li').allTextContents();
    expect(erasedLines.filter((line) => /\b(chat|experiment_units|rights_tickets|cross_border|consent_records|orders)\b/.test(line))).toEqual([]);
    expect(await page.locator('[data-testid="erase-report-source"][data-category="chat"]').textContent()).toMatch(/^聊天与购物助手：\d+ 条$/);
    expect(await page.locator('[data-testid="erase-report-retained"][data-category="chat"]').textContent()).toMatch(/^聊天与购物助手：直播间的管理记录/);
    expect(await page.locator('[data-testid="erase-report-retained"][data-category="consent_records"]').textContent()).toMatch(/^同意与撤回记录/);
    const subject = t.app.services.protection.subjectFor(viewer, t.config.dataRegion);
    expect(await t.app.services.storage.db.selectFrom('viewer_events').selectAll().where('subject', '=', subject).execute()).toEqual([]);
    // The browser forgets the erased id: the next visit starts afresh.
    expect(await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('qingliu.device'))).toBeNull();
    await page.context().close();
  }, 60_000);

  /** A viewer who consented to everything, viewed a product and asked the assistant about it (memory for the show, and kept under consent). */
  const viewerWithData = async (viewer: string): Promise<void> => {
    await decide(viewer, 'accept_all', [...PURPOSES]);
    const room = (await t.app.inject('/api/v1/sessions/demo')).json() as { products: { id: string; name: { zh: string } }[] };
    const product = room.products[1]!;
    expect((await send(viewer, 'view', product.id)).json()).toMatchObject({ stored: true });
    const asked = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/assistant', headers: h(viewer), payload: { question: `${product.name.zh}多少钱`, locale: 'zh-CN' } });
    expect(asked.json().productIds, asked.body).toEqual([product.id]);
  };
  const openCentre = async (viewer: string, locale = 'zh-CN'): Promise<Page> => {
    const page = await pageWithDevice(viewer, locale);
    await page.goto(`${base}/privacy?brand=${BRAND}&from=demo`);
    await page.getByTestId('privacy-events').waitFor();
    return page;
  };

  it('names every field of the records it lists in the viewer’s language, never by the export’s keys', async () => {
    const viewer = 'browser-viewer-fields-0001';
    await viewerWithData(viewer);
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: h(viewer), payload: { brandId: BRAND, ageBand: 'adult' } })).statusCode).toBe(200);
    const page = await openCentre(viewer);
    // The consent receipt: purposes as the notice titles them, the method as the banner's button, the region and age band in words.
    const consent = page.getByTestId('privacy-consents').locator('li').first();
    const receipt = await consent.locator('dd').allTextContents();
    expect(receipt).toContain('个性化推荐、购物助手记忆、用反馈改进模型、营销信息、与商家共享');
    expect(receipt).toContain('全部接受');
    const held = page.getByTestId('privacy-data');
    expect(await held.textContent()).toContain('（地区 中国大陆）');
    expect(await page.getByTestId('privacy-profile').textContent()).toContain('18 周岁及以上');
    expect(await held.textContent()).not.toMatch(/personalised_recommendations|assistant_memory|accept_all|cn-mainland|\badult\b/);
    const events = page.getByTestId('privacy-events');
    expect(await events.getAttribute('data-count')).toBe('1');
    const names = await events.locator('dt').allTextContents();
    expect(names).toEqual(expect.arrayContaining(['用途', '行为', '直播间', '时间']));
    expect(names).not.toContain('sessionId');
    expect(await events.locator('dt[data-field="type"] + dd').first().textContent()).toBe('浏览');
    // No field anywhere in what is held is headed by its key.
    const unnamed = await page
      .getByTestId('privacy-data')
      .locator('dt[data-field]')
      .evaluateAll((dts) => dts.filter((dt) => dt.textContent === dt.getAttribute('data-field')).map((dt) => dt.getAttribute('data-field')));
    expect(unnamed).toEqual([]);
    await page.getByTestId('locale-switch').click();
    await expect.poll(() => events.locator('dt[data-field="sessionId"]').first().textContent()).toBe('Live room');
    expect(await consent.locator('dd').allTextContents()).toEqual(
      expect.arrayContaining(['Personalised recommendations, Shopping assistant memory, Use my feedback to improve models, Marketing, Sharing with the merchant', 'Accept all']),
    );
    expect(await held.textContent()).toContain('(region Mainland China)');
    await page.context().close();
  }, 30_000);

  it('shows the words of the notice each consent was given on, and says so when a record predates the archive', async () => {
    const viewer = 'browser-viewer-notice-0001';
    await decide(viewer, 'decline_all', []);
    // A record made before texts were archived: its hash has no words on file.
    const subject = t.app.services.protection.subjectFor(viewer, t.app.services.region);
    await t.app.services.storage.db
      .insertInto('consent_records')
      .values({ id: 'pre-archive-record-0001', subject, brand_id: BRAND, granted: '[]', refused: JSON.stringify(PURPOSES), notice_version: '2026-11-01.1', notice_hash: 'ab'.repeat(32), locale: 'zh-CN', method: 'decline_all', region: t.app.services.region, created_at: Date.now() - 86_400_000 })
      .execute();
    const n = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    const page = await pageWithDevice(viewer);
    await page.goto(`${base}/privacy?brand=${BRAND}&from=demo`);
    const consents = page.getByTestId('privacy-consents').locator('li');
    await consents.first().waitFor();
    const current = page.locator('[data-testid="privacy-consents"] li', { has: page.locator(`code[title="${n.hash}"]`) });
    await current.getByTestId('notice-words').locator('summary').click();
    await current.getByTestId('notice-text').waitFor();
    expect(await current.getByTestId('notice-text').locator('p').allTextContents()).toEqual(n.text.split('\n\n'));
    expect(await current.getByTestId('notice-text').getAttribute('lang')).toBe('zh-CN');
    expect(await current.getByTestId('notice-hash-check').textContent()).toBe('本页已核对：原文的 SHA-256 与记录中的告知摘要一致。');
    const older = page.locator('[data-testid="privacy-consents"] li', { has: page.locator(`code[title="${'ab'.repeat(32)}"]`) });
    await older.getByTestId('notice-words').locator('summary').click();
    await expect.poll(() => older.getByTestId('notice-words').textContent()).toContain('这条记录早于告知原文存档功能');
    await page.context().close();
  }, 30_000);

  it('says plainly when nothing was transferred out of the region', async () => {
    const viewer = 'browser-viewer-border-0001';
    await viewerWithData(viewer);
    const page = await openCentre(viewer);
    const crossBorder = page.locator('[data-testid="privacy-other"][data-category="cross_border"]');
    await crossBorder.waitFor();
    expect(await crossBorder.getAttribute('data-count')).toBe('0');
    expect(await crossBorder.textContent()).toBe('无');
    expect(await page.getByTestId('privacy-data').textContent()).not.toMatch(/consents|counted|\[\]/);
    await page.context().close();
  }, 30_000);

  it('shows what the assistant remembers under its memory heading, as the chat records hold it', async () => {
    const viewer = 'browser-viewer-memory-0001';
    await viewerWithData(viewer);
    const exported = (await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: h(viewer) })).json() as { chat: { kind: string }[] };
    expect(exported.chat.map((r) => r.kind).sort()).toEqual(['kept_memory', 'session_memory']);
    const page = await openCentre(viewer);
    const memory = page.getByTestId('privacy-assistant-memory');
    expect(await memory.getAttribute('data-count')).toBe('2');
    expect(await memory.textContent()).toContain('经您同意保存的记忆');
    expect(await memory.textContent()).toContain('本场直播中的记忆');
    expect(await memory.locator('dt[data-field="intents"] + dd').first().textContent()).toBe('价格');
    // The chat section holds the rest of the chat records (none here), not the memory a second time.
    const chat = page.locator('[data-testid="privacy-other"][data-category="chat"]');
    expect(await chat.getAttribute('data-count')).toBe('0');
    await page.context().close();
  }, 30_000);

  it('shows the note a request was completed with, as it shows a rejection’s reason', async () => {
    const viewer = 'browser-viewer-ticket-0001';
    await decide(viewer, 'decline_all', []);
    const filed = async (kind: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/privacy/tickets', headers: h(viewer), payload: { kind, details: '请说明', locale: 'zh-CN' } });
      expect(res.statusCode, res.body).toBe(201);
      return (res.json() as { id: string }).id;
    };
    const officer = await signIn(t.app, 'compliance');
    const resolve = async (id: string, outcome: string, reason: string) => {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/compliance/tickets/${id}/resolve`, headers: { cookie: officer.cookie }, payload: { outcome, reason } });
      expect(res.statusCode, res.body).toBe(200);
    };
    await resolve(await filed('access'), 'completed', '副本已发至您的下载区');
    await resolve(await filed('correction'), 'rejected', '记录无误');
    const page = await pageWithDevice(viewer);
    await page.goto(`${base}/privacy?brand=${BRAND}`);
    const completed = page.locator('[data-testid="ticket-item"][data-status="completed"]');
    await completed.waitFor();
    expect(await completed.getByTestId('ticket-reason').allTextContents()).toEqual(['办结说明：副本已发至您的下载区']);
    expect(await page.locator('[data-testid="ticket-item"][data-status="rejected"]').getByTestId('ticket-reason').textContent()).toBe('理由：记录无误');
    await page.context().close();
  }, 30_000);

  it('says nothing is held, and calls nothing personal, when the device never decided', async () => {
    const page = await pageWithDevice(null);
    const personal: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/privacy/')) personal.push(r.url());
    });
    await page.goto(`${base}/privacy`);
    await page.getByTestId('privacy-nothing-held').waitFor();
    expect(personal).toEqual([]);
    await page.context().close();
  }, 30_000);

  it('lets a guardian consent for a child under 14 from their own phone', async () => {
    const child = 'browser-child-000000000001';
    await decide(child, 'decline_all', []);
    const age = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: h(child), payload: { brandId: BRAND, ageBand: 'under_14' } });
    expect(age.statusCode, age.body).toBe(200);
    const issued = await t.app.inject({ method: 'POST', url: '/api/v1/privacy/guardian-requests', headers: h(child), payload: { brandId: BRAND } });
    expect(issued.statusCode, issued.body).toBe(201);
    const { path } = issued.json() as { path: string };

    const page = await pageWithDevice('browser-guardian-00000001');
    await page.goto(`${base}${path}`);
    const notice = page.getByTestId('guardian-notice');
    await notice.waitFor();
    expect(await notice.getAttribute('data-hash')).toMatch(/^[0-9a-f]{64}$/);
    expect(await notice.textContent()).toContain('第三十一条');
    const boxes = page.getByTestId('guardian-purpose');
    expect(await boxes.count()).toBeGreaterThan(0);
    for (const box of await boxes.all()) expect(await box.isChecked()).toBe(false);
    await page.locator('[data-testid="guardian-purpose"][data-purpose="model_improvement"]').check();
    await page.getByTestId('guardian-consent').click();
    const result = page.getByTestId('guardian-result');
    await result.waitFor();
    expect(await result.getAttribute('data-granted')).toBe('model_improvement');

    const status = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/status?brandId=${BRAND}`, headers: h(child) })).json();
    expect(status.effective).toEqual(['model_improvement']);
    await page.context().close();

    // The child's privacy centre names the guardian's decision and the child's own, never by their keys.
    const centre = await openCentre(child);
    expect(await centre.getByTestId('privacy-data').textContent()).not.toMatch(/guardian_grant|model_improvement|decline_all|under_14/);
    expect(await centre.getByTestId('privacy-guardian-consents').locator('li').first().textContent()).toMatch(/ · 监护人在自己的设备上同意 · 同意的用途：用反馈改进模型 · /);
    expect(await centre.getByTestId('privacy-consents').locator('dd').allTextContents()).toEqual(expect.arrayContaining(['全部拒绝', '—']));
    // The guardian's notice, word for word, under the guardian's decision.
    const guardianRecord = centre.getByTestId('privacy-guardian-consents').locator('li').first();
    await guardianRecord.getByTestId('notice-words').locator('summary').click();
    await guardianRecord.getByTestId('notice-text').waitFor();
    expect(await guardianRecord.getByTestId('notice-words').textContent()).toContain('监护人告知');
    expect(await guardianRecord.getByTestId('notice-text').textContent()).toContain('第三十一条');
    expect(await guardianRecord.getByTestId('notice-hash-check').textContent()).toBe('本页已核对：原文的 SHA-256 与记录中的告知摘要一致。');
    await centre.context().close();
  }, 30_000);

  it('renders the processing rules with every purpose', async () => {
    const page = await pageWithDevice(null, 'en');
    await page.goto(`${base}/privacy/rules?brand=${BRAND}`);
    await page.getByTestId('rules-page').waitFor();
    await page.getByTestId('rules-purpose').first().waitFor();
    const shown = await page.getByTestId('rules-purpose').evaluateAll((els) => els.map((e) => e.getAttribute('data-purpose')));
    expect(shown).toEqual([...PURPOSES]);
    expect(await page.getByTestId('rules-data-row').count()).toBeGreaterThan(3);
    await page.context().close();
  }, 30_000);

  it('names each kind of data in Chinese on the Chinese rules page, the staff accounts with their own periods', async () => {
    const page = await pageWithDevice(null, 'zh-CN');
    await page.goto(`${base}/privacy/rules?brand=${BRAND}`);
    const rows = page.getByTestId('rules-data-row');
    await rows.first().waitFor();
    const names = await rows.locator('th').allTextContents();
    expect(names[0]).toBe('个性化行为事件');
    for (const name of names) expect(name).not.toMatch(/[A-Za-z]/);
    const staff = rows.filter({ has: page.locator('th', { hasText: '员工账号与登录会话' }) });
    expect(await staff.locator('td').last().textContent()).toMatch(/^账号：业务需要期间（不会自动删除）；登录会话：退出登录时删除，否则 \d+ 小时后失效，失效 1 天后删除$/);
    await page.context().close();
  }, 30_000);
});
