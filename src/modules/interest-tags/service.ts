/**
 * Interest tags (A3): what ranking may use about a viewer, derived only from behaviour stored under
 * the personalised-recommendations consent. The viewer sees every tag and can delete any; a deleted
 * tag is never derived again from events before its deletion (the deletion time is kept, sealed,
 * beside the tags). Withdrawal and erasure delete them all.
 */
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock } from '../../context/index.js';
import { Lru } from '../../shared/lru.js';
import type { InterestTagStore } from './ports.js';

/** How much one event says about an interest. */
export const SIGNAL_WEIGHTS = { view: 1, click: 2, add_to_cart: 3, purchase: 5 } as const;
export type SignalType = keyof typeof SIGNAL_WEIGHTS;

export interface Signal {
  type: string;
  productId: string | null;
  at: number;
}

export interface InterestTag {
  /** Stable id, e.g. `category:diapers`. */
  tag: string;
  kind: 'category';
  value: string;
  weight: number;
  events: number;
  lastEventAt: number;
}

interface TagProfile {
  tags: InterestTag[];
  /** tag → when the viewer deleted it: events at or before this time never count for it again. */
  deleted: Record<string, number>;
}

export interface InterestTagDeps {
  store: InterestTagStore;
  sealer: {
    sealTextFor(subject: string, field: { table: string; column: string; rowId: string }, plaintext: string): Promise<string>;
    openTextFor(subject: string, field: { table: string; column: string; rowId: string }, sealed: string): Promise<string>;
  };
  /** The product's category, or undefined for a product that no longer exists. */
  categoryOf(productId: string): Promise<string | undefined>;
  clock: Clock;
  region: string;
}

const FIELD = (subject: string) => ({ table: 'viewer_tags', column: 'tags', rowId: subject });
const MAX_CAS_RETRIES = 8;

export class InterestTagService {
  /** Updates of one subject's tags on this node run one after another; other nodes are met by compare-and-set. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /**
   * The decoded tags last read or written on this node, per subject (ranking reads them on every
   * personalised request). A write here replaces the entry; a write elsewhere, a withdrawal or an
   * erasure drops it (`forget`, told over the bus).
   */
  readonly #cache = new Lru<string, { profile: TagProfile; version: number | undefined }>(50_000);
  /** Bumped by every write and forget: a read that overlapped one does not fill the cache. */
  #epoch = 0;
  readonly #changed: ((subject: string) => void)[] = [];

  constructor(private readonly deps: InterestTagDeps) {}

  /**
   * Adds what one stored personalised event says. Events that say nothing about interest are ignored.
   * Never loses a signal silently: if the tags cannot be written, it throws.
   */
  async recordSignal(subject: string, signal: Signal): Promise<void> {
    const derived = await this.#derive(signal);
    if (!derived) return;
    const r = await this.#update(subject, (p) => ok(addTo(p, derived.tag, derived.value, derived.weight, signal.at)));
    if (!r.ok) throw new Error(`interest tags not updated: ${r.code}`);
  }

  async list(subject: string): Promise<InterestTag[]> {
    const { profile } = await this.#readCached(subject);
    return [...profile.tags].sort((a, b) => b.weight - a.weight || a.tag.localeCompare(b.tag));
  }

