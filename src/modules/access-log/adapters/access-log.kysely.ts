/**
 * AccessLogStore on Kysely: the same code serves SQLite and PostgreSQL.
 *
 * Every append starts by writing the head row (`size = size + n … returning`): on PostgreSQL that
 * takes the row lock, so a second append waits for the first transaction to end and then reads its
 * result; SQLite has a single writer and the first write takes it. Writing before reading means no
 * dialect flag is needed and no two appends can see the same size. `seq` is also the primary key,
 * a second guard.
 *
 * Beside each entry's leaf hash the store keeps every complete interior subtree hash
 * (access_log_nodes), so a proof reads O(log n) rows; and a prune horizon, below which entries may
 * have lost their body past retention while keeping their leaf hash.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { AccessLogCheckpointTable, AccessLogVerificationTable } from '../../../storage/schema.js';
import { consistencyProof, inclusionProof, leafHash } from '../merkle.js';
import { Frontier, hashOfRange, nodesOfRange, type NodeRef } from '../tree.js';
import type { VerifyReport } from '../verify.js';
import type { AccessLogDb, AccessLogStore, StoredCheckpoint, StoredEntry, StoredHead, VerificationRun } from '../ports.js';

/** Rows per multi-row insert: 3 parameters each, far below both dialects' limits. */
const INSERT_CHUNK = 1000;
const HEX_HASH = /^[0-9a-f]{64}$/;

