import { describe, expect, it } from 'vitest';
import { homeForRole, loginUrl, safeNextPath, sessionIdFromPath } from './location.ts';

describe('sessionIdFromPath', () => {
  it('reads the id after the prefix', () => {
    expect(sessionIdFromPath('/live/demo', 'live')).toBe('demo');
    expect(sessionIdFromPath('/live/demo/', 'live')).toBe('demo');
    expect(sessionIdFromPath('/host/spring-2026', 'host')).toBe('spring-2026');
    expect(sessionIdFromPath('/live/%E6%98%A5', 'live')).toBe('春');
  });

  it('is null without an id or with the wrong prefix', () => {
    expect(sessionIdFromPath('/live/', 'live')).toBeNull();
    expect(sessionIdFromPath('/live.html', 'live')).toBeNull();
    expect(sessionIdFromPath('/host/demo', 'live')).toBeNull();
    expect(sessionIdFromPath('/live/a/b', 'live')).toBeNull();
    expect(sessionIdFromPath('/live/%E6', 'live')).toBeNull();
  });
});

describe('safeNextPath', () => {
  it('keeps same-origin paths', () => {
    expect(safeNextPath('/host/demo')).toBe('/host/demo');
    expect(safeNextPath('/compliance#/rights')).toBe('/compliance#/rights');
  });

  it('drops other origins and junk', () => {
    for (const bad of [null, '', 'https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)', 'host/demo', '/x\ny']) {
      expect(safeNextPath(bad), String(bad)).toBeNull();
    }
  });
});

describe('homeForRole and loginUrl', () => {
  it('sends compliance to its console and everyone else to the demo host console', () => {
    expect(homeForRole('compliance')).toBe('/compliance');
    expect(homeForRole('host')).toBe('/host/demo');
    expect(homeForRole('admin')).toBe('/host/demo');
  });

  it('encodes the return path', () => {
    expect(loginUrl('/host/demo?x=1')).toBe('/login?next=%2Fhost%2Fdemo%3Fx%3D1');
  });
});
