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
 *   ξ = ½·(1 − m₁²/v),  σ = ½·m₁·(m₁²/v + 1)          (m₁ mean excess, v its variance)
 *
 * with ξ kept in [0, 0.45]: ξ = 0 is the exponential tail of a Gaussian's z² (then p(4.7σ) ≈ 1e-5),
 * ξ > 0 the heavier tails of bursty series, which thus need a larger deviation for the same p.
 * q, m₁ and the second moment are learned online from the series' own past (exponentially weighted,
 * excesses clipped so one anomaly cannot blow the tail up at once), judged before learning, so a
 * value never calibrates itself. Priors (a Gaussian tail) weigh PRIOR_N values at start-up.
 *
 * State per feature: TAIL_STRIDE numbers in a flat array at offset o: [RMS², q, m₁, m₂, updates].
 */
export const TAIL_STRIDE = 5;
const U2 = 4;
const PRIOR_Q = 0.05;
const PRIOR_M1 = 2.2;
const PRIOR_N = 30;
const MAX_XI = Number(process.env.FW_XI ?? 0.45);
const EXC_CLIP = Number(process.env.FW_ECL ?? 10);

export interface TailRates {
  /** EW rate of the RMS and of q (per value). */
  slow: number;
  /** EW rate of the excess moments (per exceedance). */
  excess: number;
}

export function initTail(t: number[], o: number): void {
  t[o] = 0;
  t[o + 1] = PRIOR_Q;
  t[o + 2] = PRIOR_M1;
  t[o + 3] = 2 * PRIOR_M1 * PRIOR_M1;
  t[o + 4] = 0;
}

/** Forget the scale (the feature now measures something else, e.g. after the seasonal model switched). */
export function resetScale(t: number[], o: number): void {
  t[o] = 0;
  t[o + 4] = 0;
}

/** z² = f²/RMS² (0 before any RMS exists). */
export function standardize(t: readonly number[], o: number, f: number): number {
  const ms = t[o];
  return ms > 0 ? (f * f) / ms : 0;
}

/** GPD shape and scale from the learned moments. */
export function tailShape(t: readonly number[], o: number): { xi: number; sigma: number } {
  const m1 = t[o + 2];
  const v = t[o + 3] - m1 * m1;
  let xi = v > 0 ? 0.5 * (1 - (m1 * m1) / v) : 0;
  if (!(xi > 0)) xi = 0;
  else if (xi > MAX_XI) xi = MAX_XI;
  return { xi, sigma: m1 * (1 - xi) };
}

/** −log10 of the tail probability of z² under the learned tail (0 when |z| ≤ 2). */
export function surprise(t: readonly number[], o: number, z2: number): number {
  if (!(z2 > U2)) return 0;
  const { xi, sigma } = tailShape(t, o);
  const y = z2 - U2;
  const tail = xi > 1e-9 ? Math.log10(1 + (xi * y) / sigma) / xi : (y / sigma) * Math.LOG10E;
  const l = -Math.log10(t[o + 1]) + tail;
  return l > 0 ? l : 0;
}

/** Learns from one raw value f (after it was judged). */
export function learnTail(t: number[], o: number, f: number, r: TailRates): void {
  const n = t[o + 4];
  const f2 = f * f;
  const ms = t[o];
  const z2 = ms > 0 ? f2 / ms : 0;
  if (n === 0 || !(ms > 0)) {
    t[o] = f2;
  } else {
    // Start-up: running mean; then EW. Clipped at 3 RMS: a robust scale that outliers barely move.
    const a = r.slow > 1 / (n + 1) ? r.slow : 1 / (n + 1);
    const cap = SCALE_CLIP * ms;
    t[o] = ms + a * ((f2 < cap ? f2 : cap) - ms);
  }
  if (ms > 0) {
    const above = z2 > U2 ? 1 : 0;
    const aq = Math.max(r.slow, 1 / (n + 1 + PRIOR_N));
    t[o + 1] += aq * (above - t[o + 1]);
    if (t[o + 1] < 1e-4) t[o + 1] = 1e-4;
    if (above) {
      const m1 = t[o + 2];
      let y = z2 - U2;
      if (y > EXC_CLIP * m1) y = EXC_CLIP * m1;
      const ae = Math.max(r.excess, 1 / (n * t[o + 1] + 1 + PRIOR_N));
      t[o + 2] = m1 + ae * (y - m1);
      t[o + 3] += ae * (y * y - t[o + 3]);
    }
  }
  t[o + 4] = n + 1;
}

