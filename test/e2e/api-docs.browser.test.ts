/**
 * The API docs page (Swagger UI at /api/docs) in a real browser: it renders every operation, under
 * its strict Content-Security-Policy, without a console error.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, chromiumAvailable } from '../support/browser.js';

describe.runIf(chromiumAvailable)('the API docs page in a real browser', () => {
  const suite = browserSuite();

  it('renders every operation with no console error and no inline script allowed', async () => {
    const page = await suite.browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const res = await page.goto(`${suite.base}/api/docs`, { waitUntil: 'networkidle' });
    expect(res?.status()).toBe(200);
    const csp = res!.headers()['content-security-policy']!;
    expect(csp).toMatch(/script-src 'self' ;/);
    expect(csp).not.toContain('unsafe-inline');
    await page.locator('.opblock').first().waitFor();
    const spec = (await suite.t.app.inject('/api/docs/json')).json() as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(spec.paths).reduce((n, methods) => n + Object.keys(methods).filter((m) => m !== 'parameters').length, 0);
    expect(await page.locator('.opblock').count()).toBe(operations);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
