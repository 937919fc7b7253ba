/**
 * A linear contextual bandit shared across products: one weight vector θ over product + room +
 * behaviour features, ridge-regularised, updated online with rank-one Sherman–Morrison steps.
 *
 *   A = λI + Σ xxᵀ,  b = Σ r·x,  θ̂ = A⁻¹b
 *   update:  u = A⁻¹x;  A⁻¹ ← A⁻¹ − uuᵀ / (1 + xᵀu);  b += r·x;  θ̂ = A⁻¹b      — O(d²)
 *
 * Exploration is reported as its own term, never folded into θ̂ (the explanation covers θ̂ᵀx only):
 *   linucb: bonus(x) = α·√(xᵀA⁻¹x)
 *   lints:  θ̃ ~ N(θ̂, α²A⁻¹) drawn once per decision (`resample`), bonus(x) = θ̃ᵀx − θ̂ᵀx;
 *           θ̃ = θ̂ + α·Lz with L the Cholesky factor of A⁻¹ (refreshed lazily after updates) and z
 *           standard normal from the bandit's own seeded PRNG.
 *
 * A⁻¹ is kept exactly symmetric (the upper triangle is computed and mirrored). Everything lives in
 * Float64Arrays; the only allocation per update is none, per decision none.
 */
import { Rng, type RngState } from '../../../shared/rng.js';

export type BanditKind = 'linucb' | 'lints';

export interface LinearBanditOptions {
  dim: number;
  kind: BanditKind;
  /** Exploration width: the UCB multiplier (linucb) or the posterior scale v (lints). Default 1. */
  alpha?: number;
  /** Ridge λ: A starts as λI. Default 1. */
  lambda?: number;
  /** Seeds the lints posterior draws. Default 0. */
  seed?: number;
  /** Model id; `version` is `${id}:${updates}`. Default the kind. */
  version?: string;
}

/** Plain JSON: everything needed to continue exactly where the bandit was. */
export interface BanditSnapshot {
  kind: BanditKind;
  dim: number;
  alpha: number;
  lambda: number;
  id: string;
  /** Row-major d×d. */
  aInv: number[];
  b: number[];
  updates: number;
  seed: number;
  rng: RngState;
  /** The current lints draw θ̃, or null when none is valid (never drawn, or drawn before the last update). */
  sample: number[] | null;
  version: string;
}

export class LinearBandit {
  readonly dim: number;
  readonly kind: BanditKind;
  readonly alpha: number;
  readonly lambda: number;
  readonly seed: number;
  readonly id: string;
  #updates = 0;
  readonly #aInv: Float64Array;
  readonly #b: Float64Array;
  readonly #theta: Float64Array;
  readonly #u: Float64Array; // scratch: A⁻¹x
  readonly #nz: Int32Array; // scratch: indices of non-zero entries
  readonly #chol: Float64Array; // lower Cholesky factor of A⁻¹ (lints)
  #cholFresh = false;
  readonly #sample: Float64Array; // θ̃ (lints)
  #sampleFresh = false;
  readonly #z: Float64Array;
  #rng: Rng;

  constructor(options: LinearBanditOptions) {
    const { dim, kind, alpha = 1, lambda = 1, seed = 0 } = options;
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError('dim must be a positive integer');
    if (kind !== 'linucb' && kind !== 'lints') throw new RangeError(`unknown bandit kind "${String(kind)}"`);
    if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new RangeError('alpha must be a finite number ≥ 0');
    if (!(lambda > 0) || !Number.isFinite(lambda)) throw new RangeError('lambda must be a finite number > 0');
    this.dim = dim;
    this.kind = kind;
    this.alpha = alpha;
    this.lambda = lambda;
    this.seed = seed;
    this.id = options.version ?? kind;
    this.#aInv = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) this.#aInv[i * dim + i] = 1 / lambda;
    this.#b = new Float64Array(dim);
    this.#theta = new Float64Array(dim);
    this.#u = new Float64Array(dim);
    this.#nz = new Int32Array(dim);
    this.#chol = new Float64Array(dim * dim);
    this.#sample = new Float64Array(dim);
    this.#z = new Float64Array(dim);
    this.#rng = new Rng(seed);
  }

