/**
 * Verifying the access log from what is stored: entries (streamed in seq order), the head row and
 * the signed checkpoints. Trust comes only from the checkpoint signatures; the stored leaf hashes
 * and the head are cross-checks that localise naive edits to one position.
 *
 * Checks, in order:
 * 1. each entry: its text is a canonical entry, its leaf hash matches it, it holds its own
 *    position, and no position is missing (removed) or beyond the head (inserted);
 * 2. each checkpoint: numbered without gaps, signed by this log's key, over no more entries than
 *    are stored;
 * 3. the tree recomputed from the entries: the last checkpoint whose signed root it reproduces is
 *    the anchor; every earlier checkpoint must be a prefix of the anchor by an RFC 9162 consistency
 *    proof, and every later one (which it cannot reproduce) is a root mismatch;
 * 4. inclusion proofs against each verified checkpoint (its last entry, or every entry if asked).
 *
 * Retention: below the prune horizon an entry may have lost its body (past its retention); the tree
 * then uses its stored leaf hash, which the checkpoints still pin (an altered one is a root
 * mismatch). Every prune appends an entry stating the new horizon, so the horizon itself is in the
 * signed log: a body missing above the horizon those entries state is reported (`missing-body`),
 * and a stored horizon beyond them is too (`unrecorded-prune`).
 *
 * Positions are leaf indexes (= seq), from 0.
 */
import { decodeEntry, prunedBelowOf } from './entry.js';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle.js';
import { MerkleTree } from './tree.js';
import { checkpointText } from './signing.js';
import type { SigningKey, StoredCheckpoint, StoredEntry, StoredHead } from './ports.js';

export type ProblemKind =
  | 'altered-entry'
  | 'malformed-entry'
  | 'reordered-entry'
  | 'removed-entries'
  | 'inserted-entry'
  | 'head-mismatch'
  | 'root-mismatch'
  | 'truncated-log'
  | 'inconsistent-checkpoint'
  | 'bad-signature'
  | 'unknown-key'
  | 'removed-checkpoints'
  | 'inclusion-proof-failed'
  | 'missing-body'
  | 'unrecorded-prune';

export interface Problem {
  readonly kind: ProblemKind;
  /** First log position concerned, when there is one. */
  readonly position?: number;
  /** Last log position concerned, when it is a range. */
  readonly lastPosition?: number;
  /** The checkpoint concerned (or the first of a range of them). */
  readonly checkpoint?: number;
  readonly lastCheckpoint?: number;
  /** The later checkpoint it was checked against. */
  readonly against?: number;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Entries read. */
  readonly entries: number;
  /** The head's size when verification ended. */
  readonly treeSize: number;
  /** Root of the tree recomputed from the stored entries (hex). */
  readonly rootHash: string;
  readonly checkpoints: number;
  /** The latest checkpoint that verified (signature, and root or consistency proof). */
  readonly latestVerifiedCheckpoint: { number: number; treeSize: number; rootHash: string; createdAt: string } | null;
  /** Entries after the latest verified checkpoint: checked for form only until the next checkpoint. */
  readonly unsignedEntries: number;
  readonly proofsChecked: { inclusion: number; consistency: number };
  /** The prune horizon the log's own prune entries state: entries below it may have no body. */
  readonly prunedBelow: number;
  /** Entries read without a body (pruned), checked through their stored leaf hash. */
  readonly prunedEntries: number;
  readonly problems: Problem[];
}

export interface VerifyInput {
  /** The head read before anything else: positions below its size had committed. */
  readonly headBefore: StoredHead;
  /** Checkpoints read before the entries (so none covers an entry not yet read). */
  readonly checkpoints: readonly StoredCheckpoint[];
  /** This log's key; needed when there are checkpoints. */
  readonly key: SigningKey | undefined;
  /** Check an inclusion proof for every entry, not only for each checkpoint's last entry. */
  readonly allInclusionProofs?: boolean;
  /** The stored prune horizon, read with headBefore (0 for a log never pruned). */
  readonly prunedBelow?: number;
}

