/**
 * The composition root: buildApp(config, deps) picks the adapters once, wires the modules, and
 * returns a Fastify instance that tests drive with inject() and the server makes listen.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { Config } from './config/index.js';
import { systemClock, systemContext, type Clock } from './context/index.js';
import { AppError, ERROR_STATUS, ERROR_TITLES } from './errors/index.js';
import { openBus, type Bus } from './bus/index.js';
import { openStorage, type Storage } from './storage/index.js';
import { installAccessControl, installErrorHandling, installValidators, sendProblem } from './http/index.js';
import { installOverloadShedding, OverloadGate } from './http/overload.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { installSimulatedTraffic, SimulatedTraffic } from './http/simulated.js';
import { createMetrics } from './observability/metrics.js';
import { safeError } from './observability/log.js';
import { CatalogueService, KyselyCatalogueStore, catalogueRoutes } from './modules/catalogue/index.js';
import { KyselyStaffStore, StaffService, staffNames, staffRoutes } from './modules/staff/index.js';
import { KyselyLiveStore, LiveRoomGateway, LiveRoomService, liveRoomRoutes, roomTopic, isRoomBookkeeping, type GatewayMetrics } from './modules/live-room/index.js';
import { ACCESS_LOG_KEEP_DAYS, AccessLogJob, AccessLogService, FileSigningKeyStore, KyselyAccessLogStore, accessLogKeyFile, accessLogRoutes } from './modules/access-log/index.js';
import { ConsentService, KyselyConsentLedger, KyselyNoticeArchive, NoticeKeeper, consentRoutes } from './modules/consent/index.js';
import { KyselyViewerEventStore, ViewerEventService, viewerEventRoutes } from './modules/viewer-events/index.js';
import { KyselyDataKeyStore, KyselyPseudonymStore, ProtectionService, startProtection, type KeySource } from './modules/protection/index.js';
import { KyselyExportLedger, purgeTransferRecordsBefore, transferRoutes, transferServiceOn, type AlertLog, type TransferService } from './modules/transfer/index.js';
import { CHILD_AGE_MONTHS, KyselyViewerProfileStore, ViewerProfileService } from './modules/viewer-profile/index.js';
import { InterestTagService, KyselyInterestTagStore } from './modules/interest-tags/index.js';
import { applyWithdrawal, relayErasures, type PersonalDataSource } from './workflows/privacy.js';
import { privacyRoutes } from './workflows/privacy.routes.js';
import { dataMapRoutes } from './workflows/data-map.routes.js';
import { KyselyRightsTicketStore, RIGHTS_RETENTION_DAYS, RightsService, rightsDataSource, rightsRoutes } from './modules/rights/index.js';
import { eraseSubject } from './workflows/privacy.js';
import { FEEDBACK_RELAY_TOPIC, KyselyRecommenderStore, MODEL_LEARNED_TOPIC, priceBandOf, RecommenderService, recommenderRoutes } from './modules/recommender/index.js';
import { placeOrderWithinLimits } from './workflows/place-order.js';
import { AuditThread, FairnessService, fairnessRoutes, KyselyFairnessStore } from './modules/fairness/index.js';
import type { ArmFairness } from './modules/experiments/index.js';
import { ExperimentService, experimentRoutes, experimentsDataSource, EXPERIMENT_UNITS_KEEP_DAYS, KyselyExperimentStore } from './modules/experiments/index.js';
import { EnergyMeter, EnergyService, energyRoutes, KyselyEnergyStore, RaplMeter, type Accounting, type StoredSample } from './modules/energy/index.js';
import { NO_METER, type WorkMeter } from './shared/work-meter.js';
import { seedDemo } from './workflows/seed-demo.js';
import { importCatalogue } from './workflows/import-catalogue.js';
import { retentionCategories, retentionJob } from './workflows/retention.js';
import { backfillNoticeTexts } from './workflows/notice-backfill.js';
import type { RetentionCategory } from './modules/retention/index.js';
import { consentExportRoutes } from './workflows/consent-export.routes.js';
import { ChatService, KyselyChatStore, chatRoutes, chatTopic } from './modules/chat/index.js';
import { AssistantService, MEMORY_KEEP_DAYS, TransferLanguageModel, assistantRoutes, mentionedQuestion } from './modules/assistant/index.js';


/** The hash of the inline style element Swagger UI (@fastify/swagger-ui's bundle) adds to the API docs page. */
const SWAGGER_UI_STYLE_HASH = 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=';
export interface AppDeps {
  /** An open storage to use; by default one is opened from config.databaseUrl (and closed with the app). */
  storage?: Storage;
  bus?: Bus;
  clock?: Clock;
  /** Pino options or false; by default logs at config.logLevel. */
  logger?: boolean | Record<string, unknown>;
}

