/**
 * Cross-border transfer (L1, L2). The gateway is the only way code sends data over the network: a
 * call to a destination in another region fails closed — no request is made at all — unless the
 * destination has a valid transfer basis (PIPL 38) and every individual in the call has a live
 * separate consent for it (PIPL 39). Every refusal and every call is logged (counts, never subject
 * ids); every individual is counted once per China calendar year, and crossing a threshold of the
 * 2024 CAC provisions (or 80 % of it) raises an alert once.
 */
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, Locale, RequestContext } from '../../context/index.js';
import type { NoticeText } from '../consent/index.js';
import { recordId } from './ids.js';
import { TRANSFER_NOTICE_VERSION, transferNoticeFor, type TransferNotice } from './notice.js';
import { chinaYearOf, chinaYearRange, thresholdStatus, type CountKind, type ThresholdStatus } from './thresholds.js';
import {
  BASIS_KINDS,
  type BasisKind,
  type Bilingual,
  type Courier,
  type DataCategory,
  type Destination,
  type DestinationRegistry,
  type ExportLedger,
  type RegistryAction,
  type RegistryChange,
  type TransferAlert,
  type TransferBasis,
  type TransferConsentLedger,
  type TransferConsentRecord,
  type TransferDecision,
  type TransferLogEntry,
  type TransferOutcome,
} from './ports.js';

