import type { FlowEvent, Observation } from '../../core/types';
import type { Detector } from '../types';
import type { Direction } from '../scoring';
import { DAY_MS, INTERVAL_SAMPLES, WEEK_HOURS, dayBin, dayBins, median, weekHour } from './seasonal';
import { SIGNED_STRIDE as TAIL_STRIDE, initSigned as initTail, learnSigned as learnTail, resetSignedScale as resetScale, standardize, surpriseSigned, initEmp, learnEmp, surpriseEmp, setDedh, DEDH_STEP_ONLY, surprisePooled, initLik, learnLik, surpriseLik, type TailRates } from './tail';

export type Seasonality = 'auto' | 'none' | 'daily' | 'weekly';

export interface UnivariateParams {
  measurement: string;
  /** Surprise (−log10 of the tail probability) at which an episode starts; the score is 0.5 there. */
  threshold: number;
  direction: Direction;
  /** Values learned from before the first verdict. */
  warmup: number;
  seasonality: Seasonality;
  /** Quiet values (surprise below half the threshold) that end an episode. */
  hold: number;
}

/** Plain-JSON state, bounded: at most ~2·(144 + 168) + 60 numbers per key. */
export interface UnivariateState {
  n: number;
  last: number;
  /** First gaps (ms) until the interval is known, then []. */
  gaps: number[];
  /** Sampling interval (ms), 0 while unknown. */
  dt: number;
  bins: number;
  day: number[];
  dayN: number[];
  week: number[];
  weekN: number[];
  /** Slow level of x minus the profiles (what the profiles learn against), and of x alone. */
  lvl: number;
  lvl0: number;
  /** EW mean |residual| of the profile model: the clip scale for its updates. */
  mad: number;
  /** EW squared prediction error: [level only, + daily, + daily + weekly]. */
  err: number[];
  /** Profiles in use: 0 none, 1 daily, 2 daily + weekly. */
  season: number;
  /** EW means of the deseasonalized value over ~2, 8, 32, 128, 512 values. */
  m: number[];
  /** EW squared one-step error of predicting with m[0], m[1], m[2]. */
  pe: number[];
  /** Tail calibrators, TAIL_STRIDE numbers per feature. */
  tails: number[];
  /** Repeated identical values: current run, longest recent run (decaying), the last value. */
  run: number;
  runMax: number;
  /** Value changes seen; a series that never varied (a setpoint, a constant) cannot flatline. */
  changes?: number;
  lastX: number;
  firing: boolean;
  peak: number;
  quiet: number;
  /** Values to wait (learning only) after the profile in use changed. */
  settle: number;
  lik?: number[];
  het?: number[];
  loc?: number[];
  /** Time the daily profile started its first day (0 once it has one). */
  pinit?: number;
  /** EW mean |x − lvl0|: the clip scale of the level-only model. */
  mad0?: number;
  ar?: number[];
  emp?: number[];
  rc?: number[];
  amp?: number[];
}

/** Horizons of the EW means (values): α = 2/(h+1). */
const HORIZONS = (process.env.FW_H ?? "3,8,32,128,512").split(",").map(Number);
const ALPHAS = HORIZONS.map((h) => 2 / (h + 1));
/** A series must have changed value this often before a run of identical values counts as a flatline. */
const FLAT_MIN_CHANGES = 20;

