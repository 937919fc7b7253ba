import type { Kysely } from 'kysely';
import type { Database } from '../../storage/index.js';
import type { AccessActor } from './entry.js';
import type { VerifyReport } from './verify.js';

/**
 * A handle to run the append on: usually the caller's open transaction, so the log entry commits
 * or rolls back together with the access it records (a Kysely transaction is a Kysely instance).
 */
export type AccessLogDb = Kysely<Database>;

export interface StoredEntry {
  readonly seq: number;
  /**
   * The canonical JSON of the entry: the leaf's bytes. Empty once the entry's body was pruned past
   * its retention (only below the prune horizon; its leaf hash stays, so the tree still verifies).
   */
  readonly entry: string;
  /** Hex SHA-256(0x00 ‖ entry), written beside the entry at append time. */
  readonly leafHash: string;
}

export interface StoredHead {
  /** Entries appended so far: the next entry's position. */
  readonly treeSize: number;
  /** Root computed from the stored right-edge subtree hashes, or null when they are unreadable. */
  readonly rootHash: string | null;
  /** Checkpoints signed so far: the next checkpoint's number. */
  readonly checkpoints: number;
}

export interface StoredCheckpoint {
  readonly number: number;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly createdAt: number;
  readonly keyId: string;
  /** Base64 Ed25519 signature over checkpointText(…). */
  readonly signature: string;
}

/** What the access log needs from storage. */
export interface AccessLogStore {
  /**
   * Appends one entry at the next position and returns it. `encode` builds the entry's text once
   * its position is known. Runs inside `db` when it is a transaction (else in its own). Appends are
   * serialised by a lock on the log's head row, held until that transaction ends, so no two entries
   * get the same position and the stored frontier always matches the entries.
   */
  append(encode: (seq: number) => string, db?: AccessLogDb): Promise<StoredEntry>;
  /**
   * Appends `count` entries at the next positions under one hold of the head lock, with multi-row
   * inserts: the same tree as `count` appends, for bulk writers (and the benchmark's fill).
   */
  appendMany(encode: (seq: number) => string, count: number, db?: AccessLogDb): Promise<StoredEntry[]>;
  /** Up to `limit` entries with seq ≥ fromSeq, in seq order. */
  entries(fromSeq: number, limit: number): Promise<StoredEntry[]>;
  count(): Promise<number>;
  head(): Promise<StoredHead>;
  /**
   * Signs the current tree head as the next checkpoint, under the head lock (so the size, root and
   * number are one consistent state), and stores it.
   */
  addCheckpoint(sign: (head: { number: number; treeSize: number; rootHash: string }) => { createdAt: number; keyId: string; signature: string }): Promise<StoredCheckpoint>;
  /** All checkpoints, by number. */
  checkpoints(): Promise<StoredCheckpoint[]>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;

  /** The prune horizon: entries below it may have no body (0 when nothing was ever pruned). */
  pruneHorizon(): Promise<number>;
  /**
   * In one transaction under the head lock: removes the bodies of the entries in [horizon, end)
   * (their leaf hashes stay), moves the horizon to `end`, and appends the entry `record` encodes,
   * which states the new horizon in the log itself. `end` is clamped to the log's size. Nothing
   * happens when it is not beyond the horizon.
   */
  pruneBodies(end: number, record: (seq: number, horizon: number) => string): Promise<{ pruned: number; horizon: number }>;
  /**
   * RFC 9162 inclusion proof for leaf `index` in the tree of `treeSize` leaves, from the stored
   * complete subtrees (O(log n) rows read); undefined when a node it needs is missing or malformed.
   */
  inclusionProof(index: number, treeSize: number): Promise<Buffer[] | undefined>;
  /** RFC 9162 consistency proof from size m to size n, likewise. */
  consistencyProof(m: number, n: number): Promise<Buffer[] | undefined>;
  /** The entry at `seq`, if stored. */
  entry(seq: number): Promise<StoredEntry | undefined>;

  /** Keeps one verification run (shared by every node reading this database). */
  saveVerification(run: VerificationRun): Promise<void>;
  latestVerification(): Promise<VerificationRun | undefined>;
  /** Deletes runs started before `cutoff`, always keeping the latest; returns how many. */
  purgeVerifications(cutoff: number): Promise<number>;
}

/** One run of the verifier, as recorded for the compliance console. */
export interface VerificationRun {
  readonly id: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Wall time the run took. */
  readonly durationMs: number;
  /** Who ran it: a staff account (id and role; never a name), or `system` for jobs and the CLI. */
  readonly actor: AccessActor;
  /** `failed`: the log was found tampered with; `error`: the run could not complete (see errorCode). */
  readonly status: 'ok' | 'failed' | 'error';
  /** The report when the run completed; its problems are capped, `problemCount` is the total. */
  readonly report: VerifyReport | null;
  readonly problemCount: number;
  readonly errorCode: string | null;
}

export interface SigningKey {
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly canSign: boolean;
  sign(message: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Staff accounts' sign-in names by id (the staff module). The log and its runs keep ids only; a name
 * is looked up when an officer reads the status, so the console can say who ran a verification.
 */
export interface StaffDirectory {
  /** Null when no account has this id. */
  nameOf(staffId: string): Promise<string | null>;
}

/** Where the log's Ed25519 key lives (a 0600 file under the data directory in production). */
export interface SigningKeyStore {
  /** Where the key is, for messages (a path; never key material). */
  readonly location: string;
  /** The key, or undefined when there is none. Throws AUDIT_KEY_UNAVAILABLE when it exists but cannot be used. */
  load(): SigningKey | undefined;
  /** Makes and keeps a new key; if another process made one first, returns that one. */
  create(): SigningKey;
}
