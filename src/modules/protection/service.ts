/**
 * ProtectionService: seals and opens personal values under per-subject data keys (envelope
 * encryption), erases a subject by destroying their data key (crypto-shredding) and their
 * pseudonym mapping, rotates key-encryption keys while the server runs, and hands out keyed
 * pseudonyms.
 *
 * Unwrapped data keys are cached in memory (bounded LRU with a time to live). An erasure on this
 * node drops the key at once; an erasure on another node reaches this one when the entry expires,
 * or at once if the caller relays it to forget() (e.g. over the bus).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../context/index.js';
import { KEY_BYTES, envelopeFromText, envelopeToText, open, parseEnvelope, seal, type FieldRef } from './aead.js';
import { ProtectionError, isProtectionError } from './errors.js';
import { EnvKeyProvider, LocalFileKeyProvider, type EnvKeyMaterial, type KeyProvider } from './key-provider.js';
import { PseudonymKeys, checkLabel, keyCheckValue } from './pseudonyms.js';
import type { DataKeyStore, PseudonymStore, WrappedDataKey } from './ports.js';

export interface ProtectionOptions {
  /** Unwrapped data keys kept in memory. */
  readonly cacheSize?: number;
  /** How long an unwrapped key may be served from memory (bounds how late another node's erasure is seen). */
  readonly cacheTtlMs?: number;
  /** Wrapped keys re-wrapped per transaction during rotation. */
  readonly rotationBatchSize?: number;
  /**
   * A superseded KEK that no wrapped key uses is removed only after this long, so a node that has
   * not yet noticed the new KEK cannot wrap a fresh key under one that is about to disappear.
   */
  readonly retireGraceMs?: number;
}

export const PROTECTION_DEFAULTS = {
  cacheSize: 10_000,
  cacheTtlMs: 60_000,
  rotationBatchSize: 200,
  retireGraceMs: 10 * 60_000,
} as const;

/** Where the key-encryption keys come from; config picks one. */
export type KeySource =
  | { readonly kind: 'file'; readonly file: string }
  | ({ readonly kind: 'env' } & EnvKeyMaterial)
  | { readonly kind: 'provider'; readonly provider: KeyProvider };

export interface ShredReport {
  readonly dataKeyDestroyed: boolean;
  readonly pseudonymsDeleted: number;
}

export interface RotationReport {
  readonly previousKekId: string;
  readonly kekId: string;
  readonly rewrapped: number;
  /** Rows destroyed or changed by someone else while being re-wrapped. */
  readonly skipped: number;
  readonly batches: number;
  readonly passes: number;
  /** Wrapped keys still under another KEK (non-empty only if writers kept using an old KEK). */
  readonly remaining: Readonly<Record<string, number>>;
  readonly retiredKekIds: readonly string[];
  /** Old KEKs kept, with the reason (still used, within the grace period, or the provider cannot retire). */
  readonly retainedKeks: readonly { readonly id: string; readonly wrappedKeys: number; readonly reason: 'in use' | 'grace period' | 'provider cannot retire' }[];
}

export interface DeviceMapping {
  readonly purpose: string;
  readonly region: string;
  readonly pseudonym: string;
  readonly deviceId: string;
}

interface DataKey {
  readonly keyId: string;
  readonly key: Buffer;
}

interface CachedKey extends DataKey {
  readonly loadedAt: number;
}

const KEY_CHECK_META = 'pseudonym_root_check';
const MAX_ROTATION_PASSES = 5;
const KEK_CHECK_SAMPLES = 3;
const MAX_SUBJECT_LENGTH = 200;

/**
 * Opens the key provider for a source. A key file is created only when the database holds no
 * protected data yet; otherwise a missing file stops start-up (KEY_MATERIAL_MISSING).
 */
export async function openKeyProvider(source: KeySource, dataKeys: DataKeyStore, clock?: Clock): Promise<KeyProvider> {
  switch (source.kind) {
    case 'file':
      return LocalFileKeyProvider.open(source.file, {
        create: !(await dataKeys.holdsProtectedData()),
        ...(clock ? { now: () => clock.now() } : {}),
      });
    case 'env':
      return new EnvKeyProvider(source);
    case 'provider':
      return source.provider;
  }
}

