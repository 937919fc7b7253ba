/**
 * Scenario files for the simulated world: the schema (TypeBox, checked by ajv), the semantic checks
 * ajv cannot express, and loading. A scenario describes one live show with a known truth: who
 * arrives when, who they are, what they like, how they respond to a recommended slate and what the
 * host does. Nothing here touches the network or the clock; only `readScenarioFile` reads a file.
 *
 * Every problem is reported with its JSON-pointer path (`/audience/arrival/points/2`) and what is
 * wrong, so a person editing a scenario can find the line.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type Static, type TObject, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Purpose as ConsentPurpose } from '../../consent/purposes.js';
import type { AgeBand as ProfileAgeBand } from '../../viewer-profile/service.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/** The product categories of the demo brand; a scenario gives every one a weight. */
export const CATEGORIES = [
  'bath',
  'bottles',
  'car_seat',
  'carrier',
  'clothing',
  'diapers',
  'feeding',
  'health',
  'skincare',
  'sleep',
  'stroller',
  'toys',
  'wipes',
] as const;
/** One of the 13 product categories. */
export type Category = (typeof CATEGORIES)[number];

/** Age bands of the viewer's child; each maps to a month range (see `CHILD_AGE_MONTHS`). */
export const CHILD_AGE_BANDS = ['0_6m', '6_12m', '1_3y', '3_6y'] as const;
/** The age band of the viewer's child. */
export type ChildAgeBand = (typeof CHILD_AGE_BANDS)[number];

/** The child's age in months for each band: [from, to), drawn uniformly inside it. */
export const CHILD_AGE_MONTHS: Readonly<Record<ChildAgeBand, readonly [number, number]>> = {
  '0_6m': [0, 6],
  '6_12m': [6, 12],
  '1_3y': [12, 36],
  '3_6y': [36, 72],
};

/** City tiers as Chinese retail usually groups them. */
export const CITY_TIERS = ['tier1', 'tier2', 'tier3_plus'] as const;
/** The viewer's city tier. */
export type CityTier = (typeof CITY_TIERS)[number];

/** The viewer's device family. */
export const DEVICES = ['ios', 'android', 'other'] as const;
/** One of DEVICES. */
export type Device = (typeof DEVICES)[number];

/** The consent purposes, the same five the server's consent module knows (a type check keeps them in step). */
export const PURPOSES = ['personalised_recommendations', 'assistant_memory', 'model_improvement', 'marketing', 'merchant_sharing'] as const;
/** One consent purpose. */
export type Purpose = (typeof PURPOSES)[number];

/** The viewer's own age band, as the server's viewer profile declares it. */
export const VIEWER_AGE_BANDS = ['adult', '14_to_17', 'under_14'] as const;
/** One of VIEWER_AGE_BANDS. */
export type ViewerAgeBand = (typeof VIEWER_AGE_BANDS)[number];

/** What a simulated viewer's chat message is (world/talk.ts has the phrases of each kind). */
export const CHAT_KINDS = ['reaction', 'hostQuestion', 'blockedWords', 'link'] as const;
/** One of CHAT_KINDS. */
export type ChatKind = (typeof CHAT_KINDS)[number];

/** What a simulated viewer asks the shopping assistant about (world/talk.ts has the questions). */
export const ASSISTANT_TOPICS = ['pinnedProduct', 'namedProduct', 'shopPolicy', 'askForPerson', 'offTopic'] as const;
/** One of ASSISTANT_TOPICS. */
export type AssistantTopic = (typeof ASSISTANT_TOPICS)[number];

/** What the host can do to a product during the show. */
export const HOST_ACTIONS = ['pin', 'unpin', 'flash_sale', 'end_flash_sale', 'sold_out', 'restock'] as const;
/** One of HOST_ACTIONS. */
export type HostAction = (typeof HOST_ACTIONS)[number];

