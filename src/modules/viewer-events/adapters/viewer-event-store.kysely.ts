import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { ViewerEventTable } from '../../../storage/schema.js';
import type { StoredViewerEvent, ViewerEventStore } from '../ports.js';

export class KyselyViewerEventStore implements ViewerEventStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(e: StoredViewerEvent): Promise<boolean> {
    const r = await this.db
      .insertInto('viewer_events')
      .values({
        id: e.id,
        subject: e.subject,
        pseudonym: e.pseudonym,
        purpose: e.purpose,
        session_id: e.sessionId,
        type: e.type,
        client_event_id: e.clientEventId,
        payload_sealed: e.payloadSealed,
        region: e.region,
        created_at: e.createdAt,
      })
      .onConflict((oc) => oc.columns(['pseudonym', 'client_event_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async bySubject(subject: string): Promise<StoredViewerEvent[]> {
    const rows = await this.db.selectFrom('viewer_events').selectAll().where('subject', '=', subject).orderBy('created_at').orderBy('id').execute();
    return rows.map(eventOf);
  }

  async countAnonymously(sessionId: string, type: string): Promise<void> {
    await this.db
      .insertInto('anonymous_event_counts')
      .values({ session_id: sessionId, type, count: 1 })
      .onConflict((oc) => oc.columns(['session_id', 'type']).doUpdateSet((eb) => ({ count: eb('anonymous_event_counts.count', '+', 1) })))
      .execute();
  }

  async anonymousCounts(sessionId: string): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('anonymous_event_counts').select(['type', 'count']).where('session_id', '=', sessionId).execute();
    return Object.fromEntries(rows.map((r) => [r.type, Number(r.count)]));
  }

  async deleteSubjectPurpose(subject: string, purpose: string): Promise<number> {
    const r = await this.db.deleteFrom('viewer_events').where('subject', '=', subject).where('purpose', '=', purpose).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteSubject(subject: string): Promise<number> {
    const r = await this.db.deleteFrom('viewer_events').where('subject', '=', subject).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async purgeBefore(purpose: string, cutoff: number): Promise<number> {
    const r = await this.db.deleteFrom('viewer_events').where('purpose', '=', purpose).where('created_at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function eventOf(r: Selectable<ViewerEventTable>): StoredViewerEvent {
  return {
    id: r.id,
    subject: r.subject,
    pseudonym: r.pseudonym,
    purpose: r.purpose,
    sessionId: r.session_id,
    type: r.type,
    clientEventId: r.client_event_id,
    payloadSealed: r.payload_sealed,
    region: r.region,
    createdAt: Number(r.created_at),
  };
}
