import { createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENVELOPE_VERSION,
  KEY_ID_PATTERN,
  NONCE_BYTES,
  TAG_BYTES,
  encodeAssociatedData,
  envelopeFromText,
  envelopeToText,
  gcmDecrypt,
  gcmEncrypt,
  gcmEncryptWithNonce,
  open,
  parseEnvelope,
  seal,
  type Binding,
} from './aead.js';
import { ProtectionError } from './errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/**
 * AES-256 test cases 13–16 of McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", the
 * specification NIST SP 800-38D is built on (appendix B), as carried in Nettle's
 * testsuite/gcm-test.c (gnutls/nettle); TC16 also matches tomatencrypt/buffer-aead's copy.
 */
const GCM_SPEC_VECTORS = [
  {
    name: 'Test Case 13 (zero key, empty plaintext)',
    key: hex('00'.repeat(32)),
    iv: hex('00'.repeat(12)),
    aad: hex(''),
    plaintext: hex(''),
    ciphertext: hex(''),
    tag: hex('530f8afbc74536b9a963b4f1c4cb738b'),
  },
  {
    name: 'Test Case 14 (zero key, one zero block)',
    key: hex('00'.repeat(32)),
    iv: hex('00'.repeat(12)),
    aad: hex(''),
    plaintext: hex('00'.repeat(16)),
    ciphertext: hex('cea7403d4d606b6e074ec5d3baf39d18'),
    tag: hex('d0d1c8a799996bf0265b98b5d48ab919'),
  },
  {
    name: 'Test Case 15 (four blocks, no AAD)',
    key: hex('feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308'),
    iv: hex('cafebabefacedbaddecaf888'),
    aad: hex(''),
    plaintext: hex(`d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
                    1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255`),
    ciphertext: hex(`522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa
                     8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662898015ad`),
    tag: hex('b094dac5d93471bdec1a502270e3cc6c'),
  },
  {
    name: 'Test Case 16 (60 bytes, 20 bytes of AAD)',
    key: hex('feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308'),
    iv: hex('cafebabefacedbaddecaf888'),
    aad: hex('feedfacedeadbeeffeedfacedeadbeef abaddad2'),
    plaintext: hex(`d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
                    1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b39`),
    ciphertext: hex(`522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa
                     8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662`),
    tag: hex('76fc6ece0f4e1768cddf8853bb2d551b'),
  },
];

const decryptFails = (fn: () => unknown) => {
  expect(fn).toThrow(ProtectionError);
  try {
    fn();
  } catch (err) {
    expect((err as ProtectionError).code).toBe('DECRYPT_FAILED');
  }
};

// Arbitraries
const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));
const plaintext = fc.uint8Array({ minLength: 0, maxLength: 512 }).map((a) => Buffer.from(a));
const label = fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme' });
const keyId = fc.stringMatching(KEY_ID_PATTERN);
const binding: fc.Arbitrary<Binding> = fc.record({ table: label, column: label, rowId: label, keyId });
const flip = fc.integer({ min: 1, max: 255 });

describe('AES-256-GCM known answers', () => {
  for (const v of GCM_SPEC_VECTORS) {
    it(`${v.name}: encrypts to the published ciphertext and tag, and decrypts back`, () => {
      const out = gcmEncryptWithNonce(v.key, v.iv, v.plaintext, v.aad);
      expect(out.ciphertext.toString('hex')).toBe(v.ciphertext.toString('hex'));
      expect(out.tag.toString('hex')).toBe(v.tag.toString('hex'));
      expect(gcmDecrypt(v.key, { nonce: v.iv, ciphertext: v.ciphertext, tag: v.tag }, v.aad).toString('hex')).toBe(v.plaintext.toString('hex'));
    });
  }

  it('refuses a truncated published tag, though plain Node 20 would accept it without authTagLength', () => {
    const v = GCM_SPEC_VECTORS[3]!;
    for (const length of [4, 8, 12, 15]) {
      decryptFails(() => gcmDecrypt(v.key, { nonce: v.iv, ciphertext: v.ciphertext, tag: v.tag.subarray(0, length) }, v.aad));
    }
    // The pitfall being guarded against (DEP0182): only documented on Node 20, an error from Node 26.
    if (Number(process.versions.node.split('.')[0]) === 20) {
      const d = createDecipheriv('aes-256-gcm', v.key, v.iv);
      d.setAAD(v.aad);
      d.setAuthTag(v.tag.subarray(0, 4));
      expect(Buffer.concat([d.update(v.ciphertext), d.final()]).equals(v.plaintext)).toBe(true);
    }
  });
});