// Compile-time guards: these lists must stay the server's lists.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const PURPOSES_MATCH: Same<Purpose, ConsentPurpose> = true;
const AGE_BANDS_MATCH: Same<ViewerAgeBand, ProfileAgeBand> = true;
void PURPOSES_MATCH;
void AGE_BANDS_MATCH;

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

/** A string limited to the given values (one `enum`, so an error lists the allowed values once). */
function StringEnum<T extends string>(values: readonly T[], description: string): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], description });
}

const Probability = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
const Weight = (description: string) => Type.Number({ minimum: 0, maximum: 1e6, description });
const Multiplier = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description });

/** An object with exactly the given keys (all required, no others), each value's schema from `value`. */
function Keyed<K extends string, S extends TSchema>(keys: readonly K[], value: (key: K) => S, description: string): TObject<{ [P in K]: S }> {
  const properties = Object.fromEntries(keys.map((k) => [k, value(k)])) as { [P in K]: S };
  return Type.Object(properties, { additionalProperties: false, description });
}

/** A drawn-per-viewer quantity: a normal distribution. */
const NormalDraw = (description: string) =>
  Type.Object(
    {
      mean: Type.Number({ minimum: -100, maximum: 100, description: 'Mean of the normal distribution it is drawn from.' }),
      sd: Type.Number({ minimum: 0, maximum: 100, description: 'Standard deviation (0: every viewer has the mean).' }),
    },
    { additionalProperties: false, description },
  );

const CategoryWeights = Keyed(
  CATEGORIES,
  () => Multiplier('Relative weight (> 0).'),
  'Base relative interest in each category, all 13 required. Weights act as click odds: for rare clicks, a category weighted 3 is clicked about three times as often as one weighted 1, other things equal. Internally ln(weight × multipliers), normalised per viewer so the weights average 1, enters the utility.',
);

const CategoryMultipliers = (description: string) =>
  Type.Partial(Keyed(CATEGORIES, () => Multiplier('Multiplier on the category weight (> 0; omitted: 1).'), description));

const ArrivalPoint = Type.Tuple(
  [
    Type.Number({ minimum: 0, description: 'Minute since the show started.' }),
    Type.Number({ minimum: 0, description: 'Relative arrival rate at that minute (any scale; only the shape matters).' }),
  ],
  { description: '[minute, relative rate]' },
);

const FlashSale = Type.Object(
  {
    discountPercent: Type.Number({ exclusiveMinimum: 0, maximum: 90, description: 'Percent off the current price; the flash price is rounded down to 10 fen.' }),
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Units on offer at the flash price.' }),
    durationMinutes: Type.Number({ exclusiveMinimum: 0, maximum: 1440, description: 'How long the sale runs unless ended earlier or sold out.' }),
  },
  { additionalProperties: false, description: 'The sale, required for (and only for) a flash_sale step.' },
);

const ScriptStep = Type.Object(
  {
    atMinute: Type.Number({ minimum: 0, description: 'Minute since the show started; at most durationMinutes.' }),
    action: StringEnum(HOST_ACTIONS, 'What the host does.'),
    product: Type.Object(
      {
        category: StringEnum(CATEGORIES, "The product's category."),
        rank: Type.Integer({
          minimum: -1000,
          maximum: 1000,
          not: { const: 0 },
          description:
            "Which product of the category, by price among the room's on-stage products: 1 the cheapest, 2 the next, …; -1 the dearest, -2 the next. Ties by product id. Chosen this way so a script works with any catalogue.",
        }),
      },
      { additionalProperties: false, description: 'The product, chosen by category and price rank.' },
    ),
    flashSale: Type.Optional(FlashSale),
  },
  { additionalProperties: false, description: 'One host action.' },
);

