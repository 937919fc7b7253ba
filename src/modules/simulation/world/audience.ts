/**
 * The simulated audience: who arrives when, who they are, what they like, what they consent to.
 *
 * Everything is deterministic for (scenario, seed). Each viewer draws from its own streams, seeded
 * by a hash of (scenario name, seed, viewer index, stream), so changing one viewer's draws — or the
 * number of draws of one concern — never shifts another viewer's or another concern's:
 * - the visit stream: returning or not, arrival, stay, opting out;
 * - the persona stream (seeded by the viewer's `personaKey`): own age band, segment, locale,
 *   consent, latent preferences; the device id comes from the persona key too;
 * - the talk stream: the minutes of assistant questions and chat messages.
 *
 * The viewers are simulated people: their device ids start with `sim-` so nobody mistakes them.
 */
import { Rng } from '../../../shared/rng.js';
import {
  CATEGORIES,
  CHILD_AGE_BANDS,
  CHILD_AGE_MONTHS,
  CITY_TIERS,
  DEVICES,
  PURPOSES,
  type Category,
  type ChildAgeBand,
  type CityTier,
  type Device,
  type Purpose,
  type Scenario,
  type ScenarioBehaviour,
  type ViewerAgeBand,
} from './scenario.js';

// ---------------------------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------------------------

const TWO_POW_32 = 4294967296;

