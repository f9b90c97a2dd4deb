import type { Evidence, FlowEvent, ForecastEvidence, Observation } from '../../kernel/types';
import type { Detector } from '../types';
import { boundScore } from '../scoring';
import { addPoint, dampedReach, excessArea, firstCrossing, fit, newRegression, normalCdf, rebaseY, shift, varianceFactor } from './model';
import { normalQuantile } from '../normal-quantile';

/** Local bindings: inside jest's sandbox every global Math.* lookup is slow; these are looked up once. */
const { exp, sqrt, abs } = Math;

export interface ForecastParams {
  measurement: string;
  mode: 'level' | 'exposure' | 'total';
  limit: number;
  side: 'above' | 'below';
  horizon: number;
  interval: number;
  halflife?: number;
  damping: number;
  warmup?: number;
  min_std: number;
  clear_horizon?: number;
  base?: number;
  period?: number;
  unit?: string;
}

/** Layout version of the state; another version (an older release) starts afresh. */
export const STATE_VERSION = 1;

/** Plain-JSON state, 22 numbers + a flag per key whatever the history. */
export interface ForecastState {
  v: number;
  /** Values seen, time of the latest (ms), the latest value. */
  n: number;
  t: number;
  last: number;
  /** Regression sums (model.ts), value reference y0. level/exposure modes. */
  r: number[];
  y0: number;
  /** Noise variance around the local line, and the number of errors it has learned from. */
  s2: number;
  ns: number;
  /**
   * total mode: EW count of amounts in time (decay λ) and of squared weights (decay 2λ); mean
   * amount and mean squared amount over the last ~AMOUNT_MEMORY amounts; time of the first value.
   */
  pn: number;
  pn2: number;
  am: number;
  aq: number;
  t0: number;
  /** exposure/total: accumulated amount in the current period, and the period's index. */
  acc: number;
  per: number;
  /** Warning or breach in progress; event time the episode began and the limit was first crossed in it (0: not yet). */
  firing: boolean;
  since: number;
  breachAt: number;
}

const MIN = 60_000;
/** Grid points over twice the horizon (the firing test uses the first half). */
const GRID = 16;
/** Huber clip of one-step errors entering the regression and the noise estimate, in σ. */
const CLIP = 4;
/** The noise estimate remembers this many regression half-lives. */
const NOISE_MEMORY = 4;
/** total mode: the mean amount remembers about this many amounts. */
const AMOUNT_MEMORY = 8;

/**
 * Early warning before a limit is crossed (docs/forecast.md). Per event O(GRID) arithmetic on a
 * bounded state; the only allocations are the returned observation (with the forecast path while
 * warning or breached).
 */
export class ForecastDetector implements Detector<ForecastState> {
  readonly type = 'forecast';
  private readonly sideSign: number;
  private readonly z: number;
  private readonly pFire: number;
  private readonly lambda: number; // per minute
  private readonly kappa: number; // per minute
  private readonly hMin: number; // horizon, minutes
  private readonly clearMin: number;
  private readonly hs: Float64Array; // grid, minutes
  private readonly reach: Float64Array; // damped reach of the grid
  private readonly f = [0, 0, 0, 0, 0, 0];
  private readonly mid = new Float64Array(GRID + 1);
  private readonly near = new Float64Array(GRID + 1);
  private readonly far = new Float64Array(GRID + 1);
  private readonly sd = new Float64Array(GRID + 1);
  // The current verdict's fit (scratch, like the paths above): level, trend (total: pace) per minute, noise σ.
  private level = NaN;
  private trend = NaN;
  private noise = NaN;
  private readonly measureName: string;
  private readonly limitText: string;
  private readonly clearText: string;
  private readonly warmup: number;
  private readonly halflifeMin: number;
  private readonly stepMs: number;
  private cDt = 0;
  private cG = 1;
  private cGn = 1;

