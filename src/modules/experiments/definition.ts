/**
 * What an operator writes to define an experiment, and its validation: the schema (TypeBox, so the
 * API documents it), then the checks a schema cannot make. Every problem names its field.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { ARM_POLICIES, OUTSIDE_ARM } from '../recommender/index.js';
import { SPENDINGS } from './stats/index.js';
import type { ArmPolicyName, DefinitionView } from './contract.js';

/** Per-viewer metrics an experiment can be judged on (the primary metric and guardrails). */
export const UNIT_METRICS = ['conversion', 'gmv_per_viewer', 'clicks_per_viewer', 'carts_per_viewer', 'opt_out_rate', 'report_rate'] as const;
export type UnitMetric = (typeof UNIT_METRICS)[number];
/** Guardrails may also watch the spread of exposure over products (one figure per arm, no interval). */
export const GUARDRAIL_METRICS = [...UNIT_METRICS, 'exposure_gini', 'fairness_gap'] as const;
export type GuardrailMetric = (typeof GUARDRAIL_METRICS)[number];
/** The metrics for which a higher value is worse. */
export const HIGHER_IS_WORSE: ReadonlySet<GuardrailMetric> = new Set(['opt_out_rate', 'report_rate', 'exposure_gini', 'fairness_gap']);

const Slug = (description: string) => Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', description });

export const Arm = Type.Object(
  {
    id: Slug('Short id of the arm, e.g. "control", "bandit"'),
    name: Type.String({ minLength: 1, maxLength: 80 }),
    policy: Type.String({ description: `How this arm ranks: ${ARM_POLICIES.join(', ')}` }),
    epsilon: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5, description: 'Share of positions explored on purpose (bandit arms)' })),
    alpha: Type.Optional(Type.Number({ minimum: 0, maximum: 5, description: 'Exploration width of LinUCB, or scale of the Thompson draw (bandit arms)' })),
  },
  { additionalProperties: false },
);

export const Guardrail = Type.Object(
  {
    metric: Type.String({ description: `One of ${GUARDRAIL_METRICS.join(', ')}` }),
    margin: Type.Optional(
      Type.Number({ minimum: 0, description: 'How much worse than control (absolute, in the metric’s unit) is tolerated before the guardrail counts as breached; default 0' }),
    ),
  },
  { additionalProperties: false },
);

export const ExperimentDefinition = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    brandId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    sessionIds: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), {
      maxItems: 50,
      description: 'The live rooms it runs in; empty means every room of the brand',
    }),
    arms: Type.Array(Arm, { minItems: 2, maxItems: 5 }),
    allocation: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 1 }), { minItems: 2, maxItems: 5, description: 'Share of viewers per arm, in arm order; sums to 1' }),
    control: Slug('The arm the others are compared with'),
    primaryMetric: Type.String({ description: `One of ${UNIT_METRICS.join(', ')}` }),
    guardrails: Type.Array(Guardrail, { maxItems: 7 }),
    alpha: Type.Number({ minimum: 0.001, maximum: 0.2, description: 'Two-sided error rate of each comparison (split over the treatment arms)' }),
    spending: Type.String({ description: `Alpha-spending function: ${SPENDINGS.join(', ')}` }),
    plannedUnitsPerArm: Type.Integer({ minimum: 100, maximum: 10_000_000, description: 'Viewers per arm at which the experiment is complete (information fraction 1)' }),
    lookEveryMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'How often the analysis is taken (looks are scheduled, not on demand)' }),
  },
  { additionalProperties: false },
);
export type ExperimentDefinition = Static<typeof ExperimentDefinition>;

// The pages' contract describes the same shape (compile-time checks, both ways).
const toView = (d: ExperimentDefinition): DefinitionView => d;
const fromView = (d: DefinitionView): ExperimentDefinition => d;
void toView;
void fromView;
// The pages' list of arm policies is the server's (both ways, so a new model cannot be missed there).
type ServerPolicy = (typeof ARM_POLICIES)[number];
const policiesMatch: [ServerPolicy] extends [ArmPolicyName] ? ([ArmPolicyName] extends [ServerPolicy] ? true : false) : false = true;
void policiesMatch;

/** Defaults an operator may leave out. */
export const DEFINITION_DEFAULTS = {
  description: '',
  sessionIds: [] as string[],
  guardrails: [{ metric: 'opt_out_rate' }, { metric: 'report_rate' }],
  alpha: 0.05,
  spending: 'obrien_fleming',
  lookEveryMinutes: 5,
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const check = ajv.compile(ExperimentDefinition);

/**
 * A validated definition, or every problem found (each naming its field): the schema's and the
 * checks a schema cannot make, together — a field the schema refuses is left out of the checks that
 * need it, the others still run, so the operator fixes everything at once.
 */
export function parseDefinition(input: unknown): { ok: true; value: ExperimentDefinition } | { ok: false; problems: DefinitionProblem[] } {
  const value = typeof input === 'object' && input !== null && !Array.isArray(input) ? { ...DEFINITION_DEFAULTS, ...(input as Record<string, unknown>) } : input;
  const valid = check(value);
  const problems: DefinitionProblem[] = valid ? [] : (check.errors ?? []).map(describe);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) problems.push(...semanticProblems(value as Record<string, unknown>));
  return problems.length ? { ok: false, problems } : { ok: true, value: value as ExperimentDefinition };
}

