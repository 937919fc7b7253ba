/**
 * The storage face: opens SQLite (embedded, one node) or PostgreSQL (many nodes) behind one Kysely
 * instance, runs the versioned migrations, and says what the dialect can do as flags.
 */
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver, type Migration, type MigrationProvider, type SqliteDialectConfig } from 'kysely';
import type { Database } from './schema.js';
import { SqliteWriterThread } from './writer-thread.js';
import { makeDirSync } from '../shared/make-dir.js';
import { NO_METER, type WorkMeter } from '../shared/work-meter.js';
import * as m0001 from './migrations/0001-live-room.js';
import * as m0004 from './migrations/0004-consent.js';
import * as m0005 from './migrations/0005-access-log.js';
import * as m0006 from './migrations/0006-protection.js';
import * as m0007 from './migrations/0007-viewer-events.js';
import * as m0008 from './migrations/0008-viewer-profile.js';
import * as m0009 from './migrations/0009-rights.js';
import * as m0010 from './migrations/0010-transfer.js';
import * as m0011 from './migrations/0011-access-log-retention.js';
import * as m0012 from './migrations/0012-recommender.js';
import * as m0013 from './migrations/0013-experiments.js';
import * as m0014 from './migrations/0014-fairness.js';
import * as m0015 from './migrations/0015-energy.js';
import * as m0016 from './migrations/0016-chat.js';
import * as m0017 from './migrations/0017-chat-client-ids.js';
import * as m0018 from './migrations/0018-model-update-origins.js';
import * as m0019 from './migrations/0019-model-update-interest.js';
import * as m0020 from './migrations/0020-model-update-age.js';
import * as m0021 from './migrations/0021-notice-texts.js';
import * as m0022 from './migrations/0022-assistant-session-memory.js';
import * as m0023 from './migrations/0023-feedback-once-per-decision.js';
import * as m0024 from './migrations/0024-feedback-order.js';

export type { Database } from './schema.js';
export { isStorageUnavailable } from './unavailable.js';
export { SqliteWriterThread, WriterThreadError, type WriterDurability, type WriterStatement } from './writer-thread.js';

export interface StorageCapabilities {
  readonly dialect: 'sqlite' | 'postgres';
  /** Row locks (SELECT … FOR UPDATE) serialise concurrent writers; SQLite has one writer anyway. */
  readonly rowLocks: boolean;
}

