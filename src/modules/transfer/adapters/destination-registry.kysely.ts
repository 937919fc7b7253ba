/** DestinationRegistry on Kysely (SQLite and PostgreSQL): each change and its history row in one transaction. */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { TransferBasisTable, TransferChangeTable, TransferDestinationTable } from '../../../storage/schema.js';
import type { BasisKind, DataCategory, Destination, DestinationRegistry, RegistryAction, RegistryChange, TransferBasis } from '../ports.js';

export class KyselyDestinationRegistry implements DestinationRegistry {
  constructor(private readonly db: Kysely<Database>) {}

  /** In a transaction of its own, or in the caller's when built on one (e.g. the erasure's). */
  #atomically<T>(work: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work);
  }

  async createDestination(d: Destination, change: RegistryChange): Promise<boolean> {
    return this.#atomically(async (tx) => {
      const inserted = await tx
        .insertInto('transfer_destinations')
        .values({
          id: d.id,
          recipient_name: d.recipientName,
          contact: d.contact,
          region: d.region,
          purpose_zh: d.purpose.zh,
          purpose_en: d.purpose.en,
          method_zh: d.method.zh,
          method_en: d.method.en,
          rights_zh: d.rights.zh,
          rights_en: d.rights.en,
          categories: JSON.stringify(d.categories),
          sensitive: d.sensitive ? 1 : 0,
          base_url: d.baseUrl,
          created_by: d.createdBy,
          created_at: d.createdAt,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await tx.insertInto('transfer_changes').values(changeRow(change)).execute();
      return true;
    });
  }

  async destination(id: string): Promise<Destination | undefined> {
    const row = await this.db.selectFrom('transfer_destinations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? destinationOf(row) : undefined;
  }

  async destinations(): Promise<Destination[]> {
    const rows = await this.db.selectFrom('transfer_destinations').selectAll().orderBy('id').execute();
    return rows.map(destinationOf);
  }

  async addBasis(b: TransferBasis, change: RegistryChange): Promise<void> {
    await this.#atomically(async (tx) => {
      await tx
        .insertInto('transfer_bases')
        .values({
          id: b.id,
          destination_id: b.destinationId,
          kind: b.kind,
          reference: b.reference,
          valid_from: b.validFrom,
          valid_until: b.validUntil,
          recorded_by: b.recordedBy,
          recorded_at: b.recordedAt,
          revoked_at: b.revokedAt,
          revoked_by: b.revokedBy,
          revoke_reason: b.revokeReason,
        })
        .execute();
      await tx.insertInto('transfer_changes').values(changeRow(change)).execute();
    });
  }

  async basis(id: string): Promise<TransferBasis | undefined> {
    const row = await this.db.selectFrom('transfer_bases').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? basisOf(row) : undefined;
  }

  async bases(destinationId?: string): Promise<TransferBasis[]> {
    let q = this.db.selectFrom('transfer_bases').selectAll();
    if (destinationId !== undefined) q = q.where('destination_id', '=', destinationId);
    const rows = await q.orderBy('recorded_at').orderBy('id').execute();
    return rows.map(basisOf);
  }

  async revokeBasis(id: string, revocation: { at: number; by: string; reason: string }, change: RegistryChange): Promise<boolean> {
    return this.#atomically(async (tx) => {
      // Conditional on "not revoked yet": of two concurrent revocations exactly one updates the row.
      const updated = await tx
        .updateTable('transfer_bases')
        .set({ revoked_at: revocation.at, revoked_by: revocation.by, revoke_reason: revocation.reason })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await tx.insertInto('transfer_changes').values(changeRow(change)).execute();
      return true;
    });
  }

  async changes(options: { limit: number; destinationId?: string }): Promise<RegistryChange[]> {
    let q = this.db.selectFrom('transfer_changes').selectAll();
    if (options.destinationId !== undefined) q = q.where('destination_id', '=', options.destinationId);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
    return rows.map(changeOf);
  }
}

function changeRow(c: RegistryChange) {
  return { id: c.id, destination_id: c.destinationId, action: c.action, actor: c.actor, detail: JSON.stringify(c.detail), created_at: c.createdAt };
}

function destinationOf(r: Selectable<TransferDestinationTable>): Destination {
  return {
    id: r.id,
    recipientName: r.recipient_name,
    contact: r.contact,
    region: r.region,
    purpose: { zh: r.purpose_zh, en: r.purpose_en },
    method: { zh: r.method_zh, en: r.method_en },
    rights: { zh: r.rights_zh, en: r.rights_en },
    categories: JSON.parse(r.categories) as DataCategory[],
    sensitive: Number(r.sensitive) === 1,
    baseUrl: r.base_url,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  };
}

function basisOf(r: Selectable<TransferBasisTable>): TransferBasis {
  return {
    id: r.id,
    destinationId: r.destination_id,
    kind: r.kind as BasisKind,
    reference: r.reference,
    validFrom: Number(r.valid_from),
    validUntil: Number(r.valid_until),
    recordedBy: r.recorded_by,
    recordedAt: Number(r.recorded_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    revokedBy: r.revoked_by,
    revokeReason: r.revoke_reason,
  };
}

function changeOf(r: Selectable<TransferChangeTable>): RegistryChange {
  return {
    id: r.id,
    destinationId: r.destination_id,
    action: r.action as RegistryAction,
    actor: r.actor,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    createdAt: Number(r.created_at),
  };
}