export class LogVerifier {
  private readonly tree = new MerkleTree();
  private readonly problems: Problem[] = [];
  private readonly seqs: number[] = [];
  private expected = 0;
  private entryProblems = 0;
  /** Positions read without a body. */
  private readonly bodiless: number[] = [];
  /** The highest horizon stated by a prune entry read so far. */
  private declaredHorizon = 0;

  constructor(private readonly input: VerifyInput) {}

  /** Feed entries in seq order. */
  addEntry(row: StoredEntry): void {
    if (row.seq < this.expected) throw new Error('entries must arrive in increasing seq order');
    if (row.seq > this.expected) {
      this.problem({ kind: 'removed-entries', position: this.expected, lastPosition: row.seq - 1, message: 'missing: entries were removed' });
    }
    this.expected = row.seq + 1;
    this.seqs.push(row.seq);
    if (row.entry === '') {
      // No body (pruned, or removed): the stored leaf hash stands in; the checkpoints pin it.
      this.bodiless.push(row.seq);
      if (/^[0-9a-f]{64}$/.test(row.leafHash)) {
        this.tree.append(Buffer.from(row.leafHash, 'hex'));
      } else {
        this.tree.append(leafHash(row.entry));
        this.problem({ kind: 'malformed-entry', position: row.seq, message: 'an entry without a body holds no valid leaf hash' });
      }
      return;
    }
    const leaf = leafHash(row.entry);
    this.tree.append(leaf);
    if (leaf.toString('hex') !== row.leafHash) {
      this.problem({ kind: 'altered-entry', position: row.seq, message: 'the entry does not match the leaf hash written with it: it was altered' });
    }
    const entry = decodeEntry(row.entry);
    if (!entry) this.problem({ kind: 'malformed-entry', position: row.seq, message: 'not a well-formed access-log entry' });
    else if (entry.seq !== row.seq) {
      this.problem({ kind: 'reordered-entry', position: row.seq, message: `holds the entry written at position ${entry.seq}: entries were reordered or moved` });
    } else {
      const stated = prunedBelowOf(entry);
      if (stated !== undefined) this.declaredHorizon = Math.max(this.declaredHorizon, stated);
    }
  }

  /**
   * `headAfter` is the head read after the last entry (an entry beyond it cannot be a real append);
   * `prunedBelowAfter` the prune horizon read then (a prune may have run while entries were read).
   */
  finish(headAfter: StoredHead, prunedBelowAfter = this.input.prunedBelow ?? 0): VerifyReport {
    const { headBefore } = this.input;
    const n = this.tree.size;

    // Bodies may be missing only below the horizon that both the store and the log's prune entries state.
    const prunedBelowBefore = this.input.prunedBelow ?? 0;
    if (prunedBelowBefore > this.declaredHorizon) {
      this.problem({
        kind: 'unrecorded-prune',
        position: this.declaredHorizon,
        lastPosition: prunedBelowBefore - 1,
        message: `the stored prune horizon (${prunedBelowBefore}) is beyond the one the log's prune entries state (${this.declaredHorizon}): entries in these positions may have lost their body without a record`,
      });
    }
    const allowed = Math.min(this.declaredHorizon, prunedBelowAfter);
    let prunedEntries = 0;
    for (const seq of this.bodiless) {
      if (seq < allowed) prunedEntries++;
      else this.problem({ kind: 'missing-body', position: seq, message: `the entry's body was removed above the prune horizon (${allowed}): only entries past their retention may lose it` });
    }

    // Entries committed before we started must all be there.
    if (headBefore.treeSize > this.expected) {
      this.problem({
        kind: 'removed-entries',
        position: this.expected,
        lastPosition: headBefore.treeSize - 1,
        message: `missing: the log's head says ${headBefore.treeSize} entries were written; the last ones were removed`,
      });
    }
    for (const seq of this.seqs) {
      if (seq >= headAfter.treeSize) {
        this.problem({ kind: 'inserted-entry', position: seq, message: `an entry beyond the log's head (size ${headAfter.treeSize}): inserted outside the log` });
      }
    }
    // The head's right edge, kept at append time, must describe the same tree (when nothing above explains why not).
    if (this.entryProblems === 0) {
      if (headBefore.rootHash === null) {
        this.problem({ kind: 'head-mismatch', message: "the log's head holds unreadable subtree hashes" });
      } else if (headBefore.treeSize <= n && this.tree.root(headBefore.treeSize).toString('hex') !== headBefore.rootHash) {
        this.problem({
          kind: 'head-mismatch',
          position: 0,
          lastPosition: headBefore.treeSize - 1,
          message: "the log's head does not match the stored entries: they were rewritten",
        });
      }
    }

    const { verified, consistency } = this.checkCheckpoints(n);
    const inclusion = this.checkInclusion(verified);
    const latest = verified[verified.length - 1];
    return {
      ok: this.problems.length === 0,
      entries: n,
      treeSize: headAfter.treeSize,
      rootHash: this.tree.root().toString('hex'),
      checkpoints: this.input.checkpoints.length,
      latestVerifiedCheckpoint: latest
        ? { number: latest.number, treeSize: latest.treeSize, rootHash: latest.rootHash, createdAt: new Date(latest.createdAt).toISOString() }
        : null,
      unsignedEntries: n - (latest?.treeSize ?? 0),
      proofsChecked: { inclusion, consistency },
      prunedBelow: allowed,
      prunedEntries,
      problems: this.problems,
    };
  }

