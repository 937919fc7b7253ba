import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_ID_PATTERN, DEVICE_STORAGE_KEY, deviceId, forgetDeviceId, newDeviceId, resetDeviceMemoryForTests, storedDeviceId, type DeviceStorage } from './device.ts';

class FakeStorage implements DeviceStorage {
  readonly data = new Map<string, string>();
  writes = 0;
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.writes++;
    this.data.set(key, value);
  }
}

const blocked: DeviceStorage = {
  getItem: () => {
    throw new DOMException('blocked', 'SecurityError');
  },
  setItem: () => {
    throw new DOMException('blocked', 'SecurityError');
  },
};

afterEach(() => resetDeviceMemoryForTests());

describe('device id', () => {
  it('is 128 random bits as base64url: 22 characters the server accepts', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = newDeviceId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(id).toMatch(DEVICE_ID_PATTERN);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
  });

  it('is not created just by looking', () => {
    const storage = new FakeStorage();
    expect(storedDeviceId(storage)).toBeNull();
    expect(storage.writes).toBe(0);
    expect(storage.data.size).toBe(0);
  });

  it('is created on first need, kept in localStorage qingliu.device, and reused', () => {
    const storage = new FakeStorage();
    const id = deviceId(storage);
    expect(storage.data.get(DEVICE_STORAGE_KEY)).toBe(id);
    expect(DEVICE_STORAGE_KEY).toBe('qingliu.device');
    expect(deviceId(storage)).toBe(id);
    expect(storedDeviceId(storage)).toBe(id);
    expect(storage.writes).toBe(1);
  });

  it('is forgotten after an erasure, so the next decision starts under a new id', () => {
    const storage = new FakeStorage();
    const first = deviceId(storage);
    forgetDeviceId(Object.assign(storage, { removeItem: (key: string) => void storage.data.delete(key) }));
    expect(storedDeviceId(storage)).toBeNull();
    expect(deviceId(storage)).not.toBe(first);
  });

  it('replaces a stored value the server would refuse', () => {
    const storage = new FakeStorage();
    storage.data.set(DEVICE_STORAGE_KEY, 'short');
    expect(storedDeviceId(storage)).toBeNull();
    const id = deviceId(storage);
    expect(id).toMatch(DEVICE_ID_PATTERN);
    expect(storage.data.get(DEVICE_STORAGE_KEY)).toBe(id);
  });

  it('lives for the page view when storage is blocked or missing', () => {
    expect(storedDeviceId(blocked)).toBeNull();
    const id = deviceId(blocked);
    expect(id).toMatch(DEVICE_ID_PATTERN);
    expect(deviceId(blocked)).toBe(id);
    expect(deviceId(undefined)).toBe(id);
  });
});
