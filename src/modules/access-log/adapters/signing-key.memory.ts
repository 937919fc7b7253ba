/** A SigningKeyStore in memory, for tests: starts empty (or with a given key) and can lose its key. */
import { generateKeyPairSync } from 'node:crypto';
import { ed25519Key } from '../signing.js';
import type { SigningKey, SigningKeyStore } from '../ports.js';

export class MemorySigningKeyStore implements SigningKeyStore {
  readonly location = 'memory';
  constructor(private key: SigningKey | undefined = undefined) {}

  load(): SigningKey | undefined {
    return this.key;
  }

  create(): SigningKey {
    this.key ??= ed25519Key(generateKeyPairSync('ed25519').privateKey);
    return this.key;
  }

  /** Simulates a lost key file. */
  forget(): void {
    this.key = undefined;
  }
}
