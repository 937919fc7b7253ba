/**
 * The viewer's rights across modules (PIPL 44–47; R1, R3, C7, A3):
 * - export: everything held about one viewer, opened, as JSON or CSV;
 * - erasure: crypto-shredding of the data key plus deletion of every derived row (events, tags,
 *   profile, spend, pseudonym mapping) and every node's caches, with the staff access logged;
 * - withdrawal: events of a purpose no longer allowed are deleted and the tags rebuilt from what
 *   is left, at once (the notice promises within 24 hours).
 *
 * Modules added later (rights tickets, transfers, the assistant's memory) join through
 * PersonalDataSource, so the export and the erasure can never forget one of them.
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../context/index.js';
import type { Bus } from '../bus/index.js';
import type { Database, Storage } from '../storage/index.js';
import type { AccessLogService } from '../modules/access-log/index.js';
import type { ConsentService, Purpose } from '../modules/consent/index.js';
import { KyselyInterestTagStore, type InterestTagService } from '../modules/interest-tags/index.js';
import type { ProtectionService } from '../modules/protection/index.js';
import { KyselyViewerEventStore, type ViewerEventService } from '../modules/viewer-events/index.js';
import { KyselyViewerProfileStore, type ViewerProfileService } from '../modules/viewer-profile/index.js';
import { accessLogSubjectOf } from '../modules/rights/index.js';

export const ERASED_TOPIC = 'privacy.erased';

/** A module's personal data about a viewer, for the export and the erasure. */
export interface PersonalDataSource {
  /** Key in the export, e.g. `tickets`. */
  readonly category: string;
  /** Its short name, for the viewer (the privacy centre's heading for it). */
  readonly label: { zh: string; en: string };
  /** What this is, for the export's reader. */
  readonly describe: { zh: string; en: string };
  exportFor(subject: string, deviceId: string): Promise<readonly unknown[]>;
  /** Deletes (or unlinks) the subject's rows inside the erasure's transaction; undefined: kept (see `retainedBecause`). */
  eraseIn?(tx: Kysely<Database>, subject: string): Promise<number>;
  /** Runs after the transaction commits (e.g. forgetting caches). */
  afterErase?(subject: string): Promise<void>;
  /** Why rows are kept on erasure, shown to the viewer. */
  readonly retainedBecause?: { zh: string; en: string };
}

export interface PrivacyModules {
  storage: Storage;
  bus: Bus;
  accessLog: AccessLogService;
  protection: ProtectionService;
  consent: ConsentService;
  viewerEvents: ViewerEventService;
  profile: ViewerProfileService;
  tags: InterestTagService;
  region: string;
  /** Sources contributed by other modules. */
  sources: readonly PersonalDataSource[];
}

export interface ErasureReport {
  eventsDeleted: number;
  tagsDeleted: number;
  profileRowsDeleted: number;
  pseudonymsDeleted: number;
  dataKeyDestroyed: boolean;
  bySource: Record<string, number>;
  /** What is kept and why (never personal plaintext: pseudonymous evidence, or records not linked to the viewer). */
  retained: { category: string; why: { zh: string; en: string } }[];
}

const ALWAYS_RETAINED = [
  {
    category: 'consent_records',
    why: {
      zh: '同意与撤回记录以假名保存 3 年，用于证明我们依法取得或停止了您的同意；其中不含您的设备标识。',
      en: 'Consent and withdrawal records are kept under a pseudonym for 3 years as proof of lawful processing; they hold no device id.',
    },
  },
  {
    category: 'orders',
    why: {
      zh: '订单为交易记录，依《电子商务法》保存 3 年；订单不与您的身份关联。',
      en: 'Orders are commerce records kept 3 years under the E-Commerce Law; they are not linked to your identity.',
    },
  },
];

/**
 * Erases one viewer. Derived rows go in one transaction (with the access-log entry when staff
 * erase), then the data key is destroyed and every node drops its caches. Idempotent: run it again
 * after any failure.
 */
export async function eraseSubject(ctx: RequestContext, m: PrivacyModules, subject: string): Promise<ErasureReport> {
  const bySource: Record<string, number> = {};
  const counts = await m.storage.db.transaction().execute(async (tx) => {
    const eventsDeleted = await new KyselyViewerEventStore(tx).deleteSubject(subject);
    const tagsDeleted = await new KyselyInterestTagStore(tx).deleteSubject(subject);
    const profileRowsDeleted = await new KyselyViewerProfileStore(tx).deleteSubject(subject);
    for (const source of m.sources) if (source.eraseIn) bySource[source.category] = await source.eraseIn(tx, subject);
    if (ctx.actor.kind !== 'anonymous') await m.accessLog.record(ctx, { action: 'delete', subject: accessLogSubjectOf(subject), purpose: 'rights-request' }, tx);
    return { eventsDeleted, tagsDeleted, profileRowsDeleted };
  });
  const shred = await m.protection.shred(subject);
  for (const source of m.sources) await source.afterErase?.(subject);
  await m.bus.publish(ERASED_TOPIC, { subject });
  const retained = [...ALWAYS_RETAINED];
  for (const source of m.sources) if (source.retainedBecause) retained.push({ category: source.category, why: source.retainedBecause });
  return { ...counts, pseudonymsDeleted: shred.pseudonymsDeleted, dataKeyDestroyed: shred.dataKeyDestroyed, bySource, retained };
}

