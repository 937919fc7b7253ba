/**
 * This browser's device id for consent: 128 random bits as base64url (22 characters), kept in
 * localStorage `qingliu.device`. It is created only when first needed — when the viewer makes a
 * consent decision — so a viewer who never decides never gets one. It is sent only to the consent and
 * privacy API (the `x-qingliu-device` header, or `deviceId` in the decision body); the server keeps a
 * keyed pseudonym of it, never the id itself.
 */
export const DEVICE_STORAGE_KEY = 'qingliu.device';
export const DEVICE_HEADER = 'x-qingliu-device';
/** What the server accepts (src/modules/consent/routes.ts). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** The part of Storage used here, so tests can pass a fake. */
export type DeviceStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** When storage is blocked (private mode, sandboxed frame) the id lives for this page view only. */
let memoryId: string | null = null;

export function newDeviceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function defaultStorage(): DeviceStorage | undefined {
  try {
    return globalThis.localStorage ?? undefined; // the getter itself can throw
  } catch {
    return undefined;
  }
}

/** The stored id, or null when this browser has none yet (nothing is created). */
export function storedDeviceId(storage: DeviceStorage | undefined = defaultStorage()): string | null {
  try {
    const value = storage?.getItem(DEVICE_STORAGE_KEY) ?? null;
    if (value !== null && DEVICE_ID_PATTERN.test(value)) return value;
  } catch {
    // blocked: fall through to this page view's id, if any
  }
  return memoryId;
}

/** The stored id, created and stored on first need. */
export function deviceId(storage: DeviceStorage | undefined = defaultStorage()): string {
  const existing = storedDeviceId(storage);
  if (existing) return existing;
  const id = newDeviceId();
  try {
    if (!storage) throw new Error('no storage');
    storage.setItem(DEVICE_STORAGE_KEY, id);
    if (storage.getItem(DEVICE_STORAGE_KEY) !== id) throw new Error('not kept');
  } catch {
    memoryId = id;
  }
  return id;
}

/**
 * After the viewer erased their data: this browser forgets its id, so whatever comes next starts
 * from nothing (a new id, a new consent question) rather than under the erased one.
 */
export function forgetDeviceId(storage: (DeviceStorage & Partial<Pick<Storage, 'removeItem'>>) | undefined = defaultStorage()): void {
  memoryId = null;
  try {
    storage?.removeItem?.(DEVICE_STORAGE_KEY);
  } catch {
    // blocked storage held nothing
  }
}

/** Tests only: forget the page-view id. */
export function resetDeviceMemoryForTests(): void {
  memoryId = null;
}