  private checkCheckpoints(n: number): { verified: StoredCheckpoint[]; consistency: number } {
    const { checkpoints, key, headBefore } = this.input;
    const usable: StoredCheckpoint[] = [];
    const truncated: StoredCheckpoint[] = [];
    let expectedNumber = 0;
    for (const c of checkpoints) {
      if (c.number > expectedNumber) {
        this.problem({ kind: 'removed-checkpoints', checkpoint: expectedNumber, lastCheckpoint: c.number - 1, message: 'missing: checkpoints were removed' });
      }
      expectedNumber = c.number + 1;
      if (!key || c.keyId !== key.keyId) {
        this.problem({ kind: 'unknown-key', checkpoint: c.number, message: `signed by key ${c.keyId}, not by this log's key${key ? ` ${key.keyId}` : ''}` });
        continue;
      }
      const text = checkpointText({ number: c.number, treeSize: c.treeSize, rootHash: c.rootHash, createdAt: c.createdAt });
      if (!key.verify(text, Buffer.from(c.signature, 'base64'))) {
        this.problem({ kind: 'bad-signature', checkpoint: c.number, message: 'the signature does not verify: the checkpoint was altered or forged' });
        continue;
      }
      if (c.treeSize > n) {
        truncated.push(c);
        continue;
      }
      const previous = usable[usable.length - 1];
      if (previous && c.treeSize < previous.treeSize) {
        this.problem({
          kind: 'inconsistent-checkpoint',
          checkpoint: c.number,
          against: previous.number,
          message: `checkpoint #${c.number} signed fewer entries (${c.treeSize}) than the earlier #${previous.number} (${previous.treeSize})`,
        });
        continue;
      }
      usable.push(c);
    }
    if (headBefore.checkpoints > expectedNumber) {
      this.problem({
        kind: 'removed-checkpoints',
        checkpoint: expectedNumber,
        lastCheckpoint: headBefore.checkpoints - 1,
        message: `missing: the log's head says ${headBefore.checkpoints} checkpoints were signed; the last ones were removed`,
      });
    }

    // The anchor: the latest checkpoint whose signed root the stored entries reproduce.
    let anchorIndex = -1;
    for (let i = usable.length - 1; i >= 0; i--) {
      if (this.tree.root(usable[i]!.treeSize).toString('hex') === usable[i]!.rootHash) {
        anchorIndex = i;
        break;
      }
    }
    const anchor = usable[anchorIndex];
    for (const c of usable.slice(anchorIndex + 1)) {
      const from = anchor && anchor.treeSize < c.treeSize ? anchor.treeSize : 0;
      this.problem({
        kind: 'root-mismatch',
        checkpoint: c.number,
        position: from,
        lastPosition: c.treeSize - 1,
        message: `checkpoint #${c.number} (size ${c.treeSize}) signed a different root: an entry in these positions was altered, removed, inserted or reordered`,
      });
    }
    if (!anchor) {
      this.reportTruncated(truncated, [], n);
      return { verified: [], consistency: 0 };
    }

    // Every earlier checkpoint must be a prefix of the anchor: an RFC 9162 consistency proof.
    const verified: StoredCheckpoint[] = [];
    let consistency = 0;
    let lastGoodSize = 0;
    const anchorRoot = Buffer.from(anchor.rootHash, 'hex');
    for (const c of usable.slice(0, anchorIndex)) {
      const proof = this.tree.consistencyProof(c.treeSize, anchor.treeSize);
      consistency++;
      if (verifyConsistency(c.treeSize, anchor.treeSize, Buffer.from(c.rootHash, 'hex'), anchorRoot, proof)) {
        verified.push(c);
        lastGoodSize = c.treeSize;
      } else {
        this.problem({
          kind: 'inconsistent-checkpoint',
          checkpoint: c.number,
          against: anchor.number,
          position: lastGoodSize < c.treeSize ? lastGoodSize : 0,
          lastPosition: c.treeSize - 1,
          message: `checkpoint #${c.number} (size ${c.treeSize}) is not a prefix of the later checkpoint #${anchor.number} (size ${anchor.treeSize}): entries in these positions were rewritten after #${c.number} was signed`,
        });
      }
    }
    verified.push(anchor);
    this.reportTruncated(truncated, verified, n);
    return { verified, consistency };
  }