  constructor(private readonly p: ForecastParams) {
    this.sideSign = p.side === 'below' ? -1 : 1;
    this.warmup = p.warmup ?? (p.mode === 'total' ? 5 : 20);
    this.z = normalQuantile(0.5 + p.interval / 2);
    this.pFire = (1 - p.interval) / 2;
    const halflife = p.halflife ?? p.horizon / 6;
    this.lambda = Math.LN2 / (halflife / MIN);
    this.halflifeMin = halflife / MIN;
    this.stepMs = p.horizon / (GRID / 2);
    this.kappa = p.damping > 0 ? Math.LN2 / (p.damping / MIN) : 0;
    this.hMin = p.horizon / MIN;
    this.clearMin = (p.clear_horizon ?? 1.5 * p.horizon) / MIN;
    this.hs = new Float64Array(GRID + 1);
    this.reach = new Float64Array(GRID + 1);
    for (let k = 0; k <= GRID; k++) {
      this.hs[k] = (k * 2 * this.hMin) / GRID;
      this.reach[k] = dampedReach(this.hs[k], this.kappa);
    }
    this.measureName = p.mode === 'level' ? p.measurement : p.mode === 'exposure' ? `exposure(${p.measurement})` : `sum(${p.measurement})`;
    this.limitText = `${fmt(p.limit)}${p.unit ? ' ' + p.unit : ''}`;
    this.clearText = `no breach of ${this.limitText} forecast within ${minutes(this.hMin)}`;
  }

  init(first: FlowEvent): ForecastState {
    return {
      v: STATE_VERSION,
      n: 0,
      t: first.ts,
      last: 0,
      r: newRegression(),
      y0: 0,
      s2: 0,
      ns: 0,
      pn: 0,
      pn2: 0,
      am: 0,
      aq: 0,
      t0: first.ts,
      acc: 0,
      per: this.periodOf(first.ts),
      firing: false,
      since: 0,
      breachAt: 0,
    };
  }

  observe(s: ForecastState, e: FlowEvent): Observation | null {
    const x = e.values[this.p.measurement];
    if (typeof x !== 'number') return null;
    // Out-of-order values count at the latest time: the model never moves back in time.
    const ts = e.ts > s.t ? e.ts : s.t;
    const dt = s.n > 0 ? (ts - s.t) / MIN : 0;
    const mode = this.p.mode;
    if (mode !== 'level') {
      const per = this.periodOf(ts);
      if (per !== s.per) {
        s.per = per;
        s.acc = 0;
      }
      if (mode === 'total') s.acc += x;
      else if (s.n > 0) s.acc += excessArea(this.sideSign * s.last, this.sideSign * x, this.sideSign * this.p.base!, dt);
    }
    if (mode === 'total') this.learnPace(s, x, dt);
    else this.learnLevel(s, x, dt);
    s.t = ts;
    s.last = x;
    s.n++;
    if (s.n < this.warmup) return null;
    return this.judge(s, ts, 0, mode === 'level' ? x : s.acc);
  }

  /**
   * Time passing changes two verdicts: a budget resets at the period's end (exposure, total with a
   * period), and in total mode a warning's pace decays while no amounts come (re-judged every grid
   * step, horizon/8, from the latest amount). A level forecast stands until the next value.
   */
  nextTimer(s: ForecastState, after: number): number {
    if (s.n < this.warmup) return Infinity;
    const period = this.p.period;
    let next = Infinity;
    if (period !== undefined && s.acc !== 0) next = (s.per + 1) * period;
    if (this.p.mode === 'total' && s.firing && s.breachAt === 0) {
      const step = this.stepMs;
      const k = Math.floor((after - s.t) / step) + 1;
      const t = s.t + (k > 1 ? k : 1) * step;
      if (t < next) next = t;
    }
    return next > after ? next : Infinity;
  }

  advance(s: ForecastState, at: number): Observation | null {
    if (s.n < this.warmup || at <= s.t) return null;
    if (this.p.period !== undefined && this.periodOf(at) !== s.per) {
      s.per = this.periodOf(at);
      s.acc = 0;
      return this.judge(s, at, (at - s.t) / MIN, 0);
    }
    if (this.p.mode === 'total' && s.firing) return this.judge(s, at, (at - s.t) / MIN, s.acc);
    return null;
  }

  private periodOf(ts: number): number {
    return this.p.period === undefined ? 0 : Math.floor(ts / this.p.period);
  }

