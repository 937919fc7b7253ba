/** What protected storage needs from the database, and (re-exported) from the key provider. */
import type { KeyProvider } from './key-provider.js';

export type { KeyProvider, KekInfo, KeyProviderCapabilities, WrapContext } from './key-provider.js';

/** A subject's data key as stored: only ever wrapped by a key-encryption key. */
export interface WrappedDataKey {
  readonly subject: string;
  readonly keyId: string;
  readonly wrappedKey: Buffer;
  readonly kekId: string;
  readonly createdAt: number;
}

export interface RewrapOptions {
  /** Wrapped keys per batch; each batch is written in one transaction. */
  readonly batchSize?: number;
}

export interface RewrapReport {
  /** Wrapped keys now under the new KEK. */
  readonly rewrapped: number;
  /** Rows that changed (destroyed, or rewrapped by someone else) between read and write: left alone. */
  readonly skipped: number;
  readonly batches: number;
}

export interface DataKeyStore {
  get(subject: string): Promise<WrappedDataKey | undefined>;
  /**
   * Stores the key unless the subject already has one, and returns the one stored (so two nodes
   * creating a key for one subject at once agree on the winner).
   */
  createIfAbsent(key: WrappedDataKey): Promise<WrappedDataKey>;
  /**
   * Crypto-shredding: deletes the subject's wrapped key row and records only its key id and time
   * (never the subject) so later reads can say "erased" rather than "unknown". Returns the key id
   * destroyed, or undefined if the subject had none.
   */
  destroy(subject: string, now: number): Promise<string | undefined>;
  /** When a data key was destroyed, if it was. */
  destroyedAt(keyId: string): Promise<number | undefined>;
  /** Wrapped keys per KEK id. */
  kekUsage(): Promise<ReadonlyMap<string, number>>;
  /** A few wrapped keys under this KEK (a start-up check that the KEK really opens them). */
  sampleWrappedUnder(kekId: string, limit: number): Promise<WrappedDataKey[]>;
  /**
   * Re-wraps every data key not under newKekId, in batches (each written in one transaction, with a
   * compare-and-set per row), without ever storing an unwrapped key. Safe while the server runs:
   * rows keep a KEK the provider holds at every moment.
   */
  rewrapAll(provider: KeyProvider, newKekId: string, options?: RewrapOptions): Promise<RewrapReport>;
  /** A value stored once and never changed (key check values); returns the value that is stored. */
  putMetaIfAbsent(name: string, value: string): Promise<string>;
  getMeta(name: string): Promise<string | undefined>;
  /** Whether the database holds anything protected by existing key material. */
  holdsProtectedData(): Promise<boolean>;
}

/** The raw device id ↔ pseudonym mapping, kept apart from everything that uses pseudonyms (S2). */
export interface PseudonymRecord {
  readonly purpose: string;
  readonly region: string;
  readonly pseudonym: string;
  readonly subject: string;
  /** The raw device id, sealed under the subject's data key (envelope text). */
  readonly sealedDeviceId: string;
  readonly createdAt: number;
}

export interface PseudonymStore {
  /** Inserts unless (purpose, region, pseudonym) is already recorded. */
  record(entry: PseudonymRecord): Promise<void>;
  bySubject(subject: string): Promise<PseudonymRecord[]>;
  /** Erasure: deletes every mapping row of the subject; returns how many. */
  deleteSubject(subject: string): Promise<number>;
}
