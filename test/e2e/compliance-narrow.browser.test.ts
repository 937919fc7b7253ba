/**
 * The compliance console on a phone (390 × 844), in Chinese and in English: every section, with its
 * tables filled and its folded parts (details) opened, fits the screen's width, so the page never
 * scrolls sideways. A table wider than the screen scrolls inside its own container, which fits the
 * screen, and its last column can be scrolled into view; nothing else is cut off at the right edge,
 * and ids and hashes break rather than run wider than their box.
 * Uses Debian's Chromium through playwright-core, like browser.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserSuite, chromiumAvailable } from '../support/browser.js';
import { signIn } from '../support/app.js';
import { seedTierSteeredLog } from '../support/decision-log.js';
import { crossBorderRecipient, demoExperiment } from '../support/fixtures.js';

const PHONE = { width: 390, height: 844 };
const BRAND = 'demo-brand';
const DEVICE = 'narrow-device-000000000001';

/** Each section's route and what shows once its content has loaded. */
const SECTIONS: { route: string; ready: string; open?: (page: Page) => Promise<void> }[] = [
  { route: 'consent', ready: '[data-testid="notice-archive-row"]' },
  {
    route: 'rights',
    ready: '[data-testid="rights-ticket"]',
    open: async (page) => {
      await page.getByTestId('rights-status-filter').selectOption('all');
      await page.getByTestId('rights-open').first().click();
    },
  },
  { route: 'data-map', ready: '[data-testid="retention-row"]' },
  {
    route: 'fairness',
    ready: '[data-testid="fairness-report"] [data-testid="fairness-segment"]',
    open: async (page) => {
      await page.getByTestId('fairness-open').first().click();
    },
  },
  { route: 'experiments', ready: '[data-testid="experiments-row"]' },
  { route: 'access-log', ready: '[data-testid="access-log-checkpoint-card"] code' },
  { route: 'cross-border', ready: '[data-testid="cross-border-destination"]' },
  { route: 'energy', ready: '[data-testid="energy-region-row"]' },
  { route: 'export', ready: '[data-slot="compliance-export"]' },
];

/** What the page measures: its overflow, each table's scroll container, and anything cut off. */
interface Layout {
  overflow: number;
  tables: { id: string; width: number; fits: boolean; scroller: { right: number; reachable: boolean } | null }[];
  cutOff: string[];
  /** Ids and hashes (code) wider than the box they scroll in, or than the screen. */
  wideCodes: string[];
}

/** Runs in the page: measures the layout after opening every details element. */
function measure(): Layout {
  type El = {
    tagName: string;
    className: string;
    parentElement: El | null;
    scrollWidth: number;
    clientWidth: number;
    scrollLeft: number;
    getAttribute(name: string): string | null;
    getBoundingClientRect(): { left: number; right: number; width: number; height: number };
    querySelectorAll(selector: string): El[];
  };
  const g = globalThis as unknown as {
    document: { documentElement: El; querySelectorAll(selector: string): El[] };
    innerWidth: number;
    scrollY: number;
    scrollTo(x: number, y: number): void;
    getComputedStyle(el: El): { overflowX: string; display: string; visibility: string; clip: string };
  };
  const doc = g.document;
  // Measured from the left edge: a click may have scrolled an overflowing page sideways.
  g.scrollTo(0, g.scrollY);
  for (const d of doc.querySelectorAll('details')) (d as unknown as { open: boolean }).open = true;
  // The width the page has to fit: the window less any vertical scroll bar.
  const viewport = Math.min(g.innerWidth, doc.documentElement.clientWidth);
  const scroller = (el: El): El | null => {
    for (let p = el.parentElement; p && p !== doc.documentElement; p = p.parentElement) {
      if (['auto', 'scroll'].includes(g.getComputedStyle(p).overflowX)) return p;
    }
    return null;
  };
  const name = (el: El): string =>
    `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[data-testid=${el.getAttribute('data-testid')}]` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
  const tables = [...doc.querySelectorAll('main table')].map((table) => {
    const rect = table.getBoundingClientRect();
    const box = scroller(table);
    let reach: { right: number; reachable: boolean } | null = null;
    if (box) {
      const before = box.scrollLeft;
      box.scrollLeft = box.scrollWidth;
      reach = {
        right: box.getBoundingClientRect().right,
        reachable: table.getBoundingClientRect().right <= box.getBoundingClientRect().right + 1,
      };
      box.scrollLeft = before;
    }
    return { id: name(table), width: rect.width, fits: rect.right <= viewport + 1, scroller: reach };
  });
  const cutOff: string[] = [];
  for (const el of doc.querySelectorAll('body *')) {
    const style = g.getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || style.clip === 'rect(0px, 0px, 0px, 0px)') continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || rect.right <= viewport + 1) continue;
    if (scroller(el)) continue;
    cutOff.push(`${name(el)} +${Math.round(rect.right - viewport)}px`);
  }
  const wideCodes = [...doc.querySelectorAll('main code')]
    .filter((code) => code.getBoundingClientRect().width > (scroller(code)?.clientWidth ?? viewport) + 1)
    .map((code) => `${name(code)} ${Math.round(code.getBoundingClientRect().width)}px`);
  return { overflow: doc.documentElement.scrollWidth - viewport, tables, cutOff, wideCodes };
}