/** Features: one-step residual, three band-pass differences, flatline (not calibrated: its own run model). */
const F_STEP = 0;
const EXTRA = Number(process.env.FW_EX ?? 1);
const CALIBRATED = EXTRA ? 5 : 4;
export const CAUSES = EXTRA ? (['spike', 'shift', 'shift', 'drift', 'shift', 'flatline'] as const) : (['spike', 'shift', 'shift', 'drift', 'flatline'] as const);
/** Subtracted from the best feature's surprise: several features look at every value. */
const MULTIPLICITY = 0.6;
const RATES: TailRates = { slow: 0.002, excess: Number(process.env.FW_EXC ?? 0.02) };
/** Values learned from (no verdict) after the seasonal model switched. */
const SETTLE = 64;
/** Surprise (decades) that opens an episode; later values of the episode report at most this. */
const EPISODE = Number(process.env.FW_EPI ?? 1.5);
export const DEBUG_FEATS = [0, 0, 0, 0, 0];
const CLIP = Number(process.env.FW_CLIP ?? 3);
const REFRACT = Number(process.env.FW_RF ?? 32);
const EP_SCALE_W = Number(process.env.FW_EPW ?? 1);
const FW = (process.env.FW_W ?? '1,1,1,1,1,1').split(',').map(Number);
const RUN_GROW = Number(process.env.FW_RG ?? 2);
const ROBUST_L0 = Number(process.env.FW_RL0 ?? 1);
const L0_START = Number(process.env.FW_L0S ?? 1);
const AR = Number(process.env.FW_AR ?? 0);
const EMP = Number(process.env.FW_EMP ?? 0);
const RATEC = Number(process.env.FW_RC ?? 0);
const RC_U = Number(process.env.FW_RCU ?? 1.5);
const RC_Q0 = Number(process.env.FW_RCQ ?? 0.01);
const RC_K = Number(process.env.FW_RCK ?? 0.5);
const RC_N0 = Number(process.env.FW_RCN ?? 300);
const RC_RATE = Number(process.env.FW_RCR ?? 0.001);
const AMP = Number(process.env.FW_AMP ?? 0);
const AMP_H = Number(process.env.FW_AMPH ?? 0.25);
const AMP_LO = Number(process.env.FW_AMPLO ?? 0);
const AMP_HI = Number(process.env.FW_AMPHI ?? 2);
const SOFT_WEEK = Number(process.env.FW_SW ?? 1);
const UNCLIPPED_DAYS = Number(process.env.FW_UD ?? 3);
const FULL_RESET = Number(process.env.FW_FR ?? 1);
const LOC = Number(process.env.FW_LOC ?? 0);
const LOC_H = Number(process.env.FW_LOCH ?? 50);
const LOC_LO = Number(process.env.FW_LOCLO ?? 0.5);
const LOC_HI = Number(process.env.FW_LOCHI ?? 2);
const LOC_MIX = Number(process.env.FW_LOCMIX ?? 1);
const HET = Number(process.env.FW_HET ?? 0);
const HET_C = Number(process.env.FW_HETC ?? 0.1);
const HET_RATE = Number(process.env.FW_HETR ?? 0.001);
const HET_DU = Number(process.env.FW_HETDU ?? 0.3);
const HET_MAX = Number(process.env.FW_HETMAX ?? 1.5);
const LIK = Number(process.env.FW_LIK ?? 0);
const LIK_SLOW = Number(process.env.FW_LS ?? 0.002);

/**
 * The default univariate profile: any single numeric series, any sampling interval, no tuning.
 *
 * Per value, O(1) work and bounded plain-JSON state:
 *  1. learn the sampling interval from the first gaps; learn daily and weekly profiles and use
 *     them only when they cut the prediction error (seasonal.ts);
 *  2. on the deseasonalized value d, keep EW means at horizons 2…512 values; features are the
 *     one-step residual (spikes, dips), differences of neighbouring EW means (band-pass filters
 *     that respond to level shifts at three time scales and to gradual drifts — a smoothed CUSUM),
 *     short/long variance of the residual (variance changes), and runs of identical values
 *     (flatlines: stuck sensors);
 *  3. calibrate each feature into a tail probability learned from the series' own past
 *     (tail.ts), so the surprise −log10(p) means the same on every series, and take the most
 *     surprising feature;
 *  4. episodes: the score is surprise / (2·threshold), 0.5 at the threshold. Once an episode
 *     fires, further values of it are capped at half the threshold unless the surprise grows by
 *     two decades: one anomaly is one early detection, not a run of alerts. `firing` holds until
 *     `hold` consecutive quiet values.
 * Warm-up: no verdict (null) for the first `warmup` values and for a short settle after the
 * seasonal model switches.
 */
export class UnivariateDetector implements Detector<UnivariateState> {
  readonly type = 'univariate';

  constructor(private readonly p: UnivariateParams) {}

