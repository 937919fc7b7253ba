import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../errors/index.js';
import { FileSigningKeyStore, accessLogKeyFile } from './signing-key.file.js';

describe('FileSigningKeyStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-key-'));
    file = accessLogKeyFile(path.join(dir, 'data'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof AppError ? err.code : 'other';
    }
    return 'none';
  };

  it('a folder that cannot be made is AUDIT_KEY_UNAVAILABLE naming the key file, never a hang', () => {
    fs.writeFileSync(path.join(dir, 'plain'), '');
    expect(code(() => new FileSigningKeyStore(path.join(dir, 'plain', 'keys', 'access-log.pem')).create())).toBe('AUDIT_KEY_UNAVAILABLE');
    if (process.platform === 'linux') {
      const store = new FileSigningKeyStore('/proc/qingliu-no-such/access-log.pem');
      expect(() => store.create()).toThrow('cannot create the folder of the access-log key /proc/qingliu-no-such/access-log.pem (ENOENT)');
    }
  });

  it('has no key at first; makes one 0600 PKCS#8 file that loads as the same key and signs', () => {
    const store = new FileSigningKeyStore(file);
    expect(store.load()).toBeUndefined();
    const made = store.create();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const loaded = new FileSigningKeyStore(file).load()!;
    expect(loaded.keyId).toBe(made.keyId);
    expect(loaded.keyId).toMatch(/^[0-9a-f]{16}$/);
    const message = Buffer.from('checkpoint');
    expect(loaded.verify(message, made.sign(message))).toBe(true);
    expect(loaded.verify(Buffer.from('checkpoinT'), made.sign(message))).toBe(false);
  });

  it('never replaces an existing key: create returns the one already there', () => {
    const first = new FileSigningKeyStore(file).create();
    const before = fs.readFileSync(file, 'utf8');
    expect(new FileSigningKeyStore(file).create().keyId).toBe(first.keyId);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses a key other users can read, a damaged key, a non-Ed25519 key and a directory, with AUDIT_KEY_UNAVAILABLE', () => {
    const store = new FileSigningKeyStore(file);
    store.create();
    fs.chmodSync(file, 0o644);
    expect(code(() => store.load())).toBe('AUDIT_KEY_UNAVAILABLE');
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 40));
    expect(code(() => store.load())).toBe('AUDIT_KEY_UNAVAILABLE');
    // A damaged key is not "missing": create must not quietly replace it either.
    expect(code(() => store.create())).toBe('AUDIT_KEY_UNAVAILABLE');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    fs.writeFileSync(file, ec, { mode: 0o600 });
    expect(code(() => store.load())).toBe('AUDIT_KEY_UNAVAILABLE');
    fs.rmSync(file);
    fs.mkdirSync(file);
    expect(code(() => store.load())).toBe('AUDIT_KEY_UNAVAILABLE');
  });
});