describe.runIf(chromiumAvailable)('compliance console on a 390 px phone', () => {
  const suite = browserSuite();
  let officer: { cookie: string };

  beforeAll(async () => {
    const { app } = suite.t;
    officer = await signIn(app, 'compliance', 'narrow.officer');
    const admin = await signIn(app, 'admin', 'narrow.admin');
    const as = (who: { cookie: string }, url: string, payload: object = {}) => app.inject({ method: 'POST', url, headers: { cookie: who.cookie }, payload });

    // Consent decisions and a rights request, closed by the officer.
    const n = (await app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    const decide = (method: string, granted: string[]) =>
      app.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: DEVICE, brandId: BRAND, noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method, granted } });
    expect((await decide('custom', ['marketing'])).statusCode).toBe(201);
    expect((await decide('withdraw', [])).statusCode).toBe(201);
    const filed = await app.inject({
      method: 'POST',
      url: '/api/v1/privacy/tickets',
      headers: { 'x-qingliu-device': DEVICE },
      payload: { kind: 'complaint', details: '推荐太多了，https://example.com/a-very-long-address-without-any-spaces-in-it-at-all-0123456789', locale: 'zh-CN' },
    });
    expect(filed.statusCode, filed.body).toBe(201);
    expect((await as(officer, `/api/v1/compliance/tickets/${filed.json().id}/resolve`, { outcome: 'completed' })).statusCode).toBe(200);
    // A signed checkpoint (its root hash and key id shown) and a verification run.
    const checkpoint = await as(officer, '/api/v1/compliance/access-log/checkpoint');
    expect(checkpoint.statusCode, checkpoint.body).toBeLessThan(300);
    expect((await as(officer, '/api/v1/compliance/access-log/verify')).statusCode).toBe(200);

    // A cross-border recipient with a long address.
    const destination = await as(
      officer,
      '/api/v1/compliance/transfer/destinations',
      crossBorderRecipient({
        id: 'sg-narrow',
        contact: 'data-protection-officer@lioncity-analytics.example',
        baseUrl: 'https://analytics.lioncity-analytics.example.com/ingest/live-room-chat/v1',
      }),
    );
    expect(destination.statusCode, destination.body).toBe(201);

    // The room goes live and serves lists (energy), an experiment is defined, and the decision log gets
    // lists per city tier for two fairness audits.
    const started = await as(admin, '/api/v1/sessions/demo/start');
    expect(started.statusCode, started.body).toBe(200);
    const startedAt = (started.json() as { session: { startedAt: number } }).session.startedAt;
    for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations' })).statusCode).toBe(200);
    await app.services.energy.sample();
    const experiment = await as(admin, '/api/v1/experiments', demoExperiment({ name: '个性化推荐对比 / Personalised recommendations against the non-personalised list' }));
    expect(experiment.statusCode, experiment.body).toBe(201);

    await seedTierSteeredLog(app.services.storage.db, { brandId: BRAND, sessionId: 'demo', at: startedAt, idPrefix: 'narrow', lists: 40, perList: 3, smallGroup: 12 });
    for (const scope of [{ sessionId: 'demo' }, { brandId: BRAND }]) {
      const audit = await as(officer, '/api/v1/fairness/audits', scope);
      expect(audit.statusCode, audit.body).toBe(201);
    }
  }, 120_000);

  /** Opens every section on the phone, in `locale`, and returns what each measured. */
  const visitAll = async (locale: 'zh-CN' | 'en'): Promise<Record<string, Layout>> => {
    const context = await suite.browser.newContext({ viewport: PHONE, locale, reducedMotion: 'reduce' });
    const [name, ...value] = officer.cookie.split('=');
    await context.addCookies([{ name: name!, value: value.join('='), url: suite.base }]);
    await context.addInitScript((chosen: string) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('qingliu.locale', chosen), locale);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const found: Record<string, Layout> = {};
    try {
      for (const section of SECTIONS) {
        await page.goto(`${suite.base}/compliance#/${section.route}`);
        await page.locator(`[data-testid="compliance-section"][data-section="${section.route}"]`).waitFor();
        await section.open?.(page);
        await page.locator(section.ready).first().waitFor();
        // Charts draw after their data arrives; let the layout settle.
        await page.waitForLoadState('networkidle');
        found[section.route] = await page.evaluate(measure);
      }
    } finally {
      await context.close();
    }
    expect(errors).toEqual([]);
    return found;
  };

  const check = (found: Record<string, Layout>): void => {
    const overflowing = Object.entries(found)
      .filter(([, layout]) => layout.overflow > 0)
      .map(([route, layout]) => `${route}: ${layout.overflow}px (${layout.cutOff.slice(0, 6).join(', ')})`);
    expect(overflowing, 'sections wider than the screen').toEqual([]);
    for (const [route, layout] of Object.entries(found)) {
      expect(layout.cutOff, `${route}: cut off at the right edge`).toEqual([]);
      expect(layout.wideCodes, `${route}: ids and hashes that do not wrap`).toEqual([]);
      for (const table of layout.tables) {
        // A table either fits, or scrolls inside a container that fits and reaches its last column.
        if (table.fits) continue;
        expect(table.scroller, `${route}: ${table.id} has no scroll container`).not.toBeNull();
        expect(table.scroller!.right, `${route}: ${table.id}'s container`).toBeLessThanOrEqual(PHONE.width + 1);
        expect(table.scroller!.reachable, `${route}: ${table.id}'s last column`).toBe(true);
      }
    }
    // The wide tables are still there (and some do scroll on a phone).
    expect(Object.values(found).some((layout) => layout.tables.some((table) => !table.fits))).toBe(true);
  };

  it('fits every section on the screen in Chinese', async () => {
    check(await visitAll('zh-CN'));
  }, 120_000);

  it('fits every section on the screen in English', async () => {
    check(await visitAll('en'));
  }, 120_000);
});
