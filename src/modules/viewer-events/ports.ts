export interface StoredViewerEvent {
  id: string;
  subject: string;
  pseudonym: string;
  purpose: string;
  sessionId: string;
  type: string;
  clientEventId: string;
  payloadSealed: string;
  region: string;
  createdAt: number;
}

export interface ViewerEventStore {
  /** Stores the event once per (pseudonym, client event id); false when it was already stored. */
  insert(event: StoredViewerEvent): Promise<boolean>;
  bySubject(subject: string): Promise<StoredViewerEvent[]>;
  /** Counts an event with no identity at all. */
  countAnonymously(sessionId: string, type: string): Promise<void>;
  anonymousCounts(sessionId: string): Promise<Record<string, number>>;
  /** Withdrawal of one purpose: the subject's events stored for it are deleted. Returns how many. */
  deleteSubjectPurpose(subject: string, purpose: string): Promise<number>;
  /** Erasure: every event of the subject. Returns how many. */
  deleteSubject(subject: string): Promise<number>;
  /** Retention: events of a purpose stored before the cutoff. Returns how many. */
  purgeBefore(purpose: string, cutoff: number): Promise<number>;
}

/** Seals and opens a subject's values (the protection module, or plaintext in a benchmark baseline). */
export interface Sealer {
  sealTextFor(subject: string, field: { table: string; column: string; rowId: string }, plaintext: string): Promise<string>;
  openTextFor(subject: string, field: { table: string; column: string; rowId: string }, sealed: string): Promise<string>;
}
