import { forecast, forecastSchema } from './index';
import { ctx } from '../test-events';
import type { FlowEvent, Observation } from '../../kernel/types';
import { dampedReach, excessArea, firstCrossing, normalCdf } from './model';
import { normalQuantile } from '../normal-quantile';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23);
const make = (params: Record<string, unknown>) => forecast.create(forecastSchema.parse({ type: 'forecast', ...params }), ctx);
const at = (minute: number, values: Record<string, number>): FlowEvent => ({
  stream: 's',
  key: 'k',
  ts: T0 + Math.round(minute * MIN),
  values,
  attrs: {},
});

/** Park–Miller noise, deterministic: N(0,1) by the sum of 12 uniforms. */
function noise(seed: number): () => number {
  let s = seed;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return () => {
    let t = -6;
    for (let i = 0; i < 12; i++) t += u();
    return t;
  };
}

/** Runs a series (value per minute) through a detector; the observations by minute. */
function run(params: Record<string, unknown>, series: (m: number) => number | null, minutes: number, step = 1): (Observation | null)[] {
  const d = make(params);
  const s = d.init(at(0, {}));
  const out: (Observation | null)[] = [];
  for (let m = 0; m < minutes; m += step) {
    const v = series(m);
    out.push(v === null ? null : d.observe(s, at(m, { x: v })));
  }
  return out;
}