  /** Deletes one tag (A3); it comes back only from events after this moment. */
  deleteTag(subject: string, tag: string): Promise<Result<void>> {
    const now = this.deps.clock.now();
    return this.#update(subject, (p) => {
      if (!p.tags.some((t) => t.tag === tag)) return fail('TAG_NOT_FOUND');
      return ok({ tags: p.tags.filter((t) => t.tag !== tag), deleted: { ...p.deleted, [tag]: now } });
    });
  }

  /**
   * Recomputes the tags from the subject's stored events, keeping deletions: a tag deleted at time T
   * counts only events after T. Used after events expire or when the derivation changes.
   */
  async rebuild(subject: string, events: readonly Signal[]): Promise<void> {
    const derived: { tag: string; value: string; weight: number; at: number }[] = [];
    for (const e of events) {
      const d = await this.#derive(e);
      if (d) derived.push({ ...d, at: e.at });
    }
    await this.#update(subject, (p) => {
      let next: TagProfile = { tags: [], deleted: p.deleted };
      for (const d of derived) next = addTo(next, d.tag, d.value, d.weight, d.at);
      return ok(next);
    });
  }

  /** Withdrawal of the personalised-recommendations consent, or erasure: every tag goes. */
  async deleteAll(subject: string): Promise<number> {
    this.forget(subject);
    const n = await this.deps.store.deleteSubject(subject);
    this.forget(subject);
    this.#tell(subject);
    return n;
  }

  /** Told after this node changed a subject's tags (e.g. to make other nodes read them again). */
  onChanged(listener: (subject: string) => void): void {
    this.#changed.push(listener);
  }

  /** The bus was down (another node's notices may be lost): read every subject's tags again. */
  forgetAll(): void {
    this.#epoch++;
    this.#cache.clear();
  }

  /** Erasure, or another node's change: read this subject's tags from the store next time. */
  forget(subject: string): void {
    this.#epoch++;
    this.#cache.delete(subject);
  }

  #tell(subject: string): void {
    for (const listener of this.#changed) listener(subject);
  }

  async #readCached(subject: string): Promise<{ profile: TagProfile; version: number | undefined }> {
    const cached = this.#cache.get(subject);
    if (cached) return cached;
    const epoch = this.#epoch;
    const read = await this.#read(subject);
    if (epoch === this.#epoch) this.#cache.set(subject, read);
    return read;
  }

  async #derive(signal: Signal): Promise<{ tag: string; value: string; weight: number } | undefined> {
    const weight = SIGNAL_WEIGHTS[signal.type as SignalType];
    if (weight === undefined || signal.productId === null) return undefined;
    const category = await this.deps.categoryOf(signal.productId);
    if (!category) return undefined;
    return { tag: `category:${category}`, value: category, weight };
  }

  async #read(subject: string): Promise<{ profile: TagProfile; version: number | undefined }> {
    const row = await this.deps.store.get(subject);
    if (!row) return { profile: { tags: [], deleted: {} }, version: undefined };
    return { profile: JSON.parse(await this.deps.sealer.openTextFor(subject, FIELD(subject), row.tagsSealed)) as TagProfile, version: row.version };
  }

  #update(subject: string, change: (p: TagProfile) => Result<TagProfile>): Promise<Result<void>> {
    const previous = this.#queues.get(subject) ?? Promise.resolve();
    const run = previous.then(
      () => this.#write(subject, change),
      () => this.#write(subject, change),
    );
    this.#queues.set(subject, run);
    void run.finally(() => {
      if (this.#queues.get(subject) === run) this.#queues.delete(subject);
    });
    return run;
  }

  async #write(subject: string, change: (p: TagProfile) => Result<TagProfile>): Promise<Result<void>> {
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      const current = await this.#read(subject);
      const next = change(current.profile);
      if (!next.ok) return next;
      const version = (current.version ?? 0) + 1;
      const written = await this.deps.store.put(
        {
          subject,
          region: this.deps.region,
          tagsSealed: await this.deps.sealer.sealTextFor(subject, FIELD(subject), JSON.stringify(next.value)),
          version,
          updatedAt: this.deps.clock.now(),
        },
        current.version,
      );
      if (written) {
        this.forget(subject);
        this.#cache.set(subject, { profile: next.value, version });
        this.#tell(subject);
        return ok(undefined);
      }
    }
    return fail('DUPLICATE_REQUEST', 'the tags kept changing; try again');
  }
}

function addTo(p: TagProfile, tag: string, value: string, weight: number, at: number): TagProfile {
  const deletedAt = p.deleted[tag];
  if (deletedAt !== undefined && at <= deletedAt) return p;
  const existing = p.tags.find((t) => t.tag === tag);
  const updated: InterestTag = existing
    ? { ...existing, weight: existing.weight + weight, events: existing.events + 1, lastEventAt: Math.max(existing.lastEventAt, at) }
    : { tag, kind: 'category', value, weight, events: 1, lastEventAt: at };
  return { tags: [...p.tags.filter((t) => t.tag !== tag), updated], deleted: p.deleted };
}
