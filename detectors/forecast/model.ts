/**
 * The forecasting arithmetic of the `forecast` detector, on plain number arrays (the state).
 *
 * Level + trend: an exponentially weighted linear regression of the value on event time
 * (discounted least squares; Brown's double exponential smoothing generalised to irregular
 * sampling). Each point's weight halves every `halflife` of event time. The regression is kept as
 * weighted sums with times measured from the latest event (x ≤ 0, minutes) and values from a
 * running reference y0, shifted on every event, so the sums stay small and well conditioned at any
 * level (1e9 funds totals) and after any length of history. O(1) per event, 10 numbers.
 *
 * Prediction interval of the forecast level m(h) = a + b·D(h) (a: level now, b: slope per minute,
 * D(h) = h, or the damped reach (1 − e^{−κh})/κ): the variance of the weighted estimator
 * (XᵀWX)⁻¹ XᵀW²X (XᵀWX)⁻¹ σ² — the "sandwich" for weights that are not inverse variances — which
 * needs the sums of the squared weights too. σ² is the noise variance of the values around the
 * local line, learned from one-step-ahead errors (each divided by 1 + its own parameter variance,
 * so the estimate is the noise alone) over a memory 4× the regression's.
 */

/** Local bindings: inside jest's sandbox every global Math.* lookup is slow; these are looked up once. */
const { exp, abs } = Math;

/** Indices into the regression array. */
export const W = 0; // Σw
export const SX = 1; // Σw·x
export const SXX = 2; // Σw·x²
export const SY = 3; // Σw·(y − y0)
export const SXY = 4; // Σw·x·(y − y0)
export const W2 = 5; // Σw²
export const S2X = 6; // Σw²·x
export const S2XX = 7; // Σw²·x²
export const REG_SIZE = 8;

/** A fresh, empty regression. */
export function newRegression(): number[] {
  return [0, 0, 0, 0, 0, 0, 0, 0];
}

/**
 * Moves the origin of x to `dt` minutes later and decays every weight by g = e^{−λ·dt}
 * (squared weights by g²). Exact for any dt ≥ 0.
 */
export function shift(r: number[], dt: number, g: number): void {
  if (dt > 0) {
    const w = r[W];
    const sx = r[SX];
    r[SXX] = r[SXX] - 2 * dt * sx + dt * dt * w;
    r[SX] = sx - dt * w;
    r[SXY] = r[SXY] - dt * r[SY];
    const w2 = r[W2];
    const s2x = r[S2X];
    r[S2XX] = r[S2XX] - 2 * dt * s2x + dt * dt * w2;
    r[S2X] = s2x - dt * w2;
  }
  if (g !== 1) {
    const g2 = g * g;
    r[W] *= g;
    r[SX] *= g;
    r[SXX] *= g;
    r[SY] *= g;
    r[SXY] *= g;
    r[W2] *= g2;
    r[S2X] *= g2;
    r[S2XX] *= g2;
  }
}

/** Adds a point at x = 0 (the latest event's time) with value y − y0, weight 1. */
export function addPoint(r: number[], dy: number): void {
  r[W] += 1;
  r[SY] += dy;
  r[W2] += 1;
}

/** Re-references the values: y0 moves by `delta` (sums of y − y0 change accordingly). */
export function rebaseY(r: number[], delta: number): void {
  r[SY] -= delta * r[W];
  r[SXY] -= delta * r[SX];
}

/**
 * The fitted line and the variance factors of its forecast, read from the sums. `out` receives
 * [a, b, xm, vc, vb, cov] (a relative to y0): the forecast level at reach D is a + b·D with
 * variance σ²·(vc + (D − xm)²·vb + 2(D − xm)·cov). Returns false when the sums cannot give a
 * slope (a single point, or all points at one time).
 */
export function fit(r: number[], out: number[]): boolean {
  const w = r[W];
  if (!(w > 0)) return false;
  const xm = r[SX] / w;
  const ym = r[SY] / w;
  const sww = r[SXX] - xm * r[SX]; // Σw(x − xm)²
  if (!(sww > 1e-12 * w)) return false;
  const b = (r[SXY] - xm * r[SY]) / sww;
  const q1 = r[S2X] - xm * r[W2]; // Σw²(x − xm)
  const q2 = r[S2XX] - 2 * xm * r[S2X] + xm * xm * r[W2]; // Σw²(x − xm)²
  out[0] = ym - b * xm;
  out[1] = b;
  out[2] = xm;
  out[3] = r[W2] / (w * w);
  out[4] = (q2 > 0 ? q2 : 0) / (sww * sww);
  out[5] = q1 / (w * sww);
  return true;
}

/** Variance factor (× σ²) of the forecast level at reach D, from fit()'s output. */
export function varianceFactor(f: readonly number[], reach: number): number {
  const d = reach - f[2];
  const v = f[3] + d * d * f[4] + 2 * d * f[5];
  return v > 0 ? v : 0;
}

/** Reach of a trend after h minutes when it decays at rate κ per minute (κ = 0: no damping). */
export function dampedReach(h: number, kappa: number): number {
  return kappa > 0 ? (1 - exp(-kappa * h)) / kappa : h;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** ∫ over a step of length dt of max(0, y − base) for y linear from y1 to y2 (exact). */
export function excessArea(y1: number, y2: number, base: number, dt: number): number {
  const a = y1 - base;
  const b = y2 - base;
  if (a >= 0 && b >= 0) return ((a + b) / 2) * dt;
  if (a <= 0 && b <= 0) return 0;
  // One end above: the triangle above the base.
  const up = a > 0 ? a : b;
  return ((up * up) / (2 * (a > b ? a - b : b - a))) * dt;
}

/**
 * First crossing of `limit` by a path sampled at hs[0..n) (hs[0] = 0), linearly interpolated:
 * the h where path rises to ≥ limit (side +1) or falls to ≤ limit (side −1); Infinity when none.
 */
export function firstCrossing(hs: ArrayLike<number>, path: ArrayLike<number>, n: number, limit: number, side: number): number {
  const p0 = side * (path[0] - limit);
  if (p0 >= 0) return 0;
  let prev = p0;
  for (let k = 1; k < n; k++) {
    const cur = side * (path[k] - limit);
    if (cur >= 0) return hs[k - 1] + ((hs[k] - hs[k - 1]) * -prev) / (cur - prev);
    prev = cur;
  }
  return Infinity;
}
