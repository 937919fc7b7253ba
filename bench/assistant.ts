/**
 * The shopping assistant's answer latency, in process, on the demo catalogue (56 products and their
 * FAQs, the brand's FAQ): the 294 questions of test/assistant-eval/questions.json (zh-CN and en, with
 * their pinned product when they have one), asked through three layers:
 *
 *  - service:  `app.services.assistant.ask(ctx, 'demo', { question, locale })` on the real app
 *              (buildApp, in-memory SQLite, demo seed, the demo session live): question cleaning, the
 *              room's live facts (pins, prices, stock, flash sales; cached until the showcase
 *              changes), the brand's index (built on the first question), the answer with the room's
 *              facts laid over the catalogue, the handoff queue (a database write) when it hands off.
 *              The room's pins are set with `app.services.liveRoom.pin`/`unpin` to each question's
 *              context; the first question after a pin change re-reads the room and is timed apart.
 *              Also with a device id (one of 1,000 viewers, none of whom consented to memory):
 *              conversation memory for the show, and the consent lookup.
 *  - answerer: `createAssistant(catalogue).answer(question, { locale, pinnedProductId, onStageProductIds })`
 *              on the same catalogue the service reads, with the same context: pure, no I/O.
 *  - search:   the retrieval the answerer starts with (`searchDetailed`, k = 12, same context) on an
 *              index built from the same documents: the floor.
 *
 * Each question is timed alone (performance.now(), µs). A repetition asks every question once per
 * layer, layers in turn; the figures are medians over repetitions of each repetition's p50 and p99.
 * Index build time: createAssistant on the catalogue (documents, BM25F index, answer knowledge) and
 * buildIndex alone, median of repetitions; and the service's cold first question (catalogue read
 * from SQLite + build + answer, after `invalidateBrand`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { ANONYMOUS, systemContext, type RequestContext } from '../src/context/index.js';
import { buildIndex, createAssistant, documentsFromCatalogue, searchDetailed, type AssistantCatalogue, type GroundedAnswer } from '../src/modules/assistant/index.js';
import type { ProductDetail } from '../src/modules/catalogue/index.js';
import { fmtInt, fmtMs, fmtOther, fmtRatio, log, machineBusySeconds, median, NOISY_OTHER_CPU_PERCENT, percentile, ROOT_DIR, table, waitForQuiet } from './lib.js';

export interface AssistantBenchOptions {
  /** Measured repetitions of the whole question set per layer (after one warm-up repetition). */
  repetitions: number;
  /** Repetitions of the index build. */
  buildRepetitions: number;
  /** Repetitions of the service's cold first question. */
  coldRepetitions: number;
  /** Distinct device ids the "with a device id" run cycles through. */
  devices: number;
}

export const ASSISTANT_DEFAULTS: AssistantBenchOptions = { repetitions: 10, buildRepetitions: 10, coldRepetitions: 5, devices: 1000 };

export const ASSISTANT_TARGET_P99_MS = 20;

interface EvalItem {
  id: string;
  locale: 'zh-CN' | 'en';
  question: string;
  context: { pinnedProductId?: string };
  kind: string;
}

export interface LayerStats {
  layer: string;
  /** Questions timed per repetition. */
  questions: number;
  repetitions: number;
  /** Medians over repetitions of each repetition's p50, p90 and p99 (ms). */
  p50: number;
  p90: number;
  p99: number;
  /** Spread of the per-repetition p99 (ms). */
  p99Min: number;
  p99Max: number;
  /** Over all samples. */
  max: number;
  mean: number;
  /**
   * p50 and p99 over questions of each question's median time: what the questions cost without the
   * pauses (GC, other processes) that land on one repetition or another.
   */
  perQuestionP50: number;
  perQuestionP99: number;
}

