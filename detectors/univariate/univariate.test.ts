import { univariate, univariateSchema } from './index';
import type { UnivariateState } from './univariate';
import { dayBin, dayBins, median, weekHour } from './seasonal';
import { initTail, learnTail, standardize, surprise, tailShape } from './tail';
import { Rng } from '../../ingest/simulator/random';
import { ev } from '../test-events';

const make = (params: Record<string, unknown> = {}) => univariate.create(univariateSchema.parse({ type: 'univariate', measurement: 'x', ...params }), { stream: 's', name: 'u' });
const MIN5 = 300_000;

describe('tail calibration', () => {
  it('starts from a Gaussian-like exponential tail of z²: q = 0.05, mean excess 2.2', () => {
    const t: number[] = [];
    initTail(t, 0);
    expect(tailShape(t, 0)).toEqual({ xi: 0, sigma: 2.2 }); // v = 9.68 − 4.84 = 4.84 = m1² → ξ = 0
    expect(surprise(t, 0, 4)).toBe(0); // |z| = 2 is not in the tail
    // y = 2.2·ln 10 above 4 is one decade past q: −log10(0.05) + 1 = 2.30103
    expect(surprise(t, 0, 4 + 2.2 * Math.LN10)).toBeCloseTo(2.30103, 5);
  });

  it('fits a heavier tail (ξ > 0) from the moments of the excesses', () => {
    const t = [1, 0.05, 2, 16, 100];
    // v = 16 − 4 = 12, m1²/v = 1/3 → ξ = ½(1 − 1/3) = 1/3, σ = m1(1 − ξ) = 4/3
    const { xi, sigma } = tailShape(t, 0);
    expect(xi).toBeCloseTo(1 / 3, 12);
    expect(sigma).toBeCloseTo(4 / 3, 12);
    // P = q·(1 + ξy/σ)^(−1/ξ) at y = 4: (1 + 1)^(−3) = 1/8 → −log10(0.05/8) = 2.20412
    expect(surprise(t, 0, 8)).toBeCloseTo(2.20412, 5);
  });

  it('standardizes by a clipped running RMS and learns before judging nothing', () => {
    const t: number[] = [];
    initTail(t, 0);
    learnTail(t, 0, 2, { slow: 0.01, excess: 0.02 }); // first value sets RMS² = 4
    expect(t[0]).toBe(4);
    expect(standardize(t, 0, 4)).toBe(4); // z² = 16/4
    learnTail(t, 0, 100, { slow: 0.01, excess: 0.02 }); // 10000 clipped to 9·4 = 36; running mean weight 1/2
    expect(t[0]).toBe(20);
  });
});

describe('seasonal helpers', () => {
  it('bins a day by the sampling interval, at most 288 bins, none below 6 samples a day', () => {
    expect(dayBins(MIN5)).toBe(288);
    expect(dayBins(3_600_000)).toBe(24);
    expect(dayBins(5_000)).toBe(288);
    expect(dayBins(6 * 3_600_000)).toBe(0);
    expect(dayBin(Date.UTC(2014, 3, 10, 7, 15), 288)).toBe(87); // 07:15 = 435 min / 5
    expect(dayBin(Date.UTC(2014, 3, 10, 23, 59), 24)).toBe(23);
    expect(weekHour(Date.UTC(1970, 0, 1, 5))).toBe(5);
    expect(weekHour(Date.UTC(1970, 0, 8, 5))).toBe(5);
    expect(median([5, 1, 3, 100])).toBe(4);
  });
});

