/**
 * Calibration: turns a raw deviation into a tail probability that means the same on every series.
 *
 * Each raw feature f is made scale-free by its own exponentially weighted, clipped RMS (so a feature
 * that is naturally large on this series — autocorrelated noise, a random walk, a daily swing the
 * seasonal model misses — is judged against its own habit). The tail of z² = f²/RMS² above U² = 4
 * (|z| > 2) is then modelled by peaks over threshold, as streaming POT/SPOT detectors do
 * (Siffer et al., KDD 2017): a generalized Pareto distribution fitted to the excesses y = z² − 4 by
 * the method of moments,
 *
 *   P(Z² ≥ u² + y) ≈ q · (1 + ξ·y/σ)^(−1/ξ)          (q = share of values with |z| > 2)
 *   ξ = ½·(1 − m₁²/v),  σ = m₁·(1 − ξ)                (m₁ mean excess, v its variance)
 *
 * with ξ kept in [0, 0.45]: ξ = 0 is the exponential tail of a Gaussian's z² (then p(4.7σ) ≈ 1e-5),
 * ξ > 0 the heavier tails of bursty series, which thus need a larger deviation for the same p.
 *
 * The two signs have tails of their own (one scale): a series whose bursts only go up (traffic,
 * counts, request rates) keeps a light lower tail, so a dip still counts. The one-sided probability
 * is for the step feature (spikes, dips); the band-pass features pool both sides.
 *
 * q, m₁ and the second moment are learned online from the series' own past (exponentially weighted,
 * excesses clipped so one anomaly cannot blow the tail up at once), judged before learning, so a
 * value never calibrates itself. Priors (a Gaussian-like tail) weigh PRIOR_N observations at
 * start-up: values of the one-step residual, stretches of `span` values of a smoothed feature.
 *
 * State per feature: TAIL_STRIDE numbers in a flat array at offset o:
 *   [RMS², n, q⁺, m₁⁺, m₂⁺, q⁻, m₁⁻, m₂⁻]   (q± = share of values with z > 2, z < −2).
 */
export const TAIL_STRIDE = 8;
const U2 = 4;
const PRIOR_Q = 0.05;
const PRIOR_M1 = 2.2;
const PRIOR_N = 30;
const MAX_XI = 0.45;
/** RMS updates clip z² here (|z| = 3): a robust scale that outliers barely move. */
const SCALE_CLIP = 9;
/**
 * z² beyond this means the scale is floating-point residue, not a spread: a series that repeated
 * one value (a quantized sensor at rest, zero counts, the start of a flat stretch) leaves EW
 * residuals of ~1e-16 of the value, and the clip above would then hold the scale there for
 * thousands of values, every real change judged at z ~1e9 (measured: hourly temperatures at 0.1 °C
 * resolution and zero-heavy rain gave score-1 detections on ordinary values). Such a value is
 * judged as unsurprising (the scale is unknown) and restarts the scale.
 */
const DEGENERATE_Z2 = 1e16;
/** Excesses are clipped at this multiple of the mean excess before they are learned. */
const EXCESS_CLIP = 10;
const POS = 2;
const NEG = 5;

export interface TailRates {
  /** EW rate of the RMS and of q (per value). */
  slow: number;
  /** EW rate of the excess moments (per exceedance). */
  excess: number;
  /**
   * Values that make one independent observation of the feature (1 for the one-step residual; the
   * horizon of a smoothed feature's short EW mean): a young calibrator's exceedance share leaves
   * its prior at this pace, not per value.
   */
  span: number;
}

export function initTail(t: number[], o: number): void {
  t[o] = 0;
  t[o + 1] = 0;
  for (let s = o + POS; s <= o + NEG; s += NEG - POS) {
    t[s] = PRIOR_Q / 2;
    t[s + 1] = PRIOR_M1;
    t[s + 2] = 2 * PRIOR_M1 * PRIOR_M1;
  }
}

/** z² = f²/RMS² (0 before any RMS exists). */
export function standardize(t: readonly number[], o: number, f: number): number {
  const ms = t[o];
  const z2 = ms > 0 ? (f * f) / ms : 0;
  return z2 < DEGENERATE_Z2 ? z2 : 0;
}

