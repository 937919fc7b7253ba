/**
 * The real Qingliu server for the recommendations benchmark, in its own process: buildApp on a fresh
 * temporary SQLite file (no demo seed), then, before it listens, the room the benchmark measures:
 *
 * - a brand with 1,000 bilingual products in the 13 demo categories (variants of the demo catalogue
 *   with varied prices, list prices and stock), imported through the real import workflow;
 * - a session with 50 of them on stage (all 13 categories), live, 2 pins and 2 flash sales;
 * - room activity: anonymous add-to-cart counts (skewed towards a few products) and likes;
 * - the viewers who consent (VIEWER_MIX of the 10,000): `POST /api/v1/consent` (accept_all) through
 *   the real route, each from its own client address (as real devices would be; the route allows 30 a
 *   minute per address), and 1–3 behaviour events each (`POST /sessions/:id/behaviour`), so the
 *   personalised path has in-session behaviour and interest tags to read. The rest never decide.
 *
 * argv[2]: number of viewers. Prints one JSON line { port, sessionId, dataDir, setup } when ready.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { systemContext } from '../src/context/index.js';
import { unwrap } from '../src/errors/index.js';
import { loadDemoCatalogue } from '../src/modules/catalogue/index.js';
import { importCatalogue } from '../src/workflows/import-catalogue.js';
import { exitWithParent } from './lib.js';
import { benchDeviceId, consentsInBench, REC_BRAND_ID, REC_SESSION_ID } from './recommendations.js';

const viewers = Number(process.argv[2] ?? 10_000);
// argv[3] (optional): the energy meter on or off, for the meter-overhead benchmark; samples every 5 s
// so that a 10 s run includes storing them.
const meterArg = process.argv[3];
const meterEnv: Record<string, string> = meterArg === 'meter=off' ? { QINGLIU_ENERGY_METER: 'off' } : meterArg === 'meter=on' ? { QINGLIU_ENERGY_METER: 'on', QINGLIU_ENERGY_SAMPLE_SECONDS: '5' } : {};
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-'));
const removeDataDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
process.on('exit', removeDataDir);

const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', QINGLIU_DATA_DIR: dataDir, ...meterEnv }, { seedDemo: false });
const app = await buildApp(config);
const { catalogue, liveRoom } = app.services;
const ctx = systemContext('recommendations benchmark setup');
const t0 = performance.now();

// ---- 1,000 products ----

/** Deterministic pseudo-random numbers (mulberry32), so every run sets up the same room. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20_261_129);
const VARIANTS = [
  { zh: '经典款', en: 'Classic' },
  { zh: '升级款', en: 'Upgraded' },
  { zh: '礼盒装', en: 'Gift box' },
  { zh: '旅行装', en: 'Travel size' },
  { zh: '家庭装', en: 'Family pack' },
  { zh: '雾霾蓝', en: 'Haze blue' },
  { zh: '奶油白', en: 'Cream white' },
  { zh: '樱花粉', en: 'Blossom pink' },
  { zh: '森林绿', en: 'Forest green' },
  { zh: '限定款', en: 'Limited edition' },
];
const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

const demo = loadDemoCatalogue();
const templates = JSON.parse(demo.productsJson) as Record<string, unknown>[];
const rows = Array.from({ length: 1000 }, (_, i) => {
  const t = templates[i % templates.length]!;
  const v = VARIANTS[Math.floor(i / templates.length) % VARIANTS.length]!;
  const basePrice = Math.round(Number(t.price) * 100);
  const priceFen = Math.max(990, Math.round((basePrice * (0.6 + random())) / 10) * 10 - 10);
  const discounted = random() < 0.4;
  const r = random();
  const stock = r < 0.02 ? 0 : r < 0.08 ? 1 + Math.floor(random() * 10) : 20 + Math.floor(random() * 2000);
  const { faqs: _faqs, ...rest } = t;
  return {
    ...rest,
    category: String(t.category),
    sku: `QLB-${String(t.category).toUpperCase().replace(/_/g, '')}-${String(i + 1).padStart(4, '0')}`,
    nameZh: `${String(t.nameZh)}（${v.zh}·${i + 1}号）`,
    nameEn: `${String(t.nameEn)} — ${v.en} No. ${i + 1}`,
    price: yuan(priceFen),
    ...(discounted ? { listPrice: yuan(Math.round((priceFen * (1.1 + random() * 0.3)) / 10) * 10) } : { listPrice: yuan(priceFen) }),
    stock,
  };
});
await catalogue.saveBrand(ctx, { ...demo.brand, id: REC_BRAND_ID }, demo.faqs);
const imported = unwrap(await importCatalogue(ctx, app.services, REC_BRAND_ID, JSON.stringify({ products: rows }), 'json'));
if (imported.productIds.length !== rows.length) throw new Error(`imported ${imported.productIds.length} of ${rows.length} products`);
const importMs = performance.now() - t0;

// ---- 50 on stage, live, pins, flash sales ----

const categories = [...new Set(rows.map((r) => r.category))];
const byCategory = new Map(categories.map((c) => [c, [] as number[]]));
rows.forEach((r, i) => {
  if (r.stock > 0) byCategory.get(r.category)!.push(i);
});
const onStage: string[] = [];
for (let round = 0; onStage.length < 50; round++) {
  for (const c of categories) {
    const list = byCategory.get(c)!;
    const idx = list[(round * 7 + 3) % list.length];
    if (onStage.length < 50 && idx !== undefined && !onStage.includes(imported.productIds[idx]!)) onStage.push(imported.productIds[idx]!);
  }
}
unwrap(
  await liveRoom.createSession(ctx, {
    id: REC_SESSION_ID,
    brandId: REC_BRAND_ID,
    title: { zh: '暖芽母婴千品专场', en: 'NuanYa thousand-product special' },
    posterUrl: '/img/poster.svg',
    productIds: onStage,
  }),
);
unwrap(await liveRoom.goLive(ctx, REC_SESSION_ID));
unwrap(await liveRoom.pin(ctx, REC_SESSION_ID, onStage[4]!));
unwrap(await liveRoom.pin(ctx, REC_SESSION_ID, onStage[17]!));
const state = (await liveRoom.roomState(REC_SESSION_ID, 0))!;
let flashSales = 0;
for (const p of state.products.filter((x) => !x.soldOut && x.stock >= 20 && x.priceFen >= 2000).slice(8, 10)) {
  unwrap(
    await liveRoom.startFlashSale(ctx, REC_SESSION_ID, { productId: p.id, priceFen: Math.floor((p.priceFen * 0.8) / 10) * 10, quantity: 10, durationSeconds: 3600 }),
  );
  flashSales++;
}

// ---- anonymous room activity: add-to-cart skewed towards a few products, and likes ----

let activity = 0;
for (let i = 0; i < 400; i++) {
  // Zipf-like: product rank r gets about 1/(r+1) of the carts.
  const rank = Math.min(onStage.length - 1, Math.floor(Math.exp(random() * Math.log(onStage.length + 1))) - 1);
  const r = await liveRoom.recordEvent(ctx, REC_SESSION_ID, { type: 'add_to_cart', clientEventId: `bench-cart-${i}`, productId: onStage[(rank * 3) % onStage.length]! });
  unwrap(r);
  activity++;
}
for (let i = 0; i < 200; i++) unwrap(await liveRoom.recordEvent(ctx, REC_SESSION_ID, { type: 'like', clientEventId: `bench-like-${i}` }));
const roomMs = performance.now() - t0 - importMs;

// ---- consent and behaviour for the consenting share, through the real routes ----

const notices = new Map<string, { version: string; hash: string; purposes: { id: string }[] }>();
for (const locale of ['zh-CN', 'en']) {
  const res = await app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${REC_BRAND_ID}&locale=${locale}` });
  if (res.statusCode !== 200) throw new Error(`notice → ${res.statusCode} ${res.body}`);
  notices.set(locale, res.json());
}
const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const BEHAVIOUR = ['view', 'view', 'click', 'add_to_cart'] as const;
let consented = 0;
let behaviourEvents = 0;
for (let i = 0; i < viewers; i++) {
  if (!consentsInBench(i)) continue;
  const deviceId = benchDeviceId(i);
  const locale = i % 5 === 0 ? 'en' : 'zh-CN';
  const notice = notices.get(locale)!;
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/consent',
    remoteAddress: address(i),
    payload: {
      deviceId,
      brandId: REC_BRAND_ID,
      noticeVersion: notice.version,
      noticeHash: notice.hash,
      locale,
      method: 'accept_all',
      granted: notice.purposes.map((p) => p.id),
    },
  });
  if (res.statusCode !== 201) throw new Error(`consent for viewer ${i} → ${res.statusCode} ${res.body}`);
  consented++;
  const events = 1 + (i % 3);
  for (let e = 0; e < events; e++) {
    const res2 = await app.inject({
      method: 'POST',
      url: `/api/v1/sessions/${REC_SESSION_ID}/behaviour`,
      remoteAddress: address(i),
      payload: { deviceId, type: BEHAVIOUR[(i + e) % BEHAVIOUR.length], clientEventId: `bench-${i}-${e}`, productId: onStage[(i * 7 + e * 13) % onStage.length] },
    });
    if (res2.statusCode !== 202) throw new Error(`behaviour for viewer ${i} → ${res2.statusCode} ${res2.body}`);
    behaviourEvents++;
  }
}
const consentMs = performance.now() - t0 - importMs - roomMs;

await app.listen({ host: '127.0.0.1', port: 0 });
const listening = app.server.address();
const port = typeof listening === 'object' && listening ? listening.port : 0;

// Optional: QINGLIU_BENCH_CPU_PROFILE=<file> profiles the server from here on (setup excluded).
const profileFile = process.env.QINGLIU_BENCH_CPU_PROFILE;
const profiler = profileFile ? new inspector.Session() : undefined;
if (profiler) {
  profiler.connect();
  profiler.post('Profiler.enable', () => profiler.post('Profiler.start'));
}
const writeProfile = () =>
  new Promise<void>((resolve) => {
    if (!profiler || !profileFile) return resolve();
    profiler.post('Profiler.stop', (err, result) => {
      if (!err) fs.writeFileSync(profileFile, JSON.stringify(result.profile));
      resolve();
    });
  });

let closing = false;
exitWithParent(() => {
  if (closing) return;
  closing = true;
  const force = setTimeout(() => process.exit(0), 5000);
  force.unref();
  writeProfile().then(() => app.close()).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

process.stdout.write(
  JSON.stringify({
    port,
    sessionId: REC_SESSION_ID,
    dataDir,
    setup: {
      products: imported.productIds.length,
      categories: categories.length,
      onStage: state.products.length,
      soldOutOnStage: state.products.filter((p) => p.soldOut).length,
      pins: state.pins.length,
      flashSales,
      cartEvents: activity,
      likes: 200,
      viewers,
      consented,
      behaviourEvents,
      seconds: { import: importMs / 1000, room: roomMs / 1000, consentAndBehaviour: consentMs / 1000 },
    },
  }) + '\n',
);
