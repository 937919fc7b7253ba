/**
 * Protected storage throughput: ProtectionService.sealFor/openFor on 200-byte payloads with the
 * subject's data key already in memory (the steady state), against no encryption at all (the
 * payload only encoded to and from UTF-8 bytes, which storing it would need anyway).
 *
 * One process, no server: each round runs `opsPerRound` operations back to back (awaited one at a
 * time, as a request handler would); the figures are medians over the measured rounds, after
 * warm-up rounds that are thrown away. The database is touched once, to create the data key.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openStorage } from '../src/storage/index.js';
import { EnvKeyProvider, KyselyDataKeyStore, KyselyPseudonymStore, ProtectionService } from '../src/modules/protection/index.js';
import { fmtInt, fmtOther, fmtRatio, log, median, NOISY_OTHER_CPU_PERCENT, table, waitForQuiet } from './lib.js';

export interface ProtectionBenchOptions {
  payloadBytes: number;
  opsPerRound: number;
  rounds: number;
  warmupRounds: number;
}

export const PROTECTION_BENCH_DEFAULTS: ProtectionBenchOptions = { payloadBytes: 200, opsPerRound: 20_000, rounds: 15, warmupRounds: 3 };

export interface OpStats {
  name: string;
  /** Median over rounds of operations per second. */
  opsPerSecond: number;
  /** Median time per operation, µs. */
  microsPerOp: number;
  /** Per-round ops/s, in round order. */
  rounds: number[];
}

export interface ProtectionBenchResult {
  options: ProtectionBenchOptions;
  node: string;
  /** CPU used by other processes (% of a core) in the quiet window found before measuring. */
  otherCpuPercent: number | undefined;
  envelopeBytes: number;
  baseline: { seal: OpStats; open: OpStats };
  protected: { seal: OpStats; open: OpStats; sealText: OpStats; openText: OpStats };
  /** Protected ops/s as a share of the baseline's (e.g. 0.05 = 5 %). */
  ratio: { seal: number; open: number };
}

/** A 200-byte (by default) UTF-8 payload shaped like an event: JSON with Chinese and ASCII. */
export function payloadOf(bytes: number): string {
  const head = JSON.stringify({ type: 'view', product: 'p-000123', viewer: '小明', at: 1767225600000, note: '' });
  const pad = bytes - Buffer.byteLength(head);
  if (pad < 0) throw new Error(`payloads must be at least ${Buffer.byteLength(head)} bytes`);
  return head.replace('"note":""', `"note":"${'x'.repeat(pad)}"`);
}

async function measure(name: string, options: ProtectionBenchOptions, op: () => unknown): Promise<OpStats> {
  const perRound: number[] = [];
  for (let r = 0; r < options.warmupRounds + options.rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < options.opsPerRound; i++) await op();
    const seconds = (performance.now() - started) / 1000;
    if (r >= options.warmupRounds) perRound.push(options.opsPerRound / seconds);
  }
  const opsPerSecond = median(perRound);
  return { name, opsPerSecond, microsPerOp: 1e6 / opsPerSecond, rounds: perRound };
}

export async function runProtection(partial: Partial<ProtectionBenchOptions> = {}): Promise<ProtectionBenchResult> {
  const options = { ...PROTECTION_BENCH_DEFAULTS, ...partial };
  const storage = await openStorage('sqlite::memory:');
  try {
    const provider = new EnvKeyProvider({ keks: `bench:${randomBytes(32).toString('base64')}`, pseudonymRoot: randomBytes(32).toString('base64') });
    const service = await ProtectionService.start({
      dataKeys: new KyselyDataKeyStore(storage.db),
      pseudonyms: new KyselyPseudonymStore(storage.db),
      provider,
      clock: { now: () => Date.now() },
    });
    const subject = 'bench-subject';
    const field = { table: 'events', column: 'payload', rowId: 'e-000001' };
    const plaintext = payloadOf(options.payloadBytes);
    const bytes = Buffer.from(plaintext, 'utf8');
    const envelope = await service.sealFor(subject, field, bytes); // creates and caches the data key
    const envelopeText = await service.sealTextFor(subject, field, plaintext);
    if ((await service.openTextFor(subject, field, envelopeText)) !== plaintext) throw new Error('round trip failed');

    const quiet = await waitForQuiet(undefined, 30_000);
    log(`protection: ${options.rounds} rounds × ${fmtInt(options.opsPerRound)} ops of ${options.payloadBytes}-byte payloads …`);
    let sink = 0; // keeps results alive so nothing is optimised away
    const baselineSeal = await measure('no encryption: encode', options, () => (sink += Buffer.from(plaintext, 'utf8').length));
    const baselineOpen = await measure('no encryption: decode', options, () => (sink += bytes.toString('utf8').length));
    const seal = await measure('sealFor (cached key)', options, async () => (sink += (await service.sealFor(subject, field, bytes)).length));
    const open = await measure('openFor (cached key)', options, async () => (sink += (await service.openFor(subject, field, envelope)).length));
    const sealText = await measure('sealTextFor (cached key)', options, async () => (sink += (await service.sealTextFor(subject, field, plaintext)).length));
    const openText = await measure('openTextFor (cached key)', options, async () => (sink += (await service.openTextFor(subject, field, envelopeText)).length));
    if (sink === 0) throw new Error('unreachable');
    return {
      options,
      node: process.version,
      otherCpuPercent: quiet.otherPercent,
      envelopeBytes: envelope.length,
      baseline: { seal: baselineSeal, open: baselineOpen },
      protected: { seal, open, sealText, openText },
      ratio: { seal: seal.opsPerSecond / baselineSeal.opsPerSecond, open: open.opsPerSecond / baselineOpen.opsPerSecond },
    };
  } finally {
    await storage.close();
  }
}

export function protectionReport(r: ProtectionBenchResult): string {
  const row = (s: OpStats) => [s.name, fmtInt(s.opsPerSecond), `${s.microsPerOp.toFixed(2)} µs`, fmtInt(Math.min(...s.rounds)), fmtInt(Math.max(...s.rounds))];
  const lines = [
    `Protected storage — ${r.options.payloadBytes}-byte payloads (envelope ${r.envelopeBytes} bytes), ` +
      `${r.options.rounds} rounds × ${fmtInt(r.options.opsPerRound)} ops after ${r.options.warmupRounds} warm-up rounds, Node ${r.node}; other CPU ${fmtOther(r.otherCpuPercent)}`,
    '',
    table(
      ['operation', 'ops/s median', 'per op', 'ops/s min', 'ops/s max'],
      [r.baseline.seal, r.baseline.open, r.protected.seal, r.protected.open, r.protected.sealText, r.protected.openText].map(row),
    ),
    '',
    `sealFor / no encryption = ${fmtRatio(r.ratio.seal)}; openFor / no encryption = ${fmtRatio(r.ratio.open)} (median ops/s; reported, no target)`,
  ];
  if ((r.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT) lines.push(`* other processes used more than ${NOISY_OTHER_CPU_PERCENT} % of a core before this measurement: treat it as noisy.`);
  return lines.join('\n');
}
