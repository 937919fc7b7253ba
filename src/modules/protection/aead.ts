/**
 * AES-256-GCM with node:crypto, and the compact envelope every protected value is stored in.
 *
 * Envelope (version 1):
 *
 *   version (1 B) | key id length n (1 B) | key id (n B, ASCII) | nonce (12 B) | ciphertext | tag (16 B)
 *
 * The associated data is not stored: it is rebuilt on open from where the value lives (table, column,
 * row id) and the key id in the header, so a ciphertext copied to another row, column, table or key
 * fails to open. Every header byte is covered: the version and key id are part of the associated
 * data, and a changed length byte moves the nonce.
 *
 * Tags are always 16 bytes: `authTagLength: 16` is passed on both sides, because Node 20 otherwise
 * accepts a truncated tag on decryption (DEP0182, doc-only on Node 20) and a 4-byte tag is forgeable
 * with probability 2^-32. Nonces are 12 random bytes per encryption; per-subject data keys keep the
 * count per key far below the 2^32 random-nonce bound of NIST SP 800-38D.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { ProtectionError } from './errors.js';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const ENVELOPE_VERSION = 1;
const ALGORITHM = 'aes-256-gcm';
/** Key ids travel in clear in every envelope: short, ASCII, no separators that could confuse a reader. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const AAD_DOMAIN = Buffer.from('qingliu/aead', 'ascii');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Smallest possible envelope: header with a 1-byte key id, nonce, empty ciphertext, tag. */
const MIN_ENVELOPE_BYTES = 2 + 1 + NONCE_BYTES + TAG_BYTES;

