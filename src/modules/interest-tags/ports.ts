/** Interest tags as stored: one sealed profile per subject, written with compare-and-set. */
export interface StoredTags {
  readonly subject: string;
  readonly region: string;
  /** AES-256-GCM envelope text of the tag profile JSON, under the subject's data key. */
  readonly tagsSealed: string;
  readonly version: number;
  readonly updatedAt: number;
}

export interface InterestTagStore {
  get(subject: string): Promise<StoredTags | undefined>;
  /** Writes if the stored version is still `expectedVersion` (undefined: no row yet); false otherwise. */
  put(tags: StoredTags, expectedVersion: number | undefined): Promise<boolean>;
  /** Erasure and withdrawal: the subject's tags are gone. Returns rows deleted. */
  deleteSubject(subject: string): Promise<number>;
}
