/**
 * Protected storage (S2): personal values sealed with AES-256-GCM under per-subject data keys that a
 * key-encryption key wraps; erasure by destroying the data key; keyed pseudonyms per purpose and
 * region, with the device id ↔ pseudonym mapping kept apart.
 */
export {
  ProtectionService,
  startProtection,
  openKeyProvider,
  checkKeyMaterial,
  PROTECTION_DEFAULTS,
  type KeySource,
  type ProtectionDeps,
  type ProtectionOptions,
  type RotationReport,
  type ShredReport,
  type DeviceMapping,
} from './service.js';
export { KyselyDataKeyStore, KyselyPseudonymStore } from './adapters/protection.kysely.js';
export { LocalFileKeyProvider, EnvKeyProvider, type EnvKeyMaterial, type LocalFileKeyProviderOptions } from './key-provider.js';
export { ProtectionError, isProtectionError, type ProtectionErrorCode } from './errors.js';
export { envelopeFromText, envelopeToText, type FieldRef } from './aead.js';
export { LABEL_PATTERN } from './pseudonyms.js';
export type * from './ports.js';
