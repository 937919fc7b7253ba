/**
 * The KeyProvider port: key-encryption keys (KEKs) that wrap the per-subject data keys, and the root
 * key pseudonyms are derived from. Two adapters live here:
 *
 * - LocalFileKeyProvider: a keyring file under the data directory, created on first start (mode
 *   0600, written to a temporary file, fsync'd, then linked or renamed into place). It can hold
 *   several KEKs, so rotation adds a new one while keys wrapped under the old ones still open.
 * - EnvKeyProvider: KEKs and the pseudonym root given as base64 strings (mapped from the environment
 *   by config). It cannot add or retire keys; the operator does that in the environment.
 *
 * An external KMS adapter implements the same port (wrap/unwrap become KMS calls).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { KEY_BYTES, KEY_ID_PATTERN, open, parseEnvelope, seal } from './aead.js';
import { ProtectionError } from './errors.js';
import { makeDir } from '../../shared/make-dir.js';

/** What a wrapped data key is bound to: unwrapping it for another subject fails. */
export interface WrapContext {
  readonly subject: string;
}

export interface KekInfo {
  readonly id: string;
  readonly current: boolean;
  /** When a newer KEK replaced this one (epoch ms), if known. */
  readonly supersededAt: number | undefined;
}

export interface KeyProviderCapabilities {
  /** Can create a new KEK and make it current (rotation without a restart). */
  readonly addKeks: boolean;
  /** Can remove a KEK that no wrapped key uses any more. */
  readonly retireKeks: boolean;
}

export interface KeyProvider {
  /** For messages: where the keys come from (a file path or a setting name), never key material. */
  readonly source: string;
  readonly capabilities: KeyProviderCapabilities;
  /** The KEK new data keys are wrapped under. */
  currentKekId(): Promise<string>;
  /** Every KEK this provider can unwrap with. */
  keks(): Promise<readonly KekInfo[]>;
  wrap(kekId: string, dataKey: Uint8Array, context: WrapContext): Promise<Buffer>;
  /** Throws KEK_UNKNOWN if the KEK is not held, DECRYPT_FAILED if the wrapped key does not open. */
  unwrap(kekId: string, wrapped: Uint8Array, context: WrapContext): Promise<Buffer>;
  /** The root pseudonym keys are derived from (HKDF); never used for encryption. */
  pseudonymRootKey(): Promise<Buffer>;
  /** Creates a KEK and makes it current; returns its id. Only if capabilities.addKeks. */
  addKek(): Promise<string>;
  /** Removes a non-current KEK. Only if capabilities.retireKeks; the caller checks it is unused. */
  retireKek(kekId: string): Promise<void>;
}

/** Wrapping is AES-256-GCM under the KEK, bound to the data_keys row of the subject and to the KEK id. */
function wrapUnder(kek: Buffer, kekId: string, dataKey: Uint8Array, context: WrapContext): Buffer {
  if (dataKey.length !== KEY_BYTES) throw new ProtectionError('INVALID_INPUT', `data keys are ${KEY_BYTES} bytes`);
  return seal(kek, { table: 'data_keys', column: 'wrapped_key', rowId: context.subject, keyId: kekId }, dataKey);
}

function unwrapUnder(kek: Buffer, kekId: string, wrapped: Uint8Array, context: WrapContext): Buffer {
  const envelope = parseEnvelope(wrapped);
  if (envelope.keyId !== kekId) throw new ProtectionError('DECRYPT_FAILED', 'the wrapped data key names another key-encryption key');
  const key = open(kek, { table: 'data_keys', column: 'wrapped_key', rowId: context.subject }, envelope);
  if (key.length !== KEY_BYTES) throw new ProtectionError('DECRYPT_FAILED', 'the unwrapped data key has the wrong length');
  return key;
}