export interface Storage {
  readonly db: Kysely<Database>;
  readonly capabilities: StorageCapabilities;
  /**
   * SQLite on disk only: batched writes on a thread of their own with a second connection to the
   * file (the recommender's decision log). Closed with the storage, after the batches handed to it
   * have committed.
   */
  readonly writer?: SqliteWriterThread;
  /**
   * Where another thread of this process can open the same database (`openReader`): a SQLite file
   * or the PostgreSQL server and schema. Absent for an in-memory database, which only its own
   * connection sees.
   */
  readonly location?: StorageLocation;
  /** Cheap round trip for readiness. */
  ping(): Promise<boolean>;
  /**
   * Meters the database work done in this process as `storage` (SQLite runs in-process, each
   * statement synchronously). PostgreSQL's work happens in its own server, outside this process.
   */
  meterWith(meter: WorkMeter): void;
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, Migration> = {
  '0001-live-room': m0001,
  '0004-consent': m0004,
  '0005-access-log': m0005,
  '0006-protection': m0006,
  '0007-viewer-events': m0007,
  '0008-viewer-profile': m0008,
  '0009-rights': m0009,
  '0010-transfer': m0010,
  '0011-access-log-retention': m0011,
  '0012-recommender': m0012,
  '0013-experiments': m0013,
  '0014-fairness': m0014,
  '0015-energy': m0015,
  '0016-chat': m0016,
  '0017-chat-client-ids': m0017,
  '0018-model-update-origins': m0018,
  '0019-model-update-interest': m0019,
  '0020-model-update-age': m0020,
  '0021-notice-texts': m0021,
  '0022-assistant-session-memory': m0022,
  '0023-feedback-once-per-decision': m0023,
  '0024-feedback-order': m0024,
};

class StaticMigrations implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** A database another thread can open: the URL `openStorage` was given and its schema, if any. */
export interface StorageLocation {
  readonly url: string;
  readonly schema?: string;
}

export interface OpenStorageOptions {
  /** PostgreSQL only: run inside this schema (created if missing). Tests use it for isolation. */
  schema?: string;
  poolSize?: number;
}

/**
 * The database could not be opened: it could not be reached or signed in to (`CONNECT_FAILED`), or
 * a migration failed (`MIGRATION_FAILED`). The message names the database without its password.
 */
export class StorageOpenError extends Error {
  constructor(
    readonly code: 'CONNECT_FAILED' | 'MIGRATION_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageOpenError';
  }
}

export async function openStorage(databaseUrl: string, options: OpenStorageOptions = {}): Promise<Storage> {
  let storage: Storage;
  try {
    storage = databaseUrl.startsWith('sqlite:') ? openSqlite(databaseUrl.slice('sqlite:'.length)) : await openPostgres(databaseUrl, options);
  } catch (err) {
    throw new StorageOpenError('CONNECT_FAILED', `could not open ${describeDatabase(databaseUrl)}: ${messageOf(err)}`, { cause: err });
  }
  try {
    await migrate(storage.db, options.schema, databaseUrl);
  } catch (err) {
    await storage.close();
    throw err;
  }
  return storage;
}

const messageOf = (err: unknown): string => String((err as Error)?.message ?? err);

function openSqlite(file: string): Storage {
  if (file !== ':memory:') makeDirSync(path.dirname(file));
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  // Orders, stock and consent must survive a power cut: FULL syncs the WAL on every commit.
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  // Deleted rows (a shredded data key above all) are overwritten, not left in free pages.
  raw.pragma('secure_delete = ON');
  const meter: { current: WorkMeter } = { current: NO_METER };
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(raw, meter) }) });
  const onDisk = file !== ':memory:' && file !== '';
  const writer = onDisk ? new SqliteWriterThread(path.resolve(file)) : undefined;
  let closed = false;
  return {
    db,
    capabilities: { dialect: 'sqlite', rowLocks: false },
    ...(writer ? { writer } : {}),
    ...(onDisk ? { location: { url: `sqlite:${path.resolve(file)}` } } : {}),
    meterWith(m) {
      meter.current = m;
    },
    async ping() {
      if (closed) return false;
      try {
        raw.prepare('select 1').get();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer?.close();
      await db.destroy();
    },
  };
}

/**
 * Transactions on the main connection begin IMMEDIATE: they take the write lock at BEGIN, waiting
 * for it under the busy timeout. A deferred transaction that read first and wrote later fails at its
 * first write with SQLITE_BUSY (no wait: its snapshot is stale) whenever the storage's writer thread
 * committed in between — an order placed while the decision log or the model's updates were being
 * written was refused with 503. One connection serves the event loop, so taking the lock early costs
 * no concurrency here.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Kysely asks SQLite to prepare every statement anew; preparing costs more than running our small
 * queries. Statements are reusable, so keep the recent ones (bounded: SQL text built with inline
 * values would otherwise grow it without end).
 */
function withStatementCache(raw: BetterSqlite3.Database, meter: { current: WorkMeter }, size = 500) {
  const cache = new Map<string, MeteredStatement>();
  return {
    close: () => raw.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (statement) {
        cache.delete(sqlText);
      } else {
        statement = metered(meter, meter.current.span('storage', () => raw.prepare(sqlText)));
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sqlText, statement);
      return statement;
    },
  };
}

/** What Kysely's SQLite driver calls on a statement, each call metered as storage work. */
interface MeteredStatement {
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
}