export interface AssistantBenchResult {
  options: AssistantBenchOptions;
  catalogue: { products: number; productFaqs: number; brandFaqs: number; documents: number; onStage: number };
  questions: { total: number; zh: number; en: number; pinnedContexts: number; withPin: number };
  layers: { service: LayerStats; serviceWithDevice: LayerStats; answerer: LayerStats; search: LayerStats };
  build: {
    /** createAssistant: documents + BM25F index + answer knowledge (ms, median). */
    createAssistantMs: number;
    /** documentsFromCatalogue + buildIndex alone (ms, median). */
    buildIndexMs: number;
    /** The service's first question after invalidateBrand: catalogue read + build + answer (ms, median). */
    serviceColdMs: number;
    serviceColdAllMs: number[];
  };
  /** The first question after a pin change (the room's facts re-read), not in the service's figures. */
  afterPinChangeMs: { samples: number; p50: number; max: number };
  ratios: {
    serviceOverAnswerer: { p50: number; p99: number };
    answererOverSearch: { p50: number; p99: number };
    serviceOverSearch: { p50: number; p99: number };
  };
  /** What the service replied (one repetition), and how many replies were word for word the answerer's. */
  outcomes: Record<string, number>;
  sameAnswerAsAnswerer: number;
  /** The questions that make the p99: slowest by their median time in the service (ms), with the other layers. */
  slowest: Array<{ id: string; question: string; serviceMs: number; answererMs: number; searchMs: number }>;
  quietWaitSeconds: number;
  /** CPU everything else on the machine used during the measured repetitions, % of one core. */
  otherCpuPercent: number | undefined;
  target: { p99AtMostMs: number; met: boolean };
}

function layerStats(layer: string, reps: number[][]): LayerStats {
  const per = reps.map((r) => Float64Array.from(r).sort());
  const p99s = per.map((s) => percentile(s, 99));
  const all = reps.flat();
  // Every pass times the questions in the same order, so column i is one question.
  const questionMedians = Float64Array.from((reps[0] ?? []).map((_, i) => median(reps.map((r) => r[i]!)))).sort();
  return {
    layer,
    questions: reps[0]?.length ?? 0,
    repetitions: reps.length,
    p50: median(per.map((s) => percentile(s, 50))),
    p90: median(per.map((s) => percentile(s, 90))),
    p99: median(p99s),
    p99Min: Math.min(...p99s),
    p99Max: Math.max(...p99s),
    max: Math.max(...all),
    mean: all.reduce((a, b) => a + b, 0) / all.length,
    perQuestionP50: percentile(questionMedians, 50),
    perQuestionP99: percentile(questionMedians, 99),
  };
}

const ratio = (a: LayerStats, b: LayerStats) => ({ p50: a.p50 / b.p50, p99: a.p99 / b.p99 });