export function newKekId(now: number): string {
  const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
  return `kek-${day}-${randomBytes(4).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// Local keyring file
// ---------------------------------------------------------------------------------------------

interface KeyringJson {
  format: 'qingliu-keyring';
  version: 1;
  current: string;
  keks: { id: string; key: string; createdAt: string; supersededAt: string | null }[];
  pseudonymRoot: string;
}

interface Keyring {
  current: string;
  keks: Map<string, { key: Buffer; createdAt: number; supersededAt: number | undefined }>;
  pseudonymRoot: Buffer;
}

interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface LocalFileKeyProviderOptions {
  /**
   * Create the file if it does not exist. The caller passes false whenever the database already
   * holds protected data: a missing key file then stops start-up instead of being regenerated.
   */
  create: boolean;
  now?: () => number;
}

const LOCK_WAIT_MS = 5_000;

export class LocalFileKeyProvider implements KeyProvider {
  readonly capabilities: KeyProviderCapabilities = Object.freeze({ addKeks: true, retireKeks: true });
  readonly source: string;
  readonly #file: string;
  readonly #now: () => number;
  #keyring: Keyring;
  #stamp: FileStamp;

  private constructor(file: string, keyring: Keyring, stamp: FileStamp, now: () => number) {
    this.#file = file;
    this.source = `key file ${file}`;
    this.#keyring = keyring;
    this.#stamp = stamp;
    this.#now = now;
  }

  /** Opens the keyring file, creating it first if allowed and absent. */
  static async open(file: string, options: LocalFileKeyProviderOptions): Promise<LocalFileKeyProvider> {
    const now = options.now ?? Date.now;
    const absolute = path.resolve(file);
    let loaded = await readKeyringFile(absolute).catch((err: unknown) => {
      // ENOTDIR: a folder on the way is a file, so there is no key file either.
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    });
    if (!loaded) {
      if (!options.create) {
        throw new ProtectionError(
          'KEY_MATERIAL_MISSING',
          `The key file ${absolute} does not exist, but this database already holds protected data. ` +
            'Restore the key file from its backup (or configure the key provider that was used). ' +
            'Qingliu never creates new keys over existing data.',
        );
      }
      await createKeyringFile(absolute, now());
      loaded = await readKeyringFile(absolute);
    }
    return new LocalFileKeyProvider(absolute, loaded.keyring, loaded.stamp, now);
  }

  async currentKekId(): Promise<string> {
    // Another process (`qingliu keys rotate`) may have added a KEK: new data keys go under it.
    await this.#refreshIfChanged();
    return this.#keyring.current;
  }

  async keks(): Promise<readonly KekInfo[]> {
    await this.#refreshIfChanged();
    return [...this.#keyring.keks].map(([id, k]) => ({ id, current: id === this.#keyring.current, supersededAt: k.supersededAt }));
  }

  async wrap(kekId: string, dataKey: Uint8Array, context: WrapContext): Promise<Buffer> {
    return wrapUnder(await this.#kek(kekId), kekId, dataKey, context);
  }

  async unwrap(kekId: string, wrapped: Uint8Array, context: WrapContext): Promise<Buffer> {
    return unwrapUnder(await this.#kek(kekId), kekId, wrapped, context);
  }

  async pseudonymRootKey(): Promise<Buffer> {
    return Buffer.from(this.#keyring.pseudonymRoot);
  }

  async addKek(): Promise<string> {
    return this.#update((ring) => {
      const at = this.#now();
      let id = newKekId(at);
      while (ring.keks.has(id)) id = newKekId(at);
      const previous = ring.keks.get(ring.current);
      if (previous) previous.supersededAt = at;
      ring.keks.set(id, { key: randomBytes(KEY_BYTES), createdAt: at, supersededAt: undefined });
      ring.current = id;
      return id;
    });
  }

  async retireKek(kekId: string): Promise<void> {
    await this.#update((ring) => {
      if (ring.current === kekId) throw new ProtectionError('INVALID_INPUT', 'the current key-encryption key cannot be retired');
      ring.keks.delete(kekId);
    });
  }

  /** A KEK by id; an unknown id re-reads the file first (another process may have just added it). */
  async #kek(kekId: string): Promise<Buffer> {
    let kek = this.#keyring.keks.get(kekId);
    if (!kek) {
      await this.#reload();
      kek = this.#keyring.keks.get(kekId);
    }
    if (!kek) throw new ProtectionError('KEK_UNKNOWN', `${this.source} holds no key-encryption key "${kekId}"`);
    return kek.key;
  }

  async #refreshIfChanged(): Promise<void> {
    let st: fs.Stats;
    try {
      st = await fsp.stat(this.#file);
    } catch {
      // The file went away while running: keep serving from memory; the next start will refuse.
      return;
    }
    if (!sameStamp(this.#stamp, st)) await this.#reload();
  }

  async #reload(): Promise<void> {
    try {
      const { keyring, stamp } = await readKeyringFile(this.#file);
      this.#keyring = keyring;
      this.#stamp = stamp;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
  }

  /** Read-modify-write of the keyring under a lock file, replacing it atomically. */
  async #update<T>(change: (ring: Keyring) => T): Promise<T> {
    return withLock(`${this.#file}.lock`, async () => {
      const { keyring } = await readKeyringFile(this.#file);
      const result = change(keyring);
      await writeFileAtomically(this.#file, serialiseKeyring(keyring), 'replace');
      const reread = await readKeyringFile(this.#file);
      this.#keyring = reread.keyring;
      this.#stamp = reread.stamp;
      return result;
    });
  }
}

function sameStamp(a: FileStamp, b: fs.Stats): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

async function createKeyringFile(file: string, now: number): Promise<void> {
  const id = newKekId(now);
  const ring: Keyring = {
    current: id,
    keks: new Map([[id, { key: randomBytes(KEY_BYTES), createdAt: now, supersededAt: undefined }]]),
    pseudonymRoot: randomBytes(KEY_BYTES),
  };
  try {
    await makeDir(path.dirname(file), 0o700);
    await writeFileAtomically(file, serialiseKeyring(ring), 'create');
  } catch (err) {
    // Another process created it first: use theirs (the caller re-reads the file).
    if (isErrno(err, 'EEXIST')) return;
    throw new ProtectionError(
      'KEY_FILE_UNWRITABLE',
      `The key file ${file} cannot be created (${errnoCode(err)}): set QINGLIU_KEY_FILE or QINGLIU_DATA_DIR to a folder Qingliu may write.`,
      { cause: err },
    );
  }
}

function serialiseKeyring(ring: Keyring): string {
  const json: KeyringJson = {
    format: 'qingliu-keyring',
    version: 1,
    current: ring.current,
    keks: [...ring.keks].map(([id, k]) => ({
      id,
      key: k.key.toString('base64'),
      createdAt: new Date(k.createdAt).toISOString(),
      supersededAt: k.supersededAt === undefined ? null : new Date(k.supersededAt).toISOString(),
    })),
    pseudonymRoot: ring.pseudonymRoot.toString('base64'),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

async function readKeyringFile(file: string): Promise<{ keyring: Keyring; stamp: FileStamp }> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) throw err;
    throw new ProtectionError('KEY_MATERIAL_UNREADABLE', `The key file ${file} cannot be opened (${errnoCode(err)}).`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ProtectionError('KEY_MATERIAL_UNREADABLE', `The key file ${file} is not a regular file.`);
    checkPrivate(file, st);
    const text = await handle.readFile('utf8');
    return { keyring: parseKeyring(file, text), stamp: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs } };
  } catch (err) {
    if (err instanceof ProtectionError) throw err;
    throw new ProtectionError('KEY_MATERIAL_UNREADABLE', `The key file ${file} cannot be read (${errnoCode(err)}).`, { cause: err });
  } finally {
    await handle.close();
  }
}

