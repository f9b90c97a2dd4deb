import { DEFAULT_CRITERIA, judgeStep, searchSustainable, type StepMeasure } from './search';

const flat = (offered: number, backlog = 100): StepMeasure => ({
  offered,
  sent: offered,
  achieved: offered,
  lag: Array.from({ length: 10 }, (_, i) => ({ t: i, events: backlog })),
  p99First: 10,
  p99Last: 11,
});

describe('judgeStep', () => {
  it('passes a step that keeps up with flat backlog and latency', () => {
    expect(judgeStep(flat(50_000)).sustainable).toBe(true);
  });

  it('fails when throughput falls short of the offered rate', () => {
    const v = judgeStep({ ...flat(50_000), achieved: 40_000 });
    expect(v.sustainable).toBe(false);
    expect(v.reason).toMatch(/committed/);
  });

  it('fails when the producer could not offer the rate (the result would be meaningless)', () => {
    expect(judgeStep({ ...flat(50_000), sent: 30_000 }).reason).toMatch(/producer/);
  });

  it('fails when the producer sent everything but seconds behind schedule', () => {
    const late = { ...flat(75_000), achieved: 24_000, producerMaxLagMs: 23_693 };
    expect(judgeStep(late).reason).toBe('producer fell 23.7 s behind schedule (broker or box saturated)');
    // Behind by less than the allowance (batching, a GC pause): judged on the worker's figures.
    expect(judgeStep({ ...flat(50_000), producerMaxLagMs: 250 }).sustainable).toBe(true);
  });

  it('fails when the backlog grows, from the least-squares slope', () => {
    const m = { ...flat(10_000), lag: Array.from({ length: 10 }, (_, i) => ({ t: i, events: 1000 + 500 * i })) };
    const v = judgeStep(m);
    expect(v.lagGrowthPerSec).toBeCloseTo(500, 6);
    expect(v.sustainable).toBe(false);
    expect(v.reason).toMatch(/backlog grows/);
  });

  it('fails when p99 grows over the step or exceeds the budget', () => {
    expect(judgeStep({ ...flat(10_000), p99First: 10, p99Last: 100 }).reason).toMatch(/p99 grows/);
    expect(judgeStep({ ...flat(10_000), p99First: 1500, p99Last: 1500 }).reason).toMatch(/budget/);
    // within max(1.5×, +50 ms): still flat
    expect(judgeStep({ ...flat(10_000), p99First: 10, p99Last: 59 }).sustainable).toBe(true);
  });

  it('fails when a large backlog is left at the end even if it stopped growing', () => {
    const m = {
      ...flat(10_000),
      lag: [
        { t: 0, events: 20_000 },
        { t: 1, events: 20_000 },
      ],
    };
    expect(judgeStep(m, DEFAULT_CRITERIA).reason).toMatch(/at the end/);
  });
});

describe('searchSustainable (on a fake system that keeps up to a known rate)', () => {
  const fake = (capacity: number) => {
    const tried: number[] = [];
    return {
      tried,
      run: async (rate: number) => {
        tried.push(rate);
        return { sustainable: rate <= capacity, result: rate };
      },
    };
  };

  it('ramps up, then bisects to within the resolution below the capacity', async () => {
    const f = fake(137_000);
    const r = await searchSustainable(f.run, { start: 40_000, max: 1_000_000, min: 1000, factor: 1.5, resolution: 0.05, maxRefine: 6 });
    expect(r.sustainable).toBeLessThanOrEqual(137_000);
    expect(r.unsustainable).toBeGreaterThan(137_000);
    expect(r.unsustainable / r.sustainable).toBeLessThanOrEqual(1.05 + 0.01);
    expect(f.tried.slice(0, 4)).toEqual([40_000, 60_000, 90_000, 135_000]);
    expect(r.steps.every((s) => s.sustainable === s.rate <= 137_000)).toBe(true);
  });

  it('ramps down when the first rate already fails', async () => {
    const f = fake(12_000);
    const r = await searchSustainable(f.run, { start: 40_000, max: 1_000_000, min: 1000, factor: 2, resolution: 0.1, maxRefine: 5 });
    expect(f.tried.slice(0, 3)).toEqual([40_000, 20_000, 10_000]);
    expect(r.sustainable).toBeLessThanOrEqual(12_000);
    expect(r.sustainable).toBeGreaterThanOrEqual(10_000);
  });

  it('stops at the ceiling when everything passes, and reports 0 when nothing does', async () => {
    const up = await searchSustainable(fake(Infinity).run, { start: 10_000, max: 50_000, min: 1000 });
    expect(up.sustainable).toBe(50_000);
    expect(up.unsustainable).toBe(Infinity);
    const none = await searchSustainable(fake(0).run, { start: 8_000, max: 50_000, min: 1000, factor: 2 });
    expect(none.sustainable).toBe(0);
  });

  it('never runs the same rate twice', async () => {
    const f = fake(55_555);
    await searchSustainable(f.run, { start: 10_000, max: 500_000, min: 1000, resolution: 0.01, maxRefine: 20 });
    expect(new Set(f.tried).size).toBe(f.tried.length);
  });
});
