import { describe, expect, it } from 'vitest';
import { DEVICE_CLASSES, deviceClassOf, type DeviceClass } from './device-class.js';

// Real User-Agent strings, as browsers and tools send them.
const UAS: [string, string, DeviceClass][] = [
  [
    'iPhone Safari',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    'ios',
  ],
  ['iPad Safari', 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1', 'ios'],
  [
    'iPadOS Safari asking for the desktop site',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'ios',
  ],
  ['Android Chrome', 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36', 'android'],
  [
    'WeChat in-app browser on Android',
    'Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110005 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64',
    'android',
  ],
  ['Windows Chrome', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36', 'desktop'],
  ['macOS Safari', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'desktop'],
  ['Linux Firefox', 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'desktop'],
  ['HeadlessChrome on Linux', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/125.0.6422.26 Safari/537.36', 'desktop'],
  ['ChromeOS Chrome', 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36', 'desktop'],
  ['curl', 'curl/8.5.0', 'other'],
];

describe('deviceClassOf', () => {
  it.each(UAS)('%s', (_name, ua, expected) => {
    expect(deviceClassOf(ua)).toBe(expected);
  });

  it('answers other for no header or an empty one', () => {
    expect(deviceClassOf(undefined)).toBe('other');
    expect(deviceClassOf('')).toBe('other');
  });

  it('looks only at the first 512 characters, however long the header', () => {
    const padding = 'x'.repeat(512);
    expect(deviceClassOf(`${padding}(iPhone; CPU iPhone OS 17_5 like Mac OS X)`)).toBe('other');
    expect(deviceClassOf(`Mozilla/5.0 (Linux; Android 10; K) ${'y'.repeat(1_000_000)}`)).toBe('android');
  });

  it('only ever answers one of DEVICE_CLASSES', () => {
    for (const [, ua] of UAS) expect(DEVICE_CLASSES).toContain(deviceClassOf(ua));
  });
});