/** Like ssh with its private keys: refuse a key file other users could read or replace. */
function checkPrivate(file: string, st: fs.Stats): void {
  if (process.platform === 'win32') return; // POSIX modes mean nothing there; rely on ACLs
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ProtectionError(
      'KEY_MATERIAL_UNREADABLE',
      `The key file ${file} is accessible to other users (mode ${mode}); it must be readable by its owner only. Run: chmod 600 ${file}`,
    );
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid) {
    throw new ProtectionError('KEY_MATERIAL_UNREADABLE', `The key file ${file} belongs to another user (uid ${st.uid}); it must belong to the user running Qingliu (uid ${uid}).`);
  }
}

function parseKeyring(file: string, text: string): Keyring {
  const bad = (what: string) => new ProtectionError('KEY_MATERIAL_UNREADABLE', `The key file ${file} is not a valid Qingliu keyring: ${what}.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('it is not JSON (damaged or truncated?)');
  }
  if (!isRecord(json) || json.format !== 'qingliu-keyring') throw bad('format is not "qingliu-keyring"');
  if (json.version !== 1) throw bad(`unsupported version ${JSON.stringify(json.version)}`);
  if (!Array.isArray(json.keks) || json.keks.length === 0) throw bad('it lists no key-encryption keys');
  const keks: Keyring['keks'] = new Map();
  json.keks.forEach((entry: unknown, i: number) => {
    if (!isRecord(entry) || typeof entry.id !== 'string' || !KEY_ID_PATTERN.test(entry.id)) throw bad(`key ${i + 1} has no valid id`);
    if (keks.has(entry.id)) throw bad(`key id "${entry.id}" appears twice`);
    const key = decodeKey(entry.key);
    if (!key) throw bad(`key "${entry.id}" is not ${KEY_BYTES} bytes of base64`);
    const createdAt = typeof entry.createdAt === 'string' ? Date.parse(entry.createdAt) : Number.NaN;
    const supersededAt = typeof entry.supersededAt === 'string' ? Date.parse(entry.supersededAt) : undefined;
    if (Number.isNaN(createdAt) || (supersededAt !== undefined && Number.isNaN(supersededAt))) throw bad(`key "${entry.id}" has an invalid date`);
    keks.set(entry.id, { key, createdAt, supersededAt });
  });
  if (typeof json.current !== 'string' || !keks.has(json.current)) throw bad('"current" names no listed key');
  const pseudonymRoot = decodeKey(json.pseudonymRoot);
  if (!pseudonymRoot) throw bad(`"pseudonymRoot" is not ${KEY_BYTES} bytes of base64`);
  return { current: json.current, keks, pseudonymRoot };
}

/** Strict base64 (standard or url alphabet) of exactly KEY_BYTES bytes, or undefined. */
export function decodeKey(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === KEY_BYTES ? bytes : undefined;
}

/**
 * Writes a file so that readers see the old content or the new, never a mix: a private temporary
 * file in the same directory, fsync'd, then linked into place (create: fails if the target exists)
 * or renamed over it (replace); then the directory is fsync'd so the new name survives a crash.
 */
async function writeFileAtomically(file: string, content: string, mode: 'create' | 'replace'): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fsp.open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(content, 'utf8');
      await handle.chmod(0o600); // the umask can only remove bits; make it exact
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (mode === 'create') await fsp.link(tmp, file);
    else await fsp.rename(tmp, file);
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  await fsyncDirectory(dir);
}

async function fsyncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** An exclusive lock file holding the owner's pid; a lock left by a dead process is taken over. */
async function withLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await fsp.open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      const owner = Number(await fsp.readFile(lockFile, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
        await fsp.rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ProtectionError('KEYRING_BUSY', `Another process is changing the keyring (lock ${lockFile}, pid ${owner || 'unknown'}). Try again; remove the lock file only if no Qingliu process is running.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  try {
    return await work();
  } finally {
    await fsp.rm(lockFile, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

// ---------------------------------------------------------------------------------------------
// Keys from the environment
// ---------------------------------------------------------------------------------------------

export interface EnvKeyMaterial {
  /** `id:base64,id:base64,…` — the first is current; older ones stay listed until nothing uses them. */
  readonly keks: string;
  /** 32 bytes of base64: the pseudonym root. */
  readonly pseudonymRoot: string;
  /** Setting names, for messages (defaults: QINGLIU_KEKS, QINGLIU_PSEUDONYM_KEY). */
  readonly names?: { readonly keks: string; readonly pseudonymRoot: string };
}

export class EnvKeyProvider implements KeyProvider {
  readonly capabilities: KeyProviderCapabilities = Object.freeze({ addKeks: false, retireKeks: false });
  readonly source: string;
  readonly #keks: ReadonlyMap<string, Buffer>;
  readonly #current: string;
  readonly #root: Buffer;

  /** Parses the strings; every problem is reported in one message, and no key value is ever echoed. */
  constructor(material: EnvKeyMaterial) {
    const names = material.names ?? { keks: 'QINGLIU_KEKS', pseudonymRoot: 'QINGLIU_PSEUDONYM_KEY' };
    this.source = `${names.keks} and ${names.pseudonymRoot}`;
    const problems: string[] = [];
    const keks = new Map<string, Buffer>();
    const entries = (material.keks ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (entries.length === 0) problems.push(`${names.keks} is empty: give at least one key as id:base64`);
    entries.forEach((entry, i) => {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      if (!KEY_ID_PATTERN.test(id)) {
        problems.push(`${names.keks} entry ${i + 1} must be id:base64 with an id of A–Z a–z 0–9 _ . -`);
        return;
      }
      const key = decodeKey(entry.slice(colon + 1));
      if (!key) problems.push(`${names.keks} key "${id}" is not ${KEY_BYTES} bytes of base64`);
      else if (keks.has(id)) problems.push(`${names.keks} lists key id "${id}" twice`);
      else keks.set(id, key);
    });
    const root = decodeKey((material.pseudonymRoot ?? '').trim());
    if (!root) problems.push(`${names.pseudonymRoot} must be ${KEY_BYTES} bytes of base64`);
    if (problems.length || !root) {
      throw new ProtectionError('KEY_MATERIAL_UNREADABLE', `Invalid key material:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
    this.#keks = keks;
    this.#current = [...keks.keys()][0]!;
    this.#root = root;
  }

  async currentKekId(): Promise<string> {
    return this.#current;
  }

  async keks(): Promise<readonly KekInfo[]> {
    return [...this.#keks.keys()].map((id) => ({ id, current: id === this.#current, supersededAt: undefined }));
  }

  async wrap(kekId: string, dataKey: Uint8Array, context: WrapContext): Promise<Buffer> {
    return wrapUnder(this.#kek(kekId), kekId, dataKey, context);
  }

  async unwrap(kekId: string, wrapped: Uint8Array, context: WrapContext): Promise<Buffer> {
    return unwrapUnder(this.#kek(kekId), kekId, wrapped, context);
  }

  async pseudonymRootKey(): Promise<Buffer> {
    return Buffer.from(this.#root);
  }

  async addKek(): Promise<string> {
    throw new ProtectionError('KEY_PROVIDER_UNSUPPORTED', `Keys from ${this.source} are changed in the environment: put a new key first in the list, restart, then rotate.`);
  }

  async retireKek(_kekId: string): Promise<void> {
    throw new ProtectionError('KEY_PROVIDER_UNSUPPORTED', `Keys from ${this.source} are removed in the environment once rotation reports them unused.`);
  }

  #kek(kekId: string): Buffer {
    const kek = this.#keks.get(kekId);
    if (!kek) throw new ProtectionError('KEK_UNKNOWN', `${this.source} hold no key-encryption key "${kekId}"`);
    return kek;
  }
}

// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function errnoCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'unknown error';
}