/** What the talk fields of `behaviour` are when a scenario file leaves them out (older files have none of the mixes). */
export const BEHAVIOUR_DEFAULTS = Object.freeze({
  assistantQuestionsPerHour: 12,
  chatMessagesPerHour: 18,
  chatMix: Object.freeze({ reaction: 0.55, hostQuestion: 0.35, blockedWords: 0.05, link: 0.05 }) as Readonly<Record<ChatKind, number>>,
  assistantMix: Object.freeze({ pinnedProduct: 0.3, namedProduct: 0.3, shopPolicy: 0.25, askForPerson: 0.1, offTopic: 0.05 }) as Readonly<Record<AssistantTopic, number>>,
  assistantInChatShare: 0.5,
});

const CHAT_KIND_DESCRIPTIONS: Record<ChatKind, string> = {
  reaction: 'Reactions: "好看", "已下单", "so cute!".',
  hostQuestion: 'Questions to the host (not the assistant): "有没有优惠", "can you show it closer?".',
  blockedWords: "Spam the server's default keyword filter blocks (\"加微信私聊下单\", \"dm me to buy\"): exercises moderation (CHAT_BLOCKED_WORDS).",
  link: 'A link or a shop code, which only staff may post (CHAT_LINK_NOT_ALLOWED).',
};

const ASSISTANT_TOPIC_DESCRIPTIONS: Record<AssistantTopic, string> = {
  pinnedProduct: 'About the pinned product: "这个多少钱", "this one for what age".',
  namedProduct: 'About an on-stage product by its name, chosen by how much the viewer likes it (their click probability).',
  shopPolicy: 'Shipping, returns, invoices: "一般几天能到货", "can I return it".',
  askForPerson: 'Asking for a person: "转人工", "can I talk to a real person" (the assistant hands off to the host).',
  offTopic: 'Off topic or not for the assistant (a poem, a personal coupon, a medical question): it should decline.',
};

