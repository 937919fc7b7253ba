import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtectionError } from './errors.js';
import { PseudonymKeys, derivePseudonymKey, keyCheckValue, keyedPseudonym } from './pseudonyms.js';

const ROOT = Buffer.from([...Array(32).keys()]); // 00 01 … 1f
const root = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));
const labelArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/);
const deviceId = fc.string({ minLength: 1, maxLength: 64 });

describe('primitives (RFC vectors)', () => {
  it('HMAC-SHA-256 matches RFC 4231 test case 2', () => {
    expect(createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('HKDF-SHA-256 matches RFC 5869 test case 1', () => {
    const okm = hkdfSync('sha256', Buffer.alloc(22, 0x0b), Buffer.from('000102030405060708090a0b0c', 'hex'), Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'), 42);
    expect(Buffer.from(okm).toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
});

describe('keyed pseudonyms', () => {
  it('are pinned: a change to the derivation would orphan every stored pseudonym', () => {
    // Cross-checked with an independent Python hmac/hashlib implementation of RFC 5869 + HMAC.
    const keys = new PseudonymKeys(ROOT);
    expect(keys.pseudonym('device-123', 'recommendations', 'cn')).toBe('UE435eKyYOlZVhKczasc53vs1UngMULWpqQBdLqFABk');
    expect(keys.subject('device-123', 'cn')).toBe('0XqMenqdt3xjUoVjc7MShHFuzT6_AEQb91DLEGhXFPk');
    expect(keyCheckValue(ROOT)).toBe('YpegyVIjQ2DaO7DYiCWmtQ');
  });

  it('are deterministic 43-character base64url strings', () => {
    fc.assert(
      fc.property(root, deviceId, labelArb, labelArb, (r, d, purpose, region) => {
        const a = new PseudonymKeys(r).pseudonym(d, purpose, region);
        expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(new PseudonymKeys(r).pseudonym(d, purpose, region)).toBe(a);
      }),
    );
  });

  it('differ per purpose, per region, per root, and from the subject id', () => {
    fc.assert(
      fc.property(root, root, deviceId, labelArb, labelArb, labelArb, labelArb, (r1, r2, d, p1, p2, g1, g2) => {
        const k = new PseudonymKeys(r1);
        if (p1 !== p2) expect(k.pseudonym(d, p1, g1)).not.toBe(k.pseudonym(d, p2, g1));
        if (g1 !== g2) expect(k.pseudonym(d, p1, g1)).not.toBe(k.pseudonym(d, p1, g2));
        if (!r1.equals(r2)) expect(new PseudonymKeys(r2).pseudonym(d, p1, g1)).not.toBe(k.pseudonym(d, p1, g1));
        expect(k.subject(d, g1)).not.toBe(k.pseudonym(d, p1, g1));
      }),
    );
  });

  it('use a key of their own per (purpose, region), never the root itself', () => {
    const key = derivePseudonymKey(ROOT, 'analytics', 'cn');
    expect(key.equals(ROOT)).toBe(false);
    expect(keyedPseudonym(key, 'd')).not.toBe(createHmac('sha256', ROOT).update('d').digest('base64url'));
    // (purpose, region) pairs cannot run together: "a-b"/"c" and "a"/"b-c" give different keys.
    expect(derivePseudonymKey(ROOT, 'a-b', 'c').equals(derivePseudonymKey(ROOT, 'a', 'b-c'))).toBe(false);
  });

  it('refuse bad labels, empty or huge device ids and short roots', () => {
    const k = new PseudonymKeys(randomBytes(32));
    for (const bad of ['', 'Upper', '1st', 'has space', 'x'.repeat(33), 'a/b']) {
      expect(() => k.pseudonym('d', bad, 'cn')).toThrow(ProtectionError);
      expect(() => k.pseudonym('d', 'ok', bad)).toThrow(ProtectionError);
    }
    expect(() => k.pseudonym('', 'ok', 'cn')).toThrow(ProtectionError);
    expect(() => k.pseudonym('x'.repeat(513), 'ok', 'cn')).toThrow(ProtectionError);
    expect(() => new PseudonymKeys(randomBytes(16))).toThrow(ProtectionError);
  });
});