describe('envelope seal/open (properties)', () => {
  it('round-trips any plaintext for any binding', () => {
    fc.assert(
      fc.property(key, binding, plaintext, (k, b, p) => {
        const envelope = seal(k, b, p);
        expect(envelope.length).toBe(2 + b.keyId.length + NONCE_BYTES + p.length + TAG_BYTES);
        expect(envelope[0]).toBe(ENVELOPE_VERSION);
        expect(parseEnvelope(envelope).keyId).toBe(b.keyId);
        expect(open(k, b, envelope).equals(p)).toBe(true);
      }),
    );
  });

  it('fails on any flipped byte anywhere in the envelope (header, nonce, ciphertext, tag)', () => {
    fc.assert(
      fc.property(key, binding, plaintext, fc.nat(), flip, (k, b, p, at, mask) => {
        const envelope = seal(k, b, p);
        const i = at % envelope.length;
        envelope[i]! ^= mask;
        decryptFails(() => open(k, b, envelope));
      }),
    );
  });

  it('fails on any flipped byte of the nonce, of the ciphertext and of the tag, each region targeted', () => {
    fc.assert(
      fc.property(key, binding, plaintext, fc.constantFrom('nonce', 'ciphertext', 'tag'), fc.nat(), flip, (k, b, p, region, at, mask) => {
        fc.pre(region !== 'ciphertext' || p.length > 0);
        const envelope = seal(k, b, p);
        const nonceAt = 2 + b.keyId.length;
        const [start, length] =
          region === 'nonce' ? [nonceAt, NONCE_BYTES] : region === 'ciphertext' ? [nonceAt + NONCE_BYTES, p.length] : [envelope.length - TAG_BYTES, TAG_BYTES];
        envelope[start + (at % length)]! ^= mask;
        decryptFails(() => open(k, b, envelope));
      }),
    );
  });

  it('fails on any flipped byte of the associated data', () => {
    fc.assert(
      fc.property(key, binding, plaintext, fc.nat(), flip, (k, b, p, at, mask) => {
        const aad = encodeAssociatedData(b);
        const parts = gcmEncrypt(k, p, aad);
        expect(gcmDecrypt(k, parts, aad).equals(p)).toBe(true);
        const altered = Buffer.from(aad);
        altered[at % altered.length]! ^= mask;
        decryptFails(() => gcmDecrypt(k, parts, altered));
      }),
    );
  });

  it('fails when opened for another table, column or row', () => {
    fc.assert(
      fc.property(key, binding, plaintext, fc.constantFrom('table', 'column', 'rowId'), label, (k, b, p, which, other) => {
        fc.pre(other !== b[which]);
        const envelope = seal(k, b, p);
        decryptFails(() => open(k, { ...b, [which]: other }, envelope));
      }),
    );
  });

  it('fails when the tag is truncated by any number of bytes', () => {
    fc.assert(
      fc.property(key, binding, plaintext, fc.integer({ min: 1, max: TAG_BYTES }), (k, b, p, cut) => {
        const envelope = seal(k, b, p);
        decryptFails(() => open(k, b, envelope.subarray(0, envelope.length - cut)));
      }),
    );
  });

  it('fails under any other key', () => {
    fc.assert(
      fc.property(key, key, binding, plaintext, (k1, k2, b, p) => {
        fc.pre(!k1.equals(k2));
        decryptFails(() => open(k2, b, seal(k1, b, p)));
      }),
    );
  });

  it('gives different ciphertexts (and nonces) for the same plaintext', () => {
    fc.assert(
      fc.property(key, binding, plaintext, (k, b, p) => {
        const a = parseEnvelope(seal(k, b, p));
        const c = parseEnvelope(seal(k, b, p));
        expect(a.nonce.equals(c.nonce)).toBe(false);
        expect(Buffer.concat([a.ciphertext, a.tag]).equals(Buffer.concat([c.ciphertext, c.tag]))).toBe(false);
      }),
    );
  });
});

describe('associated data encoding', () => {
  it('is injective: two bindings share an encoding only if they are equal', () => {
    fc.assert(
      fc.property(binding, binding, (a, b) => {
        const same = a.table === b.table && a.column === b.column && a.rowId === b.rowId && a.keyId === b.keyId;
        expect(encodeAssociatedData(a).equals(encodeAssociatedData(b))).toBe(same);
      }),
    );
    // Moving a separator between fields changes the encoding.
    expect(encodeAssociatedData({ table: 'a|b', column: 'c', rowId: 'r', keyId: 'k' }).equals(encodeAssociatedData({ table: 'a', column: 'b|c', rowId: 'r', keyId: 'k' }))).toBe(false);
  });

  it('refuses empty fields and lone surrogates (which UTF-8 would merge into U+FFFD)', () => {
    expect(() => encodeAssociatedData({ table: '', column: 'c', rowId: 'r', keyId: 'k' })).toThrow(/table/);
    expect(() => encodeAssociatedData({ table: 't', column: 'c', rowId: '\uD800', keyId: 'k' })).toThrow(/well-formed/);
    expect(() => encodeAssociatedData({ table: 't', column: 'c', rowId: '😀', keyId: 'k' })).not.toThrow();
  });
});

describe('envelope parsing and text form', () => {
  it('refuses unknown versions, short input and malformed key ids as DECRYPT_FAILED', () => {
    const k = randomBytes(32);
    const b = { table: 't', column: 'c', rowId: '1', keyId: 'key-1' };
    const envelope = seal(k, b, Buffer.from('x'));
    decryptFails(() => parseEnvelope(Buffer.concat([Buffer.from([2]), envelope.subarray(1)])));
    decryptFails(() => parseEnvelope(envelope.subarray(0, 20)));
    const badId = Buffer.from(envelope);
    badId[2] = 0x20; // a space is not allowed in a key id
    decryptFails(() => parseEnvelope(badId));
    expect(() => seal(k, { ...b, keyId: 'has space' }, Buffer.alloc(0))).toThrow(ProtectionError);
  });

  it('round-trips through text, and refuses any altered text even where base64 would ignore the change', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_!='), (bytes, at, ch) => {
        const text = envelopeToText(bytes);
        expect(envelopeFromText(text).equals(Buffer.from(bytes))).toBe(true);
        const i = at % text.length;
        fc.pre(text[i] !== ch);
        const altered = text.slice(0, i) + ch + text.slice(i + 1);
        let decoded: Buffer | undefined;
        try {
          decoded = envelopeFromText(altered);
        } catch (err) {
          expect((err as ProtectionError).code).toBe('DECRYPT_FAILED');
        }
        if (decoded) expect(decoded.equals(Buffer.from(bytes))).toBe(false);
      }),
    );
  });
});
