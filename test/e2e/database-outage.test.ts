/**
 * A node that loses PostgreSQL: not ready, refuses writes with 503 NOT_READY and Retry-After (never a
 * 500, never a half-kept write), keeps serving what needs no database, and recovers by itself when
 * the server is back. PostgreSQL is reached through a loopback proxy that the test cuts.
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { demoProductIds } from '../support/app.js';
import { DIALECTS, POSTGRES_URL, freshStorage } from '../support/databases.js';
import { tcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/ws.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

describe.skipIf(!DIALECTS.includes('postgres'))('a node whose PostgreSQL goes away', () => {
  it('is not ready, answers writes with NOT_READY and Retry-After, and recovers by itself', async () => {
    const target = new URL(POSTGRES_URL);
    const proxy = await tcpProxy(target.hostname, Number(target.port || 5432), 'postgres:');
    const { storage, dispose } = await freshStorage('postgres', { viaPort: proxy.port });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-outage-'));
    const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dataDir }, { seedDemo: true }), { logger: false, storage });
    try {
      const [productId] = await demoProductIds(app);
      const cart = (clientEventId: string) => app.inject({ method: 'POST', url: '/api/v1/sessions/demo/events', payload: { type: 'add_to_cart', clientEventId, productId } });
      expect((await cart('outage-cart-before')).statusCode).toBe(202);

      await proxy.cut();
      const down = await cart('outage-cart-during');
      expect(down.statusCode).toBe(503);
      expect(down.headers['retry-after']).toBe('2');
      expect(down.json()).toMatchObject({ code: 'NOT_READY', retryAfterSeconds: 2 });
      expect(down.body).not.toContain('127.0.0.1'); // no connection details leak
      await waitFor(async () => ((await app.inject('/readyz')).statusCode === 503 ? true : undefined), 'readiness to fail', 10_000);
      expect((await app.inject('/healthz')).statusCode).toBe(200);

      await proxy.restore();
      // The pool dials again by itself; the resend (same id) is stored once.
      await waitFor(async () => ((await app.inject('/readyz')).statusCode === 200 ? true : undefined), 'readiness to return', 15_000);
      const again = await cart('outage-cart-during');
      expect(again.statusCode).toBe(202);
      expect(again.json()).toMatchObject({ duplicate: false });
      expect((await cart('outage-cart-during')).json()).toMatchObject({ duplicate: true });
      const rows = await storage.db.selectFrom('room_events').select('client_event_id').where('client_event_id', 'like', 'outage-cart-%').orderBy('client_event_id').execute();
      expect(rows.map((r) => r.client_event_id)).toEqual(['outage-cart-before', 'outage-cart-during']);
    } finally {
      await app.close();
      await dispose();
      await proxy.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
