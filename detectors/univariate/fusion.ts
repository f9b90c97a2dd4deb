/**
 * Fused evidence (issue 17, fourteenth round): two moderately surprising pieces of evidence that
 * see different things are, together, more surprising than either. The detector otherwise takes the
 * most surprising feature; on the real-background corpus most missed windows were 1.8–2.3 decades
 * on their best feature against a limit of 2.35 — e.g. a burst of larger noise whose largest
 * residual is 2.0 decades and whose variance ratio is 2.0 as well.
 *
 * Two groups that look at different evidence: the level (the residual, the phase dip, the band-pass
 * shifts, the drift and the phase level all see the same recent values, so they are one group: its
 * best surprise) and the spread (the variance ratio). They are combined by Stouffer's method
 * (z = (z₁ + z₂)/√2 from the two upper-tail probabilities), less an allowance of its own. The
 * variance ratio enters as judged at the previous value: the current one moves with the current
 * residual, so a single spike would count twice (the generator corpus' tuning seeds, four groups
 * by Fisher's method less 0.5, at the best threshold: 1,402 false detections with the current
 * ratio, 1,027 with the previous one, 807 without fusion). The coarse cycle and the flatline fused
 * as well (the top two of four groups) found no window more on the real-background corpus, and a
 * run of zeros after ordinary values is a level change too (a daily series' habitual calm spell
 * then opened an episode).
 */
import { gaussSurprise } from './likelihood';

/**
 * Decades subtracted from the fused surprise: the level group's best is a maximum over several
 * features, and its evidence and the spread's are not fully independent. Chosen among 0.5–0.9 on
 * both corpora (issue 17, fourteenth round; docs/backtest.md).
 */
export const FUSION_ALLOWANCE = 0.7;

/** Surprises at or below −log10(½) are no evidence (z ≤ 0). */
const NO_EVIDENCE = Math.log10(2);

/** Acklam's rational approximation of the normal quantile (relative error < 1.2e-9). */
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549671064286937, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** The z whose Gaussian upper tail is 10^−L (0 for L ≤ log10 2); exact in the far tail (no underflow: works on L itself). */
export function zOfSurprise(L: number): number {
  if (!(L > NO_EVIDENCE)) return 0;
  const p = 10 ** -L;
  if (p >= P_LOW) {
    const q = 0.5 - p;
    const r = q * q;
    return (
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
    );
  }
  const q = Math.sqrt(2 * L * Math.LN10);
  return -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
}

/**
 * The fused surprise (decades, less FUSION_ALLOWANCE; 0 unless both carry evidence) of the level
 * group's best surprise and the variance ratio's.
 */
export function fusedSurprise(level: number, variance: number): number {
  if (!(level > NO_EVIDENCE) || !(variance > NO_EVIDENCE)) return 0;
  const l = gaussSurprise((zOfSurprise(level) + zOfSurprise(variance)) / Math.SQRT2) - FUSION_ALLOWANCE;
  return l > 0 ? l : 0;
}
