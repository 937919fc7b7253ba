/**
 * Two-sided symmetric group-sequential boundaries for an alpha-spending function (Lan & DeMets,
 * Biometrika 70 (1983) 659–663), computed by the recursive numerical integration of Armitage,
 * McPherson & Rowe (J. R. Statist. Soc. A 132 (1969) 235–244) on the grid of Jennison & Turnbull
 * (Group Sequential Methods with Applications to Clinical Trials, 2000, ch. 19), the method of the
 * R packages gsDesign and ldbounds.
 *
 * The model: at information fraction t the standardised statistic is Z(t) = W(t)/√t for a Brownian
 * motion W with drift η (η = 0 under H0), so Z_k ~ N(η√t_k, 1) and, given Z_{k−1},
 * Z_k√t_k − Z_{k−1}√t_{k−1} ~ N(ηΔ_k, Δ_k) with Δ_k = t_k − t_{k−1} (independent increments).
 * The sub-density of Z_k on the continuation region (−c_k, c_k), i.e. jointly with "no earlier
 * crossing", is carried from look to look on a grid and integrated by Simpson's rule; the probability
 * of crossing first at look k is the integral of the previous sub-density against the Gaussian
 * transition's tails. c_k solves P(first crossing at k | H0) = α(t_k) − α(t_{k−1}) by Brent's method.
 * c_k depends only on t_1 … t_k, so a look's bound never changes when later looks are added.
 */
import { Lru } from '../../../shared/lru.js';
import { normalCdf, normalPdf, normalQuantile } from './normal.js';
import { alphaSpent, checkAlpha, checkSpending, type Spending } from './spending.js';

/**
 * The largest bound returned. A look whose alpha increment is 0, or so small that the bound would
 * exceed this, gets exactly MAX_BOUND (never Infinity, so analyses stay JSON-safe): crossing ±8.5
 * has probability 2Φ(−8.5) ≈ 1.9e−17 under H0, far below any alpha increment that matters, and the
 * recursion continues with (−8.5, 8.5) as that look's continuation region. (ldbounds truncates at 8.)
 */
export const MAX_BOUND = 8.5;

/** The most looks one schedule may have (the cost grows linearly; more looks add nothing useful). */
export const MAX_LOOKS = 1000;

/** Jennison & Turnbull's grid size r: 6r − 1 points before trimming, about twice that with Simpson midpoints (gsDesign uses 18). */
export const DEFAULT_GRID_RESOLUTION = 24;

/**
 * Simpson's rule needs the grid finer than the Gaussian transition it integrates. When looks are
 * close together the transition's standard deviation in Z units, √(Δ/t), can be far below the
 * J&T grid's spacing (which is meant for well-separated looks), and the recursion then goes unstable
 * (errors grow geometrically from look to look). So each gap between grid points is subdivided to at
 * most STEP × the narrowest transition into or out of that look.
 */
const STEP = 0.5;

/**
 * The sub-density is carried only over mean ± SPAN (Z units): the mass beyond is below 2Φ(−8) ≈ 1.2e−15
 * at any look (Z_k is N(η√t_k, 1) before truncation), and a domain of bounded width keeps the
 * subdivided grid affordable.
 */
const SPAN = 8;

/** Terms with (transition argument)² beyond this contribute less than e^−40 relative and are skipped. */
const NEGLIGIBLE = Math.sqrt(80);

/** Options of the numerical integration (for tests and cross-checks; the defaults suit production). */
export interface IntegrationOptions {
  /** Jennison & Turnbull's r (6 to 200); DEFAULT_GRID_RESOLUTION unless given. */
  gridResolution?: number;
}

/** One look's sub-density: grid points z (increasing) and Simpson weight × sub-density of Z_k at each. */
interface Stage {
  readonly t: number;
  readonly z: Float64Array;
  readonly hw: Float64Array;
}

/**
 * The integration grid of a look: Jennison & Turnbull's points (2000, §19.2) centred on the mean mu
 * of Z_k — evenly spaced (step 3/(2r)) within mu ± 3, logarithmically spaced out to about
 * mu ± (3 + 4 ln r) — restricted to [lo, hi] ∩ [mu − SPAN, mu + SPAN] with those ends included, gaps
 * wider than maxStep subdivided evenly, and a midpoint between each pair for Simpson's rule. The
 * weights w are Simpson's: the integral of f over the domain is about Σ w_i f(z_i). An empty domain
 * gives empty arrays.
 */
