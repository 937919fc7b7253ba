/**
 * Signed checkpoints: the text an Ed25519 key signs for a tree head, and the key wrapper.
 *
 * The signed text names the checkpoint's number as well as the tree size, root and time, so a
 * checkpoint row cannot be renumbered, and a checkpoint removed from the middle leaves a visible gap.
 */
import { createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { SigningKey } from './ports.js';

export const CHECKPOINT_ORIGIN = 'qingliu/access-log/v1';

export interface CheckpointHead {
  /** 0 for the first checkpoint of the log, then 1, 2 … */
  readonly number: number;
  readonly treeSize: number;
  /** Hex SHA-256 root of the first treeSize entries. */
  readonly rootHash: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** The exact bytes signed for a checkpoint (a small text note, one field per line). */
export function checkpointText(head: CheckpointHead): Buffer {
  return Buffer.from(
    `${CHECKPOINT_ORIGIN}\ncheckpoint ${head.number}\nsize ${head.treeSize}\nroot ${head.rootHash}\ntime ${new Date(head.createdAt).toISOString()}\n`,
    'utf8',
  );
}

/** The first 16 hex digits of SHA-256 over the raw 32-byte public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** Wraps an Ed25519 private key (or, for verifying only, a public key). */
export function ed25519Key(key: KeyObject): SigningKey {
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 key');
  const privateKey = key.type === 'private' ? key : undefined;
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    canSign: privateKey !== undefined,
    sign(message) {
      if (!privateKey) throw new Error('this access-log key can verify but not sign');
      return cryptoSign(null, message, privateKey);
    },
    verify(message, signature) {
      try {
        return cryptoVerify(null, message, publicKey, signature);
      } catch {
        return false;
      }
    },
  };
}