function mixText(mix: Readonly<Record<string, number>>): string {
  return Object.entries(mix)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** The JSON Schema of a scenario file (TypeBox); every field carries a description for the docs and the CLI. */
export const SCENARIO_SCHEMA = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'Short lower-case name, e.g. "baby-care"; part of every simulated device id.' }),
    description: Type.String({ minLength: 1, maxLength: 4000, description: 'What world this is and what a run of it should show.' }),
    version: Type.Integer({ minimum: 1, description: 'Version of this scenario; raise it whenever the world changes so results stay comparable.' }),
    seed: Type.Integer({ minimum: 0, maximum: 4294967295, description: 'Default seed (uint32); the same seed gives the same audience, truth and responses.' }),
    durationMinutes: Type.Number({ exclusiveMinimum: 0, maximum: 1440, description: 'Length of the show in minutes.' }),
    audience: Type.Object(
      {
        viewers: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Viewers over the whole show (the driver may scale it).' }),
        arrival: Type.Object(
          {
            points: Type.Array(ArrivalPoint, {
              minItems: 2,
              maxItems: 1000,
              description:
                'Piecewise-linear arrival rate curve: minutes strictly increasing within [0, durationMinutes], rates ≥ 0 and not all zero; the rate is 0 outside the first and last minute. Normalised internally; arrivals are drawn from it by inverse-CDF sampling.',
            }),
          },
          { additionalProperties: false, description: 'When viewers arrive.' },
        ),
        dwellMinutes: Type.Object(
          {
            median: Type.Number({ exclusiveMinimum: 0, maximum: 1440, description: 'Median minutes a viewer stays.' }),
            sigma: Type.Number({ minimum: 0, maximum: 5, description: 'Sigma of the log of the stay (lognormal); 0 gives everybody the median.' }),
          },
          { additionalProperties: false, description: 'How long a viewer stays: lognormal, cut at the end of the show.' },
        ),
        returningShare: Probability('Share of viewers who have watched this brand before.'),
        englishShare: Probability('Share of viewers whose locale is "en" (the rest "zh-CN").'),
      },
      { additionalProperties: false, description: 'Who arrives and when.' },
    ),
    segments: Type.Object(
      {
        childAgeBand: Keyed(CHILD_AGE_BANDS, () => Weight('Relative weight (≥ 0).'), "Distribution of the age band of the viewer's child (weights, summing to more than 0)."),
        cityTier: Keyed(CITY_TIERS, () => Weight('Relative weight (≥ 0).'), "Distribution of the viewer's city tier (weights, summing to more than 0)."),
        device: Keyed(DEVICES, () => Weight('Relative weight (≥ 0).'), "Distribution of the viewer's device (weights, summing to more than 0)."),
      },
      { additionalProperties: false, description: 'Categorical segment distributions.' },
    ),
    minors: Type.Object(
      {
        share: Probability('Share of viewers who are themselves minors.'),
        under14Share: Probability('Of the minors, the share under 14.'),
        from14To17Share: Probability('Of the minors, the share aged 14 to 17; with under14Share it must sum to 1.'),
      },
      { additionalProperties: false, description: 'Viewers who are minors (the server puts them in minors mode).' },
    ),
    consent: Type.Object(
      {
        grant: Keyed(
          PURPOSES,
          () => Probability('Share of adult viewers who grant this purpose, counting those who accept everything.'),
          'Overall grant rate of each purpose. Each must lie in [acceptAllShare, 1 − declineAllShare]: the viewers who choose one by one grant a purpose with probability (rate − acceptAllShare) / (1 − acceptAllShare − declineAllShare), independently.',
        ),
        acceptAllShare: Probability('Share of viewers who accept every purpose.'),
        declineAllShare: Probability('Share of viewers who decline every purpose; with acceptAllShare at most 1.'),
      },
      { additionalProperties: false, description: "Consent choices, drawn once per viewer (minors' choices are drawn too; the server refuses what it must)." },
    ),
    preferences: Type.Object(
      {
        categoryWeights: CategoryWeights,
        childAgeBandMultipliers: Type.Partial(
          Keyed(CHILD_AGE_BANDS, (band) => CategoryMultipliers(`Category multipliers for ${band}.`), 'Per child age band, multipliers on the category weights (what makes personalisation worth something).'),
        ),
        cityTierMultipliers: Type.Partial(Keyed(CITY_TIERS, (tier) => CategoryMultipliers(`Category multipliers for ${tier}.`), 'Per city tier, multipliers on the category weights.')),
        affinitySd: Type.Number({ minimum: 0, maximum: 10, description: "Standard deviation of each viewer's own deviation from their segment's category affinity (utility units)." }),
        priceSensitivity: NormalDraw('Per-viewer price sensitivity s (cut at 0): the utility falls by s × ln(price / room median price).'),
        cityTierPriceMultiplier: Keyed(CITY_TIERS, () => Type.Number({ minimum: 0, maximum: 100, description: 'Multiplier (≥ 0).' }), 'Multiplier on the price sensitivity by city tier (tier1 usually below 1).'),
        discountAffinity: NormalDraw('Per-viewer utility per unit of discount share (list − price) / list.'),
        flashSaleAffinity: NormalDraw('Per-viewer utility of a product being on an active flash sale.'),
        pinnedAffinity: NormalDraw('Per-viewer utility of a product being pinned by the host.'),
        ageFitBonus: Type.Number({ minimum: -100, maximum: 100, description: "Utility added when the product's age range contains the child's age in months." }),
      },
      { additionalProperties: false, description: 'What viewers like: the parts of the utility.' },
    ),
    behaviour: Type.Object(
      {
        positionExamination: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 1 }), {
          minItems: 1,
          maxItems: 100,
          description: 'Probability that each slot (0-based position) is examined, non-increasing, each in (0, 1]; slots beyond the list are not examined. Independent per slot (position-based model).',
        }),
        clickIntercept: Type.Number({ minimum: -30, maximum: 30, description: 'P(click | examined) = σ(clickIntercept + u).' }),
        cartIntercept: Type.Number({ minimum: -30, maximum: 30, description: 'P(add to cart | click) = σ(cartIntercept + u).' }),
        purchaseIntercept: Type.Number({ minimum: -30, maximum: 30, description: 'P(purchase | add to cart) = σ(purchaseIntercept + u).' }),
        thumbsUpGivenPurchase: Probability('P(thumbs up | purchase).'),
        thumbsDownRate: Probability('P(thumbs down | examined, not clicked) = thumbsDownRate × σ(−u): most likely on low-utility items.'),
        notInterestedRate: Probability('P(not interested | examined, not clicked) = notInterestedRate × σ(−u); with thumbsDownRate at most 1.'),
        refreshMinutes: Type.Number({ minimum: 0.1, maximum: 1440, description: 'A present viewer asks for a fresh list on arrival and then every this many minutes.' }),
        optOutPerHour: Type.Number({ minimum: 0, maximum: 1000, description: 'Hazard per hour of a present viewer switching personalisation off.' }),
        assistantQuestionsPerHour: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1000,
            description: `Poisson rate per present hour of a viewer's questions to the shopping assistant (omitted: ${BEHAVIOUR_DEFAULTS.assistantQuestionsPerHour}, i.e. 0.2 a minute).`,
          }),
        ),
        chatMessagesPerHour: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 10_000,
            description: `Poisson rate per present hour of a viewer's chat messages, besides their questions to the assistant in the chat (omitted: ${BEHAVIOUR_DEFAULTS.chatMessagesPerHour}, i.e. 0.3 a minute).`,
          }),
        ),
        chatMix: Type.Optional(
          Keyed(
            CHAT_KINDS,
            (kind) => Weight(CHAT_KIND_DESCRIPTIONS[kind]),
            `What the chat messages are: relative weights (≥ 0, summing to more than 0) of each kind (omitted: ${mixText(BEHAVIOUR_DEFAULTS.chatMix)}).`,
          ),
        ),
        assistantMix: Type.Optional(
          Keyed(
            ASSISTANT_TOPICS,
            (topic) => Weight(ASSISTANT_TOPIC_DESCRIPTIONS[topic]),
            `What the questions to the assistant are about: relative weights (≥ 0, summing to more than 0) (omitted: ${mixText(BEHAVIOUR_DEFAULTS.assistantMix)}).`,
          ),
        ),
        assistantInChatShare: Type.Optional(
          Probability(
            `Share of the questions asked in the room's chat as "@助手 …" / "@assistant …" (answered publicly there); the rest go to the assistant's own route, POST /api/v1/sessions/:id/assistant (omitted: ${BEHAVIOUR_DEFAULTS.assistantInChatShare}).`,
          ),
        ),
      },
      { additionalProperties: false, description: 'How a viewer responds to a slate (cascade: examine → click → cart → purchase).' },
    ),
    host: Type.Object(
      {
        script: Type.Array(ScriptStep, { maxItems: 1000, description: "The host's actions; the order in the file does not matter (they are sorted by minute)." }),
      },
      { additionalProperties: false, description: 'What the host does during the show.' },
    ),
    truthNoise: Type.Number({
      minimum: 0,
      maximum: 10,
      description: 'Standard deviation of the idiosyncratic utility of each (viewer, product) pair, drawn once from the seed so the truth is fixed.',
    }),
  },
  { additionalProperties: false, description: 'A simulated live show with a known truth (qingliu simulate).' },
);

