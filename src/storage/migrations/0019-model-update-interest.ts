import type { Kysely } from 'kysely';

/**
 * A model update learnt from an item shown to a viewer who declared a child age band carries the
 * item's part in the model's age-band counts (the feature `profile.age_band_popular`): JSON
 * `[band, category, shown, positive]`, null on every other update and on those stored before. So
 * the counts replicate and restore with the model they were learnt with.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('model_updates').addColumn('interest', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('model_updates').dropColumn('interest').execute();
}
