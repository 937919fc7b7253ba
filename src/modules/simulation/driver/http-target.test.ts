/**
 * The HTTP adapter's own rules: which servers count as loopback (whose viewers can be spread over
 * 127.0.0.0/8 source addresses), the addresses used, and the pacer that keeps every address within
 * a route's limit over any 61-second window (so a server's fixed one-minute windows never overflow).
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_ADDRESSES, createHttpTarget, isLoopbackHost, loopbackAddress, Pacer, PACING_WINDOW_MS } from './http-target.js';

describe('loopback addresses', () => {
  it('treats 127.0.0.0/8 and localhost as loopback, nothing else', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.8.9.10')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    expect(isLoopbackHost('example.com')).toBe(false);
    expect(isLoopbackHost('::1')).toBe(false);
  });

  it('gives every slot its own 127.77.x.y address', () => {
    const all = new Set(Array.from({ length: CLIENT_ADDRESSES }, (_, i) => loopbackAddress(i)));
    expect(all.size).toBe(CLIENT_ADDRESSES);
    for (const a of all) expect(a).toMatch(/^127\.77\.\d{1,3}\.\d{1,3}$/);
    expect(loopbackAddress(0)).toBe('127.77.0.1');
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => createHttpTarget({ url: 'ftp://example.com' })).toThrow(/not an http\(s\) URL/);
    expect(() => createHttpTarget({ url: 'not a url' })).toThrow(/not a URL/);
  });
});

describe('Pacer', () => {
  it('lets `limit` sends through in any window, then says how long to wait for the oldest to leave it', () => {
    let now = 1_000_000;
    const pacer = new Pacer(PACING_WINDOW_MS, () => now);
    for (let i = 0; i < 30; i++) {
      expect(pacer.delay('a|consent', 30)).toBe(0);
      pacer.record('a|consent');
      now += 100;
    }
    // The 31st must wait until the first send is a window old.
    expect(pacer.delay('a|consent', 30)).toBe(1_000_000 + PACING_WINDOW_MS - now + 1);
    // Another key (address or route) is not held back.
    expect(pacer.delay('b|consent', 30)).toBe(0);
    now = 1_000_000 + PACING_WINDOW_MS + 1;
    expect(pacer.delay('a|consent', 30)).toBe(0);
  });

  it('never lets a fixed one-minute window see more than the limit, whatever the server’s window start', async () => {
    // The send times are those the pacer records (read from its own clock), not when the awaiting
    // callbacks happen to resume: on a busy machine a resumption can lag its send by a millisecond.
    let last = 0;
    const sent: number[] = [];
    class RecordingPacer extends Pacer {
      override record(key: string): void {
        super.record(key);
        sent.push(last);
      }
    }
    const pacer = new RecordingPacer(300, () => (last = Date.now()));
    await Promise.all(Array.from({ length: 12 }, () => pacer.take('k', 4)));
    sent.sort((a, b) => a - b);
    for (let i = 0; i + 4 < sent.length; i++) expect(sent[i + 4]! - sent[i]!).toBeGreaterThanOrEqual(300);
    expect(pacer.held).toBeGreaterThan(0);
    expect(pacer.waitedMs).toBeGreaterThan(0);
  });
});