/**
 * Refuses key material that does not belong to this database, with one message: a different
 * pseudonym root (check value stored at first use), a KEK that wrapped keys name but the provider
 * lacks, or a KEK that does not open the keys wrapped under its id.
 */
export async function checkKeyMaterial(dataKeys: DataKeyStore, provider: KeyProvider): Promise<void> {
  const check = keyCheckValue(await provider.pseudonymRootKey());
  const stored = await dataKeys.getMeta(KEY_CHECK_META);
  const mismatch = () =>
    new ProtectionError(
      'KEY_MATERIAL_MISMATCH',
      `The keys from ${provider.source} are not the keys this database was protected with (the pseudonym key check differs). ` +
        'Configure the original keys; Qingliu does not start with other keys over existing data.',
    );
  if (stored !== undefined && stored !== check) throw mismatch();

  const usage = await dataKeys.kekUsage();
  const held = new Set((await provider.keks()).map((k) => k.id));
  const missing = [...usage].filter(([id]) => !held.has(id));
  if (missing.length) {
    throw new ProtectionError(
      'KEY_MATERIAL_MISSING',
      `Data keys in this database are wrapped under ${missing.length === 1 ? 'a key-encryption key' : 'key-encryption keys'} that ${provider.source} does not hold: ` +
        `${missing.map(([id, n]) => `${id} (${n} key${n === 1 ? '' : 's'})`).join(', ')}. ` +
        'Restore the keyring that holds them; Qingliu does not start without them.',
    );
  }
  // A wrong KEK opens none of its keys; one altered row must not pass for wrong key material.
  for (const kekId of usage.keys()) {
    const samples = await dataKeys.sampleWrappedUnder(kekId, KEK_CHECK_SAMPLES);
    let opened = samples.length === 0; // re-wrapped or destroyed since counting
    for (const sample of samples) {
      try {
        (await provider.unwrap(sample.kekId, sample.wrappedKey, { subject: sample.subject })).fill(0);
        opened = true;
        break;
      } catch (err) {
        if (!isProtectionError(err, 'DECRYPT_FAILED')) throw err;
      }
    }
    if (!opened) {
      throw new ProtectionError(
        'KEY_MATERIAL_MISMATCH',
        `The key-encryption key "${kekId}" from ${provider.source} opens none of the ${samples.length} data key(s) tried that are wrapped under that id. ` +
          'Configure the original keys; Qingliu does not start with other keys over existing data.',
      );
    }
  }
  if (stored === undefined && (await dataKeys.putMetaIfAbsent(KEY_CHECK_META, check)) !== check) throw mismatch();
}

export interface ProtectionDeps {
  readonly dataKeys: DataKeyStore;
  readonly pseudonyms: PseudonymStore;
  readonly provider: KeyProvider;
  readonly clock: Clock;
}

export class ProtectionService {
  readonly #dataKeys: DataKeyStore;
  readonly #pseudonymStore: PseudonymStore;
  readonly #provider: KeyProvider;
  readonly #clock: Clock;
  readonly #pseudonymKeys: PseudonymKeys;
  readonly #options: Required<ProtectionOptions>;
  readonly #cache = new Map<string, CachedKey>();
  readonly #loading = new Map<string, Promise<DataKey | undefined>>();
  /** Mappings this process has recorded: (purpose/region/pseudonym) → subject. */
  readonly #recorded = new Map<string, string>();
  readonly #subjects = new Map<string, string>();
  /** Bumped by every eviction: a load that started before it must not fill the cache after it. */
  #epoch = 0;

  private constructor(deps: ProtectionDeps, pseudonymKeys: PseudonymKeys, options: Required<ProtectionOptions>) {
    this.#dataKeys = deps.dataKeys;
    this.#pseudonymStore = deps.pseudonyms;
    this.#provider = deps.provider;
    this.#clock = deps.clock;
    this.#pseudonymKeys = pseudonymKeys;
    this.#options = options;
  }

  /** Checks the key material against the database (throws one clear error) and returns the service. */
  static async start(deps: ProtectionDeps, options: ProtectionOptions = {}): Promise<ProtectionService> {
    await checkKeyMaterial(deps.dataKeys, deps.provider);
    const merged = { ...PROTECTION_DEFAULTS, ...definedOnly(options) };
    if (!Number.isInteger(merged.cacheSize) || merged.cacheSize < 0) throw new ProtectionError('INVALID_INPUT', 'cacheSize must be a whole number ≥ 0');
    return new ProtectionService(deps, new PseudonymKeys(await deps.provider.pseudonymRootKey()), merged);
  }

