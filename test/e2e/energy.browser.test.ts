/**
 * Energy and carbon in a real browser against a real server: the demo room goes live and serves
 * recommendation lists, the meter's reading is stored as a sample (EnergyService.sample), and
 * - the host console's energy meter shows Wh and gCO₂e so far, per 1,000 recommendations and per
 *   live hour, with the method and the grid factor's year and source (on hover and in a details);
 * - the compliance console's "Energy & carbon" section shows the period's totals (SCI location-based,
 *   with the note that certificates and offsets never reduce it), the per-component table, the trend
 *   charts drawn as SVG with their figures as a table, the green-hosting ranking, and downloads the
 *   report as JSON and the trend as CSV; a wrong period is refused in the form.
 * Accessibility basics are checked on both pages: labelled fields, captioned tables, charts as
 * labelled images, unique ids, named links and buttons, headings. Uses Debian's Chromium through
 * playwright-core, like browser.test.ts. Screenshots go to $QINGLIU_SCREENSHOTS (default test-results/).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, listenLocally } from '../support/browser.js';
import { signIn, testApp, type TestApp } from '../support/app.js';

const SHOTS = process.env.QINGLIU_SCREENSHOTS ?? 'test-results';
/** Recommendation lists served before the pages are opened. */
const LISTS = 30;

/** The API's shapes, as far as this test reads them. */
interface SessionEnergy {
  live: boolean;
  method: string;
  energyWh: number;
  carbonG: number;
  recommendations: number;
  whPer1000Recommendations: number | null;
  gPer1000Recommendations: number | null;
  gPerSessionHour: number | null;
  region: { id: string; name: { zh: string; en: string } };
  gridFactor: { value: number; year: number; source: string };
}
interface EnergyReport {
  since: string;
  until: string;
  method: string;
  energyKwh: number;
  carbonG: number;
  recommendations: number;
  sciPer1000Recommendations: number | null;
  gridFactor: { value: number; year: number; source: string };
  components: { component: string; count: number }[];
  samples: number;
}
interface RegionAdvice {
  workload: { kwhPer1000: number | null; measuredFrom: string };
  ranking: { id: string; name: { zh: string; en: string }; factorYear: number; factorSource: string; gPer1000: number | null }[];
}

/** A figure written with a unit by web/src/ui/energy.ts, never a bare 0 for something measured. */
const ENERGY_TEXT = /^(< )?\d[\d,]*(\.\d+)? (µWh|mWh|Wh|kWh|MWh)$/;
const CARBON_TEXT = /^(< )?\d[\d,]*(\.\d+)? (µg|mg|g|kg|t) CO₂e$/;

/**
 * Accessibility basics, run in the page within `root` (a CSS selector): every field has a label,
 * every table a caption and header cells, every image a name, every link, button and summary a
 * name, ARIA references resolve, headings do not skip a level; and on the whole page ids are
 * unique, there is exactly one h1 and the language is set. Returns the problems found (none: []).
 */
const a11yCheck = (root: string): string => `((root) => {
  const problems = [];
  if (!root) return ['no element matches ${root}'];
  const name = (el) => (el.getAttribute('aria-label') || el.textContent || el.getAttribute('title') || '').trim();
  for (const field of root.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (field.id && document.querySelector('label[for="' + field.id + '"]')) || field.closest('label') || field.getAttribute('aria-label') || field.getAttribute('aria-labelledby');
    if (!labelled) problems.push('unlabelled field ' + (field.id || field.outerHTML.slice(0, 60)));
  }
  for (const table of root.querySelectorAll('table')) {
    if (!table.querySelector('caption') && !table.getAttribute('aria-label') && !table.getAttribute('aria-labelledby')) problems.push('table without caption ' + (table.dataset.testid || ''));
    if (!table.querySelector('th')) problems.push('table without headers ' + (table.dataset.testid || ''));
  }
  for (const img of root.querySelectorAll('[role=img]')) if (!name(img)) problems.push('unnamed image');
  for (const img of root.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('img without alt ' + img.src);
  for (const el of root.querySelectorAll('a[href], button, summary')) if (!name(el)) problems.push('unnamed ' + el.tagName.toLowerCase() + ' ' + el.outerHTML.slice(0, 80));
  const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
  for (const id of new Set(ids)) if (ids.filter((x) => x === id).length > 1) problems.push('duplicate id ' + id);
  for (const el of root.querySelectorAll('[aria-labelledby], [aria-describedby]')) {
    for (const attr of ['aria-labelledby', 'aria-describedby']) {
      for (const ref of (el.getAttribute(attr) || '').split(/\\s+/).filter(Boolean)) if (!document.getElementById(ref)) problems.push(attr + ' points nowhere: ' + ref);
    }
  }
  const h1s = [...document.querySelectorAll('h1')].filter((h) => h.getClientRects().length > 0).length;
  if (h1s !== 1) problems.push('expected one h1 on the page, found ' + h1s);
  const levels = [...root.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter((h) => h.getClientRects().length > 0).map((h) => Number(h.tagName[1]));
  levels.forEach((level, i) => { if (i > 0 && level > levels[i - 1] + 1) problems.push('heading skips from h' + levels[i - 1] + ' to h' + level); });
  if (!document.documentElement.lang) problems.push('no lang on html');
  return problems;
})(document.querySelector(${JSON.stringify(root)}))`;

