/**
 * The standard normal quantile, shared by the forecast's prediction interval and the univariate
 * detector's fused evidence: Acklam's rational approximation (relative error < 1.2e-9).
 */

const A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
/** Below this p (and above 1 − it) the tail's approximation is used. */
const P_LOW = 0.02425;

/** The quantile of a lower-tail p < P_LOW, from q = √(−2 ln p). */
function lowerTail(q: number): number {
  return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
}

/** The quantile of P_LOW ≤ p ≤ 1 − P_LOW. */
function central(p: number): number {
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
    (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  );
}

/** Standard normal quantile of p in (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0,1), got ${p}`);
  if (p < P_LOW) return lowerTail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - P_LOW) return -normalQuantile(1 - p);
  return central(p);
}

/**
 * The z whose upper tail is 10^−L, for L ≥ log10 2 (p ≤ ½), worked out from L itself: exact far
 * into the tail, where 10^−L would underflow (L = 300 and beyond).
 */
export function upperTailZ(L: number): number {
  const p = 10 ** -L;
  return p >= P_LOW ? central(1 - p) : -lowerTail(Math.sqrt(2 * L * Math.LN10));
}
