/**
 * Window-based early-detection scoring, as the Numenta Anomaly Benchmark (NAB v1.1) scores it, so
 * the numbers compare with the published ones (windowed Gaussian 40, random cut forest 52, Skyline
 * 58, HTM and CAD-OSE 70, best known 75 — standard profile). Semantics follow NAB's
 * `nab/sweeper.py` (`calcSweepScore`, `calcScoreByThreshold`) and the normalisation of
 * `nab/runner.py`; the exact formulas are in docs/backtest.md.
 *
 * Per row i of a file (rows in the probationary first min(⌊0.15·n⌋, 750) rows are not scored):
 *  - inside a labelled window [a, b] (row indices):   y = −(b − i + 1)/(b − a + 1) ∈ [−1, 0)
 *        reward = tpWeight · σ̃(y) / σ̃(−1)           (earliest row of the window ≈ 1)
 *  - outside, after window [a′, b′]:                  y = |i − b′| / (b′ − a′)  (width − 1)
 *        cost  = fpWeight · σ̃(y)                      (negative; cheap right after a window)
 *  - outside, before any window:                      cost = −fpWeight
 *  where σ̃(y) = 2/(1 + e^{5y}) − 1 (and −1 for y ≥ 3), NAB's scaled sigmoid.
 * A detection is a row whose anomaly score ≥ threshold. Raw score of a threshold = Σ over windows
 * of (the best reward among its detected rows, else −fnWeight) + Σ costs of detected rows outside
 * windows. Normalised: 100 · (raw − null) / (perfect − null), null = −fnWeight · windows (no
 * detections), perfect = tpWeight · windows. The threshold is swept over every distinct score
 * value over the whole corpus at once (one threshold for all files), as NAB's optimizer does.
 */

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's "standard" application profile. */
export const STANDARD_PROFILE: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
/** NAB's other two application profiles (nab/config/profiles.json): false positives cost double, or misses do. */
export const LOW_FP_PROFILE: CostMatrix = { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 };
export const LOW_FN_PROFILE: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };

export const PROBATION_PERCENT = 0.15;

/** One scored file: row times, per-row anomaly scores, labelled windows as [start, end] times. */
export interface ScoredSeries {
  name: string;
  ts: ArrayLike<number>;
  scores: ArrayLike<number>;
  windows: readonly (readonly [number, number])[];
}

