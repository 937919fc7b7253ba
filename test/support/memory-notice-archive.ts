/**
 * A NoticeArchive in memory for unit tests of its users: it logs its writes and can fail the next
 * one. Its behaviour on real databases is the contract suite's (test/contracts/notice-archive).
 */
import type { ArchivedNotice, NoticeArchive, NoticeText } from '../../src/modules/consent/index.js';

export class MemoryNoticeArchive implements NoticeArchive {
  readonly texts = new Map<string, ArchivedNotice>();
  readonly writes: { op: 'keep' | 'touch'; hash: string; at: number }[] = [];
  /** The next keep throws, as a database that is away would. */
  failNext = false;

  async keep(n: NoticeText, at: number): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('archive unavailable');
    }
    this.writes.push({ op: 'keep', hash: n.hash, at });
    const had = this.texts.get(n.hash);
    this.texts.set(n.hash, { ...n, firstUsedAt: had?.firstUsedAt ?? at, lastUsedAt: Math.max(had?.lastUsedAt ?? at, at) });
  }

  async touch(hash: string, at: number): Promise<boolean> {
    this.writes.push({ op: 'touch', hash, at });
    const had = this.texts.get(hash);
    if (had) had.lastUsedAt = Math.max(had.lastUsedAt, at);
    return had !== undefined;
  }

  async get(hash: string): Promise<ArchivedNotice | undefined> {
    return this.texts.get(hash);
  }

  async list(): Promise<Omit<ArchivedNotice, 'text'>[]> {
    return [...this.texts.values()].map(({ text: _text, ...meta }) => meta);
  }

  async purgeUnusedBefore(cutoff: number, stillNamed: ReadonlySet<string>): Promise<number> {
    let n = 0;
    for (const [hash, t] of this.texts) {
      if (t.lastUsedAt < cutoff && !stillNamed.has(hash)) {
        this.texts.delete(hash);
        n++;
      }
    }
    return n;
  }
}
