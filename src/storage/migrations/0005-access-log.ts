import { sql, type Kysely } from 'kysely';

/**
 * The tamper-evident access log (RFC 6962 Merkle tree): append-only entries with their leaf hashes,
 * the one head row that serialises appends and keeps the tree's right edge, and signed checkpoints.
 * Hashes are hex text and times epoch ms, as elsewhere, so both dialects hold the same shapes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('access_log_entries')
    .addColumn('seq', 'bigint', (c) => c.primaryKey().check(sql`seq >= 0`))
    .addColumn('entry', 'text', (c) => c.notNull())
    .addColumn('leaf_hash', 'text', (c) => c.notNull())
    .execute();

  // Exactly one row. Every append updates it first: that write lock serialises appends (PostgreSQL
  // row lock; SQLite has one writer) and hands out the next position.
  await db.schema
    .createTable('access_log_head')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('size', 'bigint', (c) => c.notNull().check(sql`size >= 0`))
    .addColumn('frontier', 'text', (c) => c.notNull())
    .addColumn('checkpoints', 'bigint', (c) => c.notNull().check(sql`checkpoints >= 0`))
    .execute();
  await sql`insert into access_log_head (id, size, frontier, checkpoints) values (1, 0, '', 0)`.execute(db);

  await db.schema
    .createTable('access_log_checkpoints')
    .addColumn('number', 'bigint', (c) => c.primaryKey().check(sql`number >= 0`))
    .addColumn('tree_size', 'bigint', (c) => c.notNull())
    .addColumn('root_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['access_log_checkpoints', 'access_log_head', 'access_log_entries']) await db.schema.dropTable(t).ifExists().execute();
}
