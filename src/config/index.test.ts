import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('gives working defaults: port 3000 and SQLite under ./data', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toMatch(/^sqlite:.*\/data\/qingliu\.sqlite$/);
    expect(c.publicUrl).toBe('http://127.0.0.1:3000');
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.ws)).toBe(true);
  });

  it('lists every invalid setting in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://u:secret@h/db', QINGLIU_SEED_DEMO: 'perhaps' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/);
    // A database URL may hold a password: it is never echoed.
    expect((error as Error).message).not.toContain('secret');
  });

  it('lets command-line overrides win and resolves data paths', () => {
    const c = loadConfig({ PORT: '4000', QINGLIU_DATA_DIR: '/tmp/q' }, { port: 5000, databaseUrl: 'postgres://u@h:5432/db' });
    expect(c.port).toBe(5000);
    expect(c.databaseUrl).toBe('postgres://u@h:5432/db');
    expect(loadConfig({ QINGLIU_DATA_DIR: '/tmp/q' }).databaseUrl).toBe('sqlite:/tmp/q/qingliu.sqlite');
  });

  it('parses origins to their origin form', () => {
    expect(loadConfig({ QINGLIU_ALLOWED_ORIGINS: 'https://shop.example/path, http://a.test:8080' }).allowedOrigins).toEqual([
      'https://shop.example',
      'http://a.test:8080',
    ]);
    expect(() => loadConfig({ QINGLIU_ALLOWED_ORIGINS: 'ftp://x' })).toThrow(ConfigError);
  });
});
