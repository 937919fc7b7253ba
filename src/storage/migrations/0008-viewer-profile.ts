import type { Kysely } from 'kysely';

/**
 * What a viewer has told us about themselves and how they want to be treated (declared age band,
 * minors mode, the personalisation switch), the interest tags derived for ranking, guardian
 * consent for viewers under 14, and minors' spending. Every personal value is sealed under the
 * viewer's data key; rows are keyed by the viewer's keyed subject id, never a device id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('viewer_profiles')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('region', 'text', (c) => c.notNull())
    // JSON {ageBand, declaredAt, personalisation, guardian…}, sealed (AES-256-GCM envelope text).
    .addColumn('profile_sealed', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('viewer_tags')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('region', 'text', (c) => c.notNull())
    // JSON {tags: [{tag, weight, events, lastEventAt}], deleted: {tag: deletedAt}}, sealed.
    .addColumn('tags_sealed', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // A guardian's consent for a viewer under 14 (PIPL 31): append-only, its own record (M1).
  await db.schema
    .createTable('guardian_consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('guardian_subject', 'text', (c) => c.notNull())
    .addColumn('granted', 'text', (c) => c.notNull())
    // The relationship the guardian declared, sealed under the minor's data key.
    .addColumn('details_sealed', 'text', (c) => c.notNull())
    .addColumn('notice_version', 'text', (c) => c.notNull())
    .addColumn('notice_hash', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('guardian_consents_subject').on('guardian_consents').columns(['subject', 'brand_id', 'created_at']).execute();

  // One-time codes a minor hands to their guardian; only the SHA-256 of the code is kept.
  await db.schema
    .createTable('guardian_requests')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('guardian_requests_subject').on('guardian_requests').column('subject').execute();

  // Minors' spending per calendar month (M2), reserved before an order and released if it fails.
  await db.schema
    .createTable('minor_spend')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('spent_fen', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('minor_spend_pk', ['subject', 'period'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['minor_spend', 'guardian_requests', 'guardian_consents', 'viewer_tags', 'viewer_profiles']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
