/**
 * AccessLogStore on Kysely: the same code serves SQLite and PostgreSQL.
 *
 * Every append starts by writing the head row (`size = size + 1 … returning`): on PostgreSQL that
 * takes the row lock, so a second append waits for the first transaction to end and then reads its
 * result; SQLite has a single writer and the first write takes it. Writing before reading means no
 * dialect flag is needed and no two appends can see the same size. `seq` is also the primary key,
 * a second guard.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { AccessLogCheckpointTable } from '../../../storage/schema.js';
import { leafHash } from '../merkle.js';
import { Frontier } from '../tree.js';
import type { AccessLogDb, AccessLogStore, StoredCheckpoint, StoredEntry, StoredHead } from '../ports.js';

export class KyselyAccessLogStore implements AccessLogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(encode: (seq: number) => string, db?: AccessLogDb): Promise<StoredEntry> {
    const work = async (tx: AccessLogDb): Promise<StoredEntry> => {
      const head = await tx
        .updateTable('access_log_head')
        .set((eb) => ({ size: eb('size', '+', 1) }))
        .where('id', '=', 1)
        .returning(['size', 'frontier'])
        .executeTakeFirstOrThrow();
      const seq = Number(head.size) - 1;
      // `frontier` is still the value before this append: only `size` was set.
      const frontier = Frontier.of(seq, parseFrontier(head.frontier));
      const entry = encode(seq);
      const leaf = leafHash(entry);
      frontier.append(leaf);
      await tx.insertInto('access_log_entries').values({ seq, entry, leaf_hash: leaf.toString('hex') }).execute();
      await tx.updateTable('access_log_head').set({ frontier: formatFrontier(frontier) }).where('id', '=', 1).execute();
      return { seq, entry, leafHash: leaf.toString('hex') };
    };
    const runner = db ?? this.db;
    return runner.isTransaction ? work(runner) : runner.transaction().execute(work);
  }

  async entries(fromSeq: number, limit: number): Promise<StoredEntry[]> {
    const rows = await this.db
      .selectFrom('access_log_entries')
      .select(['seq', 'entry', 'leaf_hash'])
      .where('seq', '>=', fromSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: Number(r.seq), entry: r.entry, leafHash: r.leaf_hash }));
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('access_log_entries')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async head(): Promise<StoredHead> {
    const row = await this.db.selectFrom('access_log_head').select(['size', 'frontier', 'checkpoints']).where('id', '=', 1).executeTakeFirstOrThrow();
    const treeSize = Number(row.size);
    const checkpoints = Number(row.checkpoints);
    try {
      return { treeSize, checkpoints, rootHash: Frontier.of(treeSize, parseFrontier(row.frontier)).root().toString('hex') };
    } catch {
      return { treeSize, checkpoints, rootHash: null };
    }
  }

  async addCheckpoint(
    sign: (head: { number: number; treeSize: number; rootHash: string }) => { createdAt: number; keyId: string; signature: string },
  ): Promise<StoredCheckpoint> {
    return this.db.transaction().execute(async (tx) => {
      const head = await tx
        .updateTable('access_log_head')
        .set((eb) => ({ checkpoints: eb('checkpoints', '+', 1) }))
        .where('id', '=', 1)
        .returning(['size', 'frontier', 'checkpoints'])
        .executeTakeFirstOrThrow();
      const number = Number(head.checkpoints) - 1;
      const treeSize = Number(head.size);
      const rootHash = Frontier.of(treeSize, parseFrontier(head.frontier)).root().toString('hex');
      const signed = sign({ number, treeSize, rootHash });
      const checkpoint: StoredCheckpoint = { number, treeSize, rootHash, ...signed };
      await tx
        .insertInto('access_log_checkpoints')
        .values({
          number,
          tree_size: treeSize,
          root_hash: rootHash,
          created_at: signed.createdAt,
          key_id: signed.keyId,
          signature: signed.signature,
        })
        .execute();
      return checkpoint;
    });
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const rows = await this.db.selectFrom('access_log_checkpoints').selectAll().orderBy('number').execute();
    return rows.map(checkpointOfRow);
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const row = await this.db.selectFrom('access_log_checkpoints').selectAll().orderBy('number', 'desc').limit(1).executeTakeFirst();
    return row ? checkpointOfRow(row) : undefined;
  }
}

function checkpointOfRow(r: Selectable<AccessLogCheckpointTable>): StoredCheckpoint {
  return {
    number: Number(r.number),
    treeSize: Number(r.tree_size),
    rootHash: r.root_hash,
    createdAt: Number(r.created_at),
    keyId: r.key_id,
    signature: r.signature,
  };
}

/** Throws on anything but comma-separated 64-digit hex (a corrupt head must stop appends). */
function parseFrontier(text: string): Buffer[] {
  if (text === '') return [];
  return text.split(',').map((h) => {
    if (!/^[0-9a-f]{64}$/.test(h)) throw new Error('the access log head holds a malformed subtree hash');
    return Buffer.from(h, 'hex');
  });
}

function formatFrontier(f: Frontier): string {
  return f.subtreeHashes.map((h) => h.toString('hex')).join(',');
}
