/**
 * The only reader of process.env. Every setting is declared here with its default, parsed,
 * validated, and returned frozen. All invalid settings are reported together in one message.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { customFactor, DATA_CENTRE_HUBS, gridFactor, GRID_FACTORS, type GridFactor, type LocalisedName } from '../modules/energy/carbon.js';
import { CCF_ALIBABA_AVERAGE } from '../modules/energy/model.js';
import { DEFAULT_KEYWORDS } from '../modules/chat/policy.js';
import { parseBusUrl } from '../bus/index.js';

const MIB = 1024 * 1024;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type CookieSecure = 'auto' | 'always' | 'never';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Base URL printed for people and used as the allowed WebSocket origin. */
  readonly publicUrl: string;
  readonly dataDir: string;
  /** `sqlite:<file>` or `postgres://…`. */
  readonly databaseUrl: string;
  /** `memory` (one node) or `nats://host:port[,nats://host:port…]` (many nodes share rooms over NATS). */
  readonly busUrl: string;
  /** Prefixes every bus subject, so that several deployments can share one NATS server; '' for none. */
  readonly busSubjectPrefix: string;
  readonly logLevel: LogLevel;
  /**
   * `demo` (the default for a local try-out): demo data may be seeded and simulated audiences may
   * drive rooms, always labelled. `production`: simulated traffic is refused (LC4: no faked traffic).
   */
  readonly mode: 'demo' | 'production';
  readonly seedDemo: boolean;
  /** `qingliu serve` runs a gentle simulated audience in the demo room while it is live (demo mode only). */
  readonly demoAudience: boolean;
  readonly trustProxy: boolean;
  readonly cookieSecure: CookieSecure;
  readonly staffSessionHours: number;
  /** Extra origins allowed to open live-room WebSockets and send cookie-authenticated writes. */
  readonly allowedOrigins: readonly string[];
  readonly bodyLimitBytes: number;
  readonly importBodyLimitBytes: number;
  /**
   * Load shedding: above any of these limits the node answers new public API requests and viewers'
   * WebSocket writes with 503 OVERLOADED and Retry-After (0 turns a limit off). Staff, health and
   * metrics are always served.
   */
  readonly overload: {
    /** Mean event-loop delay over a sample interval. */
    readonly maxEventLoopDelayMs: number;
    /** Event-loop utilisation, per cent of the sample interval spent running code. */
    readonly maxEventLoopUtilizationPercent: number;
    readonly maxHeapUsedBytes: number;
    /** Public API requests being served at once on this node (past it, new ones are shed at once). */
    readonly maxInFlight: number;
    /**
     * Rows this node made and has not written yet (the decision log, the models' updates): past it,
     * storage is not keeping up, and taking more requests would only fill the memory.
     */
    readonly maxUnwrittenRows: number;
    readonly retryAfterSeconds: number;
    readonly sampleIntervalMs: number;
  };
  readonly ws: {
    readonly maxPayloadBytes: number;
    /** Sustained client messages per second per connection, with a burst of twice that. */
    readonly messagesPerSecond: number;
    /** A connection whose unsent buffer passes this is dropped so it cannot slow the room. */
    readonly slowConsumerBytes: number;
  };
  readonly maxPinnedProducts: number;
  /** Live chat: message length, per-viewer pace, the keyword lists, how long messages are kept. */
  readonly chat: {
    readonly maxLength: number;
    readonly messagesPerMinute: number;
    readonly burst: number;
    readonly keepDays: number;
    readonly keywords: { readonly zh: readonly string[]; readonly en: readonly string[] };
    /** Where the keyword lists came from: the built-in defaults, or the file named by QINGLIU_CHAT_KEYWORDS_FILE. */
    readonly keywordsSource: string;
  };
  /** The assistant's optional external language model (off unless a transfer destination is named: L1). */
  readonly assistant: { readonly modelDestination: string | null; readonly model: string; readonly modelPath: string };
  /** Data region of this deployment (L1): every pseudonym and record is bound to it. */
  readonly dataRegion: string;
  /** Minors mode (M2): the most a minor may spend per order and per calendar month (China time), in fen. */
  readonly minorSpending: { readonly perOrderFen: number; readonly monthlyFen: number };
  /** Fairness audits: thresholds (each with its recorded reason), how often they run, how long reports are kept. */
  readonly fairness: {
    readonly ratioThreshold: number;
    readonly minGroupSize: number;
    /** Why the operator changed a threshold from its default; recorded in every report. */
    readonly thresholdReason: string | null;
    /** Live audits of each live session, every this many minutes (0: off). */
    readonly liveMinutes: number;
    /** Scheduled audits of each brand's decisions, over each period of this many hours. */
    readonly scheduleHours: number;
    /** Reports are kept this many days (at least three years, A8). */
    readonly keepDays: number;
    /** Exposure-fair re-ranking of recommendations: off, or by category or price band. */
    readonly rerank: 'off' | 'category' | 'price_band';
    /** The share of lists served without re-ranking, so its cost is measured. */
    readonly rerankHoldout: number;
  };
  /** Energy and carbon accounting: the meter, the power model, the grid factor and the PUE. */
  readonly energy: EnergyConfig;
  /** Where key-encryption keys and the pseudonym root come from. Secrets have no defaults. */
  readonly keys: { readonly provider: 'file'; readonly file: string } | { readonly provider: 'env'; readonly keks: string; readonly pseudonymRoot: string };
}

