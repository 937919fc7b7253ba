import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/**
 * Access-log retention and proofs served from the store:
 * - access_log_nodes: every complete interior subtree hash (level ≥ 1), so an inclusion or
 *   consistency proof reads O(log n) rows instead of every leaf. Filled here for entries written
 *   before this migration; appends write their new nodes from then on.
 * - access_log_retention: the prune horizon. Past their retention, entries lose their body (the
 *   JSON naming staff and pseudonymous subjects) but keep their leaf hash, so the tree still verifies.
 * - access_log_verifications: verification runs (who, when, ok or the problems found), shared by
 *   every node and kept across restarts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('access_log_nodes')
    .addColumn('level', 'integer', (c) => c.notNull().check(sql`level >= 1`))
    .addColumn('idx', 'bigint', (c) => c.notNull().check(sql`idx >= 0`))
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_log_nodes_pk', ['level', 'idx'])
    .execute();

  await db.schema
    .createTable('access_log_retention')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('pruned_below', 'bigint', (c) => c.notNull().check(sql`pruned_below >= 0`))
    .execute();
  await sql`insert into access_log_retention (id, pruned_below) values (1, 0)`.execute(db);

  await db.schema
    .createTable('access_log_verifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ok', 'failed', 'error')`))
    .addColumn('problem_count', 'bigint', (c) => c.notNull())
    .addColumn('report', 'text')
    .addColumn('error_code', 'text')
    .execute();
  await db.schema.createIndex('access_log_verifications_started').on('access_log_verifications').columns(['started_at']).execute();

  await backfillNodes(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['access_log_verifications', 'access_log_retention', 'access_log_nodes']) await db.schema.dropTable(t).ifExists().execute();
}

/**
 * The interior nodes of the entries already stored, computed from their leaf hashes with the same
 * right-edge merge the store uses (self-contained: a migration must not change with later code).
 */
export async function backfillNodes(db: Kysely<unknown>): Promise<void> {
  const PAGE = 5000;
  const right: Buffer[] = [];
  let size = 0;
  let pending: { level: number; idx: number; hash: string }[] = [];
  const flush = async () => {
    for (let i = 0; i < pending.length; i += 1000) {
      await sql`insert into access_log_nodes (level, idx, hash) values ${sql.join(pending.slice(i, i + 1000).map((n) => sql`(${n.level}, ${n.idx}, ${n.hash})`))}`.execute(db);
    }
    pending = [];
  };
  for (let from = 0; ; ) {
    const { rows } = await sql<{ seq: number | string; leaf_hash: string }>`select seq, leaf_hash from access_log_entries where seq >= ${from} order by seq limit ${PAGE}`.execute(db);
    for (const row of rows) {
      // A gap or an unreadable hash (a log tampered with before this migration) stops the backfill:
      // proofs past it are refused, and the verifier reports the damage itself.
      if (Number(row.seq) !== size || !/^[0-9a-f]{64}$/.test(row.leaf_hash)) {
        await flush();
        return;
      }
      let h = Buffer.from(row.leaf_hash, 'hex');
      let s = size;
      let level = 0;
      while (s % 2 === 1) {
        h = createHash('sha256').update(Buffer.from([1])).update(right.pop()!).update(h).digest();
        level++;
        s = Math.floor(s / 2);
        pending.push({ level, idx: (size + 1) / 2 ** level - 1, hash: h.toString('hex') });
      }
      right.push(h);
      size++;
    }
    if (pending.length >= 5000) await flush();
    if (rows.length < PAGE) break;
    from = size;
  }
  await flush();
}