  /** Seals a value of the subject for one place (table, column, row). Creates the subject's data key on first use. */
  async sealFor(subject: string, field: FieldRef, plaintext: Uint8Array | string): Promise<Buffer> {
    checkSubject(subject);
    const dataKey = (await this.#dataKey(subject, true))!;
    return seal(dataKey.key, { table: field.table, column: field.column, rowId: field.rowId, keyId: dataKey.keyId }, bytesOf(plaintext));
  }

  /**
   * Opens a value sealed for this subject and place. Throws DATA_KEY_DESTROYED after erasure,
   * DECRYPT_FAILED for anything altered or moved; never returns unauthenticated bytes.
   */
  async openFor(subject: string, field: FieldRef, envelope: Uint8Array): Promise<Buffer> {
    checkSubject(subject);
    const parsed = parseEnvelope(envelope);
    const dataKey = await this.#dataKey(subject, false);
    if (!dataKey || dataKey.keyId !== parsed.keyId) {
      if ((await this.#dataKeys.destroyedAt(parsed.keyId)) !== undefined) {
        throw new ProtectionError('DATA_KEY_DESTROYED', 'the value belongs to an erased subject: its data key was destroyed');
      }
      if (!dataKey) throw new ProtectionError('DATA_KEY_UNKNOWN', 'no data key exists for this subject');
      throw new ProtectionError('DECRYPT_FAILED', "the ciphertext names another data key than the subject's (moved or altered)");
    }
    return open(dataKey.key, field, parsed);
  }

  /** sealFor for TEXT columns: UTF-8 in, base64url envelope out. */
  async sealTextFor(subject: string, field: FieldRef, plaintext: string): Promise<string> {
    return envelopeToText(await this.sealFor(subject, field, plaintext));
  }

  async openTextFor(subject: string, field: FieldRef, envelopeText: string): Promise<string> {
    return (await this.openFor(subject, field, envelopeFromText(envelopeText))).toString('utf8');
  }

  /**
   * Erasure: destroys the subject's data key (every value sealed for them becomes unreadable,
   * wherever copies live) and deletes their device ↔ pseudonym mapping. Derived data (profiles,
   * tags, caches, rows keyed by their pseudonyms) is the erasure workflow's to delete.
   */
  async shred(subject: string): Promise<ShredReport> {
    checkSubject(subject);
    this.#evict(subject);
    const destroyed = await this.#dataKeys.destroy(subject, this.#clock.now());
    const pseudonymsDeleted = await this.#pseudonymStore.deleteSubject(subject);
    this.#evict(subject);
    for (const [mapping, owner] of this.#recorded) if (owner === subject) this.#recorded.delete(mapping);
    return { dataKeyDestroyed: destroyed !== undefined, pseudonymsDeleted };
  }

  /**
   * Drops every cached data key (the bus was down, so another node's erasure notice may be lost):
   * keys are read again from the store, where an erased subject's is gone.
   */
  forgetAll(): void {
    this.#epoch++;
    this.#cache.clear();
    this.#loading.clear();
    this.#recorded.clear();
  }

  /** Drops the subject's key from this node's memory (relay another node's erasure here). */
  forget(subject: string): void {
    this.#evict(subject);
    for (const [mapping, owner] of this.#recorded) if (owner === subject) this.#recorded.delete(mapping);
  }

  /**
   * KEK rotation while serving: makes a new KEK current (if the provider can add one; otherwise the
   * provider's current KEK is the target), re-wraps every data key under it in batches, and retires
   * old KEKs that nothing uses once their grace period has passed. Values are never re-encrypted.
   */
  async rotate(options: { batchSize?: number; retireGraceMs?: number } = {}): Promise<RotationReport> {
    const provider = this.#provider;
    const batchSize = options.batchSize ?? this.#options.rotationBatchSize;
    const grace = options.retireGraceMs ?? this.#options.retireGraceMs;
    const previousKekId = await provider.currentKekId();
    const kekId = provider.capabilities.addKeks ? await provider.addKek() : previousKekId;
    let rewrapped = 0;
    let skipped = 0;
    let batches = 0;
    let passes = 0;
    let usage: ReadonlyMap<string, number> = new Map();
    // A writer that had not yet seen the new KEK may add a key under an old one behind the scan: repeat.
    while (passes < MAX_ROTATION_PASSES) {
      passes++;
      const pass = await this.#dataKeys.rewrapAll(provider, kekId, { batchSize });
      rewrapped += pass.rewrapped;
      skipped += pass.skipped;
      batches += pass.batches;
      usage = await this.#dataKeys.kekUsage();
      if ([...usage.keys()].every((id) => id === kekId)) break;
    }
    const now = this.#clock.now();
    const retiredKekIds: string[] = [];
    const retainedKeks: { id: string; wrappedKeys: number; reason: 'in use' | 'grace period' | 'provider cannot retire' }[] = [];
    for (const kek of await provider.keks()) {
      if (kek.id === kekId) continue;
      const wrappedKeys = usage.get(kek.id) ?? 0;
      if (wrappedKeys > 0) retainedKeks.push({ id: kek.id, wrappedKeys, reason: 'in use' });
      else if (!provider.capabilities.retireKeks) retainedKeks.push({ id: kek.id, wrappedKeys, reason: 'provider cannot retire' });
      else if (kek.supersededAt === undefined || now - kek.supersededAt < grace) retainedKeks.push({ id: kek.id, wrappedKeys, reason: 'grace period' });
      else {
        await provider.retireKek(kek.id);
        retiredKekIds.push(kek.id);
      }
    }
    const remaining = Object.fromEntries([...usage].filter(([id]) => id !== kekId));
    return { previousKekId, kekId, rewrapped, skipped, batches, passes, remaining, retiredKekIds, retainedKeks };
  }

  /**
   * The keyed pseudonym of a device for one purpose in one region, recording the device id ↔
   * pseudonym mapping (device id sealed under the subject's key) the first time. Recording stores
   * personal data: call it only where consent (or another basis) allows.
   */
  async pseudonymFor(deviceId: string, purpose: string, region: string): Promise<string> {
    const pseudonym = this.#pseudonymKeys.pseudonym(deviceId, purpose, region);
    const mapping = mappingId(purpose, region, pseudonym);
    if (!this.#recorded.has(mapping)) {
      const subject = this.#pseudonymKeys.subject(deviceId, region);
      const sealedDeviceId = await this.sealTextFor(subject, mappingField(mapping), deviceId);
      await this.#pseudonymStore.record({ purpose, region, pseudonym, subject, sealedDeviceId, createdAt: this.#clock.now() });
      if (this.#recorded.size >= this.#options.cacheSize) this.#recorded.delete(this.#recorded.keys().next().value as string);
      this.#recorded.set(mapping, subject);
    }
    return pseudonym;
  }

  /** The subject id of a device in a region: the id its data key and erasure go by. */
  subjectFor(deviceId: string, region: string): string {
    // Asked several times per request (consent, profile, recommender): the HMAC is computed once.
    const key = `${region}|${deviceId}`;
    let subject = this.#subjects.get(key);
    if (subject === undefined) {
      subject = this.#pseudonymKeys.subject(deviceId, region);
      if (this.#subjects.size >= this.#options.cacheSize) this.#subjects.delete(this.#subjects.keys().next().value as string);
      this.#subjects.set(key, subject);
    }
    return subject;
  }

  /** The subject's recorded devices and pseudonyms, device ids opened (for access and export requests). */
  async devicesOf(subject: string): Promise<DeviceMapping[]> {
    checkSubject(subject);
    const rows = await this.#pseudonymStore.bySubject(subject);
    const out: DeviceMapping[] = [];
    for (const row of rows) {
      const field = mappingField(mappingId(row.purpose, row.region, row.pseudonym));
      out.push({ purpose: row.purpose, region: row.region, pseudonym: row.pseudonym, deviceId: await this.openTextFor(subject, field, row.sealedDeviceId) });
    }
    return out;
  }

  /** Unwrapped keys held in memory now (for metrics and tests). */
  get cachedKeyCount(): number {
    return this.#cache.size;
  }

  async #dataKey(subject: string, create: boolean): Promise<DataKey | undefined> {
    const cached = this.#cacheGet(subject);
    if (cached) return cached;
    let pending = this.#loading.get(subject);
    if (!pending) {
      const load: Promise<DataKey | undefined> = this.#load(subject).finally(() => {
        if (this.#loading.get(subject) === load) this.#loading.delete(subject);
      });
      this.#loading.set(subject, load);
      pending = load;
    }
    const loaded = await pending;
    if (loaded || !create) return loaded;
    return this.#create(subject);
  }

  async #load(subject: string): Promise<DataKey | undefined> {
    const epoch = this.#epoch;
    const row = await this.#dataKeys.get(subject);
    if (!row) return undefined;
    const dataKey = await this.#unwrap(row);
    if (epoch === this.#epoch) this.#cachePut(subject, dataKey);
    return dataKey;
  }

  async #create(subject: string): Promise<DataKey> {
    const epoch = this.#epoch;
    const key = randomBytes(KEY_BYTES);
    const keyId = randomBytes(12).toString('base64url');
    const kekId = await this.#provider.currentKekId();
    const wrappedKey = await this.#provider.wrap(kekId, key, { subject });
    const stored = await this.#dataKeys.createIfAbsent({ subject, keyId, wrappedKey, kekId, createdAt: this.#clock.now() });
    // Another writer created the subject's key first: use theirs.
    const dataKey = stored.keyId === keyId ? { keyId, key } : await this.#unwrap(stored);
    if (epoch === this.#epoch) this.#cachePut(subject, dataKey);
    return dataKey;
  }

  /** Unwraps a row; if its KEK is unknown or it fails, re-reads it once (rotation may have re-wrapped it meanwhile). */
  async #unwrap(row: WrappedDataKey): Promise<DataKey> {
    try {
      return { keyId: row.keyId, key: await this.#provider.unwrap(row.kekId, row.wrappedKey, { subject: row.subject }) };
    } catch (err) {
      if (!isProtectionError(err, 'KEK_UNKNOWN') && !isProtectionError(err, 'DECRYPT_FAILED')) throw err;
      const fresh = await this.#dataKeys.get(row.subject);
      if (!fresh || (fresh.kekId === row.kekId && fresh.wrappedKey.equals(row.wrappedKey))) throw err;
      return { keyId: fresh.keyId, key: await this.#provider.unwrap(fresh.kekId, fresh.wrappedKey, { subject: fresh.subject }) };
    }
  }

  #cacheGet(subject: string): DataKey | undefined {
    const entry = this.#cache.get(subject);
    if (!entry) return undefined;
    this.#cache.delete(subject);
    if (this.#clock.now() - entry.loadedAt >= this.#options.cacheTtlMs) return undefined;
    this.#cache.set(subject, entry); // most recently used last
    return entry;
  }

  #cachePut(subject: string, dataKey: DataKey): void {
    if (this.#options.cacheSize === 0) return;
    this.#cache.delete(subject);
    while (this.#cache.size >= this.#options.cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(subject, { ...dataKey, loadedAt: this.#clock.now() });
  }

  #evict(subject: string): void {
    this.#epoch++;
    this.#cache.delete(subject);
    this.#loading.delete(subject);
  }
}

/** Builds the service from a key source: opens the provider (creating a key file only over an empty database), checks it, starts. */
export async function startProtection(
  stores: { dataKeys: DataKeyStore; pseudonyms: PseudonymStore },
  source: KeySource,
  clock: Clock,
  options: ProtectionOptions = {},
): Promise<ProtectionService> {
  const provider = await openKeyProvider(source, stores.dataKeys, clock);
  return ProtectionService.start({ ...stores, provider, clock }, options);
}

function mappingId(purpose: string, region: string, pseudonym: string): string {
  checkLabel('purpose', purpose);
  checkLabel('region', region);
  return `${purpose}/${region}/${pseudonym}`;
}

function mappingField(mapping: string): FieldRef {
  return { table: 'pseudonyms', column: 'device_id_sealed', rowId: mapping };
}

function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
    throw new ProtectionError('INVALID_INPUT', `subject ids are 1–${MAX_SUBJECT_LENGTH} characters`);
  }
}

function bytesOf(plaintext: Uint8Array | string): Uint8Array {
  return typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
