/**
 * What a viewer has told us about themselves and how they want to be treated: a declared age band
 * (minors, M1/M2), the personalisation switch (A1), guardian consent for children under 14,
 * minors' spending limits, and two optional coarse bands (the child's age, the city tier). The
 * profile is personal data: sealed under the viewer's data key.
 *
 * restrictions() is what the consent check consults on every personal write: the viewer's own
 * consent is necessary, never sufficient.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, Locale } from '../../context/index.js';
import type { Brand } from '../catalogue/index.js';
import type { NoticeText, Purpose } from '../consent/index.js';
import { GUARDIAN_NOTICE_VERSION, GUARDIAN_PURPOSES, guardianNoticeFor, type GuardianNotice, type GuardianPurpose } from './guardian-notice.js';
import type { StoredGuardianConsent, ViewerProfileStore } from './ports.js';
import { Lru } from '../../shared/lru.js';

export const AGE_BANDS = ['under_14', '14_to_17', 'adult'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/**
 * The age of the viewer's child, as a coarse band the viewer may declare (or clear) for better
 * suggestions: used for ranking only under the personalised-recommendations consent, never shown
 * to anyone else. Month ranges are [from, to).
 */
export const CHILD_AGE_BANDS = ['0_6m', '6_12m', '1_3y', '3_6y', '6y_plus'] as const;
export type ChildAgeBand = (typeof CHILD_AGE_BANDS)[number];
export const CHILD_AGE_MONTHS: Readonly<Record<ChildAgeBand, readonly [number, number]>> = Object.freeze({
  '0_6m': [0, 6],
  '6_12m': [6, 12],
  '1_3y': [12, 36],
  '3_6y': [36, 72],
  '6y_plus': [72, 216],
});

/**
 * The size of the viewer's city, as a coarse band the viewer may declare (or clear with null) in
 * the privacy centre. Used only to audit that no group of viewers is treated worse (the fairness
 * audits, which see it on the decision log with no identity attached); never for ranking or
 * prices, never shown to anyone else.
 */
export const CITY_TIERS = ['tier1', 'tier2', 'tier3_plus'] as const;
export type CityTier = (typeof CITY_TIERS)[number];

/** Purposes minors mode never allows (M2), whatever anyone consents to. */
export const MINOR_BLOCKED: readonly Purpose[] = ['personalised_recommendations', 'marketing', 'merchant_sharing'];

export type ViewerMode = 'undeclared' | 'adult' | 'minor' | 'child_awaiting_guardian' | 'child_with_guardian';

export interface SpendingLimits {
  perOrderFen: number;
  monthlyFen: number;
}

interface Profile {
  ageBand: AgeBand | null;
  declaredAt: number | null;
  personalisation: boolean;
  childAgeBand: ChildAgeBand | null;
  cityTier: CityTier | null;
}

export interface ProfileView {
  ageBand: AgeBand | null;
  declaredAt: number | null;
  childAgeBand: ChildAgeBand | null;
  cityTier: CityTier | null;
  mode: ViewerMode;
  minorsMode: boolean;
  personalisation: boolean;
  /** For a child under 14: what their guardian allowed for this brand (empty when none yet). */
  guardianPurposes: GuardianPurpose[];
  spending: (SpendingLimits & { spentThisMonthFen: number }) | null;
  region: string;
}

/** How the consent check must treat this viewer's own decisions. */
export interface Restrictions {
  mode: ViewerMode;
  /** Purposes that are refused whatever the viewer's consent says. */
  blocked: ReadonlySet<Purpose>;
  /** For a child under 14, the guardian's grant replaces the child's own: only these may be allowed. */
  onlyGranted?: ReadonlySet<Purpose>;
}

export interface GuardianRequestIssued {
  /** Shown once to the child to hand to their guardian; only its hash is stored. */
  code: string;
  expiresAt: number;
}

export interface GuardianDecisionInput {
  guardianDeviceId: string;
  relationship: 'parent' | 'legal_guardian';
  granted: string[];
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
}

export interface GuardianConsentView {
  id: string;
  brandId: string;
  granted: GuardianPurpose[];
  method: 'guardian_grant' | 'withdraw';
  noticeVersion: string;
  noticeHash: string;
  locale: string;
  at: number;
}

