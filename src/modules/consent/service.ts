/**
 * Consent: the viewer decides per purpose, the server records each decision in an append-only
 * ledger with the exact notice shown, and answers "may this be processed for that purpose?" for
 * every personal write. The page is never the only guard.
 */
import { randomBytes } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, Locale, RequestContext } from '../../context/index.js';
import type { Brand } from '../catalogue/index.js';
import { NOTICE_VERSION, noticeFor, type Notice } from './notice.js';
import { PURPOSES, isPurpose, type Purpose } from './purposes.js';
import type { ArchivedNotice, ConsentLedger, ConsentMethod, ConsentRecord } from './ports.js';
import type { NoticeKeeper } from './notice-keeper.js';
import { Lru } from '../../shared/lru.js';

export interface BrandLookup {
  getBrand(brandId: string): Promise<Brand | undefined>;
}

/** Turns a viewer's device id into the ledger's subject: a keyed pseudonym (the raw id is never kept). */
export type SubjectOf = (deviceId: string) => string | Promise<string>;

export interface ConsentDecision {
  deviceId: string;
  brandId: string;
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
  method: ConsentMethod;
  /** Purposes granted; every other purpose is recorded as refused. */
  granted: string[];
}

/** What a viewer gets back: their receipt (no pseudonym, no device id). */
export interface ConsentReceipt {
  consentId: string;
  brandId: string;
  granted: Purpose[];
  refused: Purpose[];
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
  method: ConsentMethod;
  region: string;
  at: number;
}

/**
 * What overrides a viewer's own decisions (minors mode, the personalisation switch, a guardian's
 * consent for a child under 14), from the viewer-profile module.
 */
export interface ConsentRestrictions {
  mode: string;
  /** Refused whatever the viewer's consent says. */
  blocked: ReadonlySet<Purpose>;
  /** A child under 14: only a guardian's grant counts, and it replaces the child's own. */
  onlyGranted?: ReadonlySet<Purpose>;
}

export type RestrictionsOf = (deviceId: string, brandId: string) => Promise<ConsentRestrictions>;

const NO_RESTRICTIONS: RestrictionsOf = async () => ({ mode: 'undeclared', blocked: new Set() });

export interface ConsentStatus {
  current: ConsentReceipt | null;
  /** The purposes that are really allowed now, after minors mode, guardian consent and the personalisation switch. */
  effective: Purpose[];
  /** The viewer's mode from their declared age (undeclared, adult, minor, child_awaiting_guardian, child_with_guardian). */
  mode: string;
  /** True when the viewer has not decided under the current notice or on every current purpose (C6). */
  needsAsking: boolean;
  noticeVersion: string;
}

/** Told of every recorded decision, after it is in the ledger (e.g. to delete what is no longer allowed). */
export type DecisionListener = (decision: { subject: string; brandId: string; granted: readonly Purpose[]; refused: readonly Purpose[] }) => Promise<void>;

export class ConsentService {
  readonly #notices = new Map<string, Notice>();
  readonly #listeners: DecisionListener[] = [];
  /**
   * Each viewer's latest decision per brand (null: none), read on every personal write. Kept right
   * by this node's own decisions at once; another node's decision reaches it through forget().
   */
  readonly #latest = new Lru<string, ConsentRecord | null>(50_000);

  constructor(
    private readonly ledger: ConsentLedger,
    /** Each notice text a decision is made on, archived before the decision (C2). */
    private readonly notices: NoticeKeeper,
    private readonly brands: BrandLookup,
    private readonly subjectOf: SubjectOf,
    private readonly clock: Clock,
    private readonly region: string,
    private readonly restrictionsOf: RestrictionsOf = NO_RESTRICTIONS,
  ) {}