export interface EnergyConfig {
  /** The meter runs (on by default); off, nothing is measured or stored. */
  readonly meter: boolean;
  /** A stored sample every this many seconds. */
  readonly sampleSeconds: number;
  /** The deployment's site or grid area: a data-centre hub, a grid area, or an operator's own. */
  readonly region: { readonly id: string; readonly name: LocalisedName; readonly kind: 'hub' | 'grid' | 'custom' };
  /** The location-based grid factor in use, with its year and source. */
  readonly factor: Readonly<GridFactor>;
  readonly pue: number;
  readonly pueSource: string;
  /** Watts of one vCPU idle and fully busy (Cloud Carbon Footprint's utilisation model). */
  readonly power: { readonly minWattsPerVcpu: number; readonly maxWattsPerVcpu: number; readonly source: string };
  /** vCPUs this node holds (the model counts their idle power too). */
  readonly vcpus: number;
  /** RAPL package counters: read when readable (auto) or never (off). */
  readonly rapl: 'auto' | 'off';
  readonly powercapRoot: string;
  /** Optional embodied emissions of the host (SCI's M); null leaves M out, and the report says so. */
  readonly embodied: { readonly totalKg: number; readonly lifespanYears: number; readonly hostVcpus: number } | null;
  /** Energy samples are kept this many days. */
  readonly keepDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Overrides from the command line win over the environment. */
export interface ConfigOverrides {
  port?: number | string;
  host?: string;
  databaseUrl?: string;
  busUrl?: string;
  dataDir?: string;
  mode?: 'demo' | 'production';
  seedDemo?: boolean;
  logLevel?: LogLevel;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The settings a deployment can give, documented in docs/configuration.md (a test keeps them in step). */
export const CONFIG_KEYS = [
  'PORT',
  'HOST',
  'QINGLIU_PUBLIC_URL',
  'QINGLIU_DATA_DIR',
  'DATABASE_URL',
  'QINGLIU_BUS_URL',
  'QINGLIU_BUS_SUBJECT_PREFIX',
  'LOG_LEVEL',
  'QINGLIU_MODE',
  'QINGLIU_SEED_DEMO',
  'QINGLIU_DEMO_AUDIENCE',
  'QINGLIU_TRUST_PROXY',
  'QINGLIU_COOKIE_SECURE',
  'QINGLIU_STAFF_SESSION_HOURS',
  'QINGLIU_ALLOWED_ORIGINS',
  'QINGLIU_BODY_LIMIT_BYTES',
  'QINGLIU_IMPORT_BODY_LIMIT_BYTES',
  'QINGLIU_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS',
  'QINGLIU_OVERLOAD_MAX_EVENT_LOOP_UTILIZATION_PERCENT',
  'QINGLIU_OVERLOAD_MAX_HEAP_MB',
  'QINGLIU_OVERLOAD_MAX_IN_FLIGHT',
  'QINGLIU_OVERLOAD_MAX_UNWRITTEN_ROWS',
  'QINGLIU_OVERLOAD_RETRY_AFTER_SECONDS',
  'QINGLIU_OVERLOAD_SAMPLE_INTERVAL_MS',
  'QINGLIU_WS_MAX_PAYLOAD_BYTES',
  'QINGLIU_WS_MESSAGES_PER_SECOND',
  'QINGLIU_WS_SLOW_CONSUMER_BYTES',
  'QINGLIU_DATA_REGION',
  'QINGLIU_KEY_PROVIDER',
  'QINGLIU_KEY_FILE',
  'QINGLIU_KEKS',
  'QINGLIU_PSEUDONYM_KEY',
  'QINGLIU_MINOR_ORDER_LIMIT_FEN',
  'QINGLIU_MINOR_MONTHLY_LIMIT_FEN',
  'QINGLIU_FAIRNESS_RATIO_THRESHOLD',
  'QINGLIU_FAIRNESS_MIN_GROUP_SIZE',
  'QINGLIU_FAIRNESS_THRESHOLD_REASON',
  'QINGLIU_FAIRNESS_LIVE_MINUTES',
  'QINGLIU_FAIRNESS_SCHEDULE_HOURS',
  'QINGLIU_FAIRNESS_KEEP_DAYS',
  'QINGLIU_FAIRNESS_RERANK',
  'QINGLIU_FAIRNESS_RERANK_HOLDOUT',
  'QINGLIU_ENERGY_METER',
  'QINGLIU_ENERGY_SAMPLE_SECONDS',
  'QINGLIU_ENERGY_REGION',
  'QINGLIU_ENERGY_FACTOR_YEAR',
  'QINGLIU_ENERGY_FACTOR_KG_PER_KWH',
  'QINGLIU_ENERGY_FACTOR_SOURCE',
  'QINGLIU_ENERGY_PUE',
  'QINGLIU_ENERGY_MIN_WATTS_PER_VCPU',
  'QINGLIU_ENERGY_MAX_WATTS_PER_VCPU',
  'QINGLIU_ENERGY_VCPUS',
  'QINGLIU_ENERGY_RAPL',
  'QINGLIU_ENERGY_POWERCAP_ROOT',
  'QINGLIU_ENERGY_EMBODIED_KG',
  'QINGLIU_ENERGY_LIFESPAN_YEARS',
  'QINGLIU_ENERGY_HOST_VCPUS',
  'QINGLIU_ENERGY_KEEP_DAYS',
  'QINGLIU_CHAT_MAX_LENGTH',
  'QINGLIU_CHAT_MESSAGES_PER_MINUTE',
  'QINGLIU_CHAT_BURST',
  'QINGLIU_CHAT_KEEP_DAYS',
  'QINGLIU_CHAT_KEYWORDS_FILE',
  'QINGLIU_ASSISTANT_MODEL_DESTINATION',
  'QINGLIU_ASSISTANT_MODEL',
  'QINGLIU_ASSISTANT_MODEL_PATH',
] as const;

/** Watts per vCPU above this is a unit mistake, not a processor (a whole 64-core server draws a few hundred W). */
export const MAX_WATTS_PER_VCPU = 50;
/** PUE above this is no working data centre (the worst surveyed sites are near 2.5). */
export const MAX_PUE = 3;

/** Three years and a day: the least a fairness report is kept (A8). */
export const FAIRNESS_MIN_KEEP_DAYS = 3 * 365 + 1;

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const problems: string[] = [];