export interface ViewerProfileDeps {
  store: ViewerProfileStore;
  sealer: {
    sealTextFor(subject: string, field: { table: string; column: string; rowId: string }, plaintext: string): Promise<string>;
    openTextFor(subject: string, field: { table: string; column: string; rowId: string }, sealed: string): Promise<string>;
  };
  subjectFor(deviceId: string): string;
  brands: { getBrand(brandId: string): Promise<Brand | undefined> };
  clock: Clock;
  region: string;
  spending: SpendingLimits;
  /** The notice archive: the guardian notice's exact text is kept before a decision on it is recorded (C2). */
  notices: { keep(notice: NoticeText): Promise<void>; touch(hash: string): Promise<boolean> };
  /** How long a guardian link stays valid. */
  guardianCodeTtlMs?: number;
}

// Spread under every stored profile on read, so a field added later reads as its default in profiles stored before it.
const DEFAULT_PROFILE: Profile = { ageBand: null, declaredAt: null, personalisation: true, childAgeBand: null, cityTier: null };
const PROFILE_FIELD = (subject: string) => ({ table: 'viewer_profiles', column: 'profile', rowId: subject });
const GUARDIAN_FIELD = (id: string) => ({ table: 'guardian_consents', column: 'details', rowId: id });
const AGE_ORDER: Record<AgeBand, number> = { under_14: 0, '14_to_17': 1, adult: 2 };
const MAX_CAS_RETRIES = 5;

export class ViewerProfileService {
  readonly #ttl: number;
  /** Stored profile rows (null: none) and latest guardian decisions, read on every consent check. */
  readonly #rows = new Lru<string, { value: Profile; version: number | undefined; createdAt: number | undefined } | null>(50_000);
  readonly #guardian = new Lru<string, StoredGuardianConsent | null>(50_000);
  readonly #changed: ((subject: string) => void)[] = [];

  constructor(private readonly deps: ViewerProfileDeps) {
    this.#ttl = deps.guardianCodeTtlMs ?? 24 * 3_600_000;
  }

  /** What the viewer declared, whatever the brand: age band, when, the personalisation switch, whether a minor, child's age band, city tier. */
  async declared(
    deviceId: string,
  ): Promise<{ ageBand: AgeBand | null; declaredAt: number | null; personalisation: boolean; minor: boolean; childAgeBand: ChildAgeBand | null; cityTier: CityTier | null }> {
    const { value } = await this.#read(this.deps.subjectFor(deviceId));
    return {
      ageBand: value.ageBand,
      declaredAt: value.declaredAt,
      personalisation: value.personalisation,
      minor: isMinor(value.ageBand),
      childAgeBand: value.childAgeBand,
      cityTier: value.cityTier,
    };
  }

  async view(deviceId: string, brandId: string): Promise<ProfileView> {
    const subject = this.deps.subjectFor(deviceId);
    const profile = await this.#read(subject);
    const r = await this.#restrictionsOf(subject, brandId, profile.value);
    const minorsMode = isMinor(profile.value.ageBand);
    return {
      ageBand: profile.value.ageBand,
      declaredAt: profile.value.declaredAt,
      childAgeBand: profile.value.childAgeBand,
      cityTier: profile.value.cityTier,
      mode: r.mode,
      minorsMode,
      personalisation: profile.value.personalisation,
      guardianPurposes: r.onlyGranted ? ([...r.onlyGranted] as GuardianPurpose[]) : [],
      spending: minorsMode ? { ...this.deps.spending, spentThisMonthFen: await this.deps.store.spent(subject, this.#period()) } : null,
      region: this.deps.region,
    };
  }

  /**
   * Records a declared age band. Lowering it is always possible; raising a declared minor's band is
   * refused (a child could otherwise switch minors mode off), except by erasing everything.
   */
  async declareAge(deviceId: string, ageBand: AgeBand): Promise<Result<void>> {
    return this.#update(this.deps.subjectFor(deviceId), (p) => {
      if (p.ageBand !== null && p.ageBand !== 'adult' && AGE_ORDER[ageBand] > AGE_ORDER[p.ageBand]) {
        return fail('AGE_DECLARATION_LOCKED', 'a declared minor age band cannot be raised');
      }
      return ok({ ...p, ageBand, declaredAt: this.deps.clock.now() });
    });
  }

  /** The child's age band the viewer declares (or clears with null) for better suggestions. */
  declareChildAge(deviceId: string, band: ChildAgeBand | null): Promise<Result<void>> {
    if (band !== null && !(CHILD_AGE_BANDS as readonly string[]).includes(band)) return Promise.resolve(fail('VALIDATION_FAILED', `childAgeBand: one of ${CHILD_AGE_BANDS.join(', ')} or null`));
    return this.#update(this.deps.subjectFor(deviceId), (p) => ok({ ...p, childAgeBand: band }));
  }

