/**
 * InterestTagStore contract, run on every storage adapter, and InterestTagService over the real
 * adapter and a real sealer (ProtectionService from environment keys).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InterestTagService, KyselyInterestTagStore, type Signal, type StoredTags } from '../../src/modules/interest-tags/index.js';
import { KyselyDataKeyStore, KyselyPseudonymStore, startProtection, type ProtectionService } from '../../src/modules/protection/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const tags = (subject: string, version: number, over: Partial<StoredTags> = {}): StoredTags => ({
  subject,
  region: 'cn-mainland',
  tagsSealed: `sealed-${subject}-v${version}`,
  version,
  updatedAt: 10 * version,
  ...over,
});

/** Category names that must never sit in a row in clear: Chinese and ASCII, with a unique marker. */
const MARKER = `marker${randomBytes(6).toString('hex')}`;
const DIAPERS = `婴儿纸尿裤-${MARKER}-diapers`;
const FORMULA = `奶粉-${MARKER}-formula`;
const CATEGORIES: Record<string, string> = { p1: DIAPERS, p2: FORMULA, p3: DIAPERS };

const tagOf = (category: string) => `category:${category}`;
const signal = (type: string, productId: string | null, at: number): Signal => ({ type, productId, at });

for (const dialect of DIALECTS) {
  describe(`InterestTagStore on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyInterestTagStore;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyInterestTagStore(t.storage.db);
    });
    afterEach(async () => t.dispose());

    it('answers undefined for a subject it has never seen', async () => {
      expect(await store.get('nobody')).toBeUndefined();
    });

    it('inserts once when no version is expected; a second insert is refused and the first kept', async () => {
      const first = tags('s1', 1);
      expect(await store.put(first, undefined)).toBe(true);
      expect(await store.get('s1')).toEqual(first);
      expect(await store.put(tags('s1', 1, { tagsSealed: 'other', region: 'elsewhere' }), undefined)).toBe(false);
      expect(await store.get('s1')).toEqual(first);
    });

    it('updates with the right version (compare-and-set) and refuses a stale one, changing nothing', async () => {
      await store.put(tags('s1', 1), undefined);
      const second = tags('s1', 2);
      expect(await store.put(second, 1)).toBe(true);
      expect(await store.get('s1')).toEqual(second);
      expect(await store.put(tags('s1', 2, { tagsSealed: 'stale' }), 1)).toBe(false);
      expect(await store.put(tags('s1', 5, { tagsSealed: 'ahead' }), 4)).toBe(false);
      expect(await store.get('s1')).toEqual(second);
      expect(await store.put(tags('missing', 2), 1)).toBe(false);
      expect(await store.get('missing')).toBeUndefined();
    });

    it('lets exactly one of two concurrent writers with the same expected version win', async () => {
      const inserts = await Promise.all([store.put(tags('s1', 1, { tagsSealed: 'a' }), undefined), store.put(tags('s1', 1, { tagsSealed: 'b' }), undefined)]);
      expect(inserts.filter(Boolean)).toHaveLength(1);
      expect((await store.get('s1'))?.tagsSealed).toBe(inserts[0] ? 'a' : 'b');
      const updates = await Promise.all([store.put(tags('s1', 2, { tagsSealed: 'c' }), 1), store.put(tags('s1', 2, { tagsSealed: 'd' }), 1)]);
      expect(updates.filter(Boolean)).toHaveLength(1);
      expect(await store.get('s1')).toEqual(tags('s1', 2, { tagsSealed: updates[0] ? 'c' : 'd' }));
    });

    it('deletes only the subject asked for', async () => {
      await store.put(tags('s1', 1), undefined);
      await store.put(tags('s2', 1), undefined);
      expect(await store.deleteSubject('s1')).toBe(1);
      expect(await store.get('s1')).toBeUndefined();
      expect(await store.get('s2')).toEqual(tags('s2', 1));
      expect(await store.deleteSubject('s1')).toBe(0);
      expect(await store.deleteSubject('nobody')).toBe(0);
      // After deletion the subject starts afresh with an insert.
      expect(await store.put(tags('s1', 1, { tagsSealed: 'again' }), undefined)).toBe(true);
    });
  });

  describe(`InterestTagService over the real adapter and sealer on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyInterestTagStore;
    let protection: ProtectionService;
    let service: InterestTagService;
    let now: number;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyInterestTagStore(t.storage.db);
      now = 1_000;
      const clock = { now: () => now };
      protection = await startProtection(
        { dataKeys: new KyselyDataKeyStore(t.storage.db), pseudonyms: new KyselyPseudonymStore(t.storage.db) },
        { kind: 'env', keks: `k1:${randomBytes(32).toString('base64')}`, pseudonymRoot: randomBytes(32).toString('base64') },
        clock,
      );
      service = new InterestTagService({
        store,
        sealer: protection,
        categoryOf: async (productId) => CATEGORIES[productId],
        clock,
        region: 'cn-mainland',
      });
    });
    afterEach(async () => t.dispose());

    const weights = async (subject: string) => Object.fromEntries((await service.list(subject)).map((tag) => [tag.tag, tag.weight]));

    it('adds weights per signal type, and ignores signals that say nothing about interest', async () => {
      await service.recordSignal('s1', signal('view', 'p1', 100));
      await service.recordSignal('s1', signal('click', 'p1', 110));
      await service.recordSignal('s1', signal('add_to_cart', 'p3', 120));
      await service.recordSignal('s1', signal('purchase', 'p2', 130));
      await service.recordSignal('s1', signal('like', 'p1', 140));
      await service.recordSignal('s1', signal('view', null, 150));
      await service.recordSignal('s1', signal('view', 'gone', 160));
      expect(await service.list('s1')).toEqual([
        { tag: tagOf(DIAPERS), kind: 'category', value: DIAPERS, weight: 6, events: 3, lastEventAt: 120 },
        { tag: tagOf(FORMULA), kind: 'category', value: FORMULA, weight: 5, events: 1, lastEventAt: 130 },
      ]);
      expect(await service.list('s2')).toEqual([]);
      // A signal that says nothing writes nothing.
      await service.recordSignal('s3', signal('like', 'p1', 100));
      expect(await store.get('s3')).toBeUndefined();
    });

    // Writers on one node queue per subject; two services on one database (two nodes) meet by
    // compare-and-set and retry. Every signal counts either way. Each node caches what it read or
    // wrote and drops it when the other says it changed the subject (the app relays this over the bus).
    it('counts every one of several concurrent signals for one subject (CAS retry)', async () => {
      const n = 20;
      const otherNode = new InterestTagService({
        store: new KyselyInterestTagStore(t.storage.db),
        sealer: protection,
        categoryOf: async (productId) => CATEGORIES[productId],
        clock: { now: () => now },
        region: 'cn-mainland',
      });
      service.onChanged((subject) => otherNode.forget(subject));
      otherNode.onChanged((subject) => service.forget(subject));
      await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 ? otherNode : service).recordSignal('s1', signal('view', 'p1', 100 + i))));
      expect(await service.list('s1')).toEqual([{ tag: tagOf(DIAPERS), kind: 'category', value: DIAPERS, weight: n, events: n, lastEventAt: 100 + n - 1 }]);
      expect(await otherNode.list('s1')).toEqual(await service.list('s1'));
      expect((await store.get('s1'))?.version).toBe(n);
    });

    it('deletes a tag; a rebuild counts it again only from events after the deletion', async () => {
      await service.recordSignal('s1', signal('view', 'p1', 100));
      await service.recordSignal('s1', signal('purchase', 'p2', 200));
      now = 1_000;
      expect(await service.deleteTag('s1', tagOf(DIAPERS))).toEqual({ ok: true, value: undefined });
      expect(await weights('s1')).toEqual({ [tagOf(FORMULA)]: 5 });
      expect((await service.deleteTag('s1', tagOf(DIAPERS))).ok).toBe(false);
      expect(await service.deleteTag('s1', 'category:never')).toMatchObject({ ok: false, code: 'TAG_NOT_FOUND' });

      // Events at or before the deletion never bring the tag back, recorded or rebuilt.
      now = 2_000;
      await service.recordSignal('s1', signal('purchase', 'p1', 1_000));
      expect(await weights('s1')).toEqual({ [tagOf(FORMULA)]: 5 });
      await service.rebuild('s1', [signal('view', 'p1', 100), signal('purchase', 'p3', 999), signal('click', 'p1', 1_000), signal('view', 'p2', 300)]);
      expect(await weights('s1')).toEqual({ [tagOf(FORMULA)]: 1 });

      // Events after it do.
      await service.rebuild('s1', [signal('view', 'p1', 100), signal('click', 'p1', 1_001), signal('add_to_cart', 'p3', 1_500), signal('view', 'p2', 300)]);
      expect(await weights('s1')).toEqual({ [tagOf(DIAPERS)]: 5, [tagOf(FORMULA)]: 1 });
      await service.recordSignal('s1', signal('view', 'p1', 1_600));
      expect(await weights('s1')).toEqual({ [tagOf(DIAPERS)]: 6, [tagOf(FORMULA)]: 1 });
    });

    it('deletes every tag of one subject only', async () => {
      await service.recordSignal('s1', signal('view', 'p1', 100));
      await service.recordSignal('s2', signal('view', 'p2', 100));
      expect(await service.deleteAll('s1')).toBe(1);
      expect(await service.list('s1')).toEqual([]);
      expect(await weights('s2')).toEqual({ [tagOf(FORMULA)]: 1 });
    });

    it('never stores a category, nor its tag id, in clear', async () => {
      await service.recordSignal('s1', signal('purchase', 'p1', 100));
      await service.recordSignal('s1', signal('view', 'p2', 200));
      now = 1_000;
      await service.deleteTag('s1', tagOf(FORMULA));
      const rows = await t.storage.db.selectFrom('viewer_tags').selectAll().execute();
      expect(rows).toHaveLength(1);
      const raw = JSON.stringify(rows);
      for (const secret of [MARKER, DIAPERS, FORMULA, '婴儿纸尿裤', '奶粉', 'diapers', 'formula', 'category:']) {
        expect(raw).not.toContain(secret);
        expect(raw).not.toContain(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
        expect(raw).not.toContain(Buffer.from(secret).toString('hex'));
      }
      // It is there, sealed under the subject's key and bound to its row.
      const opened = await protection.openTextFor('s1', { table: 'viewer_tags', column: 'tags', rowId: 's1' }, rows[0]!.tags_sealed);
      expect(opened).toContain(DIAPERS);
      expect(opened).toContain(tagOf(FORMULA));
      await expect(protection.openTextFor('s1', { table: 'viewer_tags', column: 'tags', rowId: 's2' }, rows[0]!.tags_sealed)).rejects.toThrow();
    });
  });
}
