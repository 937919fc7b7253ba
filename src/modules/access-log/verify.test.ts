/**
 * The verifier on logs built in memory: honest logs pass; every kind of tampering is reported with
 * the position it happened at. (The contract suite does the same through real databases.)
 */
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PRUNE_PURPOSE, encodeEntry, pruneSubject } from './entry.js';
import { leafHash } from './merkle.js';
import { Frontier } from './tree.js';
import { checkpointText, ed25519Key } from './signing.js';
import { LogVerifier, describeProblem, type VerifyReport } from './verify.js';
import type { SigningKey, StoredCheckpoint, StoredEntry, StoredHead } from './ports.js';

const KEY = ed25519Key(generateKeyPairSync('ed25519').privateKey);
const OTHER_KEY = ed25519Key(generateKeyPairSync('ed25519').privateKey);

const entryText = (seq: number, subject = `vp_${seq}`) =>
  encodeEntry({ seq, at: '2026-02-01T08:00:00.000Z', actor: { id: 'staff-1', role: 'compliance' }, action: 'read', subject, purpose: 'customer-support', requestId: `r-${seq}` });

const row = (seq: number, text = entryText(seq)): StoredEntry => ({ seq, entry: text, leafHash: leafHash(text).toString('hex') });

interface Log {
  rows: StoredEntry[];
  head: StoredHead;
  checkpoints: StoredCheckpoint[];
}

/** An honest log of n entries with checkpoints signed after the given sizes. */
function honestLog(n: number, checkpointSizes: number[], key: SigningKey = KEY): Log {
  const rows: StoredEntry[] = [];
  const f = Frontier.empty();
  const checkpoints: StoredCheckpoint[] = [];
  const sign = () => {
    const head = { number: checkpoints.length, treeSize: f.treeSize, rootHash: f.root().toString('hex'), createdAt: 1_770_000_000_000 + checkpoints.length };
    checkpoints.push({ ...head, keyId: key.keyId, signature: Buffer.from(key.sign(checkpointText(head))).toString('base64') });
  };
  for (const size of checkpointSizes) if (size === 0) sign();
  for (let seq = 0; seq < n; seq++) {
    const r = row(seq);
    rows.push(r);
    f.append(Buffer.from(r.leafHash, 'hex'));
    for (const size of checkpointSizes) if (size === seq + 1) sign();
  }
  return { rows, checkpoints, head: { treeSize: n, rootHash: f.root().toString('hex'), checkpoints: checkpoints.length } };
}

function verify(log: Log, options: { key?: SigningKey | undefined; all?: boolean; headAfter?: StoredHead; prunedBelow?: number } = {}): VerifyReport {
  const v = new LogVerifier({
    headBefore: log.head,
    checkpoints: log.checkpoints,
    key: 'key' in options ? options.key : KEY,
    allInclusionProofs: options.all ?? false,
    prunedBelow: options.prunedBelow ?? 0,
  });
  for (const r of [...log.rows].sort((a, b) => a.seq - b.seq)) v.addEntry(r);
  return v.finish(options.headAfter ?? log.head, options.prunedBelow ?? 0);
}

const kinds = (r: VerifyReport) => r.problems.map((p) => `${p.kind}@${p.position ?? '-'}${p.lastPosition !== undefined && p.lastPosition !== p.position ? `-${p.lastPosition}` : ''}${p.checkpoint !== undefined ? `#${p.checkpoint}` : ''}${p.lastCheckpoint !== undefined && p.lastCheckpoint !== p.checkpoint ? `-#${p.lastCheckpoint}` : ''}`);

describe('LogVerifier on honest logs', () => {
  it('passes an empty log, a log without checkpoints and a checkpointed log, checking the proofs', () => {
    expect(verify(honestLog(0, []), { key: undefined })).toMatchObject({ ok: true, entries: 0, unsignedEntries: 0 });
    expect(verify(honestLog(5, []), { key: undefined })).toMatchObject({ ok: true, entries: 5, unsignedEntries: 5, latestVerifiedCheckpoint: null });
    const r = verify(honestLog(20, [0, 3, 8, 8, 16]), { all: true });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, entries: 20, checkpoints: 5, unsignedEntries: 4, proofsChecked: { consistency: 4, inclusion: 17 } });
    // 16 entries under checkpoints, plus the last entry again for the second checkpoint of size 8.
    expect(r.latestVerifiedCheckpoint?.number).toBe(4);
  });

  it('for any log and any checkpoints, passes (pure appends are always consistent)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 80 }), fc.array(fc.nat(80), { maxLength: 6 }), (n, raw) => {
        const sizes = raw.map((s) => s % (n + 1)).sort((a, b) => a - b);
        expect(verify(honestLog(n, sizes), { all: true }).problems).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('does not mistake entries appended while it read for insertions or removals', () => {
    const log = honestLog(10, [6]);
    const before = { ...log.head, treeSize: 8, rootHash: honestLog(8, []).head.rootHash };
    expect(verify({ ...log, head: before }, { headAfter: log.head }).ok).toBe(true);
  });
});

