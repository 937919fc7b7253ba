import type { Kysely } from 'kysely';

/**
 * A purchase on a recommendation names the order that made it, and an order answers for one
 * recommendation only: a purchase cannot be claimed without buying, nor one order counted twice.
 * Feedback of other kinds, and purchases recorded before this, have none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('recommendation_feedback').addColumn('order_id', 'text').execute();
  await db.schema.createIndex('recommendation_feedback_order').on('recommendation_feedback').column('order_id').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('recommendation_feedback_order').ifExists().execute();
  await db.schema.alterTable('recommendation_feedback').dropColumn('order_id').execute();
}
