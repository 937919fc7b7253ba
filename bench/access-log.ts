/**
 * Access-log costs: append, and inclusion / consistency proof generation and verification, at
 * 1,000,000 entries in memory (the incremental trees), and append throughput through the SQLite
 * store (each append in its own transaction, as one staff access is; and 100 per transaction).
 *
 * Runs in this process (no server): `node --import tsx bench/access-log.ts [--entries N]
 * [--store-entries N] [--samples N]`, or from bench/run.ts via runAccessLog + accessLogReport.
 * Prints medians; never asserts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AccessLogService,
  Frontier,
  KyselyAccessLogStore,
  MemorySigningKeyStore,
  MerkleTree,
  encodeEntry,
  LogVerifier,
  leafHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/modules/access-log/index.js';
import { openStorage } from '../src/storage/index.js';
import type { RequestContext } from '../src/context/index.js';
import { fmtInt, log, percentile, table } from './lib.js';

export interface AccessLogOptions {
  /** Entries in the in-memory trees. */
  entries: number;
  /** Random proofs generated and verified at that size. */
  proofSamples: number;
  /** Appends through the SQLite store, each in its own transaction. */
  storeEntries: number;
  /** Appends through the SQLite store, 100 per transaction. */
  storeBatchedEntries: number;
}

export const ACCESS_LOG_DEFAULTS: AccessLogOptions = { entries: 1_000_000, proofSamples: 2000, storeEntries: 50_000, storeBatchedEntries: 20_000 };

/** Microseconds: median, p99 and mean of the samples. */
export interface Micros {
  median: number;
  p99: number;
  mean: number;
  samples: number;
}

export interface AccessLogResult {
  options: AccessLogOptions;
  memory: {
    /** Per append: leafHash(entry) + MerkleTree.append (every node kept). Medians of 10,000-append batches. */
    treeAppendUs: Micros;
    /** Per append: leafHash(entry) + Frontier.append (right edge only, what the store keeps). */
    frontierAppendUs: Micros;
    /** Frontier root at the full size (one fold of ≤ 20 hashes). */
    frontierRootUs: Micros;
    treeBytes: number;
    inclusion: { generateUs: Micros; verifyUs: Micros; proofHashes: number };
    consistency: { generateUs: Micros; verifyUs: Micros; proofHashesMax: number };
    /** The whole verifier (decode, leaf hash, tree, checks) over all entries, no database. */
    verifyAllSeconds: number;
  };
  sqlite: {
    ownTransaction: { appendUs: Micros; perSecond: number };
    batched100: { appendUs: Micros; perSecond: number };
    /** AccessLogService.verify over the store (reads + recompute), all entries appended above. */
    verifySeconds: number;
    entries: number;
  };
}

const CTX: RequestContext = { requestId: 'bench-request-0001', actor: { kind: 'staff', id: 'u-compliance-1', name: 'bench', role: 'compliance' }, locale: 'zh-CN' };
const AT = '2026-02-01T08:00:00.000Z';
const entryText = (seq: number) =>
  encodeEntry({ seq, at: AT, actor: { id: 'u-compliance-1', role: 'compliance' }, action: 'read', subject: `vp_${seq.toString(16)}`, purpose: 'rights-request', requestId: CTX.requestId });

function micros(samples: number[]): Micros {
  const sorted = Float64Array.from(samples).sort();
  const mean = samples.reduce((a, b) => a + b, 0) / (samples.length || 1);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99), mean, samples: samples.length };
}

/** Deterministic pseudo-random integers (xorshift), so runs pick the same proofs. */
function rng(seed = 0x9e3779b9): (below: number) => number {
  let x = seed >>> 0;
  return (below) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % below;
  };
}

