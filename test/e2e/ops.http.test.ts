/** Health, readiness and metrics, on every database: readiness follows the database. */
import { describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

describe.each(DIALECTS)('operations endpoints on %s', (dialect) => {
  it('reports live, ready and metrics; not ready once the database is gone, while still serving', async () => {
    const t = await testApp(dialect);
    try {
      expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
      expect((await t.app.inject('/readyz')).json()).toEqual({ status: 'ready', storage: dialect, bus: 'memory' });

      await t.app.inject('/api/v1/products?limit=1');
      const metrics = await t.app.inject('/metrics');
      expect(metrics.headers['content-type']).toContain('text/plain');
      expect(metrics.body).toMatch(/qingliu_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/products",status="200"\} 1/);
      expect(metrics.body).toContain('qingliu_ws_connections');
      // Route templates only: never a raw URL that could carry an id.
      expect(metrics.body).not.toContain('limit=1');

      await t.app.services.storage.close();
      const ready = await t.app.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['content-type']).toContain('application/problem+json');
      expect(ready.json()).toMatchObject({ code: 'NOT_READY' });
      expect((await t.app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