/** A scenario file as written: the talk fields of `behaviour` may be left out. */
export type ScenarioFile = Static<typeof SCENARIO_SCHEMA>;
/** The scenario's behaviour parameters, defaults applied (every viewer carries them, for `respond`). */
export type ScenarioBehaviour = Required<ScenarioFile['behaviour']>;
/** A validated scenario, defaults applied (BEHAVIOUR_DEFAULTS). */
export type Scenario = Omit<ScenarioFile, 'behaviour'> & { behaviour: ScenarioBehaviour };
/** One step of the host script as written in the file (before hostTimeline resolves it). */
export type ScriptStepSpec = Scenario['host']['script'][number];

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** One problem with a scenario: where (a JSON pointer, "" for the whole file) and what. */
export interface ScenarioProblem {
  path: string;
  message: string;
}

/**
 * A scenario that cannot be used. `path` is the first problem's JSON pointer (e.g.
 * `/audience/arrival/points/2`); `problems` lists them all; the message names the source and each.
 */
export class ScenarioError extends Error {
  readonly path: string;
  readonly problems: readonly ScenarioProblem[];
  constructor(problems: readonly ScenarioProblem[], source = 'scenario') {
    const first = problems[0] ?? { path: '', message: 'invalid scenario' };
    const lines = problems.map((p) => `  ${p.path || '/'}: ${p.message}`);
    super(problems.length === 1 ? `${source}: ${first.path || '/'}: ${first.message}` : `${source}: ${problems.length} problems:\n${lines.join('\n')}`);
    this.name = 'ScenarioError';
    this.path = first.path;
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: true }).compile(SCENARIO_SCHEMA);
  return compiled;
}