/** One MurmurHash3 body step: mixes the 32-bit word k into the running hash h. */
function mixWord(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finaliser: every input bit affects every output bit. */
function finalise(h: number): number {
  let x = h;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A 53-bit seed from a list of numbers (their integer parts, up to ±2^53) and strings, for
 * `new Rng(seed)`. Two independent Murmur3 lanes give the high 21 and low 32 bits, so 20,000
 * viewers do not collide the way uint32 seeds could (birthday bound). Parts are tagged by type and
 * strings by length, so ("a1") and ("a", 1) differ.
 */
export function mixSeed(...parts: readonly (number | string)[]): number {
  let a = 0x2545f491;
  let b = 0x6a09e667;
  const feed = (w: number) => {
    a = mixWord(a, w);
    b = mixWord(b, w ^ 0x5bd1e995);
  };
  for (const part of parts) {
    if (typeof part === 'number') {
      if (!Number.isFinite(part)) throw new RangeError('seed parts must be finite');
      const whole = Math.trunc(part);
      feed(0x6e);
      feed(whole >>> 0);
      feed(Math.floor(whole / TWO_POW_32) >>> 0);
    } else {
      feed(0x73);
      feed(part.length);
      for (let i = 0; i < part.length; i++) feed(part.charCodeAt(i));
    }
  }
  return (finalise(a) & 0x1fffff) * TWO_POW_32 + finalise(b ^ 0x7f4a7c15);
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** What a viewer likes; the utility in behaviour.ts is built from these (utility units, log-odds). */
export interface ViewerLatent {
  /** ln(relative weight) of each category for this viewer, its own deviation included. */
  categoryAffinity: Record<string, number>;
  /** s ≥ 0: the utility falls by s × ln(price / room median price). */
  priceSensitivity: number;
  /** Utility per unit of discount share (list − price) / list. */
  discountAffinity: number;
  /** Utility of an active flash sale. */
  flashSaleAffinity: number;
  /** Utility of a pinned product. */
  pinnedAffinity: number;
  /** Utility when the product's age range contains the child's age (the scenario's ageFitBonus). */
  ageFitBonus: number;
  /** The child's age in months, drawn uniformly inside the child age band. */
  childAgeMonths: number;
}

/** A viewer's segment: the groups an audit can compare. */
export interface ViewerSegment {
  childAgeBand: ChildAgeBand;
  cityTier: CityTier;
  device: Device;
  /** Has watched this brand before (see AudienceOptions.previousShowSeed). */
  returning: boolean;
}

/** One simulated viewer of one show. */
export interface SimViewer {
  /** Position in the generated audience (0-based); the audience is returned in index order. */
  index: number;
  /** Seed of the viewer's persona: their identity, preferences and idiosyncratic noise. */
  personaKey: number;
  /** `sim-` and 20 characters of [A-Za-z0-9_-], derived from the persona key. */
  deviceId: string;
  arrivalMinute: number;
  /** Arrival plus a lognormal stay, cut at the end of the show. */
  leaveMinute: number;
  segment: ViewerSegment;
  /** The viewer's own age band; minors are put in minors mode by the server. */
  ageBand: ViewerAgeBand;
  /** The purposes granted, drawn once (minors included: the server refuses what it must). */
  consent: { granted: Purpose[] };
  locale: 'zh-CN' | 'en';
  latent: ViewerLatent;
  /** When the viewer switches personalisation off (a hazard while present), or null. */
  optOutMinute: number | null;
  /** When the viewer asks for a list: on arrival, then every refreshMinutes while present. */
  requestMinutes: number[];
  /** When the viewer asks the shopping assistant a question (Poisson while present). */
  assistantMinutes: number[];
  /** When the viewer sends a chat message (Poisson while present). */
  chatMinutes: number[];
  /** How the viewer responds to a slate (shared with the whole audience; the scenario's behaviour). */
  behaviour: Readonly<ScenarioBehaviour>;
}

/** Options for generateAudience. */
export interface AudienceOptions {
  /**
   * The seed of an earlier show of the same scenario. Returning viewers then take over the persona
   * (device id, segment, consent, preferences) of a first-time viewer of that show, each a
   * different one, so a server that watched that show knows them. Returning viewers left over when
   * that show had too few first-time viewers, and all returning viewers without this option, have
   * a fresh persona (the driver may warm them with history).
   */
  previousShowSeed?: number;
}

// ---------------------------------------------------------------------------------------------
// Small distributions
// ---------------------------------------------------------------------------------------------

/** Picks a key with probability weight / Σ weights (one uniform draw). */
export function drawCategorical<K extends string>(keys: readonly K[], weights: Readonly<Record<K, number>>, u: number): K {
  let total = 0;
  for (const k of keys) total += weights[k];
  let target = u * total;
  let last = keys[0]!;
  for (const k of keys) {
    const w = weights[k];
    if (w <= 0) continue;
    last = k;
    if (target < w) return k;
    target -= w;
  }
  return last;
}

/** The arrival curve prepared for inverse-CDF sampling. */
export interface ArrivalCurve {
  points: readonly (readonly [number, number])[];
  /** cumulative[i]: area under the curve from the first point to point i. */
  cumulative: readonly number[];
  total: number;
}

/** Prepares the piecewise-linear arrival rate curve (area of each trapezium, cumulated). */
export function arrivalCurve(points: readonly (readonly [number, number])[]): ArrivalCurve {
  const cumulative = [0];
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const [t0, r0] = points[i - 1]!;
    const [t1, r1] = points[i]!;
    total += ((r0 + r1) / 2) * (t1 - t0);
    cumulative.push(total);
  }
  return { points, cumulative, total };
}

/**
 * The minute t at which the normalised cumulative arrivals reach u ∈ [0, 1).
 * Inside a segment with rate r(x) = r0 + k x (x = t − t0, k = (r1 − r0) / Δt), the area is
 * A(x) = r0 x + k x² / 2; solving A(x) = a gives x = 2a / (r0 + √(r0² + 2 k a)), the form that
 * stays exact when k → 0 and when r0 = 0.
 */
export function arrivalQuantile(curve: ArrivalCurve, u: number): number {
  const target = u * curve.total;
  const { points, cumulative } = curve;
  let i = 1;
  while (i < points.length - 1 && cumulative[i]! <= target) i++;
  const [t0, r0] = points[i - 1]!;
  const [t1, r1] = points[i]!;
  const a = Math.max(0, target - cumulative[i - 1]!);
  const dt = t1 - t0;
  const k = (r1 - r0) / dt;
  const denominator = r0 + Math.sqrt(Math.max(0, r0 * r0 + 2 * k * a));
  const x = denominator > 0 ? (2 * a) / denominator : 0;
  return Math.min(t1, t0 + Math.min(dt, Math.max(0, x)));
}

/** Exponential waiting time with the given rate per minute (Infinity when the rate is 0). */
function exponential(rng: Rng, ratePerMinute: number): number {
  const u = rng.next();
  return ratePerMinute > 0 ? -Math.log(1 - u) / ratePerMinute : Infinity;
}

/** Event minutes of a Poisson process with the given rate per hour over [from, to). */
function poissonMinutes(rng: Rng, perHour: number, from: number, to: number): number[] {
  const out: number[] = [];
  const rate = perHour / 60;
  if (!(rate > 0)) return out;
  let t = from + exponential(rng, rate);
  while (t < to && out.length < 100_000) {
    out.push(t);
    t += exponential(rng, rate);
  }
  return out;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `sim-` and 20 base64url characters (120 bits) from the persona key. */
export function simulatedDeviceId(personaKey: number): string {
  const rng = new Rng(mixSeed('device-id', personaKey));
  let id = 'sim-';
  for (let i = 0; i < 20; i++) id += ID_ALPHABET[rng.nextUint32() >>> 26];
  return id;
}

// ---------------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------------

/** The seed of a first-time viewer's persona in the show (scenario, seed). */
export function personaKeyOf(scenario: Pick<Scenario, 'name'>, seed: number, index: number): number {
  return mixSeed('persona', scenario.name, seed, index);
}

function visitRng(scenario: Scenario, seed: number, index: number): Rng {
  return new Rng(mixSeed('visit', scenario.name, seed, index));
}

/** The first draw of the visit stream decides whether the viewer is returning. */
function isReturning(scenario: Scenario, seed: number, index: number): boolean {
  return visitRng(scenario, seed, index).next() < scenario.audience.returningShare;
}

/** Category weights after the segment multipliers, normalised to average 1, as logarithms. */
function segmentAffinity(scenario: Scenario, band: ChildAgeBand, tier: CityTier): Record<Category, number> {
  const p = scenario.preferences;
  const bandM = p.childAgeBandMultipliers[band] ?? {};
  const tierM = p.cityTierMultipliers[tier] ?? {};
  const raw = CATEGORIES.map((c) => p.categoryWeights[c] * (bandM[c] ?? 1) * (tierM[c] ?? 1));
  const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
  return Object.fromEntries(CATEGORIES.map((c, i) => [c, Math.log(raw[i]! / mean)])) as Record<Category, number>;
}

interface Persona {
  deviceId: string;
  ageBand: ViewerAgeBand;
  childAgeBand: ChildAgeBand;
  cityTier: CityTier;
  device: Device;
  locale: 'zh-CN' | 'en';
  granted: Purpose[];
  latent: ViewerLatent;
}

/**
 * A persona from its key. The number and order of draws is fixed (every purpose's uniform is drawn
 * even for those who accept or decline all), so a change of one rate does not shift the others.
 */
function drawPersona(scenario: Scenario, personaKey: number, affinityCache: Map<string, Record<Category, number>>): Persona {
  const rng = new Rng(personaKey);
  const { minors, segments, consent, preferences: pref } = scenario;

  const minorDraw = rng.next();
  const under14Draw = rng.next();
  const ageBand: ViewerAgeBand = minorDraw < minors.share ? (under14Draw < minors.under14Share ? 'under_14' : '14_to_17') : 'adult';

  const childAgeBand = drawCategorical(CHILD_AGE_BANDS, segments.childAgeBand, rng.next());
  const [fromMonth, toMonth] = CHILD_AGE_MONTHS[childAgeBand];
  const childAgeMonths = fromMonth + rng.next() * (toMonth - fromMonth);
  const cityTier = drawCategorical(CITY_TIERS, segments.cityTier, rng.next());
  const device = drawCategorical(DEVICES, segments.device, rng.next());
  const locale = rng.next() < scenario.audience.englishShare ? 'en' : 'zh-CN';

  // Consent: accept all, decline all, or purpose by purpose with the conditional rate that makes the
  // overall rate the configured one: q = (rate − accept) / (1 − accept − decline).
  const mode = rng.next();
  const accept = consent.acceptAllShare;
  const decline = consent.declineAllShare;
  const choosers = 1 - accept - decline;
  const granted: Purpose[] = [];
  for (const purpose of PURPOSES) {
    const u = rng.next();
    const q = choosers > 0 ? (consent.grant[purpose] - accept) / choosers : 0;
    if (mode < accept || (mode >= accept + decline && u < q)) granted.push(purpose);
  }

  const key = `${childAgeBand}|${cityTier}`;
  let base = affinityCache.get(key);
  if (base === undefined) {
    base = segmentAffinity(scenario, childAgeBand, cityTier);
    affinityCache.set(key, base);
  }
  const categoryAffinity: Record<string, number> = {};
  for (const c of CATEGORIES) categoryAffinity[c] = base[c] + pref.affinitySd * rng.normal();

  const draw = (d: { mean: number; sd: number }) => d.mean + d.sd * rng.normal();
  const latent: ViewerLatent = {
    categoryAffinity,
    priceSensitivity: Math.max(0, draw(pref.priceSensitivity)) * pref.cityTierPriceMultiplier[cityTier],
    discountAffinity: draw(pref.discountAffinity),
    flashSaleAffinity: draw(pref.flashSaleAffinity),
    pinnedAffinity: draw(pref.pinnedAffinity),
    ageFitBonus: pref.ageFitBonus,
    childAgeMonths,
  };
  return { deviceId: simulatedDeviceId(personaKey), ageBand, childAgeBand, cityTier, device, locale, granted, latent };
}

/**
 * Persona keys of the returning viewers who take over a first-time viewer of the previous show:
 * that show's first-time viewers, shuffled (Fisher–Yates, seeded by both shows), are handed out to
 * this show's returning viewers in index order, so no persona appears twice in one show.
 */
function returningPersonas(scenario: Scenario, seed: number, previousSeed: number, returning: readonly number[]): Map<number, number> {
  const firstTimers: number[] = [];
  for (let j = 0; j < scenario.audience.viewers; j++) if (!isReturning(scenario, previousSeed, j)) firstTimers.push(j);
  const rng = new Rng(mixSeed('returning-match', scenario.name, seed, previousSeed));
  for (let i = firstTimers.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [firstTimers[i], firstTimers[j]] = [firstTimers[j]!, firstTimers[i]!];
  }
  const out = new Map<number, number>();
  returning.forEach((index, k) => {
    const j = firstTimers[k];
    if (j !== undefined) out.set(index, personaKeyOf(scenario, previousSeed, j));
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The audience
// ---------------------------------------------------------------------------------------------

/**
 * The whole audience of one show of the scenario, in index order (sort by `arrivalMinute` to
 * replay it). Deterministic for (scenario, seed, options); see the module comment for the streams.
 */
export function generateAudience(scenario: Scenario, seed: number, options: AudienceOptions = {}): SimViewer[] {
  if (!Number.isFinite(seed)) throw new RangeError('seed must be a finite number');
  const { previousShowSeed } = options;
  if (previousShowSeed !== undefined && Math.trunc(previousShowSeed) === Math.trunc(seed)) {
    throw new RangeError('previousShowSeed must differ from the seed of this show');
  }
  const { audience, behaviour, durationMinutes } = scenario;
  const curve = arrivalCurve(audience.arrival.points);
  const affinityCache = new Map<string, Record<Category, number>>();
  const sharedBehaviour = Object.freeze({ ...behaviour, positionExamination: Object.freeze([...behaviour.positionExamination]) }) as Readonly<ScenarioBehaviour>;

  // The visit stream: returning (first draw, see isReturning), arrival, stay, opting out.
  const visits = Array.from({ length: audience.viewers }, (_, index) => {
    const rng = visitRng(scenario, seed, index);
    const returning = rng.next() < audience.returningShare;
    const arrivalMinute = arrivalQuantile(curve, rng.next());
    // Lognormal stay: median × e^(σ z).
    const stay = audience.dwellMinutes.median * Math.exp(audience.dwellMinutes.sigma * rng.normal());
    const leaveMinute = Math.min(durationMinutes, arrivalMinute + stay);
    // Opting out: exponential with rate optOutPerHour / 60 per minute from arrival; only while present.
    const optOutAt = arrivalMinute + exponential(rng, behaviour.optOutPerHour / 60);
    return { returning, arrivalMinute, leaveMinute, optOutMinute: optOutAt < leaveMinute ? optOutAt : null };
  });

  const personaOverride =
    previousShowSeed === undefined
      ? new Map<number, number>()
      : returningPersonas(
          scenario,
          seed,
          previousShowSeed,
          visits.flatMap((v, i) => (v.returning ? [i] : [])),
        );

  return visits.map((visit, index) => {
    const personaKey = personaOverride.get(index) ?? personaKeyOf(scenario, seed, index);
    const persona = drawPersona(scenario, personaKey, affinityCache);
    const talk = new Rng(mixSeed('talk', scenario.name, seed, index));
    const { arrivalMinute, leaveMinute } = visit;
    const requestMinutes: number[] = [];
    for (let t = arrivalMinute; t < leaveMinute || requestMinutes.length === 0; t += behaviour.refreshMinutes) requestMinutes.push(t);
    return {
      index,
      personaKey,
      deviceId: persona.deviceId,
      arrivalMinute,
      leaveMinute,
      segment: { childAgeBand: persona.childAgeBand, cityTier: persona.cityTier, device: persona.device, returning: visit.returning },
      ageBand: persona.ageBand,
      consent: { granted: persona.granted },
      locale: persona.locale,
      latent: persona.latent,
      optOutMinute: visit.optOutMinute,
      requestMinutes,
      assistantMinutes: poissonMinutes(talk, behaviour.assistantQuestionsPerHour, arrivalMinute, leaveMinute),
      chatMinutes: poissonMinutes(talk, behaviour.chatMessagesPerHour, arrivalMinute, leaveMinute),
      behaviour: sharedBehaviour,
    };
  });
}
