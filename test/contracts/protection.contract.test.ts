/**
 * Protected storage contract, on every dialect: DataKeyStore and PseudonymStore, rotation while
 * reading, crypto-shredding (proved by scanning the raw SQLite files and every PostgreSQL row for
 * known plaintext), tamper detection, and the start-up refusals for wrong or missing key material.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type Database, type Storage } from '../../src/storage/index.js';
import {
  EnvKeyProvider,
  KyselyDataKeyStore,
  KyselyPseudonymStore,
  LocalFileKeyProvider,
  ProtectionError,
  ProtectionService,
  startProtection,
  type FieldRef,
  type KeyProvider,
  type ProtectionErrorCode,
  type WrappedDataKey,
} from '../../src/modules/protection/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

/** Stands in for another module's table holding sealed values. */
interface ScratchTable {
  id: string;
  subject_id: string;
  payload: string;
}
type ScratchDb = Kysely<Database & { scratch_values: ScratchTable }>;

async function createScratch(db: Kysely<Database>): Promise<ScratchDb> {
  await sql`create table scratch_values (id text primary key, subject_id text not null, payload text not null)`.execute(db);
  return db.withTables<{ scratch_values: ScratchTable }>();
}

const field = (id: string): FieldRef => ({ table: 'scratch_values', column: 'payload', rowId: id });

async function put(db: ScratchDb, p: ProtectionService, subject: string, id: string, plaintext: string): Promise<void> {
  await db.insertInto('scratch_values').values({ id, subject_id: subject, payload: await p.sealTextFor(subject, field(id), plaintext) }).execute();
}

async function read(db: ScratchDb, p: ProtectionService, id: string): Promise<string> {
  const row = await db.selectFrom('scratch_values').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return p.openTextFor(row.subject_id, field(id), row.payload);
}

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

const clock = { now: () => Date.now() };
const b64 = () => randomBytes(32).toString('base64');

/** Personal data that must never appear in clear: Chinese and ASCII, with a unique marker. */
const knownPlaintext = () => `周小明 手机 13800138000 上海市浦东新区世纪大道100号 marker-${randomBytes(8).toString('hex')}`;

/** Every way a secret could sit in a file or row: raw, UTF-16, hex and base64 forms. */
function forms(secret: Buffer | string): Buffer[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  const out = [bytes, Buffer.from(bytes.toString('hex')), Buffer.from(bytes.toString('base64').replace(/=+$/, '')), Buffer.from(bytes.toString('base64url'))];
  if (typeof secret === 'string') {
    out.push(Buffer.from(secret, 'utf16le'));
    // The ASCII marker alone, in case only part of the value leaked.
    const marker = /marker-[0-9a-f]+/.exec(secret)?.[0];
    if (marker) out.push(Buffer.from(marker));
  }
  return out;
}

