import type { Kysely } from 'kysely';
import type { Database } from '../../storage/index.js';

/**
 * A handle to run the append on: usually the caller's open transaction, so the log entry commits
 * or rolls back together with the access it records (a Kysely transaction is a Kysely instance).
 */
export type AccessLogDb = Kysely<Database>;

export interface StoredEntry {
  readonly seq: number;
  /** The canonical JSON of the entry: the leaf's bytes. */
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
}

export interface SigningKey {
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly canSign: boolean;
  sign(message: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
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
