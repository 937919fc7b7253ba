import { describe, expect, it } from 'vitest';
import { NOTICE_USE_REFRESH_MS, NoticeKeeper } from './notice-keeper.js';
import { sha256Hex } from './notice.js';
import type { NoticeText } from './ports.js';
import { MemoryNoticeArchive } from '../../../test/support/memory-notice-archive.js';

const notice = (text: string): NoticeText => ({ hash: sha256Hex(text), kind: 'consent', version: 'v1', locale: 'zh-CN', scope: 'b1', text });

describe('NoticeKeeper', () => {
  it('writes a text at its first decision and its use at most once an hour after that', async () => {
    const archive = new MemoryNoticeArchive();
    let now = 1_000_000;
    const keeper = new NoticeKeeper(archive, { now: () => now });
    const a = notice('notice A');
    await keeper.keep(a);
    now += NOTICE_USE_REFRESH_MS - 1;
    await keeper.keep(a);
    expect(archive.writes).toHaveLength(1);
    now += 1;
    await keeper.keep(a);
    expect(archive.writes.map((w) => w.at)).toEqual([1_000_000, 1_000_000 + NOTICE_USE_REFRESH_MS]);
    // Another text is written at once.
    await keeper.keep(notice('notice B'));
    expect(archive.writes).toHaveLength(3);
  });

  it('writes again after its clock went back (a text is never left behind a decision)', async () => {
    const archive = new MemoryNoticeArchive();
    let now = 5_000_000;
    const keeper = new NoticeKeeper(archive, { now: () => now });
    await keeper.keep(notice('A'));
    now -= 10;
    await keeper.keep(notice('A'));
    expect(archive.writes).toHaveLength(2);
  });

  it('moves an archived text’s use forward for a record made on it later, and says when it is not archived', async () => {
    const archive = new MemoryNoticeArchive();
    let now = 1_000;
    const keeper = new NoticeKeeper(archive, { now: () => now });
    const a = notice('A');
    expect(await keeper.touch(a.hash)).toBe(false);
    await keeper.keep(a);
    now += 2 * NOTICE_USE_REFRESH_MS;
    expect(await keeper.touch(a.hash)).toBe(true);
    expect(archive.texts.get(a.hash)?.lastUsedAt).toBe(now);
    // Within the hour: answered without a write.
    const writes = archive.writes.length;
    expect(await keeper.touch(a.hash)).toBe(true);
    expect(archive.writes).toHaveLength(writes);
  });

  it('does not remember a failed write as done', async () => {
    const archive = new MemoryNoticeArchive();
    const keeper = new NoticeKeeper(archive, { now: () => 1 });
    const original = archive.keep.bind(archive);
    let fail = true;
    archive.keep = async (n, at) => {
      if (fail) throw new Error('database unavailable');
      return original(n, at);
    };
    await expect(keeper.keep(notice('A'))).rejects.toThrow('database unavailable');
    fail = false;
    await keeper.keep(notice('A'));
    expect(archive.texts.size).toBe(1);
  });
});
