/**
 * AuditRunner contract, run on both adapters: in process, and the thread a server computes audits
 * on. Each must give exactly the engine's audit of the log; the thread must also keep the event
 * loop turning while it computes, and survive a failed audit.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  auditInputOf,
  AuditLogBuilder,
  AuditRunnerError,
  AuditThread,
  InProcessAuditRunner,
  runAudit,
  type AuditInput,
  type AuditLogColumns,
  type AuditRunner,
} from '../../src/modules/fairness/index.js';
import { Rng } from '../../src/shared/rng.js';

const band = (fen: number) => (fen < 10_000 ? 'low' : fen < 40_000 ? 'mid' : 'high');
const SELLERS = new Map([
  ['p1', 'partner-a'],
  ['p6', 'partner-b'],
]);

/**
 * A show's decision log: lists of 4 from 12 products (three price levels, four categories), viewers
 * of three city tiers and two devices, tier1 steered towards dearer products, clicks and purchases
 * at random. Each viewer's lists are one unit.
 */
function showLog(seed: number, lists: number): AuditLogColumns {
  const rng = new Rng(seed);
  const b = new AuditLogBuilder();
  const tiers = ['tier1', 'tier2', 'tier3_plus'];
  for (let l = 0; l < lists; l++) {
    const viewer = Math.floor(rng.next() * (lists / 3));
    const tier = tiers[viewer % 3]!;
    const dearOdds = tier === 'tier1' ? 0.6 : 0.3;
    for (let pos = 1; pos <= 4; pos++) {
      const level = rng.next() < dearOdds ? 2 : Math.floor(rng.next() * 2);
      const p = level * 4 + Math.floor(rng.next() * 4);
      const priceFen = [5_000, 20_000, 50_000][level]!;
      b.push({
        listId: `l${l}`,
        unitId: `v${viewer}`,
        productId: `p${p}`,
        category: 'abcd'[p % 4]!,
        position: pos,
        priceFen,
        listPriceFen: Math.round(priceFen * (rng.next() < 0.3 ? 1.2 : 1)),
        clicked: rng.next() < 0.08,
        purchased: rng.next() < 0.02,
        personalised: rng.next() < 0.6,
        rerank: rng.next() < 0.1 ? 'holdout' : rng.next() < 0.5 ? 'kept' : 'changed',
        segments: { cityTier: tier, device: viewer % 2 === 0 ? 'ios' : 'android' },
      });
    }
  }
  return b.build();
}

function inputFor(log: AuditLogColumns): AuditInput {
  return auditInputOf(log, { settings: { bootstrap: 100, seed: 7 }, catalogueSize: 20, priceBandOf: band, sellerOf: (id) => SELLERS.get(id) });
}

const ADAPTERS: Record<string, () => AuditRunner> = {
  'in process': () => new InProcessAuditRunner(),
  'a thread': () => new AuditThread(),
};

for (const [name, make] of Object.entries(ADAPTERS)) {
  describe(`AuditRunner ${name}`, () => {
    const opened: AuditRunner[] = [];
    const runner = () => {
      const r = make();
      opened.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((r) => r.close()));
    });

    it('computes exactly the engine’s audit of the log, with the time it took', async () => {
      const expected = runAudit(showLog(1, 3_000), { settings: { bootstrap: 100, seed: 7 }, catalogueSize: 20, priceBandOf: band, sellerOf: (id) => SELLERS.get(id) });
      // The audit has something to say, so the comparison covers flags and every section.
      expect(expected.flags.some((f) => f.dimension === 'cityTier')).toBe(true);
      expect(expected.exposure.groupings.map((g) => g.grouping)).toContain('seller');
      expect(expected.mitigation).not.toBeNull();
      const log = showLog(1, 3_000);
      const { computation, cpuMicros } = await runner().compute(log, inputFor(log));
      expect(computation).toEqual(expected);
      expect(cpuMicros).toBeGreaterThan(0);
    });

    it('answers audits asked together each with its own log’s audit, in any order of finishing', async () => {
      const r = runner();
      const big = showLog(2, 4_000);
      const small = showLog(3, 400);
      const [a, b] = await Promise.all([r.compute(big, inputFor(big)), r.compute(small, inputFor(small))]);
      expect(a.computation.lists).toBe(4_000);
      expect(b.computation.lists).toBe(400);
      const again = showLog(3, 400);
      expect(b.computation).toEqual((await r.compute(again, inputFor(again))).computation);
    });

    it('refuses audits once closed, with its own error code', async () => {
      const r = runner();
      const log = showLog(4, 100);
      await r.compute(log, inputFor(log));
      await r.close();
      const next = showLog(4, 100);
      const refused = await r.compute(next, inputFor(next)).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(AuditRunnerError);
      expect((refused as AuditRunnerError).code).toBe('CLOSED');
    });

    it('refuses a log the engine cannot read, and keeps computing the next one', async () => {
      const r = runner();
      const log = showLog(5, 200);
      const broken = { ...log, segments: undefined } as unknown as AuditLogColumns;
      const refused = await r.compute(broken, inputFor(log)).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(Error);
      const good = showLog(5, 200);
      expect((await r.compute(good, inputFor(good))).computation.lists).toBe(200);
    });
  });
}

describe('AuditThread beside the event loop', () => {
  let thread: AuditThread | undefined;
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
  });

  it('keeps the event loop turning while a big audit computes', async () => {
    thread = new AuditThread();
    // The thread is started (and its engine loaded) by a first, small audit.
    const warm = showLog(6, 100);
    await thread.compute(warm, inputFor(warm));
    const log = showLog(7, 60_000);
    const input = { ...inputFor(log), settings: { bootstrap: 400, seed: 7 } };
    let turns = 0;
    let done = false;
    const pending = thread.compute(log, input).finally(() => (done = true));
    // Each turn of the loop is one setImmediate; computed on this thread, the audit would allow none.
    while (!done) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    const { computation, cpuMicros } = await pending;
    expect(computation.lists).toBe(60_000);
    expect(turns).toBeGreaterThan(10);
    // The same audit in process, for scale: the turns above happened during this much work.
    expect(cpuMicros).toBeGreaterThan(0);
  });

  it('moves the log’s columns to the thread instead of copying them', async () => {
    thread = new AuditThread();
    const log = showLog(8, 500);
    const input = inputFor(log);
    await thread.compute(log, input);
    // Transferred buffers are detached here.
    expect(log.product.length).toBe(0);
    expect(log.priceFen.length).toBe(0);
  });

  it('refuses the audits in hand when its thread dies, and starts a new one for the next', async () => {
    // A stand-in thread script that dies on its first message: the runner must not hang.
    const dir = mkdtempSync(join(tmpdir(), 'qingliu-audit-thread-'));
    const script = join(dir, 'dies.mjs');
    writeFileSync(script, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
    thread = new AuditThread({ script: pathToFileURL(script) });
    const first = showLog(9, 50);
    const refused = await thread.compute(first, inputFor(first)).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AuditRunnerError);
    expect((refused as AuditRunnerError).code).toBe('WORKER_EXITED');
    const second = showLog(9, 50);
    const again = await thread.compute(second, inputFor(second)).catch((err: unknown) => err);
    expect((again as AuditRunnerError).code).toBe('WORKER_EXITED');
  });
});