  const int = (key: string, raw: string | number | undefined, def: number, min: number, max: number): number => {
    if (raw === undefined || raw === '') return def;
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key} must be an integer from ${min} to ${max} (got "${String(raw)}")`);
      return def;
    }
    return n;
  };
  const bool = (key: string, raw: string | boolean | undefined, def: boolean): boolean => {
    if (raw === undefined || raw === '') return def;
    if (typeof raw === 'boolean') return raw;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    problems.push(`${key} must be true or false (got "${raw}")`);
    return def;
  };
  const url = (key: string, raw: string): string | undefined => {
    try {
      const u = new URL(raw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
      return u.origin;
    } catch {
      problems.push(`${key} must be an http(s) URL (got "${raw}")`);
      return undefined;
    }
  };

  const ratio = (key: string, raw: string | undefined, def: number): number => {
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!(n > 0 && n <= 1)) {
      problems.push(`${key} must be a number in (0, 1] (got "${raw}")`);
      return def;
    }
    return n;
  };

  const rawMode = overrides.mode ?? env.QINGLIU_MODE ?? 'demo';
  if (rawMode !== 'demo' && rawMode !== 'production') problems.push(`QINGLIU_MODE must be demo or production (got "${rawMode}")`);
  const mode: Config['mode'] = rawMode === 'production' ? 'production' : 'demo';
  const demoAudience = bool('QINGLIU_DEMO_AUDIENCE', env.QINGLIU_DEMO_AUDIENCE, mode === 'demo');
  if (demoAudience && mode !== 'demo') problems.push('QINGLIU_DEMO_AUDIENCE can be on only with QINGLIU_MODE=demo (no simulated traffic in real rooms)');
  const port = int('PORT', overrides.port ?? env.PORT, 3000, 0, 65535);
  const host = overrides.host ?? env.HOST ?? '127.0.0.1';
  const dataDir = path.resolve(overrides.dataDir ?? env.QINGLIU_DATA_DIR ?? './data');

  let databaseUrl = overrides.databaseUrl ?? env.DATABASE_URL ?? '';
  if (databaseUrl === '') databaseUrl = `sqlite:${path.join(dataDir, 'qingliu.sqlite')}`;
  else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    try {
      new URL(databaseUrl);
    } catch {
      problems.push('DATABASE_URL is not a valid postgres:// URL');
    }
  } else if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file === '') problems.push('DATABASE_URL sqlite: needs a file path or :memory:');
    else if (file !== ':memory:') databaseUrl = `sqlite:${path.resolve(file)}`;
  } else {
    // Never echo the value: it may carry a password.
    problems.push('DATABASE_URL must start with postgres://, postgresql:// or sqlite:');
  }

  const busRaw = (overrides.busUrl ?? env.QINGLIU_BUS_URL ?? '').trim();
  const bus = busRaw === '' ? { kind: 'memory' as const } : parseBusUrl(busRaw);
  // Never echo the value: a mistyped one may carry a password.
  if (!bus) problems.push('QINGLIU_BUS_URL must be memory or nats://host:port (several servers of one cluster separated by commas; no credentials in the URL)');
  const busUrl = !bus || bus.kind === 'memory' ? 'memory' : bus.servers.join(',');
  const busSubjectPrefix = (env.QINGLIU_BUS_SUBJECT_PREFIX ?? '').trim();
  if (busSubjectPrefix !== '' && !/^[a-z0-9_-]{1,32}$/.test(busSubjectPrefix)) problems.push('QINGLIU_BUS_SUBJECT_PREFIX must be 1–32 of a-z, 0-9, _ and - (one subject token)');

  const logLevelRaw = overrides.logLevel ?? env.LOG_LEVEL ?? 'info';
  let logLevel: LogLevel = 'info';
  if ((LOG_LEVELS as readonly string[]).includes(logLevelRaw)) logLevel = logLevelRaw as LogLevel;
  else problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevelRaw}")`);

