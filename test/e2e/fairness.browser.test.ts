/**
 * Fairness audits in a real browser against a real server (A8): the demo room goes live and its
 * decision log gets lists in which tier-1 viewers are shown dearer products than the others (written
 * straight into recommendation_decisions, as the recommender writes them: price, list price, category
 * and the coarse segments). A compliance officer then runs an audit now in the compliance console,
 * sees it in the list with its flag count, opens it (flags in the page's language, segment tables with
 * a suppressed small group, exposure), opens the HTML report (SVG charts) and the downloads, runs a
 * second audit over the brand's last 24 hours, sees the trend chart drawn and compares the two. In the
 * host console a live check raises an alert (the fairness tick with the clock moved on), which the
 * host console (an administrator) sees on the next poll and acknowledges, and "Run a check now" shows its flag count and report.
 * Uses Debian's Chromium through playwright-core, like browser.test.ts. Screenshots go to
 * $QINGLIU_SCREENSHOTS (default test-results/).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FairnessAlert, FairnessReport } from '../../src/modules/fairness/index.js';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { seedTierSteeredLog, TIERS } from '../support/decision-log.js';

const BRAND = 'demo-brand';
const SHOTS = process.env.QINGLIU_SCREENSHOTS ?? 'test-results';
/** Lists per tier, and products per list. */
const LISTS = 40;
const PER_LIST = 3;
/** Decisions whose device is "ios": fewer than the minimum group size (30), so that group is suppressed. */
const SMALL_GROUP = 12;