  /** One value into the regression (Huber-clipped one-step error) and the noise estimate. */
  private learnLevel(s: ForecastState, x: number, dt: number): void {
    const r = s.r;
    const f = this.f;
    if (s.n === 0) {
      s.y0 = x;
      addPoint(r, 0);
      return;
    }
    let y = x - s.y0;
    if (s.n >= 3 && fit(r, f)) {
      const reach = dampedReach(dt, this.kappa);
      const pred = f[0] + f[1] * reach;
      const err = y - pred;
      const vf = varianceFactor(f, reach);
      const sigma = sqrt(s.s2);
      const warm = s.ns >= this.warmup;
      let q = (err * err) / (1 + vf);
      if (warm && q > CLIP * CLIP * s.s2) q = CLIP * CLIP * s.s2;
      const a = Math.max(1 / (s.ns + 1), 1 - this.decay(dt, 1));
      s.s2 += a * (q - s.s2);
      s.ns++;
      if (warm && sigma > 0) {
        const lim = CLIP * sigma;
        if (err > lim) y = pred + lim;
        else if (err < -lim) y = pred - lim;
      }
    }
    shift(r, dt, this.decay(dt, 0));
    addPoint(r, y);
    // Keep the values referenced to their weighted mean: the sums stay small at any level.
    const delta = r[3] / r[0];
    s.y0 += delta;
    rebaseY(r, delta);
  }

  /**
   * e^{−λ·dt} (which 0) and e^{−λ·dt/NOISE_MEMORY} (which 1), cached for the last gap: most
   * series are sampled at a fixed interval, so this is one exp per distinct gap, not per event.
   */
  private decay(dt: number, which: number): number {
    if (dt !== this.cDt) {
      this.cDt = dt;
      this.cG = exp(-this.lambda * dt);
      this.cGn = exp((-this.lambda / NOISE_MEMORY) * dt);
    }
    return which === 0 ? this.cG : this.cGn;
  }

  /**
   * total mode: the pace is how often amounts come (an EW count in time: short memory, follows a
   * ramp) times how large they are (a mean over the last ~AMOUNT_MEMORY amounts: one large payment
   * is one payment, not a pace).
   */
  private learnPace(s: ForecastState, x: number, dt: number): void {
    if (dt > 0) {
      const g = this.decay(dt, 0);
      s.pn *= g;
      s.pn2 *= g * g;
    }
    s.pn += 1;
    s.pn2 += 1;
    const a = Math.max(1 / (s.n + 1), 1 / AMOUNT_MEMORY);
    s.am += a * (x - s.am);
    s.aq += a * (x * x - s.aq);
  }

  /**
   * The verdict at event time `ts`, `d` minutes after the latest value: the forecast paths over
   * the grid (central, near and far bound), the first crossing of each, breach and warning.
   * The paths are written into the detector's scratch arrays (mid, near, far, sd) and the fitted
   * level, trend and noise into scratch fields: nothing is allocated per event but the verdict.
   */
  private judge(s: ForecastState, ts: number, d: number, value: number): Observation | null {
    const n = this.gridSize(s, ts);
    this.level = NaN;
    this.trend = NaN;
    this.noise = NaN;
    if (this.p.mode === 'total') this.totalPaths(s, ts, d, value, n);
    else {
      const f = this.f;
      if (!fit(s.r, f)) return null;
      const clear = this.levelPaths(s, f, d, value, n, ts);
      if (clear) return clear;
      if (this.p.mode === 'exposure') this.exposurePaths(value, n);
    }
    return this.verdict(s, ts, value, n);
  }

  /** Grid points to judge: all, or those before the end of the budget's period (nothing beyond it can breach). */
  private gridSize(s: ForecastState, ts: number): number {
    const p = this.p;
    let n = GRID + 1;
    if (p.period !== undefined && p.mode !== 'level') {
      const left = ((s.per + 1) * p.period - ts) / MIN;
      while (n > 2 && this.hs[n - 1] > left) n--;
    }
    return n;
  }

  /**
   * total mode — compound-Poisson pace: amounts come at intensity ν = λ·N (N corrected for a
   * history shorter than the weights reach), of mean size m̄ and mean square q̄. Rate ν·m̄ with
   * Var = m̄²·λ²·N₂ (the count's own uncertainty), and the future amounts over h add ν·q̄·h.
   */
  private totalPaths(s: ForecastState, ts: number, d: number, value: number, n: number): void {
    const { mid, near, far, sd, hs, z } = this;
    const lam = this.lambda;
    const g = d > 0 ? exp(-lam * d) : 1;
    const age = (ts - s.t0) / MIN;
    // A history shorter than the weights reach (a new key) is scaled up, but as if it were at
    // least a half-life long: a key's clock starts with its first amount, so a shorter span
    // would turn one payment into a pace.
    const cover = 1 - exp(-lam * (age > this.halflifeMin ? age : this.halflifeMin));
    // The latest amount is why the pace is judged now (a verdict follows each amount): it is
    // no evidence of the rate, and counting it would make every payment look like the start
    // of a spree. So the count leaves it out (inspection paradox): E[N − 1] = ν/λ just after an amount.
    const nu = (lam * g * (s.pn > 1 ? s.pn - 1 : 0)) / cover;
    const varRate = (s.am * s.am * lam * lam * g * g * (s.pn2 > 1 ? s.pn2 - 1 : 0)) / (cover * cover);
    const fut = nu * s.aq;
    const rate = nu * s.am;
    this.trend = rate;
    for (let k = 0; k < n; k++) {
      const h = hs[k];
      const m = value + rate * h;
      const sdk = sqrt(varRate * h * h + fut * h);
      mid[k] = m;
      sd[k] = sdk;
      near[k] = m + z * sdk;
      far[k] = m - z * sdk;
    }
  }

