/**
 * Anomaly likelihood of the detector's own surprise, in the spirit of HTM's (Ahmad et al., 2017,
 * "Unsupervised real-time anomaly detection for streaming data"): a short-window mean of the
 * surprise is judged against the long-run distribution of that mean (a Gaussian, as HTM does). A
 * series that is always restless — surprises of 1–3 decades are its habit: daily rain, bursty
 * commit counts, a stock's volume — has a high and wide long-run distribution, so one more such
 * surprise moves the short mean little and is no news; on a calm series the same surprise moves it
 * far past its usual spread. This is what lets one limit mean the same on very different series.
 *
 * Used as a bounded correction, not in place of the surprise: a value's surprise is lowered to
 * the likelihood's (+ LIK_ALLOW), by at most LIK_MAX_CUT decades, and not at all on a calm series (LIK_CALM). Unbounded (HTM's own use, the
 * likelihood alone) the real-background corpus gained 1.2 points but the generator's tuning seeds
 * lost 2.8 (a single spike on a noisy series moves a 10-value mean too little: 44 windows lost).
 *
 * O(1) per value; state [short mean, long mean, long variance, count]; judged before learning.
 */

/** EW horizon (values) of the short mean: α = 2/(10 + 1). */
const SHORT = 2 / 11;
/** Memory of the long-run mean and variance (~1000 values; 1/n before). */
const LONG = 1 / 1000;
/** Floor of the long-run spread (decades): a series with no surprises at all is not infinitely sensitive. */
const MIN_SD = 0.1;
/** The short mean learns the long run clipped at this many spreads: an anomaly barely widens its own yardstick. */
const CLIP_SD = 4;
/** Decades allowed above the likelihood's surprise, and the most the correction may take off. */
export const LIK_ALLOW = 0.5;
export const LIK_MAX_CUT = 1;
/**
 * The most it may take off grows with the series' habit (the long-run mean surprise, decades): none
 * up to LIK_CALM (what the ~9 features give on Gaussian noise, ~0.1), all of it from LIK_RESTLESS.
 * Without this, on a calm series a single value moves a 10-value mean too little for the likelihood
 * to tell a spike from the habit, and an 8σ spike there (2.6 decades) lost a full decade. Measured:
 * the generator's series sit at 0.07–0.36, the real backgrounds at 0.06–0.74 (daily rain 0.30–0.74).
 */
export const LIK_CALM = 0.1;
export const LIK_RESTLESS = 0.15;

export function initLikelihood(): number[] {
  return [0, 0, 0, 0];
}

/**
 * Learns the surprise L (before any correction) and returns L as judged against the series' habit:
 * min(L, max(likelihood + LIK_ALLOW, L − LIK_MAX_CUT · h)), h the habit between LIK_CALM (0) and
 * LIK_RESTLESS (1).
 */
export function judgeLikelihood(lk: number[], L: number): number {
  lk[0] += SHORT * (L - lk[0]);
  const sm = lk[0];
  const n = ++lk[3];
  const mu = lk[1];
  const sd = Math.max(Math.sqrt(lk[2]), MIN_SD);
  const lh = n > 1 ? gaussSurprise((sm - mu) / sd) : Infinity;
  const a = Math.max(1 / n, LONG);
  const cap = mu + CLIP_SD * sd;
  const d = (n > 10 && sm > cap ? cap : sm) - mu;
  lk[1] += a * d;
  lk[2] += a * (d * d * (1 - a) - lk[2]);
  const h = (mu - LIK_CALM) / (LIK_RESTLESS - LIK_CALM);
  const floor = L - LIK_MAX_CUT * (h < 0 ? 0 : h < 1 ? h : 1);
  const judged = lh + LIK_ALLOW > floor ? lh + LIK_ALLOW : floor;
  return judged < L ? judged : L;
}

/** −log10 of the Gaussian upper tail Q(z) (0 for z ≤ 0). */
export function gaussSurprise(z: number): number {
  if (!(z > 0)) return 0;
  // Beyond 5σ erfc underflows towards its relative error; the asymptotic tail is exact to < 4 %.
  if (z >= 5) return 0.5 * z * z * Math.LOG10E + Math.log10(z * Math.sqrt(2 * Math.PI));
  return -Math.log10(0.5 * erfc(z / Math.SQRT2));
}

/** Complementary error function for x ≥ 0 (Numerical Recipes' erfcc: relative error < 1.2e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(-x * x + poly);
}