describe.runIf(chromiumAvailable)('energy and carbon in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let officer: { cookie: string };
  /** An administrator runs the host console (the demo room has no assigned host). */
  let host: { cookie: string };

  const get = async <T,>(url: string, cookie: string): Promise<T> => {
    const res = await t.app.inject({ method: 'GET', url, headers: { cookie } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as T;
  };
  const sessionEnergy = () => get<SessionEnergy>('/api/v1/sessions/demo/energy', host.cookie);
  const lastDay = () => {
    const until = new Date(Date.now() + 60_000).toISOString();
    const since = new Date(Date.now() - 86_400_000).toISOString();
    return `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`;
  };
  const report = () => get<EnergyReport>(`/api/v1/energy/report?${lastDay()}`, officer.cookie);
  /** Recommendation lists served to anonymous viewers (non-personalised lists are recommendations too). */
  const serveLists = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations' });
      expect(res.statusCode, res.body).toBe(200);
    }
  };

  /** A signed-in staff member's browser; `locale` is also the page language (localStorage). */
  const staffPage = async (who: { cookie: string }, locale: 'zh-CN' | 'en' = 'zh-CN'): Promise<{ context: BrowserContext; page: Page; errors: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale, reducedMotion: 'reduce', acceptDownloads: true });
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
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `energy-${name}.png`), fullPage: true });
  const a11y = (page: Page, root: string) => page.evaluate<string[]>(a11yCheck(root));
  const textOf = async (download: Download): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  beforeAll(async () => {
    t = await testApp('sqlite', { env: { QINGLIU_ENERGY_SAMPLE_SECONDS: '3600' } });
    base = await listenLocally(t.app);
    officer = await signIn(t.app, 'compliance', 'energyofficer');
    host = await signIn(t.app, 'admin', 'energyadmin');
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: host.cookie }, payload: {} });
    expect(started.statusCode, started.body).toBe(200);
    await serveLists(LISTS);
    // The meter's reading so far is stored as a sample (the timer would do it every minute).
    await t.app.services.energy.sample();
    expect((await sessionEnergy()).recommendations).toBeGreaterThan(0);
    expect((await report()).recommendations).toBeGreaterThan(0);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the host console shows the live meter: Wh and gCO₂e so far, per 1,000 recommendations and per hour, with the method and the factor', async () => {
    const energy = await sessionEnergy();
    expect(energy.live).toBe(true);
    expect(energy.energyWh).toBeGreaterThan(0);
    expect(energy.carbonG).toBeGreaterThan(0);
    expect(energy.whPer1000Recommendations).not.toBeNull();

    const { context, page, errors } = await staffPage(host);
    await page.goto(`${base}/host/demo`);
    const meter = page.getByTestId('host-energy-meter');
    await meter.waitFor();
    await expect.poll(async () => Number(await meter.getAttribute('data-recommendations')), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await meter.locator('h2').textContent()).toBe('能耗与碳排放');
    expect(await meter.getAttribute('aria-labelledby')).toBe('host-energy-title');
    expect(await meter.getAttribute('data-live')).toBe('true');
    expect(await meter.getByTestId('host-energy-live').textContent()).toBe('直播中，持续计量');
    // The reserved placeholder is gone: the slot is the meter itself.
    expect(await page.locator('.reserved[data-slot="energy-meter"]').count()).toBe(0);

    // The figures, each in a unit that suits it and never a bare 0.
    const wh = meter.getByTestId('host-energy-wh');
    expect(Number(await wh.getAttribute('data-wh'))).toBeGreaterThan(0);
    expect(await wh.textContent()).toMatch(ENERGY_TEXT);
    expect(await meter.getByTestId('host-energy-carbon').textContent()).toMatch(CARBON_TEXT);
    expect(await meter.getByTestId('host-energy-wh-per-1000').textContent()).toMatch(ENERGY_TEXT);
    expect(await meter.getByTestId('host-energy-g-per-1000').textContent()).toMatch(CARBON_TEXT);
    const perHour = (await meter.getByTestId('host-energy-g-per-hour').textContent())!;
    expect(perHour === '—' || /CO₂e\/小时$/.test(perHour)).toBe(true);
    expect(Number(await meter.getByTestId('host-energy-recommendations').getAttribute('data-count'))).toBeGreaterThanOrEqual(energy.recommendations);
    expect(await meter.getByTestId('host-energy-no-recommendations').count()).toBe(0);

    // Which method made them, and the grid factor's year and source: on hover …
    const title = (await wh.getAttribute('title'))!;
    expect(title).toContain('CPU 利用率线性模型（Cloud Carbon Footprint）');
    expect(title).toContain(String(energy.gridFactor.year));
    expect(title).toContain(energy.gridFactor.source);
    expect(energy.method).toBe('ccf-utilisation');
    // The method by name, never its id.
    expect(await meter.getByTestId('host-energy-method').textContent()).toBe('估算方法：CPU 利用率线性模型（Cloud Carbon Footprint）');
    // … and in a details element, opened from the keyboard.
    const details = meter.getByTestId('host-energy-factor');
    expect(await details.getAttribute('open')).toBeNull();
    expect(await details.locator('summary').textContent()).toContain(`${energy.gridFactor.year} 年数据`);
    await details.locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => details.getAttribute('open')).not.toBeNull();
    expect(await meter.getByTestId('host-energy-factor-year').textContent()).toBe(String(energy.gridFactor.year));
    expect(await meter.getByTestId('host-energy-factor-source').textContent()).toBe(energy.gridFactor.source);
    expect(await meter.getByTestId('host-energy-factor-value').textContent()).toContain('kg CO₂e/kWh');
    expect(await details.textContent()).toContain(energy.region.name.zh);
    expect(await details.textContent()).toContain('碳抵消');
    await meter.screenshot({ path: path.join(SHOTS, 'energy-host-meter.png') });

    // The meter refreshes by itself (every 10 s) as the session does more work.
    const first = Number(await meter.getAttribute('data-recommendations'));
    await serveLists(10);
    await expect.poll(async () => Number(await meter.getAttribute('data-recommendations')), { timeout: 30_000, interval: 1000 }).toBeGreaterThanOrEqual(first + 10);

    expect(await a11y(page, '[data-testid="host-energy-meter"]')).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();

    // In English.
    const en = await staffPage(host, 'en');
    await en.page.goto(`${base}/host/demo`);
    const enMeter = en.page.getByTestId('host-energy-meter');
    await expect.poll(async () => Number(await enMeter.getAttribute('data-recommendations')), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await enMeter.locator('h2').textContent()).toBe('Energy & carbon');
    expect(await enMeter.getByTestId('host-energy-method').textContent()).toBe('Method: CPU utilisation, linear model (Cloud Carbon Footprint)');
    expect(await enMeter.getByTestId('host-energy-factor').locator('summary').textContent()).toContain(`(${energy.gridFactor.year} data)`);
    expect(en.errors).toEqual([]);
    await en.context.close();

    // A moderator may moderate the room but not see its energy (the server answers 403): the console
    // does not offer the meter, and never asks for it.
    const moderator = await signIn(t.app, 'moderator', 'energymod');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/energy', headers: { cookie: moderator.cookie } })).statusCode).toBe(403);
    const mod = await staffPage(moderator);
    const energyAsked: string[] = [];
    mod.page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/v1/sessions/demo/energy') energyAsked.push(request.url());
    });
    await mod.page.goto(`${base}/host/demo`);
    await mod.page.getByTestId('host-role-note').waitFor();
    expect(await mod.page.getByTestId('host-energy-meter').count()).toBe(0);
    expect(energyAsked).toEqual([]);
    await mod.context.close();
  }, 90_000);

  it('the compliance console shows the period’s totals, components, trend and site ranking, and downloads the report and the trend', async () => {
    const { context, page, errors } = await staffPage(officer);
    await page.goto(`${base}/compliance#/energy`);
    await page.getByTestId('energy-section').waitFor();
    expect(await page.locator('.compliance-nav a[aria-current="page"]').textContent()).toBe('能耗与碳排放');
    expect(await page.locator('.compliance-content h1').textContent()).toBe('能耗与碳排放');
    expect(await page.getByTestId('energy-location-note').textContent()).toContain('碳抵消');

    // The period defaults to the last 24 hours, by the hour.
    const since = await page.getByTestId('energy-since').inputValue();
    const until = await page.getByTestId('energy-until').inputValue();
    expect(since).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(new Date(until).getTime() - new Date(since).getTime()).toBe(86_400_000);
    expect(await page.getByTestId('energy-bucket').inputValue()).toBe('hour');

    // Totals, each figure with a unit, SCI location-based with its note, the factor with its year and source, the method.
    const totals = page.getByTestId('energy-totals');
    await totals.waitFor();
    const server = await report();
    expect(Number(await totals.getAttribute('data-recommendations'))).toBeGreaterThan(0);
    expect(Number(await totals.getAttribute('data-samples'))).toBeGreaterThan(0);
    expect(await page.getByTestId('energy-total-energy').textContent()).toMatch(ENERGY_TEXT);
    expect(Number(await page.getByTestId('energy-total-energy').getAttribute('data-kwh'))).toBeGreaterThan(0);
    expect(await page.getByTestId('energy-total-carbon').textContent()).toMatch(CARBON_TEXT);
    expect(await page.getByTestId('energy-sci-1000').textContent()).toMatch(CARBON_TEXT);
    expect(await page.getByTestId('energy-sci-note').textContent()).toContain('基于位置');
    expect(await page.getByTestId('energy-sci-note').textContent()).toContain('永远不会降低 SCI');
    expect(await page.getByTestId('energy-factor-year').textContent()).toBe(String(server.gridFactor.year));
    expect(await page.getByTestId('energy-factor-source').textContent()).toBe(server.gridFactor.source);
    expect(server.method).toBe('ccf-utilisation');
    expect(await page.getByTestId('energy-method').textContent()).toBe('估算方法：CPU 利用率线性模型（Cloud Carbon Footprint）');

    // Per component: every component the server reports, recommendations with the lists served.
    const rows = page.getByTestId('energy-component-row');
    expect(await rows.count()).toBe(server.components.length);
    for (const component of ['recommend', 'learn', 'audits', 'assistant', 'serving', 'storage', 'other']) {
      expect(await page.locator(`[data-testid="energy-component-row"][data-component="${component}"]`).count(), component).toBe(1);
    }
    const recommend = page.locator('[data-testid="energy-component-row"][data-component="recommend"]');
    expect(await recommend.locator('th').textContent()).toBe('推荐');
    expect(Number((await recommend.locator('td').last().textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await page.getByTestId('energy-components-method').textContent()).toContain('CPU 利用率线性模型（Cloud Carbon Footprint）');

    // The trend: both charts drawn as SVG, labelled, with the figures as a table.
    const trend = page.getByTestId('energy-trend');
    await trend.waitFor();
    expect(await trend.getAttribute('data-bucket')).toBe('hour');
    const points = Number(await trend.getAttribute('data-points'));
    expect(points).toBeGreaterThan(0);
    for (const kind of ['energy', 'intensity']) {
      const chart = trend.locator(`[data-testid="energy-trend-chart"][data-chart="${kind}"]`);
      await expect.poll(() => chart.getAttribute('data-rendered'), { timeout: 15_000 }).toBe('true');
      expect(await chart.locator('svg').count(), kind).toBeGreaterThan(0);
      expect(await chart.locator('svg path').count(), kind).toBeGreaterThan(0);
      expect(await chart.locator('[role="img"]').getAttribute('aria-label'), kind).toBeTruthy();
    }
    expect(await trend.locator('[data-chart="energy"] [role="img"]').getAttribute('aria-label')).toContain('能耗');
    expect(await page.getByTestId('energy-trend-table').locator('tbody tr').count()).toBe(points);
    expect(await page.getByTestId('energy-trend-method').textContent()).toContain(String(server.gridFactor.year));
    await trend.screenshot({ path: path.join(SHOTS, 'energy-trend.png') });

    // Green hosting advice: candidate sites ranked by gCO₂e per 1,000 recommendations, each with its factor's year and source.
    const advice = await get<RegionAdvice>(`/api/v1/energy/regions?${lastDay()}`, officer.cookie);
    expect(advice.workload.kwhPer1000).not.toBeNull();
    const regions = page.getByTestId('energy-regions');
    await expect.poll(() => regions.getByTestId('energy-region-row').count(), { timeout: 10_000 }).toBe(advice.ranking.length);
    expect(await regions.getAttribute('data-measured')).toBe('true');
    expect(await regions.getByTestId('energy-regions-workload').textContent()).toMatch(/^本系统实测：每 1000 次推荐 \S+ \S*Wh/);
    const firstRow = regions.getByTestId('energy-region-row').first();
    expect(await firstRow.getAttribute('data-region')).toBe(advice.ranking[0]!.id);
    expect(await firstRow.getAttribute('data-rank')).toBe('1');
    expect(await firstRow.textContent()).toContain(advice.ranking[0]!.name.zh);
    expect(await firstRow.textContent()).toContain(String(advice.ranking[0]!.factorYear));
    expect(await firstRow.textContent()).toContain(advice.ranking[0]!.factorSource);
    expect(await firstRow.locator('td strong').textContent()).toMatch(CARBON_TEXT);
    const order = await regions.getByTestId('energy-region-row').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-g'))));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // This deployment's own region is marked.
    const mine = regions.locator('[data-testid="energy-region-row"][data-current="true"]');
    expect(await mine.count()).toBe(1);
    expect(await mine.textContent()).toContain('当前所在地');
    expect(await mine.getAttribute('aria-current')).toBe('true');
    expect(await regions.getByTestId('energy-regions-method').textContent()).toContain('PUE');
    await shot(page, 'compliance');

    // The report as JSON: the server's answer for the period shown.
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('energy-download-json').click()]);
    expect(await page.getByTestId('energy-download-json').getAttribute('href')).toMatch(/^\/api\/v1\/energy\/report\?since=.+&until=.+&download=true$/);
    expect(json.suggestedFilename()).toMatch(/^qingliu-energy-.+\.json$/);
    const saved = JSON.parse(await textOf(json)) as EnergyReport;
    expect(saved.method).toBe(server.method);
    expect(saved.gridFactor).toEqual(server.gridFactor);
    expect(saved.recommendations).toBeGreaterThan(0);
    expect(new Date(saved.until).getTime() - new Date(saved.since).getTime()).toBe(86_400_000);

    // The trend as CSV, straight from the server.
    const csvLink = page.getByTestId('energy-download-csv');
    expect(await csvLink.getAttribute('href')).toMatch(/^\/api\/v1\/energy\/trend\.csv\?since=.+&until=.+&bucket=hour$/);
    const [csv] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(csv.suggestedFilename()).toMatch(/^qingliu-energy-trend-hour-.+\.csv$/);
    const lines = (await textOf(csv)).trim().split(/\r?\n/);
    expect(lines[0]!.toLowerCase()).toContain('start');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const fetched = await page.request.get(`${base}${(await csvLink.getAttribute('href'))!}`);
    expect(fetched.status()).toBe(200);
    expect(fetched.headers()['content-type']).toContain('text/csv');

    expect(await a11y(page, '.compliance-content')).toEqual([]);

    // A wrong period is refused in the form and nothing is sent; a right one by the day is shown.
    await page.getByTestId('energy-until').fill(since);
    await page.getByTestId('energy-submit').click();
    expect(await page.getByTestId('energy-period-problem').textContent()).toBe('结束时间须晚于开始时间');
    expect(await page.getByTestId('energy-until').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('energy-period-problem').getAttribute('aria-live')).toBe('polite');
    await page.getByTestId('energy-until').fill(until);
    await page.getByTestId('energy-bucket').selectOption('day');
    await page.getByTestId('energy-submit').click();
    await expect.poll(() => trend.getAttribute('data-bucket'), { timeout: 10_000 }).toBe('day');
    expect(await page.getByTestId('energy-period-problem').textContent()).toBe('');
    expect(await page.getByTestId('energy-download-csv').getAttribute('href')).toMatch(/bucket=day$/);
    await expect.poll(() => trend.locator('[data-chart="energy"]').getAttribute('data-rendered'), { timeout: 15_000 }).toBe('true');

    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('is shown in English, reached from the navigation with focus on the heading', async () => {
    const { context, page, errors } = await staffPage(officer, 'en');
    await page.goto(`${base}/compliance#/consent`);
    await page.getByTestId('compliance-nav').waitFor();
    await page.locator('.compliance-nav a[data-section="energy"]').click();
    await page.getByTestId('energy-section').waitFor();
    expect(await page.locator('.compliance-nav a[aria-current="page"]').textContent()).toBe('Energy & carbon');
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { tagName: string } | null } }).document.activeElement?.tagName), { timeout: 5_000 }).toBe('H1');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByTestId('energy-totals').waitFor();
    expect(await page.getByTestId('energy-sci-note').textContent()).toContain('offsets never reduce it');
    expect(await page.locator('[data-testid="energy-component-row"][data-component="recommend"] th').textContent()).toBe('Recommendations');
    expect(await page.getByTestId('energy-download-json').textContent()).toBe('Download the report (JSON)');
    await expect.poll(() => page.locator('[data-chart="intensity"]').getAttribute('data-rendered'), { timeout: 15_000 }).toBe('true');
    expect(await a11y(page, '.compliance-content')).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
