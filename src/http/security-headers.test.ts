import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { API_SECURITY_HEADERS, installSecurityHeaders, securityHeaders } from './security-headers.js';

describe('securityHeaders', () => {
  it('computes helmet’s headers once, with our policy', () => {
    const h = securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], mediaSrc: ["'self'", 'https:'] } }, hsts: false });
    expect(h['content-security-policy']).toContain("media-src 'self' https:");
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['x-frame-options']).toBe('SAMEORIGIN');
    expect(h['strict-transport-security']).toBeUndefined();
    expect(h['x-powered-by']).toBeUndefined();
  });

  it('refuses an invalid policy at start-up', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ['self'] } } })).toThrow();
  });

  it('sends pages the full policy and API responses the short API set', async () => {
    const app = Fastify({ logger: false });
    installSecurityHeaders(app, { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } }, hsts: false });
    app.get('/live/demo', async (_request, reply) => reply.type('text/html').send('<!doctype html>'));
    app.get('/api/v1/thing', async () => ({ ok: true }));
    app.get('/api/docs', async (_request, reply) => reply.type('text/html').send('<!doctype html>'));
    try {
      for (const url of ['/live/demo', '/api/docs']) {
        const page = await app.inject(url);
        expect(page.headers['content-security-policy']).toContain("default-src 'self'");
        expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
        expect(page.headers['x-content-type-options']).toBe('nosniff');
      }
      const api = await app.inject('/api/v1/thing');
      for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) expect(api.headers[name]).toBe(value);
      expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(api.headers['x-xss-protection']).toBeUndefined();
      // Unknown API paths (404s) are API responses too.
      expect((await app.inject('/api/v1/nothing-here')).headers['x-frame-options']).toBe('DENY');
    } finally {
      await app.close();
    }
  });
});