/** Every node forgets an erased subject's cached key as soon as the erasure is published. */
export function relayErasures(bus: Bus, protection: ProtectionService, alsoForget: readonly ((subject: string) => void)[] = []): () => void {
  return bus.subscribe(ERASED_TOPIC, (message) => {
    const subject = (message as { subject?: unknown }).subject;
    if (typeof subject !== 'string') return;
    protection.forget(subject);
    for (const forget of alsoForget) forget(subject);
  });
}

/**
 * After a decision: events stored for purposes the viewer now refuses are deleted, and the tags are
 * rebuilt from what is left (C7). Consent is per brand, so only that brand's rooms' events go.
 */
export async function applyWithdrawal(m: Pick<PrivacyModules, 'storage' | 'viewerEvents' | 'tags'>, subject: string, brandId: string, refused: readonly Purpose[]): Promise<number> {
  let deleted = 0;
  for (const purpose of refused) {
    const r = await m.storage.db
      .deleteFrom('viewer_events')
      .where('subject', '=', subject)
      .where('purpose', '=', purpose)
      .where('session_id', 'in', (eb) => eb.selectFrom('live_sessions').select('id').where('brand_id', '=', brandId))
      .executeTakeFirst();
    deleted += Number(r.numDeletedRows);
  }
  if (deleted > 0 || refused.includes('personalised_recommendations')) {
    const remaining = (await m.viewerEvents.eventsOfSubject(subject)).filter((e) => e.purpose === 'personalised_recommendations');
    if (remaining.length === 0) await m.tags.deleteAll(subject);
    else await m.tags.rebuild(subject, remaining.map(signalOf));
  }
  return deleted;
}

function signalOf(e: { type: string; payload: unknown; at: number }) {
  const p = e.payload as { productId?: string | null };
  return { type: e.type, productId: p.productId ?? null, at: e.at };
}

export interface ViewerDataExport {
  generatedAt: string;
  region: string;
  /** The keyed id your data is filed under (not your device id). */
  subject: string;
  profile: { ageBand: string | null; declaredAt: number | null; personalisation: boolean; childAgeBand: string | null; cityTier: string | null };
  pseudonyms: { purpose: string; region: string; pseudonym: string }[];
  consents: unknown[];
  guardianConsents: unknown[];
  events: unknown[];
  feedback: unknown[];
  tags: unknown[];
  /** What each further section below is (the other modules' sources), by its key: a name and a description. */
  sections: Record<string, { label: { zh: string; en: string }; describe: { zh: string; en: string } }>;
  /** Sources from other modules (tickets, transfers, assistant memory …), by category. */
  [category: string]: unknown;
}

/** R1: everything held about the viewer of this device, opened. */
export async function exportViewerData(m: PrivacyModules, deviceId: string, now: number): Promise<ViewerDataExport> {
  const subject = m.protection.subjectFor(deviceId, m.region);
  const events = await m.viewerEvents.eventsOfSubject(subject);
  const { ageBand, declaredAt, personalisation, childAgeBand, cityTier } = await m.profile.declared(deviceId);
  const out: ViewerDataExport = {
    generatedAt: new Date(now).toISOString(),
    region: m.region,
    subject,
    profile: { ageBand, declaredAt, personalisation, childAgeBand, cityTier },
    pseudonyms: (await m.protection.devicesOf(subject)).map(({ purpose, region, pseudonym }) => ({ purpose, region, pseudonym })),
    consents: await m.consent.history(deviceId),
    guardianConsents: await m.profile.guardianHistory(deviceId),
    events: events.filter((e) => e.purpose === 'personalised_recommendations'),
    feedback: events.filter((e) => e.purpose === 'model_improvement'),
    tags: await m.tags.list(subject),
    sections: Object.fromEntries(m.sources.map((s) => [s.category, { label: s.label, describe: s.describe }])),
  };
  for (const source of m.sources) out[source.category] = await source.exportFor(subject, deviceId);
  return out;
}

/**
 * The same export as one CSV table: a row per field of every record (category, record number,
 * field, value); nested values are JSON. Cells that a spreadsheet would run as a formula are quoted
 * with a leading apostrophe.
 */
export function exportCsv(data: ViewerDataExport): string {
  const rows: string[][] = [['category', 'record', 'field', 'value']];
  for (const [category, value] of Object.entries(data)) {
    if (Array.isArray(value)) {
      value.forEach((record, i) => {
        if (record !== null && typeof record === 'object') {
          for (const [field, v] of Object.entries(record as Record<string, unknown>)) rows.push([category, String(i + 1), field, scalar(v)]);
        } else rows.push([category, String(i + 1), 'value', scalar(record)]);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [field, v] of Object.entries(value as Record<string, unknown>)) rows.push([category, '', field, scalar(v)]);
    } else rows.push([category, '', 'value', scalar(value)]);
  }
  return `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