/** NAB's scaled sigmoid of a relative position. */
export function scaledSigmoid(y: number): number {
  if (y >= 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

export function probationLength(rows: number): number {
  return Math.min(Math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * 5000);
}

/**
 * Windows as inclusive row-index ranges; windows that hold no row are dropped. A file whose times
 * are not sorted (a clock that jumped back, a repeated hour, out-of-order rows: the backtest judges
 * them) gets, per window, the rows from the first to the last whose timestamp lies in it.
 */
export function windowRows(ts: ArrayLike<number>, windows: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  const sorted = isSorted(ts);
  for (const [start, end] of windows) {
    const [a, b] = sorted ? [lowerBound(ts, start), lowerBound(ts, end + 1e-9) - 1] : scanRows(ts, start, end);
    if (a <= b && a < ts.length) out.push([a, b]);
  }
  return out.sort((p, q) => p[0] - q[0]);
}

function isSorted(ts: ArrayLike<number>): boolean {
  for (let i = 1; i < ts.length; i++) if (ts[i] < ts[i - 1]) return false;
  return true;
}

/** First and last row whose time lies in [start, end] (b < a when none does). */
function scanRows(ts: ArrayLike<number>, start: number, end: number): [number, number] {
  let a = -1;
  let b = -2;
  for (let i = 0; i < ts.length; i++) {
    if (ts[i] < start || ts[i] > end) continue;
    if (a < 0) a = i;
    b = i;
  }
  return [a, b];
}

function lowerBound(ts: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Per-row weights of one file: the reward/cost a detection at that row earns, its window (or −1), −2 in probation. */
export interface RowWeights {
  weight: Float64Array;
  window: Int32Array;
  windows: number;
}

export function rowWeights(ts: ArrayLike<number>, windows: readonly (readonly [number, number])[], cost: CostMatrix): RowWeights {
  const n = ts.length;
  const rows = windowRows(ts, windows);
  const weight = new Float64Array(n);
  const window = new Int32Array(n);
  const probation = probationLength(n);
  const maxTp = scaledSigmoid(-1);
  let w = 0;
  let prevEnd = -1;
  let prevWidth = 0;
  const counted = new Set<number>();
  for (let i = 0; i < n; i++) {
    while (w < rows.length && rows[w][1] < i) {
      prevEnd = rows[w][1];
      prevWidth = rows[w][1] - rows[w][0] + 1;
      w++;
    }
    const inWindow = w < rows.length && rows[w][0] <= i;
    if (inWindow) {
      const [a, b] = rows[w];
      weight[i] = (scaledSigmoid(-(b - i + 1) / (b - a + 1)) * cost.tpWeight) / maxTp;
    } else if (prevEnd < 0) {
      weight[i] = -cost.fpWeight;
    } else {
      weight[i] = scaledSigmoid(Math.abs(prevEnd - i) / Math.max(1, prevWidth - 1)) * cost.fpWeight;
    }
    if (i < probation) window[i] = -2;
    else {
      window[i] = inWindow ? w : -1;
      if (inWindow) counted.add(w);
    }
  }
  return { weight, window, windows: counted.size };
}

export interface ThresholdScore {
  threshold: number;
  raw: number;
  normalized: number;
  /** Windows with a detection, windows without, detected rows outside windows. */
  detectedWindows: number;
  missedWindows: number;
  falseRows: number;
}

export interface SweepResult {
  best: ThresholdScore;
  windows: number;
  /** Every distinct threshold tried, highest first (starting with "no detections"). */
  curve: ThresholdScore[];
}

interface Row {
  score: number;
  weight: number;
  /** Global window id, or −1 outside windows. */
  window: number;
}

/**
 * Best single threshold over a corpus. Rows are visited by descending score; each distinct score
 * value is a threshold, scored with every row at or above it detected (NAB's calcScoreByThreshold).
 */
export function sweep(series: readonly ScoredSeries[], cost: CostMatrix = STANDARD_PROFILE, keepCurve = false): SweepResult {
  const rows: Row[] = [];
  let windowCount = 0;
  for (const s of series) {
    const rw = rowWeights(s.ts, s.windows, cost);
    const base = windowCount;
    const ids = new Map<number, number>();
    for (let i = 0; i < s.ts.length; i++) {
      const w = rw.window[i];
      if (w === -2) continue;
      let id = -1;
      if (w >= 0) {
        let g = ids.get(w);
        if (g === undefined) ids.set(w, (g = base + ids.size));
        id = g;
      }
      rows.push({ score: clampScore(s.scores[i]), weight: rw.weight[i], window: id });
    }
    windowCount += ids.size;
  }
  rows.sort((a, b) => b.score - a.score);
  const part = new Float64Array(windowCount).fill(-cost.fnWeight);
  let windowSum = -cost.fnWeight * windowCount;
  let fpSum = 0;
  let detected = 0;
  let falseRows = 0;
  const nul = -cost.fnWeight * windowCount;
  const perfect = cost.tpWeight * windowCount;
  const norm = (raw: number) => (perfect === nul ? 0 : (100 * (raw - nul)) / (perfect - nul));
  const snapshot = (threshold: number): ThresholdScore => {
    const raw = windowSum + fpSum;
    return { threshold, raw, normalized: norm(raw), detectedWindows: detected, missedWindows: windowCount - detected, falseRows };
  };
  let best = snapshot(Infinity);
  const curve: ThresholdScore[] = keepCurve ? [best] : [];
  for (let i = 0; i < rows.length;) {
    const t = rows[i].score;
    for (; i < rows.length && rows[i].score === t; i++) {
      const r = rows[i];
      if (r.window < 0) {
        fpSum += r.weight;
        falseRows++;
      } else if (r.weight > part[r.window]) {
        if (part[r.window] === -cost.fnWeight) detected++;
        windowSum += r.weight - part[r.window];
        part[r.window] = r.weight;
      }
    }
    const s = snapshot(t);
    if (keepCurve) curve.push(s);
    if (s.raw > best.raw) best = s;
  }
  return { best, windows: windowCount, curve };
}

/** NAB score of a fixed threshold (e.g. the alert column as 0/1 scores with threshold 1). */
export function scoreAt(series: readonly ScoredSeries[], threshold: number, cost: CostMatrix = STANDARD_PROFILE): ThresholdScore {
  const { curve, windows } = sweep(series, cost, true);
  let at = curve[0];
  for (const c of curve) if (c.threshold >= threshold) at = c;
  void windows;
  return at;
}

function clampScore(x: number): number {
  return x > 0 ? (x < 1 ? x : 1) : 0;
}

/** Alert-policy metrics over the `alert` column (1 while an alert fires). */
export interface AlertMetrics {
  windows: number;
  detected: number;
  alerts: number;
  trueAlerts: number;
  precision: number | null;
  recall: number | null;
  /** Mean time from a window's start to its first alert row, ms. */
  meanDelayMs: number | null;
  /** The same delay as a share of the window's length, mean. */
  meanDelayShare: number | null;
}

/**
 * An alert is a run of consecutive alert rows; it is true when it overlaps a labelled window. A
 * window is detected when an alert row falls inside it. Rows in the probationary period are left
 * out, as in the NAB score.
 */
export function alertMetrics(
  series: readonly { ts: ArrayLike<number>; alert: ArrayLike<number>; windows: readonly (readonly [number, number])[] }[],
): AlertMetrics {
  let windows = 0;
  let detected = 0;
  let alerts = 0;
  let trueAlerts = 0;
  let delay = 0;
  let share = 0;
  for (const s of series) {
    const n = s.ts.length;
    const probation = probationLength(n);
    const rows = windowRows(s.ts, s.windows).filter(([, b]) => b >= probation);
    windows += rows.length;
    const inWin = new Int32Array(n).fill(-1);
    rows.forEach(([a, b], w) => {
      for (let i = a; i <= b; i++) inWin[i] = w;
    });
    const firstHit = new Array<number>(rows.length).fill(-1);
    let open = false;
    let overlaps = false;
    for (let i = probation; i <= n; i++) {
      const on = i < n && s.alert[i] === 1;
      if (on) {
        if (!open) {
          open = true;
          overlaps = false;
          alerts++;
        }
        const w = inWin[i];
        if (w >= 0) {
          overlaps = true;
          if (firstHit[w] < 0) firstHit[w] = i;
        }
      } else if (open) {
        open = false;
        if (overlaps) trueAlerts++;
      }
    }
    rows.forEach(([a, b], w) => {
      const i = firstHit[w];
      if (i < 0) return;
      detected++;
      delay += s.ts[i] - s.ts[a];
      const span = s.ts[b] - s.ts[a];
      share += span > 0 ? (s.ts[i] - s.ts[a]) / span : 0;
    });
  }
  return {
    windows,
    detected,
    alerts,
    trueAlerts,
    precision: alerts === 0 ? null : trueAlerts / alerts,
    recall: windows === 0 ? null : detected / windows,
    meanDelayMs: detected === 0 ? null : delay / detected,
    meanDelayShare: detected === 0 ? null : share / detected,
  };
}