export async function runAssistantBench(partial: Partial<AssistantBenchOptions> = {}): Promise<AssistantBenchResult> {
  const options = { ...ASSISTANT_DEFAULTS, ...partial };
  const items = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'test/assistant-eval/questions.json'), 'utf8')) as EvalItem[];

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dataDir }, { databaseUrl: 'sqlite::memory:', seedDemo: true });
  const app = await buildApp(config, { logger: false });
  try {
    const services = app.services;
    const host = systemContext('bench');
    const sessionId = 'demo';
    const live = await services.liveRoom.goLive(host, sessionId);
    if (!live.ok && live.code !== 'SESSION_ALREADY_LIVE') throw new Error(`could not start the demo session: ${live.code}`);
    const session = await services.liveRoom.getSession(sessionId);
    const state = await services.liveRoom.roomState(sessionId, 0);
    if (!session || !state) throw new Error('no demo session');
    const idBySku = new Map(state.products.map((p) => [p.sku, p.id]));
    const onStage = state.products.map((p) => p.id);

    // The catalogue exactly as the service reads it (app.ts: catalogueOf).
    const brand = await services.catalogue.getBrand(session.brandId);
    if (!brand) throw new Error('no demo brand');
    const products: ProductDetail[] = [];
    for (const p of await services.catalogue.listProducts(host, { brandId: brand.id, limit: 500 })) {
      const detail = await services.catalogue.getProduct(host, p.id);
      if (detail) products.push(detail);
    }
    const faqs = await services.catalogue.brandFaqs(brand.id);
    const catalogue: AssistantCatalogue = { brand, products, faqs };
    const documents = documentsFromCatalogue(products, faqs, { brand: brand.name });

    // Questions grouped by their pinned product (the service's room is set up once per group).
    const pinOf = (item: EvalItem): string | undefined => {
      const sku = item.context.pinnedProductId;
      if (sku === undefined) return undefined;
      const id = idBySku.get(sku);
      if (!id) throw new Error(`${item.id}: pinned ${sku} is not in the demo session`);
      return id;
    };
    const groups = new Map<string, EvalItem[]>();
    for (const item of items) {
      const key = pinOf(item) ?? '';
      groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    const ordered = [...groups.entries()];
    const order = ordered.flatMap(([, group]) => group);

    // ---- index build ----
    log(`assistant: index build × ${options.buildRepetitions} (${products.length} products, ${documents.length} documents) …`);
    const createTimes: number[] = [];
    const indexTimes: number[] = [];
    let assistant = createAssistant(catalogue);
    for (let i = 0; i < options.buildRepetitions; i++) {
      let t = performance.now();
      assistant = createAssistant(catalogue);
      createTimes.push(performance.now() - t);
      t = performance.now();
      buildIndex(documentsFromCatalogue(products, faqs, { brand: brand.name }));
      indexTimes.push(performance.now() - t);
    }
    const index = buildIndex(documents);

    // ---- the room's pins ----
    let pins = [...state.pins];
    const setPin = async (productId: string | undefined) => {
      for (const p of pins) if (p !== productId) await unwrap(services.liveRoom.unpin(host, sessionId, p), 'unpin');
      if (productId !== undefined && !pins.includes(productId)) await unwrap(services.liveRoom.pin(host, sessionId, productId), 'pin');
      pins = productId === undefined ? [] : [productId];
    };
    const anonymous = (): RequestContext => ({ requestId: 'bench', actor: ANONYMOUS, locale: 'zh-CN' });
    const afterPin: number[] = [];
    const outcomes: Record<string, number> = {};
    const serviceAnswers = new Map<string, string>();
    let device = 0;

    const servicePass = async (withDevice: boolean, record: boolean): Promise<number[]> => {
      const times: number[] = [];
      for (const [pinned, group] of ordered) {
        await setPin(pinned || undefined);
        // The first question after a showcase change re-reads the room's facts: timed apart.
        const first = group[0]!;
        const t0 = performance.now();
        await services.assistant.ask(anonymous(), sessionId, { question: first.question, locale: first.locale });
        if (record && !withDevice) afterPin.push(performance.now() - t0);
        for (const item of group) {
          const input = { question: item.question, locale: item.locale, ...(withDevice ? { deviceId: `bench-assistant-device-${String(device++ % options.devices).padStart(6, '0')}` } : {}) };
          const t = performance.now();
          const reply = await services.assistant.ask(anonymous(), sessionId, input);
          times.push(performance.now() - t);
          if (!reply.ok) throw new Error(`${item.id}: ${reply.code}`);
          if (record && !withDevice) {
            outcomes[reply.value.outcome] = (outcomes[reply.value.outcome] ?? 0) + 1;
            serviceAnswers.set(item.id, reply.value.answer);
          }
        }
      }
      return times;
    };
    const answererAnswers = new Map<string, GroundedAnswer>();
    const answererPass = (): number[] => {
      const times: number[] = [];
      for (const [pinned, group] of ordered) {
        for (const item of group) {
          const t = performance.now();
          const a = assistant.answer(item.question, { locale: item.locale, onStageProductIds: onStage, ...(pinned ? { pinnedProductId: pinned } : {}) });
          times.push(performance.now() - t);
          answererAnswers.set(item.id, a);
        }
      }
      return times;
    };
    const searchPass = (): number[] => {
      const times: number[] = [];
      for (const [pinned, group] of ordered) {
        for (const item of group) {
          const t = performance.now();
          searchDetailed(index, item.question, { locale: item.locale, k: 12, onStageProductIds: onStage, ...(pinned ? { pinnedProductId: pinned } : {}) });
          times.push(performance.now() - t);
        }
      }
      return times;
    };

    // ---- cold first question (catalogue read + build + answer) ----
    const cold: number[] = [];
    await setPin(undefined);
    for (let i = 0; i < options.coldRepetitions; i++) {
      services.assistant.invalidateBrand(brand.id);
      const t = performance.now();
      await services.assistant.ask(anonymous(), sessionId, { question: items[0]!.question, locale: items[0]!.locale });
      cold.push(performance.now() - t);
    }

    // ---- warm-up, then the measured repetitions, layers in turn ----
    log(`assistant: ${items.length} questions in ${ordered.length} pin contexts; 1 warm-up + ${options.repetitions} repetitions per layer …`);
    await servicePass(false, false);
    await servicePass(true, false);
    answererPass();
    searchPass();
    const quiet = await waitForQuiet(undefined);
    const reps = { service: [] as number[][], serviceWithDevice: [] as number[][], answerer: [] as number[][], search: [] as number[][] };
    const busy0 = machineBusySeconds();
    const self0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let r = 0; r < options.repetitions; r++) {
      reps.service.push(await servicePass(false, r === 0));
      reps.answerer.push(answererPass());
      reps.search.push(searchPass());
      reps.serviceWithDevice.push(await servicePass(true, false));
    }

    const busy1 = machineBusySeconds();
    const self = process.cpuUsage(self0);
    const seconds = (performance.now() - wall0) / 1000;
    const otherCpuPercent = busy0 === undefined || busy1 === undefined ? undefined : Math.max(0, ((busy1 - busy0 - (self.user + self.system) / 1e6) / seconds) * 100);
    const layers = {
      service: layerStats('service: AssistantService.ask', reps.service),
      serviceWithDevice: layerStats('service, with a device id', reps.serviceWithDevice),
      answerer: layerStats('answerer: createAssistant(…).answer', reps.answerer),
      search: layerStats('search: searchDetailed (floor)', reps.search),
    };
    let same = 0;
    for (const [id, text] of serviceAnswers) if (answererAnswers.get(id)?.answer === text) same++;
    // Every pass times the questions in the same order, so column i is one question.
    const perQuestion = (rs: number[][]) => order.map((_, i) => median(rs.map((r) => r[i]!)));
    const byService = perQuestion(reps.service);
    const byAnswerer = perQuestion(reps.answerer);
    const bySearch = perQuestion(reps.search);
    const slowest = order
      .map((item, i) => ({ id: item.id, question: item.question, serviceMs: byService[i]!, answererMs: byAnswerer[i]!, searchMs: bySearch[i]! }))
      .sort((a, b) => b.serviceMs - a.serviceMs)
      .slice(0, 6);
    const afterSorted = Float64Array.from(afterPin).sort();
    const result: AssistantBenchResult = {
      options,
      catalogue: {
        products: products.length,
        productFaqs: products.reduce((n, p) => n + (p.faqs?.length ?? 0), 0),
        brandFaqs: faqs.length,
        documents: documents.length,
        onStage: onStage.length,
      },
      questions: {
        total: items.length,
        zh: items.filter((i) => i.locale === 'zh-CN').length,
        en: items.filter((i) => i.locale === 'en').length,
        pinnedContexts: ordered.filter(([p]) => p !== '').length,
        withPin: items.filter((i) => i.context.pinnedProductId !== undefined).length,
      },
      layers,
      build: { createAssistantMs: median(createTimes), buildIndexMs: median(indexTimes), serviceColdMs: median(cold), serviceColdAllMs: cold },
      afterPinChangeMs: { samples: afterSorted.length, p50: percentile(afterSorted, 50), max: afterSorted[afterSorted.length - 1] ?? Number.NaN },
      ratios: {
        serviceOverAnswerer: ratio(layers.service, layers.answerer),
        answererOverSearch: ratio(layers.answerer, layers.search),
        serviceOverSearch: ratio(layers.service, layers.search),
      },
      outcomes,
      sameAnswerAsAnswerer: same,
      slowest,
      quietWaitSeconds: quiet.waitedMs / 1000,
      otherCpuPercent,
      target: { p99AtMostMs: ASSISTANT_TARGET_P99_MS, met: layers.service.p99 <= ASSISTANT_TARGET_P99_MS },
    };
    log(`assistant: service p50 ${fmtMs(layers.service.p50)}, p99 ${fmtMs(layers.service.p99)}; answerer p99 ${fmtMs(layers.answerer.p99)}; search p99 ${fmtMs(layers.search.p99)}`);
    return result;
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function unwrap<T>(p: Promise<{ ok: true; value: T } | { ok: false; code: string }>, what: string): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(`${what}: ${r.code}`);
  return r.value;
}

