/**
 * The `qingliu` command line as a person runs it: a child process on a SQLite file. Bad input gets
 * one clear message on stderr, nothing on stdout, and a non-zero exit; secrets are never printed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { openStorage } from '../../src/storage/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');

// Each run starts Node and tsx afresh (a few seconds on a busy machine), hence the generous timeout.
describe('qingliu CLI on a SQLite file', { timeout: 120_000 }, () => {
  let dir: string;
  let db: string;

  /** Runs the command with a clean environment (no DATABASE_URL from outside) unless `env` adds one. */
  function qingliu(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, QINGLIU_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1', ...options.env };
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, input: options.input ?? '', encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  async function productCount(): Promise<number> {
    const storage = await openStorage(`sqlite:${db}`);
    try {
      const row = await storage.db
        .selectFrom('products')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    } finally {
      await storage.close();
    }
  }

  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-cli-'));
    db = path.join(dir, 'qingliu.sqlite');
    // Seed the demo brand into the file, as `qingliu serve` does on first start.
    const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', QINGLIU_DATA_DIR: path.join(dir, 'data') }, { databaseUrl: `sqlite:${db}`, seedDemo: true }), { logger: false });
    await app.close();
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const HEADER = 'sku,nameZh,nameEn,category,price,stock';

  it('import products: a file with bad rows exits non-zero with one message naming the rows, prints nothing on stdout, imports nothing', async () => {
    const before = await productCount();
    const file = write('bad.csv', `${HEADER}\nCLI-001,甲,A,bath,1.00,5\nCLI-002,乙,B,bath,one yuan,5\nCLI-003,丙,C,bath,1.00,5\nCLI-004,丁,D,Not A Category,1.00,-3\n`);
    const r = qingliu(['import', 'products', file, '--db', `sqlite:${db}`]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/^qingliu: /gm)).toHaveLength(1);
    expect(r.stderr).toMatch(/3 problems in bad\.csv; nothing was imported/);
    expect(r.stderr).toMatch(/row 2 \(line 3\), price: /);
    expect(r.stderr).toMatch(/row 4 \(line 5\), category: /);
    expect(r.stderr).toMatch(/row 4 \(line 5\), stock: /);
    expect(r.stderr).not.toMatch(/row [13]\b/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await productCount()).toBe(before);
  });

  it('import products: header problems name the header and the column; an empty file says what its first line must hold', () => {
    const header = qingliu(['import', 'products', write('header.csv', 'sku,name_zh,nameEn,category,price,stock\nA,甲,A,bath,1.00,1\n'), '--db', `sqlite:${db}`]);
    expect(header.status).toBe(1);
    expect(header.stderr).toBe(
      'qingliu: 2 problems in header.csv; nothing was imported:\n  header (line 1), column name_zh: unknown column\n  header (line 1), column nameZh: required column is missing\n',
    );
    const empty = qingliu(['import', 'products', write('empty.csv', ''), '--db', `sqlite:${db}`]);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toBe('qingliu: 1 problem in empty.csv; nothing was imported:\n  the file is empty; its first line must name the columns (sku, nameZh, nameEn, category, price, stock)\n');
  });

  it('import products: a good file exits 0 and says what it did; importing it again updates', async () => {
    const before = await productCount();
    const file = write('good.csv', `${HEADER}\nCLI-101,甲,A,bath,1.00,5\nCLI-102,乙,B,bath,2.50,7\n`);
    const r = qingliu(['import', 'products', file, '--db', `sqlite:${db}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('imported 2 products (2 new, 0 updated)\n');
    expect(await productCount()).toBe(before + 2);

    const again = qingliu(['import', 'products', file, '--db', `sqlite:${db}`, '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ imported: true, created: 0, updated: 2 });
    expect(await productCount()).toBe(before + 2);
  });

  it('import products: the example catalogue the README names imports into the demo brand', async () => {
    const before = await productCount();
    const r = qingliu(['import', 'products', path.join(ROOT, 'examples/catalogue.csv'), '--db', `sqlite:${db}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('imported 4 products (4 new, 0 updated)\n');
    expect(await productCount()).toBe(before + 4);
  });

  it('import products: an unknown brand or an unreadable file is an error, not a crash', () => {
    const file = write('one.csv', `${HEADER}\nCLI-201,甲,A,bath,1.00,5\n`);
    const brand = qingliu(['import', 'products', file, '--brand', 'no-such-brand', '--db', `sqlite:${db}`]);
    expect(brand.status).toBe(1);
    expect(brand.stderr).toBe('qingliu: no brand "no-such-brand"\n');
    expect(brand.stdout).toBe('');
    const missing = qingliu(['import', 'products', path.join(dir, 'missing.csv'), '--db', `sqlite:${db}`]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^qingliu: cannot read ".*missing\.csv": ENOENT\n$/);
  });

  it('users add reads the password from stdin, never prints it, and users list shows the account', () => {
    const password = 'a-long-and-secret-passphrase';
    const r = qingliu(['users', 'add', '--name', 'ops-admin', '--role', 'admin', '--db', `sqlite:${db}`], { input: `${password}\n` });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('created admin account "ops-admin"\n');

    const list = qingliu(['users', 'list', '--json', '--db', `sqlite:${db}`]);
    expect(list.status).toBe(0);
    const users = JSON.parse(list.stdout) as { id: string; name: string; role: string; disabled: boolean }[];
    expect(users).toContainEqual({ id: expect.any(String), name: 'ops-admin', role: 'admin', disabled: false });
    for (const out of [r.stdout, r.stderr, list.stdout, list.stderr]) {
      expect(out).not.toContain(password);
      expect(out).not.toContain('scrypt$');
    }
  });

  it('users add with a short password exits non-zero with a clear message and creates nothing', () => {
    const r = qingliu(['users', 'add', '--name', 'short-pw', '--role', 'host', '--db', `sqlite:${db}`], { input: 'tooshort\n' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^qingliu: .*password: at least 12 characters/);
    expect(r.stderr).not.toContain('tooshort');
    const list = qingliu(['users', 'list', '--json', '--db', `sqlite:${db}`]);
    expect((JSON.parse(list.stdout) as { name: string }[]).map((u) => u.name)).not.toContain('short-pw');
  });

  it('an invalid DATABASE_URL exits 2 with a message naming DATABASE_URL (and not echoing it)', () => {
    for (const url of ['mysql://x', 'mysql://root:hunter2@x/db']) {
      const r = qingliu(['users', 'list'], { env: { DATABASE_URL: url } });
      expect(r.status, url).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^qingliu: .*DATABASE_URL/s);
      expect(r.stderr).not.toContain('hunter2');
    }
  });

  it('serve on a port already in use exits with one clear message instead of running on without listening', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      // The demo mode, seeded, with its simulated audience on: nothing of it may start or keep the process alive.
      const r = qingliu(['serve', '--port', String(port), '--host', '127.0.0.1'], { env: { QINGLIU_DEMO_AUDIENCE: 'true' } });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`qingliu: 127.0.0.1:${port} is already in use (another Qingliu, or another program): choose another port with --port or PORT`);
      expect(r.stdout).not.toContain('is running');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('a database it cannot sign in to or reach is one message naming it, without its password, and exit 1', () => {
    const role = qingliu(['users', 'list', '--db', 'postgres://no-such-role:s3cret-pw@127.0.0.1:5432/postgres']);
    expect(role.status).toBe(1);
    expect(role.stderr.trim()).toBe('qingliu: could not open PostgreSQL 127.0.0.1:5432/postgres: role "no-such-role" does not exist');
    expect(role.stdout).toBe('');
    // Nothing listens on port 1.
    const refused = qingliu(['users', 'list', '--db', 'postgres://someone:s3cret-pw@127.0.0.1:1/postgres']);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^qingliu: could not open PostgreSQL 127\.0\.0\.1:1\/postgres: connect ECONNREFUSED 127\.0\.0\.1:1$/);
    for (const r of [role, refused]) expect(r.stderr).not.toContain('s3cret-pw');
  });

  it('a SQLite file or key file where no folder can be made is one message and exit 1, not a hang', () => {
    // Under /proc a parent exists but refuses new entries; Node's own recursive mkdir retries that forever.
    // `users add` may create a deployment's database (the first administrator can come before the server).
    const addAdmin = (args: string[], env?: Record<string, string>) => qingliu(['users', 'add', '--name', 'first-admin', '--role', 'admin', ...args], { input: 'a-long-enough-password\n', ...(env ? { env } : {}) });
    const sqlite = addAdmin(['--db', 'sqlite:/proc/qingliu-no-such/q.sqlite']);
    expect(sqlite.status).toBe(1);
    expect(sqlite.stderr.trim()).toBe("qingliu: could not open SQLite /proc/qingliu-no-such/q.sqlite: ENOENT: no such file or directory, mkdir '/proc/qingliu-no-such'");
    expect(sqlite.stdout).toBe('');
    // A new data folder: over one that holds protected data, a missing key file is KEY_MATERIAL_MISSING instead.
    const keys = addAdmin([], { QINGLIU_DATA_DIR: path.join(dir, 'fresh-data'), QINGLIU_KEY_FILE: '/proc/qingliu-no-such/keyring.json' });
    expect(keys.status).toBe(1);
    expect(keys.stderr.trim()).toBe(
      'qingliu: The key file /proc/qingliu-no-such/keyring.json cannot be created (ENOENT): set QINGLIU_KEY_FILE or QINGLIU_DATA_DIR to a folder Qingliu may write.',
    );
    expect(keys.stdout).toBe('');
  });

  it('a command that reads or changes a deployment, given a SQLite file that does not exist, says so and creates nothing', () => {
    const typo = path.join(dir, 'typo', 'qingliu.sqlite');
    for (const args of [
      ['experiments', 'list', '--db', `sqlite:${typo}`],
      ['sessions', 'list', '--db', `sqlite:${typo}`],
      ['users', 'list', '--db', `sqlite:${typo}`],
      ['keys', 'rotate', '--db', `sqlite:${typo}`],
      ['audit-log', 'status', '--db', `sqlite:${typo}`],
    ]) {
      const r = qingliu(args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`qingliu: no database at ${typo}: start the server once (\`qingliu serve\` or \`npm start\`) to create it, or name one with --db or DATABASE_URL\n`);
    }
    expect(fs.existsSync(path.dirname(typo))).toBe(false);
    // The default data folder, when it was never used.
    const fresh = qingliu(['experiments', 'list'], { env: { QINGLIU_DATA_DIR: path.join(dir, 'never-used') } });
    expect(fresh.status).toBe(1);
    expect(fresh.stderr).toMatch(/^qingliu: no database at .*never-used\/qingliu\.sqlite: start the server once/);
    expect(fs.existsSync(path.join(dir, 'never-used'))).toBe(false);
  });
});

