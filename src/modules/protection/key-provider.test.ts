import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProtectionError, type ProtectionErrorCode } from './errors.js';
import { EnvKeyProvider, LocalFileKeyProvider } from './key-provider.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-keys-'));
  file = path.join(dir, 'keys', 'keyring.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function rejectsWith(promise: Promise<unknown>, code: ProtectionErrorCode, message?: RegExp): Promise<ProtectionError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProtectionError);
  expect((err as ProtectionError).code).toBe(code);
  if (message) expect((err as ProtectionError).message).toMatch(message);
  return err as ProtectionError;
}

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;
const dataKey = () => randomBytes(32);

describe('LocalFileKeyProvider', () => {
  it('creates the keyring on first start: mode 0600 in a 0700 directory, no temporary files left', async () => {
    const provider = await LocalFileKeyProvider.open(file, { create: true });
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(path.dirname(file))).toBe(0o700);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['keyring.json']);
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { format: string; current: string; keks: { id: string; key: string }[] };
    expect(json.format).toBe('qingliu-keyring');
    expect(json.keks.map((k) => k.id)).toEqual([await provider.currentKekId()]);
    expect(Buffer.from(json.keks[0]!.key, 'base64')).toHaveLength(32);
    // A second start reads the same keys instead of making new ones.
    const again = await LocalFileKeyProvider.open(file, { create: true });
    expect(await again.currentKekId()).toBe(await provider.currentKekId());
    expect((await again.pseudonymRootKey()).equals(await provider.pseudonymRootKey())).toBe(true);
  });

  it('never creates the file when told the database already holds protected data', async () => {
    await rejectsWith(LocalFileKeyProvider.open(file, { create: false }), 'KEY_MATERIAL_MISSING', /does not exist.*never creates new keys/s);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('says the key file cannot be created, naming it, when its folder cannot be made (and never hangs on one that refuses entries)', async () => {
    fs.writeFileSync(path.join(dir, 'plain'), '');
    await rejectsWith(LocalFileKeyProvider.open(path.join(dir, 'plain', 'keys', 'keyring.json'), { create: true }), 'KEY_FILE_UNWRITABLE', /keyring\.json cannot be created \(ENOTDIR\).*QINGLIU_KEY_FILE/);
    if (process.platform === 'linux') {
      const err = await rejectsWith(LocalFileKeyProvider.open('/proc/qingliu-no-such/keyring.json', { create: true }), 'KEY_FILE_UNWRITABLE', /cannot be created \(ENOENT\)/);
      expect(err.stopsStartup).toBe(true);
    }
  });

  it('refuses a key file other users can read or write', async () => {
    await LocalFileKeyProvider.open(file, { create: true });
    for (const mode of [0o640, 0o604, 0o620, 0o644]) {
      fs.chmodSync(file, mode);
      await rejectsWith(LocalFileKeyProvider.open(file, { create: true }), 'KEY_MATERIAL_UNREADABLE', /accessible to other users.*chmod 600/);
    }
    fs.chmodSync(file, 0o400);
    await expect(LocalFileKeyProvider.open(file, { create: true })).resolves.toBeInstanceOf(LocalFileKeyProvider);
  });

  it('refuses damaged keyrings with one clear message and never overwrites them', async () => {
    await LocalFileKeyProvider.open(file, { create: true });
    const good = fs.readFileSync(file, 'utf8');
    const cases: [string, RegExp][] = [
      [good.slice(0, good.length / 2), /not JSON/],
      ['{}', /format/],
      [good.replace(/"key": "[^"]+"/, '"key": "c2hvcnQ="'), /is not 32 bytes/],
      [good.replace(/"current": "[^"]+"/, '"current": "nope"'), /"current" names no listed key/],
    ];
    for (const [content, message] of cases) {
      fs.writeFileSync(file, content, { mode: 0o600 });
      await rejectsWith(LocalFileKeyProvider.open(file, { create: true }), 'KEY_MATERIAL_UNREADABLE', message);
      expect(fs.readFileSync(file, 'utf8')).toBe(content);
    }
  });

  it('wraps and unwraps bound to the subject and the KEK id', async () => {
    const provider = await LocalFileKeyProvider.open(file, { create: true });
    const kek = await provider.currentKekId();
    const key = dataKey();
    const wrapped = await provider.wrap(kek, key, { subject: 'alice' });
    expect(wrapped.includes(key)).toBe(false);
    expect((await provider.unwrap(kek, wrapped, { subject: 'alice' })).equals(key)).toBe(true);
    await rejectsWith(provider.unwrap(kek, wrapped, { subject: 'bob' }), 'DECRYPT_FAILED');
    await rejectsWith(provider.unwrap('kek-unknown', wrapped, { subject: 'alice' }), 'KEK_UNKNOWN');
    const tampered = Buffer.from(wrapped);
    tampered[tampered.length - 1]! ^= 1;
    await rejectsWith(provider.unwrap(kek, tampered, { subject: 'alice' }), 'DECRYPT_FAILED');
  });

  it('adds KEKs that another process (the server) picks up, while old wrapped keys still open', async () => {
    const server = await LocalFileKeyProvider.open(file, { create: true });
    const oldKek = await server.currentKekId();
    const key = dataKey();
    const wrappedOld = await server.wrap(oldKek, key, { subject: 's' });

    const cli = await LocalFileKeyProvider.open(file, { create: false }); // `qingliu keys rotate`
    const newKek = await cli.addKek();
    expect(newKek).not.toBe(oldKek);
    expect(modeOf(file)).toBe(0o600);
    const wrappedNew = await cli.wrap(newKek, key, { subject: 's' });

    // The server has the keyring in memory: an unknown id makes it re-read the file.
    expect((await server.unwrap(newKek, wrappedNew, { subject: 's' })).equals(key)).toBe(true);
    expect((await server.unwrap(oldKek, wrappedOld, { subject: 's' })).equals(key)).toBe(true);
    expect(await server.currentKekId()).toBe(newKek);
    const keks = await server.keks();
    expect(keks.find((k) => k.id === oldKek)?.supersededAt).toBeTypeOf('number');
    expect(keks.find((k) => k.id === newKek)?.current).toBe(true);

    await rejectsWith(cli.retireKek(newKek), 'INVALID_INPUT');
    await cli.retireKek(oldKek);
    // The server drops the retired KEK when it next looks at the keyring.
    expect((await server.keks()).map((k) => k.id)).toEqual([newKek]);
    await rejectsWith(server.unwrap(oldKek, wrappedOld, { subject: 's' }), 'KEK_UNKNOWN');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['keyring.json']);
  });

  it('serialises concurrent changes to the keyring (nothing is lost)', async () => {
    const a = await LocalFileKeyProvider.open(file, { create: true });
    const b = await LocalFileKeyProvider.open(file, { create: false });
    const added = await Promise.all([a.addKek(), b.addKek(), a.addKek(), b.addKek()]);
    const reread = await LocalFileKeyProvider.open(file, { create: false });
    const ids = (await reread.keks()).map((k) => k.id);
    for (const id of added) expect(ids).toContain(id);
    expect(ids).toHaveLength(5);
  });

  it('agrees on one keyring when two processes create it at once', async () => {
    const [a, b] = await Promise.all([LocalFileKeyProvider.open(file, { create: true }), LocalFileKeyProvider.open(file, { create: true })]);
    expect(await a.currentKekId()).toBe(await b.currentKekId());
    expect((await a.pseudonymRootKey()).equals(await b.pseudonymRootKey())).toBe(true);
  });

  it('takes over a lock left by a process that died', async () => {
    const provider = await LocalFileKeyProvider.open(file, { create: true });
    fs.writeFileSync(`${file}.lock`, '2147483646', { mode: 0o600 }); // no such pid
    await expect(provider.addKek()).resolves.toMatch(/^kek-/);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('EnvKeyProvider', () => {
  const b64 = () => randomBytes(32).toString('base64');

  it('takes the first listed KEK as current and keeps the others for unwrapping', async () => {
    const older = b64();
    const first = new EnvKeyProvider({ keks: `old:${older}`, pseudonymRoot: b64() });
    const key = dataKey();
    const wrapped = await first.wrap('old', key, { subject: 's' });
    const provider = new EnvKeyProvider({ keks: ` new:${b64()} , old:${older}`, pseudonymRoot: b64() });
    expect(await provider.currentKekId()).toBe('new');
    expect((await provider.keks()).map((k) => k.id)).toEqual(['new', 'old']);
    expect((await provider.unwrap('old', wrapped, { subject: 's' })).equals(key)).toBe(true);
    await rejectsWith(provider.addKek(), 'KEY_PROVIDER_UNSUPPORTED');
    expect(provider.capabilities).toEqual({ addKeks: false, retireKeks: false });
  });

  it('accepts base64url as well as standard base64', async () => {
    const raw = randomBytes(32);
    const provider = new EnvKeyProvider({ keks: `k1:${raw.toString('base64url')}`, pseudonymRoot: raw.toString('base64') });
    expect(await provider.currentKekId()).toBe('k1');
  });

  it('reports every problem in one message and never echoes key material', () => {
    const secret = randomBytes(16).toString('base64');
    let err: unknown;
    try {
      new EnvKeyProvider({ keks: `a:${secret},bad id:${b64()},a:${b64()}`, pseudonymRoot: secret });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtectionError);
    const message = (err as ProtectionError).message;
    expect((err as ProtectionError).code).toBe('KEY_MATERIAL_UNREADABLE');
    expect((err as ProtectionError).stopsStartup).toBe(true);
    expect(message).toMatch(/QINGLIU_KEKS key "a" is not 32 bytes/);
    expect(message).toMatch(/QINGLIU_KEKS entry 2/);
    expect(message).toMatch(/QINGLIU_PSEUDONYM_KEY must be 32 bytes/);
    expect(message).not.toContain(secret);
    expect(() => new EnvKeyProvider({ keks: '', pseudonymRoot: b64() })).toThrow(/is empty/);
  });
});
