import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, decodeEntry, encodeEntry, recordProblems, type AccessEntry } from './entry.js';

const entry = (over: Partial<AccessEntry> = {}): AccessEntry => ({
  seq: 7,
  at: '2026-02-01T08:00:00.000Z',
  actor: { id: 'staff-1', role: 'compliance' },
  action: 'export',
  subject: 'vp_3f9a0c1d',
  purpose: 'rights-request',
  requestId: 'req-1',
  ...over,
});

describe('access-log entries', () => {
  it('encode as canonical JSON (sorted keys, no spaces) and decode back', () => {
    const text = encodeEntry(entry());
    expect(text).toBe(
      '{"action":"export","actor":{"id":"staff-1","role":"compliance"},"at":"2026-02-01T08:00:00.000Z","purpose":"rights-request","requestId":"req-1","seq":7,"subject":"vp_3f9a0c1d"}',
    );
    expect(decodeEntry(text)).toEqual(entry());
  });

  it('decode refuses any other encoding of the same entry, extra fields and bad values', () => {
    const canonical = encodeEntry(entry());
    const parsed = JSON.parse(canonical) as Record<string, unknown>;
    expect(decodeEntry(JSON.stringify(parsed, null, 1))).toBeUndefined();
    expect(decodeEntry(JSON.stringify({ seq: 7, ...parsed }))).toBeUndefined(); // other key order
    expect(decodeEntry(canonicalJson({ ...parsed, note: 'x' }))).toBeUndefined();
    expect(decodeEntry(canonicalJson({ ...parsed, actor: { id: 'staff-1', role: 'compliance', name: 'Anna' } }))).toBeUndefined();
    expect(decodeEntry(canonicalJson({ ...parsed, seq: -1 }))).toBeUndefined();
    expect(decodeEntry(canonicalJson({ ...parsed, action: 'peek' }))).toBeUndefined();
    expect(decodeEntry(canonicalJson({ ...parsed, at: '2026-02-01 08:00' }))).toBeUndefined();
    expect(decodeEntry('not json')).toBeUndefined();
    expect(decodeEntry('[]')).toBeUndefined();
  });

  it('refuse personal data as the subject and free text as the purpose', () => {
    for (const subject of ['13800138000', '+8613800138000', '11010519491231002X', '110105194912310021', 'anna@example.com', '张三', 'Zhang San', '', 'x'.repeat(129)]) {
      expect(recordProblems({ action: 'read', subject, purpose: 'customer-support' }).map((p) => p.field), subject).toEqual(['subject']);
    }
    for (const subject of ['vp_3f9a0c1d', 'v1:9b2e7d61c0aa', 'anon-42']) {
      expect(recordProblems({ action: 'read', subject, purpose: 'customer-support' }), subject).toEqual([]);
    }
    expect(recordProblems({ action: 'read', subject: 'vp_1a', purpose: 'Customer asked on 13800138000' }).map((p) => p.field)).toEqual(['purpose']);
    expect(recordProblems({ action: 'peek' as 'read', subject: 'vp_1a', purpose: 'audit' }).map((p) => p.field)).toEqual(['action']);
  });

  it('any printable request id and actor id stay on one line and round-trip (no log injection)', () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 128 });
    fc.assert(
      fc.property(printable, printable, fc.nat(), (requestId, id, seq) => {
        const e = entry({ requestId, actor: { id, role: 'admin' }, seq });
        const text = encodeEntry(e);
        expect(text).not.toMatch(/[\r\n]/);
        expect(decodeEntry(text)).toEqual(e);
      }),
      { numRuns: 300 },
    );
  });

  it('canonical JSON sorts keys at every depth and holds integers only', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: null, y: true }], c: 's' } })).toBe('{"a":{"c":"s","d":[2,{"y":true,"z":null}]},"b":1}');
    expect(() => canonicalJson({ a: 1.5 })).toThrow(TypeError);
    expect(() => canonicalJson({ a: 2 ** 53 })).toThrow(TypeError);
  });
});
