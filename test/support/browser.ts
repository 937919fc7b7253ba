/**
 * The browser suites' shared setup: Debian's Chromium through playwright-core (no browser is ever
 * downloaded), required in CI, skipped with a printed reason elsewhere; and the app listening on a
 * loopback port.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { testApp, type TestApp } from './app.js';

export const CHROMIUM = process.env.QINGLIU_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI) throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing (.ci/run installs it)`);
if (!chromiumAvailable) console.warn(`[tests] browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Makes the app listen on a free loopback port and returns its http:// base URL. */
export async function listenLocally(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/**
 * A suite's app (on SQLite, listening on a loopback port) and Chromium: started before its tests,
 * closed after them. Read the fields inside tests and hooks, once the suite has started.
 */
export function browserSuite(): { t: TestApp; browser: Browser; base: string } {
  const suite = {} as { t: TestApp; browser: Browser; base: string };
  beforeAll(async () => {
    suite.t = await testApp('sqlite');
    suite.base = await listenLocally(suite.t.app);
    suite.browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.t?.close();
  });
  return suite;
}
