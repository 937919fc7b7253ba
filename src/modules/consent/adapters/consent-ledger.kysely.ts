/** ConsentLedger on Kysely (SQLite and PostgreSQL): inserts and reads only. */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import { PreparedQuery } from '../../../storage/prepared.js';
import type { ConsentRecordTable } from '../../../storage/schema.js';
import type { Locale } from '../../../context/index.js';
import type { Purpose } from '../purposes.js';
import type { ConsentLedger, ConsentMethod, ConsentRecord } from '../ports.js';

export class KyselyConsentLedger implements ConsentLedger {
  constructor(private readonly db: Kysely<Database>) {}

  async append(r: ConsentRecord): Promise<void> {
    await this.db
      .insertInto('consent_records')
      .values({
        id: r.id,
        subject: r.subject,
        brand_id: r.brandId,
        granted: JSON.stringify(r.granted),
        refused: JSON.stringify(r.refused),
        notice_version: r.noticeVersion,
        notice_hash: r.noticeHash,
        locale: r.locale,
        method: r.method,
        region: r.region,
        created_at: r.createdAt,
      })
      .execute();
  }

  async latest(subject: string, brandId: string): Promise<ConsentRecord | undefined> {
    const [row] = await LATEST.rows(this.db, [subject, brandId]);
    return row ? recordOf(row) : undefined;
  }

  async history(subject: string): Promise<ConsentRecord[]> {
    const rows = await this.db.selectFrom('consent_records').selectAll().where('subject', '=', subject).orderBy('created_at').orderBy('id').execute();
    return rows.map(recordOf);
  }

  async page(options: { limit: number; after?: { createdAt: number; id: string } }): Promise<ConsentRecord[]> {
    let q = this.db.selectFrom('consent_records').selectAll();
    const after = options.after;
    if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]));
    const rows = await q.orderBy('created_at').orderBy('id').limit(options.limit).execute();
    return rows.map(recordOf);
  }

  async purgeBefore(cutoff: number): Promise<number> {
    const r = await this.db.deleteFrom('consent_records').where('created_at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

/** Read on a viewer's first request on a node (then cached): compiled once. */
const LATEST = new PreparedQuery<Selectable<ConsentRecordTable>>((db, [subject, brandId]) =>
  db
    .selectFrom('consent_records')
    .selectAll()
    .where('subject', '=', subject as string)
    .where('brand_id', '=', brandId as string)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc'),
);

function recordOf(r: Selectable<ConsentRecordTable>): ConsentRecord {
  return {
    id: r.id,
    subject: r.subject,
    brandId: r.brand_id,
    granted: JSON.parse(r.granted) as Purpose[],
    refused: JSON.parse(r.refused) as Purpose[],
    noticeVersion: r.notice_version,
    noticeHash: r.notice_hash,
    locale: r.locale as Locale,
    method: r.method as ConsentMethod,
    region: r.region,
    createdAt: Number(r.created_at),
  };
}
