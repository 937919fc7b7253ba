/** The cross-border section's contract with the server and its pure rules (no DOM, unit-tested). */

export type ThresholdId = 'sensitive_10k' | 'individuals_100k' | 'individuals_1m';
export type BasisKind = 'standard_contract' | 'certification' | 'security_assessment';
export type BasisStatus = 'valid' | 'not_yet_valid' | 'expired' | 'revoked';

/** GET /api/v1/compliance/transfer/counter (src/modules/transfer/service.ts YearCounter). */
export interface ThresholdStatus {
  id: ThresholdId;
  kind: 'any' | 'sensitive';
  limit: number;
  warningAt: number;
  count: number;
  warning: boolean;
  reached: boolean;
  route: 'standard_contract_or_certification' | 'security_assessment';
}

export interface YearCounter {
  year: number;
  from: number;
  until: number;
  individuals: number;
  sensitiveIndividuals: number;
  thresholds: ThresholdStatus[];
}

export interface TransferAlert {
  year: number;
  threshold: ThresholdId;
  level: 'warning' | 'reached';
  limit: number;
  count: number;
  raisedAt: number;
}

export interface TransferBasis {
  id: string;
  kind: BasisKind;
  reference: string;
  validFrom: number;
  validUntil: number;
  recordedAt: number;
  revokedAt: number | null;
  status: BasisStatus;
}

export interface DestinationView {
  id: string;
  recipientName: string;
  region: string;
  sensitive: boolean;
  domestic: boolean;
  status: 'domestic' | 'basis_valid' | 'no_valid_basis';
  bases: TransferBasis[];
}

export interface TransferLogEntry {
  id: string;
  destinationId: string;
  region: string | null;
  crossBorder: boolean;
  subjects: number;
  categories: string[];
  sensitive: boolean;
  outcome: 'refused' | 'sent' | 'failed';
  reason: string | null;
  createdAt: number;
}

export const REFUSAL_REASONS = ['invalid_request', 'unknown_destination', 'undeclared_category', 'no_valid_basis', 'missing_consent'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
export const isRefusalReason = (reason: string | null): reason is RefusalReason => reason !== null && (REFUSAL_REASONS as readonly string[]).includes(reason);

export type ThresholdLevel = 'reached' | 'warning' | 'below';

export function thresholdLevel(s: Pick<ThresholdStatus, 'warning' | 'reached'>): ThresholdLevel {
  return s.reached ? 'reached' : s.warning ? 'warning' : 'below';
}

/** How far along the threshold the count is, 0–100, for the bar (a count past the limit fills it). */
export function shareOf(count: number, limit: number): number {
  if (!(limit > 0) || !(count > 0)) return 0;
  return Math.min(100, Math.floor((count / limit) * 1000) / 10);
}

/** The basis transfers rely on now: the valid one lasting longest; else null. */
export function currentBasis(bases: readonly TransferBasis[]): TransferBasis | null {
  let best: TransferBasis | null = null;
  for (const b of bases) if (b.status === 'valid' && (!best || b.validUntil > best.validUntil)) best = b;
  return best;
}

export const EXPIRY_NOTICE_DAYS = 60;

/** True when the basis ends within EXPIRY_NOTICE_DAYS of `now`: time to renew before transfers stop. */
export function expiresSoon(basis: Pick<TransferBasis, 'validUntil'>, now: number): boolean {
  return basis.validUntil - now <= EXPIRY_NOTICE_DAYS * 86_400_000;
}
