import {
  alertMetrics,
  probationLength,
  rowWeights,
  scaledSigmoid,
  scoreAt,
  sweep,
  windowRows,
  STANDARD_PROFILE,
  type ScoredSeries,
} from '../../../backtest/nab';

/** 100 rows, one per minute; probation = 15 rows; one labelled window on rows 40..59 (20 rows). */
const MIN = 60_000;
const ts = Array.from({ length: 100 }, (_, i) => i * MIN);
const windows: [number, number][] = [[40 * MIN, 59 * MIN]];
const scored = (detections: Record<number, number>): ScoredSeries => {
  const scores = new Float64Array(100);
  for (const [i, s] of Object.entries(detections)) scores[Number(i)] = s;
  return { name: 'f.csv', ts, scores, windows };
};
const MAX_TP = 2 / (1 + Math.exp(-5)) - 1; // σ̃(−1) = 0.986614

describe('NAB scoring (standard profile: TP 1, FP 0.11, FN 1)', () => {
  it('uses NAB scaled sigmoid and probation', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.986614, 6);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.848284, 6);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3)).toBe(-1);
    expect(probationLength(100)).toBe(15);
    expect(probationLength(100_000)).toBe(750);
  });

  it("finds a window's rows by binary search, or from the first to the last row in it when the file's clock went back", () => {
    expect(windowRows(ts, windows)).toEqual([[40, 59]]);
    // A clock that jumped back 20 minutes at row 50 (the backtest judges such files): rows 30..69 carry times in the window.
    const jumped = ts.map((t, i) => (i >= 50 ? t - 20 * MIN : t));
    expect(windowRows(jumped, windows)).toEqual([[40, 79]]);
    expect(windowRows(jumped, [[200 * MIN, 300 * MIN]])).toEqual([]);
  });

  it('weights rows by position: 1 at the window start, ~0.86 halfway, −0.11 before any window, discounted after it', () => {
    const w = rowWeights(ts, windows, STANDARD_PROFILE);
    expect(w.windows).toBe(1);
    expect(w.weight[40]).toBeCloseTo(1, 12); // y = −20/20
    expect(w.weight[50]).toBeCloseTo(scaledSigmoid(-0.5) / MAX_TP, 12); // y = −10/20 → 0.859803
    expect(w.weight[20]).toBeCloseTo(-0.11, 12);
    // row 69: y = |59 − 69| / (20 − 1) = 0.526316 → σ̃ = −0.865787 → ×0.11
    expect(w.weight[69]).toBeCloseTo(0.11 * (2 / (1 + Math.exp(5 * (10 / 19))) - 1), 12);
    expect(w.window[5]).toBe(-2); // probation
    expect(w.window[45]).toBe(0);
    expect(w.window[70]).toBe(-1);
  });

  it('normalises: no detections 0, first row of every window 100', () => {
    expect(sweep([scored({})]).best.normalized).toBe(0);
    expect(sweep([scored({ 40: 1 })]).best.normalized).toBeCloseTo(100, 9);
    // Halfway: 100 · (0.859803 + 1) / 2 = 92.99
    expect(sweep([scored({ 50: 1 })]).best.normalized).toBeCloseTo(92.99, 3);
  });

  it('sweeps one threshold over all rows and keeps the best', () => {
    // Detection halfway (0.9), a false row before the window (0.8), a false row after it (0.5),
    // one in probation (0.95, ignored).
    const r = sweep([scored({ 50: 0.9, 20: 0.8, 69: 0.5, 5: 0.95 })], STANDARD_PROFILE, true);
    const tp = scaledSigmoid(-0.5) / MAX_TP;
    const afterCost = 0.11 * (2 / (1 + Math.exp(5 * (10 / 19))) - 1);
    expect(r.curve.map((c) => c.threshold)).toEqual([Infinity, 0.9, 0.8, 0.5, 0]);
    expect(r.curve[1].raw).toBeCloseTo(tp, 12);
    expect(r.curve[2].raw).toBeCloseTo(tp - 0.11, 12);
    expect(r.curve[3].raw).toBeCloseTo(tp - 0.11 + afterCost, 12);
    expect(r.best.threshold).toBe(0.9);
    expect(r.best.normalized).toBeCloseTo(92.99, 3);
    expect(r.best).toMatchObject({ detectedWindows: 1, missedWindows: 0, falseRows: 0 });
    // At 0.5: 100 · (0.859803 − 0.11 − 0.095237 + 1) / 2 = 82.73
    expect(scoreAt([scored({ 50: 0.9, 20: 0.8, 69: 0.5 })], 0.5).normalized).toBeCloseTo(82.728, 3);
  });

  it('counts alerts, windows found and detection delay from the alert column', () => {
    const alert = new Uint8Array(100);
    for (const i of [20, 21, 50, 51, 52, 53, 80]) alert[i] = 1;
    const m = alertMetrics([{ ts, alert, windows }]);
    expect(m).toMatchObject({ windows: 1, detected: 1, alerts: 3, trueAlerts: 1 });
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBe(1);
    expect(m.meanDelayMs).toBe(10 * MIN);
    expect(m.meanDelayShare).toBeCloseTo(10 / 19, 12);
  });
});
