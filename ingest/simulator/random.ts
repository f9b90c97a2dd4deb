/**
 * Small, fast, seeded randomness for the simulator. No Math.random anywhere: the same seed gives
 * the same numbers on every platform (all arithmetic is 32-bit integer or IEEE double).
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting RNG, 128-bit state), seeded through
 * splitmix32 from a 32-bit hash of (seed, stream ids...), so independent sub-streams are cheap.
 */

import { fmix32 } from '../../kernel/hash';

/** Mixes any number of integers (e.g. seed, flow id, purpose, index) into one 32-bit hash. */
export function mix(...parts: number[]): number {
  let h = 0x9e3779b9 | 0;
  for (let i = 0; i < parts.length; i++) {
    const x = parts[i];
    // Split a double into two 32-bit halves so large seeds (> 2^32) and negatives still mix well.
    const lo = x >>> 0;
    const hi = Math.floor(x / 4294967296) >>> 0;
    h = fmix32(h ^ Math.imul(lo, 0xcc9e2d51));
    h = fmix32((h + Math.imul(hi ^ 0x85ebca6b, 0x1b873593)) | 0);
    h = (h + i) | 0;
  }
  return h >>> 0;
}

/** Uniform double in [0,1) from a hash of the parts: stateless randomness (e.g. per-day factors). */
export function hashUniform(...parts: number[]): number {
  return mix(...parts) / 4294967296;
}

const TWO_PI = 2 * Math.PI;
const INV_2_32 = 1 / 4294967296;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second value of the last Box–Muller pair (NaN when none is cached). */
  private spare = NaN;

  /** `seed` and optional stream ids are hashed together: Rng(seed, 1) and Rng(seed, 2) are independent. */
  constructor(seed: number, ...stream: number[]) {
    let s = mix(seed, ...stream);
    const split = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) | 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform double in [0,1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) * INV_2_32;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi], both inclusive. */
  intRange(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Double in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal N(0,1) (Box–Muller, caching the second value of each pair). */
  normal(): number {
    const s = this.spare;
    if (s === s) {
      this.spare = NaN;
      return s;
    }
    let u = this.next();
    if (u < 1e-300) u = 1e-300;
    const r = Math.sqrt(-2 * Math.log(u));
    const th = TWO_PI * this.next();
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  gauss(mean: number, sd: number): number {
    return mean + sd * this.normal();
  }

  /** Log-normal with the given median and log-space standard deviation. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /**
   * Poisson(lambda). Inversion for small lambda (one uniform when the answer is 0, the common case
   * for sparse processes); rounded normal approximation for lambda >= 15 (error invisible at that size).
   */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda < 15) {
      let p = Math.exp(-lambda);
      let s = p;
      const u = this.next();
      let k = 0;
      while (u > s && k < 200) {
        k++;
        p *= lambda / k;
        s += p;
      }
      return k;
    }
    const x = Math.round(lambda + Math.sqrt(lambda) * this.normal());
    return x < 0 ? 0 : x;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Fisher–Yates, in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

/** Zipf-like rank sampler over ranks 0..n-1 with P(rank k) ∝ 1/(k+1)^s. Precomputed CDF, binary search. */
export class Zipf {
  private readonly cdf: Float64Array;
  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    if (!(n >= 1)) throw new RangeError(`Zipf needs n >= 1, got ${n}`);
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / Math.pow(k + 1, s);
      this.cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.cdf[k] /= sum;
    this.cdf[n - 1] = 1;
  }

  sample(rng: Rng): number {
    const u = rng.next();
    const cdf = this.cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < cdf[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  probability(rank: number): number {
    return rank === 0 ? this.cdf[0] : this.cdf[rank] - this.cdf[rank - 1];
  }
}
