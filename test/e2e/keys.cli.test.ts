/** `qingliu keys rotate` as a child process: re-wraps every data key, and refuses bad input in one message. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/index.js';
import { loadConfig } from '../../src/config/index.js';
import { startProtectionFor } from '../../src/app.js';
import { systemClock } from '../../src/context/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-keys-'));
const db = `sqlite:${path.join(dir, 'q.sqlite')}`;
const env = { ...process.env, QINGLIU_DATA_DIR: dir, LOG_LEVEL: 'silent' };
const run = (...args: string[]) => spawnSync(process.execPath, ['bin/qingliu.js', ...args], { env, encoding: 'utf8', timeout: 60_000 });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qingliu keys rotate', () => {
  it('re-wraps every data key under a new key-encryption key, and the values still open', async () => {
    const config = loadConfig({ QINGLIU_DATA_DIR: dir }, { databaseUrl: db });
    let storage = await openStorage(db);
    let protection = await startProtectionFor(config, storage, systemClock);
    const field = { table: 't', column: 'c', rowId: '1' };
    const sealed = await Promise.all(['a', 'b', 'c'].map((s) => protection.sealTextFor(`subject-${s}`, field, `secret ${s}`)));
    await storage.close();
    expect(statSync(path.join(dir, 'keys', 'keyring.json')).mode & 0o777).toBe(0o600);

    const r = run('keys', 'rotate', '--db', db, '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.rewrapped).toBe(3);
    expect(report.kekId).not.toBe(report.previousKekId);

    storage = await openStorage(db);
    protection = await startProtectionFor(config, storage, systemClock);
    expect(await Promise.all(['a', 'b', 'c'].map((s, i) => protection.openTextFor(`subject-${s}`, field, sealed[i]!)))).toEqual(['secret a', 'secret b', 'secret c']);
    await storage.close();
  }, 120_000);

  it('refuses a bad batch size with one message and exit 2', () => {
    const r = run('keys', 'rotate', '--db', db, '--batch-size', 'lots');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  }, 60_000);
});
