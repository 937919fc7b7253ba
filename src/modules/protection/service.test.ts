import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../../storage/index.js';
import { KyselyDataKeyStore, KyselyPseudonymStore } from './adapters/protection.kysely.js';
import { ProtectionError, type ProtectionErrorCode } from './errors.js';
import { EnvKeyProvider } from './key-provider.js';
import type { WrappedDataKey } from './ports.js';
import { ProtectionService, startProtection, type ProtectionOptions } from './service.js';

const FIELD = { table: 'viewers', column: 'nickname', rowId: 'row-1' };

class CountingStore extends KyselyDataKeyStore {
  gets = 0;
  /** When set, get() waits for it (to interleave an erasure with a load in flight). */
  gate: Promise<void> | undefined;
  override async get(subject: string): Promise<WrappedDataKey | undefined> {
    this.gets++;
    const row = await super.get(subject);
    if (this.gate) await this.gate;
    return row;
  }
}

let storage: Storage;
let store: CountingStore;
let now: number;
const clock = { now: () => now };
const provider = () => new EnvKeyProvider({ keks: `k1:${randomBytes(32).toString('base64')}`, pseudonymRoot: randomBytes(32).toString('base64') });

async function service(options: ProtectionOptions = {}) {
  return ProtectionService.start({ dataKeys: store, pseudonyms: new KyselyPseudonymStore(storage.db), provider: provider(), clock }, options);
}

async function rejectsWith(promise: Promise<unknown>, code: ProtectionErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProtectionError);
  expect((err as ProtectionError).code).toBe(code);
}

beforeEach(async () => {
  storage = await openStorage('sqlite::memory:');
  store = new CountingStore(storage.db);
  now = 1_000_000;
});
afterEach(async () => storage.close());

