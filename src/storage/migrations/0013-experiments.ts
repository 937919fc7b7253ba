import type { Kysely } from 'kysely';

/**
 * A/B experiments on recommendations. An experiment's definition; its units (one row per viewer
 * with personalisation consent who was exposed: a keyed hash of the viewer's pseudonym under the
 * experiment's own salt, never the pseudonym itself, and that viewer's outcome counters); the
 * totals per arm (also of the viewers outside the comparison, anonymously); and the scheduled looks
 * (interim analyses), whose information fractions fix the group-sequential boundaries. Decisions
 * record the experiment and arm that made them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('experiments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // The whole definition as JSON (arms, allocation, metrics, guardrails, plan), validated on write.
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('simulated', 'integer', (c) => c.notNull())
    // 32 random bytes (hex): the key of the assignment hash, so units of two experiments cannot be linked.
    .addColumn('assignment_salt', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('stopped_at', 'bigint')
    .addColumn('stop_reason', 'text')
    .execute();
  await db.schema.createIndex('experiments_status').on('experiments').columns(['status', 'brand_id']).execute();

  await db.schema
    .createTable('experiment_units')
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('arm', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('impressions', 'integer', (c) => c.notNull())
    .addColumn('clicks', 'integer', (c) => c.notNull())
    .addColumn('carts', 'integer', (c) => c.notNull())
    .addColumn('orders', 'integer', (c) => c.notNull())
    .addColumn('gmv_fen', 'bigint', (c) => c.notNull())
    .addColumn('reports', 'integer', (c) => c.notNull())
    .addColumn('opted_out', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_units_pk', ['experiment_id', 'unit'])
    .execute();
  await db.schema.createIndex('experiment_units_arm').on('experiment_units').columns(['experiment_id', 'arm']).execute();
  await db.schema.createIndex('experiment_units_seen').on('experiment_units').column('last_seen_at').execute();

  await db.schema
    .createTable('experiment_arm_totals')
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('arm', 'text', (c) => c.notNull())
    // 'in': units in the comparison; 'outside': viewers without personalisation consent (anonymous counts only).
    .addColumn('cohort', 'text', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addColumn('impressions', 'bigint', (c) => c.notNull())
    .addColumn('clicks', 'bigint', (c) => c.notNull())
    .addColumn('carts', 'bigint', (c) => c.notNull())
    .addColumn('orders', 'bigint', (c) => c.notNull())
    .addColumn('gmv_fen', 'bigint', (c) => c.notNull())
    .addColumn('ranking_cpu_micros', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_arm_totals_pk', ['experiment_id', 'arm', 'cohort'])
    .execute();

  await db.schema
    .createTable('experiment_looks')
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('look', 'integer', (c) => c.notNull())
    .addColumn('fraction', 'double precision', (c) => c.notNull())
    .addColumn('taken_at', 'bigint', (c) => c.notNull())
    // The analysis at that look (per-arm sums, intervals, verdict) as JSON: what the page showed then.
    .addColumn('analysis', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_looks_pk', ['experiment_id', 'look'])
    .execute();

  await db.schema.alterTable('recommendation_decisions').addColumn('experiment_id', 'text').execute();
  await db.schema.alterTable('recommendation_decisions').addColumn('arm', 'text').execute();
}
