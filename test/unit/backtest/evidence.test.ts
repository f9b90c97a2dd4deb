/**
 * The window-evidence yardsticks of test/corpus/real/evidence.ts: a ramp on a random walk and a
 * level shift on a yearly cycle stand out against the rest of their file; without them they do not.
 */
import { bumpStatistic, cusumStatistic, rampStatistic, windowEvidence, yearlyStatistic } from '../../corpus/real/evidence';

const DAY = 86_400_000;

/** Deterministic standard normals (LCG + Box–Muller). */
function normals(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

function series(values: number[], onset: number, window: number) {
  const ts = values.map((_, i) => i * DAY);
  return {
    ts,
    values,
    anomalies: [{ kind: 'trend_change' as const, onset: ts[onset], end: ts[onset + 20] }],
    windows: [[ts[onset - window], ts[onset + window]]] as [number, number][],
  };
}

describe('window evidence', () => {
  it('a steep ramp on a random walk stands out of the walk; the walk alone does not', () => {
    const steps = normals(2000, 7);
    const walk: number[] = [];
    steps.forEach((d, i) => walk.push((walk[i - 1] ?? 0) + d));
    const ramp = walk.map((x, i) => x + 12 * Math.min(1, Math.max(0, (i - 1000 + 1) / 10)));
    const withRamp = series(ramp, 1000, 40);
    const [e] = windowEvidence(withRamp, rampStatistic(withRamp.values), ['trend_change']);
    expect(e.inside).toBeGreaterThan(3.5);
    expect(e.elsewhere).toBeLessThanOrEqual(1);
    const plain = series(walk, 1000, 40);
    const [p] = windowEvidence(plain, rampStatistic(plain.values), ['trend_change']);
    expect(p.inside).toBeLessThan(e.inside - 1.5);
    expect(p.elsewhere).toBeGreaterThan(e.elsewhere);
  });

  it('a level shift on a yearly cycle shows in the year-over-year difference, not before a year of history', () => {
    const noise = normals(4 * 365, 11);
    const cycle = noise.map((e, i) => 10 * Math.sin((2 * Math.PI * i) / 365) + 2 * e);
    const shifted = cycle.map((x, i) => (i >= 900 ? x + 6 : x));
    const s = series(shifted, 900, 60);
    const z = yearlyStatistic(s.ts, s.values);
    expect(Array.from(z.slice(0, 365)).every((v) => v === 0)).toBe(true);
    const [e] = windowEvidence(s, z, ['trend_change']);
    expect(e.inside).toBeGreaterThan(3);
    expect(e.elsewhere).toBe(0);
    const plain = series(cycle, 900, 60);
    const [p] = windowEvidence(plain, yearlyStatistic(plain.ts, plain.values), ['trend_change']);
    expect(p.inside).toBeLessThan(e.inside - 1);
  });

  it('ignores other kinds', () => {
    const s = series(normals(200, 3), 100, 10);
    expect(windowEvidence(s, rampStatistic(s.values), ['level_shift'])).toEqual([]);
  });

  it('the CUSUM accumulates a shift no single value shows, and one spike adds at most clip − k', () => {
    const noise = normals(1500, 11);
    const shifted = noise.map((x, i) => (i >= 1000 && i < 1030 ? x + 2 : x));
    const withShift = { ...series(shifted, 1000, 40), anomalies: [{ kind: 'level_shift' as const, onset: 1000 * DAY, end: 1030 * DAY }] };
    const [e] = windowEvidence(withShift, cusumStatistic(shifted), ['level_shift']);
    const [b] = windowEvidence(withShift, bumpStatistic(shifted), ['level_shift']);
    // A shift of 2 RMS: accumulated, past every stretch of the noise (2.98 against at most 2.65);
    // the one-value statistic reaches 2.2 there, as 15 stretches of the noise do.
    expect(e.inside).toBeGreaterThan(2.8);
    expect(e.elsewhere).toBe(0);
    expect(b.elsewhere).toBeGreaterThan(10);
    const spiked = noise.map((x, i) => (i === 1000 ? x + 20 : x));
    const z = cusumStatistic(spiked);
    expect(z[1000] - z[999]).toBeLessThanOrEqual(3 - 1 + 1e-9);
  });
});