/**
 * Signed calibrator: one scale (RMS²) and two tails, for positive and for negative values, so a
 * series whose bursts only go up (traffic, counts) keeps a light lower tail and a dip still counts.
 * Layout at offset o: [RMS², n, q⁺, m₁⁺, m₂⁺, q⁻, m₁⁻, m₂⁻]; q± = share of values with z > 2 / z < −2.
 */
export const SIGNED_STRIDE = 8;

const SCALE_CLIP = Number(process.env.FW_SC ?? 9);
const LOG_CLIP = Number(process.env.FW_LCLIP ?? 4);
export let DEDH = Number(process.env.FW_DEDH ?? 0);
export const DEDH_STEP_ONLY = Number(process.env.FW_DSTEP ?? 0);
export function setDedh(v: number): void {
  DEDH = v;
}
const DEDH_MAX = Number(process.env.FW_DMAX ?? 0.9);
const G_M1 = 0.323;
const G_M2 = 0.174;
export function initSigned(t: number[], o: number): void {
  t[o] = 0;
  t[o + 1] = 0;
  for (const s of [2, 5]) {
    t[o + s] = PRIOR_Q / 2;
    t[o + s + 1] = DEDH ? G_M1 : PRIOR_M1;
    t[o + s + 2] = DEDH ? G_M2 : 2 * PRIOR_M1 * PRIOR_M1;
  }
}

/** log10 of the conditional tail (1 + ξy/σ)^(−1/ξ), negated, from log-moments (Dekkers–Einmahl–de Haan). */
function dedhTail(M1: number, M2: number, y: number): number {
  const r = M2 > 0 ? (M1 * M1) / M2 : 0;
  let g = M1 + 1 - 0.5 / (1 - (r < 0.99 ? r : 0.99));
  const sigma = U2 * M1 * (1 - (g < 0 ? g : 0));
  if (!(g > 0)) g = 0;
  else if (g > DEDH_MAX) g = DEDH_MAX;
  return g > 1e-9 ? Math.log10(1 + (g * y) / sigma) / g : (y / sigma) * Math.LOG10E;
}

export function resetSignedScale(t: number[], o: number): void {
  t[o] = 0;
  t[o + 1] = 0;
}

/** −log10 of the one-sided tail probability of f (its sign's tail); 0 when |z| ≤ 2. */
export function surpriseSigned(t: readonly number[], o: number, f: number): number {
  const ms = t[o];
  if (!(ms > 0)) return 0;
  const z2 = (f * f) / ms;
  if (!(z2 > U2)) return 0;
  const s = o + (f > 0 ? 2 : 5);
  if (DEDH) {
    const l = -Math.log10(t[s]) + dedhTail(t[s + 1], t[s + 2], z2 - U2);
    return l > 0 ? l : 0;
  }
  const m1 = t[s + 1];
  const v = t[s + 2] - m1 * m1;
  let xi = v > 0 ? 0.5 * (1 - (m1 * m1) / v) : 0;
  if (!(xi > 0)) xi = 0;
  else if (xi > MAX_XI) xi = MAX_XI;
  const sigma = m1 * (1 - xi);
  const y = z2 - U2;
  const tail = xi > 1e-9 ? Math.log10(1 + (xi * y) / sigma) / xi : (y / sigma) * Math.LOG10E;
  const l = -Math.log10(t[s]) + tail;
  return l > 0 ? l : 0;
}