const isString = (x: unknown): x is string => typeof x === 'string';
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The checks a schema cannot make, on whatever parts of the definition have the right shape. */
function semanticProblems(d: Record<string, unknown>): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const problem = (field: string, reason: string) => problems.push({ field, reason });
  const arms = Array.isArray(d.arms) ? d.arms : undefined;
  const ids = arms?.map((a) => (isRecord(a) && isString(a.id) ? a.id : undefined));
  arms?.forEach((arm, i) => {
    if (!isRecord(arm)) return;
    const policy = arm.policy;
    if (isString(policy) && !(ARM_POLICIES as readonly string[]).includes(policy)) problem(`/arms/${i}/policy`, `unknown model "${policy}"; known: ${ARM_POLICIES.join(', ')}`);
    if (arm.id === OUTSIDE_ARM) problem(`/arms/${i}/id`, `"${OUTSIDE_ARM}" is reserved for viewers without personalisation consent`);
    if (isString(arm.id) && ids!.indexOf(arm.id) !== i) problem(`/arms/${i}/id`, `"${arm.id}" is used by more than one arm`);
    if (policy === 'non_personalised' && (arm.epsilon !== undefined || arm.alpha !== undefined)) problem(`/arms/${i}`, 'epsilon and alpha apply to bandit arms only');
    if (policy === 'mlp' && arm.alpha !== undefined) problem(`/arms/${i}/alpha`, 'the mlp arm has no confidence bonus to widen (it explores by epsilon)');
  });
  const allocation = Array.isArray(d.allocation) && d.allocation.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (d.allocation as number[]) : undefined;
  // One share per arm (a list too short or long for any experiment is already named by the schema).
  const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  if (allocation && arms && allocation.length >= 2 && allocation.length <= 5 && allocation.length !== arms.length) {
    problem('/allocation', `${counted(allocation.length, 'share', 'shares')} for ${counted(arms.length, 'arm', 'arms')}: one share per arm, in arm order`);
  }
  if (allocation) {
    const total = allocation.reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-6) problem('/allocation', `the shares must sum to 1 (they sum to ${+total.toFixed(6)})`);
  }
  if (isString(d.control) && ids && !ids.includes(d.control)) problem('/control', `no arm "${d.control}" (arms: ${ids.filter(isString).join(', ')})`);
  if (arms && arms.length > 0 && arms.every((a) => isRecord(a) && a.policy === 'non_personalised')) {
    problem('/arms', 'at least one arm must use a learning model (linucb, lints or mlp; a comparison of identical lists measures nothing)');
  }
  if (isString(d.primaryMetric) && !(UNIT_METRICS as readonly string[]).includes(d.primaryMetric)) problem('/primaryMetric', `unknown metric "${d.primaryMetric}"; known: ${UNIT_METRICS.join(', ')}`);
  if (Array.isArray(d.guardrails)) {
    d.guardrails.forEach((g, i) => {
      if (isRecord(g) && isString(g.metric) && !(GUARDRAIL_METRICS as readonly string[]).includes(g.metric)) {
        problem(`/guardrails/${i}/metric`, `unknown metric "${g.metric}"; known: ${GUARDRAIL_METRICS.join(', ')}`);
      }
    });
  }
  if (isString(d.spending) && !(SPENDINGS as readonly string[]).includes(d.spending)) problem('/spending', `unknown spending function "${d.spending}"; known: ${SPENDINGS.join(', ')}`);
  if (Array.isArray(d.sessionIds) && new Set(d.sessionIds).size !== d.sessionIds.length) problem('/sessionIds', 'a room is listed twice');
  return problems;
}

function describe(e: ErrorObject): DefinitionProblem {
  const at = e.instancePath;
  if (e.keyword === 'additionalProperties') return { field: `${at}/${String((e.params as { additionalProperty: string }).additionalProperty)}`, reason: 'unknown field' };
  if (e.keyword === 'required') return { field: `${at}/${String((e.params as { missingProperty: string }).missingProperty)}`, reason: 'missing required field' };
  return { field: at || '/', reason: e.message ?? 'is not valid' };
}

/** One problem with a definition: where (a JSON pointer into the definition, "/arms/1/policy") and why. */
export interface DefinitionProblem {
  field: string;
  reason: string;
}

/** "/arms/1/policy: unknown model …; /allocation: …" — for the CLI and the problem's detail. */
export const describeProblems = (problems: readonly DefinitionProblem[]): string => problems.map((p) => `${p.field}: ${p.reason}`).join('; ');

/** The API's `errors` entries: fields named as everywhere else in the API ("body.arms.1.policy"). */
export const problemErrors = (problems: readonly DefinitionProblem[]): { field: string; reason: string }[] =>
  problems.map((p) => ({ field: `body${p.field === '/' ? '' : p.field.replace(/\//g, '.')}`, reason: p.reason }));
