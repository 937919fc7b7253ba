import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashPassword, OWASP_SCRYPT, verifyPassword } from './password.js';

// A low cost keeps the property test quick; the format and code path are the production ones.
const LIGHT = { N: 1024, r: 8, p: 1 };

describe('password hashing', () => {
  it('uses OWASP scrypt parameters by default and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash.startsWith(`scrypt$${OWASP_SCRYPT.N}$8$1$`)).toBe(true);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password', LIGHT)).not.toBe(await hashPassword('same password', LIGHT));
  });

  it('round-trips any password and rejects any other', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), async (a, b) => {
        const hash = await hashPassword(a, LIGHT);
        expect(await verifyPassword(a, hash)).toBe(true);
        if (a.normalize('NFKC') !== b.normalize('NFKC')) expect(await verifyPassword(b, hash)).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses malformed stored hashes instead of throwing', async () => {
    for (const bad of ['', 'plain', 'scrypt$0$8$1$a$b', 'bcrypt$x$y$z$a$b']) expect(await verifyPassword('x', bad)).toBe(false);
  });
});
