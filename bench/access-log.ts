/**
 * Access-log costs: append, and inclusion / consistency proof generation and verification, at
 * 1,000,000 entries in memory (the incremental trees); append throughput through the SQLite store
 * (each append in its own transaction, as one staff access is; and 100 per transaction); and proofs
 * served from a SQLite store holding 1,000,000 entries (filled with bulk appends, 10,000 per
 * transaction, through the store's own code, so entries, leaf hashes, stored subtree nodes and head
 * are the real thing), next to the in-memory figures of the same run.
 *
 * Runs in this process (no server): `node --import tsx bench/access-log.ts [--entries N]
 * [--store-entries N] [--proof-store-entries N] [--samples N]`, or from bench/run.ts via
 * runAccessLog + accessLogReport. Prints medians and p99; never asserts.
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
  inclusionProof,
  leafHash,
  nodesOfRange,
  rootFromInclusionProof,
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
  /** Entries in the SQLite store that proofs are served from. */
  proofStoreEntries: number;
}

export const ACCESS_LOG_DEFAULTS: AccessLogOptions = {
  entries: 1_000_000,
  proofSamples: 2000,
  storeEntries: 50_000,
  storeBatchedEntries: 20_000,
  proofStoreEntries: 1_000_000,
};

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
    /** Root of the in-memory tree (hex), to check the store's against. */
    rootHash: string;
  };
  sqlite: {
    ownTransaction: { appendUs: Micros; perSecond: number };
    batched100: { appendUs: Micros; perSecond: number };
    /** AccessLogService.verify over the store (reads + recompute), all entries appended above. */
    verifySeconds: number;
    entries: number;
  };
  /** Proofs served from a SQLite store of `entries` entries. */
  storeProofs: {
    entries: number;
    /** Bulk fill: appendMany, 10,000 per transaction (encode + hash + frontier + inserts). */
    fillSeconds: number;
    fillPerSecond: number;
    fileBytes: number;
    /** The store's head root equals the in-memory tree's root over the same entries. */
    rootMatchesMemory: boolean;
    inclusion: { generateUs: Micros; verifyUs: Micros; proofHashes: number; rowsRead: number };
    consistency: { generateUs: Micros; verifyUs: Micros };
    /** AccessLogService.inclusionProof: entry and checkpoint reads, Ed25519 signature check, proof, verification. */
    serviceProofUs: Micros;
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
  const rootHash = root.toString('hex');

  return {
    treeAppendUs: micros(treeBatches),
    frontierAppendUs: micros(frontierBatches),
    frontierRootUs: micros(rootSamples),
    treeBytes,
    inclusion: { generateUs: micros(incGen), verifyUs: micros(incVer), proofHashes },
    consistency: { generateUs: micros(conGen), verifyUs: micros(conVer), proofHashesMax },
    verifyAllSeconds,
    rootHash,
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

/**
 * Proofs served from the store at proofStoreEntries. The fill goes through KyselyAccessLogStore.appendMany
 * (the code every append runs, 10,000 entries per transaction), so the entries, their leaf hashes, the
 * stored subtree nodes and the head are exactly what single appends would have written; the head's
 * root is checked against the in-memory tree built from the same entries. Each proof then reads
 * O(log n) rows: the proof's complete subtree nodes (one query) and leaf hashes (one query).
 */
async function benchStoreProofs(o: AccessLogOptions, memoryRoot: string | undefined): Promise<AccessLogResult['storeProofs']> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-proofs-'));
  const file = path.join(dir, 'access-log-proofs.sqlite');
  const storage = await openStorage(`sqlite:${file}`);
  try {
    const store = new KyselyAccessLogStore(storage.db);
    const service = new AccessLogService(store, new MemorySigningKeyStore(), { now: () => Date.UTC(2026, 1, 1) });
    const n = o.proofStoreEntries;
    const BATCH = 10_000;
    log(`access log: filling a SQLite store with ${fmtInt(n)} entries (appendMany, ${fmtInt(BATCH)} per transaction) …`);
    const t0 = performance.now();
    for (let start = 0; start < n; start += BATCH) {
      const count = Math.min(BATCH, n - start);
      await storage.db.transaction().execute((tx) => store.appendMany(entryText, count, tx));
    }
    const fillSeconds = (performance.now() - t0) / 1000;
    const checkpoint = await service.checkpoint(CTX);
    const head = await store.head();
    if (head.treeSize !== n || checkpoint.treeSize !== n) throw new Error(`the store holds ${head.treeSize} entries, not ${n}`);
    const rootMatchesMemory = memoryRoot !== undefined && o.entries === n ? head.rootHash === memoryRoot : false;
    if (memoryRoot !== undefined && o.entries === n && !rootMatchesMemory) throw new Error('the store’s root differs from the in-memory tree’s');
    const root = Buffer.from(checkpoint.rootHash, 'hex');
    const fileBytes = fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);

    log(`access log: ${o.proofSamples} inclusion and consistency proofs served from the store at ${fmtInt(n)} …`);
    const pick = rng(0x5eed);
    const incGen: number[] = [];
    const incVer: number[] = [];
    let proofHashes = 0;
    let rowsRead = 0;
    for (let s = 0; s < o.proofSamples; s++) {
      const index = pick(n);
      let t = performance.now();
      const proof = await store.inclusionProof(index, n);
      incGen.push((performance.now() - t) * 1000);
      if (!proof) throw new Error(`the store could not prove ${index}`);
      const leaf = leafHash(entryText(index));
      t = performance.now();
      const ok = verifyInclusion(index, n, leaf, proof, root);
      incVer.push((performance.now() - t) * 1000);
      if (!ok) throw new Error(`the store's inclusion proof for ${index} failed`);
      proofHashes = Math.max(proofHashes, proof.length);
      let touched = 0;
      inclusionProof(index, n, (start, end) => {
        touched += nodesOfRange(start, end).length;
        return Buffer.alloc(32);
      });
      rowsRead = Math.max(rowsRead, touched);
    }
    const conGen: number[] = [];
    const conVer: number[] = [];
    for (let s = 0; s < o.proofSamples; s++) {
      const m = 1 + pick(n - 1);
      const rootM = await storeRoot(store, m);
      let t = performance.now();
      const proof = await store.consistencyProof(m, n);
      conGen.push((performance.now() - t) * 1000);
      if (!proof) throw new Error(`the store could not prove ${m} → ${n}`);
      t = performance.now();
      const ok = verifyConsistency(m, n, rootM, root, proof);
      conVer.push((performance.now() - t) * 1000);
      if (!ok) throw new Error(`the store's consistency proof ${m} → ${n} failed`);
    }
    const serviceSamples: number[] = [];
    for (let s = 0; s < o.proofSamples; s++) {
      const index = pick(n);
      const t = performance.now();
      const r = await service.inclusionProof(CTX, index);
      serviceSamples.push((performance.now() - t) * 1000);
      if (!r.ok || !r.value.verified) throw new Error(`the service could not prove ${index}`);
    }
    return {
      entries: n,
      fillSeconds,
      fillPerSecond: n / fillSeconds,
      fileBytes,
      rootMatchesMemory,
      inclusion: { generateUs: micros(incGen), verifyUs: micros(incVer), proofHashes, rowsRead },
      consistency: { generateUs: micros(conGen), verifyUs: micros(conVer) },
      serviceProofUs: micros(serviceSamples),
    };
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The root at size m, from the stored nodes too (the old checkpoint a consistency proof starts at). */
async function storeRoot(store: KyselyAccessLogStore, m: number): Promise<Buffer> {
  // An inclusion proof of the last leaf at size m, folded with that leaf, is the root at size m.
  const proof = await store.inclusionProof(m - 1, m);
  const leaf = leafHash(entryText(m - 1));
  const rootM = proof && rootFromInclusionProof(m - 1, m, leaf, proof);
  if (!rootM) throw new Error(`no root at ${m}`);
  return rootM;
}

export async function runAccessLog(partial: Partial<AccessLogOptions> = {}): Promise<AccessLogResult> {
  const options = { ...ACCESS_LOG_DEFAULTS, ...partial };
  const memory = benchMemory(options);
  const sqlite = await benchSqlite(options);
  const storeProofs = await benchStoreProofs(options, memory.rootHash);
  return { options, memory, sqlite, storeProofs };
}

export function accessLogReport(r: AccessLogResult): string {
  const us = (m: Micros) => [m.median.toFixed(2), m.p99.toFixed(2)];
  const m = r.memory;
  const s = r.sqlite;
  const p = r.storeProofs;
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
    '',
    `Proofs served from a SQLite store of ${fmtInt(p.entries)} entries (stored subtree nodes, ≤ ${p.inclusion.rowsRead} rows per inclusion proof), against the in-memory tree of this run`,
    table(
      ['operation', 'store median µs', 'store p99 µs', 'memory median µs', 'memory p99 µs'],
      [
        [`inclusion proof: generate (${p.inclusion.proofHashes} hashes)`, ...us(p.inclusion.generateUs), ...us(m.inclusion.generateUs)],
        ['inclusion proof: verify', ...us(p.inclusion.verifyUs), ...us(m.inclusion.verifyUs)],
        ['consistency proof: generate', ...us(p.consistency.generateUs), ...us(m.consistency.generateUs)],
        ['consistency proof: verify', ...us(p.consistency.verifyUs), ...us(m.consistency.verifyUs)],
        ['service: entry + checkpoint + Ed25519 check + proof + verify', ...us(p.serviceProofUs), '—', '—'],
      ],
    ),
    `Fill: ${fmtInt(p.entries)} entries in ${p.fillSeconds.toFixed(1)} s (${fmtInt(p.fillPerSecond)}/s, appendMany 10,000 per transaction); file ${(p.fileBytes / 2 ** 20).toFixed(0)} MiB; head root ${p.rootMatchesMemory ? 'equals' : 'was not compared with'} the in-memory root.`,
  ].join('\n');
}

// Standalone: node --import tsx bench/access-log.ts [--entries N] [--store-entries N] [--samples N]
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { entries: { type: 'string' }, 'store-entries': { type: 'string' }, 'proof-store-entries': { type: 'string' }, samples: { type: 'string' } },
  });
  const int = (raw: string | undefined) => (raw === undefined ? undefined : Number(raw));
  const partial: Partial<AccessLogOptions> = {};
  if (values.entries) partial.entries = int(values.entries)!;
  if (values['store-entries']) partial.storeEntries = int(values['store-entries'])!;
  if (values['proof-store-entries']) partial.proofStoreEntries = int(values['proof-store-entries'])!;
  if (values.samples) partial.proofSamples = int(values.samples)!;
  for (const [k, v] of Object.entries(partial)) {
    if (!Number.isInteger(v) || v < 2) {
      process.stderr.write(`--${k} must be an integer ≥ 2\n`);
      process.exit(2);
    }
  }
  process.stdout.write(`${accessLogReport(await runAccessLog(partial))}\n`);
}
