/**
 * The access log's Ed25519 key in a local file: PKCS#8 PEM, mode 0600, made on first use. A key that
 * exists but cannot be used (unreadable, not Ed25519, readable by other users) is an error, never a
 * reason to make a new one: a new key would orphan every checkpoint signed so far.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { AppError } from '../../../errors/index.js';
import { ed25519Key } from '../signing.js';
import type { SigningKey, SigningKeyStore } from '../ports.js';
import { makeDirSync } from '../../../shared/make-dir.js';

/** Where the key lives under the data directory. */
export const ACCESS_LOG_KEY_FILE = 'access-log-ed25519.key';

export function accessLogKeyFile(dataDir: string): string {
  return path.join(dataDir, ACCESS_LOG_KEY_FILE);
}

const unavailable = (detail: string) => new AppError('AUDIT_KEY_UNAVAILABLE', detail);

export class FileSigningKeyStore implements SigningKeyStore {
  constructor(readonly location: string) {}

  load(): SigningKey | undefined {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.location);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unavailable(`cannot read the access-log key ${this.location} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!stat.isFile()) throw unavailable(`the access-log key ${this.location} is not a file`);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw unavailable(`the access-log key ${this.location} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); it must be 600`);
    }
    let pem: string;
    try {
      pem = fs.readFileSync(this.location, 'utf8');
    } catch (err) {
      throw unavailable(`cannot read the access-log key ${this.location} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      const key = createPrivateKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
      return ed25519Key(key);
    } catch {
      throw unavailable(`the access-log key ${this.location} is not an Ed25519 private key in PKCS#8 PEM`);
    }
  }

  create(): SigningKey {
    const dir = path.dirname(this.location);
    try {
      makeDirSync(dir, 0o700);
    } catch (err) {
      throw unavailable(`cannot create the folder of the access-log key ${this.location} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    let fd: number;
    try {
      // 'wx': never replace a key; if another process made one meanwhile, use that one.
      fd = fs.openSync(this.location, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        const existing = this.load();
        if (existing) return existing;
      }
      throw unavailable(`cannot create the access-log key ${this.location} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      fs.writeSync(fd, pem);
      fs.fsyncSync(fd);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(this.location, { force: true });
      throw unavailable(`cannot write the access-log key ${this.location} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    fs.closeSync(fd);
    // The key must outlive a power cut once a checkpoint is signed with it: sync the directory entry too.
    try {
      const dirFd = fs.openSync(dir, 'r');
      try {
        fs.fsyncSync(dirFd);
      } finally {
        fs.closeSync(dirFd);
      }
    } catch {
      // Some platforms cannot open a directory for syncing; the file itself is synced.
    }
    return ed25519Key(privateKey);
  }
}
