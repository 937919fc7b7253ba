import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteWriterThread, WriterThreadError } from './writer-thread.js';

describe('SqliteWriterThread', () => {
  let dir: string;
  let file: string;
  let main: BetterSqlite3.Database;
  let writer: SqliteWriterThread;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-writer-'));
    file = path.join(dir, 'w.db');
    main = new BetterSqlite3(file);
    main.pragma('journal_mode = WAL');
    main.exec('create table t (id text primary key, n integer not null, b blob)');
    writer = new SqliteWriterThread(file);
  });
  afterEach(async () => {
    await writer.close();
    main.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const count = () => (main.prepare('select count(*) as n from t').get() as { n: number }).n;

  it('commits a batch as one transaction; a read after it sees the rows', async () => {
    await writer.run([
      ['insert into t (id, n) values (?, ?), (?, ?)', ['a', 1, 'b', 2]],
      ['insert into t (id, n, b) values (?, ?, ?)', ['c', 3, Buffer.from([1, 2, 3])]],
      ['insert into t (id, n) values (?, ?) on conflict (id) do nothing', ['a', 9]],
    ]);
    expect(count()).toBe(3);
    expect(main.prepare("select n from t where id = 'a'").get()).toEqual({ n: 1 });
    // A blob crosses the thread boundary as bytes and is stored as a blob.
    expect(main.prepare("select b from t where id = 'c'").get()).toEqual({ b: Buffer.from([1, 2, 3]) });
  });

  it('leaves nothing of a batch one statement of which fails, and says why without the values', async () => {
    const failed = writer.run([
      ['insert into t (id, n) values (?, ?)', ['x', 1]],
      ['insert into t (id, n) values (?, ?)', ['y', null]],
    ]);
    await expect(failed).rejects.toBeInstanceOf(WriterThreadError);
    await expect(failed).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    await expect(failed).rejects.not.toThrow(/'x'|'y'/);
    expect(count()).toBe(0);
    // The thread goes on: the next batch commits.
    await writer.run([['insert into t (id, n) values (?, ?)', ['x', 1]]]);
    expect(count()).toBe(1);
  });

  it('runs batches in the order handed over, at either durability, and commits them all before close resolves', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => writer.run([['insert into t (id, n) values (?, ?)', [`k${String(i).padStart(2, '0')}`, i]]], i % 2 ? 'NORMAL' : 'FULL'));
    await writer.close();
    await Promise.all(runs);
    expect(count()).toBe(20);
    await expect(writer.run([['insert into t (id, n) values (?, ?)', ['late', 1]]])).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('waits for the main connection’s open write transaction instead of failing (busy timeout)', async () => {
    main.exec('begin immediate');
    main.prepare('insert into t (id, n) values (?, ?)').run('held', 1);
    const run = writer.run([['insert into t (id, n) values (?, ?)', ['after', 2]]]);
    await new Promise((r) => setTimeout(r, 200));
    main.exec('commit');
    await run;
    expect(count()).toBe(2);
  });

  it('refuses batches while its thread cannot open the database, then starts a new thread once it can', async () => {
    const later = path.join(dir, 'later', 'w.db');
    const w = new SqliteWriterThread(later, { restartAfterMs: 200 });
    try {
      const failed = w.run([['create table t (id text)', []]]);
      await expect(failed).rejects.toBeInstanceOf(WriterThreadError);
      await expect(failed).rejects.toMatchObject({ code: 'WORKER_FAILED' });
      // Within restartAfterMs: refused at once, without a new thread.
      await expect(w.run([['create table t (id text)', []]])).rejects.toMatchObject({ code: 'WORKER_FAILED' });
      fs.mkdirSync(path.dirname(later));
      await new Promise((r) => setTimeout(r, 250));
      await w.run([['create table t (id text primary key)', []], ['insert into t (id) values (?)', ['recovered']]]);
      const check = new BetterSqlite3(later, { readonly: true });
      expect(check.prepare('select id from t').all()).toEqual([{ id: 'recovered' }]);
      check.close();
    } finally {
      await w.close();
    }
  });

  it('does not keep a process alive while idle, and does while a batch is in hand', () => {
    const script = `
      import { SqliteWriterThread } from ${JSON.stringify(path.resolve('src/storage/writer-thread.ts'))};
      const w = new SqliteWriterThread(${JSON.stringify(file)});
      w.run([['insert into t (id, n) values (?, ?)', ['from-child', 1]]]).then(() => console.log('committed'));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe('committed');
    expect(main.prepare("select n from t where id = 'from-child'").get()).toEqual({ n: 1 });
  });

  it('keeps a process alive until close resolves, when the last batch is answered after close began', () => {
    // The last batch's answer used to unref the thread while close still waited for its reply:
    // a command with nothing else to do then ended with its close unresolved (exit code 13).
    const script = `
      import { SqliteWriterThread } from ${JSON.stringify(path.resolve('src/storage/writer-thread.ts'))};
      for (let i = 0; i < 30; i++) {
        const w = new SqliteWriterThread(${JSON.stringify(file)});
        const batch = w.run([['insert into t (id, n) values (?, ?)', ['closing-' + i, i]]]);
        const closed = w.close();
        await batch;
        await closed;
      }
      console.log('closed');
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe('closed');
    expect(count()).toBe(30);
  });
});