export interface Services {
  storage: Storage;
  bus: Bus;
  clock: Clock;
  catalogue: CatalogueService;
  staff: StaffService;
  liveRoom: LiveRoomService;
  gateway: LiveRoomGateway;
  accessLog: AccessLogService;
  protection: ProtectionService;
  consent: ConsentService;
  /** The archive of every notice text a consent, guardian or cross-border decision was made on. */
  notices: NoticeKeeper;
  viewerEvents: ViewerEventService;
  transfer: TransferService;
  profile: ViewerProfileService;
  tags: InterestTagService;
  rights: RightsService;
  recommender: RecommenderService;
  experiments: ExperimentService;
  fairness: FairnessService;
  /** The energy meter and the energy and carbon accounting built on its samples. */
  meter: EnergyMeter;
  energy: EnergyService;
  chat: ChatService;
  assistant: AssistantService;
  /** Personal data other modules hold about a viewer, for the privacy centre's export and erasure. */
  sources: PersonalDataSource[];
  region: string;
  /** Retention categories contributed by modules beyond the core schedule. */
  extraRetention: RetentionCategory[];
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** A viewer's consent or profile changed on some node (payload: subject and the node it came from). */
export const VIEWER_CHANGED_TOPIC = 'privacy.viewer_changed';
/** An experiment started, stopped or completed on some node (payload: its id and the node). */
export const EXPERIMENTS_CHANGED_TOPIC = 'experiments.changed';

const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web/dist');
const PAGES: Record<string, string> = {
  '/live/:sessionId': 'live.html',
  '/host/:sessionId': 'host.html',
  '/compliance': 'compliance.html',
  '/login': 'login.html',
  '/setup': 'setup.html',
  '/privacy': 'privacy.html',
  '/privacy/rules': 'privacy.html',
  '/guardian': 'guardian.html',
  '/recommendations': 'recommendations.html',
  '/experiments/:experimentId': 'experiment.html',
};

/** Wires the modules on the given backends. The CLI uses it without HTTP; buildApp adds HTTP on top. */
/**
 * Opens the key material and the protected-storage service. Missing, unreadable or foreign key
 * material stops start-up with one message (a ProtectionError); it is never regenerated over data.
 */
export function startProtectionFor(config: Config, storage: Storage, clock: Clock): Promise<ProtectionService> {
  const source: KeySource =
    config.keys.provider === 'file'
      ? { kind: 'file', file: config.keys.file }
      : { kind: 'env', keks: config.keys.keks, pseudonymRoot: config.keys.pseudonymRoot };
  return startProtection({ dataKeys: new KyselyDataKeyStore(storage.db), pseudonyms: new KyselyPseudonymStore(storage.db) }, source, clock);
}

export function createServices(
  config: Config,
  backends: { storage: Storage; bus: Bus; clock: Clock; protection: ProtectionService; log?: AlertLog },
  gatewayMetrics: GatewayMetrics = NO_GATEWAY_METRICS,
  onError: (err: unknown) => void = () => undefined,
  onEnergySample?: (sample: StoredSample, accounting: Accounting) => void,
): Services {
  const { storage, bus, clock, protection } = backends;
  // The energy meter: each module's synchronous work is metered by component (and live session).
  const meter = new EnergyMeter({ enabled: config.energy.meter });
  if (config.energy.meter) storage.meterWith(meter);
  const catalogue = new CatalogueService(new KyselyCatalogueStore(storage.db), clock);
  const staff = new StaffService(new KyselyStaffStore(storage.db), clock, config.staffSessionHours);
  const lineupContext = systemContext('session lineup');
  const liveRoom = new LiveRoomService(new KyselyLiveStore(storage.db, storage.capabilities), catalogue, bus, clock, {
    maxPins: config.maxPinnedProducts,
    listProductIds: async (brandId) => {
      const ids: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await catalogue.listProducts(lineupContext, { brandId, limit: 500, ...(after ? { afterSku: after } : {}) });
        ids.push(...page.map((p) => p.id));
        if (page.length < 500) return ids;
        after = page[page.length - 1]!.sku;
      }
    },
  });
  const gateway = new LiveRoomGateway(liveRoom, bus, config.ws, gatewayMetrics, onError);
  gateway.useMeter(meter);
  // Officers see who ran a verification or closed a ticket by sign-in name; the records keep the account id only.
  const staffDirectory = staffNames(staff, onError);
  const accessLog = new AccessLogService(new KyselyAccessLogStore(storage.db), new FileSigningKeyStore(accessLogKeyFile(config.dataDir)), clock, staffDirectory);
  const region = config.dataRegion;
  // Every notice text a decision is made on (privacy, guardian, cross-border), so each record's hash can be read as words.
  const notices = new NoticeKeeper(new KyselyNoticeArchive(storage.db), clock);
  const profile = new ViewerProfileService({
    notices,
    store: new KyselyViewerProfileStore(storage.db),
    sealer: protection,
    subjectFor: (deviceId) => protection.subjectFor(deviceId, region),
    brands: catalogue,
    clock,
    region,
    spending: config.minorSpending,
  });
  // The ledger's subject is the viewer's keyed subject id: nothing about the device is stored for it.
  // Minors mode, guardian consent and the personalisation switch override the viewer's own grants.
  const consent = new ConsentService(
    new KyselyConsentLedger(storage.db),
    notices,
    catalogue,
    (deviceId) => protection.subjectFor(deviceId, region),
    clock,
    region,
    (deviceId, brandId) => profile.restrictions(deviceId, brandId),
  );
  const productContext = systemContext('interest tags');
  const tags = new InterestTagService({
    store: new KyselyInterestTagStore(storage.db),
    sealer: protection,
    categoryOf: async (productId) => {
      return (await catalogue.getProduct(productContext, productId))?.category;
    },
    clock,
    region,
  });
  const experimentNode = crypto.randomUUID();
  const experiments = new ExperimentService({
    store: new KyselyExperimentStore(storage.db),
    clock,
    region,
    subjectOf: (deviceId) => protection.subjectFor(deviceId, region),
    sessionBrand: async (sessionId) => (await liveRoom.getSession(sessionId))?.brandId,
    sessionEnded: async (sessionId) => (await liveRoom.getSession(sessionId))?.status === 'ended',
    allowsPersonalisation: (deviceId, brandId) => consent.allows(deviceId, brandId, 'personalised_recommendations'),
    brandExists: async (brandId) => (await catalogue.getBrand(brandId)) !== undefined,
    canManageSession: async (ctx, sessionId) => {
      const session = await liveRoom.getSession(sessionId);
      return session !== undefined && liveRoom.canManage(ctx, session);
    },
    // The fairness_gap guardrail: the audit of each arm's own decisions (the service is built below).
    armFairness: (experimentId: string, brandId: string, arms: readonly string[]): Promise<ArmFairness[]> => fairness.armFairness(experimentId, brandId, arms),
    mode: config.mode,
    onChanged: (id, status) => {
      if (status !== 'running') recommender.dropExperiment(id);
      void bus.publish(EXPERIMENTS_CHANGED_TOPIC, { id, status, node: experimentNode }).catch(onError);
    },
    onError,
  });
  bus.subscribe(EXPERIMENTS_CHANGED_TOPIC, (message) => {
    const m = message as { id?: unknown; status?: unknown; node?: unknown };
    if (m.node === experimentNode || typeof m.id !== 'string') return;
    if (m.status !== 'running') recommender.dropExperiment(m.id);
    void experiments.load().catch(onError);
  });
  const recommender = new RecommenderService({
    // On SQLite on disk the decision log is written by the storage's writer thread.
    store: new KyselyRecommenderStore(storage.db, { writer: storage.writer }),
    rooms: liveRoom,
    consent,
    subjectOf: (deviceId) => protection.subjectFor(deviceId, region),
    tagsOf: (subject) => tags.list(subject),
    childAgeOf: async (deviceId) => {
      const band = (await profile.declared(deviceId)).childAgeBand;
      return band ? { band, months: CHILD_AGE_MONTHS[band] } : null;
    },
    // The decision log's audit segments: the declared city tier (declared for audits only) and
    // whether the viewer decided on consent for this brand before this show began.
    auditSegmentsOf: async (deviceId, brandId, sessionStartedAt) => {
      const [declared, decidedAt] = await Promise.all([profile.declared(deviceId), consent.decidedAt(deviceId, brandId)]);
      const visitor = decidedAt === undefined || sessionStartedAt === null ? null : decidedAt < sessionStartedAt ? 'returning' : 'new';
      return { cityTier: declared.cityTier, visitor };
    },
    clock,
    region,
    onError,
    experiments,
    meter,
    // Learning on many nodes: each node says on the bus when it stored model updates, so the others read them at once.
    learned: { publish: (message) => bus.publish(MODEL_LEARNED_TOPIC, message), subscribe: (handler) => bus.subscribe(MODEL_LEARNED_TOPIC, handler) },
    feedbackRelay: { publish: (message) => bus.publish(FEEDBACK_RELAY_TOPIC, message), subscribe: (handler) => bus.subscribe(FEEDBACK_RELAY_TOPIC, handler) },
    // A showcase change drops the recommender's cached view of the room at once.
    watchRoom: (sessionId, onChange) => {
      bus.subscribe(roomTopic(sessionId), (message) => {
        const m = message as { type?: string; status?: string };
        if (!isRoomBookkeeping(m)) onChange();
        // The show ended: its viewer-label key is forgotten, so the labels lead to no one.
        if (m.type === 'session_status' && m.status === 'ended') {
          recommender.forgetShow(sessionId);
          // An experiment whose rooms have all ended concludes now (else at the next scheduled check).
          void experiments.noteSessionEnded(sessionId).catch(onError);
        }
      });
    },
  }, {
    // Exposure-fair re-ranking (off by default), with a random holdout so its cost is measured.
    fairRerank: { grouping: config.fairness.rerank, band: config.fairness.ratioThreshold, holdout: config.fairness.rerankHoldout },
  });
  const socketContext = systemContext('recommendations over the room socket');
  gateway.useRecommendations({
    forViewer: async (sessionId, deviceId, k, device) => {
      const r = await recommender.recommend(socketContext, sessionId, { ...(deviceId ? { deviceId } : {}), ...(k ? { k } : {}), ...(device ? { device } : {}) });
      return r.ok ? { ok: true, value: r.value } : { ok: false, code: r.code, ...(r.detail ? { detail: r.detail } : {}) };
    },
    keyOf: (deviceId) => protection.subjectFor(deviceId, region),
  });
  recommender.onFeedback((sessionId, deviceId) => {
    if (deviceId) gateway.refreshViewer(sessionId, protection.subjectFor(deviceId, region));
  });
  // Room activity without identity feeds the anonymous popularity the non-personalised list uses.
  liveRoom.onActivity((sessionId, activity) => recommender.noteActivity(sessionId, activity.productId, activity.kind, activity.quantity));
  const viewerEvents = new ViewerEventService({
    store: new KyselyViewerEventStore(storage.db),
    sealer: protection,
    consent,
    ids: protection,
    sessions: {
      brandOf: async (sessionId) => (await liveRoom.getSession(sessionId))?.brandId,
      hasProduct: (sessionId, productId) => liveRoom.sessionHasProduct(sessionId, productId),
    },
    clock,
    region,
    // Interest tags come only from events stored under the personalised-recommendations consent.
    onStored: async (subject, event) => {
      if (event.purpose !== 'personalised_recommendations') return;
      await tags.recordSignal(subject, event);
      const category = event.productId === null ? undefined : (await catalogue.getProduct(productContext, event.productId))?.category;
      recommender.noteBehaviour(subject, { ...event, category });
      // The viewer acted: their list over the socket is recomputed.
      gateway.refreshViewer(event.sessionId, subject);
    },
  });
  // Withdrawal (C7): what the viewer no longer allows is deleted at once, and the tags rebuilt.
  consent.onDecided(async ({ subject, brandId, refused }) => {
    await applyWithdrawal({ storage, viewerEvents, tags }, subject, brandId, refused);
    if (refused.includes('personalised_recommendations')) recommender.forgetViewer(subject);
  });
  // Consent, profile and tag reads are cached per node; a change on one node makes the others read again.
  const node = crypto.randomUUID();
  const tellOtherNodes = (subject: string, refused?: readonly string[]) =>
    void bus.publish(VIEWER_CHANGED_TOPIC, { subject, node, ...(refused ? { refused } : {}) }).catch(onError);
  // A decision carries the purposes it leaves refused: other nodes drop what they hold in memory under them.
  consent.onDecided(async ({ subject, refused }) => tellOtherNodes(subject, refused));
  // Withdrawing the personalised-recommendations consent is an opt-out in the brand's experiments.
  consent.onDecided(async ({ subject, brandId, refused }) => {
    if (refused.includes('personalised_recommendations')) await experiments.noteOptOut(subject, brandId);
  });
  // Whatever changed what the viewer allows or what is known of them, their open lists follow at once.
  consent.onDecided(async ({ subject }) => gateway.refreshViewerEverywhere(subject));
  for (const changed of [profile, tags]) {
    changed.onChanged((subject) => {
      tellOtherNodes(subject);
      gateway.refreshViewerEverywhere(subject);
    });
  }
  bus.subscribe(VIEWER_CHANGED_TOPIC, (message) => {
    const m = message as { subject?: unknown; node?: unknown; refused?: unknown };
    if (typeof m.subject !== 'string' || m.node === node) return;
    consent.forget(m.subject);
    profile.forget(m.subject);
    tags.forget(m.subject);
    // The viewer's in-session behaviour this node learnt from their events goes with the consent, wherever it was withdrawn (C7).
    if (Array.isArray(m.refused) && m.refused.includes('personalised_recommendations')) recommender.forgetViewer(m.subject);
    gateway.refreshViewerEverywhere(m.subject);
  });
  // The outbound gateway (L1, L2): the only way personal data leaves; its subject ids are the same keyed ids.
  const transfer = transferServiceOn(storage.db, {
    clock,
    region,
    subjectOf: (deviceId) => protection.subjectFor(deviceId, region),
    notices,
    log: backends.log ?? { warn: (details, message) => console.warn(message, JSON.stringify(details)) },
  });
  const fairnessStore = new KyselyFairnessStore(storage.db);
  const fairness: FairnessService = new FairnessService(
    {
      store: fairnessStore,
      // Audits are read and computed beside the event loop: a live check of a busy show reads
      // millions of decisions (seconds of work) and computes for a second or more.
      auditRunner: new AuditThread({ database: storage.location, store: fairnessStore }),
      clock,
      priceBandOf,
      flushDecisions: () => recommender.flush(),
      onError,
      meter,
    },
    {
      settings: { threshold: config.fairness.ratioThreshold, minGroupSize: config.fairness.minGroupSize },
      thresholdReason: config.fairness.thresholdReason,
      liveMinutes: config.fairness.liveMinutes,
      scheduleHours: config.fairness.scheduleHours,
      keepDays: config.fairness.keepDays,
    },
  );
  const energy = new EnergyService({
    store: new KyselyEnergyStore(storage.db),
    meter,
    settings: config.energy,
    clock,
    rapl: new RaplMeter({ root: config.energy.powercapRoot }),
    ...(onEnergySample ? { onSample: onEnergySample } : {}),
    onError,
  });
  // Live chat: sessions as the chat needs them, the room's socket carries it.
  const chatStore = new KyselyChatStore(storage.db);
  const chatSession = async (sessionId: string) => {
    const s = await liveRoom.getSession(sessionId);
    return s && { id: s.id, brandId: s.brandId, status: s.status, hostUserId: s.hostUserId };
  };
  const chat = new ChatService(
    {
      store: chatStore,
      sealer: protection,
      subjectOf: (deviceId) => protection.subjectFor(deviceId, region),
      sessions: {
        get: chatSession,
        // The live room tells every node of a status change on the room's topic.
        watch: (sessionId, onChange) =>
          bus.subscribe(roomTopic(sessionId), (message) => {
            if ((message as { type?: unknown } | null)?.type === 'session_status') onChange();
          }),
        // The live room's rule: its host, or an administrator.
        canManage: (ctx, session) => liveRoom.canManage(ctx, session),
      },
      bus,
      clock,
      onError,
      recordTranscriptAccess: async (ctx, sessionId) => {
        await accessLog.record(ctx, { action: 'export', subject: `chat-transcript:${sessionId}`, purpose: 'chat-transcript' });
      },
    },
    { maxLength: config.chat.maxLength, perMinute: config.chat.messagesPerMinute, burst: config.chat.burst, keywords: config.chat.keywords },
  );
  gateway.useChat({
    topic: chatTopic,
    history: (sessionId) => chat.history(sessionId),
    post: (sessionId, input) => chat.postAsViewer(sessionId, input),
    subjectOf: (deviceId) => protection.subjectFor(deviceId, region),
  });
  // The assistant: the brand's catalogue and FAQ, the room's live facts, the chat for answers and the queue.
  const assistantContext = systemContext('shopping assistant');
  const roomFacts = new Map<string, Promise<import('./modules/assistant/index.js').RoomFacts | undefined>>();
  /** Rooms whose show end this node watches for the assistant (room → unsubscribe). */
  const showsWatched = new Map<string, () => void>();
  const assistant = new AssistantService({
    catalogueOf: async (brandId) => {
      const brand = await catalogue.getBrand(brandId);
      if (!brand) return undefined;
      const products = [];
      let after: string | undefined;
      for (;;) {
        const page = await catalogue.listProducts(assistantContext, { brandId, limit: 500, ...(after ? { afterSku: after } : {}) });
        for (const p of page) {
          const detail = await catalogue.getProduct(assistantContext, p.id);
          if (detail) products.push(detail);
        }
        if (page.length < 500) break;
        after = page[page.length - 1]!.sku;
      }
      return { brand, products, faqs: await catalogue.brandFaqs(brandId) };
    },
    // The room's facts are read once and kept until the showcase changes (any room message but counters).
    room: (sessionId) => {
      watchShowEnd(sessionId);
      let facts = roomFacts.get(sessionId);
      if (!facts) {
        facts = (async () => {
          const [session, state] = await Promise.all([liveRoom.getSession(sessionId), liveRoom.roomState(sessionId, 0)]);
          if (!session || !state) return undefined;
          return { brandId: session.brandId, status: session.status, pins: state.pins, products: state.products, flashSales: state.flashSales };
        })();
        roomFacts.set(sessionId, facts);
        facts.then((f) => {
          if (!f) roomFacts.delete(sessionId);
        }, () => roomFacts.delete(sessionId));
        const unsubscribe = bus.subscribe(roomTopic(sessionId), (message) => {
          const m = message as { type?: string; status?: string };
          if (isRoomBookkeeping(m)) return;
          roomFacts.delete(sessionId);
          unsubscribe();
          if (m.type === 'products_updated') void facts!.then((f) => f && assistant.invalidateBrand(f.brandId), () => undefined);
        });
      }
      return facts;
    },
    chat,
    allowsMemory: (deviceId, brandId) => consent.allows(deviceId, brandId, 'assistant_memory'),
    memoryStore: chatStore,
    sealer: protection,
    subjectOf: (deviceId) => protection.subjectFor(deviceId, region),
    clock,
    meter,
    ...(config.assistant.modelDestination
      ? { model: new TransferLanguageModel(transfer, { destinationId: config.assistant.modelDestination, model: config.assistant.model, path: config.assistant.modelPath }) }
      : {}),
    onError,
  });
  // Every room the assistant answered in on this node is watched until its show ends, whatever else
  // happens in it meanwhile: then every viewer's memory of the show is deleted (AI4). Rows a node
  // missed (it restarted; an answer in flight at the end) go at the next retention run.
  function watchShowEnd(sessionId: string): void {
    if (showsWatched.has(sessionId)) return;
    const unsubscribe = bus.subscribe(roomTopic(sessionId), (message) => {
      const m = message as { type?: string; status?: string };
      if (m.type !== 'session_status' || m.status !== 'ended') return;
      unsubscribe();
      showsWatched.delete(sessionId);
      void assistant.forgetSession(sessionId).catch(onError);
    });
    showsWatched.set(sessionId, unsubscribe);
  }
  chat.onViewerMessage((m) => {
    if (mentionedQuestion(m.message.text) === undefined) return;
    void assistant.answerInChat(m.sessionId, m, assistantContext).catch(onError);
  });
  // Withdrawing the assistant-memory consent deletes what was kept (C7).
  consent.onDecided(async ({ subject, brandId, refused }) => {
    if (refused.includes('assistant_memory')) await assistant.forgetKeptMemory(subject, brandId);
  });
  // An erasure on any node reaches every node's caches: keys, the recommender's view of the viewer, profile
  // and tags (R3). The assistant's memory is in the database: the erasure's transaction deletes it.
  relayErasures(bus, protection, [
    (subject) => recommender.forgetViewer(subject),
    (subject) => profile.forget(subject),
    (subject) => tags.forget(subject),
  ]);
  const chatErasures = new Map<string, Map<string, string[]>>();
  const sources: PersonalDataSource[] = [];
  const services: Services = {
    storage,
    bus,
    clock,
    catalogue,
    staff,
    liveRoom,
    gateway,
    accessLog,
    protection,
    consent,
    notices,
    viewerEvents,
    transfer,
    profile,
    tags,
    recommender,
    experiments,
    fairness,
    meter,
    energy,
    chat,
    assistant,
    // Completing a deletion request erases the viewer (the workflow needs every service, so it is bound late).
    rights: new RightsService({
      store: new KyselyRightsTicketStore(storage.db),
      sealer: protection,
      subjectOf: (deviceId) => protection.subjectFor(deviceId, region),
      accessLog,
      eraseSubject: async (ctx, subject) => {
        await eraseSubject(ctx, services, subject);
      },
      clock,
      region,
      // A complaint counts against the arms of the experiments the viewer is in.
      onFiled: async (subject, kind) => {
        if (kind === 'complaint') await experiments.noteReport(subject);
      },
      staff: staffDirectory,
    }),
    sources,
    region,
    extraRetention: [],
  };
  sources.push({
    category: 'chat',
    label: { zh: '聊天与购物助手', en: 'Chat and the shopping assistant' },
    describe: {
      zh: '您在直播间聊天里发的消息和昵称，以及转给主播的提问。下载的文件把购物助手的记忆也放在这一类；隐私中心把它单独列出',
      en: "Your chat messages and nicknames in live rooms, and questions passed to the host. Downloads file the shopping assistant's memory here too; the privacy centre lists it under its own heading",
    },
    exportFor: async (subject) => {
      const brands = (await liveRoom.listSessions(assistantContext)).map((s) => s.brandId);
      return [...(await chat.exportFor(subject)), ...(await assistant.exportFor(subject, [...new Set(brands)]))];
    },
    eraseIn: async (tx, subject) => {
      // Which visible messages leave the rooms is read before they are deleted, and published after commit.
      const store = new KyselyChatStore(tx);
      const byRoom = new Map<string, string[]>();
      for (const m of await store.messagesOfSubject(subject)) if (m.status === 'visible') byRoom.set(m.sessionId, [...(byRoom.get(m.sessionId) ?? []), m.id]);
      chatErasures.set(subject, byRoom);
      return store.eraseSubject(subject);
    },
    afterErase: async (subject) => {
      await chat.afterErase(subject, chatErasures.get(subject) ?? new Map());
      chatErasures.delete(subject);
      await assistant.forgetViewer(subject);
    },
    retainedBecause: {
      zh: '直播间的管理记录（删除、封禁等）依直播电商监管要求保存 3 年，其中只有假名和已无法解读的昵称。',
      en: "The room's moderation log (deletions, bans) is kept 3 years under live-commerce rules; it holds only a pseudonym and a nickname that can no longer be read.",
    },
  });
  sources.push(experimentsDataSource(experiments), rightsDataSource(services.rights), {
    category: 'cross_border',
    label: { zh: '个人信息出境', en: 'Transfers out of the region' },
    describe: { zh: '您的个人信息被传输出境的年份（按年计数）', en: 'The years in which your personal information was transferred out of the region (the yearly count)' },
    exportFor: async (subject) => [await transfer.personalDataOf(subject)],
    // The count stays right; the rows can no longer be linked to the viewer.
    eraseIn: (tx, subject) => new KyselyExportLedger(tx).forgetSubject(subject),
    retainedBecause: {
      zh: '出境单独同意记录以假名保存 3 年，用于证明传输合法；出境人数统计保留但不再与您关联。',
      en: 'Separate consents to transfers are kept under a pseudonym for 3 years as proof; the yearly count keeps you counted but no longer linked to you.',
    },
  });
  services.extraRetention.push({
    category: 'rights_tickets',
    basis: 'closed rights requests (PIPL 44–50), kept 3 years after closing as proof they were handled; open ones are never purged',
    keepDays: RIGHTS_RETENTION_DAYS,
    purge: (cutoff) => services.rights.purgeClosedBefore(cutoff),
  });
  services.extraRetention.push({
    category: 'cross_border_records',
    basis: 'the transfer log, separate consents to transfers and the yearly count of individuals (PIPL 38–39); 3 years',
    keepDays: RIGHTS_RETENTION_DAYS,
    purge: (cutoff) => purgeTransferRecordsBefore(storage.db, cutoff),
  });
  services.extraRetention.push({
    category: 'recommendation_log',
    basis: 'recommendations shown and their outcomes, with no viewer identity (health figures, offline evaluation); 180 days',
    keepDays: 180,
    purge: (cutoff) => new KyselyRecommenderStore(storage.db).purgeBefore(cutoff),
  });
  services.extraRetention.push({
    category: 'fairness_audits',
    basis: 'fairness audit reports and live alerts (A8): aggregates over decisions without viewer identity, small groups suppressed; at least 3 years',
    keepDays: config.fairness.keepDays,
    purge: (cutoff) => fairness.purgeBefore(cutoff),
  });
  services.extraRetention.push({
    category: 'energy_samples',
    basis: "the energy meter's samples (CPU time per component, memory held, work done) from which energy and carbon reports are computed; nothing about viewers",
    keepDays: config.energy.keepDays,
    purge: (cutoff) => energy.purgeBefore(cutoff),
  });
  services.extraRetention.push({
    category: 'experiment_units',
    basis: 'per-viewer outcome counters of A/B experiments under a keyed hash, kept 90 days after the experiment ends so the result can be checked; the per-arm totals and analyses carry no viewer',
    keepDays: EXPERIMENT_UNITS_KEEP_DAYS,
    purge: (cutoff) => new KyselyExperimentStore(storage.db).purgeUnitsOfEndedBefore(cutoff),
  });
  services.extraRetention.push({
    category: 'chat_messages',
    basis: "live-room chat messages (viewers' words and nicknames sealed under their keys; staff and assistant messages); the transcript is downloadable after the show",
    keepDays: config.chat.keepDays,
    purge: (cutoff) => chatStore.purgeMessagesBefore(cutoff),
  });
  services.extraRetention.push({
    category: 'chat_moderation_log',
    basis: "every moderation action (LC3), hash-chained per room and append-only (the database refuses changes); a room's whole log goes after 3 years",
    // Three years with their leap day, as every other 3-year record (the database refuses deletes younger than 3 × 365 days).
    keepDays: 3 * 365 + 1,
    purge: (cutoff) => chatStore.purgeLogBefore(cutoff),
  });
  services.extraRetention.push({
    category: 'assistant_handoffs',
    basis: "questions the assistant passed to the host's queue (the viewer's words sealed under their key); 30 days",
    keepDays: 30,
    purge: (cutoff) => chatStore.purgeHandoffsBefore(cutoff),
  });
  services.extraRetention.push({
    category: 'assistant_memory',
    basis: `what the assistant remembers a viewer asked about across shows, only under the assistant-memory consent (AI4); each record expires ${MEMORY_KEEP_DAYS} days after its last use`,
    keepDays: MEMORY_KEEP_DAYS,
    purge: () => chatStore.purgeMemoryBefore(clock.now()),
  });
  services.extraRetention.push({
    category: 'assistant_session_memory',
    basis: 'what the assistant remembers a viewer asked about in one show (no consent needed, AI4): deleted when the show ends (or at the next hourly run, if no node saw the end), and at the latest a day after its last use',
    keepDays: 1,
    purge: (cutoff) => chatStore.purgeSessionMemory(cutoff),
  });
  services.extraRetention.push({
    category: 'access_log',
    basis: 'staff access to personal data (S3): entries keep their content 3 years, then only their hash, so the signed log stays verifiable',
    keepDays: ACCESS_LOG_KEEP_DAYS,
    purge: (cutoff) => accessLog.purgeBefore(cutoff),
  });
  // The broker connection came back: whatever other nodes announced meanwhile (a consent withdrawn,
  // a viewer erased, a pin, an experiment stopped) never reached this node, so every cache the bus
  // keeps fresh is dropped and read again from the database, and every viewer here gets a fresh snapshot.
  bus.onReconnect(() => {
    consent.forgetAll();
    profile.forgetAll();
    tags.forgetAll();
    protection.forgetAll();
    recommender.resync();
    liveRoom.forgetCachedCounters();
    roomFacts.clear();
    chat.resync();
    void experiments.load().catch(onError);
    void gateway.resyncAll().catch(onError);
  });
  return services;
}

