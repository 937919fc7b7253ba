/** ConsentLedger contract, run on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyConsentLedger, type ConsentRecord } from '../../src/modules/consent/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const record = (id: string, subject: string, createdAt: number, over: Partial<ConsentRecord> = {}): ConsentRecord => ({
  id,
  subject,
  brandId: 'b1',
  granted: ['marketing'],
  refused: ['personalised_recommendations', 'assistant_memory', 'model_improvement', 'merchant_sharing'],
  noticeVersion: 'v1',
  noticeHash: 'a'.repeat(64),
  locale: 'zh-CN',
  method: 'custom',
  region: 'cn-mainland',
  createdAt,
  ...over,
});

for (const dialect of DIALECTS) {
  describe(`ConsentLedger on ${dialect}`, () => {
    let t: TestStorage;
    let ledger: KyselyConsentLedger;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      ledger = new KyselyConsentLedger(t.storage.db);
    });
    afterEach(async () => t.dispose());

    it('keeps every decision and answers with the latest per subject and brand', async () => {
      await ledger.append(record('r1', 's1', 10));
      await ledger.append(record('r2', 's1', 20, { granted: [], method: 'withdraw' }));
      await ledger.append(record('r3', 's1', 15, { brandId: 'b2' }));
      await ledger.append(record('r4', 's2', 30));
      expect((await ledger.latest('s1', 'b1'))?.id).toBe('r2');
      expect((await ledger.latest('s1', 'b1'))?.granted).toEqual([]);
      expect((await ledger.latest('s1', 'b2'))?.id).toBe('r3');
      expect(await ledger.latest('nobody', 'b1')).toBeUndefined();
      expect((await ledger.history('s1')).map((r) => r.id)).toEqual(['r1', 'r3', 'r2']);
      expect(await ledger.history('s2')).toEqual([record('r4', 's2', 30)]);
    });

    it('refuses a second record with the same id (a receipt number is never reused)', async () => {
      await ledger.append(record('r1', 's1', 10));
      await expect(ledger.append(record('r1', 's1', 11))).rejects.toThrow();
      expect(await ledger.history('s1')).toHaveLength(1);
    });

    it('pages through everything in (time, id) order for export', async () => {
      for (const [id, at] of [['b', 5], ['a', 5], ['c', 1], ['d', 9]] as const) await ledger.append(record(id, 's', at));
      const first = await ledger.page({ limit: 2 });
      expect(first.map((r) => r.id)).toEqual(['c', 'a']);
      const last = first[first.length - 1]!;
      const rest = await ledger.page({ limit: 10, after: { createdAt: last.createdAt, id: last.id } });
      expect(rest.map((r) => r.id)).toEqual(['b', 'd']);
    });
  });
}