for (const dialect of DIALECTS) {
  describe(`protected storage on ${dialect}`, () => {
    let t: TestStorage;
    let db: Kysely<Database>;
    let dataKeys: KyselyDataKeyStore;
    let pseudonyms: KyselyPseudonymStore;
    let dir: string;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      db = t.storage.db;
      dataKeys = new KyselyDataKeyStore(db);
      pseudonyms = new KyselyPseudonymStore(db);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-protection-'));
    });
    afterEach(async () => {
      await t.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const keyFile = () => path.join(dir, 'keys', 'keyring.json');
    const startWithFile = (options = {}) => startProtection({ dataKeys, pseudonyms }, { kind: 'file', file: keyFile() }, clock, options);

    describe('DataKeyStore', () => {
      const key = (subject: string, keyId: string, kekId = 'kek-a'): WrappedDataKey => ({
        subject,
        keyId,
        wrappedKey: randomBytes(60),
        kekId,
        createdAt: 5,
      });

      it('keeps the first key created for a subject, even when two are created at once', async () => {
        const [a, b] = await Promise.all([dataKeys.createIfAbsent(key('s', 'k1')), dataKeys.createIfAbsent(key('s', 'k2'))]);
        expect(a).toEqual(b);
        expect(await dataKeys.get('s')).toEqual(a);
        expect(await dataKeys.get('nobody')).toBeUndefined();
      });

      it('destroys by deleting the row, leaving only a tombstone of the key id', async () => {
        await dataKeys.createIfAbsent(key('s', 'k1'));
        expect(await dataKeys.destroy('s', 77)).toBe('k1');
        expect(await dataKeys.get('s')).toBeUndefined();
        expect(await db.selectFrom('data_keys').selectAll().execute()).toEqual([]);
        expect(await db.selectFrom('data_key_tombstones').selectAll().execute()).toEqual([{ key_id: 'k1', destroyed_at: 77 }]);
        expect(await dataKeys.destroyedAt('k1')).toBe(77);
        expect(await dataKeys.destroy('s', 78)).toBeUndefined();
      });

      it('counts keys per KEK, samples one, and keeps write-once facts', async () => {
        expect(await dataKeys.holdsProtectedData()).toBe(false);
        await dataKeys.createIfAbsent(key('a', 'k1', 'kek-a'));
        await dataKeys.createIfAbsent(key('b', 'k2', 'kek-a'));
        await dataKeys.createIfAbsent(key('c', 'k3', 'kek-b'));
        expect(Object.fromEntries(await dataKeys.kekUsage())).toEqual({ 'kek-a': 2, 'kek-b': 1 });
        expect((await dataKeys.sampleWrappedUnder('kek-b', 3)).map((k) => k.subject)).toEqual(['c']);
        expect(await dataKeys.sampleWrappedUnder('kek-a', 1)).toHaveLength(1);
        expect(await dataKeys.sampleWrappedUnder('kek-z', 3)).toEqual([]);
        expect(await dataKeys.holdsProtectedData()).toBe(true);
        expect(await dataKeys.putMetaIfAbsent('x', 'one')).toBe('one');
        expect(await dataKeys.putMetaIfAbsent('x', 'two')).toBe('one');
        expect(await dataKeys.getMeta('x')).toBe('one');
      });

      it('re-wraps in batches, leaving rows changed meanwhile alone', async () => {
        const provider = new EnvKeyProvider({ keks: `new:${b64()},old:${b64()}`, pseudonymRoot: b64() });
        for (let i = 0; i < 25; i++) {
          const subject = `s${String(i).padStart(2, '0')}`;
          await dataKeys.createIfAbsent({ subject, keyId: `k${i}`, wrappedKey: await provider.wrap('old', randomBytes(32), { subject }), kekId: 'old', createdAt: 1 });
        }
        // s05 is erased between being read and being written back.
        const racing: KeyProvider = {
          source: provider.source,
          capabilities: provider.capabilities,
          currentKekId: () => provider.currentKekId(),
          keks: () => provider.keks(),
          wrap: (kekId, key, context) => provider.wrap(kekId, key, context),
          unwrap: async (kekId, wrapped, context) => {
            if (context.subject === 's05') await dataKeys.destroy('s05', 2);
            return provider.unwrap(kekId, wrapped, context);
          },
          pseudonymRootKey: () => provider.pseudonymRootKey(),
          addKek: () => provider.addKek(),
          retireKek: (kekId) => provider.retireKek(kekId),
        };
        expect(await dataKeys.rewrapAll(racing, 'new', { batchSize: 10 })).toEqual({ rewrapped: 24, skipped: 1, batches: 3 });
        expect(Object.fromEntries(await dataKeys.kekUsage())).toEqual({ new: 24 });
        expect(await dataKeys.get('s05')).toBeUndefined();
        const sample = (await dataKeys.get('s07'))!;
        expect(await provider.unwrap('new', sample.wrappedKey, { subject: 's07' })).toHaveLength(32);
        expect(await dataKeys.rewrapAll(provider, 'new', { batchSize: 10 })).toEqual({ rewrapped: 0, skipped: 0, batches: 0 });
      });
    });

    describe('PseudonymStore', () => {
      it('records a mapping once, lists it by subject, deletes it on erasure', async () => {
        const entry = { purpose: 'analytics', region: 'cn', pseudonym: 'p1', subject: 's', sealedDeviceId: 'AQID', createdAt: 3 };
        await pseudonyms.record(entry);
        await pseudonyms.record({ ...entry, sealedDeviceId: 'BBBB' });
        await pseudonyms.record({ ...entry, pseudonym: 'p2', purpose: 'recommendations' });
        await pseudonyms.record({ ...entry, pseudonym: 'p3', subject: 'other' });
        expect(await pseudonyms.bySubject('s')).toEqual([entry, { ...entry, pseudonym: 'p2', purpose: 'recommendations' }]);
        expect(await pseudonyms.deleteSubject('s')).toBe(2);
        expect(await pseudonyms.bySubject('s')).toEqual([]);
        expect(await pseudonyms.bySubject('other')).toHaveLength(1);
      });
    });

    it('seals and opens values stored in another table', async () => {
      const scratch = await createScratch(db);
      const p = await startWithFile();
      await put(scratch, p, 'alice', 'r1', 'Alice 昵称');
      expect(await read(scratch, p, 'r1')).toBe('Alice 昵称');
      // After a restart (no cache) the same key file opens it.
      const restarted = await startWithFile();
      expect(await read(scratch, restarted, 'r1')).toBe('Alice 昵称');
    });

    it('rotates while readers and writers keep working, then retires the old KEK', async () => {
      const scratch = await createScratch(db);
      // No key cache: every read unwraps from the database, so reads really race the re-wrap.
      const p = await startWithFile({ cacheSize: 0 });
      const values = new Map<string, string>();
      for (let i = 0; i < 60; i++) {
        const id = `r${i}`;
        values.set(id, `value ${i} ${randomBytes(4).toString('hex')}`);
        await put(scratch, p, `subject-${i}`, id, values.get(id)!);
      }
      const oldKek = [...(await dataKeys.kekUsage()).keys()];
      expect(oldKek).toHaveLength(1);

      let rotating = true;
      let reads = 0;
      const failures: unknown[] = [];
      const ids = [...values.keys()];
      // Requests arrive as I/O events: yield to the event loop between them (SQLite answers in
      // microtasks only, so a tight loop would starve the file I/O that rotation does).
      const nextTick = () => new Promise((resolve) => setImmediate(resolve));
      const reader = async (seed: number) => {
        for (let n = seed; rotating; n += 7) {
          await nextTick();
          const id = ids[n % ids.length]!;
          try {
            expect(await read(scratch, p, id)).toBe(values.get(id));
            reads++;
          } catch (err) {
            failures.push(err);
          }
        }
      };
      const writer = async () => {
        for (let i = 0; rotating; i++) {
          await nextTick();
          const id = `w${i}`;
          values.set(id, `written during rotation ${i}`);
          await put(scratch, p, `new-subject-${i}`, id, values.get(id)!);
        }
      };
      const running = [reader(0), reader(3), reader(5), writer()];
      const report = await p.rotate({ batchSize: 7, retireGraceMs: 0 });
      rotating = false;
      await Promise.all(running);

      expect(failures).toEqual([]);
      expect(reads).toBeGreaterThan(0);
      expect(report.previousKekId).toBe(oldKek[0]);
      expect(report.kekId).not.toBe(oldKek[0]);
      expect(report.rewrapped).toBeGreaterThanOrEqual(60);
      expect(report.batches).toBeGreaterThanOrEqual(9);
      expect(report.remaining).toEqual({});
      expect(report.retiredKekIds).toEqual(oldKek);
      expect([...(await dataKeys.kekUsage()).keys()]).toEqual([report.kekId]);

      // A fresh start from the key file (old KEK gone from it) opens every value.
      const restarted = await startWithFile();
      for (const [id, value] of values) expect(await read(scratch, restarted, id)).toBe(value);
    });

    it('keeps a superseded KEK through its grace period', async () => {
      const scratch = await createScratch(db);
      const p = await startWithFile();
      await put(scratch, p, 'alice', 'r1', 'x');
      const first = await p.rotate();
      expect(first.retainedKeks).toEqual([{ id: first.previousKekId, wrappedKeys: 0, reason: 'grace period' }]);
      const second = await p.rotate({ retireGraceMs: 0 });
      expect([...second.retiredKekIds].sort()).toEqual([first.previousKekId, first.kekId].sort());
      expect(await read(scratch, await startWithFile(), 'r1')).toBe('x');
    });

    it('after shred, nothing of the subject opens and their mapping is gone', async () => {
      const scratch = await createScratch(db);
      const p = await startWithFile();
      const device = `device-${randomBytes(6).toString('hex')}`;
      const subject = p.subjectFor(device, 'cn');
      await p.pseudonymFor(device, 'recommendations', 'cn');
      await put(scratch, p, subject, 'a1', 'mine 1');
      await put(scratch, p, subject, 'a2', 'mine 2');
      await put(scratch, p, 'bob', 'b1', 'bob keeps this');

      expect(await p.shred(subject)).toEqual({ dataKeyDestroyed: true, pseudonymsDeleted: 1 });
      for (const service of [p, await startWithFile()]) {
        await rejectsWith(read(scratch, service, 'a1'), 'DATA_KEY_DESTROYED');
        await rejectsWith(read(scratch, service, 'a2'), 'DATA_KEY_DESTROYED');
        expect(await read(scratch, service, 'b1')).toBe('bob keeps this');
        expect(await service.devicesOf(subject)).toEqual([]);
      }
      expect(await dataKeys.get(subject)).toBeUndefined();
      // New data after erasure gets a new key; the old values stay unreadable.
      await put(scratch, p, subject, 'a3', 'after');
      expect(await read(scratch, p, 'a3')).toBe('after');
      await rejectsWith(read(scratch, p, 'a1'), 'DATA_KEY_DESTROYED');
    });

    it('a tampered or moved ciphertext row is a typed error, never data', async () => {
      const scratch = await createScratch(db);
      const p = await startWithFile();
      await put(scratch, p, 'alice', 'r1', 'Alice 13800138000');
      await put(scratch, p, 'alice', 'r2', 'Alice other');
      const original = (await scratch.selectFrom('scratch_values').select('payload').where('id', '=', 'r1').executeTakeFirstOrThrow()).payload;

      const flipped = original.slice(0, 30) + (original[30] === 'A' ? 'B' : 'A') + original.slice(31);
      await scratch.updateTable('scratch_values').set({ payload: flipped }).where('id', '=', 'r1').execute();
      await rejectsWith(read(scratch, p, 'r1'), 'DECRYPT_FAILED');

      await scratch.updateTable('scratch_values').set({ payload: original.slice(0, -4) }).where('id', '=', 'r1').execute();
      await rejectsWith(read(scratch, p, 'r1'), 'DECRYPT_FAILED');

      // A valid ciphertext copied to another row of the same subject does not open there.
      await scratch.updateTable('scratch_values').set({ payload: original }).where('id', '=', 'r2').execute();
      await rejectsWith(read(scratch, p, 'r2'), 'DECRYPT_FAILED');

      // A tampered mapping row, and a tampered wrapped key.
      await p.pseudonymFor('device-1', 'analytics', 'cn');
      const subject = p.subjectFor('device-1', 'cn');
      const mapping = (await db.selectFrom('pseudonyms').select('device_id_sealed').executeTakeFirstOrThrow()).device_id_sealed;
      await db.updateTable('pseudonyms').set({ device_id_sealed: mapping.slice(0, -1) + (mapping.endsWith('A') ? 'B' : 'A') }).execute();
      await rejectsWith(p.devicesOf(subject), 'DECRYPT_FAILED');

      const wrapped = (await db.selectFrom('data_keys').select('wrapped_key').where('subject_id', '=', 'alice').executeTakeFirstOrThrow()).wrapped_key;
      await db.updateTable('data_keys').set({ wrapped_key: wrapped.slice(0, 20) + (wrapped[20] === 'A' ? 'B' : 'A') + wrapped.slice(21) }).where('subject_id', '=', 'alice').execute();
      await scratch.updateTable('scratch_values').set({ payload: original }).where('id', '=', 'r1').execute();
      // Start-up still succeeds (other keys under that KEK open); alice's values do not.
      await rejectsWith(read(scratch, await startWithFile(), 'r1'), 'DECRYPT_FAILED');
    });

    describe('start-up with key material', () => {
      it('creates a key file over an empty database and reuses it afterwards', async () => {
        await startWithFile();
        expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
        const before = fs.readFileSync(keyFile());
        await startWithFile();
        expect(fs.readFileSync(keyFile()).equals(before)).toBe(true);
      });

      it('stops with one clear error when the key file is missing over existing data, and creates none', async () => {
        const p = await startWithFile();
        await p.sealFor('alice', field('r1'), 'x');
        fs.rmSync(keyFile());
        const err = await rejectsWith(startWithFile(), 'KEY_MATERIAL_MISSING', /does not exist, but this database already holds protected data/);
        expect(err.stopsStartup).toBe(true);
        expect(fs.existsSync(keyFile())).toBe(false);
      });

      it('stops when given another key file, or a KEK that does not open the wrapped keys', async () => {
        const p = await startWithFile();
        await p.sealFor('alice', field('r1'), 'x');
        const kekId = [...(await dataKeys.kekUsage()).keys()][0]!;
        // A keyring made elsewhere, put in place of ours.
        fs.rmSync(keyFile());
        await LocalFileKeyProvider.open(keyFile(), { create: true });
        await rejectsWith(startWithFile(), 'KEY_MATERIAL_MISMATCH', /not the keys this database was protected with/);

        // The right pseudonym root but a wrong KEK under the right id …
        const rootB64 = (await (await LocalFileKeyProvider.open(keyFile(), { create: false })).pseudonymRootKey()).toString('base64');
        const wrongKek = new EnvKeyProvider({ keks: `${kekId}:${b64()}`, pseudonymRoot: rootB64 });
        await db.deleteFrom('protection_meta').where('name', '=', 'pseudonym_root_check').execute();
        await rejectsWith(ProtectionService.start({ dataKeys, pseudonyms, provider: wrongKek, clock }), 'KEY_MATERIAL_MISMATCH', new RegExp(`"${kekId}"`));
        // … or a provider that lacks the KEK altogether.
        const lacking = new EnvKeyProvider({ keks: `other:${b64()}`, pseudonymRoot: rootB64 });
        await rejectsWith(ProtectionService.start({ dataKeys, pseudonyms, provider: lacking, clock }), 'KEY_MATERIAL_MISSING', new RegExp(`${kekId} \\(1 key\\)`));
      });

      it('stops when the key file is readable by others', async () => {
        await startWithFile();
        fs.chmodSync(keyFile(), 0o644);
        await rejectsWith(startWithFile(), 'KEY_MATERIAL_UNREADABLE', /chmod 600/);
      });
    });

    if (dialect === 'postgres') {
      it('after shred, no row of any table holds the plaintext, the data key or the wrapped key', async () => {
        const scratch = await createScratch(db);
        const provider = await LocalFileKeyProvider.open(keyFile(), { create: true });
        const p = await ProtectionService.start({ dataKeys, pseudonyms, provider, clock });
        const device = `device-${randomBytes(6).toString('hex')}`;
        const subject = p.subjectFor(device, 'cn');
        const secret = knownPlaintext();
        await p.pseudonymFor(device, 'recommendations', 'cn');
        await put(scratch, p, subject, 'r1', secret);
        const row = (await dataKeys.get(subject))!;
        const dataKey = await provider.unwrap(row.kekId, row.wrappedKey, { subject });
        const wrappedText = row.wrappedKey.toString('base64url');

        const rowsContaining = async (needle: string): Promise<string[]> => {
          const tables = await sql<{ table_name: string }>`
            select table_name from information_schema.tables
            where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
          expect(tables.rows.length).toBeGreaterThan(5);
          const hits: string[] = [];
          for (const { table_name } of tables.rows) {
            const found = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table_name)} as r where position(${needle} in r::text) > 0`.execute(db);
            if (found.rows[0]!.n > 0) hits.push(table_name);
          }
          return hits;
        };
        const textForms = (secretValue: Buffer | string) => forms(secretValue).map((b) => b.toString('latin1')).filter((s) => !s.includes('\u0000'));

        // Before: encrypted at rest, and the scan does find what is stored (the wrapped key).
        for (const needle of [...textForms(secret), ...textForms(device), ...textForms(dataKey)]) expect(await rowsContaining(needle)).toEqual([]);
        expect(await rowsContaining(wrappedText)).toEqual(['data_keys']);

        await p.shred(subject);
        for (const needle of [...textForms(secret), ...textForms(device), ...textForms(dataKey), wrappedText]) expect(await rowsContaining(needle)).toEqual([]);
        await rejectsWith(read(scratch, p, 'r1'), 'DATA_KEY_DESTROYED');
      });
    }
  });
}

