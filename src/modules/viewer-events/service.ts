/**
 * Personal behaviour events: checked against a live consent for their purpose on the server before
 * anything is stored (C1, C4, F1). Without one, the event is only counted, with no identity. With
 * one, it is stored under keyed ids and its payload sealed under the viewer's data key (S2).
 */
import { randomUUID } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, RequestContext } from '../../context/index.js';
import type { Purpose } from '../consent/index.js';
import type { Sealer, ViewerEventStore } from './ports.js';

export const VIEWER_EVENT_TYPES = ['view', 'click', 'add_to_cart', 'purchase', 'like', 'dislike', 'not_interested'] as const;
export type ViewerEventType = (typeof VIEWER_EVENT_TYPES)[number];

/** Behaviour feeds personalisation; explicit feedback refines models and needs its own consent (F1). */
export const PURPOSE_OF: Record<ViewerEventType, Purpose> = {
  view: 'personalised_recommendations',
  click: 'personalised_recommendations',
  add_to_cart: 'personalised_recommendations',
  purchase: 'personalised_recommendations',
  like: 'model_improvement',
  dislike: 'model_improvement',
  not_interested: 'model_improvement',
};

export interface ViewerEventInput {
  deviceId: string;
  type: ViewerEventType;
  clientEventId: string;
  productId?: string;
}

export type IngestOutcome = { stored: true; duplicate: boolean; purpose: Purpose } | { stored: false; countedAnonymously: true; purpose: Purpose };

export interface ViewerEventDeps {
  store: ViewerEventStore;
  sealer: Sealer;
  consent: { allows(deviceId: string, brandId: string, purpose: Purpose): Promise<boolean> };
  ids: { pseudonymFor(deviceId: string, purpose: string, region: string): Promise<string>; subjectFor(deviceId: string, region: string): string };
  sessions: { brandOf(sessionId: string): Promise<string | undefined>; hasProduct(sessionId: string, productId: string): Promise<boolean> };
  clock: Clock;
  region: string;
  /** Called after a personal event is stored (e.g. to derive interest tags); runs under the same consent. */
  onStored?: (subject: string, event: { sessionId: string; type: ViewerEventType; productId: string | null; purpose: Purpose; at: number }) => Promise<void>;
}

export interface OpenedEvent {
  id: string;
  purpose: string;
  type: string;
  payload: unknown;
  at: number;
}

export class ViewerEventService {
  constructor(private readonly deps: ViewerEventDeps) {}

  async ingest(_ctx: RequestContext, sessionId: string, input: ViewerEventInput): Promise<Result<IngestOutcome>> {
    const d = this.deps;
    const brandId = await d.sessions.brandOf(sessionId);
    if (!brandId) return fail('SESSION_NOT_FOUND');
    if (input.productId !== undefined && !(await d.sessions.hasProduct(sessionId, input.productId))) return fail('PRODUCT_NOT_IN_SESSION');
    const purpose = PURPOSE_OF[input.type];
    if (!(await d.consent.allows(input.deviceId, brandId, purpose))) {
      await d.store.countAnonymously(sessionId, input.type);
      return ok({ stored: false, countedAnonymously: true, purpose });
    }
    const pseudonym = await d.ids.pseudonymFor(input.deviceId, purpose.replace(/_/g, '-'), d.region);
    const subject = d.ids.subjectFor(input.deviceId, d.region);
    const id = randomUUID();
    const createdAt = d.clock.now();
    const payload = JSON.stringify({ type: input.type, productId: input.productId ?? null, sessionId, at: createdAt });
    const payloadSealed = await d.sealer.sealTextFor(subject, { table: 'viewer_events', column: 'payload', rowId: id }, payload);
    const inserted = await d.store.insert({
      id,
      subject,
      pseudonym,
      purpose,
      sessionId,
      type: input.type,
      clientEventId: input.clientEventId,
      payloadSealed,
      region: d.region,
      createdAt,
    });
    if (inserted && d.onStored) await d.onStored(subject, { sessionId, type: input.type, productId: input.productId ?? null, purpose, at: createdAt });
    return ok({ stored: true, duplicate: !inserted, purpose });
  }

  /** A viewer's stored events, opened (for the privacy centre and access requests). */
  eventsOf(deviceId: string): Promise<OpenedEvent[]> {
    return this.eventsOfSubject(this.deps.ids.subjectFor(deviceId, this.deps.region));
  }

  async eventsOfSubject(subject: string): Promise<OpenedEvent[]> {
    const rows = await this.deps.store.bySubject(subject);
    return Promise.all(
      rows.map(async (r) => ({
        id: r.id,
        purpose: r.purpose,
        type: r.type,
        payload: JSON.parse(await this.deps.sealer.openTextFor(subject, { table: 'viewer_events', column: 'payload', rowId: r.id }, r.payloadSealed)) as unknown,
        at: r.createdAt,
      })),
    );
  }

  anonymousCounts(sessionId: string): Promise<Record<string, number>> {
    return this.deps.store.anonymousCounts(sessionId);
  }

  /** Withdrawal (C7): events stored under a purpose the viewer no longer allows are deleted. */
  deleteForPurpose(subject: string, purpose: Purpose): Promise<number> {
    return this.deps.store.deleteSubjectPurpose(subject, purpose);
  }

  purgeBefore(purpose: Purpose, cutoff: number): Promise<number> {
    return this.deps.store.purgeBefore(purpose, cutoff);
  }
}
