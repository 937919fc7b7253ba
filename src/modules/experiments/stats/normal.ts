/**
 * The standard normal distribution: density, distribution function and quantile.
 *
 * Φ follows W. J. Cody's rational Chebyshev approximations (Math. Comp. 23 (1969) 631–637; the
 * SPECFUN ANORM routine, ACM TOMS 715, 1993), the algorithm behind R's `pnorm`: three ranges of |x|,
 * each a ratio of polynomials, with the factor exp(−x²/2) split as exp(−x̃²/2)·exp(−(x − x̃)(x + x̃)/2)
 * (x̃ = x rounded down to a multiple of 1/16) so the tail keeps its relative accuracy. Relative error
 * is near double precision (about 1e−15) throughout, including far into the lower tail.
 *
 * Φ⁻¹ is Wichura's algorithm AS 241 (PPND16; Applied Statistics 37 (1988) 477–484), relative error
 * about 1e−16, for p in (0, 1).
 */

/** 1/√(2π). */
const INV_SQRT_2PI = 0.3989422804014327;
/** √32: the end of Cody's middle range. */
const SQRT_32 = 5.656854249492381;

// Cody's coefficients (as in R's pnorm.c), each written as the nearest double's shortest decimal.
const A = [2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356, 0.06568233791820745] as const;
const B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673] as const;
const C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726, 6848.190450536283,
  11602.65143764735, 9842.714838383978, 1.0765576773720192e-8,
] as const;
const D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097, 34900.95272114598,
  38912.00328609327, 19685.429676859992,
] as const;
const P = [0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934, 2.9112874951168793e-5, 0.023073441764940174] as const;
const Q = [1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 7.297515550839662e-5] as const;

/** The standard normal density φ(x) = exp(−x²/2)/√(2π). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** exp(−x²/2) without losing the last digits to rounding of x² (Cody's split at a multiple of 1/16). */
function halfGaussian(x: number): number {
  const xsq = Math.trunc(x * 16) / 16;
  const del = (x - xsq) * (x + xsq);
  return Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5);
}

/**
 * Upper tail Q(y) = 1 − Φ(y) for y ≥ 0.67448975 (where it is below 1/4), computed directly so the
 * tail never suffers the cancellation of 1 − Φ.
 */
function upperTail(y: number): number {
  if (y <= SQRT_32) {
    let xnum = C[8] * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + C[i]!) * y;
      xden = (xden + D[i]!) * y;
    }
    return (halfGaussian(y) * (xnum + C[7])) / (xden + D[7]);
  }
  // Beyond ~38.5 the tail underflows to 0 (and before that it merely becomes subnormal).
  if (y >= 38.5) return 0;
  const xsq = 1 / (y * y);
  let xnum = P[5] * xsq;
  let xden = xsq;
  for (let i = 0; i < 4; i++) {
    xnum = (xnum + P[i]!) * xsq;
    xden = (xden + Q[i]!) * xsq;
  }
  const temp = (xsq * (xnum + P[4])) / (xden + Q[4]);
  return (halfGaussian(y) * (INV_SQRT_2PI - temp)) / y;
}

/**
 * The standard normal distribution function Φ(x) = P(Z ≤ x). Relative error about 1e−15 for every
 * x, so Φ(−8) ≈ 6.2e−16 is exact to its leading digits (use `normalUpper` for 1 − Φ(x) at large x).
 * NaN gives NaN.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    // Central range: Φ(x) = 1/2 + x·R(x²).
    let xnum = 0;
    let xden = 0;
    if (y > 1.1102230246251565e-16) {
      const xsq = x * x;
      xnum = A[4] * xsq;
      xden = xsq;
      for (let i = 0; i < 3; i++) {
        xnum = (xnum + A[i]!) * xsq;
        xden = (xden + B[i]!) * xsq;
      }
    }
    return 0.5 + (x * (xnum + A[3])) / (xden + B[3]);
  }
  const tail = upperTail(y);
  return x > 0 ? 1 - tail : tail;
}

/** The upper tail 1 − Φ(x) = Φ(−x), with full relative accuracy for large x. */
export function normalUpper(x: number): number {
  return normalCdf(-x);
}

// Wichura's AS 241 coefficients (PPND16), each written as the nearest double's shortest decimal.
const AS241_A = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987, 67265.7709270087,
  33430.57558358813, 2509.0809287301227,
] as const;
const AS241_B = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271, 28729.085735721943,
  5226.495278852854,
] as const;
const AS241_C = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684, 0.2417807251774506,
  0.022723844989269184, 0.0007745450142783414,
] as const;
const AS241_D = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
] as const;
const AS241_E = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124, 0.0012426609473880784,
  2.7115555687434876e-5, 2.0103343992922881e-7,
] as const;
const AS241_F = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133, 1.8463183175100548e-5,
  1.421511758316446e-7, 2.0442631033899397e-15,
] as const;

/** c₀ + c₁x + … + c₇x⁷ by Horner's rule. */
function poly7(c: readonly number[], x: number): number {
  let v = 0;
  for (let i = c.length - 1; i >= 0; i--) v = v * x + c[i]!;
  return v;
}

/**
 * The standard normal quantile Φ⁻¹(p) (Wichura's AS 241), relative error about 1e−16.
 * Throws a RangeError unless 0 < p < 1.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs a probability strictly between 0 and 1 (got ${p})`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly7(AS241_A, r)) / poly7(AS241_B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value = poly7(AS241_C, r) / poly7(AS241_D, r);
  } else {
    r -= 5;
    value = poly7(AS241_E, r) / poly7(AS241_F, r);
  }
  return q < 0 ? -value : value;
}