  async notice(brandId: string, locale: Locale): Promise<Result<Notice>> {
    const brand = await this.brands.getBrand(brandId);
    if (!brand) return fail('NOT_FOUND', 'no such brand');
    // Rendered per brand and locale; the brand's identity is part of the text, so key by its fields.
    const key = `${locale}|${JSON.stringify(brand)}`;
    let notice = this.#notices.get(key);
    if (!notice) {
      notice = noticeFor(brand, locale);
      this.#notices.set(key, notice);
    }
    return ok(notice);
  }

  /** Records one decision after checking it was made on the current notice, exactly as shown. */
  async decide(_ctx: RequestContext, decision: ConsentDecision): Promise<Result<ConsentReceipt>> {
    const unknown = decision.granted.filter((p) => !isPurpose(p));
    if (unknown.length) return fail('UNKNOWN_PURPOSE', `no such purpose: ${unknown.slice(0, 5).join(', ')}`);
    if (decision.noticeVersion !== NOTICE_VERSION) {
      return fail('NOTICE_OUTDATED', 'the notice has changed; show the current one and ask again', { noticeVersion: NOTICE_VERSION });
    }
    const notice = await this.notice(decision.brandId, decision.locale);
    if (!notice.ok) return notice;
    if (notice.value.hash !== decision.noticeHash) return fail('NOTICE_MISMATCH', 'the notice hash is not the hash of the notice shown');
    const granted = PURPOSES.filter((p) => decision.granted.includes(p));
    if (granted.length) {
      const r = await this.restrictionsOf(decision.deviceId, decision.brandId);
      if (r.onlyGranted) return fail('GUARDIAN_CONSENT_REQUIRED', 'under 14, only a guardian can consent; decline, or ask a guardian');
      if (r.mode === 'minor') {
        const refused = granted.filter((p) => r.blocked.has(p));
        if (refused.length) return fail('MINORS_MODE_RESTRICTED', `minors mode does not allow: ${refused.join(', ')}`);
      }
    }
    if (decision.method === 'accept_all' && granted.length !== PURPOSES.length) {
      return fail('VALIDATION_FAILED', 'method accept_all must grant every purpose');
    }
    if (decision.method === 'decline_all' && granted.length !== 0) return fail('VALIDATION_FAILED', 'method decline_all must grant no purpose');
    const record: ConsentRecord = {
      id: randomBytes(16).toString('base64url'),
      subject: await this.subjectOf(decision.deviceId),
      brandId: decision.brandId,
      granted,
      refused: PURPOSES.filter((p) => !granted.includes(p)),
      noticeVersion: NOTICE_VERSION,
      noticeHash: notice.value.hash,
      locale: decision.locale,
      method: decision.method,
      region: this.region,
      createdAt: this.clock.now(),
    };
    await this.notices.keep({ hash: notice.value.hash, kind: 'consent', version: NOTICE_VERSION, locale: decision.locale, scope: decision.brandId, text: notice.value.text });
    await this.ledger.append(record);
    this.#latest.set(`${record.subject}|${record.brandId}`, record);
    for (const listener of this.#listeners) await listener({ subject: record.subject, brandId: record.brandId, granted: record.granted, refused: record.refused });
    return ok(receiptOf(record));
  }

  /** The exact words of a notice a decision was made on (privacy, guardian or cross-border), by the hash its record stores. */
  async archivedNotice(hash: string): Promise<Result<ArchivedNotice>> {
    const notice = await this.notices.get(hash);
    return notice ? ok(notice) : fail('NOTICE_NOT_FOUND', 'no archived notice text has this hash (a record made before texts were archived, or no decision on it)');
  }

  /** Every archived notice text without its words, most recently used first. */
  archivedNotices(): Promise<Omit<ArchivedNotice, 'text'>[]> {
    return this.notices.list();
  }

  /** Retention only: notice texts not used since the cutoff are deleted, unless a kept record still names them. */
  purgeNoticeTextsBefore(cutoff: number, stillNamed: ReadonlySet<string>): Promise<number> {
    return this.notices.purgeUnusedBefore(cutoff, stillNamed);
  }

  onDecided(listener: DecisionListener): void {
    this.#listeners.push(listener);
  }

  async status(deviceId: string, brandId: string): Promise<ConsentStatus> {
    const [latest, r] = await Promise.all([this.#latestOf(await this.subjectOf(deviceId), brandId), this.restrictionsOf(deviceId, brandId)]);
    const decidedAll = latest ? PURPOSES.every((p) => latest.granted.includes(p) || latest.refused.includes(p)) : false;
    return {
      current: latest ? receiptOf(latest) : null,
      effective: PURPOSES.filter((p) => effectiveGrant(latest, r, p)),
      mode: r.mode,
      needsAsking: !latest || latest.noticeVersion !== NOTICE_VERSION || !decidedAll,
      noticeVersion: NOTICE_VERSION,
    };
  }

  /**
   * The server-side check before anything personal is stored or used (C1, C4, F1): true only when
   * the viewer's latest decision grants this purpose. A grant made under an earlier notice still
   * covers the purposes that notice named; a purpose it did not name is not covered (C6).
   */
  async allows(deviceId: string, brandId: string, purpose: Purpose): Promise<boolean> {
    const r = await this.restrictionsOf(deviceId, brandId);
    if (r.blocked.has(purpose)) return false;
    if (r.onlyGranted) return r.onlyGranted.has(purpose);
    const latest = await this.#latestOf(await this.subjectOf(deviceId), brandId);
    return latest !== undefined && latest.granted.includes(purpose);
  }

  /** Every purpose allowed now (one read of the restrictions and the ledger, for callers needing several). */
  async effective(deviceId: string, brandId: string): Promise<ReadonlySet<Purpose>> {
    const [latest, r] = await Promise.all([this.#latestOf(await this.subjectOf(deviceId), brandId), this.restrictionsOf(deviceId, brandId)]);
    return new Set(PURPOSES.filter((p) => effectiveGrant(latest, r, p)));
  }

  /** When the viewer's latest decision for the brand was made (cached like every consent read); undefined when none. */
  async decidedAt(deviceId: string, brandId: string): Promise<number | undefined> {
    return (await this.#latestOf(await this.subjectOf(deviceId), brandId))?.createdAt;
  }

  /** Retention (3 years): the only way a record leaves the ledger. */
  async purgeBefore(cutoff: number): Promise<number> {
    const n = await this.ledger.purgeBefore(cutoff);
    if (n > 0) this.#latest.clear();
    return n;
  }

  /** The bus was down (another node's notices may be lost): read every subject from the ledger again. */
  forgetAll(): void {
    this.#latest.clear();
  }

  /** Another node recorded a decision for this subject: read it from the ledger next time. */
  forget(subject: string): void {
    this.#latest.deleteWhere((key) => key.startsWith(`${subject}|`));
  }

  async #latestOf(subject: string, brandId: string): Promise<ConsentRecord | undefined> {
    const key = `${subject}|${brandId}`;
    const cached = this.#latest.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const read = await this.ledger.latest(subject, brandId);
    this.#latest.set(key, read ?? null);
    return read;
  }

  /** Every decision of one viewer (for the privacy centre and access requests). */
  async history(deviceId: string): Promise<ConsentReceipt[]> {
    return (await this.ledger.history(await this.subjectOf(deviceId))).map(receiptOf);
  }
}

function effectiveGrant(latest: ConsentRecord | undefined, r: ConsentRestrictions, purpose: Purpose): boolean {
  if (r.blocked.has(purpose)) return false;
  if (r.onlyGranted) return r.onlyGranted.has(purpose);
  return latest !== undefined && latest.granted.includes(purpose);
}

function receiptOf(r: ConsentRecord): ConsentReceipt {
  return {
    consentId: r.id,
    brandId: r.brandId,
    granted: r.granted,
    refused: r.refused,
    noticeVersion: r.noticeVersion,
    noticeHash: r.noticeHash,
    locale: r.locale,
    method: r.method,
    region: r.region,
    at: r.createdAt,
  };
}
