/** Builds the real app in process (inject, or listen on a free loopback port) on a chosen database. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { systemContext, type StaffRole } from '../../src/context/index.js';
import { freshStorage, type Dialect } from './databases.js';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  close(): Promise<void>;
}

export async function testApp(
  dialect: Dialect = 'sqlite',
  options: { env?: Record<string, string>; deps?: Omit<AppDeps, 'storage'>; seed?: boolean } = {},
): Promise<TestApp> {
  const { storage, dispose } = await freshStorage(dialect);
  // Each app its own data directory: key files never shared between parallel tests.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-test-'));
  const config = loadConfig(
    // Test workers run whole simulations on the app's own thread, which a node never does: shedding on
    // event-loop delay stays off here unless a test turns it on (test/e2e/overload.test.ts).
    { LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dataDir, QINGLIU_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...options.env },
    { databaseUrl: 'sqlite::memory:', seedDemo: options.seed ?? true },
  );
  const app = await buildApp(config, { logger: false, ...options.deps, storage });
  return {
    app,
    config,
    async close() {
      await app.close();
      await dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
export const TEST_PASSWORD = 'correct horse battery staple';

/** Creates a staff account and signs it in; returns the cookie header to send. */
export async function signIn(app: FastifyInstance, role: StaffRole, name = `${role}${++counter}`): Promise<{ cookie: string; id: string; name: string }> {
  const created = await app.services.staff.addUser(systemContext('test'), { name, role, password: TEST_PASSWORD });
  if (!created.ok) throw new Error(`could not create ${name}: ${created.code}`);
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name, password: TEST_PASSWORD } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const setCookie = res.headers['set-cookie'];
  const raw = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return { cookie: raw.split(';')[0]!, id: created.value.id, name };
}

/** Product ids of the demo session, in showcase order. */
export async function demoProductIds(app: FastifyInstance): Promise<string[]> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/sessions/demo' });
  return (res.json() as { products: { id: string }[] }).products.map((p) => p.id);
}