  /**
   * level and exposure modes: the fitted level path and its bounds. Returns the clear verdict at
   * once when even the near bound stays clear of the limit over the whole grid (the common case).
   */
  private levelPaths(s: ForecastState, f: number[], d: number, value: number, n: number, ts: number): Observation | null {
    const p = this.p;
    const side = this.sideSign;
    const { mid, near, far, sd, hs, z } = this;
    const floor = Math.max(p.min_std, 1e-9 * Math.max(1, abs(s.y0)));
    const sigma = Math.max(sqrt(s.s2), floor);
    this.noise = sigma;
    this.level = s.y0 + f[0];
    this.trend = f[1];
    if (!(side * (value - p.limit) > 0) && this.farFromLimit(s, f, sigma, d, n, value)) {
      const half = GRID / 2 < n ? GRID / 2 : n - 1;
      const rH = d > 0 ? dampedReach(d + hs[half], this.kappa) : this.reach[half];
      const mH = s.y0 + f[0] + f[1] * rH;
      let conf = 0;
      if (p.mode === 'level') {
        const sdH = sigma * sqrt(varianceFactor(f, rH));
        conf = sdH > 0 ? normalCdf((side * (mH - p.limit)) / sdH) : 0;
      }
      const baseline = p.mode === 'level' ? mH : value + excessArea(side * this.level, side * mH, side * p.base!, hs[half]);
      return this.clearVerdict(s, ts, value, conf, baseline);
    }
    for (let k = 0; k < n; k++) {
      const reach = d > 0 ? dampedReach(d + hs[k], this.kappa) : this.reach[k];
      const m = s.y0 + f[0] + f[1] * reach;
      const sdk = sigma * sqrt(varianceFactor(f, reach));
      mid[k] = m;
      sd[k] = sdk;
      near[k] = m + side * z * sdk;
      far[k] = m - side * z * sdk;
    }
    return null;
  }

  /** exposure mode: the accumulated amount plus the excess area under each level path. */
  private exposurePaths(value: number, n: number): void {
    const { mid, near, far, hs } = this;
    const side = this.sideSign;
    const base = side * this.p.base!;
    let pm = mid[0];
    let pn = near[0];
    let pf = far[0];
    mid[0] = near[0] = far[0] = value;
    for (let k = 1; k < n; k++) {
      const dh = hs[k] - hs[k - 1];
      const cm = mid[k];
      const cn = near[k];
      const cf = far[k];
      mid[k] = mid[k - 1] + excessArea(side * pm, side * cm, base, dh);
      near[k] = near[k - 1] + excessArea(side * pn, side * cn, base, dh);
      far[k] = far[k - 1] + excessArea(side * pf, side * cf, base, dh);
      pm = cm;
      pn = cn;
      pf = cf;
    }
  }

  /** Confidence: the chance the forecast is beyond the limit at its most likely grid time within the horizon. */
  private confidence(n: number, accSide: number): number {
    const { mid, near, far, sd } = this;
    const L = this.p.limit;
    let best = -Infinity;
    const kMax = n - 1 < GRID / 2 ? n - 1 : GRID / 2;
    if (this.p.mode !== 'exposure') {
      for (let k = 0; k <= kMax; k++) {
        const zk = sd[k] > 0 ? (accSide * (mid[k] - L)) / sd[k] : accSide * (mid[k] - L) >= 0 ? Infinity : -Infinity;
        if (zk > best) best = zk;
      }
    } else {
      // Exposure paths are monotone: the spread at the horizon is half the gap between the bounds.
      const spread = (near[kMax] - far[kMax]) / (2 * this.z);
      best = spread > 0 ? (mid[kMax] - L) / spread : mid[kMax] >= L ? Infinity : -Infinity;
    }
    return best === Infinity ? 1 : best === -Infinity ? 0 : normalCdf(best);
  }