const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;
const fmtUs = (ms: number) => (Number.isFinite(ms) ? (ms < 1 ? `${Math.round(ms * 1000)} µs` : fmtMs(ms)) : '—');

export function assistantReport(r: AssistantBenchResult): string {
  const row = (s: LayerStats) => [
    s.layer,
    fmtUs(s.p50),
    fmtUs(s.p90),
    fmtUs(s.p99),
    `${fmtUs(s.p99Min)} – ${fmtUs(s.p99Max)}`,
    fmtUs(s.max),
    fmtUs(s.mean),
    `${fmtUs(s.perQuestionP50)} / ${fmtUs(s.perQuestionP99)}`,
    fmtInt(s.questions * s.repetitions),
  ];
  const c = r.catalogue;
  const q = r.questions;
  const rat = (x: { p50: number; p99: number }) => `p50 ${fmtRatio(x.p50)}, p99 ${fmtRatio(x.p99)}`;
  return [
    `Shopping assistant, in process — demo catalogue (${c.products} products, ${c.productFaqs} product FAQs, ${c.brandFaqs} brand FAQs: ${c.documents} documents; ${c.onStage} on stage), ` +
      `${q.total} questions (${q.zh} zh-CN, ${q.en} en; ${q.withPin} with one of ${q.pinnedContexts} pinned products), ${r.options.repetitions} repetitions (medians of each repetition's percentiles)`,
    '',
    table(['layer', 'p50', 'p90', 'p99', 'p99 range', 'max', 'mean', 'per question p50 / p99', 'samples'], [r.layers.service, r.layers.serviceWithDevice, r.layers.answerer, r.layers.search].map(row)),
    '',
    `Ratios: service / answerer ${rat(r.ratios.serviceOverAnswerer)}; answerer / search ${rat(r.ratios.answererOverSearch)}; service / search ${rat(r.ratios.serviceOverSearch)}`,
    `Index build: createAssistant ${fmtMs(r.build.createAssistantMs)} (documents + BM25F index alone ${fmtMs(r.build.buildIndexMs)}), median of ${r.options.buildRepetitions}; ` +
      `the service's cold first question (catalogue read from SQLite + build + answer) ${fmtMs(r.build.serviceColdMs)}, median of ${r.options.coldRepetitions}`,
    `First question after a pin change (room facts re-read; not in the service rows): p50 ${fmtMs(r.afterPinChangeMs.p50)}, max ${fmtMs(r.afterPinChangeMs.max)} over ${r.afterPinChangeMs.samples}`,
    `Service replies: ${Object.entries(r.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}; word for word the answerer's: ${r.sameAnswerAsAnswerer} of ${q.total}`,
    `Target: service p99 ≤ ${r.target.p99AtMostMs} ms → ${r.target.met ? 'PASS' : 'MISS'} (p99 ${fmtMs(r.layers.service.p99)}); other processes used ${fmtOther(r.otherCpuPercent)} of a core meanwhile` +
      ((r.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT ? ' (* noisy: p99 and max then mostly measure pauses, see the per-question column)' : ''),
    '',
    `The slowest questions (median over repetitions; a repetition's p99 is its ${ordinal(q.total - Math.ceil(0.99 * q.total) + 1)} slowest of ${q.total}):`,
    table(
      ['question', 'service', 'answerer', 'search'],
      r.slowest.map((s) => [`${s.id} ${s.question.length > 40 ? `${s.question.slice(0, 40)}…` : s.question}`, fmtUs(s.serviceMs), fmtUs(s.answererMs), fmtUs(s.searchMs)]),
    ),
  ].join('\n');
}
