/** What the viewer-profile module needs from storage. Every personal value arrives sealed. */

export interface StoredProfile {
  readonly subject: string;
  readonly region: string;
  /** AES-256-GCM envelope text of the profile JSON, under the subject's data key. */
  readonly profileSealed: string;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface StoredGuardianConsent {
  readonly id: string;
  readonly subject: string;
  readonly brandId: string;
  readonly guardianSubject: string;
  readonly granted: readonly string[];
  readonly detailsSealed: string;
  readonly noticeVersion: string;
  readonly noticeHash: string;
  readonly locale: string;
  readonly method: 'guardian_grant' | 'withdraw';
  readonly region: string;
  readonly createdAt: number;
}

export interface StoredGuardianRequest {
  readonly codeHash: string;
  readonly subject: string;
  readonly brandId: string;
  readonly region: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly completedAt: number | null;
}

export interface ViewerProfileStore {
  get(subject: string): Promise<StoredProfile | undefined>;
  /**
   * Writes the profile if its version is still `expectedVersion` (undefined: the profile must not
   * exist yet). False when someone else wrote first: read again and retry.
   */
  put(profile: StoredProfile, expectedVersion: number | undefined): Promise<boolean>;

  /** The guardian-consent ledger for minors under 14: append-only. */
  appendGuardianConsent(record: StoredGuardianConsent): Promise<void>;
  /** Oldest first; every brand when brandId is omitted. */
  guardianConsents(subject: string, brandId?: string): Promise<StoredGuardianConsent[]>;

  addGuardianRequest(request: StoredGuardianRequest): Promise<void>;
  guardianRequest(codeHash: string): Promise<StoredGuardianRequest | undefined>;
  /** Marks the request used, once: false if it was already completed. */
  completeGuardianRequest(codeHash: string, at: number): Promise<boolean>;

  /**
   * Adds `amountFen` to the subject's spend for the period if the total stays within `limitFen`;
   * false (and nothing changed) otherwise. Atomic, so two orders at once cannot both pass.
   */
  reserveSpend(subject: string, region: string, period: string, amountFen: number, limitFen: number, now: number): Promise<boolean>;
  releaseSpend(subject: string, period: string, amountFen: number, now: number): Promise<void>;
  spent(subject: string, period: string): Promise<number>;

  /** Retention: guardian consents recorded before the cutoff, and guardian links expired before `linksExpiredBefore`. */
  purgeGuardianBefore(cutoff: number, linksExpiredBefore: number): Promise<number>;

  /** Erasure: the profile, pending guardian codes and spend rows of the subject. Returns rows deleted. */
  deleteSubject(subject: string): Promise<number>;
}
