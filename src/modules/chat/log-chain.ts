/**
 * The moderation log's hash chain (LC3): each entry's hash is SHA-256 over the previous entry's hash
 * and the entry's fields in a fixed order, so removing, reordering or changing an entry breaks every
 * hash after it. Verification recomputes the chain from the first entry.
 */
import { createHash } from 'node:crypto';
import type { NewLogEntry, StoredLogEntry } from './ports.js';

export const GENESIS = '0'.repeat(64);

/** A stable serialisation: keys sorted at every level, so the same entry always hashes the same. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

export function chainHash(prevHash: string, entry: NewLogEntry & { seq: number }): string {
  const body = canonical({
    sessionId: entry.sessionId,
    seq: entry.seq,
    action: entry.action,
    messageId: entry.messageId,
    targetSubject: entry.targetSubject,
    targetNicknameSealed: entry.targetNicknameSealed,
    actor: entry.actor,
    reason: entry.reason,
    details: entry.details,
    at: entry.at,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

export interface ChainCheck {
  verified: boolean;
  entries: number;
  /** The first entry whose hash or link does not match, if any. */
  brokenAt?: number;
}

export function verifyChain(entries: readonly StoredLogEntry[]): ChainCheck {
  let prev = GENESIS;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.seq !== i + 1 || e.prevHash !== prev || chainHash(prev, e) !== e.hash) return { verified: false, entries: entries.length, brokenAt: e.seq };
    prev = e.hash;
  }
  return { verified: true, entries: entries.length };
}
