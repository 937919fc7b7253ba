/**
 * One access-log entry and its one byte encoding: canonical JSON (keys sorted, no spaces, strings
 * escaped by JSON, so a value can never forge a second entry or a line break). The leaf of the
 * Merkle tree is exactly these UTF-8 bytes.
 *
 * Entries name people only by pseudonym: the subject is a pseudonymous viewer id, never a name,
 * phone number, ID card number or e-mail address; the purpose is a key, not free text.
 */
import { STAFF_ROLES, type StaffRole } from '../../context/index.js';

export const ACCESS_ACTIONS = ['read', 'export', 'delete', 'correct'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/** Who accessed: a staff account, or the operator's shell (CLI jobs run as `system`). */
export interface AccessActor {
  readonly id: string;
  readonly role: StaffRole | 'system';
}

/** What the caller says about one access. */
export interface AccessRecord {
  readonly action: AccessAction;
  /** The pseudonymous viewer id whose data was accessed. */
  readonly subject: string;
  /** Why, as a purpose key: e.g. `rights-request`, `customer-support`, `fraud-review`. */
  readonly purpose: string;
}

export interface AccessEntry extends AccessRecord {
  /** Position in the log (the leaf index), from 0. */
  readonly seq: number;
  /** UTC time of the access, ISO 8601. */
  readonly at: string;
  readonly actor: AccessActor;
  readonly requestId: string;
}

const SUBJECT = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Phone, ID card, QQ and account numbers are digits (an ID card may end in X): never a pseudonym. */
const NUMBER_LIKE = /^[0-9][0-9._:-]{5,}[Xx]?$/;
const PURPOSE = /^[a-z][a-z0-9-]{1,63}$/;
const TOKEN = /^[\x21-\x7e]{1,128}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ROLES: readonly string[] = [...STAFF_ROLES, 'system'];

/** Problems with a record, each naming its field (empty when valid). Values are never echoed. */
export function recordProblems(record: AccessRecord): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  if (!(ACCESS_ACTIONS as readonly string[]).includes(record.action)) problems.push({ field: 'action', reason: `one of ${ACCESS_ACTIONS.join(', ')}` });
  if (typeof record.subject !== 'string' || !SUBJECT.test(record.subject) || NUMBER_LIKE.test(record.subject)) {
    problems.push({ field: 'subject', reason: 'a pseudonymous viewer id (letters, digits, . _ : -; at most 128), never personal data such as a phone or ID number' });
  }
  if (typeof record.purpose !== 'string' || !PURPOSE.test(record.purpose)) problems.push({ field: 'purpose', reason: 'a purpose key: lower-case letters, digits and -, 2–64 characters' });
  return problems;
}

export function actorProblems(actor: AccessActor): string[] {
  const problems: string[] = [];
  if (typeof actor.id !== 'string' || !TOKEN.test(actor.id)) problems.push('actor id: 1–128 printable characters');
  if (!ROLES.includes(actor.role)) problems.push(`actor role: one of ${ROLES.join(', ')}`);
  return problems;
}

export function requestIdProblem(requestId: string): string | undefined {
  return TOKEN.test(requestId) ? undefined : 'request id: 1–128 printable characters';
}

/**
 * The log's own subjects: `access-log:…` names the log itself, never a viewer. Callers of the
 * service cannot record them; only a prune does, stating its new horizon (see prunedBelowOf).
 */
export const RESERVED_SUBJECT_PREFIX = 'access-log:';
export const PRUNE_PURPOSE = 'access-log-retention';
const PRUNE_SUBJECT = /^access-log:below-(0|[1-9][0-9]{0,15})$/;

/** The subject of the entry a prune appends: the bodies below `horizon` were removed. */
export function pruneSubject(horizon: number): string {
  return `${RESERVED_SUBJECT_PREFIX}below-${horizon}`;
}

/**
 * The horizon a prune entry states (the system deleted the bodies of the entries below it, past
 * their retention), or undefined when the entry is not one.
 */
export function prunedBelowOf(entry: AccessEntry): number | undefined {
  if (entry.actor.role !== 'system' || entry.action !== 'delete' || entry.purpose !== PRUNE_PURPOSE) return undefined;
  const m = PRUNE_SUBJECT.exec(entry.subject);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The entry's bytes in the log. */
export function encodeEntry(entry: AccessEntry): string {
  return canonicalJson({
    seq: entry.seq,
    at: entry.at,
    actor: { id: entry.actor.id, role: entry.actor.role },
    action: entry.action,
    subject: entry.subject,
    purpose: entry.purpose,
    requestId: entry.requestId,
  });
}

/** The entry stored as `text`, or undefined when it is not a well-formed, canonically encoded entry. */
export function decodeEntry(text: string): AccessEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !isRecord(value.actor)) return undefined;
  const { seq, at, actor, action, subject, purpose, requestId } = value;
  if (!(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0)) return undefined;
  if (typeof at !== 'string' || !ISO_UTC.test(at)) return undefined;
  if (typeof requestId !== 'string' || requestIdProblem(requestId)) return undefined;
  const entry = { seq, at, actor: actor as unknown as AccessActor, action, subject, purpose, requestId } as AccessEntry;
  if (actorProblems(entry.actor).length || recordProblems(entry).length) return undefined;
  // One entry, one encoding: anything else (extra fields, other key order, spaces) is not ours.
  return encodeEntry(entry) === text ? entry : undefined;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, as RFC 8785) and no whitespace. Numbers must
 * be safe integers, which JSON writes in one way only.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON holds safe integers only');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  throw new TypeError(`cannot encode ${typeof value} as canonical JSON`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
