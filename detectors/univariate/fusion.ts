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
import { upperTailZ } from '../normal-quantile';
import { gaussSurprise } from './likelihood';

/**
 * Decades subtracted from the fused surprise: the level group's best is a maximum over several
 * features, and its evidence and the spread's are not fully independent. Chosen among 0.5–0.9 on
 * both corpora (issue 17, fourteenth round; docs/backtest.md).
 */
export const FUSION_ALLOWANCE = 0.7;

/** Surprises at or below −log10(½) are no evidence (z ≤ 0). */
const NO_EVIDENCE = Math.log10(2);

/** The z whose Gaussian upper tail is 10^−L (0 for L ≤ log10 2: no evidence); exact in the far tail. */
export function zOfSurprise(L: number): number {
  return L > NO_EVIDENCE ? upperTailZ(L) : 0;
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
