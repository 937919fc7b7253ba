/**
 * LC4 in the pages: once simulated traffic touched a room (demo mode), its viewer page and host
 * console say that the room includes a simulated audience; before that, they say nothing.
 */
import { describe, expect, it } from 'vitest';
import { SIMULATED_HEADER } from '../../src/http/simulated.js';
import { browserSuite, chromiumAvailable } from '../support/browser.js';
import { signIn } from '../support/app.js';

describe.runIf(chromiumAvailable)('a simulated audience is labelled in the pages', () => {
  const suite = browserSuite();

  it('shows no notice before simulated traffic, and a notice on the viewer page and host console after', async () => {
    const context = await suite.browser.newContext({ viewport: { width: 420, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${suite.base}/live/demo`);
    await page.locator('.live-page').waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByTestId('simulated-notice').count()).toBe(0);

    expect((await suite.t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo', headers: { [SIMULATED_HEADER]: '1' } })).statusCode).toBe(200);
    await page.reload();
    await expect.poll(() => page.getByTestId('simulated-notice').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('simulated-notice').innerText()).toContain('含模拟观众');

    const admin = await signIn(suite.t.app, 'admin');
    const staff = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en' });
    const [name, ...value] = admin.cookie.split('=');
    await staff.addCookies([{ name: name!, value: value.join('='), url: suite.base }]);
    const host = await staff.newPage();
    await host.goto(`${suite.base}/host/demo`);
    await expect.poll(() => host.getByTestId('simulated-notice').count(), { timeout: 10_000 }).toBe(1);
    expect(await host.getByTestId('simulated-notice').innerText()).toMatch(/含模拟观众|simulated audience/i);
    await context.close();
    await staff.close();
  }, 60_000);
});
