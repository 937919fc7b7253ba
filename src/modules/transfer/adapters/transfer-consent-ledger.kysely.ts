/** TransferConsentLedger on Kysely (SQLite and PostgreSQL): inserts and reads only. */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { TransferConsentTable } from '../../../storage/schema.js';
import type { Locale } from '../../../context/index.js';
import type { TransferConsentLedger, TransferConsentRecord, TransferDecision } from '../ports.js';

/** Subjects per IN (…) list: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

export class KyselyTransferConsentLedger implements TransferConsentLedger {
  constructor(private readonly db: Kysely<Database>) {}

  async append(r: TransferConsentRecord): Promise<void> {
    await this.db
      .insertInto('transfer_consents')
      .values({
        id: r.id,
        subject: r.subject,
        destination_id: r.destinationId,
        decision: r.decision,
        notice_version: r.noticeVersion,
        notice_hash: r.noticeHash,
        locale: r.locale,
        region: r.region,
        created_at: r.createdAt,
      })
      .execute();
  }

  async latestFor(destinationId: string, subjects: readonly string[]): Promise<Map<string, TransferConsentRecord>> {
    const latest = new Map<string, TransferConsentRecord>();
    const unique = [...new Set(subjects)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('transfer_consents')
        .selectAll()
        .where('destination_id', '=', destinationId)
        .where('subject', 'in', unique.slice(i, i + CHUNK))
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      // Oldest first, so each subject ends on its latest decision.
      for (const row of rows) latest.set(row.subject, recordOf(row));
    }
    return latest;
  }

  async history(subject: string): Promise<TransferConsentRecord[]> {
    const rows = await this.db.selectFrom('transfer_consents').selectAll().where('subject', '=', subject).orderBy('created_at').orderBy('id').execute();
    return rows.map(recordOf);
  }
}

function recordOf(r: Selectable<TransferConsentTable>): TransferConsentRecord {
  return {
    id: r.id,
    subject: r.subject,
    destinationId: r.destination_id,
    decision: r.decision as TransferDecision,
    noticeVersion: r.notice_version,
    noticeHash: r.notice_hash,
    locale: r.locale as Locale,
    region: r.region,
    createdAt: Number(r.created_at),
  };
}
