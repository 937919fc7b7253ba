import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS, verifyChain } from './log-chain.js';
import type { NewLogEntry, StoredLogEntry } from './ports.js';

function chain(entries: NewLogEntry[]): StoredLogEntry[] {
  let prev = GENESIS;
  return entries.map((e, i) => {
    const hash = chainHash(prev, { ...e, seq: i + 1 });
    const stored = { ...e, seq: i + 1, prevHash: prev, hash };
    prev = hash;
    return stored;
  });
}

const entry = (action: NewLogEntry['action'], at: number): NewLogEntry => ({
  sessionId: 's1',
  action,
  messageId: 'm1',
  targetSubject: 'subj',
  targetNicknameSealed: null,
  actor: { kind: 'staff', id: 'u1', name: 'host' },
  reason: null,
  details: { b: 1, a: [1, 2] },
  at,
});

describe('the moderation log chain', () => {
  it('verifies an untouched chain and hashes independently of key order', () => {
    const c = chain([entry('hide', 1), entry('delete', 2), entry('ban', 3)]);
    expect(verifyChain(c)).toEqual({ verified: true, entries: 3 });
    const reordered = { ...entry('hide', 1), details: { a: [1, 2], b: 1 } };
    expect(chainHash(GENESIS, { ...reordered, seq: 1 })).toBe(c[0]!.hash);
  });

  it('finds a changed, removed or reordered entry', () => {
    const c = chain([entry('hide', 1), entry('delete', 2), entry('ban', 3)]);
    expect(verifyChain([c[0]!, { ...c[1]!, reason: 'edited' }, c[2]!])).toMatchObject({ verified: false, brokenAt: 2 });
    expect(verifyChain([c[0]!, c[2]!])).toMatchObject({ verified: false });
    expect(verifyChain([c[1]!, c[0]!, c[2]!])).toMatchObject({ verified: false, brokenAt: 2 });
  });
});