  /** From the paths: crossings, breach or warning (kept in the key's state), score and evidence. */
  private verdict(s: ForecastState, ts: number, value: number, n: number): Observation {
    const p = this.p;
    const L = p.limit;
    const accSide = p.mode === 'level' ? this.sideSign : 1;
    const tNear = firstCrossing(this.hs, this.near, n, L, accSide);
    const tMid = firstCrossing(this.hs, this.mid, n, L, accSide);
    const tFar = firstCrossing(this.hs, this.far, n, L, accSide);
    const confidence = this.confidence(n, accSide);
    const breached = accSide * (value - L) > 0;
    const warn = tNear <= (s.firing ? this.clearMin : this.hMin);
    const firing = breached || warn;
    if (firing && !s.firing) s.since = ts;
    if (!firing) {
      s.since = 0;
      s.breachAt = 0;
    } else if (breached && s.breachAt === 0) s.breachAt = ts;
    s.firing = firing;

    let score: number;
    if (breached) score = 0.75 + 0.5 * (boundScore(value, L, p.side) - 0.5);
    else if (tNear <= this.hMin) score = 0.5 + 0.25 * (1 - tNear / this.hMin);
    else score = Math.min(0.499, (0.5 * confidence) / this.pFire);
    const phase = breached ? 'breached' : firing ? 'warning' : 'clear';
    const detail = this.detail(s, phase, confidence, tNear, tMid, tFar);
    detail.forecast = firing ? this.text(phase, tNear, tMid, tFar, s) : this.clearText;
    const half = GRID / 2;
    const evidence: Evidence = {
      measure: this.measureName,
      value,
      baseline: this.mid[half < n ? half : n - 1],
      deviation: value - L,
      unit: 'abs',
      limit: L,
      window: { start: p.mode !== 'level' && p.period !== undefined ? s.per * p.period : ts, end: ts },
      detail,
    };
    if (firing) evidence.forecast = this.outlook(ts, n, confidence, tNear, tMid, tFar);
    return { score: score < 0 ? 0 : score > 1 ? 1 : score, firing, evidence };
  }

  /** The evidence's numbers: phase, confidence, the three crossing times, the fit (or the pace). */
  private detail(
    s: ForecastState,
    phase: string,
    confidence: number,
    tNear: number,
    tMid: number,
    tFar: number,
  ): Record<string, number | string> {
    const detail: Record<string, number | string> = { phase, confidence: round3(confidence), horizon_s: this.p.horizon / 1000 };
    if (Number.isFinite(tMid)) detail.time_to_breach_s = Math.round(tMid * 60);
    if (Number.isFinite(tNear)) detail.earliest_s = Math.round(tNear * 60);
    if (Number.isFinite(tFar)) detail.latest_s = Math.round(tFar * 60);
    if (this.p.mode === 'total') detail.pace_per_min = this.trend;
    else {
      detail.level = this.level;
      detail.trend_per_min = this.trend;
      detail.noise = this.noise;
    }
    if (phase === 'breached' && s.since > 0 && s.since < s.breachAt) detail.warned_s = Math.round((s.breachAt - s.since) / 1000);
    return detail;
  }

  /**
   * True when the near bound cannot reach the limit anywhere on the grid: the forecast level is
   * linear in the reach and its variance a convex quadratic in it, so over the grid the near bound
   * is at most the larger end value plus z times the larger end spread (exposure: that excess over
   * the base for the whole grid on top of what is accumulated).
   */
  private farFromLimit(s: ForecastState, f: number[], sigma: number, d: number, n: number, value: number): boolean {
    const side = this.sideSign;
    const last = n - 1;
    const r0 = d > 0 ? dampedReach(d, this.kappa) : 0;
    const rE = d > 0 ? dampedReach(d + this.hs[last], this.kappa) : this.reach[last];
    const m0 = side * (s.y0 + f[0] + f[1] * r0);
    const mE = side * (s.y0 + f[0] + f[1] * rE);
    const v0 = varianceFactor(f, r0);
    const vE = varianceFactor(f, rE);
    const top = (m0 > mE ? m0 : mE) + this.z * sigma * sqrt(v0 > vE ? v0 : vE);
    if (this.p.mode === 'level') return top < side * this.p.limit;
    const excess = top - side * this.p.base!;
    return value + (excess > 0 ? excess * this.hs[last] : 0) < this.p.limit;
  }