describe.runIf(chromiumAvailable)('fairness audits in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let officer: { cookie: string };
  /** An administrator runs the host console (the demo room has no assigned host). */
  let host: { cookie: string };
  let firstAudit: string;

  const get = (url: string, cookie = officer.cookie) => t.app.inject({ method: 'GET', url, headers: { cookie } });
  const reportOf = async (id: string): Promise<FairnessReport> => {
    const res = await get(`/api/v1/fairness/audits/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as FairnessReport;
  };
  const alertsOf = async (): Promise<FairnessAlert[]> => {
    const res = await get('/api/v1/fairness/alerts?sessionId=demo', host.cookie);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: FairnessAlert[] }).items;
  };

  /** A signed-in staff member's browser; `locale` is also the page language (localStorage). */
  const staffPage = async (who: { cookie: string }, locale: 'zh-CN' | 'en' = 'zh-CN'): Promise<{ context: BrowserContext; page: Page; errors: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale, reducedMotion: 'reduce' });
    const [name, ...value] = who.cookie.split('=');
    await context.addCookies([{ name: name!, value: value.join('='), url: base }]);
    await context.addInitScript(
      (chosen: string) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('qingliu.locale', chosen),
      locale,
    );
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    return { context, page, errors };
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `fairness-${name}.png`), fullPage: true });

  beforeAll(async () => {
    t = await testApp('sqlite');
    base = await listenLocally(t.app);
    officer = await signIn(t.app, 'compliance', 'fairofficer');
    host = await signIn(t.app, 'admin', 'fairadmin');
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: host.cookie }, payload: {} });
    expect(started.statusCode, started.body).toBe(200);
    const startedAt = (started.json() as { session: { startedAt: number } }).session.startedAt;

    // The decision log: tier-1 lists hold the dearest products, the other tiers the cheapest.
    const seeded = await seedTierSteeredLog(t.app.services.storage.db, { brandId: BRAND, sessionId: 'demo', at: startedAt, idPrefix: 'fair-browser', lists: LISTS, perList: PER_LIST, smallGroup: SMALL_GROUP });
    expect(seeded).toBe(TIERS.length * LISTS * PER_LIST);
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('runs an audit now, lists it with its flags, opens it, and links the HTML report and the downloads', async () => {
    const { context, page, errors } = await staffPage(officer);
    await page.goto(`${base}/compliance#/fairness`);
    await page.getByTestId('fairness-section').waitFor();
    expect(await page.locator('.compliance-nav a[aria-current="page"]').textContent()).toBe('公平性审计');
    expect(await page.locator('.compliance-content h1').textContent()).toBe('公平性审计');
    await page.getByTestId('fairness-empty').waitFor();
    expect(await page.getByTestId('fairness-trend-empty').isVisible()).toBe(true);

    // Nothing typed: the form says what is missing and sends nothing.
    await page.getByTestId('fairness-run-submit').click();
    expect(await page.locator('#fairness-session-problem').textContent()).toBe('请填写场次编号');
    expect(await page.getByTestId('fairness-session-id').getAttribute('aria-invalid')).toBe('true');

    // A brand without decisions: the server's AUDIT_EMPTY, in our words.
    await page.getByTestId('fairness-scope-brand').check();
    await page.getByTestId('fairness-brand-id').fill('no-such-brand');
    await page.getByTestId('fairness-run-submit').click();
    await expect.poll(() => page.getByTestId('fairness-run-problem').textContent()).toContain('该范围内没有可审计的推荐决策');
    expect(await page.getByTestId('fairness-run-problem').textContent()).toContain('AUDIT_EMPTY');

    // The demo session: flagged gaps.
    await page.getByTestId('fairness-scope-session').check();
    await page.getByTestId('fairness-session-id').fill('demo');
    await page.getByTestId('fairness-run-submit').click();
    const done = page.getByTestId('fairness-run-done');
    await done.waitFor();
    firstAudit = (await done.getAttribute('data-audit-id'))!;
    expect(firstAudit).toMatch(/^audit-[0-9a-f]{12}$/);
    expect(await page.getByTestId('fairness-run-problem').count()).toBe(0);
    const report = await reportOf(firstAudit);
    expect(report.trigger).toBe('on_demand');
    expect(report.decisions).toBe(TIERS.length * LISTS * PER_LIST);
    expect(report.flags.length).toBeGreaterThan(0);
    expect(report.flags.some((f) => f.dimension === 'cityTier')).toBe(true);
    expect(Number(await done.getAttribute('data-flags'))).toBe(report.flags.length);

    // In the list, with its trigger, scope, decisions and flag count (highlighted).
    const row = page.locator(`[data-testid="fairness-row"][data-audit-id="${firstAudit}"]`);
    await row.waitFor();
    expect(await page.getByTestId('fairness-count').getAttribute('data-count')).toBe('1');
    expect(await page.getByTestId('fairness-count').getAttribute('aria-live')).toBe('polite');
    expect(await row.getAttribute('data-trigger')).toBe('on_demand');
    expect(await row.getByTestId('fairness-trigger').textContent()).toBe('按需');
    expect(await row.getAttribute('data-flags')).toBe(String(report.flags.length));
    const badge = row.getByTestId('fairness-flags-count');
    expect(await badge.getAttribute('class')).toContain('badge-live');
    expect(await badge.textContent()).toBe(`${report.flags.length} 项`);
    expect(await row.textContent()).toContain('demo');
    expect(await row.textContent()).toContain('360');
    expect(await row.getByTestId('fairness-simulated').count()).toBe(0);

    // Opened (the new report opens by itself): its flags in Chinese, the segments, exposure.
    const opened = page.getByTestId('fairness-report');
    await expect.poll(() => opened.getAttribute('data-flags')).toBe(String(report.flags.length));
    expect(await opened.getAttribute('data-audit-id')).toBe(firstAudit);
    const flags = opened.getByTestId('fairness-flag');
    expect(await flags.count()).toBe(report.flags.length);
    expect(await flags.first().textContent()).toBe(report.flags[0]!.text.zh);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe('fairness-report-heading');
    const city = opened.locator('[data-testid="fairness-segment"][data-attribute="cityTier"]');
    expect(await city.getAttribute('data-status')).toBe('ok');
    expect(await city.getByTestId('fairness-group-row').count()).toBe(3);
    const tier1 = city.locator('[data-testid="fairness-group-row"][data-group="tier1"]');
    expect(await tier1.getAttribute('data-suppressed')).toBe('false');
    expect(await tier1.textContent()).toContain('¥');
    // Groups by name (the stored value beside it), and each group's size in viewers.
    expect(await tier1.locator('th').textContent()).toMatch(/^一线城市 tier1/);
    const sizes = (attribute: string, group: string) => report.segments.find((s) => s.attribute === attribute)!.groups.find((g) => g.group === group)!;
    expect(await tier1.getByTestId('fairness-group-viewers').textContent()).toBe(String(sizes('cityTier', 'tier1').viewers));
    expect(await city.textContent()).toContain('参照组：');
    // The small "ios" group is shown with its size only.
    const ios = opened.locator('[data-testid="fairness-segment"][data-attribute="device"] [data-testid="fairness-group-row"][data-group="ios"]');
    expect(await ios.getAttribute('data-suppressed')).toBe('true');
    expect(await ios.getByTestId('fairness-suppressed').textContent()).toBe('已隐藏（少于 30 人次）');
    expect(sizes('device', 'ios').viewers).toBeLessThan(30);
    expect(await ios.getByTestId('fairness-group-viewers').textContent()).toBe(String(sizes('device', 'ios').viewers));
    expect(await ios.textContent()).toContain(String(SMALL_GROUP));
    expect(await opened.getByTestId('fairness-coverage').textContent()).toMatch(/^\d+\.\d%$/);
    expect(await opened.getByTestId('fairness-exposure-gini').textContent()).toBe(report.exposure.exposureGini!.toFixed(3));
    await shot(page, 'compliance-report');

    // The HTML report opens in a new tab with its SVG charts; the same URL fetched with the browser's cookies.
    const zh = opened.getByTestId('fairness-html-zh');
    expect(await zh.getAttribute('href')).toBe(`/api/v1/fairness/audits/${firstAudit}/report.html?locale=zh-CN`);
    expect(await zh.getAttribute('target')).toBe('_blank');
    const [popup] = await Promise.all([context.waitForEvent('page'), zh.click()]);
    await popup.waitForLoadState();
    expect(await popup.content()).toContain('<svg');
    expect(await popup.title()).toContain('公平性审计报告');
    await popup.close();
    const html = await page.request.get(`${base}${(await opened.getByTestId('fairness-html-en').getAttribute('href'))!}`);
    expect(html.status()).toBe(200);
    expect(html.headers()['content-type']).toContain('text/html');
    expect(await html.text()).toContain('<svg');
    expect(await html.text()).toContain('Fairness audit report');

    // The downloads: JSON and HTML as attachments.
    const json = await page.request.get(`${base}${(await opened.getByTestId('fairness-download-json').getAttribute('href'))!}`);
    expect(json.status()).toBe(200);
    expect(json.headers()['content-disposition']).toBe(`attachment; filename="qingliu-fairness-${firstAudit}.json"`);
    expect(((await json.json()) as FairnessReport).id).toBe(firstAudit);
    const htmlFile = await page.request.get(`${base}${(await opened.getByTestId('fairness-download-html').getAttribute('href'))!}`);
    expect(htmlFile.headers()['content-disposition']).toBe(`attachment; filename="qingliu-fairness-${firstAudit}.html"`);
    expect(await htmlFile.text()).toContain('<svg');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('runs a second audit over the brand’s last 24 hours, draws the trend and compares the two', async () => {
    const { context, page, errors } = await staffPage(officer);
    await page.goto(`${base}/compliance#/fairness`);
    await page.getByTestId('fairness-section').waitFor();
    await page.locator(`[data-testid="fairness-row"][data-audit-id="${firstAudit}"]`).waitFor();

    // Brand scope: the window defaults to the last 24 hours.
    await page.getByTestId('fairness-scope-brand').check();
    const from = await page.getByTestId('fairness-from').inputValue();
    const until = await page.getByTestId('fairness-until').inputValue();
    expect(from).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(new Date(until).getTime() - new Date(from).getTime()).toBe(86_400_000);
    await page.getByTestId('fairness-brand-id').fill(BRAND);
    await page.getByTestId('fairness-run-submit').click();
    const done = page.getByTestId('fairness-run-done');
    await expect.poll(() => done.getAttribute('data-audit-id')).not.toBe(firstAudit);
    const second = (await done.getAttribute('data-audit-id'))!;
    expect(second).toMatch(/^audit-[0-9a-f]{12}$/);
    const secondReport = await reportOf(second);
    expect(secondReport.scope.sessionId).toBeNull();
    expect(secondReport.scope.until - secondReport.scope.from).toBe(86_400_000);

    // Both listed, newest first; the brand-wide one says "all sessions".
    await expect.poll(() => page.getByTestId('fairness-row').count()).toBe(2);
    expect(await page.getByTestId('fairness-row').first().getAttribute('data-audit-id')).toBe(second);
    expect(await page.getByTestId('fairness-row').first().textContent()).toContain('全部场次');
    expect(await page.getByTestId('fairness-report').getAttribute('data-audit-id')).toBe(second);

    // The trend chart, loaded lazily and drawn as SVG, with its figures as a table.
    const trend = page.getByTestId('fairness-trend');
    await expect.poll(() => trend.getAttribute('data-rendered'), { timeout: 15_000 }).toBe('true');
    expect(await trend.getAttribute('data-points')).toBe('2');
    expect(await trend.locator('svg').count()).toBeGreaterThan(0);
    expect(await trend.locator('svg path').count()).toBeGreaterThan(0);
    expect(await trend.locator('[role="img"]').getAttribute('aria-label')).toContain('覆盖率');
    expect(await page.getByTestId('fairness-trend-table').locator('tbody tr').count()).toBe(2);
    await page.getByTestId('fairness-trend-panel').screenshot({ path: path.join(SHOTS, 'fairness-trend.png') });

    // Compare: A is the older audit and B the newer by default.
    expect(await page.getByTestId('fairness-compare-a').inputValue()).toBe(firstAudit);
    expect(await page.getByTestId('fairness-compare-b').inputValue()).toBe(second);
    await page.getByTestId('fairness-compare-submit').click();
    const result = page.getByTestId('fairness-compare-result');
    await result.waitFor();
    expect(await result.getAttribute('data-a')).toBe(firstAudit);
    expect(await result.getAttribute('data-b')).toBe(second);
    const compared = (await get(`/api/v1/fairness/compare?a=${firstAudit}&b=${second}`)).json() as {
      segments: { attribute: string; group: string; metric: string; a: number | null; b: number | null }[];
      flags: { a: unknown[]; b: unknown[] };
    };
    const shown = compared.segments.filter((s) => s.a !== null || s.b !== null);
    expect(shown.length).toBeGreaterThan(0);
    expect(await result.getByTestId('fairness-compare-row').count()).toBe(shown.length);
    const premium = result.locator('[data-testid="fairness-compare-row"][data-attribute="cityTier"][data-group="tier1"][data-metric="premiumRate"]');
    expect(await premium.textContent()).toContain('城市级别');
    expect(await premium.textContent()).toContain('高价商品占比');
    expect(await premium.textContent()).toMatch(/个百分点/);
    expect(await result.getByTestId('fairness-compare-exposure-row').count()).toBe(3);
    expect(await result.getByTestId('fairness-compare-flag-a').count()).toBe(compared.flags.a.length);
    expect(await result.getByTestId('fairness-compare-flag-b').count()).toBe(compared.flags.b.length);
    await shot(page, 'compliance-compare');
    await page.getByTestId('fairness-compare').screenshot({ path: path.join(SHOTS, 'fairness-compare.png') });

    // The same audit in English: its flags in English.
    const en = await staffPage(officer, 'en');
    await en.page.goto(`${base}/compliance#/fairness`);
    const enRow = en.page.locator(`[data-testid="fairness-row"][data-audit-id="${firstAudit}"]`);
    await enRow.waitFor();
    expect(await en.page.locator('.compliance-nav a[aria-current="page"]').textContent()).toBe('Fairness audits');
    expect(await enRow.getByTestId('fairness-trigger').textContent()).toBe('on demand');
    await enRow.getByTestId('fairness-open').click();
    const enReport = en.page.getByTestId('fairness-report');
    await expect.poll(() => enReport.getAttribute('data-audit-id')).toBe(firstAudit);
    const first = await reportOf(firstAudit);
    await expect.poll(() => enReport.getByTestId('fairness-flag').first().textContent()).toBe(first.flags[0]!.text.en);
    expect(en.errors).toEqual([]);
    await en.context.close();
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('the host console shows a live alert on its next poll, acknowledges it, and runs a check now', async () => {
    const { context, page, errors } = await staffPage(host);
    await page.goto(`${base}/host/demo`);
    const panel = page.getByTestId('host-fairness-alerts');
    await panel.waitFor();
    await panel.getByTestId('host-fairness-empty').waitFor();
    expect(await panel.locator('h2').textContent()).toContain('公平性提醒');

    // A live check is due once the session has run for the live interval (5 minutes by default); a
    // gap alerts when two checks in a row find it.
    await t.app.services.fairness.tick(Date.now() + 6 * 60_000);
    await t.app.services.fairness.tick(Date.now() + 11 * 60_000);
    const [alert] = await alertsOf();
    expect(alert).toBeDefined();
    expect(alert!.acknowledgedAt).toBeNull();
    expect(alert!.flags.length).toBeGreaterThan(0);

    // Seen on the panel's next poll (every 15 s), unacknowledged, with its flags in Chinese.
    const item = panel.locator(`[data-testid="host-fairness-alert"][data-alert-id="${alert!.id}"]`);
    await item.waitFor({ timeout: 20_000 });
    expect(await item.getAttribute('data-acknowledged')).toBe('false');
    expect(await panel.getAttribute('data-unacknowledged')).toBe('1');
    expect(await item.getByTestId('host-fairness-alert-state').textContent()).toBe('未确认');
    expect(await item.getByTestId('host-fairness-flag').count()).toBe(alert!.flags.length);
    expect(await item.getByTestId('host-fairness-flag').first().textContent()).toBe(alert!.flags[0]!.text.zh);
    expect(await item.getByTestId('host-fairness-report-link').getAttribute('href')).toBe(`/api/v1/fairness/audits/${alert!.auditId}/report.html?locale=zh-CN`);
    await panel.screenshot({ path: path.join(SHOTS, 'fairness-host-alert.png') });

    // Acknowledged once; the server agrees and refuses a second acknowledgement.
    const ack = item.getByTestId('host-fairness-ack');
    expect(await ack.textContent()).toBe('确认知悉');
    await ack.click();
    await expect.poll(() => item.getAttribute('data-acknowledged')).toBe('true');
    expect(await item.getByTestId('host-fairness-ack').count()).toBe(0);
    expect(await panel.getAttribute('data-unacknowledged')).toBe('0');
    expect((await alertsOf())[0]!.acknowledgedAt).not.toBeNull();
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/fairness/alerts/${alert!.id}/acknowledge`, headers: { cookie: host.cookie }, payload: {} });
    expect([404, 409]).toContain(again.statusCode);
    expect((again.json() as { code: string }).code).toBe('ALERT_NOT_FOUND');

    // Run a check now: an on-demand audit of this session, its flag count and report.
    await panel.getByTestId('host-fairness-check').click();
    const result = panel.getByTestId('host-fairness-check-result');
    await result.waitFor();
    const checkId = (await result.getAttribute('data-audit-id'))!;
    const check = await reportOf(checkId);
    expect(check.trigger).toBe('on_demand');
    expect(check.scope.sessionId).toBe('demo');
    expect(await result.getAttribute('data-flags')).toBe(String(check.flags.length));
    expect(check.flags.length).toBeGreaterThan(0);
    expect(await result.textContent()).toContain(`标记 ${check.flags.length} 项差距`);
    const link = result.getByTestId('host-fairness-check-report');
    expect(await link.getAttribute('href')).toBe(`/api/v1/fairness/audits/${checkId}/report.html?locale=zh-CN`);
    expect(await (await page.request.get(`${base}${(await link.getAttribute('href'))!}`)).text()).toContain('<svg');
    await panel.screenshot({ path: path.join(SHOTS, 'fairness-host-panel.png') });

    // The live audit is in the compliance list too, as "live".
    const live = (await get('/api/v1/fairness/audits?trigger=live')).json() as { items: { id: string }[] };
    expect(live.items.map((i) => i.id)).toEqual([alert!.auditId]);
    expect(errors).toEqual([]);
    await context.close();

    // The compliance console shows every show's alerts, each naming its session.
    const viewer = await staffPage(officer);
    await viewer.page.goto(`${base}/compliance#/fairness`);
    const all = viewer.page.getByTestId('compliance-fairness-alerts');
    const seen = all.locator(`[data-testid="host-fairness-alert"][data-alert-id="${alert!.id}"]`);
    await seen.waitFor();
    expect(await seen.getAttribute('data-acknowledged')).toBe('true');
    expect(await seen.getByTestId('fairness-alert-session').textContent()).toContain('demo');
    expect(await all.getByTestId('host-fairness-check').count()).toBe(0);
    expect(viewer.errors).toEqual([]);
    await viewer.context.close();
  }, 120_000);
});
