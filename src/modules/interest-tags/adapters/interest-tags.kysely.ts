import type { Kysely } from 'kysely';
import type { Database } from '../../../storage/index.js';
import { PreparedQuery } from '../../../storage/prepared.js';
import type { ViewerTagsTable } from '../../../storage/schema.js';

/** Read on every personalised recommendation: compiled once. */
const TAGS = new PreparedQuery<ViewerTagsTable>((db, [subject]) => db.selectFrom('viewer_tags').selectAll().where('subject', '=', subject as string));
import type { InterestTagStore, StoredTags } from '../ports.js';

export class KyselyInterestTagStore implements InterestTagStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(subject: string): Promise<StoredTags | undefined> {
    const [r] = await TAGS.rows(this.db, [subject]);
    return r ? { subject: r.subject, region: r.region, tagsSealed: r.tags_sealed, version: Number(r.version), updatedAt: Number(r.updated_at) } : undefined;
  }

  async put(t: StoredTags, expectedVersion: number | undefined): Promise<boolean> {
    if (expectedVersion === undefined) {
      const r = await this.db
        .insertInto('viewer_tags')
        .values({ subject: t.subject, region: t.region, tags_sealed: t.tagsSealed, version: t.version, updated_at: t.updatedAt })
        .onConflict((oc) => oc.column('subject').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const r = await this.db
      .updateTable('viewer_tags')
      .set({ tags_sealed: t.tagsSealed, version: t.version, updated_at: t.updatedAt })
      .where('subject', '=', t.subject)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteSubject(subject: string): Promise<number> {
    const r = await this.db.deleteFrom('viewer_tags').where('subject', '=', subject).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