/** Where alerts are logged (pino's `warn` fits): details carry counts and threshold ids only. */
export interface AlertLog {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface TransferOptions {
  /** The outbound request's time limit. */
  timeoutMs: number;
  /** Individuals per call, at most. */
  maxSubjectsPerSend: number;
  maxPayloadBytes: number;
  maxResponseBytes: number;
}

export const TRANSFER_DEFAULTS: TransferOptions = Object.freeze({
  timeoutMs: 10_000,
  maxSubjectsPerSend: 10_000,
  maxPayloadBytes: 1024 * 1024,
  maxResponseBytes: 1024 * 1024,
});

export interface TransferDeps {
  registry: DestinationRegistry;
  consents: TransferConsentLedger;
  ledger: ExportLedger;
  courier: Courier;
  clock: Clock;
  /** The deployment's data region (config.dataRegion): a destination in it is domestic. */
  region: string;
  /** A viewer's device id → their keyed subject id (protection.subjectFor(deviceId, region)). */
  subjectOf: (deviceId: string) => string | Promise<string>;
  log: AlertLog;
  /** The notice archive: a separate notice's exact text is kept before a decision on it is recorded (C2). */
  notices: { keep(notice: NoticeText): Promise<void> };
  options?: Partial<TransferOptions>;
}

export interface DestinationInput {
  id: string;
  recipientName: string;
  contact: string;
  region: string;
  purpose: Bilingual;
  method: Bilingual;
  rights: Bilingual;
  categories: DataCategory[];
  baseUrl: string;
}

export interface BasisInput {
  kind: BasisKind;
  reference: string;
  validFrom: number;
  validUntil: number;
}

export type BasisStatus = 'valid' | 'not_yet_valid' | 'expired' | 'revoked';

export interface DestinationView extends Destination {
  domestic: boolean;
  /** Whether the gateway would let personal data go there now (consent still checked per individual). */
  status: 'domestic' | 'basis_valid' | 'no_valid_basis';
  bases: (TransferBasis & { status: BasisStatus })[];
}

/** What a viewer sees in the list of recipients they may be asked about. */
export interface PublicDestination {
  id: string;
  recipientName: string;
  contact: string;
  region: string;
  purpose: string;
  sensitive: boolean;
}

export interface TransferConsentDecision {
  deviceId: string;
  destinationId: string;
  decision: 'grant' | 'withdraw';
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
}

/** A viewer's receipt: no subject, no device id. */
export interface TransferConsentReceipt {
  consentId: string;
  destinationId: string;
  decision: TransferDecision;
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
  region: string;
  at: number;
}

export interface TransferRequest {
  destinationId: string;
  /** Keyed subject ids of every individual whose personal information is in the payload. */
  subjects: readonly string[];
  /** Data category ids in the payload; each must be declared by the destination. */
  categories: readonly string[];
  /** Sent as the JSON body. */
  payload: unknown;
  /** Appended to the destination's base URL: `/` then letters, digits, `.`, `_`, `~`, `-`, `/`. */
  path?: string;
}

export interface Delivered {
  transferId: string;
  crossBorder: boolean;
  status: number;
  contentType: string | null;
  body: string;
  /** Individuals counted for the first time this year by this call. */
  newlyCounted: { individuals: number; sensitive: number };
}

export const REFUSAL_REASONS = ['invalid_request', 'unknown_destination', 'undeclared_category', 'no_valid_basis', 'missing_consent'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

const REFUSAL_TEXT: Record<RefusalReason, string> = {
  invalid_request: 'the transfer request is invalid',
  unknown_destination: 'no destination with this id is registered',
  undeclared_category: 'a data category in the call is not declared for this destination',
  no_valid_basis: 'no valid transfer basis (standard contract, certification or security assessment) is recorded for this destination',
  missing_consent: 'not every individual in the call has a live separate consent for this destination',
};

export interface YearCounter {
  year: number;
  /** The year is China's calendar year (UTC+8): [from, until) in epoch ms. */
  from: number;
  until: number;
  individuals: number;
  sensitiveIndividuals: number;
  thresholds: ThresholdStatus[];
}

const ID = /^[a-z0-9][a-z0-9-]{1,63}$/;
const REGION = /^[a-z][a-z0-9-]{0,31}$/;
const CATEGORY = /^[a-z][a-z0-9_]{1,63}$/;
/** Keyed subject ids are base64url (HMAC-SHA-256), so they may begin with "-" or "_" (about 1 in 32 does). */
const SUBJECT = /^[A-Za-z0-9_-][A-Za-z0-9._:-]{0,127}$/;
const PATH = /^\/[A-Za-z0-9._~/-]{0,255}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export class TransferService {
  readonly #d: TransferDeps;
  readonly #options: TransferOptions;
  readonly #notices = new Map<string, TransferNotice>();
  /** Alerts known to be stored, so a busy year does not try to insert them on every call. */
  readonly #raised = new Set<string>();

  constructor(deps: TransferDeps) {
    this.#d = deps;
    this.#options = { ...TRANSFER_DEFAULTS, ...deps.options };
  }

  get region(): string {
    return this.#d.region;
  }

  // ---- the gateway ----

  /**
   * Sends personal data to a registered destination, if and only if the law allows it now. Refusals
   * make no network request and are logged; they return TRANSFER_NOT_ALLOWED with a `reason`.
   * Individuals are counted before the request leaves, so a crash can only over-count, never miss one.
   */
  async send(ctx: RequestContext, request: TransferRequest): Promise<Result<Delivered>> {
    const at = this.#d.clock.now();
    const id = recordId(at);
    const subjects = Array.isArray(request.subjects) ? [...new Set(request.subjects)] : [];
    const categories = Array.isArray(request.categories) ? [...new Set(request.categories)] : [];
    const entry: TransferLogEntry = {
      id,
      destinationId: typeof request.destinationId === 'string' ? request.destinationId.slice(0, 64) : '',
      region: null,
      crossBorder: false,
      subjects: subjects.length,
      categories: categories.filter((c) => typeof c === 'string' && CATEGORY.test(c)),
      sensitive: false,
      outcome: 'refused',
      reason: null,
      httpStatus: null,
      actor: actorOf(ctx),
      createdAt: at,
    };
    const refuse = async (reason: RefusalReason, detail: string = REFUSAL_TEXT[reason], extra: Record<string, unknown> = {}): Promise<Result<Delivered>> => {
      await this.#d.ledger.log({ ...entry, outcome: 'refused', reason });
      return fail('TRANSFER_NOT_ALLOWED', detail, { reason, transferId: id, ...extra });
    };

    const problem = this.#requestProblem(request, subjects, categories);
    if (problem) return refuse('invalid_request', `${REFUSAL_TEXT.invalid_request}: ${problem}`);
    let body: string | undefined;
    try {
      body = JSON.stringify(request.payload) as string | undefined;
    } catch {
      body = undefined;
    }
    if (body === undefined) return refuse('invalid_request', `${REFUSAL_TEXT.invalid_request}: payload: not serialisable as JSON`);
    if (Buffer.byteLength(body, 'utf8') > this.#options.maxPayloadBytes) {
      return refuse('invalid_request', `${REFUSAL_TEXT.invalid_request}: payload: larger than ${this.#options.maxPayloadBytes} bytes`);
    }

    const destination = await this.#d.registry.destination(request.destinationId);
    if (!destination) return refuse('unknown_destination');
    const crossBorder = destination.region !== this.#d.region;
    const declared = new Map(destination.categories.map((c) => [c.id, c]));
    entry.region = destination.region;
    entry.crossBorder = crossBorder;
    entry.sensitive = categories.some((c) => declared.get(c)?.sensitive === true);
    const undeclared = categories.filter((c) => !declared.has(c));
    if (undeclared.length) return refuse('undeclared_category', undefined, { undeclared });

    let newlyCounted = { individuals: 0, sensitive: 0 };
    if (crossBorder) {
      const bases = await this.#d.registry.bases(destination.id);
      if (!bases.some((b) => basisStatus(b, at) === 'valid')) return refuse('no_valid_basis');
      const latest = await this.#d.consents.latestFor(destination.id, subjects);
      const missing = subjects.filter((s) => !isLive(latest.get(s))).length;
      if (missing > 0) return refuse('missing_consent', undefined, { missingConsents: missing, individuals: subjects.length });
      const year = chinaYearOf(at);
      newlyCounted = await this.#d.ledger.countIndividuals({ year, subjects, sensitive: entry.sensitive, at });
      if (newlyCounted.individuals > 0 || newlyCounted.sensitive > 0) await this.#raiseAlerts(year, at);
    }

    const result = await this.#d.courier.deliver({
      url: `${destination.baseUrl}${request.path ?? ''}`,
      body,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-qingliu-transfer-id': id },
      timeoutMs: this.#options.timeoutMs,
      maxResponseBytes: this.#options.maxResponseBytes,
    });
    if (result.kind === 'answered' && result.status >= 200 && result.status < 300) {
      await this.#d.ledger.log({ ...entry, outcome: 'sent', httpStatus: result.status });
      return ok({ transferId: id, crossBorder, status: result.status, contentType: result.contentType, body: result.body, newlyCounted });
    }
    const reason = result.kind === 'answered' ? 'recipient_status' : result.reason;
    const httpStatus = result.kind === 'answered' ? result.status : null;
    await this.#d.ledger.log({ ...entry, outcome: 'failed', reason, httpStatus });
    return fail('TRANSFER_FAILED', 'the recipient did not accept the transfer', { reason, transferId: id, ...(httpStatus !== null ? { httpStatus } : {}) });
  }