  init(): UnivariateState {
    const tails: number[] = new Array(CALIBRATED * TAIL_STRIDE);
    for (let f = 0; f < CALIBRATED; f++) {
      if (DEDH_STEP_ONLY) setDedh(f === F_STEP ? 1 : 0);
      initTail(tails, f * TAIL_STRIDE);
    }
    return {
      n: 0, last: 0, gaps: [], dt: 0, bins: 0, day: [], dayN: [], week: [], weekN: [],
      lvl: 0, lvl0: 0, mad: 0, err: [0, 0, 0, 0, 0, 0], season: 0,
      m: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], pe: [0, 0, 0], tails,
      run: 0, runMax: 0, changes: 0, lastX: 0, firing: false, peak: 0, quiet: 0, settle: 0,
    };
  }

  observe(s: UnivariateState, e: FlowEvent): Observation | null {
    const x = e.values[this.p.measurement];
    if (typeof x !== 'number') return null;
    const ts = e.ts;
    if (s.n === 0) {
      s.n = 1;
      s.last = ts;
      s.lvl = s.lvl0 = s.lastX = x;
      for (let k = 0; k < 10; k++) s.m[k] = x;
      return null;
    }
    this.learnInterval(s, ts);

    // --- seasonal model: prediction errors (before learning) and the deseasonalized value ------
    const perDay = s.dt > 0 ? DAY_MS / s.dt : 0;
    const b = s.bins > 0 ? dayBin(ts, s.bins) : -1;
    const wh = s.week.length > 0 ? weekHour(ts) : -1;
    const sd = b >= 0 && s.dayN[b] > 0 ? s.day[b] : 0;
    const sw = wh >= 0 && s.weekN[wh] > 0 ? s.week[wh] : 0;
    this.chooseSeason(s, x, sd, sw, perDay, b, wh);
    const seas0 = s.season >= 1 ? sd + (s.season === 2 ? sw : 0) : 0;
    let amp = 1;
    if (AMP && s.season >= 1) {
      const A = (s.amp ??= [0, 0]);
      if (A[1] > 0) {
        const ah = A[0] / A[1];
        amp = ah < AMP_LO ? AMP_LO : ah > AMP_HI ? AMP_HI : ah;
      }
    }
    const seasonal = amp * seas0;
    const d = x - seasonal;

    // --- features (judged before the models learn from this value) ------------------------------
    const m = s.m;
    const pe = s.pe;
    let best = 0;
    if (pe[1] < pe[best]) best = 1;
    if (pe[2] < pe[best]) best = 2;
    let pred = m[best];
    let predAr = 0;
    if (AR) {
      // AR(1) around the slow mean: the deviation from m128 decays at the learned rate φ.
      const ar = (s.ar ??= [0, 0, 0, 1e300]);
      const phi = ar[1] > 0 ? Math.max(0, Math.min(0.98, ar[0] / ar[1])) : 0;
      predAr = m[3] + phi * ar[2];
      if (ar[3] < pe[best]) pred = predAr;
    }
    const step = d - pred;
    let hs = 1;
    if (HET) {
      // [neg seen, mean u, n_lo, u_lo, v_lo, n_hi, u_hi, v_hi]
      const h = (s.het ??= [0, 0, 0, 0, 0, 0, 0, 0]);
      if (x < 0) h[0] = 1;
      if (h[0] === 0 && s.lvl0 > 0) {
        const c = HET_C * s.lvl0;
        const lev = m[3] + seasonal;
        const u = Math.log(((lev > 0 ? lev : 0) + c) / (s.lvl0 + c));
        const du = h[6] - h[3];
        let beta = 0;
        if (h[2] > 50 && h[5] > 50 && du > HET_DU && h[4] > 0 && h[7] > 0) {
          beta = Math.log(h[7] / h[4]) / du;
          beta = beta < 0 ? 0 : beta > HET_MAX ? HET_MAX : beta;
        }
        hs = Math.exp(0.5 * beta * (u - h[1]));
        const ms = s.tails[F_STEP * TAIL_STRIDE] * hs * hs;
        const r2 = ms > 0 && step * step > 9 * ms ? 9 * ms : step * step;
        h[1] += Math.max(1 / (h[2] + h[5] + 1), HET_RATE) * (u - h[1]);
        const k = u >= h[1] ? 5 : 2;
        const a = Math.max(1 / ++h[k], HET_RATE);
        h[k + 1] += a * (u - h[k + 1]);
        h[k + 2] += a * (r2 - h[k + 2]);
      }
    }
    if (LOC) {
      // local scale: EW mean square of the clipped one-step residual over ~LOC_H values, relative to the calibrator's
      const g2 = s.tails[F_STEP * TAIL_STRIDE];
      const l = (s.loc ??= [0]);
      if (g2 > 0) {
        if (!(l[0] > 0)) l[0] = g2;
        let ratio = Math.sqrt(l[0] / g2);
        ratio = ratio < LOC_LO ? LOC_LO : ratio > LOC_HI ? LOC_HI : ratio;
        hs *= LOC_MIX * ratio + (1 - LOC_MIX);
        const r2 = step * step;
        const cap = 9 * l[0];
        l[0] += (1 / LOC_H) * ((r2 < cap ? r2 : cap) - l[0]);
      }
    }
    for (let k = 0; k < 3; k++) {
      const r = d - m[k];
      pe[k] += 0.01 * (r * r - pe[k]);
    }
    if (AR) {
      const ar = s.ar!;
      const r = d - predAr;
      ar[3] = ar[3] > 1e299 ? r * r : ar[3] + 0.01 * (r * r - ar[3]);
      const dev = d - m[3];
      const rc = s.tails[F_STEP * TAIL_STRIDE] > 0 ? 3 * Math.sqrt(s.tails[F_STEP * TAIL_STRIDE]) : Infinity;
      const devc = dev > rc * 3 ? rc * 3 : dev < -rc * 3 ? -rc * 3 : dev;
      ar[0] += 0.005 * (devc * ar[2] - ar[0]);
      ar[1] += 0.005 * (devc * devc - ar[1]);
      ar[2] = devc;
    }
    for (let k = 0; k < 5; k++) m[k] += ALPHAS[k] * (d - m[k]);
    // The band-pass (shift, drift) features see the value winsorized around the prediction: one
    // outlier is the step feature's business, a shift is many values off in the same direction.
    const rms = Math.sqrt(s.tails[F_STEP * TAIL_STRIDE]) * hs;
    const cl = CLIP * rms;
    const dc = rms > 0 ? (step > cl ? pred + cl : step < -cl ? pred - cl : d) : d;
    for (let k = 5; k < 10; k++) m[k] += ALPHAS[k - 5] * (dc - m[k]);
    const short = m[6] - m[7];
    const mid = m[7] - m[8];
    const long = m[8] - m[9];
    // Flatline: identical values in a row, against the longest recent run.
    const same = x === s.lastX || Math.abs(x - s.lastX) <= 1e-12 * Math.max(1, Math.abs(x));
    if (same) s.run++;
    else {
      // A run longer than the longest recent one raises it, but an anomalous run (a stuck sensor)
      // only up to where it stops being surprising: one flatline does not hide the next.
      if (s.run > s.runMax) s.runMax = Math.min(s.run, s.runMax + (0.5 * s.runMax + 1) * RUN_GROW);
      s.run = 0;
      s.changes = (s.changes ?? 0) + 1;
    }
    s.runMax *= 1 - (perDay > 0 ? 1 / (7 * perDay) : 1 / 4000);
    s.lastX = x;

    const t = s.tails;
    const dir = this.p.direction;
    const zStep = standardize(t, F_STEP * TAIL_STRIDE, step / hs);
    const feats = EXTRA ? [step / hs, short / hs, mid / hs, long / hs, (EXTRA === 1 ? m[6] - m[9] : EXTRA === 2 ? m[7] - m[9] : m[6] - m[8]) / hs] : [step / hs, short / hs, mid / hs, long / hs];
    let L = 0;
    let cause = 0;
    for (let f = 0; f < CALIBRATED; f++) {
      const v = feats[f];
      if (((dir === 'up' && v < 0) || (dir === 'down' && v > 0))) continue;
      const o = f * TAIL_STRIDE;
      if (DEDH_STEP_ONLY) setDedh(f === F_STEP ? 1 : 0);
      let l = (f === F_STEP ? surpriseSigned(t, o, v) - 0.3 : surprisePooled(t, o, v)) * FW[f];
      if (EMP && f === F_STEP && t[o] > 0) {
        const le = surpriseEmp(s.emp!, 0, v / Math.sqrt(t[o])) - 0.3;
        if (le < l) l = le > 0 ? le : 0;
      }
      DEBUG_FEATS[f] = l;
      if (l > L) {
        L = l;
        cause = f;
      }
    }
    const flatL = s.run > s.runMax && (s.changes ?? 0) >= FLAT_MIN_CHANGES ? ((s.run - s.runMax) / (0.5 * s.runMax + 1)) * Math.LOG10E : 0;
    if (flatL > L) {
      L = flatL;
      cause = CALIBRATED;
    }
    L = L > MULTIPLICITY ? L - MULTIPLICITY : 0;
    if (RATEC) {
      // How often this series' surprise reaches RC_U decades, against how often it should.
      const rc = (s.rc ??= [0, RC_Q0, 0]);
      const nominal = RC_Q0;
      const excess = Math.log10(rc[1] / nominal);
      const corr = excess > 0 ? RC_K * excess : RATEC === 2 ? RC_K * excess : 0;
      const Lraw = L;
      if (cause !== CALIBRATED) L = L - corr > 0 ? L - corr : 0;
      if (s.n > this.p.warmup) {
        const a = Math.max(1 / (rc[0]++ + RC_N0), RC_RATE);
        rc[1] += a * ((Lraw >= RC_U && rc[2] < RC_U ? 1 : 0) - rc[1]);
        rc[2] = Lraw;
      }
    }
    if (LIK) {
      if (!s.lik) { s.lik = []; initLik(s.lik, 0); }
      const L2 = surpriseLik(s.lik, 0, L);
      if (s.peak === 0) learnLik(s.lik, 0, L, LIK_SLOW, 0.02);
      if (cause !== CALIBRATED) L = LIK === 1 ? L2 : LIK === 2 ? 0.5 * (L + L2) : Math.min(L, L2);
    }

    // --- learn ----------------------------------------------------------------------------------
    if (EMP) {
      if (!s.emp) {
        s.emp = [];
        initEmp(s.emp, 0);
      }
      const ms = t[F_STEP * TAIL_STRIDE];
      if (ms > 0) learnEmp(s.emp, 0, feats[F_STEP] / Math.sqrt(ms));
    }
    for (let f = 0; f < CALIBRATED; f++) {
      if (DEDH_STEP_ONLY) setDedh(f === F_STEP ? 1 : 0);
      learnTail(t, f * TAIL_STRIDE, feats[f], RATES, s.peak > 0 ? EP_SCALE_W : 1);
    }
    if (AMP && s.season >= 1 && s.amp) {
      // Today's amplitude of the profile: EW regression of (x − level) on the profile, memory ~AMP_H day.
      const A = s.amp;
      const r = x - s.lvl;
      const e = r - amp * seas0;
      const c = s.mad > 0 ? 5 * s.mad : Infinity;
      const rc = amp * seas0 + (e > c ? c : e < -c ? -c : e);
      const a = 1 / (AMP_H * perDay);
      A[0] += a * (rc * seas0 - A[0]);
      A[1] += a * (seas0 * seas0 - A[1]);
    }
    this.learnSeason(s, x, b, wh, sd, sw, perDay, ts);
    s.n++;
    s.last = ts;
    if (s.n <= this.p.warmup || s.settle > 0) {
      if (s.settle > 0) s.settle--;
      return null;
    }

    // --- episodes -------------------------------------------------------------------------------
    const lim = this.p.threshold;
    let reported = L;
    if (s.peak === 0) {
      if (L > EPISODE) {
        s.peak = L;
        s.quiet = 0;
        if (L >= lim) s.firing = true;
      }
    } else {
      const escalates = L > s.peak + 1 && (L > 2 * s.peak || (s.peak < lim && L >= lim));
      if (escalates) {
        s.peak = L;
        if (L >= lim) s.firing = true;
      } else if (reported > EPISODE) reported = EPISODE;
      if (L < EPISODE) {
        ++s.quiet;
        if (s.quiet >= this.p.hold) s.firing = false;
        if (s.quiet >= this.p.hold && s.quiet >= REFRACT) s.peak = 0;
      } else s.quiet = 0;
      if (s.firing && L < 0.5 * lim) {
        if (s.quiet >= this.p.hold) s.firing = false;
      }
    }
    const score = reported >= 2 * lim ? 1 : reported / (2 * lim);
    const sigma = Math.sqrt(t[F_STEP * TAIL_STRIDE]);
    const baseline = (cause === F_STEP || cause === CALIBRATED ? pred : m[4]) + seasonal;
    return {
      score,
      firing: s.firing,
      evidence: {
        measure: this.p.measurement,
        value: x,
        baseline,
        deviation: sigma > 0 ? (x - baseline) / sigma : null,
        unit: 'sigma',
        limit: lim,
        window: { start: ts, end: ts },
        detail: {
          cause: cause === F_STEP ? (step < 0 ? 'dip' : 'spike') : CAUSES[cause],
          surprise: round3(L),
          p: Number((10 ** -L).toPrecision(3)),
          z: round3(Math.sqrt(zStep)),
          season: s.season === 2 ? 'daily+weekly' : s.season === 1 ? 'daily' : 'none',
          interval_s: s.dt / 1000,
          n: s.n,
        },
      },
    };
  }

  /** Median of the first gaps; then bins and profile arrays are allocated once. */
  private learnInterval(s: UnivariateState, ts: number): void {
    if (s.dt > 0) return;
    const gap = ts - s.last;
    if (gap > 0) s.gaps.push(gap);
    if (s.gaps.length < INTERVAL_SAMPLES) return;
    s.dt = median(s.gaps);
    s.gaps = [];
    if (this.p.seasonality === 'none') return;
    s.bins = dayBins(s.dt);
    if (s.bins > 0) {
      s.day = new Array(s.bins).fill(0);
      s.dayN = new Array(s.bins).fill(0);
      s.pinit = ts;
      if (s.dt <= 3_600_000) {
        s.week = new Array(WEEK_HOURS).fill(0);
        s.weekN = new Array(WEEK_HOURS).fill(0);
      }
    }
  }

  /** Switches profiles on when they clearly cut the prediction error, off when they stop doing so. */
  private chooseSeason(s: UnivariateState, x: number, sd: number, sw: number, perDay: number, b: number, wh: number): void {
    if (s.bins === 0 || (s.pinit ?? 0) > 0) return;
    const err = s.err;
    // Paired comparisons, each over the values where the richer model has something to say:
    // level vs level + daily once the bin was seen (memory ~2 days); daily vs daily + weekly once
    // the weekly offsets learn (memory ~a week).
    if (b >= 0 && s.dayN[b] > 0) {
      const r0 = x - s.lvl0;
      const r1 = x - s.lvl - sd;
      const a = Math.max(1 / ++err[4], 1 / (2 * perDay));
      err[0] += a * (clipSq(r0, err[0], err[4]) - err[0]);
      err[1] += a * (clipSq(r1, err[1], err[4]) - err[1]);
    }
    if (wh >= 0 && s.weekN[wh] > 0) {
      const r1 = x - s.lvl - sd;
      const r2 = r1 - sw;
      const a = Math.max(1 / ++err[5], 1 / (7 * perDay));
      err[2] += a * (clipSq(r1, err[2], err[5]) - err[2]);
      err[3] += a * (clipSq(r2, err[3], err[5]) - err[3]);
    }
    const forced = this.p.seasonality;
    let want = s.season;
    if (forced === 'daily') want = s.n >= perDay ? 1 : 0;
    else if (forced === 'weekly') want = s.n >= 7 * perDay && s.week.length > 0 ? 2 : s.n >= perDay ? 1 : 0;
    else {
      const canWeek = s.week.length > 0 && s.n >= 14 * perDay;
      const weekGain = err[2] > 0 ? err[3] / err[2] : 1;
      const weekly = canWeek && (s.season === 2 ? weekGain < 0.95 : weekGain < 0.75);
      const eSeas = weekly ? err[1] * weekGain : err[1];
      const seasonal = s.season >= 1 ? eSeas < 0.9 * err[0] : s.n >= 1.5 * perDay && err[4] >= 0.5 * perDay && eSeas < 0.6 * err[0];
      want = seasonal ? (weekly ? 2 : 1) : 0;
    }
    if (want !== s.season && want >= 1 && s.season >= 1 && SOFT_WEEK) {
      // Daily ⇄ daily + weekly: the weekly offsets are small corrections; shift the means by the
      // current offset and keep the calibration.
      const delta = want === 2 ? sw : -sw;
      for (let k = 0; k < 10; k++) s.m[k] -= delta;
      s.season = want;
    } else if (want !== s.season) {
      // The deseasonalized series changes definition: restart its means at the new value.
      const seasonal = want >= 1 ? sd + (want === 2 ? sw : 0) : 0;
      for (let k = 0; k < 10; k++) s.m[k] = x - seasonal;
      for (let f = 0; f < CALIBRATED; f++) {
        if (FULL_RESET) initTail(s.tails, f * TAIL_STRIDE);
        else resetScale(s.tails, f * TAIL_STRIDE);
      }
      s.season = want;
      s.settle = SETTLE;
    }
  }

  /** The level-only model (the reference a profile must beat), Huber-clipped like the others. */
  private learnLevel0(s: UnivariateState, x: number, a: number): void {
    const r = x - s.lvl0;
    if (!ROBUST_L0) {
      s.lvl0 += a * r;
      return;
    }
    const mad0 = s.mad0 ?? 0;
    if (L0_START) a = Math.max(a, 1 / (s.n + 1));
    const clip = mad0 > 0 && s.n > 10 ? 5 * mad0 : Infinity;
    const abs = r < 0 ? -r : r;
    s.lvl0 += a * (r > clip ? clip : r < -clip ? -clip : r);
    s.mad0 = mad0 + a * ((abs < clip ? abs : clip) - mad0);
  }

  private learnSeason(s: UnivariateState, x: number, b: number, wh: number, sd: number, sw: number, perDay: number, ts: number): void {
    if ((s.pinit ?? 0) > 0) {
      // The first day: each bin averages its raw values; then the profile is centred on the
      // day's mean, which becomes the level (profile and level start from one reference).
      this.learnLevel0(s, x, Math.min(0.05, 3 / perDay));
      if (b >= 0) s.day[b] += (x - s.day[b]) / ++s.dayN[b];
      if (ts - s.pinit! >= DAY_MS) {
        let sum = 0;
        let k = 0;
        for (let i = 0; i < s.bins; i++) if (s.dayN[i] > 0) ((sum += s.day[i]), k++);
        const mean = k > 0 ? sum / k : x;
        for (let i = 0; i < s.bins; i++) if (s.dayN[i] > 0) s.day[i] -= mean;
        s.lvl = mean;
        s.mad = 0;
        s.pinit = 0;
      }
      return;
    }
    const resid = x - s.lvl - sd - sw;
    const absR = resid < 0 ? -resid : resid;
    const clip = s.mad > 0 ? 5 * s.mad : Infinity;
    const rc = resid > clip ? clip : resid < -clip ? -clip : resid;
    const aL = perDay > 0 ? Math.min(0.05, 3 / perDay) : Math.max(0.02, 1 / (s.n + 1));
    s.mad += (perDay > 0 ? aL : 0.05) * ((absR < clip ? absR : clip) - s.mad);
    // Gauss–Seidel: each component learns what the ones before it left of the residual.
    s.lvl += aL * rc;
    let r = rc * (1 - aL);
    this.learnLevel0(s, x, aL);
    if (b >= 0) {
      const perBin = perDay / s.bins;
      const n = ++s.dayN[b];
      const g = Math.max(0.15 / perBin, 1 / n);
      // A bin's first days learn unclipped: a sharp daily edge is not an outlier.
      const rb = n <= UNCLIPPED_DAYS * perBin ? resid * (1 - aL) : r;
      s.day[b] += g * rb;
      r = rb * (1 - g);
    }
    // Weekly offsets learn, slowly, what the daily profile leaves, once it has a week behind it
    // (earlier they would soak up the daily shape itself).
    if (wh >= 0 && s.n >= 7 * perDay) {
      const perHour = 3_600_000 / s.dt;
      s.weekN[wh]++;
      s.week[wh] += Math.min(0.5, 0.25 / perHour) * r;
    }
  }
}

/** r², clipped at 9× the running mean once it has a few values behind it: one anomaly barely moves a model choice. */
function clipSq(r: number, ms: number, count: number): number {
  const r2 = r * r;
  return count > 10 && r2 > 9 * ms ? 9 * ms : r2;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