/** Firing episodes [start, end) in minutes. */
function episodes(obs: (Observation | null)[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let open = -1;
  obs.forEach((o, m) => {
    if (o?.firing && open < 0) open = m;
    if (o && !o.firing && open >= 0) {
      out.push([open, m]);
      open = -1;
    }
  });
  if (open >= 0) out.push([open, obs.length]);
  return out;
}

describe('forecast model pieces', () => {
  it('normal quantile and CDF invert each other', () => {
    expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    for (const p of [0.01, 0.1, 0.3, 0.7, 0.99]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
  });

  it('excess area is exact for linear pieces', () => {
    expect(excessArea(9, 11, 8, 2)).toBe(4); // mean excess 2 over 2 min
    expect(excessArea(7, 9, 8, 2)).toBeCloseTo(0.5, 12); // triangle: 1 min above, peak 1
    expect(excessArea(6, 7, 8, 5)).toBe(0);
  });

  it('first crossing interpolates between grid points; damped reach saturates', () => {
    expect(firstCrossing([0, 10, 20], [1, 3, 5], 3, 4, 1)).toBeCloseTo(15, 12);
    expect(firstCrossing([0, 10, 20], [5, 3, 1], 3, 4, -1)).toBeCloseTo(5, 12);
    expect(firstCrossing([0, 10, 20], [1, 2, 3], 3, 4, 1)).toBe(Infinity);
    expect(dampedReach(30, 0)).toBe(30);
    expect(dampedReach(1e6, Math.LN2 / 30)).toBeCloseTo(30 / Math.LN2, 6);
  });
});

describe('forecast on hand-made series', () => {
  it('linear ramp: time to breach is the truth, the warning comes a horizon ahead, then the breach is said', () => {
    // 1 → 4 at 0.05/min: the limit is crossed at minute 60.
    const obs = run({ measurement: 'x', limit: 4, horizon: '15m' }, (m) => 1 + 0.05 * m, 70);
    expect(obs.slice(0, 19).every((o) => o === null)).toBe(true); // warm-up: 20 values
    expect(obs[19]!.evidence.detail!.time_to_breach_s).toBeUndefined(); // 41 min: beyond twice the horizon
    const m10 = obs[35]!;
    expect(m10.firing).toBe(false);
    expect(m10.evidence.detail!.time_to_breach_s).toBe(25 * 60);
    expect(m10.evidence.detail!.phase).toBe('clear');
    expect(m10.score).toBeLessThan(0.5);
    const first = obs.findIndex((o) => o?.firing);
    expect(first).toBe(45); // exactly one horizon ahead: the interval of a noise-free line is a point
    const w = obs[50]!;
    expect(w.evidence.detail).toMatchObject({ phase: 'warning', time_to_breach_s: 600, earliest_s: 600, latest_s: 600, confidence: 1 });
    expect(w.evidence.detail!.forecast).toBe('forecast to pass 4 in ~10 min (80% interval 10–10 min)');
    expect(w.score).toBeCloseTo(0.5 + 0.25 * (1 - 10 / 15), 6);
    expect(w.evidence.forecast!.path.map((p) => [(p.ts - w.evidence.forecast!.at) / MIN, p.value])).toEqual([
      [3.75, 3.6875],
      [7.5, 3.875],
      [11.25, 4.0625],
      [15, 4.25],
    ]);
    const b = obs[61]!;
    expect(b.evidence.detail).toMatchObject({ phase: 'breached', warned_s: 16 * 60 });
    expect(b.evidence.detail!.forecast).toBe('past the limit 4; forecast 16 min ahead');
    expect(b.score).toBeGreaterThan(0.75);
    expect(b.firing).toBe(true);
  });

  it('noisy ramp: warns ≥ 10 min ahead and the 80% interval of the time to breach holds the truth most of the time', () => {
    const rnd = noise(7);
    const breachAt = 120; // 1 + 0.025·m reaches 4 at minute 120
    let covered = 0;
    let judged = 0;
    for (let trial = 0; trial < 20; trial++) {
      const obs = run({ measurement: 'x', limit: 4, horizon: '30m' }, (m) => 1 + 0.025 * m + 0.1 * rnd(), 140);
      const eps = episodes(obs.slice(0, breachAt));
      const last = eps[eps.length - 1];
      expect(last[1]).toBe(breachAt); // a warning is in force at the breach...
      expect(breachAt - last[0]).toBeGreaterThanOrEqual(10); // ...and began ≥ 10 min before it
      for (let m = 95; m < breachAt - 2; m++) {
        const d = obs[m]!.evidence.detail!;
        if (typeof d.earliest_s !== 'number') continue;
        judged++;
        const truth = (breachAt - m) * 60;
        if (d.earliest_s <= truth && (typeof d.latest_s !== 'number' || truth <= d.latest_s)) covered++;
      }
    }
    expect(judged).toBeGreaterThan(400);
    // Nominal 80 %; the interval is about the fitted line only (no model error), measured 0.8–0.9 here.
    expect(covered / judged).toBeGreaterThan(0.65);
  });

  it('level-off: a rise that flattens below the limit warns at most once and the warning resolves', () => {
    const rnd = noise(11);
    // 1 → 3.2 with a 10-minute time constant from minute 60, limit 4.
    const series = (m: number) => (m < 60 ? 1 : 1 + 2.2 * (1 - Math.exp(-(m - 60) / 10))) + 0.05 * rnd();
    const obs = run({ measurement: 'x', limit: 4, horizon: '30m' }, series, 240);
    const eps = episodes(obs);
    expect(eps.length).toBeLessThanOrEqual(1);
    for (const [, end] of eps) expect(end).toBeLessThan(120); // resolved within an hour of the rise
    expect(obs.some((o) => o?.evidence.detail!.phase === 'breached')).toBe(false);
  });

  it('noise alone never warns: a day at 2 ± 0.3 with a limit at 4', () => {
    const rnd = noise(3);
    const obs = run({ measurement: 'x', limit: 4, horizon: '30m' }, () => 2 + 0.3 * rnd(), 1440);
    expect(episodes(obs)).toEqual([]);
    expect(Math.max(...obs.map((o) => o?.score ?? 0))).toBeLessThan(0.5);
  });

  it('seasonal days: a daily rhythm peaking well below the limit never warns; a rush that ends near it does (no seasonal model)', () => {
    const rnd = noise(5);
    // Three days of a rush-hour shape, sampled every minute.
    const day = (peak: number) => (m: number) => {
      const h = (m % 1440) / 60;
      return 0.2 + peak * Math.exp(-0.5 * ((h - 8.25) / 0.8) ** 2) + 0.6 * peak * Math.exp(-0.5 * ((h - 17.7) / 0.9) ** 2) + 0.05 * rnd();
    };
    expect(episodes(run({ measurement: 'x', limit: 4, horizon: '30m' }, day(2.2), 3 * 1440))).toEqual([]);
    // A morning rush to 3.6 (0.4 under the limit) climbs fast enough to be forecast across it:
    // the trend model cannot know the rush peaks at 08:15. Warned every morning, resolved after.
    const near = episodes(run({ measurement: 'x', limit: 4, horizon: '30m' }, day(3.4), 3 * 1440));
    expect(near.length).toBe(3);
    for (const [s, e] of near) expect(e - s).toBeLessThan(90);
  });

  it('below: a falling level warns before it crosses under the limit', () => {
    const obs = run({ measurement: 'x', limit: 20, side: 'below', horizon: '30m' }, (m) => 100 - m, 90);
    const first = obs.findIndex((o) => o?.firing);
    expect(first).toBe(50); // 80 − 30
    expect(obs[60]!.evidence.detail!.forecast).toBe('forecast to fall below 20 in ~20 min (80% interval 20–20 min)');
    expect(obs[81]!.evidence.detail!.phase).toBe('breached');
  });

  it('gaps and a missing measurement give no opinion, not a crash', () => {
    const d = make({ measurement: 'x', limit: 4 });
    const s = d.init(at(0, {}));
    expect(d.observe(s, at(0, { y: 1 }))).toBeNull();
    for (let m = 0; m < 12; m++) d.observe(s, at(m, { x: 1 }));
    const o = d.observe(s, at(3 * 1440, { x: 1 })); // three days later: the old points weigh nothing
    expect(o).toBeNull(); // a single point has no slope yet
    for (let m = 1; m < 5; m++) expect(d.observe(s, at(3 * 1440 + m, { x: 1 }))?.firing ?? false).toBe(false);
  });
});

describe('forecast exposure and total modes', () => {
  it('exposure: degree-minutes above the base, forecast to use up the budget', () => {
    // 9 °C with base 8: one degree-minute per minute; budget 60 → used up at minute 60.
    const obs = run({ measurement: 'x', mode: 'exposure', base: 8, limit: 60, horizon: '30m', min_std: 0.05 }, () => 9, 70, 0.5);
    const m20 = obs[40]!; // minute 20
    expect(m20.evidence.value).toBeCloseTo(20, 9);
    expect(m20.evidence.measure).toBe('exposure(x)');
    expect(m20.firing).toBe(false);
    expect((m20.evidence.detail!.time_to_breach_s as number) / 60).toBeCloseTo(40, 0);
    const m40 = obs[80]!;
    expect(m40.firing).toBe(true);
    expect(m40.evidence.detail!.forecast).toMatch(/^forecast to use up 60 in ~20 min \(80% interval 1\d–2\d min\)$/);
    expect(obs[122]!.evidence.detail!.phase).toBe('breached'); // 61 degree-minutes
    expect(obs[122]!.evidence.detail!.forecast).toMatch(/^budget 60 used up; forecast \d+ min ahead$/);
  });

  it('total: amounts against a daily budget at the recent pace, reset at the day boundary (timer)', () => {
    const d = make({ measurement: 'amount', mode: 'total', limit: 1000, period: '1d', horizon: '1h' });
    const start = T0 + 20 * 60 * MIN; // 20:00
    const s = d.init({ stream: 's', key: 'k', ts: start, values: {}, attrs: {} });
    let o: Observation | null = null;
    for (let m = 0; m < 60; m++) o = d.observe(s, { stream: 's', key: 'k', ts: start + m * MIN, values: { amount: 10 }, attrs: {} });
    // 600 spent at ~10/min: 400 left, ~40 min.
    expect(o!.evidence.value).toBe(600);
    expect(o!.firing).toBe(true);
    expect((o!.evidence.detail!.time_to_breach_s as number) / 60).toBeGreaterThan(35);
    expect((o!.evidence.detail!.time_to_breach_s as number) / 60).toBeLessThan(45);
    expect(o!.evidence.window).toEqual({ start: T0, end: start + 59 * MIN });
    // No more amounts: the warning is re-judged every horizon/8 as the pace fades, and resolves.
    let t = start + 59 * MIN;
    expect(d.nextTimer!(s, t)).toBe(t + 7.5 * MIN);
    const verdicts: Observation[] = [];
    for (let n = 0; n < 50; n++) {
      t = d.nextTimer!(s, t);
      if (!Number.isFinite(t)) break;
      verdicts.push(d.advance!(s, t)!);
    }
    const resolved = verdicts.findIndex((v) => !v.firing);
    expect(resolved).toBeGreaterThan(0);
    expect(resolved).toBeLessThan(8); // within an hour of silence
    // Then one timer at midnight: the budget resets.
    const midnight = T0 + 1440 * MIN;
    expect(verdicts.length).toBe(resolved + 2);
    expect(t).toBe(Infinity);
    const r = verdicts[verdicts.length - 1];
    expect(r.firing).toBe(false);
    expect(r.evidence.value).toBe(0);
    expect(r.evidence.window!.start).toBe(midnight);
  });
});

describe('forecast state and config', () => {
  it('state is plain JSON of constant size', () => {
    const d = make({ measurement: 'x', limit: 4 });
    const s = d.init(at(0, {}));
    const rnd = noise(1);
    const sizes: number[] = [];
    for (let m = 0; m < 3000; m++) {
      d.observe(s, at(m, { x: 2 + rnd() }));
      if (m % 1000 === 999) sizes.push(JSON.stringify(s).length);
    }
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(40); // digits only
    expect(Math.max(...sizes)).toBeLessThan(600);
  });

  it('rejects configs with clear messages', () => {
    const issues = (p: Record<string, unknown>) => {
      const r = forecastSchema.safeParse({ type: 'forecast', measurement: 'x', limit: 4, ...p });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ mode: 'exposure' })).toEqual(['base: exposure mode needs base (the level above which exposure accumulates)']);
    expect(issues({ base: 3 })).toEqual(['base: only for mode exposure']);
    expect(issues({ period: '1d' })).toEqual(['period: only for modes exposure and total']);
    expect(issues({ mode: 'total', side: 'below' })).toEqual(['side: mode total accumulates upwards: side must be above']);
    expect(issues({ horizon: '30m', clear_horizon: '10m' })).toEqual(['clear_horizon: must be between horizon and twice the horizon']);
    expect(issues({ interval: 1 })[0]).toMatch(/^interval: /);
    expect(forecastSchema.parse({ type: 'forecast', measurement: 'x', limit: 4 })).toMatchObject({
      mode: 'level',
      side: 'above',
      horizon: 1_800_000,
      interval: 0.8,
      damping: 0,
    });
  });
});