/** Where a protected value lives. */
export interface FieldRef {
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

/** What a ciphertext is bound to: its place and the key that sealed it. */
export interface Binding extends FieldRef {
  readonly keyId: string;
}

export interface GcmParts {
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

export interface ParsedEnvelope extends GcmParts {
  readonly version: number;
  readonly keyId: string;
}

/**
 * The canonical associated data of a binding: a domain label, the format version, then table,
 * column, row id and key id, each as a 4-byte big-endian byte length followed by its UTF-8 bytes.
 * Length prefixes make the encoding injective ("a|b" + "c" never equals "a" + "b|c").
 */
export function encodeAssociatedData(binding: Binding, version: number = ENVELOPE_VERSION): Buffer {
  const fields = [binding.table, binding.column, binding.rowId, binding.keyId].map((value, i) => {
    if (typeof value !== 'string' || value.length === 0) throw new ProtectionError('INVALID_INPUT', `associated data field ${FIELD_NAMES[i]} must be a non-empty string`);
    // UTF-8 turns every lone surrogate into U+FFFD: two different strings would share one encoding.
    if (LONE_SURROGATE.test(value)) throw new ProtectionError('INVALID_INPUT', `associated data field ${FIELD_NAMES[i]} is not well-formed Unicode`);
    return Buffer.from(value, 'utf8');
  });
  const out = Buffer.allocUnsafe(AAD_DOMAIN.length + 1 + fields.reduce((n, f) => n + 4 + f.length, 0));
  let at = AAD_DOMAIN.copy(out, 0);
  at = out.writeUInt8(version, at);
  for (const f of fields) {
    at = out.writeUInt32BE(f.length, at);
    at += f.copy(out, at);
  }
  return out;
}
const FIELD_NAMES = ['table', 'column', 'rowId', 'keyId'] as const;

/** AES-256-GCM encryption under a fresh random 12-byte nonce. */
export function gcmEncrypt(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): GcmParts {
  return gcmEncryptWithNonce(key, freshNonce(), plaintext, associatedData);
}

/**
 * Nonces come from a pool of CSPRNG bytes refilled 512 nonces at a time: randomBytes(12) costs
 * about 5 µs per call on Node 20, a third of a whole seal. Every slice is handed out once; the
 * caller copies it before the pool can be refilled (all synchronously).
 */
const NONCE_POOL = Buffer.alloc(NONCE_BYTES * 512);
let noncePoolAt = NONCE_POOL.length;
function freshNonce(): Buffer {
  if (noncePoolAt === NONCE_POOL.length) {
    randomFillSync(NONCE_POOL);
    noncePoolAt = 0;
  }
  const nonce = NONCE_POOL.subarray(noncePoolAt, noncePoolAt + NONCE_BYTES);
  noncePoolAt += NONCE_BYTES;
  return nonce;
}

/**
 * Encryption under a caller-chosen nonce: for known-answer tests only. Reusing a nonce under one key
 * loses confidentiality and lets anyone forge; production code calls gcmEncrypt. Not exported from
 * the module's index.
 */
export function gcmEncryptWithNonce(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): GcmParts {
  checkKey(key);
  if (nonce.length !== NONCE_BYTES) throw new ProtectionError('INVALID_INPUT', `the nonce must be ${NONCE_BYTES} bytes`);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return { nonce: Buffer.from(nonce), ciphertext, tag };
}

/** Decrypts and authenticates, or throws DECRYPT_FAILED. Never returns unauthenticated bytes. */
export function gcmDecrypt(key: Uint8Array, parts: GcmParts, associatedData: Uint8Array): Buffer {
  checkKey(key);
  // Checked here as well as by authTagLength: the guard must not depend on a Node default.
  if (parts.nonce.length !== NONCE_BYTES || parts.tag.length !== TAG_BYTES) {
    throw new ProtectionError('DECRYPT_FAILED', 'the ciphertext is malformed (nonce or tag length)');
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, parts.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(parts.tag);
    const head = decipher.update(parts.ciphertext);
    const tail = decipher.final(); // throws on any change to nonce, ciphertext, tag or associated data
    return tail.length ? Buffer.concat([head, tail]) : head;
  } catch (cause) {
    throw new ProtectionError('DECRYPT_FAILED', 'the ciphertext failed authentication (altered, moved or wrong key)', { cause });
  }
}

/** Seals plaintext into an envelope bound to its place and key id. */
export function seal(key: Uint8Array, binding: Binding, plaintext: Uint8Array): Buffer {
  if (!KEY_ID_PATTERN.test(binding.keyId)) throw new ProtectionError('INVALID_INPUT', 'key ids are 1–64 characters of A–Z a–z 0–9 _ . -');
  const { nonce, ciphertext, tag } = gcmEncrypt(key, plaintext, encodeAssociatedData(binding));
  const keyId = Buffer.from(binding.keyId, 'ascii');
  const out = Buffer.allocUnsafe(2 + keyId.length + NONCE_BYTES + ciphertext.length + TAG_BYTES);
  out[0] = ENVELOPE_VERSION;
  out[1] = keyId.length;
  let at = 2 + keyId.copy(out, 2);
  at += nonce.copy(out, at);
  at += ciphertext.copy(out, at);
  tag.copy(out, at);
  return out;
}

/** Splits an envelope into its parts without decrypting; throws DECRYPT_FAILED if it is malformed. */
export function parseEnvelope(envelope: Uint8Array): ParsedEnvelope {
  const bytes = Buffer.isBuffer(envelope) ? envelope : Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  if (bytes.length < MIN_ENVELOPE_BYTES) throw new ProtectionError('DECRYPT_FAILED', 'the ciphertext is too short to be an envelope');
  const version = bytes[0]!;
  if (version !== ENVELOPE_VERSION) throw new ProtectionError('DECRYPT_FAILED', `unknown envelope version ${version}`);
  const keyIdLength = bytes[1]!;
  const nonceAt = 2 + keyIdLength;
  if (keyIdLength === 0 || bytes.length < nonceAt + NONCE_BYTES + TAG_BYTES) throw new ProtectionError('DECRYPT_FAILED', 'the envelope header is malformed');
  const keyId = bytes.toString('latin1', 2, nonceAt);
  if (!KEY_ID_PATTERN.test(keyId)) throw new ProtectionError('DECRYPT_FAILED', 'the envelope names a malformed key id');
  return {
    version,
    keyId,
    nonce: bytes.subarray(nonceAt, nonceAt + NONCE_BYTES),
    ciphertext: bytes.subarray(nonceAt + NONCE_BYTES, bytes.length - TAG_BYTES),
    tag: bytes.subarray(bytes.length - TAG_BYTES),
  };
}

/** Opens an envelope sealed for this place; the key id comes from the envelope (the caller chose the key by it). */
export function open(key: Uint8Array, field: FieldRef, envelope: Uint8Array | ParsedEnvelope): Buffer {
  const parsed = envelope instanceof Uint8Array ? parseEnvelope(envelope) : envelope;
  return gcmDecrypt(key, parsed, encodeAssociatedData({ ...field, keyId: parsed.keyId }, parsed.version));
}

/** An envelope as text for TEXT columns: unpadded base64url. */
export function envelopeToText(envelope: Uint8Array): string {
  return Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength).toString('base64url');
}

/**
 * Reads envelope text strictly: Node's base64 decoder skips foreign characters and ignores unused
 * trailing bits, so an altered text could otherwise decode to the very same bytes.
 */
export function envelopeFromText(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (!/^[A-Za-z0-9_-]*$/.test(text) || bytes.toString('base64url') !== text) {
    throw new ProtectionError('DECRYPT_FAILED', 'the stored ciphertext is not canonical base64url');
  }
  return bytes;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new ProtectionError('INVALID_INPUT', `AES-256 keys are ${KEY_BYTES} bytes`);
}
