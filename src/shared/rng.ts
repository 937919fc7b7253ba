/**
 * A small seeded PRNG for exploration: xoshiro128** (Blackman & Vigna) seeded through splitmix32,
 * with Box–Muller normals. Its whole state is four uint32 words, so a snapshot can store it and a
 * restored generator continues the same sequence. Not for cryptography.
 */

export interface RngState {
  /** The four xoshiro128** state words (uint32). */
  s: [number, number, number, number];
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** Any finite number seeds a generator (its integer part); the same seed gives the same sequence. */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new RangeError('seed must be a finite number');
    // splitmix32 over the seed's low and high 32-bit halves fills the state (never all zero).
    const whole = Math.trunc(seed);
    let x = (whole >>> 0) ^ Math.imul(Math.floor(whole / TWO_POW_32) >>> 0, 0x9e3779b9);
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  static fromState(state: RngState): Rng {
    const [a, b, c, d] = state.s;
    for (const w of state.s) if (!Number.isInteger(w) || w < 0 || w >= TWO_POW_32) throw new RangeError('PRNG state words must be uint32');
    if ((a | b | c | d) === 0) throw new RangeError('PRNG state must not be all zero');
    const rng = new Rng(0);
    rng.#s0 = a;
    rng.#s1 = b;
    rng.#s2 = c;
    rng.#s3 = d;
    return rng;
  }

  state(): RngState {
    return { s: [this.#s0, this.#s1, this.#s2, this.#s3] };
  }

  clone(): Rng {
    return Rng.fromState(this.state());
  }

  /** The next uint32. */
  nextUint32(): number {
    const s0 = this.#s0;
    const s1 = this.#s1;
    const s2 = this.#s2;
    const s3 = this.#s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11);
    this.#s0 = n0 >>> 0;
    this.#s1 = n1 >>> 0;
    this.#s2 = n2 >>> 0;
    this.#s3 = n3 >>> 0;
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
    return Math.floor(this.next() * n);
  }

  /** A standard normal draw (Box–Muller; one of the pair is used, so the state stays four words). */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]: log stays finite
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