/** Ajv's error as a problem with a path a person can follow. */
function problemOf(e: ErrorObject): ScenarioProblem {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: `${e.instancePath}/${String(params.additionalProperty)}`, message: 'unknown field' };
    case 'required':
      return { path: `${e.instancePath}/${String(params.missingProperty)}`, message: 'missing required field' };
    case 'enum':
      return { path: e.instancePath, message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'not':
      return { path: e.instancePath, message: 'must not be 0' };
    default:
      return { path: e.instancePath, message: e.message ?? e.keyword };
  }
}

const EPS = 1e-9;

/** The checks ajv cannot do, on a value that already matches the schema. */
export function semanticProblems(s: Scenario): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const add = (path: string, message: string) => out.push({ path, message });

  // Arrival curve: increasing minutes inside the show, some area under it.
  const points = s.audience.arrival.points;
  let area = 0;
  points.forEach(([minute, rate], i) => {
    if (minute > s.durationMinutes) add(`/audience/arrival/points/${i}/0`, `minute ${minute} is after the end of the show (${s.durationMinutes})`);
    const prev = points[i - 1];
    if (prev !== undefined) {
      if (minute <= prev[0]) add(`/audience/arrival/points/${i}`, `minutes must increase (${minute} follows ${prev[0]})`);
      else area += ((rate + prev[1]) / 2) * (minute - prev[0]);
    }
  });
  if (!(area > 0) && !out.some((p) => p.path.startsWith('/audience/arrival'))) add('/audience/arrival/points', 'rates must not all be zero (no one would arrive)');

  // Categorical distributions.
  for (const key of ['childAgeBand', 'cityTier', 'device'] as const) {
    const total = Object.values(s.segments[key] as Record<string, number>).reduce((a, b) => a + b, 0);
    if (!(total > 0)) add(`/segments/${key}`, 'weights must sum to more than 0');
  }

  const minorSplit = s.minors.under14Share + s.minors.from14To17Share;
  if (Math.abs(minorSplit - 1) > 1e-6) add('/minors', `under14Share + from14To17Share must be 1 (got ${round(minorSplit)})`);

  const { acceptAllShare: accept, declineAllShare: decline } = s.consent;
  if (accept + decline > 1 + EPS) add('/consent', `acceptAllShare + declineAllShare must be at most 1 (got ${round(accept + decline)})`);
  else {
    for (const purpose of PURPOSES) {
      const rate = s.consent.grant[purpose];
      if (rate < accept - EPS) add(`/consent/grant/${purpose}`, `must be at least acceptAllShare (${accept}): those viewers grant everything`);
      else if (rate > 1 - decline + EPS) add(`/consent/grant/${purpose}`, `must be at most 1 − declineAllShare (${round(1 - decline)}): those viewers grant nothing`);
    }
  }

  const exam = s.behaviour.positionExamination;
  exam.forEach((p, i) => {
    const above = exam[i - 1];
    if (above !== undefined && p > above) add(`/behaviour/positionExamination/${i}`, `must not exceed the slot above (${p} > ${above}): examination is non-increasing`);
  });
  for (const key of ['chatMix', 'assistantMix'] as const) {
    const total = Object.values(s.behaviour[key] as Record<string, number>).reduce((a, b) => a + b, 0);
    if (!(total > 0)) add(`/behaviour/${key}`, 'weights must sum to more than 0');
  }
  const feedback = s.behaviour.thumbsDownRate + s.behaviour.notInterestedRate;
  if (feedback > 1 + EPS) add('/behaviour', `thumbsDownRate + notInterestedRate must be at most 1 (got ${round(feedback)})`);

  s.host.script.forEach((step, i) => {
    if (step.atMinute > s.durationMinutes) add(`/host/script/${i}/atMinute`, `minute ${step.atMinute} is after the end of the show (${s.durationMinutes})`);
    if (step.action === 'flash_sale' && step.flashSale === undefined) add(`/host/script/${i}/flashSale`, 'a flash_sale step needs flashSale { discountPercent, quantity, durationMinutes }');
    if (step.action !== 'flash_sale' && step.flashSale !== undefined) add(`/host/script/${i}/flashSale`, `only a flash_sale step takes flashSale (this one is ${step.action})`);
  });
  return out;
}

