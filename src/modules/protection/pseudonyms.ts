/**
 * Keyed pseudonyms (S2): HMAC-SHA-256 of the raw device id under a key of its own for every
 * (purpose, region), so pseudonyms of one purpose cannot be joined with another's, nor across
 * regions. Each key is derived with HKDF-SHA-256 (RFC 5869) from the pseudonym root key the
 * KeyProvider holds; the root is never used for anything else (never for encryption).
 *
 * The viewer's subject id (whose data key protects their values) is a pseudonym too, under its own
 * derived key, so it reveals nothing about the device id.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { ProtectionError } from './errors.js';

/** Purposes and regions: lower-case labels such as `recommendations`, `analytics`, `cn`. */
export const LABEL_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
export const MAX_DEVICE_ID_LENGTH = 512;
const ROOT_KEY_BYTES = 32;

const SALT_PSEUDONYM = Buffer.from('qingliu/pseudonym/v1', 'ascii');
const SALT_SUBJECT = Buffer.from('qingliu/subject/v1', 'ascii');
const SALT_KEY_CHECK = Buffer.from('qingliu/key-check/v1', 'ascii');

export function checkLabel(kind: 'purpose' | 'region', value: string): void {
  if (typeof value !== 'string' || !LABEL_PATTERN.test(value)) {
    throw new ProtectionError('INVALID_INPUT', `${kind} must be a lower-case label of 1–32 characters (a–z, 0–9, -)`);
  }
}

/** Length-prefixed so that (purpose, region) pairs can never collide as one string. */
function info(...parts: string[]): Buffer {
  return Buffer.concat(parts.flatMap((p) => {
    const bytes = Buffer.from(p, 'utf8');
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.length);
    return [length, bytes];
  }));
}

function hkdf(root: Uint8Array, salt: Buffer, infoBytes: Buffer): Buffer {
  if (root.length !== ROOT_KEY_BYTES) throw new ProtectionError('INVALID_INPUT', `the pseudonym root key must be ${ROOT_KEY_BYTES} bytes`);
  return Buffer.from(hkdfSync('sha256', root, salt, infoBytes, 32));
}

/** The HMAC key for one (purpose, region). */
export function derivePseudonymKey(root: Uint8Array, purpose: string, region: string): Buffer {
  checkLabel('purpose', purpose);
  checkLabel('region', region);
  return hkdf(root, SALT_PSEUDONYM, info(purpose, region));
}

/** The HMAC key for subject ids in one region. */
export function deriveSubjectKey(root: Uint8Array, region: string): Buffer {
  checkLabel('region', region);
  return hkdf(root, SALT_SUBJECT, info(region));
}

/** HMAC-SHA-256(key, device id) as unpadded base64url (43 characters). */
export function keyedPseudonym(key: Uint8Array, deviceId: string): string {
  checkDeviceId(deviceId);
  return createHmac('sha256', key).update(deviceId, 'utf8').digest('base64url');
}

export function checkDeviceId(deviceId: string): void {
  if (typeof deviceId !== 'string' || deviceId.length === 0 || deviceId.length > MAX_DEVICE_ID_LENGTH) {
    throw new ProtectionError('INVALID_INPUT', `device ids are 1–${MAX_DEVICE_ID_LENGTH} characters`);
  }
}

/**
 * A one-way check value of the pseudonym root, stored in the database when its key material is
 * first used: a later start with different key material is refused instead of silently producing
 * pseudonyms that match nothing already stored.
 */
export function keyCheckValue(root: Uint8Array): string {
  const key = hkdf(root, SALT_KEY_CHECK, Buffer.alloc(0));
  return createHmac('sha256', key).update('qingliu key check').digest().subarray(0, 16).toString('base64url');
}

/** Derived keys cached per (purpose, region); the root stays with whoever built this. */
export class PseudonymKeys {
  readonly #root: Buffer;
  readonly #keys = new Map<string, Buffer>();

  constructor(root: Uint8Array) {
    if (root.length !== ROOT_KEY_BYTES) throw new ProtectionError('INVALID_INPUT', `the pseudonym root key must be ${ROOT_KEY_BYTES} bytes`);
    this.#root = Buffer.from(root);
  }

  pseudonym(deviceId: string, purpose: string, region: string): string {
    const id = `p\u0000${purpose}\u0000${region}`;
    let key = this.#keys.get(id);
    if (!key) {
      key = derivePseudonymKey(this.#root, purpose, region);
      this.#keys.set(id, key);
    }
    return keyedPseudonym(key, deviceId);
  }

  subject(deviceId: string, region: string): string {
    const id = `s\u0000${region}`;
    let key = this.#keys.get(id);
    if (!key) {
      key = deriveSubjectKey(this.#root, region);
      this.#keys.set(id, key);
    }
    return keyedPseudonym(key, deviceId);
  }
}