export function learnSigned(t: number[], o: number, f: number, r: TailRates, scaleWeight = 1): void {
  const n = t[o + 1];
  const f2 = f * f;
  const ms = t[o];
  const z2 = ms > 0 ? f2 / ms : 0;
  if (n === 0 || !(ms > 0)) {
    t[o] = f2;
  } else {
    const a = (r.slow > 1 / (n + 1) ? r.slow : 1 / (n + 1)) * scaleWeight;
    const cap = SCALE_CLIP * ms;
    t[o] = ms + a * ((f2 < cap ? f2 : cap) - ms);
  }
  if (ms > 0) {
    const aq = Math.max(r.slow, 1 / (n + 1 + PRIOR_N));
    const above = z2 > U2;
    const pos = f > 0;
    for (const s of [o + 2, o + 5]) {
      const hit = above && (s === o + 2) === pos ? 1 : 0;
      t[s] += aq * (hit - t[s]);
      if (t[s] < 5e-5) t[s] = 5e-5;
      if (hit) {
        const m1 = t[s + 1];
        const ae = Math.max(r.excess, 1 / (n * t[s] + 1 + PRIOR_N / 2));
        if (DEDH) {
          let l = Math.log(z2 / U2);
          if (l > LOG_CLIP) l = LOG_CLIP;
          t[s + 1] = m1 + ae * (l - m1);
          t[s + 2] += ae * (l * l - t[s + 2]);
        } else {
          let y = z2 - U2;
          if (y > EXC_CLIP * m1) y = EXC_CLIP * m1;
          t[s + 1] = m1 + ae * (y - m1);
          t[s + 2] += ae * (y * y - t[s + 2]);
        }
      }
    }
  }
  t[o + 1] = n + 1;
}

/** Both tails of a signed calibrator pooled: the two-sided tail probability of |f|. */
export function surprisePooled(t: readonly number[], o: number, f: number): number {
  const ms = t[o];
  if (!(ms > 0)) return 0;
  const z2 = (f * f) / ms;
  if (!(z2 > U2)) return 0;
  const qp = t[o + 2];
  const qn = t[o + 5];
  const q = qp + qn;
  const m1 = (qp * t[o + 3] + qn * t[o + 6]) / q;
  const m2 = (qp * t[o + 4] + qn * t[o + 7]) / q;
  if (DEDH) {
    const l = -Math.log10(q) + dedhTail(m1, m2, z2 - U2);
    return l > 0 ? l : 0;
  }
  const v = m2 - m1 * m1;
  let xi = v > 0 ? 0.5 * (1 - (m1 * m1) / v) : 0;
  if (!(xi > 0)) xi = 0;
  else if (xi > MAX_XI) xi = MAX_XI;
  const sigma = m1 * (1 - xi);
  const y = z2 - U2;
  const tail = xi > 1e-9 ? Math.log10(1 + (xi * y) / sigma) / xi : (y / sigma) * Math.LOG10E;
  const l = -Math.log10(q) + tail;
  return l > 0 ? l : 0;
}

/**
 * Second stage: the surprise L of each value (−log10 p, max over features) against this series'
 * own history of L. Peaks over U_L decades, GPD by moments. Layout [q, m₁, m₂, n].
 */
