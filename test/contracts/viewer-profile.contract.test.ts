/** ViewerProfileStore contract, run on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyViewerProfileStore, type StoredGuardianConsent, type StoredGuardianRequest, type StoredProfile } from '../../src/modules/viewer-profile/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const DAY = 86_400_000;

const profile = (subject: string, version: number, over: Partial<StoredProfile> = {}): StoredProfile => ({
  subject,
  region: 'cn-mainland',
  profileSealed: `sealed-${subject}-v${version}`,
  version,
  createdAt: 10,
  updatedAt: 10 * version,
  ...over,
});

const consent = (id: string, subject: string, createdAt: number, over: Partial<StoredGuardianConsent> = {}): StoredGuardianConsent => ({
  id,
  subject,
  brandId: 'b1',
  guardianSubject: `guardian-of-${subject}`,
  granted: ['personalised_recommendations'],
  detailsSealed: `sealed-${id}`,
  noticeVersion: 'g1',
  noticeHash: 'c'.repeat(64),
  locale: 'zh-CN',
  method: 'guardian_grant',
  region: 'cn-mainland',
  createdAt,
  ...over,
});

const request = (codeHash: string, subject: string, createdAt: number, over: Partial<StoredGuardianRequest> = {}): StoredGuardianRequest => ({
  codeHash,
  subject,
  brandId: 'b1',
  region: 'cn-mainland',
  createdAt,
  expiresAt: createdAt + DAY,
  completedAt: null,
  ...over,
});

for (const dialect of DIALECTS) {
  describe(`ViewerProfileStore on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyViewerProfileStore;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyViewerProfileStore(t.storage.db);
    });
    afterEach(async () => t.dispose());

    describe('profiles', () => {
      it('answers undefined for a subject it has never seen', async () => {
        expect(await store.get('nobody')).toBeUndefined();
      });

      it('inserts once when no version is expected; a second insert is refused and the first kept', async () => {
        const first = profile('s1', 1);
        expect(await store.put(first, undefined)).toBe(true);
        expect(await store.get('s1')).toEqual(first);
        expect(await store.put(profile('s1', 1, { profileSealed: 'other', region: 'elsewhere', createdAt: 99 }), undefined)).toBe(false);
        expect(await store.get('s1')).toEqual(first);
      });

      it('updates with the right version (compare-and-set) and refuses a stale one, changing nothing', async () => {
        await store.put(profile('s1', 1), undefined);
        const second = profile('s1', 2);
        expect(await store.put(second, 1)).toBe(true);
        // The update touches sealed value, version and update time; region and creation time stay.
        expect(await store.get('s1')).toEqual(second);
        expect(await store.put(profile('s1', 2, { profileSealed: 'stale' }), 1)).toBe(false);
        expect(await store.get('s1')).toEqual(second);
        expect(await store.put(profile('missing', 2), 1)).toBe(false);
        expect(await store.get('missing')).toBeUndefined();
      });

      it('lets one of two concurrent writers with the same expected version win', async () => {
        await store.put(profile('s1', 1), undefined);
        const results = await Promise.all([store.put(profile('s1', 2, { profileSealed: 'a' }), 1), store.put(profile('s1', 2, { profileSealed: 'b' }), 1)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.get('s1'))?.profileSealed).toBe(results[0] ? 'a' : 'b');
      });
    });

    describe('guardian consents', () => {
      it('keeps every record, oldest first, filtered by brand when one is given', async () => {
        await store.appendGuardianConsent(consent('c2', 's1', 20, { method: 'withdraw', granted: [] }));
        await store.appendGuardianConsent(consent('c1', 's1', 10, { granted: ['personalised_recommendations', 'marketing'] }));
        await store.appendGuardianConsent(consent('c3', 's1', 15, { brandId: 'b2' }));
        await store.appendGuardianConsent(consent('c4', 's2', 5));
        expect((await store.guardianConsents('s1')).map((c) => c.id)).toEqual(['c1', 'c3', 'c2']);
        expect((await store.guardianConsents('s1', 'b1')).map((c) => c.id)).toEqual(['c1', 'c2']);
        expect((await store.guardianConsents('s1', 'b2')).map((c) => c.id)).toEqual(['c3']);
        expect(await store.guardianConsents('s1', 'b9')).toEqual([]);
        expect(await store.guardianConsents('nobody')).toEqual([]);
        // Stored and returned as given, the purpose list included.
        expect(await store.guardianConsents('s2')).toEqual([consent('c4', 's2', 5)]);
        expect((await store.guardianConsents('s1', 'b1'))[0]).toEqual(consent('c1', 's1', 10, { granted: ['personalised_recommendations', 'marketing'] }));
      });

      it('refuses a second record with the same id (append-only)', async () => {
        await store.appendGuardianConsent(consent('c1', 's1', 10));
        await expect(store.appendGuardianConsent(consent('c1', 's1', 11, { method: 'withdraw' }))).rejects.toThrow();
        expect(await store.guardianConsents('s1')).toEqual([consent('c1', 's1', 10)]);
      });
    });

    describe('guardian requests', () => {
      it('stores a request, reads it by code hash, and completes it exactly once', async () => {
        const r = request('h1', 's1', 100);
        await store.addGuardianRequest(r);
        expect(await store.guardianRequest('h1')).toEqual(r);
        expect(await store.guardianRequest('nope')).toBeUndefined();
        expect(await store.completeGuardianRequest('h1', 150)).toBe(true);
        expect(await store.guardianRequest('h1')).toEqual({ ...r, completedAt: 150 });
        expect(await store.completeGuardianRequest('h1', 160)).toBe(false);
        expect((await store.guardianRequest('h1'))?.completedAt).toBe(150);
        expect(await store.completeGuardianRequest('nope', 160)).toBe(false);
      });

      it('refuses a second request with the same code hash', async () => {
        await store.addGuardianRequest(request('h1', 's1', 100));
        await expect(store.addGuardianRequest(request('h1', 's2', 200))).rejects.toThrow();
        expect((await store.guardianRequest('h1'))?.subject).toBe('s1');
      });

      it('lets one of two concurrent completions win', async () => {
        await store.addGuardianRequest(request('h1', 's1', 100));
        const results = await Promise.all([store.completeGuardianRequest('h1', 150), store.completeGuardianRequest('h1', 151)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.guardianRequest('h1'))?.completedAt).toBe(results[0] ? 150 : 151);
      });
    });

    describe('minors’ spending', () => {
      it('reserves within the limit and adds up', async () => {
        expect(await store.spent('s1', '2025-01')).toBe(0);
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-01', 30, 100, 1)).toBe(true);
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-01', 45, 100, 2)).toBe(true);
        expect(await store.spent('s1', '2025-01')).toBe(75);
        // Reaching the limit exactly is allowed.
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-01', 25, 100, 3)).toBe(true);
        expect(await store.spent('s1', '2025-01')).toBe(100);
      });

      it('refuses a reservation that would pass the limit and changes nothing', async () => {
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-01', 80, 100, 1)).toBe(true);
        const before = await t.storage.db.selectFrom('minor_spend').selectAll().execute();
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-01', 21, 100, 2)).toBe(false);
        expect(await store.spent('s1', '2025-01')).toBe(80);
        expect(await t.storage.db.selectFrom('minor_spend').selectAll().execute()).toEqual(before);
      });

      it('refuses an amount above the limit on a fresh period, leaving no row', async () => {
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-02', 101, 100, 1)).toBe(false);
        expect(await store.spent('s1', '2025-02')).toBe(0);
        expect(await t.storage.db.selectFrom('minor_spend').selectAll().execute()).toEqual([]);
      });

      it('lets exactly as many concurrent reservations pass as fit within the limit', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.reserveSpend('s1', 'cn-mainland', '2025-03', 30, 100, i)));
        expect(results.filter(Boolean)).toHaveLength(3);
        expect(await store.spent('s1', '2025-03')).toBe(90);
      });

      it('releases by subtracting, never below zero', async () => {
        await store.reserveSpend('s1', 'cn-mainland', '2025-01', 70, 100, 1);
        await store.releaseSpend('s1', '2025-01', 30, 2);
        expect(await store.spent('s1', '2025-01')).toBe(40);
        await store.releaseSpend('s1', '2025-01', 500, 3);
        expect(await store.spent('s1', '2025-01')).toBe(0);
        // Releasing in a period with no spend is harmless and creates nothing.
        await store.releaseSpend('s1', '2025-09', 10, 4);
        expect(await store.spent('s1', '2025-09')).toBe(0);
        // What was released can be reserved again.
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-01', 100, 100, 5)).toBe(true);
        expect(await store.spent('s1', '2025-01')).toBe(100);
      });

      it('keeps periods and subjects separate', async () => {
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-01', 90, 100, 1)).toBe(true);
        expect(await store.reserveSpend('s1', 'cn-mainland', '2025-02', 90, 100, 2)).toBe(true);
        expect(await store.reserveSpend('s2', 'cn-mainland', '2025-01', 90, 100, 3)).toBe(true);
        await store.releaseSpend('s1', '2025-02', 40, 4);
        expect(await store.spent('s1', '2025-01')).toBe(90);
        expect(await store.spent('s1', '2025-02')).toBe(50);
        expect(await store.spent('s2', '2025-01')).toBe(90);
      });
    });

    describe('retention and erasure', () => {
      it('purges consents before the cutoff and links expired before the second time, keeping the rest', async () => {
        await store.appendGuardianConsent(consent('old', 's1', 10));
        await store.appendGuardianConsent(consent('edge', 's1', 100));
        await store.appendGuardianConsent(consent('new', 's2', 200));
        await store.addGuardianRequest(request('expired', 's1', 0, { expiresAt: 40 }));
        await store.addGuardianRequest(request('expired-done', 's1', 0, { expiresAt: 45, completedAt: 20 }));
        await store.addGuardianRequest(request('edge-link', 's1', 0, { expiresAt: 50 }));
        await store.addGuardianRequest(request('live', 's2', 0, { expiresAt: 500 }));
        expect(await store.purgeGuardianBefore(100, 50)).toBe(3);
        expect((await store.guardianConsents('s1')).map((c) => c.id)).toEqual(['edge']);
        expect((await store.guardianConsents('s2')).map((c) => c.id)).toEqual(['new']);
        expect(await store.guardianRequest('expired')).toBeUndefined();
        expect(await store.guardianRequest('expired-done')).toBeUndefined();
        expect(await store.guardianRequest('edge-link')).toBeDefined();
        expect(await store.guardianRequest('live')).toBeDefined();
        expect(await store.purgeGuardianBefore(100, 50)).toBe(0);
      });

      it('erases the subject’s profile, guardian requests and spend, keeping guardian consents and other subjects', async () => {
        for (const s of ['s1', 's2']) {
          await store.put(profile(s, 1), undefined);
          await store.appendGuardianConsent(consent(`c-${s}`, s, 10));
          await store.addGuardianRequest(request(`h-${s}-a`, s, 10));
          await store.addGuardianRequest(request(`h-${s}-b`, s, 20, { completedAt: 30 }));
          await store.reserveSpend(s, 'cn-mainland', '2025-01', 10, 100, 1);
          await store.reserveSpend(s, 'cn-mainland', '2025-02', 20, 100, 2);
        }
        // One profile, two requests, two spend rows.
        expect(await store.deleteSubject('s1')).toBe(5);
        expect(await store.get('s1')).toBeUndefined();
        expect(await store.guardianRequest('h-s1-a')).toBeUndefined();
        expect(await store.guardianRequest('h-s1-b')).toBeUndefined();
        expect(await store.spent('s1', '2025-01')).toBe(0);
        expect(await store.spent('s1', '2025-02')).toBe(0);
        // Guardian consents are evidence of a lawful basis: kept, left to retention.
        expect(await store.guardianConsents('s1')).toEqual([consent('c-s1', 's1', 10)]);
        // The other subject is untouched.
        expect(await store.get('s2')).toEqual(profile('s2', 1));
        expect(await store.guardianRequest('h-s2-a')).toBeDefined();
        expect(await store.guardianRequest('h-s2-b')).toBeDefined();
        expect(await store.spent('s2', '2025-01')).toBe(10);
        expect(await store.spent('s2', '2025-02')).toBe(20);
        expect(await store.guardianConsents('s2')).toHaveLength(1);
        expect(await store.deleteSubject('s1')).toBe(0);
        expect(await store.deleteSubject('nobody')).toBe(0);
      });
    });
  });
}