  /**
   * A checkpoint over more entries than are stored. The removal lies after the largest checkpoint
   * that still verifies (the entries might have been renumbered to close the gap).
   */
  private reportTruncated(truncated: readonly StoredCheckpoint[], verified: readonly StoredCheckpoint[], n: number): void {
    const from = verified.reduce((max, v) => Math.max(max, v.treeSize), 0);
    for (const c of truncated) {
      this.problem({
        kind: 'truncated-log',
        checkpoint: c.number,
        position: from,
        lastPosition: c.treeSize - 1,
        message: `checkpoint #${c.number} signed ${c.treeSize} entries but only ${n} are stored: entries in these positions were removed or moved`,
      });
    }
  }

  private checkInclusion(verified: readonly StoredCheckpoint[]): number {
    let checked = 0;
    let covered = 0;
    for (const c of verified) {
      if (c.treeSize === 0) continue;
      const root = Buffer.from(c.rootHash, 'hex');
      const from = this.input.allInclusionProofs ? Math.min(covered, c.treeSize - 1) : c.treeSize - 1;
      for (let i = from; i < c.treeSize; i++) {
        checked++;
        if (!verifyInclusion(i, c.treeSize, this.tree.leaf(i), this.tree.inclusionProof(i, c.treeSize), root)) {
          this.problem({ kind: 'inclusion-proof-failed', checkpoint: c.number, position: this.seqs[i] ?? i, message: `no valid inclusion proof in checkpoint #${c.number}` });
        }
      }
      covered = Math.max(covered, c.treeSize);
    }
    return checked;
  }

  private problem(p: Problem): void {
    if (p.kind === 'altered-entry' || p.kind === 'malformed-entry' || p.kind === 'reordered-entry' || p.kind === 'removed-entries') this.entryProblems++;
    this.problems.push(p);
  }
}

/** One line per problem, for people: where first, then what. */
export function describeProblem(p: Problem): string {
  let where: string;
  if (p.position !== undefined && p.lastPosition !== undefined && p.lastPosition !== p.position) where = `positions ${p.position}–${p.lastPosition}`;
  else if (p.position !== undefined) where = `position ${p.position}`;
  else if (p.checkpoint !== undefined && p.lastCheckpoint !== undefined && p.lastCheckpoint !== p.checkpoint) where = `checkpoints #${p.checkpoint}–#${p.lastCheckpoint}`;
  else if (p.checkpoint !== undefined) where = `checkpoint #${p.checkpoint}`;
  else where = 'log';
  return `${where}: ${p.kind}: ${p.message}`;
}
