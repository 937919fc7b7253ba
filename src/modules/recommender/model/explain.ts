/**
 * Exact explanations of the exploit score (A2): interventional SHAP for a linear scorer.
 *
 *   φ_i = θ̂_i·(x_i − μ_i),  base = θ̂ᵀμ,  score = θ̂ᵀx = base + Σφ_i   (exactly, up to rounding)
 *
 * μ is the background, e.g. the mean feature vector of the candidates on stage, so a feature that
 * every candidate shares (bias, a room-wide flag) explains nothing. The exploration bonus is not a
 * feature attribution and is reported as its own term (Azure Personalizer likewise warns that
 * feature scores of exploratory actions do not explain the choice).
 */
import type { LinearBandit } from './bandit.js';
import { REASON_TOPIC_ORDER, type FeatureSpace } from './features.js';
import type { MlpRanker } from './mlp.js';

export interface Contribution {
  feature: string;
  value: number;
  phi: number;
}

export interface Explanation {
  /** θ̂ᵀx: the exploit score. */
  score: number;
  /** θ̂ᵀμ: the score of the background. */
  base: number;
  /** Sorted by |φ| descending; features with φ = 0 are left out. */
  contributions: Contribution[];
  /** Set by the slate selection: whether exploration (bonus or ε draw) put the item where it is. */
  exploration: { active: boolean; bonus: number };
  modelVersion: string;
  /**
   * How the contributions were computed: absent for the linear models (exact: base + Σφ = score);
   * `gradient-x-input` for the MLP, a first-order attribution whose `residual` (score − base − Σφ)
   * says how far it is from exact.
   */
  method?: 'gradient-x-input';
  residual?: number;
}

export type ExplanationLocale = 'zh-CN' | 'en';

/**
 * Explains θ̂ᵀx against the background μ. Pass the slate pick to carry its exploration outcome;
 * without one, `active` is false and `bonus` is the bandit's current bonus for x.
 */
export function explain(
  bandit: LinearBandit,
  space: FeatureSpace,
  x: Float64Array,
  background: Float64Array,
  pick?: { explored: boolean; bonus: number },
): Explanation {
  const d = space.dim;
  if (bandit.dim !== d) throw new RangeError(`the bandit has ${bandit.dim} dimensions; the space has ${d}`);
  if (x.length !== d || background.length !== d) throw new RangeError(`vectors must have ${d} dimensions`);
  const theta = bandit.theta;
  let score = 0;
  let base = 0;
  const contributions: Contribution[] = [];
  for (let i = 0; i < d; i++) {
    const t = theta[i]!;
    const xi = x[i]!;
    score += t * xi;
    base += t * background[i]!;
    const phi = t * (xi - background[i]!);
    if (phi !== 0) contributions.push({ feature: space.names[i]!, value: xi, phi });
  }
  // Stable sort: equal |φ| keep feature order.
  contributions.sort((a, b) => Math.abs(b.phi) - Math.abs(a.phi));
  return {
    score,
    base,
    contributions,
    exploration: pick ? { active: pick.explored, bonus: pick.bonus } : { active: false, bonus: bandit.bonus(x) },
    modelVersion: bandit.version,
  };
}

/**
 * Explains an MLP's logit z(x) against the background μ by gradient × input:
 *   φ_i = ∂z/∂x_i(x) · (x_i − μ_i),  base = z(μ),  score = z(x) = base + Σφ + residual
 * exact for a linear network, first-order otherwise; the residual is reported, never hidden.
 */
export function explainMlp(
  model: MlpRanker,
  space: FeatureSpace,
  x: Float64Array,
  background: Float64Array,
  pick?: { explored: boolean; bonus: number },
): Explanation {
  const d = space.dim;
  if (model.dim !== d) throw new RangeError(`the model has ${model.dim} dimensions; the space has ${d}`);
  const score = model.logit(x);
  const base = model.logit(background);
  const gradient = model.inputGradient(x);
  const contributions: Contribution[] = [];
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const phi = gradient[i]! * (x[i]! - background[i]!);
    sum += phi;
    if (phi !== 0) contributions.push({ feature: space.names[i]!, value: x[i]!, phi });
  }
  contributions.sort((a, b) => Math.abs(b.phi) - Math.abs(a.phi));
  return {
    score,
    base,
    contributions,
    exploration: pick ? { active: pick.explored, bonus: pick.bonus } : { active: false, bonus: 0 },
    modelVersion: model.version,
    method: 'gradient-x-input',
    residual: score - base - sum,
  };
}

/** A card gives its top two or three reasons, never more (a fourth would bury the first). */
export const REASONS_SHOWN = 3;

/**
 * The plain-language reasons of the top positive contributions that have one, most important
 * first, without repeats: reasons that say the same thing (one `reasonTopic`, e.g. the host
 * presenting it now and a few minutes ago) are given once, in the words listed first, and the next
 * distinct reason takes the other's place. Sensitive features are never shown (A2), whatever their weight.
 *
 * A reason says the product has something ("On flash sale now", "Popular in this room"), so it is
 * given only for a feature the product has more of than the background it is explained against
 * (the candidates' mean). A feature it lacks can also push it up — when the model weighs that
 * feature down, φ = θ·(0 − μ) is positive — but "a cot, because clothing draws interest" is false.
 */
export function topReasons(explanation: Explanation, space: FeatureSpace, locale: ExplanationLocale, background: Float64Array, n = REASONS_SHOWN): string[] {
  const shown = explanation.contributions.filter((c) => {
    if (!(c.phi > 0) || !space.has(c.feature)) return false;
    if (!(c.value > background[space.indexOf(c.feature)]!)) return false;
    const spec = space.spec(c.feature);
    return !spec.sensitive && spec.reason !== undefined;
  });
  const out: string[] = [];
  const topics = new Set<string>();
  // Contributions come strongest first: a topic takes the place of its strongest reason, and says it
  // in its most specific words (REASON_TOPIC_ORDER: "presenting now" before "a few minutes ago",
  // "you looked at this product" before "similar products"), whichever the model weighed more.
  const place = (feature: string, topic: string): number => {
    if (!Object.hasOwn(REASON_TOPIC_ORDER, topic)) return 0;
    const at = REASON_TOPIC_ORDER[topic]!.indexOf(feature);
    return at >= 0 ? at : Number.MAX_SAFE_INTEGER;
  };
  for (const c of shown) {
    if (out.length >= n) break;
    const topic = space.spec(c.feature).reasonTopic ?? c.feature;
    if (topics.has(topic)) continue;
    topics.add(topic);
    const first = shown
      .filter((x) => (space.spec(x.feature).reasonTopic ?? x.feature) === topic)
      .sort((a, b) => place(a.feature, topic) - place(b.feature, topic) || space.indexOf(a.feature) - space.indexOf(b.feature))[0]!;
    const reason = space.spec(first.feature).reason!;
    const text = locale === 'zh-CN' ? reason.zh : reason.en;
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

/** The mean of the candidates' vectors: the usual background for `explain`. */
export function meanVector(vectors: readonly Float64Array[], dim: number): Float64Array {
  const mu = new Float64Array(dim);
  if (vectors.length === 0) return mu;
  for (const v of vectors) {
    if (v.length !== dim) throw new RangeError(`vectors must have ${dim} dimensions`);
    for (let i = 0; i < dim; i++) mu[i] = mu[i]! + v[i]!;
  }
  for (let i = 0; i < dim; i++) mu[i] = mu[i]! / vectors.length;
  return mu;
}