  const cookieRaw = env.QINGLIU_COOKIE_SECURE ?? 'auto';
  let cookieSecure: CookieSecure = 'auto';
  if (cookieRaw === 'auto' || cookieRaw === 'always' || cookieRaw === 'never') cookieSecure = cookieRaw;
  else problems.push(`QINGLIU_COOKIE_SECURE must be auto, always or never (got "${cookieRaw}")`);

  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = env.QINGLIU_PUBLIC_URL
    ? (url('QINGLIU_PUBLIC_URL', env.QINGLIU_PUBLIC_URL) ?? '')
    : `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;

  const allowedOrigins: string[] = [];
  for (const raw of (env.QINGLIU_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const origin = url('QINGLIU_ALLOWED_ORIGINS', raw);
    if (origin) allowedOrigins.push(origin);
  }

  const dataRegion = env.QINGLIU_DATA_REGION ?? 'cn-mainland';
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(dataRegion)) problems.push(`QINGLIU_DATA_REGION must be a lower-case label such as cn-mainland (got "${dataRegion}")`);
  const keyProvider = env.QINGLIU_KEY_PROVIDER ?? 'file';
  let keys: Config['keys'] = { provider: 'file', file: path.resolve(env.QINGLIU_KEY_FILE ?? path.join(dataDir, 'keys', 'keyring.json')) };
  if (keyProvider === 'env') {
    // Secrets: never echoed, never defaulted.
    if (!env.QINGLIU_KEKS) problems.push('QINGLIU_KEKS is required when QINGLIU_KEY_PROVIDER=env (id:base64 key-encryption keys, current first)');
    if (!env.QINGLIU_PSEUDONYM_KEY) problems.push('QINGLIU_PSEUDONYM_KEY is required when QINGLIU_KEY_PROVIDER=env (32 bytes, base64)');
    keys = { provider: 'env', keks: env.QINGLIU_KEKS ?? '', pseudonymRoot: env.QINGLIU_PSEUDONYM_KEY ?? '' };
  } else if (keyProvider !== 'file') {
    problems.push(`QINGLIU_KEY_PROVIDER must be file or env (got "${keyProvider}")`);
  }

  const rerankRaw = env.QINGLIU_FAIRNESS_RERANK ?? 'off';
  if (rerankRaw !== 'off' && rerankRaw !== 'category' && rerankRaw !== 'price_band') problems.push(`QINGLIU_FAIRNESS_RERANK must be off, category or price_band (got "${rerankRaw}")`);
  const holdoutRaw = env.QINGLIU_FAIRNESS_RERANK_HOLDOUT;
  let rerankHoldout = 0.1;
  if (holdoutRaw !== undefined && holdoutRaw !== '') {
    const h = Number(holdoutRaw);
    if (!(h >= 0.01 && h <= 0.5)) problems.push(`QINGLIU_FAIRNESS_RERANK_HOLDOUT must be a number from 0.01 to 0.5 (got "${holdoutRaw}")`);
    else rerankHoldout = h;
  }
  const fairness: Config['fairness'] = {
    ratioThreshold: ratio('QINGLIU_FAIRNESS_RATIO_THRESHOLD', env.QINGLIU_FAIRNESS_RATIO_THRESHOLD, 0.8),
    // Below 10 a group's rates could single people out; the default is 30.
    minGroupSize: int('QINGLIU_FAIRNESS_MIN_GROUP_SIZE', env.QINGLIU_FAIRNESS_MIN_GROUP_SIZE, 30, 10, 1_000_000),
    thresholdReason: env.QINGLIU_FAIRNESS_THRESHOLD_REASON?.trim() || null,
    liveMinutes: int('QINGLIU_FAIRNESS_LIVE_MINUTES', env.QINGLIU_FAIRNESS_LIVE_MINUTES, 5, 0, 24 * 60),
    scheduleHours: int('QINGLIU_FAIRNESS_SCHEDULE_HOURS', env.QINGLIU_FAIRNESS_SCHEDULE_HOURS, 24, 1, 24 * 31),
    keepDays: int('QINGLIU_FAIRNESS_KEEP_DAYS', env.QINGLIU_FAIRNESS_KEEP_DAYS, FAIRNESS_MIN_KEEP_DAYS, FAIRNESS_MIN_KEEP_DAYS, 100 * 366),
    rerank: rerankRaw === 'category' || rerankRaw === 'price_band' ? rerankRaw : 'off',
    rerankHoldout,
  };
  if ((fairness.ratioThreshold !== 0.8 || fairness.minGroupSize !== 30) && fairness.thresholdReason === null) {
    problems.push('QINGLIU_FAIRNESS_THRESHOLD_REASON is required when a fairness threshold differs from its default (every report records why)');
  }

  const energy = energyConfig(env, problems);
  const chat = chatConfig(env, problems, int);

  const config: Config = {
    host,
    port,
    publicUrl,
    dataDir,
    databaseUrl,
    busUrl,
    busSubjectPrefix,
    logLevel,
    mode,
    seedDemo: bool('QINGLIU_SEED_DEMO', overrides.seedDemo ?? env.QINGLIU_SEED_DEMO, mode === 'demo'),
    demoAudience,
    trustProxy: bool('QINGLIU_TRUST_PROXY', env.QINGLIU_TRUST_PROXY, false),
    cookieSecure,
    staffSessionHours: int('QINGLIU_STAFF_SESSION_HOURS', env.QINGLIU_STAFF_SESSION_HOURS, 12, 1, 24 * 30),
    allowedOrigins,
    bodyLimitBytes: int('QINGLIU_BODY_LIMIT_BYTES', env.QINGLIU_BODY_LIMIT_BYTES, 1024 * 1024, 1024, 64 * 1024 * 1024),
    importBodyLimitBytes: int(
      'QINGLIU_IMPORT_BODY_LIMIT_BYTES',
      env.QINGLIU_IMPORT_BODY_LIMIT_BYTES,
      16 * 1024 * 1024,
      1024,
      512 * 1024 * 1024,
    ),
    overload: {
      maxEventLoopDelayMs: int('QINGLIU_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS', env.QINGLIU_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS, 200, 0, 60_000),
      maxEventLoopUtilizationPercent: int('QINGLIU_OVERLOAD_MAX_EVENT_LOOP_UTILIZATION_PERCENT', env.QINGLIU_OVERLOAD_MAX_EVENT_LOOP_UTILIZATION_PERCENT, 0, 0, 100),
      // By default, 85 % of the heap V8 may grow to (a node past it is one GC pause from falling over).
      maxHeapUsedBytes:
        int('QINGLIU_OVERLOAD_MAX_HEAP_MB', env.QINGLIU_OVERLOAD_MAX_HEAP_MB, Math.floor((v8.getHeapStatistics().heap_size_limit * 0.85) / MIB), 0, 1024 * 1024) * MIB,
      maxInFlight: int('QINGLIU_OVERLOAD_MAX_IN_FLIGHT', env.QINGLIU_OVERLOAD_MAX_IN_FLIGHT, 256, 0, 1_000_000),
      maxUnwrittenRows: int('QINGLIU_OVERLOAD_MAX_UNWRITTEN_ROWS', env.QINGLIU_OVERLOAD_MAX_UNWRITTEN_ROWS, 100_000, 0, 100_000_000),
      retryAfterSeconds: int('QINGLIU_OVERLOAD_RETRY_AFTER_SECONDS', env.QINGLIU_OVERLOAD_RETRY_AFTER_SECONDS, 2, 1, 600),
      sampleIntervalMs: int('QINGLIU_OVERLOAD_SAMPLE_INTERVAL_MS', env.QINGLIU_OVERLOAD_SAMPLE_INTERVAL_MS, 500, 10, 60_000),
    },
    ws: {
      maxPayloadBytes: int('QINGLIU_WS_MAX_PAYLOAD_BYTES', env.QINGLIU_WS_MAX_PAYLOAD_BYTES, 64 * 1024, 256, 16 * 1024 * 1024),
      messagesPerSecond: int('QINGLIU_WS_MESSAGES_PER_SECOND', env.QINGLIU_WS_MESSAGES_PER_SECOND, 10, 1, 1000),
      slowConsumerBytes: int(
        'QINGLIU_WS_SLOW_CONSUMER_BYTES',
        env.QINGLIU_WS_SLOW_CONSUMER_BYTES,
        4 * 1024 * 1024,
        64 * 1024,
        1024 * 1024 * 1024,
      ),
    },
    maxPinnedProducts: 3,
    chat,
    assistant: {
      modelDestination: env.QINGLIU_ASSISTANT_MODEL_DESTINATION?.trim() || null,
      model: env.QINGLIU_ASSISTANT_MODEL?.trim() || 'qwen-plus',
      modelPath: env.QINGLIU_ASSISTANT_MODEL_PATH?.trim() || '/v1/chat/completions',
    },
    dataRegion,
    minorSpending: {
      perOrderFen: int('QINGLIU_MINOR_ORDER_LIMIT_FEN', env.QINGLIU_MINOR_ORDER_LIMIT_FEN, 10_000, 0, 100_000_000),
      monthlyFen: int('QINGLIU_MINOR_MONTHLY_LIMIT_FEN', env.QINGLIU_MINOR_MONTHLY_LIMIT_FEN, 40_000, 0, 100_000_000),
    },
    fairness,
    energy,
    keys,
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/**
 * The energy settings. A grid factor is never invented: the region must be a known hub or grid
 * area (its latest published factor, or QINGLIU_ENERGY_FACTOR_YEAR's), or the operator gives the
 * factor with its year and source. Absurd coefficients (negative watts, PUE below 1) are refused.
 */
function energyConfig(env: Env, problems: string[]): EnergyConfig {
  const num = (key: string, min: number, max: number, def: number, openMin = false): number => {
    const raw = env[key];
    if (raw === undefined || raw.trim() === '') return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || (openMin ? n <= min : n < min) || n > max) {
      problems.push(`${key} must be a number ${openMin ? '>' : '≥'} ${min} and ≤ ${max} (got "${raw}")`);
      return def;
    }
    return n;
  };
  const meterRaw = (env.QINGLIU_ENERGY_METER ?? 'on').toLowerCase();
  if (!['on', 'off', 'true', 'false', '1', '0'].includes(meterRaw)) problems.push(`QINGLIU_ENERGY_METER must be on or off (got "${env.QINGLIU_ENERGY_METER}")`);
  const meter = !['off', 'false', '0'].includes(meterRaw);
  const sampleSeconds = num('QINGLIU_ENERGY_SAMPLE_SECONDS', 5, 3600, 60);

  const regionId = (env.QINGLIU_ENERGY_REGION ?? 'cn-national').trim();
  const yearRaw = env.QINGLIU_ENERGY_FACTOR_YEAR?.trim();
  let year = yearRaw ? Number(yearRaw) : undefined;
  if (yearRaw && !Number.isInteger(year)) {
    problems.push(`QINGLIU_ENERGY_FACTOR_YEAR must be a whole year (got "${yearRaw}")`);
    year = undefined;
  }
  const kgRaw = env.QINGLIU_ENERGY_FACTOR_KG_PER_KWH?.trim();
  const sourceRaw = env.QINGLIU_ENERGY_FACTOR_SOURCE?.trim();
  const hub = DATA_CENTRE_HUBS.find((h) => h.id === regionId);
  const gridIds = new Set(GRID_FACTORS.map((f) => f.id));
  let region: EnergyConfig['region'] = { id: regionId, name: { zh: regionId, en: regionId }, kind: 'custom' };
  let factor: Readonly<GridFactor> = gridFactor('cn-national');
  let pueDefault = CCF_ALIBABA_AVERAGE.pue;
  let pueSource = "Alibaba Cloud's reported average PUE (1.3)";
  if (kgRaw !== undefined && kgRaw !== '') {
    // The operator's own factor: it must say its year and source, like every built-in one.
    try {
      if (!/^[a-z][a-z0-9-]{0,47}$/.test(regionId)) throw new RangeError(`QINGLIU_ENERGY_REGION must be a lower-case label (got "${regionId}")`);
      factor = customFactor({ id: regionId, kgPerKwh: Number(kgRaw), year: year as number, source: sourceRaw ?? '' });
    } catch (err) {
      problems.push(`QINGLIU_ENERGY_FACTOR_KG_PER_KWH: ${(err as Error).message}`);
    }
  } else if (sourceRaw) {
    problems.push('QINGLIU_ENERGY_FACTOR_SOURCE is set but QINGLIU_ENERGY_FACTOR_KG_PER_KWH is not (give the factor with its year and source)');
  } else if (hub) {
    region = { id: hub.id, name: hub.name, kind: 'hub' };
    factor = hub.factor;
    pueDefault = hub.pue;
    pueSource = hub.pueSource;
    if (year !== undefined && year !== hub.factor.year) {
      try {
        factor = gridFactor(hub.factor.id, year);
      } catch (err) {
        problems.push(`QINGLIU_ENERGY_FACTOR_YEAR: ${(err as Error).message}`);
      }
    }
  } else if (gridIds.has(regionId)) {
    try {
      factor = gridFactor(regionId, year);
      region = { id: regionId, name: factor.name, kind: 'grid' };
    } catch (err) {
      problems.push(`QINGLIU_ENERGY_FACTOR_YEAR: ${(err as Error).message}`);
    }
  } else {
    problems.push(
      `QINGLIU_ENERGY_REGION "${regionId}" is not a known site or grid area (sites: ${DATA_CENTRE_HUBS.map((h) => h.id).join(', ')}; grid areas: ${[...gridIds].join(', ')}); ` +
        'for another region give QINGLIU_ENERGY_FACTOR_KG_PER_KWH with QINGLIU_ENERGY_FACTOR_YEAR and QINGLIU_ENERGY_FACTOR_SOURCE',
    );
  }

  const pue = num('QINGLIU_ENERGY_PUE', 1, MAX_PUE, pueDefault);
  if (env.QINGLIU_ENERGY_PUE?.trim()) pueSource = 'set by the operator (QINGLIU_ENERGY_PUE)';
  const minW = num('QINGLIU_ENERGY_MIN_WATTS_PER_VCPU', 0, MAX_WATTS_PER_VCPU, CCF_ALIBABA_AVERAGE.minWattsPerVcpu);
  const maxW = num('QINGLIU_ENERGY_MAX_WATTS_PER_VCPU', 0, MAX_WATTS_PER_VCPU, CCF_ALIBABA_AVERAGE.maxWattsPerVcpu, true);
  if (maxW < minW) problems.push(`QINGLIU_ENERGY_MAX_WATTS_PER_VCPU (${maxW}) must be at least QINGLIU_ENERGY_MIN_WATTS_PER_VCPU (${minW})`);
  const powerSource =
    env.QINGLIU_ENERGY_MIN_WATTS_PER_VCPU?.trim() || env.QINGLIU_ENERGY_MAX_WATTS_PER_VCPU?.trim()
      ? 'set by the operator'
      : "Cloud Carbon Footprint's Alibaba Cloud averages (0.74–3.5 W per vCPU)";
  const vcpus = num('QINGLIU_ENERGY_VCPUS', 1, 1024, nodeVcpus());
  if (!Number.isInteger(vcpus)) problems.push(`QINGLIU_ENERGY_VCPUS must be a whole number (got "${env.QINGLIU_ENERGY_VCPUS}")`);
  const raplRaw = env.QINGLIU_ENERGY_RAPL ?? 'auto';
  if (raplRaw !== 'auto' && raplRaw !== 'off') problems.push(`QINGLIU_ENERGY_RAPL must be auto or off (got "${raplRaw}")`);

  let embodied: EnergyConfig['embodied'] = null;
  const embodiedRaw = env.QINGLIU_ENERGY_EMBODIED_KG?.trim();
  if (embodiedRaw) {
    const totalKg = num('QINGLIU_ENERGY_EMBODIED_KG', 0, 100_000, 0, true);
    const lifespanYears = num('QINGLIU_ENERGY_LIFESPAN_YEARS', 0, 20, 4, true);
    if (!env.QINGLIU_ENERGY_HOST_VCPUS?.trim()) problems.push('QINGLIU_ENERGY_HOST_VCPUS is required with QINGLIU_ENERGY_EMBODIED_KG (the share of the host this node holds)');
    const hostVcpus = num('QINGLIU_ENERGY_HOST_VCPUS', 1, 4096, vcpus);
    if (hostVcpus < vcpus) problems.push(`QINGLIU_ENERGY_HOST_VCPUS (${hostVcpus}) must be at least the node's vCPUs (${vcpus})`);
    embodied = { totalKg, lifespanYears, hostVcpus };
  }
  return {
    meter,
    sampleSeconds,
    region,
    factor,
    pue,
    pueSource,
    power: { minWattsPerVcpu: minW, maxWattsPerVcpu: maxW, source: powerSource },
    vcpus,
    rapl: raplRaw === 'off' ? 'off' : 'auto',
    powercapRoot: env.QINGLIU_ENERGY_POWERCAP_ROOT?.trim() || '/sys/class/powercap',
    embodied,
    keepDays: num('QINGLIU_ENERGY_KEEP_DAYS', 1, 100 * 366, 400),
  };
}

