/**
 * The databases every contract and HTTP suite runs on. SQLite always; PostgreSQL when reachable.
 * In CI (CI=true) PostgreSQL is required: an unreachable server fails the run instead of skipping.
 * DIALECTS=sqlite (or postgres) narrows the list locally.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStorage, type Storage } from '../../src/storage/index.js';

export type Dialect = 'sqlite' | 'postgres';

export const POSTGRES_URL = process.env.QINGLIU_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const wanted = (process.env.DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim());
const pgUp = wanted.includes('postgres') ? await postgresReachable() : false;
if (wanted.includes('postgres') && !pgUp) {
  if (process.env.CI) throw new Error(`PostgreSQL is required in CI but ${POSTGRES_URL.replace(/:[^:@/]*@/, ':***@')} is not reachable`);
  console.warn(`[tests] PostgreSQL suites skipped: no server at ${POSTGRES_URL} (set QINGLIU_TEST_POSTGRES_URL, or run in CI where it is required)`);
}

export const DIALECTS: Dialect[] = wanted.filter((d): d is Dialect => d === 'sqlite' || (d === 'postgres' && pgUp));

export interface TestStorage {
  storage: Storage;
  /** Closes the storage and removes what the test created (the PostgreSQL schema). */
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated, empty SQLite database in a temporary file, as a one-node server runs it: with
 * the writer thread (`Storage.writer`). Dispose removes the file and its WAL.
 */
export async function fileStorage(): Promise<TestStorage> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-store-'));
  const storage = await openStorage(`sqlite:${path.join(dir, 'qingliu.db')}`);
  return {
    storage,
    async dispose() {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh, migrated, empty database: in-memory SQLite, or its own schema on PostgreSQL — reached
 * through `viaPort` (a proxy's loopback port, to take the server away) when given.
 */
export async function freshStorage(dialect: Dialect, options: { viaPort?: number } = {}): Promise<TestStorage> {
  if (dialect === 'sqlite') {
    const storage = await openStorage('sqlite::memory:');
    return { storage, dispose: () => storage.close() };
  }
  const schema = `qt_${randomBytes(6).toString('hex')}`;
  // Parallel test files create and drop schemas on one server; catalogue introspection during a
  // migration fails if another schema is dropped at that moment, so both hold one advisory lock.
  let url = POSTGRES_URL;
  if (options.viaPort !== undefined) {
    const via = new URL(POSTGRES_URL);
    via.hostname = '127.0.0.1';
    via.port = String(options.viaPort);
    url = via.href;
  }
  const storage = await underSchemaLock(() => openStorage(url, { schema, poolSize: 4 }));
  return {
    storage,
    async dispose() {
      await storage.close();
      await underSchemaLock(async (client) => {
        await client.query(`drop schema if exists "${schema}" cascade`);
      });
    },
  };
}

const SCHEMA_LOCK = 7_424_011;

async function underSchemaLock<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [SCHEMA_LOCK]);
    return await work(client);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch(() => undefined);
    await client.end();
  }
}
