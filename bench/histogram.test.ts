import { LatencyHistogram } from './histogram';

describe('LatencyHistogram', () => {
  it('gives percentiles of known inputs within HDR precision (3 significant digits)', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.recordMs(i / 10); // 0.1 .. 1000 ms, uniform
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.p50).toBeCloseTo(500, -1);
    expect(Math.abs(s.p50 - 500) / 500).toBeLessThan(0.002);
    expect(Math.abs(s.p99 - 990) / 990).toBeLessThan(0.002);
    expect(Math.abs(s.p999 - 999) / 999).toBeLessThan(0.002);
    expect(Math.abs(s.max - 1000) / 1000).toBeLessThan(0.002);
  });

  it('keeps sub-millisecond resolution', () => {
    const h = new LatencyHistogram();
    h.recordMs(0.25);
    h.recordMs(0.75);
    expect(h.percentileMs(50)).toBeCloseTo(0.25, 3);
    expect(h.maxMs()).toBeCloseTo(0.75, 3);
  });

  it('counts batches recorded with a count like single samples', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.recordMsCount(5, 99);
    a.recordMs(100);
    for (let i = 0; i < 99; i++) b.recordMs(5);
    b.recordMs(100);
    expect(a.summary()).toEqual(b.summary());
    expect(a.percentileMs(99)).toBeCloseTo(5, 2);
    expect(a.percentileMs(99.5)).toBeCloseTo(100, 1);
  });

  it('counts negative latencies (clock steps) as 0 and reports NaN when empty', () => {
    const h = new LatencyHistogram();
    expect(Number.isNaN(h.percentileMs(50))).toBe(true);
    h.recordMs(-3);
    expect(h.maxMs()).toBe(0);
  });

  it('adds histograms', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.recordMs(1);
    b.recordMs(3);
    a.add(b);
    expect(a.count).toBe(2);
    expect(a.maxMs()).toBeCloseTo(3, 2);
  });
});