export const LIK_STRIDE = 4;
export const U_L = Number(process.env.FW_UL ?? 1);
const LIK_PRIOR_N = Number(process.env.FW_LN ?? 200);
export function initLik(t: number[], o: number): void {
  t[o] = Number(process.env.FW_LQ ?? 0.3) * 10 ** -U_L;
  t[o + 1] = Math.LOG10E;
  t[o + 2] = 2 * Math.LOG10E * Math.LOG10E;
  t[o + 3] = 0;
}
export function surpriseLik(t: readonly number[], o: number, l: number): number {
  if (!(l > U_L)) return l;
  const m1 = t[o + 1];
  const v = t[o + 2] - m1 * m1;
  let xi = v > 0 ? 0.5 * (1 - (m1 * m1) / v) : 0;
  if (!(xi > 0)) xi = 0;
  else if (xi > MAX_XI) xi = MAX_XI;
  const sigma = m1 * (1 - xi);
  const y = l - U_L;
  const tail = xi > 1e-9 ? Math.log10(1 + (xi * y) / sigma) / xi : (y / sigma) * Math.LOG10E;
  const r = -Math.log10(t[o]) + tail;
  return r > U_L ? r : U_L;
}
export function learnLik(t: number[], o: number, l: number, slow: number, excess: number): void {
  const n = t[o + 3];
  const above = l > U_L ? 1 : 0;
  const aq = Math.max(slow, 1 / (n + 1 + LIK_PRIOR_N));
  t[o] += aq * (above - t[o]);
  if (t[o] < 1e-5) t[o] = 1e-5;
  if (above) {
    const m1 = t[o + 1];
    let y = l - U_L;
    if (y > EXC_CLIP * m1) y = EXC_CLIP * m1;
    const ae = Math.max(excess, 1 / (n * t[o] + 1 + LIK_PRIOR_N * 10 ** -U_L));
    t[o + 1] = m1 + ae * (y - m1);
    t[o + 2] += ae * (y * y - t[o + 2]);
  }
  t[o + 3] = n + 1;
}

/**
 * Empirical exceedance rates of z (in RMS units of a calibrator) at fixed levels, per sign: the
 * tail as observed, which a smooth parametric fit can miss (benign bursts up to a size, heavy
 * tails). Layout: [n, r⁺ per level..., r⁻ per level...].
 */
export const EMP_LEVELS = (process.env.FW_EL ?? '3,4,5,6,7,8,10,12').split(',').map(Number);
const EMP_K = EMP_LEVELS.length;
export const EMP_STRIDE = 1 + 2 * EMP_K;
const EMP_N0 = Number(process.env.FW_EN0 ?? 100);
const EMP_M = Number(process.env.FW_EM ?? 3000);
const LN10 = Math.LN10;
/** One-sided Gaussian tail (for the priors). */
function gaussTail(z: number): number {
  // Abramowitz–Stegun 7.1.26 via erfc.
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return 0.5 * y;
}
export function initEmp(e: number[], o: number): void {
  e[o] = 0;
  for (let k = 0; k < EMP_K; k++) e[o + 1 + k] = e[o + 1 + EMP_K + k] = gaussTail(EMP_LEVELS[k]);
}
export function learnEmp(e: number[], o: number, z: number): void {
  const n = e[o];
  const a = Math.max(1 / (n + 1 + EMP_N0), 1 / EMP_M);
  const az = z < 0 ? -z : z;
  const base = o + 1 + (z >= 0 ? 0 : EMP_K);
  const other = o + 1 + (z >= 0 ? EMP_K : 0);
  for (let k = 0; k < EMP_K; k++) {
    e[base + k] += a * ((az > EMP_LEVELS[k] ? 1 : 0) - e[base + k]);
    e[other + k] -= a * e[other + k];
  }
  e[o] = n + 1;
}
/** −log10 of the empirical one-sided tail at z (log-linear between levels; 0 below the first). */
export function surpriseEmp(e: readonly number[], o: number, z: number): number {
  const az = z < 0 ? -z : z;
  if (!(az > EMP_LEVELS[0])) return 0;
  const base = o + 1 + (z >= 0 ? 0 : EMP_K);
  let k = 0;
  while (k + 1 < EMP_K && EMP_LEVELS[k + 1] <= az) k++;
  const l0 = Math.log(Math.max(e[base + k], 1e-300));
  if (k + 1 >= EMP_K) return -l0 / LN10;
  const l1 = Math.log(Math.max(e[base + k + 1], 1e-300));
  const f = (az - EMP_LEVELS[k]) / (EMP_LEVELS[k + 1] - EMP_LEVELS[k]);
  return -(l0 + f * (l1 - l0)) / LN10;
}
