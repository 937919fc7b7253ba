/**
 * Personal-event ingestion with the consent check and encryption, against the same ingestion with
 * the payload stored in plain text, in the same run (target: at least 70 % of that throughput).
 *
 * One process, a temporary SQLite file (WAL, synchronous=FULL), the real services: each event runs
 * the consent lookup, the keyed pseudonym and subject ids, sealing (or not) and the insert, awaited
 * one after another as request handlers would. 200 viewers who consented send events round-robin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createServices, startProtectionFor } from '../src/app.js';
import { MemoryBus } from '../src/bus/index.js';
import { loadConfig } from '../src/config/index.js';
import { systemClock, systemContext } from '../src/context/index.js';
import { PURPOSES, NOTICE_VERSION } from '../src/modules/consent/index.js';
import { KyselyViewerEventStore, ViewerEventService, type Sealer } from '../src/modules/viewer-events/index.js';
import { InterestTagService, KyselyInterestTagStore } from '../src/modules/interest-tags/index.js';
import { openStorage } from '../src/storage/index.js';
import { seedDemo } from '../src/workflows/seed-demo.js';
import { fmtInt, fmtRatio, median, percentile, table } from './lib.js';

export interface IngestionOptions {
  eventsPerRound: number;
  rounds: number;
  viewers: number;
}
export const INGESTION_DEFAULTS: IngestionOptions = { eventsPerRound: 2000, rounds: 7, viewers: 200 };

export interface IngestionStats {
  name: string;
  eventsPerSecond: number;
  p50Micros: number;
  p99Micros: number;
}
export interface IngestionResult {
  options: IngestionOptions;
  protected: IngestionStats;
  plain: IngestionStats;
  ratio: number;
  target: { atLeast: number; met: boolean };
}

const PLAIN: Sealer = {
  sealTextFor: async (_s, _f, text) => text,
  openTextFor: async (_s, _f, text) => text,
};

export async function runIngestion(partial: Partial<IngestionOptions> = {}): Promise<IngestionResult> {
  const options = { ...INGESTION_DEFAULTS, ...partial };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-ingest-'));
  try {
    const config = loadConfig({ QINGLIU_DATA_DIR: dir, LOG_LEVEL: 'silent' });
    const storage = await openStorage(config.databaseUrl);
    const protection = await startProtectionFor(config, storage, systemClock);
    const services = createServices(config, { storage, bus: new MemoryBus(), clock: systemClock, protection });
    await seedDemo(services.catalogue, services.liveRoom);
    const ctx = systemContext('bench');
    const notice = await services.consent.notice('demo-brand', 'zh-CN');
    if (!notice.ok) throw new Error('no notice');
    // Each pipeline its own viewers, so the plain one never meets sealed tags (and vice versa).
    const devices = Array.from({ length: options.viewers }, (_, i) => `bench-viewer-${String(i).padStart(8, '0')}`);
    const plainDevices = devices.map((d) => d.replace('viewer', 'plainv'));
    for (const deviceId of [...devices, ...plainDevices]) {
      const r = await services.consent.decide(ctx, {
        deviceId,
        brandId: 'demo-brand',
        noticeVersion: NOTICE_VERSION,
        noticeHash: notice.value.hash,
        locale: 'zh-CN',
        method: 'accept_all',
        granted: [...PURPOSES],
      });
      if (!r.ok) throw new Error(r.code);
    }
    const productIds = (await services.liveRoom.roomState('demo', 0))!.products.map((p) => p.id);
    // The same pipeline (consent and minors checks, keyed ids, interest tags) with nothing sealed.
    const plainTags = new InterestTagService({
      store: new KyselyInterestTagStore(storage.db),
      sealer: PLAIN,
      categoryOf: async (productId) => (await services.catalogue.getProduct(ctx, productId))?.category,
      clock: systemClock,
      region: config.dataRegion,
    });
    const plainService = new ViewerEventService({
      store: new KyselyViewerEventStore(storage.db),
      sealer: PLAIN,
      consent: services.consent,
      ids: protection,
      sessions: { brandOf: async () => 'demo-brand', hasProduct: (s, p) => services.liveRoom.sessionHasProduct(s, p) },
      clock: systemClock,
      region: config.dataRegion,
      onStored: async (subject, event) => {
        if (event.purpose === 'personalised_recommendations') await plainTags.recordSignal(subject, event);
      },
    });
    let n = 0;
    const round = async (service: ViewerEventService, label: string, viewers: readonly string[]) => {
      const times: number[] = [];
      const start = performance.now();
      for (let i = 0; i < options.eventsPerRound; i++) {
        const t0 = performance.now();
        const r = await service.ingest(ctx, 'demo', {
          deviceId: viewers[i % viewers.length]!,
          type: 'view',
          productId: productIds[i % productIds.length]!,
          clientEventId: `${label}-${++n}`,
        });
        if (!r.ok || !r.value.stored) throw new Error('event not stored');
        times.push((performance.now() - t0) * 1000);
      }
      return { eps: options.eventsPerRound / ((performance.now() - start) / 1000), times };
    };
    // Warm up both, then alternate rounds so background load falls on both alike.
    await round(services.viewerEvents, 'warm-protected', devices);
    await round(plainService, 'warm-plain', plainDevices);
    const protectedRounds: { eps: number; times: number[] }[] = [];
    const plainRounds: { eps: number; times: number[] }[] = [];
    for (let r = 0; r < options.rounds; r++) {
      protectedRounds.push(await round(services.viewerEvents, 'protected', devices));
      plainRounds.push(await round(plainService, 'plain', plainDevices));
    }
    await storage.close();
    const stats = (name: string, rounds: { eps: number; times: number[] }[]): IngestionStats => {
      const all = rounds.flatMap((r) => r.times).sort((a, b) => a - b);
      return { name, eventsPerSecond: median(rounds.map((r) => r.eps)), p50Micros: percentile(all, 50), p99Micros: percentile(all, 99) };
    };
    const prot = stats('consent check + sealed payload and tags', protectedRounds);
    const plain = stats('consent check + plain payload and tags', plainRounds);
    const ratio = prot.eventsPerSecond / plain.eventsPerSecond;
    return { options, protected: prot, plain, ratio, target: { atLeast: 0.7, met: ratio >= 0.7 } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function ingestionReport(r: IngestionResult): string {
  const row = (s: IngestionStats) => [s.name, fmtInt(s.eventsPerSecond), `${s.p50Micros.toFixed(0)} µs`, `${s.p99Micros.toFixed(0)} µs`];
  return [
    `Personal-event ingestion — ${r.options.rounds} rounds × ${r.options.eventsPerRound} events, ${r.options.viewers} consenting viewers, SQLite file (synchronous=FULL)`,
    '',
    table(['ingestion', 'events/s (median round)', 'p50', 'p99'], [row(r.protected), row(r.plain)]),
    '',
    `sealed / plain = ${fmtRatio(r.ratio)} — target ≥ 70 % → ${r.target.met ? 'PASS' : 'MISS'}`,
  ].join('\n');
}
