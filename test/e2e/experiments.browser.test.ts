/**
 * Experiments in a real browser against a real server: an admin defines and starts an experiment in
 * the demo room through the API, consenting viewers are served and some order, viewers without
 * consent stay outside, and a scheduled look is taken. The experiment page then shows the verdict,
 * the share of the planned sample, the charts (SVG), the arms with the outside cohort and the
 * guardrails, in Chinese and in English (?lang=en); a simulated experiment is marked as such; the
 * host console lists the room's experiments and the compliance console lists them all; stopping
 * from the page takes the final look. Uses Debian's Chromium through playwright-core, like
 * browser.test.ts. Screenshots go to $QINGLIU_SCREENSHOTS (default test-results/).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { systemContext } from '../../src/context/index.js';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { demoExperiment } from '../support/fixtures.js';

const BRAND = 'demo-brand';
const SHOTS = process.env.QINGLIU_SCREENSHOTS ?? 'test-results';

const definition = demoExperiment;

interface Report {
  experiment: { status: string };
  arms: { arm: string; cohort: string; units: number | null; requests: number }[];
  latest: { fraction: number; final: boolean; comparisons: { verdict: { kind: string; final: boolean; text: { zh: string; en: string } } }[] } | null;
}

describe.runIf(chromiumAvailable)('experiments in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let admin: { cookie: string };
  let id: string;
  let simulatedId: string;
  let n = 0;

  const post = (url: string, payload: object = {}) => t.app.inject({ method: 'POST', url, headers: { cookie: admin.cookie }, payload });
  const report = async (experimentId: string): Promise<Report> => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/experiments/${experimentId}`, headers: { cookie: admin.cookie } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Report;
  };
  const device = (i: number) => `exp-browser-viewer-${String(i).padStart(6, '0')}`;
  /** A viewer's decision from its own address, as real devices are (30 decisions a minute per address). */
  const decide = async (deviceId: string, acceptAll: boolean) => {
    const notice = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json() as { version: string; hash: string };
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      remoteAddress: `10.77.${++n % 250}.${n % 200}`,
      payload: {
        deviceId,
        brandId: BRAND,
        noticeVersion: notice.version,
        noticeHash: notice.hash,
        locale: 'zh-CN',
        method: acceptAll ? 'accept_all' : 'decline_all',
        granted: acceptAll ? [...PURPOSES] : [],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const recs = async (deviceId: string) => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations?k=3', headers: { 'x-qingliu-device': deviceId } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { experiment?: { id: string; arm: string } };
  };
  const order = async (deviceId: string) => {
    const room = (await t.app.inject('/api/v1/sessions/demo')).json() as { products: { id: string; soldOut: boolean; stock: number }[] };
    const product = room.products.find((p) => !p.soldOut && p.stock > 0)!;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/orders',
      headers: { 'x-qingliu-device': deviceId },
      payload: { productId: product.id, quantity: 1, clientOrderId: `exp-browser-order-${++n}` },
    });
    expect(res.statusCode, res.body).toBe(201);
  };

  /** A signed-in staff member's browser (the admin's session cookie). */
  const staffPage = async (locale = 'zh-CN', cookie = admin.cookie): Promise<{ context: BrowserContext; page: Page; errors: string[] }> => {
    // Reduced motion: the charts draw without animation, so what is checked and shot is the final drawing.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale, reducedMotion: 'reduce' });
    const [name, ...value] = cookie.split('=');
    await context.addCookies([{ name: name!, value: value.join('='), url: base }]);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    return { context, page, errors };
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `experiment-${name}.png`), fullPage: true });
  const renderedCharts = (page: Page) => page.locator('[data-testid="experiment-chart"][data-rendered="true"]').count();

  beforeAll(async () => {
    t = await testApp('sqlite');
    base = await listenLocally(t.app);
    admin = await signIn(t.app, 'admin', 'expadmin');
    const started = await post('/api/v1/sessions/demo/start');
    expect(started.statusCode, started.body).toBe(200);

    // Defined and started through the API.
    const created = await post('/api/v1/experiments', definition());
    expect(created.statusCode, created.body).toBe(201);
    id = (created.json() as { id: string }).id;
    const running = await post(`/api/v1/experiments/${id}/start`);
    expect(running.statusCode, running.body).toBe(200);

    // 24 consenting viewers, each served twice; every fourth orders. Two viewers without consent stay outside.
    for (let i = 0; i < 24; i++) await decide(device(i), true);
    for (let i = 0; i < 24; i++) {
      const first = await recs(device(i));
      expect(first.experiment?.id).toBe(id);
      await recs(device(i));
      if (i % 4 === 0) await order(device(i));
    }
    await decide(device(900), false);
    for (const d of [device(900), device(901)]) expect((await recs(d)).experiment?.arm).toBe('outside');

    // A scheduled look, the clock moved on by the look interval.
    await t.app.services.experiments.takeDueLooks(Date.now() + 6 * 60_000);
    expect((await report(id)).latest).not.toBeNull();

    // A simulated experiment (the simulator's, demo mode only), left as a draft.
    const simulated = await t.app.services.experiments.create(
      systemContext('simulator'),
      definition({ name: '模拟：个性化推荐 / Simulated run', arms: [definition().arms[0], { id: 'neural', name: 'MLP', policy: 'mlp' }] }),
      { simulated: true },
    );
    if (!simulated.ok) throw new Error(`simulated experiment refused: ${simulated.code}`);
    simulatedId = simulated.value.id;

    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('sends a visitor who is not signed in to the login page', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await page.goto(`${base}/experiments/${id}`);
    await page.waitForURL(`${base}/login?next=${encodeURIComponent(`/experiments/${id}`)}`);
    await page.close();
  }, 30_000);

  it('shows the verdict, the planned-sample share, the charts, the arms with the outside cohort and the guardrails', async () => {
    const expected = await report(id);
    const { context, page, errors } = await staffPage();
    await page.goto(`${base}/experiments/${id}`);
    const root = page.getByTestId('experiment-page');
    await root.waitFor();
    expect(await root.getAttribute('data-status')).toBe('running');
    expect(await root.getAttribute('data-simulated')).toBe('false');
    expect(await page.getByTestId('experiment-status').textContent()).toContain('进行中');
    expect(await page.getByTestId('experiment-simulated').count()).toBe(0);
    expect(await page.title()).not.toContain('模拟');
    expect(await page.title()).toContain(definition().name);

    // The verdict in plain words, as the server wrote it, with whether it is final.
    const verdict = page.getByTestId('experiment-verdict');
    expect(await verdict.count()).toBe(1);
    const comparison = expected.latest!.comparisons[0]!;
    expect(await verdict.getByTestId('experiment-verdict-text').textContent()).toBe(comparison.verdict.text.zh);
    expect(await verdict.getAttribute('data-final')).toBe('false');
    expect(await verdict.getByTestId('experiment-verdict-final').textContent()).toContain('中期');
    const percent = Math.floor(expected.latest!.fraction * 100);
    expect(percent).toBeLessThanOrEqual(12); // 24 viewers of 2 × 100 planned: 12 % with equal arms, less when they differ
    expect(percent).toBeGreaterThan(0);
    expect(await page.getByTestId('experiment-fraction-text').textContent()).toBe(`已达计划样本精度的 ${percent}%`);
    expect(await page.getByTestId('experiment-schedule-note').textContent()).toBe('结果按计划时间更新，多看不会影响结论');
    expect(await page.getByTestId('experiment-difference').textContent()).toMatch(/pp \[/);

    // Arms: both arms in the comparison and the viewers outside it, with the server's counts.
    const rows = page.getByTestId('experiment-arm-row');
    expect(await rows.count()).toBe(3);
    const outside = page.locator('[data-testid="experiment-arm-row"][data-cohort="outside"]');
    expect(await outside.getByTestId('experiment-arm-cohort').textContent()).toBe('范围外（未同意个性化）');
    expect(await outside.getByTestId('experiment-arm-units').textContent()).toBe('不计人数');
    expect(await outside.getByTestId('experiment-arm-lists').getAttribute('data-count')).toBe('2');
    let units = 0;
    for (const arm of ['control', 'bandit']) {
      const row = page.locator(`[data-testid="experiment-arm-row"][data-arm="${arm}"][data-cohort="in"]`);
      expect(await row.getByTestId('experiment-arm-cohort').textContent()).toBe('对比组内');
      const shown = Number(await row.getByTestId('experiment-arm-units').getAttribute('data-count'));
      expect(shown).toBe(expected.arms.find((a) => a.arm === arm && a.cohort === 'in')!.units);
      units += shown;
    }
    expect(units).toBe(24);
    // The energy method and the method note in the page's language, not the server's English.
    expect(await page.getByTestId('experiment-energy-method').textContent()).toContain('Cloud Carbon Footprint 线性模型');
    expect(await page.getByTestId('experiment-energy-method').textContent()).not.toContain('CPU time at full utilisation');
    expect(await page.locator('[data-testid="experiment-arm-row"][data-arm="bandit"]').textContent()).toContain('LinUCB 线性多臂老虎机');

    // Guardrails (the defaults: opt-out and report rate), none breached.
    const guardrails = page.getByTestId('experiment-guardrail-row');
    expect(await guardrails.count()).toBe(2);
    expect(await page.locator('[data-testid="experiment-guardrail-row"][data-breached="true"]').count()).toBe(0);

    // Charts: difference, uplift, per-arm means, energy — each drawn as SVG, each with its numbers as a table.
    await expect.poll(() => renderedCharts(page), { timeout: 15_000 }).toBe(4);
    for (const kind of ['difference', 'uplift', 'means', 'energy']) {
      const chart = page.locator(`[data-testid="experiment-chart"][data-chart="${kind}"]`);
      expect(await chart.locator('svg').count(), kind).toBeGreaterThan(0);
      expect(await chart.locator('svg path').count(), kind).toBeGreaterThan(0);
      expect(await chart.locator('[role="img"]').getAttribute('aria-label'), kind).toBeTruthy();
      expect(await chart.locator('table').count(), kind).toBe(1);
    }
    expect(await page.locator('[data-testid="experiment-chart"][data-chart="difference"] [role="img"]').getAttribute('aria-label')).toContain(`第1次 ${percent}%`);

    // The method, and the read-only definition.
    await page.getByTestId('experiment-method').locator('summary').click();
    expect(await page.getByTestId('experiment-method').textContent()).toContain('Lan–DeMets');
    expect(await page.getByTestId('experiment-method-text').textContent()).toContain('成组序贯设计');
    expect(await page.getByTestId('experiment-method').textContent()).not.toContain('Group-sequential');
    expect(await page.getByTestId('experiment-start').count()).toBe(0);
    expect(await page.getByTestId('experiment-stop').isVisible()).toBe(true);
    await shot(page, 'running-zh');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('is shown in English with ?lang=en', async () => {
    const expected = await report(id);
    const { context, page, errors } = await staffPage('en-GB');
    await page.goto(`${base}/experiments/${id}?lang=en`);
    await page.getByTestId('experiment-page').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByTestId('experiment-verdict-text').textContent()).toBe(expected.latest!.comparisons[0]!.verdict.text.en);
    expect(await page.getByTestId('experiment-status').textContent()).toContain('Running');
    expect(await page.getByTestId('experiment-fraction-text').textContent()).toBe(`${Math.floor(expected.latest!.fraction * 100)} % of the planned sample (by precision)`);
    expect(await page.getByTestId('experiment-schedule-note').textContent()).toBe('Results update on schedule; looking more often does not change them');
    expect(await page.locator('[data-testid="experiment-arm-row"][data-cohort="outside"] [data-testid="experiment-arm-cohort"]').textContent()).toBe(
      'outside — no personalisation consent',
    );
    expect(await page.title()).toContain('Experiment');
    await expect.poll(() => renderedCharts(page), { timeout: 15_000 }).toBe(4);
    expect(await page.locator('[data-testid="experiment-chart"][data-chart="difference"] figcaption').textContent()).toContain('difference');
    await shot(page, 'running-en');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('marks a simulated experiment, in the page and in its title', async () => {
    const { context, page, errors } = await staffPage();
    await page.goto(`${base}/experiments/${simulatedId}`);
    await page.getByTestId('experiment-page').waitFor();
    const badge = page.getByTestId('experiment-simulated');
    expect(await badge.isVisible()).toBe(true);
    expect(await badge.textContent()).toBe('模拟实验');
    expect(await page.getByTestId('experiment-simulated-note').isVisible()).toBe(true);
    expect(await page.title()).toContain('模拟实验');
    expect(await page.getByTestId('experiment-status').getAttribute('data-status')).toBe('draft');
    expect(await page.getByTestId('experiment-not-started').isVisible()).toBe(true);
    expect(await page.getByTestId('experiment-charts-empty').isVisible()).toBe(true);
    expect(await page.getByTestId('experiment-start').isVisible()).toBe(true);
    // The heavier model's arm is named in the page's language, not "mlp".
    await page.getByTestId('experiment-definition').locator('summary').click({ timeout: 8000 });
    expect(await page.getByTestId('experiment-definition').locator('tbody').textContent({ timeout: 8000 })).toContain('多层感知机（较重模型）');
    await shot(page, 'simulated-draft');

    // Starting it while the other experiment runs in the same room is refused, and the reason shown.
    await page.getByTestId('experiment-start').click();
    await expect.poll(() => page.locator('.exp-head .problem').textContent()).toContain('此直播间已有正在运行的实验');
    expect(await page.getByTestId('experiment-status').getAttribute('data-status')).toBe('draft');

    await page.goto(`${base}/experiments/exp-000000000000`);
    await expect.poll(() => page.getByTestId('experiment-page-error').textContent()).toContain('没有这个实验');
    // Not an id at all: the same answer, not a refused request.
    await page.goto(`${base}/experiments/nonsense`);
    await page.locator('main.page-message h1').waitFor({ timeout: 8000 });
    expect(await page.locator('main.page-message h1').textContent()).toContain('没有这个实验');
    expect(await page.locator('body').textContent()).not.toContain('VALIDATION_FAILED');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('the host console lists the room’s experiments with their verdicts and links', async () => {
    const { context, page, errors } = await staffPage();
    await page.goto(`${base}/host/demo`);
    const panel = page.getByTestId('host-experiments');
    await panel.waitFor();
    const row = panel.locator(`[data-testid="host-experiment-row"][data-experiment-id="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('data-status')).toBe('running');
    expect(await row.getByTestId('host-experiment-link').getAttribute('href')).toBe(`/experiments/${id}`);
    const expected = await report(id);
    expect(await row.getByTestId('host-experiment-verdict').textContent()).toContain(expected.latest!.comparisons[0]!.verdict.text.zh);
    expect(await row.getByTestId('host-experiment-simulated').count()).toBe(0);
    const simulated = panel.locator(`[data-testid="host-experiment-row"][data-experiment-id="${simulatedId}"]`);
    expect(await simulated.getByTestId('host-experiment-simulated').textContent()).toBe('模拟实验');
    // Running first.
    expect(await panel.getByTestId('host-experiment-row').first().getAttribute('data-experiment-id')).toBe(id);
    await panel.screenshot({ path: path.join(SHOTS, 'experiment-host-panel.png') });

    await row.getByTestId('host-experiment-link').click();
    await page.waitForURL(`${base}/experiments/${id}`);
    await page.getByTestId('experiment-page').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('the compliance console lists every experiment, filtered by status', async () => {
    const { context, page, errors } = await staffPage();
    await page.goto(`${base}/compliance#/experiments`);
    await page.getByTestId('experiments-section').waitFor();
    await expect.poll(() => page.getByTestId('experiments-row').count()).toBe(2);
    const simulated = page.locator(`[data-testid="experiments-row"][data-experiment-id="${simulatedId}"]`);
    expect(await simulated.getAttribute('data-simulated')).toBe('true');
    expect(await simulated.getByTestId('experiments-simulated').textContent()).toBe('模拟实验');
    expect(await page.locator(`[data-testid="experiments-row"][data-experiment-id="${id}"] [data-testid="experiments-link"]`).getAttribute('href')).toBe(`/experiments/${id}`);
    expect(await page.locator('.compliance-nav a[aria-current="page"]').textContent()).toBe('实验');
    await shot(page, 'compliance');

    await page.getByTestId('experiments-status-filter').selectOption('running');
    await expect.poll(() => page.getByTestId('experiments-row').count()).toBe(1);
    expect(await page.getByTestId('experiments-row').getAttribute('data-experiment-id')).toBe(id);
    await page.getByTestId('experiments-status-filter').selectOption('completed');
    await page.getByTestId('experiments-empty').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('stops from the page: a final look, the status and the reason shown', async () => {
    // Two more viewers since the last look, so stopping has news to analyse.
    for (const i of [24, 25]) {
      await decide(device(i), true);
      await recs(device(i));
    }
    const { context, page, errors } = await staffPage();
    await page.goto(`${base}/experiments/${id}`);
    await page.getByTestId('experiment-page').waitFor();
    await page.getByTestId('experiment-stop').click();
    const dialog = page.getByTestId('experiment-stop-dialog');
    await dialog.getByTestId('experiment-stop-reason').fill('演示结束');
    await dialog.getByTestId('experiment-stop-confirm').click();
    await expect.poll(() => page.getByTestId('experiment-status').getAttribute('data-status'), { timeout: 10_000 }).toBe('stopped');
    expect(await page.getByTestId('experiment-stop-reason-shown').textContent()).toBe('演示结束');
    expect(await page.getByTestId('experiment-stop').count()).toBe(0);
    await expect.poll(() => page.getByTestId('experiment-verdict').getAttribute('data-final')).toBe('true');
    expect(await page.getByTestId('experiment-verdict-final').textContent()).toBe('最终结论');
    const stopped = await report(id);
    expect(await page.getByTestId('experiment-fraction-text').textContent()).toBe(`已达计划样本精度的 ${Math.floor(stopped.latest!.fraction * 100)}%`);
    await expect.poll(() => renderedCharts(page), { timeout: 15_000 }).toBe(4);
    await shot(page, 'stopped');

    const after = await report(id);
    expect(after.experiment.status).toBe('stopped');
    expect(after.latest!.final).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('offers start and stop to a host only in experiments whose every room they host', async () => {
    const other = await signIn(t.app, 'host', 'exphost-other');
    const mine = await signIn(t.app, 'host', 'exphost-demo');
    const assigned = await t.app.inject({ method: 'PATCH', url: '/api/v1/sessions/demo', headers: { cookie: admin.cookie }, payload: { hostUserId: mine.id } });
    expect(assigned.statusCode, assigned.body).toBe(200);
    try {
      // A host of another room: read-only, as the server would refuse them.
      const a = await staffPage('zh-CN', other.cookie);
      await a.page.goto(`${base}/experiments/${simulatedId}`);
      await a.page.getByTestId('experiment-page').waitFor();
      await a.page.getByText('只有管理员和主持本实验全部直播间的主播').waitFor();
      expect(await a.page.getByTestId('experiment-start').count()).toBe(0);
      expect(a.errors).toEqual([]);
      await a.context.close();
      // The room's own host: the button, once the room's host is known.
      const b = await staffPage('zh-CN', mine.cookie);
      await b.page.goto(`${base}/experiments/${simulatedId}`);
      await b.page.getByTestId('experiment-start').waitFor({ timeout: 10_000 });
      expect(b.errors).toEqual([]);
      await b.context.close();
    } finally {
      await t.app.inject({ method: 'PATCH', url: '/api/v1/sessions/demo', headers: { cookie: admin.cookie }, payload: { hostUserId: null } });
    }
  }, 60_000);

  it('shows a stop right after a look as that look, final, with no interval while nothing varies, in both languages', async () => {
    // The first experiment has stopped: the room is free for this one. No click yet, so nothing varies.
    const created = await post('/api/v1/experiments', definition({ name: 'Clicks, stopped at once', primaryMetric: 'clicks_per_viewer', lookEveryMinutes: 1 }));
    expect(created.statusCode, created.body).toBe(201);
    const stopId = (created.json() as { id: string }).id;
    expect((await post(`/api/v1/experiments/${stopId}/start`)).statusCode).toBe(200);
    for (let i = 0; i < 24; i++) await recs(device(i));
    await t.app.services.experiments.takeDueLooks(Date.now() + 2 * 60_000);
    // Stopped with no new viewer since the look, and without a body.
    const stopped = await t.app.inject({ method: 'POST', url: `/api/v1/experiments/${stopId}/stop`, headers: { cookie: admin.cookie } });
    expect(stopped.statusCode, stopped.body).toBe(200);

    const { context, page, errors } = await staffPage();
    await page.goto(`${base}/experiments/${stopId}`);
    const root = page.getByTestId('experiment-page');
    await root.waitFor();
    expect(await root.getAttribute('data-looks')).toBe('1');
    expect(await page.getByTestId('experiment-stop-reason-shown').textContent()).toBe('由操作人员停止（未填写原因）');
    expect(await page.getByTestId('experiment-verdict').getAttribute('data-final')).toBe('true');
    expect(await page.getByTestId('experiment-difference').textContent()).toBe('数据不足，暂无区间');
    expect(await page.locator('body').textContent()).not.toContain('[0.00, 0.00]');
    for (const row of await page.getByTestId('experiment-guardrail-row').all()) expect(await row.textContent()).toContain('数据不足，暂无区间');
    await expect.poll(() => renderedCharts(page), { timeout: 15_000 }).toBe(4);
    // One look, once: in every chart's table and on its axis.
    for (const kind of ['difference', 'uplift', 'means']) {
      const chart = page.locator(`[data-testid="experiment-chart"][data-chart="${kind}"]`);
      expect(await chart.locator('tbody tr').count(), kind).toBe(1);
      expect(await chart.locator('tbody th').first().textContent(), kind).toBe('1');
    }
    await context.close();

    const en = await staffPage('en-GB');
    await en.page.goto(`${base}/experiments/${stopId}?lang=en`);
    await en.page.getByTestId('experiment-page').waitFor();
    expect(await en.page.getByTestId('experiment-stop-reason-shown').textContent()).toBe('stopped by an operator (no reason given)');
    expect(await en.page.getByTestId('experiment-difference').textContent()).toBe('not enough data yet');
    const text = (await en.page.locator('main').textContent()) ?? '';
    expect(text).toContain('every minute');
    expect(text).not.toMatch(/[；：]/);
    expect(text).not.toContain('mlp');
    await expect.poll(() => renderedCharts(en.page), { timeout: 15_000 }).toBe(4);
    const means = await en.page.locator('[data-testid="experiment-chart"][data-chart="means"] svg').textContent();
    expect(means).toContain('Clicks per viewer');
    expect(means).not.toContain('(per viewer)');
    await shot(en.page, 'stopped-at-once-en');
    expect([...errors, ...en.errors]).toEqual([]);
    await en.context.close();
  }, 90_000);

  it('discards a draft from the page after asking, and then says so', async () => {
    const created = await post('/api/v1/experiments', definition({ name: 'Made by mistake' }));
    expect(created.statusCode, created.body).toBe(201);
    const draftId = (created.json() as { id: string }).id;
    const { context, page, errors } = await staffPage();
    await page.goto(`${base}/experiments/${draftId}`);
    await page.getByTestId('experiment-page').waitFor();
    // Declining the question keeps it.
    page.once('dialog', (d) => void d.dismiss());
    await page.getByTestId('experiment-discard').click();
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/experiments/${draftId}`, headers: { cookie: admin.cookie } })).statusCode).toBe(200);
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('experiment-discard').click();
    await page.getByTestId('experiment-discarded').waitFor();
    expect(await page.getByTestId('experiment-discarded').textContent()).toBe('草稿“Made by mistake”已丢弃。它从未运行，因此没有保留其他数据。');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/experiments/${draftId}`, headers: { cookie: admin.cookie } })).statusCode).toBe(404);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('with two arms against control, says each interval is at 97.5 % and all of them together at 95 %', async () => {
    const created = await post(
      '/api/v1/experiments',
      definition({
        name: 'Two bandits',
        arms: [
          { id: 'control', name: '非个性化', policy: 'non_personalised' },
          { id: 'bandit', name: 'LinUCB', policy: 'linucb' },
          { id: 'ts', name: 'Thompson', policy: 'lints' },
        ],
        allocation: [0.4, 0.3, 0.3],
        primaryMetric: 'clicks_per_viewer',
        lookEveryMinutes: 1,
      }),
    );
    expect(created.statusCode, created.body).toBe(201);
    const id3 = (created.json() as { id: string }).id;
    // One experiment per room at a time: the room is freed first.
    const running = (await t.app.inject({ method: 'GET', url: '/api/v1/experiments?status=running', headers: { cookie: admin.cookie } })).json() as { items: { id: string }[] };
    for (const e of running.items) expect((await post(`/api/v1/experiments/${e.id}/stop`, { reason: 'room freed' })).statusCode).toBe(200);
    expect((await post(`/api/v1/experiments/${id3}/start`)).statusCode).toBe(200);
    for (let i = 0; i < 24; i++) await recs(device(i));
    await t.app.services.experiments.takeDueLooks(Date.now() + 2 * 60_000);

    const { context, page, errors } = await staffPage('en-GB');
    await page.goto(`${base}/experiments/${id3}?lang=en`);
    await page.getByTestId('experiment-page').waitFor();
    await page.getByTestId('experiment-interval-note').waitFor();
    expect(await page.getByTestId('experiment-interval-note').textContent()).toBe(
      "In brackets: each comparison's 97.5 % repeated confidence interval — with 2 arms compared with control, α is split between them, so all 2 intervals together hold with 95 % confidence — valid however many looks are taken.",
    );
    await expect.poll(() => renderedCharts(page), { timeout: 15_000 }).toBeGreaterThan(0);
    for (const chart of await page.locator('[data-testid="experiment-chart"][data-chart="difference"]').all()) expect(await chart.textContent()).toContain('97.5 % repeated interval');
    expect(await page.locator('[data-testid="experiment-chart"][data-chart="difference"]').count()).toBe(2);
    expect(errors).toEqual([]);
    await context.close();
    expect((await post(`/api/v1/experiments/${id3}/stop`, { reason: 'done' })).statusCode).toBe(200);
  }, 60_000);
});
