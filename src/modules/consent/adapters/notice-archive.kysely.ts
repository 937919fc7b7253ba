/** NoticeArchive on Kysely (SQLite and PostgreSQL): one row per exact text, keyed by its SHA-256. */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { NoticeTextTable } from '../../../storage/schema.js';
import type { Locale } from '../../../context/index.js';
import { sha256Hex } from '../notice.js';
import type { ArchivedNotice, NoticeArchive, NoticeKind, NoticeText } from '../ports.js';

export class KyselyNoticeArchive implements NoticeArchive {
  constructor(private readonly db: Kysely<Database>) {}

  async keep(n: NoticeText, at: number): Promise<void> {
    // A hash that is not the text's would make the archive lie about what a viewer read.
    if (sha256Hex(n.text) !== n.hash) throw new Error(`notice archive: the hash given is not the SHA-256 of the ${n.kind} notice text`);
    await this.db
      .insertInto('notice_texts')
      .values({ hash: n.hash, kind: n.kind, version: n.version, locale: n.locale, scope: n.scope, text: n.text, first_used_at: at, last_used_at: at })
      .onConflict((oc) => oc.column('hash').doUpdateSet({ last_used_at: at }).where('notice_texts.last_used_at', '<', at))
      .execute();
  }

  async touch(hash: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('notice_texts').set({ last_used_at: at }).where('hash', '=', hash).where('last_used_at', '<', at).executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) return true;
    return (await this.db.selectFrom('notice_texts').select('hash').where('hash', '=', hash).executeTakeFirst()) !== undefined;
  }

  async get(hash: string): Promise<ArchivedNotice | undefined> {
    const row = await this.db.selectFrom('notice_texts').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? { ...metaOf(row), text: row.text } : undefined;
  }

  async list(): Promise<Omit<ArchivedNotice, 'text'>[]> {
    const rows = await this.db
      .selectFrom('notice_texts')
      .select(['hash', 'kind', 'version', 'locale', 'scope', 'first_used_at', 'last_used_at'])
      .orderBy('last_used_at', 'desc')
      .orderBy('hash')
      .execute();
    return rows.map(metaOf);
  }

  async purgeUnusedBefore(cutoff: number, stillNamed: ReadonlySet<string>): Promise<number> {
    // The few texts past the cutoff are read, and only those no record names are deleted.
    const old = await this.db.selectFrom('notice_texts').select('hash').where('last_used_at', '<', cutoff).execute();
    const unused = old.map((r) => r.hash).filter((hash) => !stillNamed.has(hash));
    if (unused.length === 0) return 0;
    const r = await this.db.deleteFrom('notice_texts').where('hash', 'in', unused).where('last_used_at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function metaOf(r: Omit<Selectable<NoticeTextTable>, 'text'>): Omit<ArchivedNotice, 'text'> {
  return {
    hash: r.hash,
    kind: r.kind as NoticeKind,
    version: r.version,
    locale: r.locale as Locale,
    scope: r.scope,
    firstUsedAt: Number(r.first_used_at),
    lastUsedAt: Number(r.last_used_at),
  };
}
