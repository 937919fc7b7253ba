import type { Kysely } from 'kysely';

/**
 * Pruning a model's stored updates looks for the rows older than the prune age (an hour) through
 * this index, instead of walking every row the latest snapshot holds: a busy node learns thousands
 * of updates a second and snapshots every few seconds, and each walk went over the whole hour.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('model_updates_model_created').on('model_updates').columns(['model', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('model_updates_model_created').execute();
}
