import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../storage/index.js';
import { PreparedQuery } from '../../../storage/prepared.js';
import type { ViewerProfileTable } from '../../../storage/schema.js';

/** Read on a viewer's first request on a node (then cached): compiled once. */
const PROFILE = new PreparedQuery<ViewerProfileTable>((db, [subject]) => db.selectFrom('viewer_profiles').selectAll().where('subject', '=', subject as string));
import type { StoredGuardianConsent, StoredGuardianRequest, StoredProfile, ViewerProfileStore } from '../ports.js';

export class KyselyViewerProfileStore implements ViewerProfileStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(subject: string): Promise<StoredProfile | undefined> {
    const [r] = await PROFILE.rows(this.db, [subject]);
    if (!r) return undefined;
    return {
      subject: r.subject,
      region: r.region,
      profileSealed: r.profile_sealed,
      version: Number(r.version),
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    };
  }

  async put(p: StoredProfile, expectedVersion: number | undefined): Promise<boolean> {
    if (expectedVersion === undefined) {
      const r = await this.db
        .insertInto('viewer_profiles')
        .values({
          subject: p.subject,
          region: p.region,
          profile_sealed: p.profileSealed,
          version: p.version,
          created_at: p.createdAt,
          updated_at: p.updatedAt,
        })
        .onConflict((oc) => oc.column('subject').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const r = await this.db
      .updateTable('viewer_profiles')
      .set({ profile_sealed: p.profileSealed, version: p.version, updated_at: p.updatedAt })
      .where('subject', '=', p.subject)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async appendGuardianConsent(c: StoredGuardianConsent): Promise<void> {
    await this.db
      .insertInto('guardian_consents')
      .values({
        id: c.id,
        subject: c.subject,
        brand_id: c.brandId,
        guardian_subject: c.guardianSubject,
        granted: JSON.stringify(c.granted),
        details_sealed: c.detailsSealed,
        notice_version: c.noticeVersion,
        notice_hash: c.noticeHash,
        locale: c.locale,
        method: c.method,
        region: c.region,
        created_at: c.createdAt,
      })
      .execute();
  }

  async guardianConsents(subject: string, brandId?: string): Promise<StoredGuardianConsent[]> {
    let q = this.db.selectFrom('guardian_consents').selectAll().where('subject', '=', subject);
    if (brandId !== undefined) q = q.where('brand_id', '=', brandId);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      subject: r.subject,
      brandId: r.brand_id,
      guardianSubject: r.guardian_subject,
      granted: JSON.parse(r.granted) as string[],
      detailsSealed: r.details_sealed,
      noticeVersion: r.notice_version,
      noticeHash: r.notice_hash,
      locale: r.locale,
      method: r.method as StoredGuardianConsent['method'],
      region: r.region,
      createdAt: Number(r.created_at),
    }));
  }

  async addGuardianRequest(q: StoredGuardianRequest): Promise<void> {
    await this.db
      .insertInto('guardian_requests')
      .values({ code_hash: q.codeHash, subject: q.subject, brand_id: q.brandId, region: q.region, created_at: q.createdAt, expires_at: q.expiresAt, completed_at: q.completedAt })
      .execute();
  }

  async guardianRequest(codeHash: string): Promise<StoredGuardianRequest | undefined> {
    const r = await this.db.selectFrom('guardian_requests').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
    if (!r) return undefined;
    return {
      codeHash: r.code_hash,
      subject: r.subject,
      brandId: r.brand_id,
      region: r.region,
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
      completedAt: r.completed_at === null ? null : Number(r.completed_at),
    };
  }

  async completeGuardianRequest(codeHash: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('guardian_requests')
      .set({ completed_at: at })
      .where('code_hash', '=', codeHash)
      .where('completed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async reserveSpend(subject: string, region: string, period: string, amountFen: number, limitFen: number, now: number): Promise<boolean> {
    if (amountFen > limitFen) return false;
    // Insert the first spend of the period, or add to it only while the total stays within the limit.
    const r = await this.db
      .insertInto('minor_spend')
      .values({ subject, region, period, spent_fen: amountFen, updated_at: now })
      .onConflict((oc) =>
        oc
          .columns(['subject', 'period'])
          .doUpdateSet({ spent_fen: sql`minor_spend.spent_fen + ${amountFen}`, updated_at: now })
          .where(sql<boolean>`minor_spend.spent_fen + ${amountFen} <= ${limitFen}`),
      )
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async releaseSpend(subject: string, period: string, amountFen: number, now: number): Promise<void> {
    await this.db
      .updateTable('minor_spend')
      .set({ spent_fen: sql`case when spent_fen >= ${amountFen} then spent_fen - ${amountFen} else 0 end`, updated_at: now })
      .where('subject', '=', subject)
      .where('period', '=', period)
      .execute();
  }

  async spent(subject: string, period: string): Promise<number> {
    const r = await this.db.selectFrom('minor_spend').select('spent_fen').where('subject', '=', subject).where('period', '=', period).executeTakeFirst();
    return r ? Number(r.spent_fen) : 0;
  }

  async purgeGuardianBefore(cutoff: number, linksExpiredBefore: number): Promise<number> {
    const a = await this.db.deleteFrom('guardian_consents').where('created_at', '<', cutoff).executeTakeFirst();
    const b = await this.db.deleteFrom('guardian_requests').where('expires_at', '<', linksExpiredBefore).executeTakeFirst();
    return Number(a.numDeletedRows) + Number(b.numDeletedRows);
  }

  async deleteSubject(subject: string): Promise<number> {
    let n = 0;
    for (const table of ['viewer_profiles', 'guardian_requests', 'minor_spend'] as const) {
      const r = await this.db.deleteFrom(table).where('subject', '=', subject).executeTakeFirst();
      n += Number(r.numDeletedRows);
    }
    return n;
  }
}