describe('LogVerifier on tampered logs', () => {
  const base = () => honestLog(12, [4, 10]);

  it('an edited field: altered entry at its position, and the checkpoint that covers it', () => {
    const log = base();
    log.rows[6] = { ...log.rows[6]!, entry: entryText(6, 'vp_someone_else') };
    expect(kinds(verify(log))).toEqual(['altered-entry@6', 'root-mismatch@4-9#1']);
  });

  it('a removed entry: the gap, and the checkpoint that covers it', () => {
    const log = base();
    log.rows.splice(2, 1);
    expect(kinds(verify(log))).toEqual(['removed-entries@2', 'root-mismatch@0-3#0', 'root-mismatch@0-9#1']);
  });

  it('two entries swapped: both positions, and the checkpoint that covers them', () => {
    const log = base();
    const [a, b] = [log.rows[5]!, log.rows[8]!];
    log.rows[5] = { seq: 5, entry: b.entry, leafHash: b.leafHash };
    log.rows[8] = { seq: 8, entry: a.entry, leafHash: a.leafHash };
    const r = verify(log);
    expect(kinds(r)).toEqual(['reordered-entry@5', 'reordered-entry@8', 'root-mismatch@4-9#1']);
    expect(describeProblem(r.problems[0]!)).toBe('position 5: reordered-entry: holds the entry written at position 8: entries were reordered or moved');
  });

  it('the last entries removed and the head rolled back: the checkpoint still shows it', () => {
    const log = base();
    log.rows.splice(10);
    log.head = { ...honestLog(10, []).head, checkpoints: 2 };
    expect(kinds(verify(log))).toEqual([]);
    log.rows.splice(9);
    log.head = { ...honestLog(9, []).head, checkpoints: 2 };
    expect(kinds(verify(log))).toEqual(['truncated-log@4-9#1']);
  });

  it('the last entries removed, head untouched: the missing positions', () => {
    const log = base();
    log.rows.splice(11);
    expect(kinds(verify(log))).toEqual(['removed-entries@11']);
  });

  it('an entry inserted beyond the head', () => {
    const log = base();
    log.rows.push(row(12));
    expect(kinds(verify(log))).toEqual(['inserted-entry@12']);
  });

  it('history rewritten with fresh hashes and a new checkpoint signed over it: the older checkpoint is not a prefix (consistency proof)', () => {
    const log = honestLog(12, [2, 6]);
    log.rows[3] = row(3, entryText(3, 'vp_forged'));
    const f = Frontier.empty();
    for (const r of log.rows) f.append(Buffer.from(r.leafHash, 'hex'));
    const head = { number: 2, treeSize: 12, rootHash: f.root().toString('hex'), createdAt: 1_770_000_000_100 };
    log.checkpoints.push({ ...head, keyId: KEY.keyId, signature: Buffer.from(KEY.sign(checkpointText(head))).toString('base64') });
    log.head = { treeSize: 12, rootHash: head.rootHash, checkpoints: 3 };
    const r = verify(log);
    expect(kinds(r)).toEqual(['inconsistent-checkpoint@2-5#1']);
    expect(r.problems[0]).toMatchObject({ against: 2 });
    expect(r.proofsChecked.consistency).toBe(2);
  });

  it('a rewritten head (entries intact) is reported', () => {
    const log = base();
    log.head = { ...log.head, rootHash: 'ab'.repeat(32) };
    expect(kinds(verify(log))).toEqual(['head-mismatch@0-11']);
    log.head = { ...log.head, rootHash: null };
    expect(kinds(verify(log))).toEqual(['head-mismatch@-']);
  });

  it('checkpoints altered, forged with another key, or removed', () => {
    const log = honestLog(12, [2, 4, 6, 10]);
    log.checkpoints[1] = { ...log.checkpoints[1]!, rootHash: log.checkpoints[2]!.rootHash };
    const forged = { number: 2, treeSize: 6, rootHash: log.checkpoints[2]!.rootHash, createdAt: 5 };
    log.checkpoints[2] = { ...forged, keyId: OTHER_KEY.keyId, signature: Buffer.from(OTHER_KEY.sign(checkpointText(forged))).toString('base64') };
    expect(kinds(verify(log))).toEqual(['bad-signature@-#1', 'unknown-key@-#2']);
    log.checkpoints.splice(1, 2);
    expect(kinds(verify(log))).toEqual(['removed-checkpoints@-#1-#2']);
    log.checkpoints.splice(1, 1); // the latest one too: the head's counter still shows it
    expect(kinds(verify(log))).toEqual(['removed-checkpoints@-#1-#3']);
  });

  it('for any single edit, removal, swap or insertion, the report names its position', () => {
    const arb = fc.record({
      n: fc.integer({ min: 2, max: 60 }),
      kind: fc.constantFrom('edit', 'remove', 'swap', 'insert-middle'),
      a: fc.nat(),
      b: fc.nat(),
    });
    fc.assert(
      fc.property(arb, ({ n, kind, a, b }) => {
        const log = honestLog(n, [Math.floor(n / 2), n]);
        const i = a % n;
        let j = b % n;
        if (j === i) j = (i + 1) % n;
        const expectAt: number[] = [];
        if (kind === 'edit') {
          log.rows[i] = { ...log.rows[i]!, entry: entryText(i, 'vp_edited') };
          expectAt.push(i);
        } else if (kind === 'remove') {
          log.rows.splice(i, 1);
          expectAt.push(i);
        } else if (kind === 'swap') {
          const [x, y] = [log.rows[i]!, log.rows[j]!];
          log.rows[i] = { ...y, seq: i };
          log.rows[j] = { ...x, seq: j };
          expectAt.push(i, j);
        } else {
          // An extra entry squeezed in at i, renumbering the rest, all hashes recomputed.
          const texts = log.rows.map((r) => JSON.parse(r.entry) as { subject: string });
          texts.splice(i, 0, { subject: 'vp_inserted' });
          log.rows = texts.map((t, seq) => row(seq, entryText(seq, t.subject)));
          log.head = { ...log.head, treeSize: n + 1 };
        }
        const r = verify(log);
        expect(r.ok).toBe(false);
        // Each tampered position is named by a problem, and a signed checkpoint covering it disagrees.
        for (const at of expectAt) expect(r.problems.some((p) => p.position === at && (p.lastPosition ?? at) === at)).toBe(true);
        const signedRange = r.problems.filter((p) => p.kind === 'root-mismatch' || p.kind === 'inconsistent-checkpoint' || p.kind === 'truncated-log');
        expect(signedRange.some((p) => p.position! <= i && i <= p.lastPosition!)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('LogVerifier on pruned logs (retention)', () => {
  /** n entries, a checkpoint at `signed`; then the bodies below `horizon` removed and a prune entry stating it appended. */
  function prunedLog(n: number, signed: number, horizon: number): Log {
    const log = honestLog(n, [signed]);
    const seq = n;
    const text = encodeEntry({ seq, at: '2029-02-01T08:00:00.000Z', actor: { id: 'system', role: 'system' }, action: 'delete', subject: pruneSubject(horizon), purpose: PRUNE_PURPOSE, requestId: 'system-1' });
    log.rows.push(row(seq, text));
    const f = Frontier.empty();
    for (const r of log.rows) f.append(Buffer.from(r.leafHash, 'hex'));
    log.head = { ...log.head, treeSize: n + 1, rootHash: f.root().toString('hex') };
    for (let i = 0; i < horizon; i++) log.rows[i] = { ...log.rows[i]!, entry: '' };
    return log;
  }

  it('entries without a body below the stated horizon verify through their stored leaf hashes', () => {
    const r = verify(prunedLog(12, 10, 6), { prunedBelow: 6, all: true });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, entries: 13, prunedBelow: 6, prunedEntries: 6, latestVerifiedCheckpoint: { treeSize: 10 } });
  });

  it('a body removed above the horizon is tampering, named by its position', () => {
    const log = prunedLog(12, 10, 6);
    log.rows[8] = { ...log.rows[8]!, entry: '' };
    const r = verify(log, { prunedBelow: 6 });
    expect(kinds(r)).toEqual(['missing-body@8']);
    expect(describeProblem(r.problems[0]!)).toMatch(/^position 8: missing-body: /);
  });

  it('an altered leaf hash of a pruned entry: the signed checkpoint no longer matches', () => {
    const log = prunedLog(12, 10, 6);
    log.rows[3] = { ...log.rows[3]!, leafHash: leafHash('forged').toString('hex') };
    expect(kinds(verify(log, { prunedBelow: 6 }))).toEqual(['head-mismatch@0-12', 'root-mismatch@0-9#0']);
  });

  it('a stored horizon beyond what the prune entries state, or no prune entry at all', () => {
    const log = prunedLog(12, 10, 6);
    for (const i of [6, 7]) log.rows[i] = { ...log.rows[i]!, entry: '' };
    expect(kinds(verify(log, { prunedBelow: 8 }))).toEqual(['unrecorded-prune@6-7', 'missing-body@6', 'missing-body@7']);
    const bare = honestLog(8, [8]);
    bare.rows[0] = { ...bare.rows[0]!, entry: '' };
    expect(kinds(verify(bare, { prunedBelow: 1 }))).toEqual(['unrecorded-prune@0', 'missing-body@0']);
  });

  it('a prune entry written by staff (not the system) states nothing', () => {
    const log = honestLog(6, [6]);
    const text = encodeEntry({ seq: 6, at: '2029-02-01T08:00:00.000Z', actor: { id: 'staff-1', role: 'admin' }, action: 'delete', subject: pruneSubject(4), purpose: PRUNE_PURPOSE, requestId: 'r-6' });
    log.rows.push(row(6, text));
    const f = Frontier.empty();
    for (const r of log.rows) f.append(Buffer.from(r.leafHash, 'hex'));
    log.head = { ...log.head, treeSize: 7, rootHash: f.root().toString('hex') };
    log.rows[1] = { ...log.rows[1]!, entry: '' };
    expect(kinds(verify(log, { prunedBelow: 4 }))).toEqual(['unrecorded-prune@0-3', 'missing-body@1']);
  });
});
