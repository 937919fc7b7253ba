import type { Kysely } from 'kysely';

/**
 * The recommender: every decision (impression) with its propensity, for health figures and
 * off-policy evaluation; feedback once per idempotency key; the model as snapshots plus the updates
 * since. No viewer identity is stored: a decision carries only non-personal features (product and
 * room), and model updates only numbers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('recommendation_decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('propensity', 'double precision', (c) => c.notNull())
    .addColumn('explored', 'integer', (c) => c.notNull())
    .addColumn('personalised', 'integer', (c) => c.notNull())
    .addColumn('model_version', 'text', (c) => c.notNull())
    // JSON of the non-personal features (product and room) at decision time.
    .addColumn('context', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('clicked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('carted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('purchased', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('feedback', 'text')
    .execute();
  await db.schema.createIndex('recommendation_decisions_session').on('recommendation_decisions').columns(['session_id', 'created_at']).execute();
  await db.schema.createIndex('recommendation_decisions_time').on('recommendation_decisions').column('created_at').execute();

  await db.schema
    .createTable('recommendation_feedback')
    .addColumn('idempotency_key', 'text', (c) => c.primaryKey())
    .addColumn('decision_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('learned', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('recommendation_feedback_time').on('recommendation_feedback').column('created_at').execute();

  await db.schema
    .createTable('model_snapshots')
    .addColumn('version', 'text', (c) => c.primaryKey())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('updates', 'bigint', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('model_snapshots_model').on('model_snapshots').columns(['model', 'updates']).execute();

  // The updates since the last snapshot: feature vector and reward only, never who.
  await db.schema
    .createTable('model_updates')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('x', 'text', (c) => c.notNull())
    .addColumn('reward', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_updates_pk', ['model', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['model_updates', 'model_snapshots', 'recommendation_feedback', 'recommendation_decisions']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