export class KyselyAccessLogStore implements AccessLogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(encode: (seq: number) => string, db?: AccessLogDb): Promise<StoredEntry> {
    return (await this.appendMany(encode, 1, db))[0]!;
  }

  async appendMany(encode: (seq: number) => string, count: number, db?: AccessLogDb): Promise<StoredEntry[]> {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError('append at least one entry');
    const runner = db ?? this.db;
    return runner.isTransaction ? appendIn(runner, encode, count) : runner.transaction().execute((tx) => appendIn(tx, encode, count));
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

  async entry(seq: number): Promise<StoredEntry | undefined> {
    const r = await this.db.selectFrom('access_log_entries').select(['seq', 'entry', 'leaf_hash']).where('seq', '=', seq).executeTakeFirst();
    return r ? { seq: Number(r.seq), entry: r.entry, leafHash: r.leaf_hash } : undefined;
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

  async pruneHorizon(): Promise<number> {
    const row = await this.db.selectFrom('access_log_retention').select('pruned_below').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(row.pruned_below);
  }

  async pruneBodies(end: number, record: (seq: number, horizon: number) => string): Promise<{ pruned: number; horizon: number }> {
    return this.db.transaction().execute(async (tx) => {
      // Take the head lock first (a write), as appends do: the horizon and the record's position are
      // then one consistent state, and two prunes cannot interleave.
      const head = await tx.updateTable('access_log_head').set((eb) => ({ size: eb('size', '+', 0) })).where('id', '=', 1).returning('size').executeTakeFirstOrThrow();
      const { pruned_below } = await tx.selectFrom('access_log_retention').select('pruned_below').where('id', '=', 1).executeTakeFirstOrThrow();
      const horizon = Number(pruned_below);
      const to = Math.min(end, Number(head.size));
      if (to <= horizon) return { pruned: 0, horizon };
      const result = await tx.updateTable('access_log_entries').set({ entry: '' }).where('seq', '>=', horizon).where('seq', '<', to).executeTakeFirst();
      await tx.updateTable('access_log_retention').set({ pruned_below: to }).where('id', '=', 1).execute();
      await appendIn(tx, (seq) => record(seq, to), 1);
      return { pruned: Number(result.numUpdatedRows), horizon: to };
    });
  }

  async inclusionProof(index: number, treeSize: number): Promise<Buffer[] | undefined> {
    return this.proofFromNodes(treeSize, (hashOf) => inclusionProof(index, treeSize, hashOf));
  }

  async consistencyProof(m: number, n: number): Promise<Buffer[] | undefined> {
    return this.proofFromNodes(n, (hashOf) => consistencyProof(m, n, hashOf));
  }

  /**
   * Runs a proof builder twice: first to learn which subtree hashes it asks for (decomposed into
   * stored complete nodes), then, after reading those in two queries, to build it.
   */
  private async proofFromNodes(treeSize: number, build: (hashOf: (start: number, end: number) => Uint8Array) => Buffer[]): Promise<Buffer[] | undefined> {
    const head = await this.db.selectFrom('access_log_head').select('size').where('id', '=', 1).executeTakeFirstOrThrow();
    if (treeSize > Number(head.size)) throw new RangeError(`the log has ${Number(head.size)} entries, not ${treeSize}`);
    const wanted = new Map<string, NodeRef>();
    const placeholder = Buffer.alloc(32);
    build((start, end) => {
      for (const node of nodesOfRange(start, end)) wanted.set(nodeKey(node), node);
      return placeholder;
    });
    const hashes = await this.nodeHashes([...wanted.values()]);
    let missing = false;
    const proof = build((start, end) => {
      const h = hashOfRange(start, end, (node) => hashes.get(nodeKey(node)));
      if (!h) missing = true;
      return h ?? placeholder;
    });
    return missing ? undefined : proof;
  }

  private async nodeHashes(nodes: readonly NodeRef[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const leaves = nodes.filter((n) => n.level === 0).map((n) => n.index);
    const interior = nodes.filter((n) => n.level > 0);
    if (leaves.length) {
      const rows = await this.db.selectFrom('access_log_entries').select(['seq', 'leaf_hash']).where('seq', 'in', leaves).execute();
      for (const r of rows) if (HEX_HASH.test(r.leaf_hash)) found.set(nodeKey({ level: 0, index: Number(r.seq) }), Buffer.from(r.leaf_hash, 'hex'));
    }
    if (interior.length) {
      const rows = await this.db
        .selectFrom('access_log_nodes')
        .select(['level', 'idx', 'hash'])
        .where((eb) => eb.or(interior.map((n) => eb.and([eb('level', '=', n.level), eb('idx', '=', n.index)]))))
        .execute();
      for (const r of rows) if (HEX_HASH.test(r.hash)) found.set(nodeKey({ level: Number(r.level), index: Number(r.idx) }), Buffer.from(r.hash, 'hex'));
    }
    return found;
  }

  async saveVerification(run: VerificationRun): Promise<void> {
    await this.db
      .insertInto('access_log_verifications')
      .values({
        id: run.id,
        started_at: run.startedAt,
        finished_at: run.finishedAt,
        duration_ms: Math.round(run.durationMs),
        actor_id: run.actor.id,
        actor_role: run.actor.role,
        status: run.status,
        problem_count: run.problemCount,
        report: run.report ? JSON.stringify(run.report) : null,
        error_code: run.errorCode,
      })
      .execute();
  }

  async latestVerification(): Promise<VerificationRun | undefined> {
    const row = await this.db
      .selectFrom('access_log_verifications')
      .selectAll()
      .orderBy('started_at', 'desc')
      .orderBy('finished_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? verificationOfRow(row) : undefined;
  }

  async purgeVerifications(cutoff: number): Promise<number> {
    const latest = await this.latestVerification();
    let query = this.db.deleteFrom('access_log_verifications').where('started_at', '<', cutoff);
    if (latest) query = query.where('id', '!=', latest.id);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** The append itself, inside `tx` (which holds the head lock from its first statement on). */
async function appendIn(tx: AccessLogDb, encode: (seq: number) => string, count: number): Promise<StoredEntry[]> {
  const head = await tx
    .updateTable('access_log_head')
    .set((eb) => ({ size: eb('size', '+', count) }))
    .where('id', '=', 1)
    .returning(['size', 'frontier'])
    .executeTakeFirstOrThrow();
  const first = Number(head.size) - count;
  // `frontier` is still the value before this append: only `size` was set.
  const frontier = Frontier.of(first, parseFrontier(head.frontier));
  const entries: StoredEntry[] = [];
  const nodes: { level: number; idx: number; hash: string }[] = [];
  for (let seq = first; seq < first + count; seq++) {
    const entry = encode(seq);
    const leaf = leafHash(entry);
    const completed = frontier.append(leaf);
    for (let l = 0; l < completed.length; l++) {
      const level = l + 1;
      nodes.push({ level, idx: (seq + 1) / 2 ** level - 1, hash: completed[l]!.toString('hex') });
    }
    entries.push({ seq, entry, leafHash: leaf.toString('hex') });
  }
  for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
    await tx
      .insertInto('access_log_entries')
      .values(entries.slice(i, i + INSERT_CHUNK).map((e) => ({ seq: e.seq, entry: e.entry, leaf_hash: e.leafHash })))
      .execute();
  }
  for (let i = 0; i < nodes.length; i += INSERT_CHUNK) {
    await tx.insertInto('access_log_nodes').values(nodes.slice(i, i + INSERT_CHUNK)).execute();
  }
  await tx.updateTable('access_log_head').set({ frontier: formatFrontier(frontier) }).where('id', '=', 1).execute();
  return entries;
}

const nodeKey = (n: NodeRef) => `${n.level}:${n.index}`;

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

function verificationOfRow(r: Selectable<AccessLogVerificationTable>): VerificationRun {
  return {
    id: r.id,
    startedAt: Number(r.started_at),
    finishedAt: Number(r.finished_at),
    durationMs: Number(r.duration_ms),
    actor: { id: r.actor_id, role: r.actor_role as VerificationRun['actor']['role'] },
    status: r.status as VerificationRun['status'],
    report: r.report === null ? null : (JSON.parse(r.report) as VerifyReport),
    problemCount: Number(r.problem_count),
    errorCode: r.error_code,
  };
}

/** Throws on anything but comma-separated 64-digit hex (a corrupt head must stop appends). */
function parseFrontier(text: string): Buffer[] {
  if (text === '') return [];
  return text.split(',').map((h) => {
    if (!HEX_HASH.test(h)) throw new Error('the access log head holds a malformed subtree hash');
    return Buffer.from(h, 'hex');
  });
}

function formatFrontier(f: Frontier): string {
  return f.subtreeHashes.map((h) => h.toString('hex')).join(',');
}
