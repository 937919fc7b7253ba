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
import type { ConsentLedger, ConsentMethod, ConsentRecord } from './ports.js';

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

export interface ConsentStatus {
  current: ConsentReceipt | null;
  /** True when the viewer has not decided under the current notice or on every current purpose (C6). */
  needsAsking: boolean;
  noticeVersion: string;
}

export class ConsentService {
  readonly #notices = new Map<string, Notice>();

  constructor(
    private readonly ledger: ConsentLedger,
    private readonly brands: BrandLookup,
    private readonly subjectOf: SubjectOf,
    private readonly clock: Clock,
    private readonly region: string,
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
    await this.ledger.append(record);
    return ok(receiptOf(record));
  }

  async status(deviceId: string, brandId: string): Promise<ConsentStatus> {
    const latest = await this.ledger.latest(await this.subjectOf(deviceId), brandId);
    const decidedAll = latest ? PURPOSES.every((p) => latest.granted.includes(p) || latest.refused.includes(p)) : false;
    return {
      current: latest ? receiptOf(latest) : null,
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
    const latest = await this.ledger.latest(await this.subjectOf(deviceId), brandId);
    return latest !== undefined && latest.granted.includes(purpose);
  }

  /** Every decision of one viewer (for the privacy centre and access requests). */
  async history(deviceId: string): Promise<ConsentReceipt[]> {
    return (await this.ledger.history(await this.subjectOf(deviceId))).map(receiptOf);
  }
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