/**
 * The vCPUs this node holds: the container's CPU quota when one is set (cgroup v2 cpu.max,
 * rounded up), else the CPUs the process may run on. A container limited to 2 CPUs on a 64-core
 * host holds 2, and only their idle power is Qingliu's.
 */
export function nodeVcpus(cpuMaxFile = '/sys/fs/cgroup/cpu.max'): number {
  const cpus = os.availableParallelism();
  try {
    const [quota, period] = fs.readFileSync(cpuMaxFile, 'utf8').trim().split(/\s+/);
    if (quota === undefined || quota === 'max' || period === undefined) return cpus;
    const limit = Math.ceil(Number(quota) / Number(period));
    return Number.isFinite(limit) && limit >= 1 ? Math.min(cpus, limit) : cpus;
  } catch {
    return cpus;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

type IntReader = (name: string, raw: string | number | undefined, fallback: number, min: number, max: number) => number;

/** Chat settings; the keyword file is JSON `{"zh": [...], "en": [...]}` and replaces the built-in lists. */
function chatConfig(env: NodeJS.ProcessEnv, problems: string[], int: IntReader): Config['chat'] {
  let keywords: Config['chat']['keywords'] = DEFAULT_KEYWORDS;
  let keywordsSource = 'built-in';
  const file = env.QINGLIU_CHAT_KEYWORDS_FILE?.trim();
  if (file) {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      const list = (v: unknown) => Array.isArray(v) && v.length <= 10_000 && v.every((w) => typeof w === 'string' && w.trim().length > 0 && w.length <= 40);
      const p = parsed as { zh?: unknown; en?: unknown };
      if (typeof parsed !== 'object' || parsed === null || !list(p.zh) || !list(p.en)) {
        problems.push('QINGLIU_CHAT_KEYWORDS_FILE must hold JSON {"zh": [words], "en": [words]} (each 1–40 characters)');
      } else {
        keywords = { zh: p.zh as string[], en: p.en as string[] };
        keywordsSource = file;
      }
    } catch {
      problems.push('QINGLIU_CHAT_KEYWORDS_FILE cannot be read as JSON');
    }
  }
  return {
    maxLength: int('QINGLIU_CHAT_MAX_LENGTH', env.QINGLIU_CHAT_MAX_LENGTH, 200, 10, 2000),
    messagesPerMinute: int('QINGLIU_CHAT_MESSAGES_PER_MINUTE', env.QINGLIU_CHAT_MESSAGES_PER_MINUTE, 20, 1, 600),
    burst: int('QINGLIU_CHAT_BURST', env.QINGLIU_CHAT_BURST, 5, 1, 100),
    keepDays: int('QINGLIU_CHAT_KEEP_DAYS', env.QINGLIU_CHAT_KEEP_DAYS, 90, 1, 3650),
    keywords,
    keywordsSource,
  };
}
