/**
 * The compliance console in a real browser names things in the officer's language, never by an
 * internal key: consent purposes and methods, the retention schedule's categories and bases, the
 * energy report's notes and the factor years of the site ranking (as the server ranks them), the
 * data region by name, and staff by sign-in name followed by the account id, shown, where a ticket was
 * closed or the log verified. A report from an older node (no note codes) shows its English notes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { browserSuite, chromiumAvailable } from '../support/browser.js';
import { signIn } from '../support/app.js';
import { crossBorderRecipient } from '../support/fixtures.js';

const CJK = /[\u4e00-\u9fff]/;
const DEVICE = 'labels-device-00000000001';

describe.runIf(chromiumAvailable)('compliance console labels in a real browser', () => {
  const suite = browserSuite();
  let officer: { cookie: string; id: string; name: string };
  let ticketId: string;

  beforeAll(async () => {
    const { app } = suite.t;
    officer = await signIn(app, 'compliance', 'lin.wei');
    const n = (await app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
    const decide = (method: string, granted: string[]) =>
      app.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: DEVICE, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method, granted } });
    expect((await decide('custom', ['marketing'])).statusCode).toBe(201);
    expect((await decide('withdraw', [])).statusCode).toBe(201);
    const filed = await app.inject({ method: 'POST', url: '/api/v1/privacy/tickets', headers: { 'x-qingliu-device': DEVICE }, payload: { kind: 'complaint', details: '推荐太多了', locale: 'zh-CN' } });
    ticketId = filed.json().id;
    const asOfficer = { cookie: officer.cookie };
    expect((await app.inject({ method: 'POST', url: `/api/v1/compliance/tickets/${ticketId}/resolve`, headers: asOfficer, payload: { outcome: 'completed' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/v1/compliance/access-log/verify', headers: asOfficer, payload: {} })).statusCode).toBe(200);
  });

  const open = async (
    route: string,
    locale: 'zh-CN' | 'en' = 'zh-CN',
    prepare?: (context: BrowserContext) => Promise<unknown>,
  ): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> => {
    const context = await suite.browser.newContext({ locale });
    await prepare?.(context);
    const [name, ...value] = officer.cookie.split('=');
    await context.addCookies([{ name: name!, value: value.join('='), url: suite.base }]);
    await context.addInitScript((chosen: string) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('qingliu.locale', chosen), locale);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${suite.base}/compliance#/${route}`);
    return { page, errors, close: () => context.close() };
  };

  it('consent ledger: purposes and methods by name, not by key', async () => {
    const { page, errors, close } = await open('consent');
    const row = page.locator('[data-testid="consent-purpose-row"][data-purpose="personalised_recommendations"] th');
    await row.waitFor();
    expect(await row.textContent()).toBe('个性化推荐');
    expect(await page.locator('[data-testid="consent-purpose-row"][data-purpose="merchant_sharing"] th').textContent()).toBe('与商家共享');
    const methods = (await page.getByTestId('consent-by-method').textContent())!;
    expect(methods).toContain('自选：1');
    expect(methods).toContain('撤回全部同意：1');
    expect(methods).not.toMatch(/custom|withdraw/);
    expect(await page.locator('#export-purpose option[value="internal-audit"]').textContent()).toBe('内部审计');
    expect(await page.getByTestId('consent-summary').textContent()).not.toContain('personalised_recommendations');
    // The archived text behind the ledger's hash: its kind and language by name, its words readable and checked in the page.
    const n = (await suite.t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
    const archived = page.locator(`[data-testid="notice-archive-row"][data-hash="${n.hash}"]`);
    await archived.waitFor();
    expect(await archived.locator('th').textContent()).toBe('个人信息处理说明');
    expect(await archived.locator('td').allTextContents()).toEqual(expect.arrayContaining([n.version, '简体中文', 'demo-brand']));
    const words = page.locator(`[data-testid="notice-archive-words-row"][data-hash="${n.hash}"]`);
    await words.locator('summary').click();
    await words.getByTestId('notice-text').waitFor();
    expect(await words.getByTestId('notice-text').locator('p').allTextContents()).toEqual(n.text.split('\n\n'));
    expect(await words.getByTestId('notice-hash-check').textContent()).toBe('本页已核对：原文的 SHA-256 与记录中的告知摘要一致。');
    // Told apart for screen readers: the summary names which notice it opens.
    expect(await words.locator('summary').textContent()).toBe(`查看当时的告知原文（个人信息处理说明 · ${n.version} · 简体中文 · demo-brand）`);
    expect(errors).toEqual([]);
    await close();
  }, 60_000);

  it('cross-border: a recipient’s region by name, its code beside it', async () => {
    const created = await suite.t.app.inject({
      method: 'POST',
      url: '/api/v1/compliance/transfer/destinations',
      headers: { cookie: officer.cookie },
      payload: crossBorderRecipient({ id: 'sg-labels' }),
    });
    expect(created.statusCode, created.body).toBe(201);
    const { page, errors, close } = await open('cross-border');
    const region = page.locator('[data-testid="cross-border-destination"][data-destination-id="sg-labels"] [data-testid="cross-border-region"]');
    await region.waitFor();
    expect(await region.textContent()).toBe('新加坡 (sg)');
    expect(errors).toEqual([]);
    await close();
  }, 60_000);

  it('data map: the region by name, every retention basis in Chinese, each category named', async () => {
    const { page, errors, close } = await open('data-map');
    const rows = page.getByTestId('retention-row');
    await rows.first().waitFor();
    const region = page.getByTestId('data-map-region');
    expect(await region.getAttribute('data-region')).toBe('cn-mainland');
    expect(await region.textContent()).toBe('所有数据存放在部署所在地区：中国大陆。');
    const schedule = (await suite.t.app.inject({ method: 'GET', url: '/api/v1/compliance/data-map', headers: { cookie: officer.cookie } })).json().schedule as { category: string }[];
    expect(await rows.count()).toBe(schedule.length);
    for (const basis of await page.getByTestId('retention-basis').all()) {
      expect(await basis.getAttribute('lang')).toBeNull();
      expect(await basis.textContent()).toMatch(CJK);
    }
    const events = page.locator('[data-testid="retention-row"][data-category="viewer_events"]');
    expect(await events.locator('th').textContent()).toBe('个性化行为事件viewer_events');
    expect(await events.getByTestId('retention-basis').textContent()).toBe('在“个性化推荐”同意下记录的个人行为事件；按告知所述保存 90 天');
    expect(errors).toEqual([]);
    await close();

    const en = await open('data-map', 'en');
    const staff = en.page.locator('[data-testid="retention-row"][data-category="staff_sign_ins"]');
    await staff.waitFor();
    expect(await staff.locator('td').first().textContent()).toBe('1 day');
    expect(await en.page.getByTestId('data-map-region').textContent()).toBe("Everything is stored in the deployment's region: Mainland China.");
    await en.close();
  }, 60_000);

  it('energy: the report’s notes in Chinese, and the factor years the ranking really uses', async () => {
    const { page, errors, close } = await open('energy');
    const notes = page.getByTestId('energy-note');
    await notes.first().waitFor();
    expect(await notes.count()).toBeGreaterThan(1);
    for (const note of await notes.all()) {
      expect(await note.getAttribute('lang')).toBeNull();
      expect(await note.textContent()).toMatch(CJK);
    }
    expect(await page.getByTestId('energy-notes').textContent()).not.toContain('Location-based');

    const since = new Date(Date.now() - 86_400_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    const advice = (
      await suite.t.app.inject({ method: 'GET', url: `/api/v1/energy/regions?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`, headers: { cookie: officer.cookie } })
    ).json() as { ranking: { current: boolean; factorYear: number }[] };
    const own = advice.ranking.find((r) => r.current)!;
    const hubYears = new Set(advice.ranking.filter((r) => !r.current).map((r) => r.factorYear));
    // By default this deployment (cn-national) uses its latest factor while the hubs are pinned to an older year.
    expect(hubYears.size).toBe(1);
    expect(hubYears.has(own.factorYear)).toBe(false);
    const note = page.getByTestId('energy-regions-note');
    await expect.poll(() => note.textContent(), { timeout: 10_000 }).toContain(`${[...hubYears][0]} 年`);
    expect(await note.textContent()).toContain(`（${own.factorYear} 年）`);
    expect(await note.textContent()).not.toContain('同一年份');
    expect(errors).toEqual([]);
    await close();
  }, 60_000);

  it('rights and access log: staff by sign-in name, then the account id shown (not only on hover), the role in words', async () => {
    const { page, errors, close } = await open('rights');
    await page.getByTestId('rights-status-filter').selectOption('all');
    await page.locator(`[data-testid="rights-row"][data-ticket-id="${ticketId}"] [data-testid="rights-open"]`).click();
    const handledBy = page.getByTestId('rights-handled-by');
    await handledBy.waitFor();
    // The name first, then the id as visible text that keyboard, touch and screen-reader users reach too.
    // (A screen reader hears the id announced as such; the words are hidden from sight.)
    expect(await handledBy.textContent()).toBe(`${officer.name} 账号 ID：${officer.id}`);
    expect(await handledBy.locator('.visually-hidden').textContent()).toBe('账号 ID：');
    const id = handledBy.getByTestId('staff-id');
    expect(await id.evaluate((el) => (el as unknown as { tagName: string }).tagName)).toBe('CODE');
    expect(await id.isVisible()).toBe(true);
    expect(await handledBy.getAttribute('data-staff-id')).toBe(officer.id);
    const facts = await page.getByTestId('rights-ticket').locator('dd').allTextContents();
    expect(facts).toContain('中国大陆');
    expect(facts).toContain('简体中文'); // the request's language by name, not zh-CN
    expect(facts).not.toContain('zh-CN');
    await close();

    const log = await open('access-log');
    const by = log.page.getByTestId('access-log-run-by');
    await by.waitFor();
    expect(await by.textContent()).toBe(`${officer.name}（合规专员） 账号 ID：${officer.id}`);
    expect(await by.getByTestId('staff-id').isVisible()).toBe(true);
    expect([...errors, ...log.errors]).toEqual([]);
    await log.close();
  }, 60_000);

  it('energy: a report from an older node (no note codes) shows its notes in English; a system reason inside a Chinese note is marked English', async () => {
    const older = await open('energy', 'zh-CN', (context) =>
      context.route((url) => url.pathname === '/api/v1/energy/report', async (route) => {
        const response = await route.fetch();
        const { noteCodes: _dropped, ...report } = (await response.json()) as { noteCodes?: unknown; notes: string[] };
        await route.fulfill({ response, json: report });
      }),
    );
    const notes = older.page.getByTestId('energy-note');
    await notes.first().waitFor();
    for (const note of await notes.all()) {
      expect(await note.getAttribute('lang')).toBe('en');
      expect(await note.getAttribute('data-code')).toBeNull();
    }
    expect(older.errors).toEqual([]);
    await older.close();

    const reason = 'no powercap tree at /sys/class/powercap';
    const unreadable = await open('energy', 'zh-CN', (context) =>
      context.route((url) => url.pathname === '/api/v1/energy/report', async (route) => {
        const response = await route.fetch();
        const report = (await response.json()) as { notes: string[]; noteCodes: unknown[] };
        report.notes = [`RAPL counters are unreadable here, so the model applies: ${reason}.`];
        report.noteCodes = [{ code: 'rapl-unreadable', values: { reason } }];
        await route.fulfill({ response, json: report });
      }),
    );
    const note = unreadable.page.locator('[data-testid="energy-note"][data-code="rapl-unreadable"]');
    await note.waitFor();
    expect(await note.getAttribute('lang')).toBeNull();
    expect(await note.textContent()).toBe(`此处无法读取 RAPL 计数器，因此采用模型估算。原因：${reason}`);
    const words = note.getByTestId('energy-note-system-words');
    expect(await words.getAttribute('lang')).toBe('en');
    expect(await words.textContent()).toBe(reason);
    expect(unreadable.errors).toEqual([]);
    await unreadable.close();
  }, 60_000);
});
