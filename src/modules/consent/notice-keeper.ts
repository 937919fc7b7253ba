/**
 * Puts each notice text a decision is made on into the archive before the decision is recorded, so
 * no ledger row ever names a hash whose words cannot be shown (C2, C8). One node writes a text's
 * last use at most once an hour; retention never deletes a text a kept record still names.
 */
import type { Clock } from '../../context/index.js';
import { Lru } from '../../shared/lru.js';
import type { ArchivedNotice, NoticeArchive, NoticeText } from './ports.js';

/** How long one node may leave a text's last use behind the decisions made on it. */
export const NOTICE_USE_REFRESH_MS = 60 * 60 * 1000;

export class NoticeKeeper {
  /** hash → when this node last wrote its use. */
  readonly #keptAt = new Lru<string, number>(1_000);

  constructor(
    private readonly archive: NoticeArchive,
    private readonly clock: Clock,
  ) {}

  /** Call before appending a decision made on `notice`; a failure here must stop the decision. */
  async keep(notice: NoticeText): Promise<void> {
    if (!this.#writtenRecently(notice.hash)) await this.keepNow(notice);
  }

  /** Writes the text whatever this node remembers writing (the backfill of earlier records' texts). */
  async keepNow(notice: NoticeText): Promise<void> {
    const now = this.clock.now();
    await this.archive.keep(notice, now);
    this.#keptAt.set(notice.hash, now);
  }

  /** For a record made on a text already archived (a withdrawal copies its grant's hash); false when it is not archived. */
  async touch(hash: string): Promise<boolean> {
    if (this.#writtenRecently(hash)) return true;
    const now = this.clock.now();
    const archived = await this.archive.touch(hash, now);
    if (archived) this.#keptAt.set(hash, now);
    return archived;
  }

  /** This node wrote the text's use within the hour (a clock that went back does not count). */
  #writtenRecently(hash: string): boolean {
    const now = this.clock.now();
    const last = this.#keptAt.get(hash);
    return last !== undefined && now >= last && now - last < NOTICE_USE_REFRESH_MS;
  }

  get(hash: string): Promise<ArchivedNotice | undefined> {
    return this.archive.get(hash);
  }

  list(): Promise<Omit<ArchivedNotice, 'text'>[]> {
    return this.archive.list();
  }

  purgeUnusedBefore(cutoff: number, stillNamed: ReadonlySet<string>): Promise<number> {
    return this.archive.purgeUnusedBefore(cutoff, stillNamed);
  }
}