  /** The city tier the viewer declares (or clears with null), for fairness audits only (see CITY_TIERS). */
  declareCityTier(deviceId: string, tier: CityTier | null): Promise<Result<void>> {
    if (tier !== null && !(CITY_TIERS as readonly string[]).includes(tier)) return Promise.resolve(fail('VALIDATION_FAILED', `cityTier: one of ${CITY_TIERS.join(', ')} or null`));
    return this.#update(this.deps.subjectFor(deviceId), (p) => ok({ ...p, cityTier: tier }));
  }

  /** The personalisation switch (A1): off means non-personalised from the next request on. */
  setPersonalisation(deviceId: string, on: boolean): Promise<Result<void>> {
    return this.#update(this.deps.subjectFor(deviceId), (p) => ok({ ...p, personalisation: on }));
  }

  async restrictions(deviceId: string, brandId: string): Promise<Restrictions> {
    const subject = this.deps.subjectFor(deviceId);
    return this.#restrictionsOf(subject, brandId, (await this.#read(subject)).value);
  }

  // ---- guardian consent (M1) ----

  /** A child under 14 asks for their guardian's consent: a one-time code to hand over. */
  async requestGuardian(deviceId: string, brandId: string): Promise<Result<GuardianRequestIssued>> {
    const subject = this.deps.subjectFor(deviceId);
    const profile = (await this.#read(subject)).value;
    if (profile.ageBand !== 'under_14') return fail('VALIDATION_FAILED', 'a guardian link is only for a viewer who declared an age under 14');
    if (!(await this.deps.brands.getBrand(brandId))) return fail('NOT_FOUND', 'no such brand');
    const code = randomBytes(18).toString('base64url');
    const now = this.deps.clock.now();
    const expiresAt = now + this.#ttl;
    await this.deps.store.addGuardianRequest({ codeHash: hashCode(code), subject, brandId, region: this.deps.region, createdAt: now, expiresAt, completedAt: null });
    return ok({ code, expiresAt });
  }

  async guardianNotice(code: string, locale: Locale): Promise<Result<GuardianNotice>> {
    const request = await this.#openRequest(code);
    if (!request.ok) return request;
    const brand = await this.deps.brands.getBrand(request.value.brandId);
    if (!brand) return fail('GUARDIAN_CODE_INVALID');
    return ok(guardianNoticeFor(brand, locale));
  }

  /** The guardian's decision, from their own device, on the notice exactly as shown. The code is then used up. */
  async guardianDecide(code: string, input: GuardianDecisionInput): Promise<Result<GuardianConsentView>> {
    const request = await this.#openRequest(code);
    if (!request.ok) return request;
    const { subject, brandId } = request.value;
    if (this.deps.subjectFor(input.guardianDeviceId) === subject) return fail('GUARDIAN_SAME_DEVICE');
    const notAllowed = input.granted.filter((p) => !(GUARDIAN_PURPOSES as readonly string[]).includes(p));
    if (notAllowed.length) return fail('MINORS_MODE_RESTRICTED', `a guardian may allow only: ${GUARDIAN_PURPOSES.join(', ')}`);
    if (input.noticeVersion !== GUARDIAN_NOTICE_VERSION) {
      return fail('NOTICE_OUTDATED', 'the guardian notice has changed; show the current one', { noticeVersion: GUARDIAN_NOTICE_VERSION });
    }
    const brand = await this.deps.brands.getBrand(brandId);
    if (!brand) return fail('GUARDIAN_CODE_INVALID');
    const notice = guardianNoticeFor(brand, input.locale);
    if (notice.hash !== input.noticeHash) return fail('NOTICE_MISMATCH', 'the notice hash is not the hash of the guardian notice shown');
    await this.deps.notices.keep({ hash: notice.hash, kind: 'guardian', version: GUARDIAN_NOTICE_VERSION, locale: input.locale, scope: brandId, text: notice.text });
    const now = this.deps.clock.now();
    if (!(await this.deps.store.completeGuardianRequest(request.value.codeHash, now))) return fail('GUARDIAN_CODE_INVALID');
    const id = randomBytes(16).toString('base64url');
    const granted = GUARDIAN_PURPOSES.filter((p) => input.granted.includes(p));
    const record: StoredGuardianConsent = {
      id,
      subject,
      brandId,
      guardianSubject: this.deps.subjectFor(input.guardianDeviceId),
      granted,
      detailsSealed: await this.deps.sealer.sealTextFor(subject, GUARDIAN_FIELD(id), JSON.stringify({ relationship: input.relationship })),
      noticeVersion: GUARDIAN_NOTICE_VERSION,
      noticeHash: notice.hash,
      locale: input.locale,
      method: 'guardian_grant',
      region: this.deps.region,
      createdAt: now,
    };
    await this.deps.store.appendGuardianConsent(record);
    this.#guardian.set(`${subject}|${brandId}`, record);
    this.#tellChanged(subject);
    return ok(guardianView(record));
  }

  /** The child (or the guardian on the child's device) withdraws the guardian's consent: as easy as granting. */
  async withdrawGuardian(deviceId: string, brandId: string): Promise<Result<GuardianConsentView>> {
    const subject = this.deps.subjectFor(deviceId);
    const latest = (await this.deps.store.guardianConsents(subject, brandId)).at(-1);
    if (!latest || latest.method === 'withdraw') return fail('NOT_FOUND', 'there is no guardian consent to withdraw');
    const id = randomBytes(16).toString('base64url');
    const record: StoredGuardianConsent = {
      ...latest,
      id,
      granted: [],
      detailsSealed: await this.deps.sealer.sealTextFor(subject, GUARDIAN_FIELD(id), JSON.stringify({ withdrawnFrom: latest.id })),
      method: 'withdraw',
      createdAt: this.deps.clock.now(),
    };
    // The withdrawal names its grant's notice: that text must be kept as long as this record. A grant
    // made before texts were archived: its text is archived now if the notice still renders to its hash.
    if (!(await this.deps.notices.touch(latest.noticeHash))) {
      const brand = await this.deps.brands.getBrand(brandId);
      const locale: Locale = latest.locale === 'en' ? 'en' : 'zh-CN';
      const notice = brand ? guardianNoticeFor(brand, locale) : undefined;
      if (notice?.hash === latest.noticeHash) {
        await this.deps.notices.keep({ hash: notice.hash, kind: 'guardian', version: notice.version, locale, scope: brandId, text: notice.text });
      }
    }
    await this.deps.store.appendGuardianConsent(record);
    this.#guardian.set(`${subject}|${brandId}`, record);
    this.#tellChanged(subject);
    return ok(guardianView(record));
  }

  async guardianHistory(deviceId: string): Promise<GuardianConsentView[]> {
    return (await this.deps.store.guardianConsents(this.deps.subjectFor(deviceId))).map(guardianView);
  }

  // ---- spending limits (M2) ----

  /**
   * Reserves an order's amount against a minor's limits; returns a release function for when the
   * order does not go through. Viewers not in minors mode are not limited.
   */
  async reserveSpend(deviceId: string, amountFen: number): Promise<Result<() => Promise<void>>> {
    const subject = this.deps.subjectFor(deviceId);
    const profile = (await this.#read(subject)).value;
    if (!isMinor(profile.ageBand)) return ok(async () => undefined);
    const { perOrderFen, monthlyFen } = this.deps.spending;
    if (amountFen > perOrderFen) {
      return fail('SPENDING_LIMIT_REACHED', `minors mode allows at most ${perOrderFen} fen per order`, { perOrderFen, monthlyFen });
    }
    const period = this.#period();
    if (!(await this.deps.store.reserveSpend(subject, this.deps.region, period, amountFen, monthlyFen, this.deps.clock.now()))) {
      return fail('SPENDING_LIMIT_REACHED', `minors mode allows at most ${monthlyFen} fen per month`, { perOrderFen, monthlyFen });
    }
    return ok(() => this.deps.store.releaseSpend(subject, period, amountFen, this.deps.clock.now()));
  }

  /** Retention: guardian consent records (3 years) and long-expired guardian links. */
  purgeGuardianBefore(cutoff: number): Promise<number> {
    return this.deps.store.purgeGuardianBefore(cutoff, this.deps.clock.now());
  }

  /** Told after this node changes a viewer's profile or guardian consent (to relay to other nodes). */
  onChanged(listener: (subject: string) => void): void {
    this.#changed.push(listener);
  }

  /** The bus was down (another node's notices may be lost): read every subject from the store again. */
  forgetAll(): void {
    this.#rows.clear();
    this.#guardian.clear();
  }

  /** Erasure, or another node's change: read this subject from the store next time. */
  forget(subject: string): void {
    this.#rows.delete(subject);
    this.#guardian.deleteWhere((key) => key.startsWith(`${subject}|`));
  }

  // ---- internals ----

  async #latestGuardian(subject: string, brandId: string): Promise<StoredGuardianConsent | undefined> {
    const key = `${subject}|${brandId}`;
    const cached = this.#guardian.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const latest = (await this.deps.store.guardianConsents(subject, brandId)).at(-1);
    this.#guardian.set(key, latest ?? null);
    return latest;
  }

  #tellChanged(subject: string): void {
    for (const listener of this.#changed) listener(subject);
  }

  async #restrictionsOf(subject: string, brandId: string, profile: Profile): Promise<Restrictions> {
    const blocked = new Set<Purpose>();
    if (!profile.personalisation) blocked.add('personalised_recommendations');
    switch (profile.ageBand) {
      case null:
        return { mode: 'undeclared', blocked };
      case 'adult':
        return { mode: 'adult', blocked };
      case '14_to_17':
        for (const p of MINOR_BLOCKED) blocked.add(p);
        return { mode: 'minor', blocked };
      case 'under_14': {
        for (const p of MINOR_BLOCKED) blocked.add(p);
        const latest = await this.#latestGuardian(subject, brandId);
        const granted = latest && latest.method === 'guardian_grant' ? (latest.granted as Purpose[]) : [];
        return { mode: granted.length ? 'child_with_guardian' : 'child_awaiting_guardian', blocked, onlyGranted: new Set(granted) };
      }
    }
  }