describe('univariate detector', () => {
  const noise = (n: number, seed = 1, level = 10, sd = 1) => {
    const rng = new Rng(seed);
    return Array.from({ length: n }, () => level + sd * rng.normal());
  };
  const run = (d: ReturnType<typeof make>, s: UnivariateState, xs: number[], t0 = 0, dt = MIN5) => xs.map((x, i) => d.observe(s, ev(t0 + i * dt, { x })));

  it('learns the interval from the first gaps and stays quiet through warm-up', () => {
    const d = make({ warmup: 50 });
    const s = d.init(ev(0)) as UnivariateState;
    const out = run(d, s, noise(60));
    expect(s.dt).toBe(MIN5);
    expect(s.bins).toBe(288);
    expect(out.slice(0, 50).every((o) => o === null)).toBe(true);
    expect(out[55]).not.toBeNull();
    expect(d.observe(s, ev(60 * MIN5, { y: 1 }))).toBeNull(); // measurement absent
  });

  it('fires once on a spike, then caps the rest of the episode', () => {
    const d = make();
    const s = d.init(ev(0)) as UnivariateState;
    const xs = noise(700);
    xs[600] = 22; // 12σ
    const out = run(d, s, xs);
    const spike = out[600]!;
    expect(spike.firing).toBe(true);
    expect(spike.score).toBeGreaterThan(0.5);
    expect(spike.evidence.detail).toMatchObject({ cause: 'spike' });
    expect(spike.evidence.baseline).toBeCloseTo(10, 0);
    expect(spike.evidence.deviation!).toBeGreaterThan(8);
    // Later values of the episode report at most the episode level (1.5 decades → 0.3 at threshold 2.5).
    for (let i = 601; i < 610; i++) expect(out[i]!.score).toBeLessThanOrEqual(0.3 + 1e-12);
    // The quiet noise before it never reached the limit.
    expect(out.slice(150, 600).filter((o) => o && o.score >= 0.5).length).toBeLessThanOrEqual(1);
  });

  it('catches a level shift of 6σ within a few values', () => {
    const d = make();
    const s = d.init(ev(0)) as UnivariateState;
    const xs = noise(800).map((x, i) => (i >= 600 ? x + 6 : x));
    const out = run(d, s, xs);
    const first = out.findIndex((o, i) => i >= 600 && o !== null && o.score >= 0.5);
    expect(first).toBeGreaterThanOrEqual(600);
    expect(first).toBeLessThan(606);
  });

  it('catches a flatline (a stuck sensor) on a noisy series', () => {
    const d = make();
    const s = d.init(ev(0)) as UnivariateState;
    const xs = noise(700);
    for (let i = 600; i < 640; i++) xs[i] = xs[599];
    const out = run(d, s, xs);
    const first = out.findIndex((o, i) => i >= 600 && o !== null && o.score >= 0.5);
    expect(first).toBeGreaterThan(600);
    expect(first).toBeLessThan(615);
    expect(out[first]!.evidence.detail).toMatchObject({ cause: 'flatline' });
  });

  it('detects a daily rhythm from the data and judges against it', () => {
    const d = make();
    const s = d.init(ev(0)) as UnivariateState;
    const rng = new Rng(3);
    const day = 288;
    const xs = Array.from({ length: 6 * day }, (_, i) => 50 + 30 * Math.sin((2 * Math.PI * i) / day) + rng.normal());
    const anomaly = 5 * day + 72; // the daily peak, replaced by the trough's level
    xs[anomaly] = 20;
    const out = run(d, s, xs);
    expect(s.season).toBeGreaterThanOrEqual(1);
    expect(out[anomaly]!.score).toBeGreaterThanOrEqual(0.5);
    expect(out[anomaly]!.evidence.detail).toMatchObject({ season: 'daily' });
    // The rhythm itself is not anomalous once learned (day 3 on).
    expect(out.slice(3 * day, anomaly).filter((o) => o && o.score >= 0.5).length).toBeLessThanOrEqual(2);
  });

  it('honours direction: a dip does not fire an "up" profile', () => {
    const d = make({ direction: 'up' });
    const s = d.init(ev(0)) as UnivariateState;
    const xs = noise(700);
    xs[600] = -2;
    const out = run(d, s, xs);
    expect(out[600]!.score).toBeLessThan(0.5);
  });

  it('keeps bounded state', () => {
    const d = make();
    const s = d.init(ev(0)) as UnivariateState;
    run(d, s, noise(20_000), 0, 60_000);
    const numbers = JSON.stringify(s).split(',').length;
    expect(numbers).toBeLessThan(2 * (288 + 168) + 80);
  });
});