export function integrationGrid(r: number, mu: number, lo: number, hi: number, maxStep = Number.POSITIVE_INFINITY): { z: Float64Array; w: Float64Array } {
  const a = Math.max(lo, mu - SPAN);
  const b = Math.min(hi, mu + SPAN);
  if (!(b > a)) return { z: new Float64Array(0), w: new Float64Array(0) };
  const base: number[] = [a];
  for (let i = 1; i <= 6 * r - 1; i++) {
    let x: number;
    if (i < r) x = mu - 3 - 4 * Math.log(r / i);
    else if (i <= 5 * r) x = mu - 3 + (3 * (i - r)) / (2 * r);
    else x = mu + 3 + 4 * Math.log(r / (6 * r - i));
    if (x > a && x < b) base.push(x);
  }
  base.push(b);
  const pts: number[] = [a];
  for (let i = 1; i < base.length; i++) {
    const from = base[i - 1]!;
    const to = base[i]!;
    const pieces = Math.ceil((to - from) / maxStep);
    for (let p = 1; p < pieces; p++) pts.push(from + ((to - from) * p) / pieces);
    pts.push(to);
  }
  const n = pts.length;
  const m = 2 * n - 1;
  const z = new Float64Array(m);
  const w = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const xi = pts[i]!;
    z[2 * i] = xi;
    if (i + 1 < n) {
      const xn = pts[i + 1]!;
      const d = xn - xi;
      z[2 * i + 1] = (xi + xn) / 2;
      // Simpson on [xi, xn]: (d/6)·(f(xi) + 4 f(mid) + f(xn)); shared ends add up.
      w[2 * i] = w[2 * i]! + d / 6;
      w[2 * i + 1] = (4 * d) / 6;
      w[2 * i + 2] = w[2 * i + 2]! + d / 6;
    }
  }
  return { z, w };
}

/** The largest grid step at the look at t between looks at tPrev and tNext (either may be absent). */
function maxStepFor(t: number, tPrev: number | undefined, tNext: number | undefined): number {
  let width = Number.POSITIVE_INFINITY;
  if (tPrev !== undefined) width = Math.min(width, Math.sqrt((t - tPrev) / t));
  if (tNext !== undefined) width = Math.min(width, Math.sqrt((tNext - t) / t));
  return STEP * width;
}

/** Probabilities of crossing the upper (Z ≥ c) and lower (Z ≤ −c) bound first at the look at t. */
function firstCrossing(prev: Stage | undefined, t: number, drift: number, c: number): { upper: number; lower: number } {
  if (prev === undefined) {
    const mu = drift * Math.sqrt(t);
    return { upper: normalCdf(mu - c), lower: normalCdf(-c - mu) };
  }
  const sqrtT = Math.sqrt(t);
  const sqrtTp = Math.sqrt(prev.t);
  const delta = t - prev.t;
  const sd = Math.sqrt(delta);
  const shift = drift * delta;
  const { z, hw } = prev;
  let upper = 0;
  let lower = 0;
  for (let j = 0; j < z.length; j++) {
    const from = z[j]! * sqrtTp + shift;
    upper += hw[j]! * normalCdf((from - c * sqrtT) / sd);
    lower += hw[j]! * normalCdf((-c * sqrtT - from) / sd);
  }
  return { upper, lower };
}