describe('ProtectionService', () => {
  it('creates a data key on first seal and serves later ones from memory', async () => {
    const p = await service();
    const envelope = await p.sealFor('alice', FIELD, 'Alice 13800138000');
    expect(envelope.includes(Buffer.from('Alice'))).toBe(false);
    const loadsAfterFirst = store.gets;
    expect((await p.openFor('alice', FIELD, envelope)).toString()).toBe('Alice 13800138000');
    await p.sealFor('alice', FIELD, 'again');
    expect(store.gets).toBe(loadsAfterFirst); // cache hits only
    expect(await p.openTextFor('alice', FIELD, await p.sealTextFor('alice', FIELD, '昵称'))).toBe('昵称');
  });

  it('keeps at most cacheSize keys in memory, least recently used out first', async () => {
    const p = await service({ cacheSize: 2 });
    const a = await p.sealFor('a', FIELD, 'A');
    await p.sealFor('b', FIELD, 'B');
    await p.openFor('a', FIELD, a); // a is now most recent
    await p.sealFor('c', FIELD, 'C'); // evicts b
    expect(p.cachedKeyCount).toBe(2);
    const before = store.gets;
    await p.openFor('a', FIELD, a);
    expect(store.gets).toBe(before);
    await p.sealFor('b', FIELD, 'B2');
    expect(store.gets).toBe(before + 1);
  });

  it('reloads a key once its time in memory is up', async () => {
    const p = await service({ cacheTtlMs: 1000 });
    const envelope = await p.sealFor('a', FIELD, 'A');
    const before = store.gets;
    now += 999;
    await p.openFor('a', FIELD, envelope);
    expect(store.gets).toBe(before);
    now += 1;
    await p.openFor('a', FIELD, envelope);
    expect(store.gets).toBe(before + 1);
  });

  it('drops the key on shred: cached values can no longer be opened', async () => {
    const p = await service();
    const envelope = await p.sealFor('alice', FIELD, 'secret');
    expect(p.cachedKeyCount).toBe(1);
    expect(await p.shred('alice')).toEqual({ dataKeyDestroyed: true, pseudonymsDeleted: 0 });
    expect(p.cachedKeyCount).toBe(0);
    await rejectsWith(p.openFor('alice', FIELD, envelope), 'DATA_KEY_DESTROYED');
    expect(await p.shred('alice')).toEqual({ dataKeyDestroyed: false, pseudonymsDeleted: 0 });
  });

  it('does not let a load that was in flight during a shred refill the cache', async () => {
    const p = await service();
    const envelope = await p.sealFor('alice', FIELD, 'secret');
    p.forget('alice'); // next open loads from the database
    let release!: () => void;
    store.gate = new Promise((resolve) => (release = resolve));
    const inFlight = p.openFor('alice', FIELD, envelope); // read the row before the erasure
    await new Promise((resolve) => setTimeout(resolve, 10));
    store.gate = undefined;
    await p.shred('alice');
    release();
    // The read that began before the erasure may finish; nothing it loaded stays behind.
    expect((await inFlight).toString()).toBe('secret');
    expect(p.cachedKeyCount).toBe(0);
    await rejectsWith(p.openFor('alice', FIELD, envelope), 'DATA_KEY_DESTROYED');
  });

  it('refuses values of another subject, unknown subjects, and bad input', async () => {
    const p = await service();
    const envelope = await p.sealFor('alice', FIELD, 'secret');
    await p.sealFor('bob', FIELD, 'other');
    await rejectsWith(p.openFor('bob', FIELD, envelope), 'DECRYPT_FAILED');
    await rejectsWith(p.openFor('carol', FIELD, envelope), 'DATA_KEY_UNKNOWN');
    await rejectsWith(p.openFor('alice', { ...FIELD, rowId: 'row-2' }, envelope), 'DECRYPT_FAILED');
    await rejectsWith(p.sealFor('', FIELD, 'x'), 'INVALID_INPUT');
    await rejectsWith(p.sealFor('alice', { ...FIELD, column: '' }, 'x'), 'INVALID_INPUT');
  });

  it('agrees on one data key when a subject is sealed for concurrently', async () => {
    // Two services (two nodes) on one database and one key provider.
    const shared = provider();
    const n1 = await ProtectionService.start({ dataKeys: store, pseudonyms: new KyselyPseudonymStore(storage.db), provider: shared, clock });
    const n2 = await ProtectionService.start({ dataKeys: new KyselyDataKeyStore(storage.db), pseudonyms: new KyselyPseudonymStore(storage.db), provider: shared, clock });
    const [e1, e2] = await Promise.all([n1.sealFor('s', FIELD, 'one'), n2.sealFor('s', FIELD, 'two')]);
    expect((await n2.openFor('s', FIELD, e1)).toString()).toBe('one');
    expect((await n1.openFor('s', FIELD, e2)).toString()).toBe('two');
    expect(await storage.db.selectFrom('data_keys').select('key_id').execute()).toHaveLength(1);
  });

  it('records the device ↔ pseudonym mapping once, sealed, and forgets it on shred', async () => {
    const p = await service();
    const device = 'device-8a7f';
    const pseudonym = await p.pseudonymFor(device, 'recommendations', 'cn');
    expect(await p.pseudonymFor(device, 'recommendations', 'cn')).toBe(pseudonym);
    expect(await p.pseudonymFor(device, 'analytics', 'cn')).not.toBe(pseudonym);
    const subject = p.subjectFor(device, 'cn');
    const rows = await storage.db.selectFrom('pseudonyms').selectAll().execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.subject_id).toBe(subject);
      expect(row.device_id_sealed).not.toContain(device);
    }
    expect(await p.devicesOf(subject)).toEqual([
      { purpose: 'analytics', region: 'cn', pseudonym: expect.any(String), deviceId: device },
      { purpose: 'recommendations', region: 'cn', pseudonym, deviceId: device },
    ]);
    expect(await p.shred(subject)).toEqual({ dataKeyDestroyed: true, pseudonymsDeleted: 2 });
    expect(await p.devicesOf(subject)).toEqual([]);
    // Seen again after erasure (and only if the caller asks): recorded afresh under a new key.
    await p.pseudonymFor(device, 'recommendations', 'cn');
    expect(await p.devicesOf(subject)).toHaveLength(1);
  });

  it('starts from environment keys or a given provider, and refuses other keys over existing data', async () => {
    const keks = `k1:${randomBytes(32).toString('base64')}`;
    const pseudonymRoot = randomBytes(32).toString('base64');
    const stores = { dataKeys: store, pseudonyms: new KyselyPseudonymStore(storage.db) };
    const p = await startProtection(stores, { kind: 'env', keks, pseudonymRoot }, clock);
    const envelope = await p.sealFor('alice', FIELD, 'secret');
    const same = await startProtection(stores, { kind: 'provider', provider: new EnvKeyProvider({ keks, pseudonymRoot }) }, clock);
    expect((await same.openFor('alice', FIELD, envelope)).toString()).toBe('secret');
    await rejectsWith(startProtection(stores, { kind: 'env', keks, pseudonymRoot: randomBytes(32).toString('base64') }, clock), 'KEY_MATERIAL_MISMATCH');
    await rejectsWith(startProtection(stores, { kind: 'env', keks: `k1:${randomBytes(32).toString('base64')}`, pseudonymRoot }, clock), 'KEY_MATERIAL_MISMATCH');
    // One wrapped key altered as text does not pass for wrong key material while another opens.
    await p.sealFor('bob', FIELD, 'x');
    await storage.db.updateTable('data_keys').set({ wrapped_key: 'AAAA' }).where('subject_id', '=', 'alice').execute();
    const restarted = await startProtection(stores, { kind: 'env', keks, pseudonymRoot }, clock);
    await rejectsWith(restarted.openFor('alice', FIELD, envelope), 'DECRYPT_FAILED');
  });
});
