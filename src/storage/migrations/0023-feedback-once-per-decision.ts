import { sql, type Kysely } from 'kysely';

/**
 * Feedback counts once per recommendation and kind: a second click (or like, or purchase) on the
 * same decision under another idempotency key is the same act again, not more evidence. Rows that
 * already repeat one keep the earliest.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM recommendation_feedback WHERE EXISTS (
    SELECT 1 FROM recommendation_feedback AS earlier
    WHERE earlier.decision_id = recommendation_feedback.decision_id
      AND earlier.type = recommendation_feedback.type
      AND (earlier.created_at < recommendation_feedback.created_at
        OR (earlier.created_at = recommendation_feedback.created_at AND earlier.idempotency_key < recommendation_feedback.idempotency_key)))`.execute(db);
  await db.schema.createIndex('recommendation_feedback_once').on('recommendation_feedback').columns(['decision_id', 'type']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('recommendation_feedback_once').ifExists().execute();
}