/** The sub-density at the look at t on (−c, c), carried over from the previous look. */
function advance(prev: Stage | undefined, t: number, drift: number, c: number, r: number, maxStep: number): Stage {
  const sqrtT = Math.sqrt(t);
  const mu = drift * sqrtT;
  const { z, w } = integrationGrid(r, mu, -c, c, maxStep);
  const hw = new Float64Array(z.length);
  if (prev === undefined) {
    for (let i = 0; i < z.length; i++) hw[i] = w[i]! * normalPdf(z[i]! - mu);
    return { t, z, hw };
  }
  const sqrtTp = Math.sqrt(prev.t);
  const delta = t - prev.t;
  const sd = Math.sqrt(delta);
  const shift = drift * delta;
  // h_k(z) = Σ_j hw_j · (√t_k/√Δ) φ((z√t_k − z_j√t_{k−1} − ηΔ)/√Δ): the density of Z_k given Z_{k−1} = z_j.
  const scale = sqrtT / sd;
  const from = new Float64Array(prev.z.length);
  for (let j = 0; j < from.length; j++) from[j] = (prev.z[j]! * sqrtTp + shift) / sd;
  const prevHw = prev.hw;
  // Both grids increase, so the old points within NEGLIGIBLE of each new one form a sliding window.
  let start = 0;
  for (let i = 0; i < z.length; i++) {
    const to = z[i]! * scale;
    while (start < from.length && from[start]! < to - NEGLIGIBLE) start++;
    let s = 0;
    for (let j = start; j < from.length; j++) {
      const u = to - from[j]!;
      if (u < -NEGLIGIBLE) break;
      s += prevHw[j]! * Math.exp(-0.5 * u * u);
    }
    hw[i] = w[i]! * s * scale * 0.3989422804014327;
  }
  return { t, z, hw };
}

/**
 * A root of a continuous f on [a, b] where f(a) and f(b) differ in sign (Brent's method: inverse
 * quadratic interpolation and secant steps, falling back to bisection; R. P. Brent, Algorithms for
 * Minimization without Derivatives, 1973, ch. 4). Stops when the bracket is narrower than tol.
 */
export function findRoot(f: (x: number) => number, a: number, b: number, tol = 1e-12, maxIterations = 200): number {
  let fa = f(a);
  let fb = f(b);
  if (fa === 0) return a;
  if (fb === 0) return b;
  if (Math.sign(fa) === Math.sign(fb)) throw new RangeError(`findRoot needs a bracket with a sign change (f(${a}) = ${fa}, f(${b}) = ${fb})`);
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol1 = 2 * Number.EPSILON * Math.abs(b) + 0.5 * tol;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol1 || fb === 0) return b;
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      let p: number;
      let q: number;
      const s = fb / fa;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const rb = fb / fc;
        p = s * (2 * m * qa * (qa - rb) - (b - a) * (rb - 1));
        q = (qa - 1) * (rb - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tol1 * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = d;
      }
    } else {
      d = m;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol1 ? d : m > 0 ? tol1 : -tol1;
    fb = f(b);
  }
  return b;
}

/** Throws a RangeError unless the fractions are a non-empty, strictly increasing list in (0, 1]. */
export function checkFractions(fractions: readonly number[]): void {
  if (!Array.isArray(fractions) || fractions.length === 0) throw new RangeError('at least one look (information fraction) is needed');
  if (fractions.length > MAX_LOOKS) throw new RangeError(`at most ${MAX_LOOKS} looks are supported (got ${fractions.length})`);
  let previous = 0;
  fractions.forEach((t, k) => {
    if (!(Number.isFinite(t) && t > 0 && t <= 1)) throw new RangeError(`information fraction ${k + 1} must be in (0, 1] (got ${t})`);
    if (!(t > previous)) throw new RangeError(`information fractions must increase strictly (look ${k + 1}: ${t} after ${previous})`);
    previous = t;
  });
}

function resolutionOf(options: IntegrationOptions | undefined): number {
  const r = options?.gridResolution ?? DEFAULT_GRID_RESOLUTION;
  if (!Number.isInteger(r) || r < 6 || r > 200) throw new RangeError(`gridResolution must be an integer in [6, 200] (got ${r})`);
  return r;
}

/** Computed schedules, keyed by spending, alpha, resolution and fractions (dashboards ask again and again). */
const boundsCache = new Lru<string, readonly number[]>(256);

/**
 * The two-sided symmetric critical values c_1 … c_K (reject H0 at look k when |Z_k| ≥ c_k) for looks
 * at the strictly increasing information fractions t_1 < … < t_K in (0, 1], such that under H0
 * P(|Z_j| ≥ c_j for some j ≤ k) = α(t_k) for every k, α being the spending function's cumulative
 * two-sided alpha (see `alphaSpent`). A look whose increment α(t_k) − α(t_{k−1}) is 0 or would need
 * a bound above MAX_BOUND gets MAX_BOUND. Throws a RangeError for an empty list, a fraction outside
 * (0, 1], fractions that do not increase strictly, more than MAX_LOOKS looks, or alpha outside (0, 1).
 * The bounds are accurate to about 1e−6 with the default grid; 100 equally spaced looks take about
 * 0.1 s, and results are cached (the last 256 schedules).
 */