  /** The verdict when no bound comes near the limit (the common case): no path, a constant phrase. */
  private clearVerdict(s: ForecastState, ts: number, value: number, confidence: number, baseline: number): Observation {
    const p = this.p;
    s.firing = false;
    s.since = 0;
    s.breachAt = 0;
    return {
      score: Math.min(0.499, (0.5 * confidence) / this.pFire),
      firing: false,
      evidence: {
        measure: this.measureName,
        value,
        baseline,
        deviation: value - p.limit,
        unit: 'abs',
        limit: p.limit,
        window: { start: p.mode !== 'level' && p.period !== undefined ? s.per * p.period : ts, end: ts },
        detail: {
          phase: 'clear',
          confidence: round3(confidence),
          horizon_s: p.horizon / 1000,
          level: this.level,
          trend_per_min: this.trend,
          noise: this.noise,
          forecast: this.clearText,
        },
      },
    };
  }

  private outlook(ts: number, n: number, confidence: number, tNear: number, tMid: number, tFar: number): ForecastEvidence {
    const path: ForecastEvidence['path'] = [];
    const side = this.p.mode === 'level' ? this.sideSign : 1;
    for (let k = GRID / 8; k <= GRID / 2 && k < n; k += GRID / 8) {
      const a = this.near[k];
      const b = this.far[k];
      path.push({
        ts: ts + Math.round(this.hs[k] * MIN),
        value: round4(this.mid[k]),
        lo: round4(side > 0 ? b : a),
        hi: round4(side > 0 ? a : b),
      });
    }
    const secs = (m: number) => (Number.isFinite(m) ? Math.round(m * 60) : null);
    return {
      limit: this.p.limit,
      side: this.p.side,
      horizon_s: this.p.horizon / 1000,
      interval: this.p.interval,
      confidence: round3(confidence),
      time_to_breach_s: secs(tMid),
      earliest_s: secs(tNear),
      latest_s: secs(tFar),
      at: ts,
      path,
    };
  }

  /** The phrase summaries use: "forecast to pass 4.0 in ~12 min (80% interval 9–16 min)". */
  private text(phase: string, tNear: number, tMid: number, tFar: number, s: ForecastState): string {
    const lim = this.limitText;
    const budget = this.p.mode !== 'level';
    const pct = `${Math.round(this.p.interval * 100)}%`;
    const beyond = `over ${minutes(2 * this.hMin)}`;
    if (phase === 'breached') {
      const lead = s.since > 0 && s.since < s.breachAt ? `; forecast ${minutes((s.breachAt - s.since) / MIN)} ahead` : '';
      return budget ? `budget ${lim} used up${lead}` : `${this.p.side === 'below' ? 'below' : 'past'} the limit ${lim}${lead}`;
    }
    const verb = budget ? 'use up' : this.p.side === 'below' ? 'fall below' : 'pass';
    if (phase === 'warning') {
      if (!Number.isFinite(tMid))
        return `could ${verb} ${lim} in ~${minutes(tNear)} at the earliest (${pct} interval; central forecast ${beyond})`;
      const hi = Number.isFinite(tFar) ? minutes(tFar) : beyond;
      const lo = minutes(tNear);
      // "9–16 min" when both ends are in minutes, else both with their units.
      const short = lo.endsWith(' min') && hi.endsWith(' min') && !hi.startsWith('over') ? lo.slice(0, -4) : lo;
      return `forecast to ${verb} ${lim} in ~${minutes(tMid)} (${pct} interval ${short}–${hi})`;
    }
    return this.clearText;
  }
}

/** "12 min", "40 s", "2.5 h". */
function minutes(m: number): string {
  if (m < 1.5) return `${Math.round(m * 60)} s`;
  if (m >= 120) return `${(m / 60).toFixed(1)} h`;
  return `${Math.round(m)} min`;
}

/** Numbers as summaries print them (alerts/summary.ts fmt). */
function fmt(n: number): string {
  const a = abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function round4(x: number): number {
  if (!Number.isFinite(x)) return x;
  const a = abs(x);
  if (a === 0) return 0;
  return Number(x.toPrecision(a >= 1e4 ? 10 : 5));
}
