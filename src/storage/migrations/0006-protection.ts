import type { Kysely } from 'kysely';

/**
 * Protected storage (S2): per-subject data keys wrapped by a key-encryption key, tombstones of
 * destroyed keys, the device id ↔ pseudonym mapping, and write-once facts about the key material.
 * Wrapped keys and sealed values are base64url text, the same on SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('data_keys')
    .addColumn('subject_id', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull().unique())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('kek_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Rotation finds the keys not yet under the new KEK, and counts keys per KEK.
  await db.schema.createIndex('data_keys_kek').on('data_keys').columns(['kek_id', 'subject_id']).execute();

  // Erasure deletes the data key row; only its random key id and the time remain, never the subject.
  await db.schema
    .createTable('data_key_tombstones')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('destroyed_at', 'bigint', (c) => c.notNull())
    .execute();

  // Kept apart from every table that uses pseudonyms; the raw device id is sealed under the
  // subject's data key, and the rows are deleted on erasure.
  await db.schema
    .createTable('pseudonyms')
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('pseudonym', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('device_id_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pseudonyms_pk', ['purpose', 'region', 'pseudonym'])
    .execute();
  await db.schema.createIndex('pseudonyms_subject').on('pseudonyms').column('subject_id').execute();

  await db.schema
    .createTable('protection_meta')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['protection_meta', 'pseudonyms', 'data_key_tombstones', 'data_keys']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
