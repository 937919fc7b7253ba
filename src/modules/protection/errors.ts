/**
 * The protection module's faults. All are thrown, never returned: a value that cannot be opened is
 * never handed back as data. Messages name files, key ids and counts only, never personal data,
 * never key material.
 */
export type ProtectionErrorCode =
  /** The ciphertext, its tag, its nonce or its binding (table, column, row, key id) was altered, or the key is wrong. */
  | 'DECRYPT_FAILED'
  /** The subject was erased: its data key is gone, so the value can never be opened again. */
  | 'DATA_KEY_DESTROYED'
  /** No data key exists for the subject or the key id the ciphertext names. */
  | 'DATA_KEY_UNKNOWN'
  /** A wrapped data key names a key-encryption key the provider does not hold. */
  | 'KEK_UNKNOWN'
  /** Key material the database needs is missing: start-up stops; nothing is regenerated. */
  | 'KEY_MATERIAL_MISSING'
  /** Key material exists but cannot be read, is not a valid keyring, or is group/world accessible. */
  | 'KEY_MATERIAL_UNREADABLE'
  /** A new keyring file cannot be created where it is configured (the folder cannot be made or written). */
  | 'KEY_FILE_UNWRITABLE'
  /** The key material given is not the one this database's data was protected with. */
  | 'KEY_MATERIAL_MISMATCH'
  /** The provider cannot do this (an environment-supplied keyring cannot add or retire keys). */
  | 'KEY_PROVIDER_UNSUPPORTED'
  /** Another process is changing the keyring file right now. */
  | 'KEYRING_BUSY'
  /** A caller passed something malformed (empty field name, bad label …). */
  | 'INVALID_INPUT';

const STARTUP_CODES: ReadonlySet<ProtectionErrorCode> = new Set(['KEY_MATERIAL_MISSING', 'KEY_MATERIAL_UNREADABLE', 'KEY_FILE_UNWRITABLE', 'KEY_MATERIAL_MISMATCH']);

export class ProtectionError extends Error {
  readonly code: ProtectionErrorCode;
  constructor(code: ProtectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtectionError';
    this.code = code;
  }

  /** True for the errors that must stop start-up with their one message (key material problems). */
  get stopsStartup(): boolean {
    return STARTUP_CODES.has(this.code);
  }
}

export function isProtectionError(err: unknown, code?: ProtectionErrorCode): err is ProtectionError {
  return err instanceof ProtectionError && (code === undefined || err.code === code);
}