export function groupSequentialBounds(fractions: readonly number[], alpha: number, spending: Spending, options?: IntegrationOptions): number[] {
  checkAlpha(alpha);
  checkSpending(spending);
  checkFractions(fractions);
  const r = resolutionOf(options);
  const key = `${spending}|${alpha}|${r}|${fractions.join(',')}`;
  const cached = boundsCache.get(key);
  if (cached !== undefined) return [...cached];
  const bounds = spendingBounds(fractions, (t) => alphaSpent(spending, alpha, t), options);
  boundsCache.set(key, Object.freeze([...bounds]));
  return bounds;
}

/**
 * Symmetric bounds for any cumulative two-sided spending function `spent` (non-decreasing on
 * (0, 1], below 1): the engine behind `groupSequentialBounds`, exposed to check it against published
 * tables that use other conventions, and for spending functions not (yet) offered by `Spending`.
 * Not cached. Same RangeErrors for the fractions.
 */
export function spendingBounds(fractions: readonly number[], spent: (t: number) => number, options?: IntegrationOptions): number[] {
  checkFractions(fractions);
  const r = resolutionOf(options);
  const bounds: number[] = [];
  let stage: Stage | undefined;
  let spentBefore = 0;
  for (let k = 0; k < fractions.length; k++) {
    const t = fractions[k]!;
    const spentNow = spent(t);
    if (!(spentNow >= 0 && spentNow < 1)) throw new RangeError(`the spending function must give a probability below 1 (got ${spentNow} at t = ${t})`);
    const increment = spentNow - spentBefore;
    spentBefore = Math.max(spentBefore, spentNow);
    const prev = stage;
    const crossing = (c: number): number => {
      const p = firstCrossing(prev, t, 0, c);
      return p.upper + p.lower;
    };
    let c: number;
    if (prev === undefined) {
      // The first look: 2Φ(−c) = α(t_1) in closed form.
      c = increment > 0 ? Math.min(MAX_BOUND, -normalQuantile(increment / 2)) : MAX_BOUND;
    } else if (!(increment > crossing(MAX_BOUND))) {
      c = MAX_BOUND;
    } else {
      c = findRoot((x) => crossing(x) - increment, 0, MAX_BOUND, 1e-11);
    }
    bounds.push(c);
    if (k + 1 < fractions.length) stage = advance(prev, t, 0, c, r, maxStepFor(t, fractions[k - 1], fractions[k + 1]));
  }
  return bounds;
}

/** First-crossing probabilities per look: upper (Z_k ≥ c_k) and lower (Z_k ≤ −c_k). */
export interface CrossingProbabilities {
  upper: number[];
  lower: number[];
}

/**
 * The probabilities of crossing first at each look, upper and lower, for symmetric bounds ±c_k at
 * the given fractions when the drift is η, i.e. Z_k ~ N(η√t_k, 1) (η = 0 under H0; η = δ/σ_δ at
 * t = 1 under an alternative). Used to check the bounds and to compute a design's power.
 */
export function crossingProbabilities(fractions: readonly number[], bounds: readonly number[], drift: number, options?: IntegrationOptions): CrossingProbabilities {
  checkFractions(fractions);
  if (bounds.length !== fractions.length) throw new RangeError(`one bound per look is needed (${fractions.length} looks, ${bounds.length} bounds)`);
  for (const c of bounds) if (!(Number.isFinite(c) && c > 0)) throw new RangeError(`bounds must be positive finite numbers (got ${c})`);
  if (!Number.isFinite(drift)) throw new RangeError(`the drift must be finite (got ${drift})`);
  const r = resolutionOf(options);
  const upper: number[] = [];
  const lower: number[] = [];
  let stage: Stage | undefined;
  for (let k = 0; k < fractions.length; k++) {
    const t = fractions[k]!;
    const c = bounds[k]!;
    const p = firstCrossing(stage, t, drift, c);
    upper.push(p.upper);
    lower.push(p.lower);
    if (k + 1 < fractions.length) stage = advance(stage, t, drift, c, r, maxStepFor(t, fractions[k - 1], fractions[k + 1]));
  }
  return { upper, lower };
}