const NO_GATEWAY_METRICS: GatewayMetrics = {
  connectionOpened: () => undefined,
  connectionClosed: () => undefined,
  messagesSent: () => undefined,
  slowConsumerDropped: () => undefined,
};

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const storage = deps.storage ?? (await openStorage(config.databaseUrl));
  const ownsStorage = deps.storage === undefined;
  const clock = deps.clock ?? systemClock;

  // Response bodies are serialised (fast-json-stringify, from each route's schema) inside a serving
  // span of the energy meter; the meter is plugged in once the services exist.
  const servingMeter: { current: WorkMeter } = { current: NO_METER };
  const serializers = SerializerSelector();
  // Refuses plain public requests in the server's request listener while the node is over its limits
  // (armed by installOverloadShedding below).
  const overloadGate = new OverloadGate();
  const app = Fastify({
    serverFactory: overloadGate.serverFactory,
    schemaController: {
      compilersFactory: {
        buildSerializer: (externalSchemas: unknown, options: unknown) => {
          const compile = serializers(externalSchemas, options as Parameters<typeof serializers>[1]);
          return (route: Parameters<ReturnType<typeof serializers>>[0]) => {
            const serialize = compile(route);
            return (data: unknown) => servingMeter.current.span('serving', () => serialize(data));
          };
        },
      },
    },
    logger: deps.logger ?? {
      level: config.logLevel,
      // Requests are logged by route and status only: never headers, cookies, bodies or query strings.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: safeError,
      },
    },
    // Per-request lines would only repeat /metrics; errors and warnings are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { removeAdditional: false } },
  });
  // Every body Qingliu reads is JSON (or CSV for imports). Fastify also reads text/plain by default,
  // which the JSON schemas then refuse as a 400; without it, plain text is 415 like any other type
  // — and a cross-site form, which may send text/plain without a preflight, reaches no handler.
  app.removeContentTypeParser('text/plain');

  // The bus this app opens (from QINGLIU_BUS_URL) it also closes; one given in deps is the caller's.
  const ownsBus = deps.bus === undefined;
  let bus: Bus;
  let protection: ProtectionService;
  try {
    bus =
      deps.bus ??
      (await openBus(config.busUrl, {
        name: `qingliu ${os.hostname()} ${process.pid}`,
        ...(config.busSubjectPrefix ? { subjectPrefix: config.busSubjectPrefix } : {}),
        onHandlerError: (err) => app.log.error({ err }, 'bus handler failed'),
        onConnectionChange: ({ connected, server }) =>
          connected ? app.log.info({ server }, 'message bus reconnected') : app.log.error({ server }, 'message bus disconnected; not ready until it reconnects'),
      }));
  } catch (err) {
    if (ownsStorage) await storage.close();
    throw err;
  }
  const metrics = createMetrics();
  try {
    protection = await startProtectionFor(config, storage, clock);
  } catch (err) {
    if (ownsBus) await bus.close();
    if (ownsStorage) await storage.close();
    throw err;
  }
  const services = createServices(
    config,
    { storage, bus, clock, protection, log: app.log },
    metrics.gateway,
    (err) => app.log.error({ err }, 'background task error'),
    metrics.energySampled,
  );
  metrics.watchEnergy(config.energy);
  services.chat.onOutcome(metrics.chatMessage);
  services.assistant.onAnswered(metrics.assistantAnswered);
  if (config.energy.meter) servingMeter.current = services.meter;
  const { catalogue, staff, liveRoom, gateway } = services;
  app.decorate('services', services);

  installValidators(app);
  installErrorHandling(app);
  app.addSchema({
    $id: 'Problem',
    type: 'object',
    description: 'RFC 9457 problem details with a stable `code`',
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
      detail: { type: 'string' },
      instance: { type: 'string' },
    },
    required: ['type', 'title', 'status', 'code'],
    additionalProperties: true,
  });

  await app.register(cookie);
  const simulatedTraffic = new SimulatedTraffic();
  installSimulatedTraffic(app, { mode: config.mode, traffic: simulatedTraffic, now: () => clock.now() });
  // An experiment running in a room simulated viewers reach is marked simulated, whoever created it.
  simulatedTraffic.onRoom((sessionId) => void services.experiments.noteSimulatedTraffic(sessionId).catch((err: unknown) => app.log.error({ err }, 'marking an experiment simulated failed')));
  installSecurityHeaders(app, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        mediaSrc: ["'self'", 'https:', 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:', 'https:'],
        workerSrc: ["'self'", 'blob:'],
        upgradeInsecureRequests: null,
      },
    },
    // Plain HTTP on localhost is the demo's normal case; HSTS belongs to the TLS terminator.
    hsts: false,
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new AppError('RATE_LIMITED', undefined, { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) }), { statusCode: 429 }),
  });
  await app.register(websocket, {
    options: { maxPayload: config.ws.maxPayloadBytes },
    // Shutting down, the viewers are told to reconnect (to another node) before their sockets close,
    // rather than the plugin's default of closing them without a word.
    preClose: async function closeSockets(this: FastifyInstance) {
      await gateway.close();
      for (const client of this.websocketServer.clients) client.close(1001, 'shutting down');
      await new Promise<void>((resolve) => this.websocketServer.close(() => resolve()));
    },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Qingliu (清流) API',
        version: '1',
        description:
          'Live-stream commerce with consent-first, explainable AI. Errors are application/problem+json with a stable `code` (see docs/errors.md).',
      },
      tags: [
        { name: 'catalogue', description: 'Brands, products, FAQ, import' },
        { name: 'live room', description: 'Viewer-facing room state, events, orders, WebSocket' },
        { name: 'host', description: 'Host console actions on a session they host' },
        { name: 'staff', description: 'Staff sign-in and accounts' },
        { name: 'consent', description: 'The privacy notice and per-purpose consent (PIPL); the server enforces it' },
        { name: 'privacy', description: "The viewer's privacy centre: profile and minors mode, tags, export, erasure, guardian consent, processing rules" },
        { name: 'compliance', description: 'Compliance officers: consent statistics and ledger export (logged)' },
        { name: 'recommendations', description: 'Explainable recommendations: consent-aware lists, feedback, health, how they work' },
        { name: 'energy', description: 'Energy and carbon: the live meter, the report (SCI per 1,000 recommendations), trends and region advice' },
        { name: 'chat', description: 'Live chat and its moderation (LC3, LC6), the AI shopping assistant (AI1, AI4, AI5) and reports (AI6)' },
        { name: 'transfer', description: 'Recipients outside the region and separate consent to each (PIPL 39); the gateway enforces it' },
      ],
      components: { securitySchemes: { staffCookie: { type: 'apiKey', in: 'cookie', name: 'qingliu_staff' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // The one style element Swagger UI writes into its page is allowed by its hash, nothing else inline
  // (test/e2e/api-docs.browser.test.ts loads the page and expects no console error).
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header.replace("style-src 'self' https:", `style-src 'self' https: '${SWAGGER_UI_STYLE_HASH}'`),
  });

  installAccessControl(app, { actorForToken: (t) => staff.actorForToken(t), allowedOrigins: [config.publicUrl, ...config.allowedOrigins] });
  const shedding = await installOverloadShedding(app, config.overload, metrics.shed, overloadGate, () => services.recommender.unwrittenRows);
  // A node that cannot tell the others refuses writes before anything is committed: a change the
  // other nodes' viewers and caches never hear of would split the deployment.
  // Callback-style hooks on every request: no promise and microtask per request for a check that is synchronous.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || !request.url.startsWith('/api/') || services.bus.ready()) return done();
    done(new AppError('NOT_READY', 'the message bus is not connected; nothing was written, try again shortly', { retryAfterSeconds: 2 }));
  });
  gateway.useShedding(shedding, () => metrics.shed('ws'));
  metrics.watchUnwrittenRows(() => services.recommender.unwrittenRows);

  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  await app.register(
    catalogueRoutes(catalogue, {
      importBodyLimitBytes: config.importBodyLimitBytes,
      importCatalogue: (ctx, brandId, content, format) => importCatalogue(ctx, services, brandId, content, format),
    }),
  );
  await app.register(staffRoutes(staff, { cookieSecure: config.cookieSecure }));
  await app.register(consentRoutes(services.consent));
  await app.register(viewerEventRoutes(services.viewerEvents));
  await app.register(consentExportRoutes(services));
  await app.register(transferRoutes(services.transfer));
  await app.register(rightsRoutes(services.rights));
  await app.register(accessLogRoutes(services.accessLog));
  await app.register(
    recommenderRoutes(services.recommender, {
      canSeeSession: async (request, sessionId) => {
        const session = await liveRoom.getSession(sessionId);
        return session === undefined ? undefined : liveRoom.canManage(request.ctx, session);
      },
      sessionStart: async (sessionId) => (await liveRoom.getSession(sessionId))?.startedAt ?? undefined,
    }),
  );
  await app.register(experimentRoutes(services.experiments));
  await app.register(chatRoutes(services.chat));
  await app.register(
    assistantRoutes(services.assistant, {
      fileReport: async (ctx, deviceId, report) => {
        const session = await liveRoom.getSession(report.sessionId);
        if (!session) return { ok: false, code: 'SESSION_NOT_FOUND' };
        const what = report.target === 'assistant_answer' ? `AI assistant answer ${report.messageId}` : `recommendation of product ${report.productId}`;
        const details = [
          `[AI6 report] ${what} in live session ${report.sessionId}; reason: ${report.reason}`,
          ...(report.excerpt ? [`Reported text: ${report.excerpt}`] : []),
          ...(report.details ? [`Viewer's words: ${report.details}`] : []),
        ].join('\n').slice(0, 2000);
        const filed = await services.rights.file(ctx, deviceId, { kind: 'complaint', details, locale: report.locale });
        return filed.ok ? { ok: true, value: { ticketId: filed.value.id } } : filed;
      },
    }),
  );
  await app.register(
    fairnessRoutes(services.fairness, {
      canManageSession: async (request, sessionId) => {
        const session = await liveRoom.getSession(sessionId);
        return session !== undefined && liveRoom.canManage(request.ctx, session);
      },
    }),
  );
  await app.register(
    energyRoutes(services.energy, {
      sessionAccess: async (request, sessionId) => {
        const session = await liveRoom.getSession(sessionId);
        if (!session) return undefined;
        return {
          window: { startedAt: session.startedAt, endedAt: session.endedAt, live: session.status === 'live' },
          canManage: liveRoom.canManage(request.ctx, session),
        };
      },
      now: () => clock.now(),
    }),
  );
  services.fairness.labelSimulatedBy((sessionId) => simulatedTraffic.of(sessionId, clock.now()).simulated);
  await app.register(dataMapRoutes({ region: config.dataRegion, retentionSchedule: () => retentionCategories(services), staffSessionHours: config.staffSessionHours }));
  await app.register(
    privacyRoutes({
      ...services,
      retentionSchedule: () => retentionCategories(services),
      staffSessionHours: config.staffSessionHours,
      minorSpending: config.minorSpending,
      now: () => clock.now(),
      onPersonalisation: async (deviceId, brandId, on) => {
        if (!on) await services.experiments.noteOptOut(services.protection.subjectFor(deviceId, services.region), brandId);
      },
    }),
  );
  await app.register(
    liveRoomRoutes(liveRoom, gateway, {
      allowedOrigins: [config.publicUrl, ...config.allowedOrigins],
      placeOrder: async (ctx, sessionId, input, deviceId) => {
        const placed = await placeOrderWithinLimits(services, ctx, sessionId, input, deviceId);
        if (placed.ok && !placed.value.duplicate) {
          const { order } = placed.value;
          const brandId = (await liveRoom.getSession(sessionId))?.brandId;
          if (brandId) await services.experiments.noteOrder(sessionId, brandId, deviceId, order.unitPriceFen * order.quantity);
        }
        return placed;
      },
    }),
  );

  app.get(
    '/api/v1/sessions/:sessionId/simulation',
    {
      config: { access: 'public' },
      schema: {
        tags: ['live room'],
        summary: 'Whether this room has had simulated viewers lately (demo mode only), so its pages can say so',
        params: { type: 'object', properties: { sessionId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } }, required: ['sessionId'], additionalProperties: false },
      },
    },
    async (request) => ({ mode: config.mode, ...simulatedTraffic.of((request.params as { sessionId: string }).sessionId, clock.now()) }),
  );
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (!(await storage.ping())) return sendProblem(reply, 'NOT_READY', 'storage is not reachable');
    // A node cut off from the bus would serve rooms that other nodes' changes no longer reach.
    if (!bus.ready()) return sendProblem(reply, 'NOT_READY', 'the message bus is not connected');
    return { status: 'ready', storage: storage.capabilities.dialect, bus: bus.kind };
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/api/v1/errors', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    Object.entries(ERROR_STATUS).map(([code, status]) => ({ code, status, title: ERROR_TITLES[code as keyof typeof ERROR_STATUS] })),
  );

  // The pages, built by Vite into web/dist.
  const built = fs.existsSync(path.join(WEB_DIST, 'live.html'));
  if (built) {
    await app.register(fastifyStatic, { root: WEB_DIST, index: false, wildcard: true, serve: true, prefix: '/', decorateReply: true });
  }
  for (const [route, file] of Object.entries(PAGES)) {
    app.get(route, { schema: { hide: true } }, async (_request, reply) => {
      if (!built) return sendProblem(reply, 'NOT_READY', 'The pages are not built yet: run `npm run build`.');
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile(file);
    });
  }
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/live/demo'));

  if (config.seedDemo) await seedDemo(catalogue, liveRoom);
  await liveRoom.start();
  await services.recommender.restore();
  services.recommender.start();
  await services.experiments.load();
  services.experiments.start();
  services.fairness.start();
  services.energy.start();
  // Records whose notice text was never archived (made before the archive, or by an older node): their
  // text is archived if it still renders to their hash.
  void backfillNoticeTexts(services).then(
    (r) => r.archived + r.missing > 0 && app.log.info({ noticeTexts: r }, 'notice texts archived for earlier records'),
    (err) => app.log.warn({ err }, 'notice texts of earlier records could not be archived'),
  );
  const retention = retentionJob(services, () => clock.now());
  retention.start(
    (report) => {
      const results = report.results.map((r) => ({ category: r.category, deleted: r.deleted, ...(r.error ? { error: r.error } : {}) }));
      if (report.results.some((r) => r.error)) app.log.warn({ retention: results }, 'retention job ran; some categories failed');
      else app.log.info({ retention: results }, 'retention job ran');
    },
    (err) => app.log.warn({ err }, 'retention job failed'),
  );

  // Daily (first run a minute after start): sign a checkpoint over new entries, then verify the whole log.
  const accessLogJob = new AccessLogJob(services.accessLog, { intervalMs: 86_400_000 });
  accessLogJob.start(
    ({ checkpoint, run }) => {
      const details = { checkpoint: checkpoint?.number, verification: run && { status: run.status, problems: run.problemCount, ms: run.durationMs } };
      if (run?.status === 'failed') app.log.error(details, 'access-log verification found tampering');
      else app.log.info(details, 'access-log job ran');
    },
    (err) => app.log.warn({ err }, 'access-log job failed'),
  );

  app.addHook('onClose', async () => {
    accessLogJob.stop();
    retention.stop();
    await services.experiments.stop();
    await services.fairness.close();
    await services.recommender.stop();
    // The last period is stored before storage closes.
    await services.energy.stop();
    await gateway.close();
    await services.chat.close();
    liveRoom.stop();
    if (ownsBus) await bus.close();
    if (ownsStorage) await storage.close();
  });

  return app;
}