  #requestProblem(request: TransferRequest, subjects: string[], categories: string[]): string | undefined {
    if (typeof request.destinationId !== 'string' || !ID.test(request.destinationId)) return 'destinationId: a registered destination id';
    if (subjects.length === 0) return 'subjects: at least one individual (the gateway carries personal information)';
    if (subjects.length > this.#options.maxSubjectsPerSend) return `subjects: at most ${this.#options.maxSubjectsPerSend} per call`;
    if (!subjects.every((s) => typeof s === 'string' && SUBJECT.test(s))) return 'subjects: keyed subject ids';
    if (categories.length === 0 || categories.length > 20) return 'categories: 1–20 data category ids';
    if (!categories.every((c) => typeof c === 'string' && CATEGORY.test(c))) return 'categories: data category ids';
    if (request.path !== undefined && (typeof request.path !== 'string' || !PATH.test(request.path) || request.path.includes('..') || request.path.includes('//'))) {
      return 'path: "/" then letters, digits, ".", "_", "~", "-" or "/"';
    }
    if (request.payload === undefined) return 'payload: missing';
    return undefined;
  }

  async #raiseAlerts(year: number, at: number): Promise<void> {
    const totals = await this.#d.ledger.totals(year);
    for (const t of thresholdStatus(totals)) {
      for (const level of ['warning', 'reached'] as const) {
        if (!(level === 'warning' ? t.warning : t.reached)) continue;
        const key = `${year}|${t.id}|${level}`;
        if (this.#raised.has(key)) continue;
        const alert: TransferAlert = { year, threshold: t.id, level, limit: level === 'warning' ? t.warningAt : t.limit, count: t.count, raisedAt: at };
        if (await this.#d.ledger.raiseAlert(alert)) {
          this.#d.log.warn(
            { transferAlert: { year, threshold: t.id, level, limit: alert.limit, count: t.count, route: t.route } },
            level === 'reached'
              ? `cross-border transfers reached the ${t.id} threshold this year: ${t.route.replace(/_/g, ' ')} required`
              : `cross-border transfers passed 80 % of the ${t.id} threshold this year`,
          );
        }
        this.#raised.add(key);
      }
    }
  }

  // ---- erasure ----

  /**
   * For the erasure workflow: the subject's counted rows keep counting but no longer name the subject.
   * The separate-consent records stay (pseudonymous evidence). Inside the erasure's own transaction,
   * use `new KyselyExportLedger(tx).forgetSubject(subject)` instead.
   */
  async forgetSubject(subject: string): Promise<number> {
    return this.#d.ledger.forgetSubject(subject);
  }

  /** What this module holds about one subject, for their access request (R1): decisions and years counted. */
  async personalDataOf(subject: string): Promise<{ consents: TransferConsentReceipt[]; counted: { year: number; kind: CountKind; firstAt: number }[] }> {
    const [consents, counted] = await Promise.all([this.#d.consents.history(subject), this.#d.ledger.countedFor(subject)]);
    return { consents: consents.map(receiptOf), counted };
  }

  // ---- the registry (compliance, admin) ----

  async createDestination(ctx: RequestContext, input: DestinationInput): Promise<Result<DestinationView>> {
    const problems = destinationProblems(input);
    if (problems.length) return fail('VALIDATION_FAILED', problems.join('; '));
    const at = this.#d.clock.now();
    const actor = actorOf(ctx);
    const destination: Destination = {
      id: input.id,
      recipientName: input.recipientName.trim(),
      contact: input.contact.trim(),
      region: input.region,
      purpose: input.purpose,
      method: input.method,
      rights: input.rights,
      categories: input.categories.map((c) => ({ id: c.id, zh: c.zh, en: c.en, sensitive: c.sensitive })),
      sensitive: input.categories.some((c) => c.sensitive),
      baseUrl: normaliseBaseUrl(input.baseUrl),
      createdBy: actor,
      createdAt: at,
    };
    const change = this.#change(destination.id, 'destination_created', actor, at, {
      region: destination.region,
      categories: destination.categories.map((c) => c.id),
      baseUrl: destination.baseUrl,
    });
    if (!(await this.#d.registry.createDestination(destination, change))) return fail('DESTINATION_EXISTS', 'a destination with this id exists');
    return ok(this.#view(destination, [], at));
  }

  async destinations(_ctx: RequestContext): Promise<DestinationView[]> {
    const at = this.#d.clock.now();
    const [destinations, bases] = await Promise.all([this.#d.registry.destinations(), this.#d.registry.bases()]);
    return destinations.map((d) =>
      this.#view(
        d,
        bases.filter((b) => b.destinationId === d.id),
        at,
      ),
    );
  }

  async recordBasis(ctx: RequestContext, destinationId: string, input: BasisInput): Promise<Result<TransferBasis & { status: BasisStatus }>> {
    const problems: string[] = [];
    if (!(BASIS_KINDS as readonly string[]).includes(input.kind)) problems.push(`kind: one of ${BASIS_KINDS.join(', ')}`);
    if (typeof input.reference !== 'string' || !input.reference.trim() || input.reference.length > 200) problems.push('reference: 1–200 characters');
    if (!Number.isSafeInteger(input.validFrom) || !Number.isSafeInteger(input.validUntil) || input.validUntil <= input.validFrom) {
      problems.push('validUntil: after validFrom (both epoch milliseconds)');
    }
    if (problems.length) return fail('VALIDATION_FAILED', problems.join('; '));
    const destination = await this.#d.registry.destination(destinationId);
    if (!destination) return fail('DESTINATION_NOT_FOUND');
    const at = this.#d.clock.now();
    const actor = actorOf(ctx);
    const basis: TransferBasis = {
      id: recordId(at),
      destinationId,
      kind: input.kind,
      reference: input.reference.trim(),
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      recordedBy: actor,
      recordedAt: at,
      revokedAt: null,
      revokedBy: null,
      revokeReason: null,
    };
    const change = this.#change(destinationId, 'basis_recorded', actor, at, {
      basisId: basis.id,
      kind: basis.kind,
      reference: basis.reference,
      validFrom: basis.validFrom,
      validUntil: basis.validUntil,
    });
    await this.#d.registry.addBasis(basis, change);
    return ok({ ...basis, status: basisStatus(basis, at) });
  }

  async revokeBasis(ctx: RequestContext, basisId: string, reason: string): Promise<Result<TransferBasis & { status: BasisStatus }>> {
    if (typeof reason !== 'string' || !reason.trim() || reason.length > 500) return fail('VALIDATION_FAILED', 'reason: 1–500 characters');
    const basis = await this.#d.registry.basis(basisId);
    if (!basis) return fail('BASIS_NOT_FOUND');
    const at = this.#d.clock.now();
    const actor = actorOf(ctx);
    const change = this.#change(basis.destinationId, 'basis_revoked', actor, at, { basisId, reason: reason.trim() });
    if (!(await this.#d.registry.revokeBasis(basisId, { at, by: actor, reason: reason.trim() }, change))) {
      return fail('BASIS_ALREADY_REVOKED');
    }
    const revoked: TransferBasis = { ...basis, revokedAt: at, revokedBy: actor, revokeReason: reason.trim() };
    return ok({ ...revoked, status: basisStatus(revoked, at) });
  }

  async changes(_ctx: RequestContext, options: { limit: number; destinationId?: string }): Promise<RegistryChange[]> {
    return this.#d.registry.changes(options);
  }

  #change(destinationId: string, action: RegistryAction, actor: string, at: number, detail: Record<string, unknown>): RegistryChange {
    return { id: recordId(at), destinationId, action, actor, detail, createdAt: at };
  }

  #view(d: Destination, bases: TransferBasis[], at: number): DestinationView {
    const domestic = d.region === this.#d.region;
    const withStatus = bases.map((b) => ({ ...b, status: basisStatus(b, at) }));
    const status = domestic ? 'domestic' : withStatus.some((b) => b.status === 'valid') ? 'basis_valid' : 'no_valid_basis';
    return { ...d, domestic, status, bases: withStatus };
  }

  // ---- counter, alerts, log (compliance, admin) ----

  async counter(_ctx: RequestContext, year: number = chinaYearOf(this.#d.clock.now())): Promise<YearCounter> {
    const totals = await this.#d.ledger.totals(year);
    return { year, ...chinaYearRange(year), individuals: totals.individuals, sensitiveIndividuals: totals.sensitiveIndividuals, thresholds: thresholdStatus(totals) };
  }

  async alerts(_ctx: RequestContext, year?: number): Promise<TransferAlert[]> {
    return this.#d.ledger.alerts(year);
  }

  async transferLog(_ctx: RequestContext, options: { limit: number; outcome?: TransferOutcome }): Promise<TransferLogEntry[]> {
    return this.#d.ledger.recent(options);
  }

  // ---- viewers: the separate notice and consent (PIPL 39) ----

  /** Destinations outside the region, for a viewer's privacy centre. */
  async publicDestinations(locale: Locale): Promise<PublicDestination[]> {
    const all = await this.#d.registry.destinations();
    return all
      .filter((d) => d.region !== this.#d.region)
      .map((d) => ({ id: d.id, recipientName: d.recipientName, contact: d.contact, region: d.region, purpose: locale === 'zh-CN' ? d.purpose.zh : d.purpose.en, sensitive: d.sensitive }));
  }

  async notice(destinationId: string, locale: Locale): Promise<Result<TransferNotice>> {
    const key = `${destinationId}|${locale}`;
    const cached = this.#notices.get(key);
    if (cached) return ok(cached);
    const destination = await this.#d.registry.destination(destinationId);
    // A domestic recipient is not a cross-border transfer: there is no separate notice to show.
    if (!destination || destination.region === this.#d.region) return fail('DESTINATION_NOT_FOUND', 'no destination outside the region has this id');
    // Destinations never change, so their notice never does either (within one notice version).
    const notice = transferNoticeFor(destination, locale);
    this.#notices.set(key, notice);
    return ok(notice);
  }

  /** Records one separate-consent decision after checking it was made on the current notice, exactly as shown. */
  async decide(_ctx: RequestContext, input: TransferConsentDecision): Promise<Result<TransferConsentReceipt>> {
    const notice = await this.notice(input.destinationId, input.locale);
    if (!notice.ok) return notice;
    if (input.noticeVersion !== TRANSFER_NOTICE_VERSION) {
      return fail('NOTICE_OUTDATED', 'the separate notice has changed; show the current one and ask again', { noticeVersion: TRANSFER_NOTICE_VERSION });
    }
    if (input.noticeHash !== notice.value.hash) return fail('NOTICE_MISMATCH', 'the notice hash is not the hash of the notice shown');
    await this.#d.notices.keep({ hash: notice.value.hash, kind: 'transfer', version: TRANSFER_NOTICE_VERSION, locale: input.locale, scope: input.destinationId, text: notice.value.text });
    const at = this.#d.clock.now();
    const record: TransferConsentRecord = {
      id: recordId(at),
      subject: await this.#d.subjectOf(input.deviceId),
      destinationId: input.destinationId,
      decision: input.decision === 'grant' ? 'granted' : 'withdrawn',
      noticeVersion: TRANSFER_NOTICE_VERSION,
      noticeHash: notice.value.hash,
      locale: input.locale,
      region: this.#d.region,
      createdAt: at,
    };
    await this.#d.consents.append(record);
    return ok(receiptOf(record));
  }

  /** Every separate-consent decision of this device, oldest first. */
  async receipts(deviceId: string): Promise<TransferConsentReceipt[]> {
    return (await this.#d.consents.history(await this.#d.subjectOf(deviceId))).map(receiptOf);
  }
}

/** A separate consent covers transfers while it is the latest decision, a grant, under the current notice. */
function isLive(record: TransferConsentRecord | undefined): boolean {
  return record !== undefined && record.decision === 'granted' && record.noticeVersion === TRANSFER_NOTICE_VERSION;
}

export function basisStatus(b: TransferBasis, at: number): BasisStatus {
  if (b.revokedAt !== null) return 'revoked';
  if (at < b.validFrom) return 'not_yet_valid';
  if (at >= b.validUntil) return 'expired';
  return 'valid';
}

function receiptOf(r: TransferConsentRecord): TransferConsentReceipt {
  return {
    consentId: r.id,
    destinationId: r.destinationId,
    decision: r.decision,
    noticeVersion: r.noticeVersion,
    noticeHash: r.noticeHash,
    locale: r.locale,
    region: r.region,
    at: r.createdAt,
  };
}

function actorOf(ctx: RequestContext): string {
  const a = ctx.actor;
  if (a.kind === 'staff') return `staff:${a.id}`;
  if (a.kind === 'system') return `system:${a.reason}`.slice(0, 128);
  return 'anonymous';
}

function destinationProblems(input: DestinationInput): string[] {
  const problems: string[] = [];
  const text = (value: unknown, max: number) => typeof value === 'string' && value.trim().length > 0 && value.length <= max;
  const bilingual = (value: Bilingual | undefined, max: number) => value !== undefined && text(value.zh, max) && text(value.en, max);
  if (typeof input.id !== 'string' || !ID.test(input.id)) problems.push('id: 2–64 lower-case letters, digits or "-"');
  if (!text(input.recipientName, 200)) problems.push('recipientName: 1–200 characters');
  if (!text(input.contact, 200)) problems.push('contact: 1–200 characters');
  if (typeof input.region !== 'string' || !REGION.test(input.region)) problems.push('region: a lower-case region label such as sg or us-east');
  if (!bilingual(input.purpose, 500)) problems.push('purpose: zh and en, 1–500 characters each');
  if (!bilingual(input.method, 500)) problems.push('method: zh and en, 1–500 characters each');
  if (!bilingual(input.rights, 500)) problems.push('rights: zh and en, 1–500 characters each');
  const categories = Array.isArray(input.categories) ? input.categories : [];
  if (categories.length === 0 || categories.length > 20) problems.push('categories: 1–20 data categories');
  if (!categories.every((c) => typeof c.id === 'string' && CATEGORY.test(c.id) && text(c.zh, 100) && text(c.en, 100) && typeof c.sensitive === 'boolean')) {
    problems.push('categories: each an id (lower-case letters, digits, "_"), zh and en names, and sensitive true or false');
  }
  if (new Set(categories.map((c) => c.id)).size !== categories.length) problems.push('categories: each id once');
  const urlProblem = baseUrlProblem(input.baseUrl);
  if (urlProblem) problems.push(urlProblem);
  return problems;
}

function baseUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 500) return 'baseUrl: an absolute URL of at most 500 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'baseUrl: an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return 'baseUrl: https (plain http only to a loopback host)';
  if (url.username || url.password) return 'baseUrl: no credentials in the URL';
  if (url.search || url.hash) return 'baseUrl: no query or fragment';
  return undefined;
}

function normaliseBaseUrl(value: string): string {
  const url = new URL(value);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