function metered(meter: { current: WorkMeter }, statement: BetterSqlite3.Statement): MeteredStatement {
  return {
    reader: statement.reader,
    all: (parameters) => meter.current.span('storage', () => statement.all(parameters)),
    run: (parameters) => meter.current.span('storage', () => statement.run(parameters)),
    // Rows stream out as the caller asks; each step is metered.
    *iterate(parameters) {
      const it = statement.iterate(parameters);
      for (;;) {
        const step = meter.current.span('storage', () => it.next());
        if (step.done) return;
        yield step.value;
      }
    },
  };
}

async function openPostgres(url: string, options: OpenStorageOptions): Promise<Storage> {
  const schema = options.schema;
  checkSchemaName(schema);
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists "${schema}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = postgresPool(url, schema, options.poolSize ?? 10);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    capabilities: { dialect: 'postgres', rowLocks: true },
    location: schema ? { url, schema } : { url },
    meterWith() {
      // The queries run in the PostgreSQL server: its energy is its host's, not this process's.
    },
    async ping() {
      if (closed) return false;
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** A schema name goes into SQL and server options as it is: only lower-case identifiers. */
function checkSchemaName(schema: string | undefined): void {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('invalid schema name');
}

function postgresPool(url: string, schema: string | undefined, max: number, readOnly = false): pg.Pool {
  const settings = [...(schema ? [`-c search_path="${schema}"`] : []), ...(readOnly ? ['-c default_transaction_read_only=on'] : [])];
  // Server settings go in the URL's own `options` parameter, after any it has: node-postgres lets
  // the URL's parameters override the pool's, so an `options` in the URL would drop ours.
  let connectionString = url;
  if (settings.length > 0) {
    const u = new URL(url);
    u.searchParams.set('options', [u.searchParams.get('options'), ...settings].filter(Boolean).join(' '));
    connectionString = u.href;
  }
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5000,
    // bigint columns hold epoch ms, fen and counters, all far below 2^53: read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // A client losing its connection must not crash the process (an 'error' event with no listener
  // throws): idle ones are the pool's, and one checked out by a query gets a listener of its own —
  // the query itself fails, the route answers NOT_READY, and readiness reports the outage.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => void client.on('error', () => undefined));
  return pool;
}

/** A read-only connection to a database `openStorage` opened and migrated. */
export interface StorageReader {
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

/**
 * Opens a second, read-only connection to a storage's database (`Storage.location`), for work on
 * another thread of the process (the fairness audit's scan of the decision log): SQLite's file
 * read-only (WAL: it reads the last commit without blocking the writers), or one PostgreSQL
 * connection in the storage's schema, in a read-only session. Runs no migration.
 */
export function openReader(location: StorageLocation): StorageReader {
  if (location.url.startsWith('sqlite:')) {
    const raw = new BetterSqlite3(location.url.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    raw.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    return { db, close: () => db.destroy() };
  }
  checkSchemaName(location.schema);
  const pool = postgresPool(location.url, location.schema, 1, true);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, close: () => db.destroy() };
}

async function migrate(db: Kysely<Database>, schema: string | undefined, databaseUrl: string): Promise<void> {
  // Name the schema: Kysely otherwise finds its bookkeeping tables in any schema of the database.
  const migrator = new Migrator({ db, provider: new StaticMigrations(), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    // No migration ran and failed: the database was not reached (refused, unknown role, wrong password …).
    if (!failed) throw new StorageOpenError('CONNECT_FAILED', `could not open ${describeDatabase(databaseUrl)}: ${messageOf(error)}`, { cause: error });
    throw new StorageOpenError('MIGRATION_FAILED', `database migration ${failed.migrationName} failed on ${describeDatabase(databaseUrl)}: ${messageOf(error)}`, { cause: error });
  }
}

/** Describes a database URL without its password, for logs and start-up messages. */
export function describeDatabase(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:')) return `SQLite ${databaseUrl.slice('sqlite:'.length)}`;
  try {
    const u = new URL(databaseUrl);
    return `PostgreSQL ${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}