function benchMemory(o: AccessLogOptions): AccessLogResult['memory'] {
  const BATCH = 10_000;
  const tree = new MerkleTree();
  const frontier = Frontier.empty();
  const treeBatches: number[] = [];
  const frontierBatches: number[] = [];
  const heap0 = process.memoryUsage().arrayBuffers;
  log(`access log: appending ${fmtInt(o.entries)} entries in memory …`);
  for (let start = 0; start < o.entries; start += BATCH) {
    const texts = Array.from({ length: Math.min(BATCH, o.entries - start) }, (_, i) => entryText(start + i));
    let t = performance.now();
    for (const text of texts) tree.append(leafHash(text));
    treeBatches.push(((performance.now() - t) * 1000) / texts.length);
    t = performance.now();
    for (const text of texts) frontier.append(leafHash(text));
    frontierBatches.push(((performance.now() - t) * 1000) / texts.length);
  }
  const treeBytes = process.memoryUsage().arrayBuffers - heap0;
  const n = tree.size;
  const rootSamples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    frontier.root();
    rootSamples.push((performance.now() - t) * 1000);
  }
  const root = tree.root();
  if (!root.equals(frontier.root())) throw new Error('tree and frontier disagree');

  log(`access log: ${o.proofSamples} inclusion and consistency proofs at ${fmtInt(n)} …`);
  const pick = rng();
  const incGen: number[] = [];
  const incVer: number[] = [];
  let proofHashes = 0;
  for (let s = 0; s < o.proofSamples; s++) {
    const index = pick(n);
    let t = performance.now();
    const proof = tree.inclusionProof(index, n);
    incGen.push((performance.now() - t) * 1000);
    const leaf = tree.leaf(index);
    t = performance.now();
    const ok = verifyInclusion(index, n, leaf, proof, root);
    incVer.push((performance.now() - t) * 1000);
    if (!ok) throw new Error(`inclusion proof for ${index} failed`);
    proofHashes = Math.max(proofHashes, proof.length);
  }
  const conGen: number[] = [];
  const conVer: number[] = [];
  let proofHashesMax = 0;
  for (let s = 0; s < o.proofSamples; s++) {
    const m = 1 + pick(n - 1);
    const rootM = tree.root(m);
    let t = performance.now();
    const proof = tree.consistencyProof(m, n);
    conGen.push((performance.now() - t) * 1000);
    t = performance.now();
    const ok = verifyConsistency(m, n, rootM, root, proof);
    conVer.push((performance.now() - t) * 1000);
    if (!ok) throw new Error(`consistency proof ${m} → ${n} failed`);
    proofHashesMax = Math.max(proofHashesMax, proof.length);
  }

  log(`access log: the verifier over ${fmtInt(n)} entries (no database) …`);
  const t0 = performance.now();
  const verifier = new LogVerifier({ headBefore: { treeSize: n, rootHash: root.toString('hex'), checkpoints: 0 }, checkpoints: [], key: undefined });
  for (let seq = 0; seq < n; seq++) {
    const text = entryText(seq);
    verifier.addEntry({ seq, entry: text, leafHash: tree.leaf(seq).toString('hex') });
  }
  const report = verifier.finish({ treeSize: n, rootHash: root.toString('hex'), checkpoints: 0 });
  if (!report.ok) throw new Error('the verifier rejected an honest log');
  const verifyAllSeconds = (performance.now() - t0) / 1000;

  return {
    treeAppendUs: micros(treeBatches),
    frontierAppendUs: micros(frontierBatches),
    frontierRootUs: micros(rootSamples),
    treeBytes,
    inclusion: { generateUs: micros(incGen), verifyUs: micros(incVer), proofHashes },
    consistency: { generateUs: micros(conGen), verifyUs: micros(conVer), proofHashesMax },
    verifyAllSeconds,
  };
}

