import { sql, type Kysely } from 'kysely';

/**
 * Many nodes learn one model: an update is keyed by the node that learnt it and that node's own
 * count — (model, node, seq) — so two nodes never collide, and every node reads the others' rows
 * after the last it holds of each. A snapshot records which updates it holds as a version vector
 * (JSON {node: last seq}). Rows stored before keep their seq under the node 'legacy', and each
 * earlier snapshot held exactly the legacy updates up to its `updates`.
 *
 * The table is rebuilt (SQLite cannot change a primary key), the same way on both dialects.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('model_updates_by_node')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('x', 'text', (c) => c.notNull())
    .addColumn('reward', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_updates_origin_pk', ['model', 'node', 'seq'])
    .execute();
  await sql`insert into model_updates_by_node (model, node, seq, x, reward, created_at) select model, 'legacy', seq, x, reward, created_at from model_updates`.execute(db);
  await db.schema.dropTable('model_updates').execute();
  await db.schema.alterTable('model_updates_by_node').renameTo('model_updates').execute();

  await db.schema.alterTable('model_snapshots').addColumn('vector', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await sql`update model_snapshots set vector = '{"legacy":' || cast(updates as text) || '}'`.execute(db);
}

/** Back to one sequence per model: only the legacy rows fit it; the others' are dropped (the snapshots keep what they hold). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('model_updates_single')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('x', 'text', (c) => c.notNull())
    .addColumn('reward', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_updates_single_pk', ['model', 'seq'])
    .execute();
  await sql`insert into model_updates_single (model, seq, x, reward, created_at) select model, seq, x, reward, created_at from model_updates where node = 'legacy'`.execute(db);
  await db.schema.dropTable('model_updates').execute();
  await db.schema.alterTable('model_updates_single').renameTo('model_updates').execute();
  await db.schema.alterTable('model_snapshots').dropColumn('vector').execute();
}
