import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.js';

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
});