  async #read(subject: string): Promise<{ value: Profile; version: number | undefined; createdAt: number | undefined }> {
    const cached = this.#rows.get(subject);
    if (cached !== undefined) return cached === null ? { value: { ...DEFAULT_PROFILE }, version: undefined, createdAt: undefined } : cached;
    const row = await this.deps.store.get(subject);
    if (!row) {
      this.#rows.set(subject, null);
      return { value: { ...DEFAULT_PROFILE }, version: undefined, createdAt: undefined };
    }
    const value = JSON.parse(await this.deps.sealer.openTextFor(subject, PROFILE_FIELD(subject), row.profileSealed)) as Profile;
    const read = { value: { ...DEFAULT_PROFILE, ...value }, version: row.version, createdAt: row.createdAt };
    this.#rows.set(subject, read);
    return read;
  }

  async #update(subject: string, change: (p: Profile) => Result<Profile>): Promise<Result<void>> {
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const current = await this.#read(subject);
      const next = change(current.value);
      if (!next.ok) return next;
      const now = this.deps.clock.now();
      const written = await this.deps.store.put(
        {
          subject,
          region: this.deps.region,
          profileSealed: await this.deps.sealer.sealTextFor(subject, PROFILE_FIELD(subject), JSON.stringify(next.value)),
          version: (current.version ?? 0) + 1,
          createdAt: current.createdAt ?? now,
          updatedAt: now,
        },
        current.version,
      );
      if (written) {
        this.#rows.set(subject, { value: next.value, version: (current.version ?? 0) + 1, createdAt: current.createdAt ?? now });
        this.#tellChanged(subject);
        return ok(undefined);
      }
      this.#rows.delete(subject); // someone else wrote first: read it again
    }
    return fail('DUPLICATE_REQUEST', 'the profile kept changing; try again');
  }

  async #openRequest(code: string) {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(code)) return fail('GUARDIAN_CODE_INVALID');
    const request = await this.deps.store.guardianRequest(hashCode(code));
    if (!request || request.completedAt !== null || request.expiresAt <= this.deps.clock.now()) return fail('GUARDIAN_CODE_INVALID');
    return ok(request);
  }

  /** The calendar month in China time, which spending limits count by. */
  #period(): string {
    return new Date(this.deps.clock.now() + 8 * 3_600_000).toISOString().slice(0, 7);
  }
}

function isMinor(ageBand: AgeBand | null): boolean {
  return ageBand === 'under_14' || ageBand === '14_to_17';
}

function hashCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

function guardianView(r: StoredGuardianConsent): GuardianConsentView {
  return {
    id: r.id,
    brandId: r.brandId,
    granted: r.granted as GuardianPurpose[],
    method: r.method,
    noticeVersion: r.noticeVersion,
    noticeHash: r.noticeHash,
    locale: r.locale,
    at: r.createdAt,
  };
}