  get updates(): number {
    return this.#updates;
  }

  /** Changes on every update; explanations and logs carry it. */
  get version(): string {
    return `${this.id}:${this.#updates}`;
  }

  /** θ̂ (a read-only view: do not write to it). */
  get theta(): Readonly<Float64Array> {
    return this.#theta;
  }

  /** A⁻¹, row-major (a read-only view). */
  get aInv(): Readonly<Float64Array> {
    return this.#aInv;
  }

  /** θ̂ᵀx: the exploit score, the part the explanation decomposes. */
  exploit(x: Float64Array): number {
    this.#check(x);
    const t = this.#theta;
    let s = 0;
    for (let i = 0; i < this.dim; i++) s += t[i]! * x[i]!;
    return s;
  }

  /** The exploration term added to the exploit score for ranking (see the file comment). */
  bonus(x: Float64Array): number {
    this.#check(x);
    const d = this.dim;
    if (this.kind === 'linucb') {
      if (this.alpha === 0) return 0;
      return this.alpha * Math.sqrt(this.#quadratic(x));
    }
    if (!this.#sampleFresh) this.resample();
    const s = this.#sample;
    const t = this.#theta;
    let v = 0;
    for (let i = 0; i < d; i++) v += (s[i]! - t[i]!) * x[i]!;
    return v;
  }

  /** xᵀA⁻¹x (≥ 0): the posterior variance of θᵀx, up to the noise scale. */
  variance(x: Float64Array): number {
    this.#check(x);
    return this.#quadratic(x);
  }

  /** Starts a decision: lints draws a fresh θ̃; linucb has nothing to draw. */
  resample(): void {
    if (this.kind !== 'lints') return;
    const d = this.dim;
    if (!this.#cholFresh) this.#factor();
    const z = this.#z;
    for (let i = 0; i < d; i++) z[i] = this.#rng.normal();
    const L = this.#chol;
    for (let i = 0; i < d; i++) {
      let v = 0;
      const row = i * d;
      for (let j = 0; j <= i; j++) v += L[row + j]! * z[j]!;
      this.#sample[i] = this.#theta[i]! + this.alpha * v;
    }
    this.#sampleFresh = true;
  }

  /** One observed reward for the context x, in O(d²). */
  update(x: Float64Array, reward: number): void {
    this.#check(x);
    if (!Number.isFinite(reward)) throw new RangeError('reward must be finite');
    const d = this.dim;
    const A = this.#aInv;
    const u = this.#u;
    let q = 0;
    for (let i = 0; i < d; i++) {
      let v = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) v += A[row + j]! * x[j]!;
      u[i] = v;
      q += x[i]! * v;
    }
    // xᵀA⁻¹x ≥ 0 in exact arithmetic; rounding may take it a hair below, never below −1 in practice.
    const den = 1 + Math.max(0, q);
    if (!(den >= 1) || !Number.isFinite(den)) throw new RangeError('Sherman–Morrison denominator is not finite');
    for (let i = 0; i < d; i++) {
      const ui = u[i]! / den;
      const row = i * d;
      for (let j = i; j < d; j++) {
        const v = A[row + j]! - ui * u[j]!;
        A[row + j] = v;
        A[j * d + i] = v;
      }
    }
    const b = this.#b;
    for (let i = 0; i < d; i++) b[i] = b[i]! + reward * x[i]!;
    const t = this.#theta;
    for (let i = 0; i < d; i++) {
      let v = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) v += A[row + j]! * b[j]!;
      t[i] = v;
    }
    this.#updates++;
    this.#cholFresh = false;
    this.#sampleFresh = false;
  }

  snapshot(): BanditSnapshot {
    return {
      kind: this.kind,
      dim: this.dim,
      alpha: this.alpha,
      lambda: this.lambda,
      id: this.id,
      aInv: Array.from(this.#aInv),
      b: Array.from(this.#b),
      updates: this.#updates,
      seed: this.seed,
      rng: this.#rng.state(),
      sample: this.kind === 'lints' && this.#sampleFresh ? Array.from(this.#sample) : null,
      version: this.version,
    };
  }

  static restore(s: BanditSnapshot): LinearBandit {
    const bandit = new LinearBandit({ dim: s.dim, kind: s.kind, alpha: s.alpha, lambda: s.lambda, seed: s.seed, version: s.id });
    const d = s.dim;
    if (s.aInv.length !== d * d || s.b.length !== d) throw new RangeError('snapshot arrays do not match its dimension');
    if (!Number.isInteger(s.updates) || s.updates < 0) throw new RangeError('snapshot update count is invalid');
    for (const v of s.aInv) if (!Number.isFinite(v)) throw new RangeError('snapshot A⁻¹ is not finite');
    for (const v of s.b) if (!Number.isFinite(v)) throw new RangeError('snapshot b is not finite');
    bandit.#aInv.set(s.aInv);
    bandit.#b.set(s.b);
    bandit.#updates = s.updates;
    bandit.#rng = Rng.fromState(s.rng);
    bandit.#recomputeTheta();
    if (s.sample) {
      if (s.sample.length !== d) throw new RangeError('snapshot sample does not match its dimension');
      bandit.#sample.set(s.sample);
      bandit.#sampleFresh = true;
    }
    if (s.version !== bandit.version) throw new RangeError('snapshot version does not match its id and update count');
    return bandit;
  }

  #check(x: Float64Array): void {
    if (x.length !== this.dim) throw new RangeError(`vector has ${x.length} dimensions; the bandit has ${this.dim}`);
  }

  #quadratic(x: Float64Array): number {
    const d = this.dim;
    const A = this.#aInv;
    const nz = this.#nz;
    // Feature vectors are mostly one-hot and flags: work over the non-zero entries only.
    let m = 0;
    for (let i = 0; i < d; i++) if (x[i] !== 0) nz[m++] = i;
    let q = 0;
    // Symmetric: diagonal plus twice the upper triangle.
    for (let a = 0; a < m; a++) {
      const i = nz[a]!;
      const xi = x[i]!;
      const row = i * d;
      let v = A[row + i]! * xi;
      for (let c = a + 1; c < m; c++) {
        const j = nz[c]!;
        v += 2 * A[row + j]! * x[j]!;
      }
      q += xi * v;
    }
    return q > 0 ? q : 0;
  }

  #recomputeTheta(): void {
    const d = this.dim;
    for (let i = 0; i < d; i++) {
      let v = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) v += this.#aInv[row + j]! * this.#b[j]!;
      this.#theta[i] = v;
    }
  }

  /** Lower Cholesky factor of A⁻¹; a pivot lost to rounding is treated as zero variance. */
  #factor(): void {
    const d = this.dim;
    const A = this.#aInv;
    const L = this.#chol;
    L.fill(0);
    for (let j = 0; j < d; j++) {
      const rj = j * d;
      let s = A[rj + j]!;
      for (let k = 0; k < j; k++) s -= L[rj + k]! * L[rj + k]!;
      const pivot = s > 0 ? Math.sqrt(s) : 0;
      const inv = pivot > 0 ? 1 / pivot : 0;
      L[rj + j] = pivot;
      for (let i = j + 1; i < d; i++) {
        const ri = i * d;
        let v = A[ri + j]!;
        for (let k = 0; k < j; k++) v -= L[ri + k]! * L[rj + k]!;
        L[ri + j] = v * inv;
      }
    }
    this.#cholFresh = true;
  }
}
