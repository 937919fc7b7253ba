/** NoticeArchive contract, run on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyNoticeArchive, sha256Hex, type NoticeText } from '../../src/modules/consent/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const text = (words: string, over: Partial<NoticeText> = {}): NoticeText => ({
  hash: sha256Hex(words),
  kind: 'consent',
  version: '2026-12-01.1',
  locale: 'zh-CN',
  scope: 'b1',
  text: words,
  ...over,
});

for (const dialect of DIALECTS) {
  describe(`NoticeArchive on ${dialect}`, () => {
    let t: TestStorage;
    let archive: KyselyNoticeArchive;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      archive = new KyselyNoticeArchive(t.storage.db);
    });
    afterEach(async () => t.dispose());

    it('keeps each exact text once, by its hash, with its first and latest use', async () => {
      const a = text('个人信息处理说明（版本 1）\n\n本直播间由暖芽运营。');
      await archive.keep(a, 100);
      await archive.keep(a, 300);
      // A late writer (another node's older use) never moves the last use back.
      await archive.keep(a, 200);
      expect(await archive.get(a.hash)).toEqual({ ...a, firstUsedAt: 100, lastUsedAt: 300 });
      expect(await archive.get(sha256Hex('never shown'))).toBeUndefined();
    });

    it('keeps texts of every kind apart and lists them without their words, latest use first', async () => {
      const consent = text('privacy notice, version 1', { locale: 'en' });
      const guardian = text('guardian notice', { kind: 'guardian' });
      const transfer = text('separate notice for a cross-border recipient', { kind: 'transfer', scope: 'dest-sg' });
      await archive.keep(consent, 10);
      await archive.keep(guardian, 30);
      await archive.keep(transfer, 20);
      expect(await archive.list()).toEqual([
        { hash: guardian.hash, kind: 'guardian', version: guardian.version, locale: 'zh-CN', scope: 'b1', firstUsedAt: 30, lastUsedAt: 30 },
        { hash: transfer.hash, kind: 'transfer', version: transfer.version, locale: 'zh-CN', scope: 'dest-sg', firstUsedAt: 20, lastUsedAt: 20 },
        { hash: consent.hash, kind: 'consent', version: consent.version, locale: 'en', scope: 'b1', firstUsedAt: 10, lastUsedAt: 10 },
      ]);
    });

    it('refuses a hash that is not the text’s and stores nothing', async () => {
      const forged = { ...text('what was shown'), text: 'something else' };
      await expect(archive.keep(forged, 1)).rejects.toThrow(/not the SHA-256/);
      expect(await archive.list()).toEqual([]);
    });

    it('moves an archived text’s last use forward on a touch, and says when a hash is not archived', async () => {
      const a = text('notice');
      await archive.keep(a, 100);
      expect(await archive.touch(a.hash, 500)).toBe(true);
      expect(await archive.touch(a.hash, 400)).toBe(true);
      expect((await archive.get(a.hash))?.lastUsedAt).toBe(500);
      expect(await archive.touch(sha256Hex('unknown'), 600)).toBe(false);
      expect(await archive.list()).toHaveLength(1);
    });

    it('deletes only the texts not used since the cutoff that no kept record names', async () => {
      const old = text('old notice');
      const named = text('old notice a kept record still names');
      const kept = text('notice still in use');
      await archive.keep(old, 100);
      await archive.keep(named, 100);
      await archive.keep(kept, 100);
      await archive.touch(kept.hash, 1_000);
      expect(await archive.purgeUnusedBefore(500, new Set([named.hash, sha256Hex('some other text')]))).toBe(1);
      expect(await archive.get(old.hash)).toBeUndefined();
      expect((await archive.get(named.hash))?.text).toBe(named.text);
      expect((await archive.get(kept.hash))?.text).toBe(kept.text);
      expect(await archive.purgeUnusedBefore(500, new Set())).toBe(1);
      expect(await archive.get(named.hash)).toBeUndefined();
    });
  });
}
