/**
 * The main connection and the writer thread write the same SQLite file. A transaction on the main
 * connection that reads, then writes after the writer thread committed, must still commit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from './index.js';

describe('SQLite transactions beside the writer thread', () => {
  let dir: string;
  let storage: Storage;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-tx-'));
    storage = await openStorage(`sqlite:${path.join(dir, 'q.db')}`);
  });
  afterEach(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const row = (seq: number) => ({ model: 'm', node: 'n', seq, x: '[]', reward: 0, created_at: seq });
  const insertText = (seq: number): [string, unknown[]] => ['insert into model_updates (model, node, seq, x, reward, created_at) values (?, ?, ?, ?, ?, ?)', ['m', 'w', seq, '[]', 0, seq]];

  it('a transaction that read before the writer thread committed still writes and commits', async () => {
    const writer = storage.writer!;
    await storage.db.insertInto('model_updates').values(row(1)).execute();
    let background: Promise<void> | undefined;
    await storage.db.transaction().execute(async (trx) => {
      // Read first (a read-then-write transaction, as placing an order is) …
      expect(await trx.selectFrom('model_updates').select('seq').execute()).toHaveLength(1);
      // … while the writer thread has a batch to commit …
      background = writer.run([insertText(1)]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      // … then write.
      await trx.insertInto('model_updates').values(row(2)).execute();
    });
    await background;
    const rows = await storage.db.selectFrom('model_updates').select(['node', 'seq']).orderBy('node').orderBy('seq').execute();
    expect(rows).toEqual([
      { node: 'n', seq: 1 },
      { node: 'n', seq: 2 },
      { node: 'w', seq: 1 },
    ]);
  });
});
