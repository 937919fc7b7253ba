/**
 * DataKeyStore and PseudonymStore on Kysely: one code path for SQLite and PostgreSQL. Binary values
 * (wrapped keys, sealed device ids) are stored as base64url text, read back strictly.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { DataKeyTable, PseudonymTable } from '../../../storage/schema.js';
import { envelopeFromText, envelopeToText } from '../aead.js';
import { ProtectionError } from '../errors.js';
import type {
  DataKeyStore,
  KeyProvider,
  PseudonymRecord,
  PseudonymStore,
  RewrapOptions,
  RewrapReport,
  WrappedDataKey,
} from '../ports.js';

const DEFAULT_BATCH = 200;

export class KyselyDataKeyStore implements DataKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(subject: string): Promise<WrappedDataKey | undefined> {
    const row = await this.db.selectFrom('data_keys').selectAll().where('subject_id', '=', subject).executeTakeFirst();
    return row && dataKeyOfRow(row);
  }

  async createIfAbsent(key: WrappedDataKey): Promise<WrappedDataKey> {
    await this.db
      .insertInto('data_keys')
      .values({
        subject_id: key.subject,
        key_id: key.keyId,
        wrapped_key: envelopeToText(key.wrappedKey),
        kek_id: key.kekId,
        created_at: key.createdAt,
      })
      .onConflict((oc) => oc.column('subject_id').doNothing())
      .execute();
    const stored = await this.get(key.subject);
    // Inserted (by us or a concurrent writer) and already destroyed again: an erasure ran meanwhile.
    if (!stored) throw new ProtectionError('DATA_KEY_DESTROYED', 'the subject was erased while its data key was being created');
    return stored;
  }

  async destroy(subject: string, now: number): Promise<string | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const deleted = await tx.deleteFrom('data_keys').where('subject_id', '=', subject).returning('key_id').executeTakeFirst();
      if (!deleted) return undefined;
      await tx
        .insertInto('data_key_tombstones')
        .values({ key_id: deleted.key_id, destroyed_at: now })
        .onConflict((oc) => oc.column('key_id').doNothing())
        .execute();
      return deleted.key_id;
    });
  }

  async destroyedAt(keyId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('data_key_tombstones').select('destroyed_at').where('key_id', '=', keyId).executeTakeFirst();
    return row ? Number(row.destroyed_at) : undefined;
  }

  async kekUsage(): Promise<ReadonlyMap<string, number>> {
    const rows = await this.db
      .selectFrom('data_keys')
      .select((eb) => ['kek_id', eb.fn.countAll().as('n')])
      .groupBy('kek_id')
      .execute();
    return new Map(rows.map((r) => [r.kek_id, Number(r.n)]));
  }

  async sampleWrappedUnder(kekId: string, limit: number): Promise<WrappedDataKey[]> {
    const rows = await this.db.selectFrom('data_keys').selectAll().where('kek_id', '=', kekId).orderBy('subject_id').limit(limit).execute();
    // Decoded leniently: an altered row then fails authentication like any other, instead of
    // stopping the start-up check before it has tried the other samples.
    return rows.map((row) => ({
      subject: row.subject_id,
      keyId: row.key_id,
      wrappedKey: Buffer.from(row.wrapped_key, 'base64url'),
      kekId: row.kek_id,
      createdAt: Number(row.created_at),
    }));
  }

  async rewrapAll(provider: KeyProvider, newKekId: string, options: RewrapOptions = {}): Promise<RewrapReport> {
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH));
    let after: string | undefined;
    let rewrapped = 0;
    let skipped = 0;
    let batches = 0;
    for (;;) {
      let q = this.db.selectFrom('data_keys').selectAll().where('kek_id', '<>', newKekId);
      if (after !== undefined) q = q.where('subject_id', '>', after);
      const rows = await q.orderBy('subject_id').limit(batchSize).execute();
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.subject_id;
      // Unwrap and wrap outside the transaction: no lock is held across provider calls (a KMS may
      // be remote). The unwrapped key lives only in this loop and is wiped after use.
      const updates: { row: Selectable<DataKeyTable>; wrapped: string }[] = [];
      for (const row of rows) {
        const context = { subject: row.subject_id };
        const key = await provider.unwrap(row.kek_id, envelopeFromText(row.wrapped_key), context);
        try {
          updates.push({ row, wrapped: envelopeToText(await provider.wrap(newKekId, key, context)) });
        } finally {
          key.fill(0);
        }
      }
      // Compare-and-set: a row destroyed or re-wrapped meanwhile is left as it now is.
      const written = await this.db.transaction().execute(async (tx) => {
        let n = 0;
        for (const { row, wrapped } of updates) {
          const result = await tx
            .updateTable('data_keys')
            .set({ wrapped_key: wrapped, kek_id: newKekId })
            .where('subject_id', '=', row.subject_id)
            .where('key_id', '=', row.key_id)
            .where('kek_id', '=', row.kek_id)
            .where('wrapped_key', '=', row.wrapped_key)
            .executeTakeFirst();
          n += Number(result.numUpdatedRows);
        }
        return n;
      });
      rewrapped += written;
      skipped += updates.length - written;
      batches++;
    }
    return { rewrapped, skipped, batches };
  }

  async putMetaIfAbsent(name: string, value: string): Promise<string> {
    await this.db
      .insertInto('protection_meta')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const stored = await this.getMeta(name);
    if (stored === undefined) throw new Error(`protection_meta ${name} vanished after insert`);
    return stored;
  }

  async getMeta(name: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('protection_meta').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  async holdsProtectedData(): Promise<boolean> {
    for (const table of ['data_keys', 'data_key_tombstones', 'pseudonyms', 'protection_meta'] as const) {
      const row = await this.db.selectFrom(table).select((eb) => eb.lit(1).as('one')).limit(1).executeTakeFirst();
      if (row) return true;
    }
    return false;
  }
}

export class KyselyPseudonymStore implements PseudonymStore {
  constructor(private readonly db: Kysely<Database>) {}

  async record(entry: PseudonymRecord): Promise<void> {
    await this.db
      .insertInto('pseudonyms')
      .values({
        purpose: entry.purpose,
        region: entry.region,
        pseudonym: entry.pseudonym,
        subject_id: entry.subject,
        device_id_sealed: entry.sealedDeviceId,
        created_at: entry.createdAt,
      })
      .onConflict((oc) => oc.columns(['purpose', 'region', 'pseudonym']).doNothing())
      .execute();
  }

  async bySubject(subject: string): Promise<PseudonymRecord[]> {
    const rows = await this.db
      .selectFrom('pseudonyms')
      .selectAll()
      .where('subject_id', '=', subject)
      .orderBy('purpose')
      .orderBy('region')
      .orderBy('pseudonym')
      .execute();
    return rows.map(pseudonymOfRow);
  }

  async deleteSubject(subject: string): Promise<number> {
    const result = await this.db.deleteFrom('pseudonyms').where('subject_id', '=', subject).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function dataKeyOfRow(row: Selectable<DataKeyTable>): WrappedDataKey {
  return {
    subject: row.subject_id,
    keyId: row.key_id,
    wrappedKey: envelopeFromText(row.wrapped_key),
    kekId: row.kek_id,
    createdAt: Number(row.created_at),
  };
}

function pseudonymOfRow(row: Selectable<PseudonymTable>): PseudonymRecord {
  return {
    purpose: row.purpose,
    region: row.region,
    pseudonym: row.pseudonym,
    subject: row.subject_id,
    sealedDeviceId: row.device_id_sealed,
    createdAt: Number(row.created_at),
  };
}
