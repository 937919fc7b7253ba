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

  it('reads the bus URL: memory by default, one or more nats:// servers, anything else refused without echoing it', () => {
    expect(loadConfig({}).busUrl).toBe('memory');
    expect(loadConfig({ QINGLIU_BUS_URL: 'memory' }).busUrl).toBe('memory');
    expect(loadConfig({ QINGLIU_BUS_URL: 'nats://10.0.0.5:4222' }).busUrl).toBe('nats://10.0.0.5:4222');
    expect(loadConfig({ QINGLIU_BUS_URL: 'nats://a.internal, nats://b.internal:4223' }).busUrl).toBe('nats://a.internal:4222,nats://b.internal:4223');
    expect(loadConfig({ QINGLIU_BUS_URL: 'memory' }, { busUrl: 'nats://127.0.0.1:4222' }).busUrl).toBe('nats://127.0.0.1:4222');
    expect(loadConfig({}).busSubjectPrefix).toBe('');
    expect(loadConfig({ QINGLIU_BUS_SUBJECT_PREFIX: 'shop-a' }).busSubjectPrefix).toBe('shop-a');
    expect(() => loadConfig({ QINGLIU_BUS_SUBJECT_PREFIX: 'room.>' })).toThrow(ConfigError);
    for (const bad of ['redis://h:6379', 'nats://', 'nats://h:4222/path', 'nats://user:hunter2@h:4222', 'nats://h:4222,', 'mem', 'tls://h:4222']) {
      let error: unknown;
      try {
        loadConfig({ QINGLIU_BUS_URL: bad });
      } catch (err) {
        error = err;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems, bad).toEqual([expect.stringMatching(/^QINGLIU_BUS_URL must be memory or nats:\/\/host:port/)]);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('parses origins to their origin form', () => {
    expect(loadConfig({ QINGLIU_ALLOWED_ORIGINS: 'https://shop.example/path, http://a.test:8080' }).allowedOrigins).toEqual([
      'https://shop.example',
      'http://a.test:8080',
    ]);
    expect(() => loadConfig({ QINGLIU_ALLOWED_ORIGINS: 'ftp://x' })).toThrow(ConfigError);
  });

  it('reads the fairness settings: defaults, a changed threshold only with its reason, reports kept at least 3 years', () => {
    const d = loadConfig({}).fairness;
    expect(d).toEqual({ ratioThreshold: 0.8, minGroupSize: 30, thresholdReason: null, liveMinutes: 5, scheduleHours: 24, keepDays: 1096, rerank: 'off', rerankHoldout: 0.1 });
    const changed = loadConfig({ QINGLIU_FAIRNESS_RATIO_THRESHOLD: '0.9', QINGLIU_FAIRNESS_THRESHOLD_REASON: 'brand policy of 2026-10' }).fairness;
    expect(changed).toMatchObject({ ratioThreshold: 0.9, thresholdReason: 'brand policy of 2026-10' });
    expect(loadConfig({ QINGLIU_FAIRNESS_RERANK: 'price_band', QINGLIU_FAIRNESS_RERANK_HOLDOUT: '0.2' }).fairness).toMatchObject({ rerank: 'price_band', rerankHoldout: 0.2 });
    let error: unknown;
    try {
      loadConfig({
        QINGLIU_FAIRNESS_RATIO_THRESHOLD: '1.5',
        QINGLIU_FAIRNESS_MIN_GROUP_SIZE: '5',
        QINGLIU_FAIRNESS_KEEP_DAYS: '365',
        QINGLIU_FAIRNESS_RERANK: 'sellers',
        QINGLIU_FAIRNESS_RERANK_HOLDOUT: '0.9',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['QINGLIU_FAIRNESS_RATIO_THRESHOLD', 'QINGLIU_FAIRNESS_MIN_GROUP_SIZE', 'QINGLIU_FAIRNESS_KEEP_DAYS', 'QINGLIU_FAIRNESS_RERANK ', 'QINGLIU_FAIRNESS_RERANK_HOLDOUT']) {
      expect(problems).toContain(key);
    }
    expect(() => loadConfig({ QINGLIU_FAIRNESS_MIN_GROUP_SIZE: '50' })).toThrow(/QINGLIU_FAIRNESS_THRESHOLD_REASON/);
  });
});