async function benchSqlite(o: AccessLogOptions): Promise<AccessLogResult['sqlite']> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-'));
  const storage = await openStorage(`sqlite:${path.join(dir, 'access-log.sqlite')}`);
  try {
    const service = new AccessLogService(new KyselyAccessLogStore(storage.db), new MemorySigningKeyStore(), { now: () => Date.UTC(2026, 1, 1) });
    const access = (i: number) => ({ action: 'read' as const, subject: `vp_${i.toString(16)}`, purpose: 'rights-request' });

    log(`access log: ${fmtInt(o.storeEntries)} appends through the SQLite store, one transaction each (synchronous=FULL) …`);
    const own: number[] = [];
    let t0 = performance.now();
    for (let i = 0; i < o.storeEntries; i++) {
      const t = performance.now();
      await service.record(CTX, access(i));
      own.push((performance.now() - t) * 1000);
    }
    const ownPerSecond = o.storeEntries / ((performance.now() - t0) / 1000);
    await service.checkpoint(CTX);

    log(`access log: ${fmtInt(o.storeBatchedEntries)} appends, 100 per transaction …`);
    const batched: number[] = [];
    t0 = performance.now();
    for (let start = 0; start < o.storeBatchedEntries; start += 100) {
      const t = performance.now();
      const count = Math.min(100, o.storeBatchedEntries - start);
      await storage.db.transaction().execute(async (tx) => {
        for (let i = 0; i < count; i++) await service.record(CTX, access(o.storeEntries + start + i), tx);
      });
      batched.push(((performance.now() - t) * 1000) / count);
    }
    const batchedPerSecond = o.storeBatchedEntries / ((performance.now() - t0) / 1000);
    await service.checkpoint(CTX);

    log('access log: verify through the store …');
    t0 = performance.now();
    const report = await service.verify(CTX);
    const verifySeconds = (performance.now() - t0) / 1000;
    if (!report.ok) throw new Error(`the store's log did not verify: ${report.problems.length} problems`);
    return {
      ownTransaction: { appendUs: micros(own), perSecond: ownPerSecond },
      batched100: { appendUs: micros(batched), perSecond: batchedPerSecond },
      verifySeconds,
      entries: report.entries,
    };
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runAccessLog(partial: Partial<AccessLogOptions> = {}): Promise<AccessLogResult> {
  const options = { ...ACCESS_LOG_DEFAULTS, ...partial };
  const memory = benchMemory(options);
  const sqlite = await benchSqlite(options);
  return { options, memory, sqlite };
}

export function accessLogReport(r: AccessLogResult): string {
  const us = (m: Micros) => [m.median.toFixed(2), m.p99.toFixed(2)];
  const m = r.memory;
  const s = r.sqlite;
  return [
    `Access log (RFC 6962 Merkle tree), ${fmtInt(r.options.entries)} entries in memory; ${fmtInt(r.options.proofSamples)} random proofs each`,
    table(
      ['operation', 'median µs', 'p99 µs'],
      [
        ['append: leaf hash + frontier (what the store keeps)', ...us(m.frontierAppendUs)],
        ['append: leaf hash + full tree (every node kept)', ...us(m.treeAppendUs)],
        [`root from the frontier at ${fmtInt(r.options.entries)}`, ...us(m.frontierRootUs)],
        [`inclusion proof: generate (${m.inclusion.proofHashes} hashes)`, ...us(m.inclusion.generateUs)],
        ['inclusion proof: verify', ...us(m.inclusion.verifyUs)],
        [`consistency proof: generate (≤ ${m.consistency.proofHashesMax} hashes)`, ...us(m.consistency.generateUs)],
        ['consistency proof: verify', ...us(m.consistency.verifyUs)],
      ],
    ),
    `Full tree in memory: ${(m.treeBytes / 2 ** 20).toFixed(0)} MiB. The verifier alone (decode + hash + checks) over all ${fmtInt(r.options.entries)} entries: ${m.verifyAllSeconds.toFixed(1)} s.`,
    '',
    `Access log through the SQLite store (file, WAL, synchronous=FULL)`,
    table(
      ['append', 'median µs', 'p99 µs', 'appends/s'],
      [
        [`own transaction each (${fmtInt(r.options.storeEntries)})`, ...us(s.ownTransaction.appendUs), fmtInt(s.ownTransaction.perSecond)],
        [`100 per transaction (${fmtInt(r.options.storeBatchedEntries)})`, ...us(s.batched100.appendUs), fmtInt(s.batched100.perSecond)],
      ],
    ),
    `verify through the store (read + recompute ${fmtInt(s.entries)} entries, 2 checkpoints): ${s.verifySeconds.toFixed(1)} s`,
  ].join('\n');
}

// Standalone: node --import tsx bench/access-log.ts [--entries N] [--store-entries N] [--samples N]
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { entries: { type: 'string' }, 'store-entries': { type: 'string' }, samples: { type: 'string' } } });
  const int = (raw: string | undefined) => (raw === undefined ? undefined : Number(raw));
  const partial: Partial<AccessLogOptions> = {};
  if (values.entries) partial.entries = int(values.entries)!;
  if (values['store-entries']) partial.storeEntries = int(values['store-entries'])!;
  if (values.samples) partial.proofSamples = int(values.samples)!;
  for (const [k, v] of Object.entries(partial)) {
    if (!Number.isInteger(v) || v < 2) {
      process.stderr.write(`--${k} must be an integer ≥ 2\n`);
      process.exit(2);
    }
  }
  process.stdout.write(`${accessLogReport(await runAccessLog(partial))}\n`);
}
