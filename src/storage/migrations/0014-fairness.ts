import type { Kysely } from 'kysely';

/**
 * Fairness audits. A decision now records what the audit needs and nothing that identifies the
 * viewer: the list it was shown in, the price the viewer saw and the list price, the product's category, and the coarse
 * segments of the list (declared child age band, declared city tier, device class, new or
 * returning), each null when not declared or not known. Audits keep their report (aggregates
 * only; small groups suppressed) for at least three years (A8); a run key makes each scheduled or
 * end-of-session audit run once across nodes. Live alerts point at the audit that raised them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [column, type] of [
    // The first decision id of the list this row was shown in.
    ['list_id', 'text'],
    // A label for one viewer's lists within one show: HMAC of the device id under a random key that
    // one node holds in memory for the show and never stores, so the audit can count a viewer's
    // lists as one unit; once the key is gone the label leads to no one.
    ['show_viewer', 'text'],
    // What the exposure-fair re-ranker did to the list (holdout, kept, changed), when it is on.
    ['rerank', 'text'],
    ['price_fen', 'integer'],
    ['list_price_fen', 'integer'],
    ['category', 'text'],
    ['seg_child_age', 'text'],
    ['seg_city_tier', 'text'],
    ['seg_device', 'text'],
    ['seg_visitor', 'text'],
  ] as const) {
    await db.schema.alterTable('recommendation_decisions').addColumn(column, type).execute();
  }

  await db.schema
    .createTable('fairness_audits')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // session_end:<session> | scheduled:<brand>:<day> | live:<session>:<n>; null on demand.
    .addColumn('run_key', 'text', (c) => c.unique())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('scope_from', 'bigint', (c) => c.notNull())
    .addColumn('scope_until', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('keep_until', 'bigint', (c) => c.notNull())
    .addColumn('decisions', 'integer', (c) => c.notNull())
    .addColumn('flagged', 'integer', (c) => c.notNull())
    .addColumn('simulated', 'integer', (c) => c.notNull())
    // The list row's trend figures (JSON), and the full report (JSON).
    .addColumn('headline', 'text', (c) => c.notNull())
    .addColumn('report', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('fairness_audits_brand').on('fairness_audits').columns(['brand_id', 'created_at']).execute();
  await db.schema.createIndex('fairness_audits_session').on('fairness_audits').columns(['session_id', 'created_at']).execute();
  await db.schema.createIndex('fairness_audits_time').on('fairness_audits').column('created_at').execute();

  await db.schema
    .createTable('fairness_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('audit_id', 'text', (c) => c.notNull())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // The flags (JSON): what crossed its threshold significantly, in words.
    .addColumn('flags', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'text')
    .execute();
  await db.schema.createIndex('fairness_alerts_session').on('fairness_alerts').columns(['session_id', 'created_at']).execute();
  await db.schema.createIndex('fairness_alerts_brand').on('fairness_alerts').columns(['brand_id', 'created_at']).execute();
}