/** GPD shape ξ from the mean excess m₁ and the second moment m₂ (method of moments, ξ ∈ [0, 0.45]). */
export function tailXi(m1: number, m2: number): number {
  const v = m2 - m1 * m1;
  const xi = v > 0 ? 0.5 * (1 - (m1 * m1) / v) : 0;
  return xi > 0 ? (xi < MAX_XI ? xi : MAX_XI) : 0;
}

/** −log10 of q · (1 + ξy/σ)^(−1/ξ), y = z² − 4, σ = m₁(1 − ξ); 0 when |z| ≤ 2. */
export function tailSurprise(q: number, m1: number, m2: number, z2: number): number {
  if (!(z2 > U2)) return 0;
  const xi = tailXi(m1, m2);
  const sigma = m1 * (1 - xi);
  const y = z2 - U2;
  const tail = xi > 1e-9 ? Math.log10(1 + (xi * y) / sigma) / xi : (y / sigma) * Math.LOG10E;
  const l = -Math.log10(q) + tail;
  return l > 0 ? l : 0;
}

/** Surprise of f against the tail of its own sign (−log10 of a one-sided probability). */
export function surpriseOneSided(t: readonly number[], o: number, f: number): number {
  const s = o + (f > 0 ? POS : NEG);
  return tailSurprise(t[s], t[s + 1], t[s + 2], standardize(t, o, f));
}

/** Surprise of |f| against both tails pooled (−log10 of a two-sided probability). */
export function surpriseTwoSided(t: readonly number[], o: number, f: number): number {
  const z2 = standardize(t, o, f);
  if (!(z2 > U2)) return 0;
  const qp = t[o + POS];
  const qn = t[o + NEG];
  const q = qp + qn;
  const m1 = (qp * t[o + POS + 1] + qn * t[o + NEG + 1]) / q;
  const m2 = (qp * t[o + POS + 2] + qn * t[o + NEG + 2]) / q;
  return tailSurprise(q, m1, m2, z2);
}

/** Learns from one raw value f (after it was judged). */
export function learnTail(t: number[], o: number, f: number, r: TailRates): void {
  const n = t[o + 1];
  const f2 = f * f;
  const ms = t[o];
  if (n === 0 || !(ms > 0) || f2 > DEGENERATE_Z2 * ms) {
    t[o] = f2;
  } else {
    // Start-up: running mean; then EW. Clipped at 3 RMS.
    const a = r.slow > 1 / (n + 1) ? r.slow : 1 / (n + 1);
    const cap = SCALE_CLIP * ms;
    t[o] = ms + a * ((f2 < cap ? f2 : cap) - ms);
  }
  if (ms > 0 && f2 <= DEGENERATE_Z2 * ms) {
    const z2 = f2 / ms;
    const above = z2 > U2;
    learnSide(t, o + POS, above && f > 0, z2, n, r);
    learnSide(t, o + NEG, above && f < 0, z2, n, r);
  }
  t[o + 1] = n + 1;
}

/** One sign's tail: its exceedance share, and the excess moments when this value exceeds. */
function learnSide(t: number[], s: number, hit: boolean, z2: number, n: number, r: TailRates): void {
  // Neighbouring values of a smoothed feature are one observation: the prior weighs PRIOR_N
  // observations, span values each, so 500 values of m8 − m32 without an exceedance (~60
  // observations, not 500) do not yet make |z| = 2.6 a 1-in-1000 event.
  const aq = Math.max(r.slow, 1 / (n + r.span * (1 + PRIOR_N)));
  t[s] += aq * ((hit ? 1 : 0) - t[s]);
  if (t[s] < 5e-5) t[s] = 5e-5;
  if (!hit) return;
  const m1 = t[s + 1];
  let y = z2 - U2;
  if (y > EXCESS_CLIP * m1) y = EXCESS_CLIP * m1;
  const ae = Math.max(r.excess, 1 / (n * t[s] + 1 + PRIOR_N / 2));
  t[s + 1] = m1 + ae * (y - m1);
  t[s + 2] += ae * (y * y - t[s + 2]);
}
