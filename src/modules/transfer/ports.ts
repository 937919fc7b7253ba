import type { Locale } from '../../context/index.js';
import type { CountKind, ThresholdId } from './thresholds.js';

/** The transfer mechanisms PIPL Art. 38 allows (certification by a CAC-approved body counts as one). */
export const BASIS_KINDS = ['standard_contract', 'certification', 'security_assessment'] as const;
export type BasisKind = (typeof BASIS_KINDS)[number];

/** Text the separate notice shows, in both languages. */
export interface Bilingual {
  zh: string;
  en: string;
}

export interface DataCategory {
  /** A key such as `chat_text`; the gateway refuses categories the destination did not declare. */
  id: string;
  zh: string;
  en: string;
  /** Sensitive personal information (PIPL 28): minors under 14, health, precise location, finance … */
  sensitive: boolean;
}

/** A recipient personal data may be sent to. Never updated: a changed recipient is registered anew. */
export interface Destination {
  id: string;
  /** The recipient's legal name. */
  recipientName: string;
  /** How to reach the recipient (PIPL 39). */
  contact: string;
  /** The recipient's region label; equal to the deployment's data region means domestic. */
  region: string;
  purpose: Bilingual;
  /** How the recipient processes the data (处理方式). */
  method: Bilingual;
  /** How a viewer exercises their rights with the recipient. */
  rights: Bilingual;
  categories: DataCategory[];
  /** True when any category is sensitive. */
  sensitive: boolean;
  /** Where the gateway sends: https (http only to a loopback host), no credentials, query or fragment. */
  baseUrl: string;
  createdBy: string;
  createdAt: number;
}

export interface TransferBasis {
  id: string;
  destinationId: string;
  kind: BasisKind;
  /** Filing number, certificate number or CAC approval reference. */
  reference: string;
  validFrom: number;
  /** Exclusive: the basis no longer covers a transfer at or after this time. */
  validUntil: number;
  recordedBy: string;
  recordedAt: number;
  revokedAt: number | null;
  revokedBy: string | null;
  revokeReason: string | null;
}

export const REGISTRY_ACTIONS = ['destination_created', 'basis_recorded', 'basis_revoked'] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

/** One change to the registry: who, when, what (append-only). */
export interface RegistryChange {
  id: string;
  destinationId: string;
  action: RegistryAction;
  /** `staff:<id>` or `system:<reason>`. */
  actor: string;
  detail: Record<string, unknown>;
  createdAt: number;
}

/** Destinations and their transfer bases; every change is stored with its RegistryChange, atomically. */
export interface DestinationRegistry {
  /** False (and nothing stored) when the id is taken. */
  createDestination(destination: Destination, change: RegistryChange): Promise<boolean>;
  destination(id: string): Promise<Destination | undefined>;
  /** Every destination, by id. */
  destinations(): Promise<Destination[]>;
  addBasis(basis: TransferBasis, change: RegistryChange): Promise<void>;
  basis(id: string): Promise<TransferBasis | undefined>;
  /** Bases of one destination (or all), oldest first. */
  bases(destinationId?: string): Promise<TransferBasis[]>;
  /** Revokes a basis that is not revoked yet; false (and nothing stored) otherwise. */
  revokeBasis(id: string, revocation: { at: number; by: string; reason: string }, change: RegistryChange): Promise<boolean>;
  /** Newest first. */
  changes(options: { limit: number; destinationId?: string }): Promise<RegistryChange[]>;
}

export type TransferDecision = 'granted' | 'withdrawn';

/** One separate-consent decision (PIPL 39), append-only; the subject is the keyed id, never a device id. */
export interface TransferConsentRecord {
  id: string;
  subject: string;
  destinationId: string;
  decision: TransferDecision;
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
  region: string;
  createdAt: number;
}

/** Append-only: there is deliberately no update or delete (the records are pseudonymous evidence). */
export interface TransferConsentLedger {
  append(record: TransferConsentRecord): Promise<void>;
  /** The latest decision of each given subject for one destination; subjects without one are absent. */
  latestFor(destinationId: string, subjects: readonly string[]): Promise<Map<string, TransferConsentRecord>>;
  /** Every decision of one subject, oldest first. */
  history(subject: string): Promise<TransferConsentRecord[]>;
}

export const TRANSFER_OUTCOMES = ['refused', 'sent', 'failed'] as const;
export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number];

/** One outbound call the gateway refused or made. Counts and categories only: no subject ids. */
export interface TransferLogEntry {
  id: string;
  destinationId: string;
  /** null when the destination is unknown. */
  region: string | null;
  crossBorder: boolean;
  subjects: number;
  categories: string[];
  sensitive: boolean;
  outcome: TransferOutcome;
  /** Why it was refused or failed (a stable key), null when sent. */
  reason: string | null;
  httpStatus: number | null;
  actor: string;
  createdAt: number;
}

export interface YearTotals {
  year: number;
  /** Individuals whose personal information left the region this year (any category). */
  individuals: number;
  /** Of those, individuals whose sensitive personal information left the region. */
  sensitiveIndividuals: number;
}

export type AlertLevel = 'warning' | 'reached';

export interface TransferAlert {
  year: number;
  threshold: ThresholdId;
  level: AlertLevel;
  /** The figure crossed: the threshold itself, or 80 % of it for a warning. */
  limit: number;
  /** The count when the alert was raised. */
  count: number;
  raisedAt: number;
}

/** The transfer log, the yearly count of individuals (a unique key per year, kind and subject) and alerts. */
export interface ExportLedger {
  log(entry: TransferLogEntry): Promise<void>;
  /** Newest first. */
  recent(options: { limit: number; outcome?: TransferOutcome }): Promise<TransferLogEntry[]>;
  /**
   * The bulk path: counts each subject once per year (and once more as sensitive when `sensitive`),
   * in one transaction, and says how many were new. Subjects counted before are not counted again.
   */
  countIndividuals(input: { year: number; subjects: readonly string[]; sensitive: boolean; at: number }): Promise<{ individuals: number; sensitive: number }>;
  totals(year: number): Promise<YearTotals>;
  /** Stores the alert unless this year, threshold and level already has one: true the first time. */
  raiseAlert(alert: TransferAlert): Promise<boolean>;
  /** Oldest first; one year or all. */
  alerts(year?: number): Promise<TransferAlert[]>;
  /**
   * Erasure: the subject's counted rows get random tombstone ids, so the yearly counts stay right but
   * no row can be linked to the subject any more. Returns the rows changed. An adapter built on a
   * transaction (the erasure's) works inside it.
   */
  forgetSubject(subject: string): Promise<number>;
  /** The years (and kinds) in which a subject was counted, for their access request; oldest first. */
  countedFor(subject: string): Promise<{ year: number; kind: CountKind; firstAt: number }[]>;
}

/** The one outbound HTTP request the gateway makes, once it has allowed a transfer. */
export interface OutboundRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxResponseBytes: number;
}

export type DeliveryResult =
  | { kind: 'answered'; status: number; contentType: string | null; body: string }
  | { kind: 'failed'; reason: 'timeout' | 'network' | 'response_too_large' };

/** Carries an allowed transfer over the network. Only the gateway holds one. */
export interface Courier {
  deliver(request: OutboundRequest): Promise<DeliveryResult>;
}