if (DIALECTS.includes('sqlite')) {
  describe('crypto-shredding on a SQLite database file', () => {
    let dir: string;
    let storage: Storage;
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-shred-'));
      storage = await openStorage('sqlite:' + path.join(dir, 'qingliu.sqlite'));
    });
    afterEach(async () => {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The database and its WAL and shared-memory files, as raw bytes. */
    const rawFiles = () =>
      fs
        .readdirSync(dir)
        .filter((f) => f.startsWith('qingliu.sqlite'))
        .map((f) => ({ name: f, bytes: fs.readFileSync(path.join(dir, f)) }));
    const filesContaining = (needle: Buffer) => rawFiles().filter((f) => f.bytes.includes(needle)).map((f) => f.name);

    it('leaves neither the plaintext nor the data key (nor the wrapped key) in the files', async () => {
      const db = storage.db;
      const scratch = await createScratch(db);
      const dataKeys = new KyselyDataKeyStore(db);
      const provider = await LocalFileKeyProvider.open(path.join(dir, 'keys', 'keyring.json'), { create: true });
      const p = await ProtectionService.start({ dataKeys, pseudonyms: new KyselyPseudonymStore(db), provider, clock });

      const device = `device-${randomBytes(6).toString('hex')}`;
      const subject = p.subjectFor(device, 'cn');
      const secrets = [knownPlaintext(), knownPlaintext()];
      await p.pseudonymFor(device, 'recommendations', 'cn');
      for (const [i, s] of secrets.entries()) await put(scratch, p, subject, `r${i}`, s);
      await put(scratch, p, 'someone-else', 'other', 'stays');
      const row = (await dataKeys.get(subject))!;
      const dataKey = await provider.unwrap(row.kekId, row.wrappedKey, { subject });
      const wrappedText = Buffer.from(row.wrappedKey.toString('base64url'));
      const mapping = (await db.selectFrom('pseudonyms').select('device_id_sealed').executeTakeFirstOrThrow()).device_id_sealed;
      const secretForms = [...secrets.flatMap((s) => forms(s)), ...forms(device), ...forms(dataKey)];

      // Before erasure: nothing in clear, and the scan does see stored text (the wrapped key, the sealed mapping).
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
      for (const needle of secretForms) expect(filesContaining(needle)).toEqual([]);
      expect(filesContaining(wrappedText)).toContain('qingliu.sqlite');
      expect(filesContaining(Buffer.from(mapping))).toContain('qingliu.sqlite');

      expect(await p.shred(subject)).toEqual({ dataKeyDestroyed: true, pseudonymsDeleted: 1 });
      // Deleted rows linger in free pages and the WAL until checkpointed and vacuumed.
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
      await sql`vacuum`.execute(db);
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);

      expect(rawFiles().map((f) => f.name)).toContain('qingliu.sqlite');
      for (const needle of [...secretForms, wrappedText, Buffer.from(mapping)]) expect(filesContaining(needle)).toEqual([]);
      // The ciphertexts are still there, and can never be opened again.
      for (const i of secrets.keys()) await rejectsWith(read(scratch, p, `r${i}`), 'DATA_KEY_DESTROYED');
      expect(await read(scratch, p, 'other')).toBe('stays');
    });
  });
}
