import type { Kysely } from 'kysely';

/**
 * Cross-border transfer (L1, L2): the registry of recipients and their transfer bases (PIPL 38) with
 * its change history, separate consent per viewer and recipient (PIPL 39), the log of every outbound
 * call the gateway refused or made, and the yearly count of individuals whose personal information
 * left the region, with its threshold alerts (2024 CAC provisions). Subjects are keyed ids only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('transfer_destinations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('recipient_name', 'text', (c) => c.notNull())
    .addColumn('contact', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('purpose_zh', 'text', (c) => c.notNull())
    .addColumn('purpose_en', 'text', (c) => c.notNull())
    .addColumn('method_zh', 'text', (c) => c.notNull())
    .addColumn('method_en', 'text', (c) => c.notNull())
    .addColumn('rights_zh', 'text', (c) => c.notNull())
    .addColumn('rights_en', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('sensitive', 'integer', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('transfer_bases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('destination_id', 'text', (c) => c.notNull().references('transfer_destinations.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_by', 'text')
    .addColumn('revoke_reason', 'text')
    .execute();
  await db.schema.createIndex('transfer_bases_destination').on('transfer_bases').columns(['destination_id', 'recorded_at']).execute();

  await db.schema
    .createTable('transfer_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('destination_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('transfer_changes_time').on('transfer_changes').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('transfer_changes_destination').on('transfer_changes').columns(['destination_id', 'created_at']).execute();

  await db.schema
    .createTable('transfer_consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('destination_id', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('notice_version', 'text', (c) => c.notNull())
    .addColumn('notice_hash', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // The guard asks "latest decision of these subjects for this destination".
  await db.schema.createIndex('transfer_consents_destination').on('transfer_consents').columns(['destination_id', 'subject', 'created_at']).execute();
  await db.schema.createIndex('transfer_consents_subject').on('transfer_consents').columns(['subject', 'created_at']).execute();

  await db.schema
    .createTable('transfer_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('destination_id', 'text', (c) => c.notNull())
    .addColumn('region', 'text')
    .addColumn('cross_border', 'integer', (c) => c.notNull())
    .addColumn('subjects', 'integer', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('sensitive', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('http_status', 'integer')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('transfer_log_time').on('transfer_log').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('transfer_log_outcome').on('transfer_log').columns(['outcome', 'created_at']).execute();

  // The unique key is the counter: an individual is one row per year and kind, however often sent.
  await db.schema
    .createTable('transfer_individuals')
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('transfer_individuals_pk', ['year', 'kind', 'subject'])
    .execute();
  await db.schema.createIndex('transfer_individuals_subject').on('transfer_individuals').column('subject').execute();

  await db.schema
    .createTable('transfer_year_totals')
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('transfer_year_totals_pk', ['year', 'kind'])
    .execute();

  await db.schema
    .createTable('transfer_alerts')
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('threshold', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('limit_value', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('raised_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('transfer_alerts_pk', ['year', 'threshold', 'level'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'transfer_alerts',
    'transfer_year_totals',
    'transfer_individuals',
    'transfer_log',
    'transfer_consents',
    'transfer_changes',
    'transfer_bases',
    'transfer_destinations',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
