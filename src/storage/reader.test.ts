/** `openReader`: a second, read-only connection to a storage's database, for another thread. */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, fileStorage, freshStorage, type TestStorage } from '../../test/support/databases.js';
import { openReader, type StorageReader } from './index.js';

const OPENERS: Record<string, () => Promise<TestStorage>> = {
  'a SQLite file': fileStorage,
  ...(DIALECTS.includes('postgres') ? { PostgreSQL: () => freshStorage('postgres') } : {}),
};

const brand = (id: string) => ({ id, name_zh: id, name_en: id, operator_zh: '运营方', operator_en: 'Operator', contact_email: `ops-${id}@example.com`, contact_phone: '400-000-0000', merchant_licence: `L-${id}`, created_at: 1 });

for (const [name, open] of Object.entries(OPENERS)) {
  describe(`openReader on ${name}`, () => {
    let t: TestStorage;
    let reader: StorageReader | undefined;
    afterEach(async () => {
      await reader?.close();
      reader = undefined;
      await t.dispose();
    });

    it('reads what the storage committed, up to its latest commit, and can write nothing', async () => {
      t = await open();
      await t.storage.db.insertInto('brands').values(brand('b1')).execute();
      reader = openReader(t.storage.location!);
      const ids = async () => (await reader!.db.selectFrom('brands').select('id').orderBy('id').execute()).map((r) => r.id);
      expect(await ids()).toEqual(['b1']);
      await t.storage.db.insertInto('brands').values(brand('b2')).execute();
      expect(await ids()).toEqual(['b1', 'b2']);
      await expect(reader.db.insertInto('brands').values(brand('b3')).execute()).rejects.toThrow(/read.?only/i);
      await expect(reader.db.deleteFrom('brands').execute()).rejects.toThrow(/read.?only/i);
      expect(await ids()).toEqual(['b1', 'b2']);
    });
  });
}

if (DIALECTS.includes('postgres')) {
  describe('openReader on PostgreSQL, with server options in the URL', () => {
    it('keeps the URL’s own options beside its schema and read-only session', async () => {
      const t = await freshStorage('postgres');
      const location = t.storage.location!;
      const url = new URL(location.url);
      url.searchParams.set('options', '-c statement_timeout=61000');
      const reader = openReader({ ...location, url: url.href });
      try {
        await t.storage.db.insertInto('brands').values(brand('b1')).execute();
        expect((await reader.db.selectFrom('brands').select('id').execute()).map((r) => r.id)).toEqual(['b1']);
        const shown = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(reader.db);
        expect(shown.rows[0]!.statement_timeout).toBe('61s');
        await expect(reader.db.insertInto('brands').values(brand('b2')).execute()).rejects.toThrow(/read.?only/i);
      } finally {
        await reader.close();
        await t.dispose();
      }
    });
  });
}

describe('Storage.location', () => {
  it('is absent for an in-memory database, which no other connection sees', async () => {
    const t = await freshStorage('sqlite');
    expect(t.storage.location).toBeUndefined();
    await t.dispose();
  });
});