/** The scenario with the talk fields a file left out filled in from BEHAVIOUR_DEFAULTS. */
function withDefaults(file: ScenarioFile): Scenario {
  const b = file.behaviour;
  const d = BEHAVIOUR_DEFAULTS;
  return {
    ...file,
    behaviour: {
      ...b,
      assistantQuestionsPerHour: b.assistantQuestionsPerHour ?? d.assistantQuestionsPerHour,
      chatMessagesPerHour: b.chatMessagesPerHour ?? d.chatMessagesPerHour,
      chatMix: b.chatMix ?? { ...d.chatMix },
      assistantMix: b.assistantMix ?? { ...d.assistantMix },
      assistantInChatShare: b.assistantInChatShare ?? d.assistantInChatShare,
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * Checks a parsed JSON value against the schema and the semantic rules and returns it as a
 * Scenario (a deep copy, so later edits of the input do not reach it). Throws ScenarioError
 * listing every problem.
 */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const validate = validator();
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map(problemOf);
    throw new ScenarioError(dedupe(problems), source);
  }
  const scenario = withDefaults(structuredClone(value) as ScenarioFile);
  const problems = semanticProblems(scenario);
  if (problems.length > 0) throw new ScenarioError(problems, source);
  return scenario;
}

function dedupe(problems: readonly ScenarioProblem[]): ScenarioProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Parses scenario JSON text; `source` (usually the file name) heads every error message. */
export function loadScenario(text: string, source: string): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError([{ path: '', message: `not valid JSON (${(e as Error).message})` }], source);
  }
  return parseScenario(value, source);
}

/** Reads and loads a scenario file (the only file-system access in the world module). */
export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ path: '', message: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }], file);
  }
  // A byte-order mark (some Windows editors save one) is not part of the JSON.
  return loadScenario(text.replace(/^\uFEFF/, ''), file);
}

/** The scenarios shipped in the repository's `scenarios/` folder. */
export const BUILTIN_SCENARIOS = ['baby-care', 'cold-start', 'biased-steering', 'heavy-opt-out'] as const;
/** The name of a shipped scenario. */
export type BuiltinScenario = (typeof BUILTIN_SCENARIOS)[number];

/** The file of a shipped scenario (`scenarios/<name>.json` at the repository root). */
export function builtinScenarioPath(name: BuiltinScenario): string {
  return fileURLToPath(new URL(`../../../../scenarios/${name}.json`, import.meta.url));
}
