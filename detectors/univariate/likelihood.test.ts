import { LIK_CALM, LIK_MAX_CUT, gaussSurprise, initLikelihood, judgeLikelihood } from './likelihood';

/** Feeds surprises to a fresh likelihood; returns it and the judged values. */
function feed(ls: readonly number[]): { lk: number[]; judged: number[] } {
  const lk = initLikelihood();
  return { lk, judged: ls.map((l) => judgeLikelihood(lk, l)) };
}

/** A restless series' habit: a surprise of 2.5 decades every 5th value, 0.3 otherwise (mean ~0.74). */
const restless = (n: number) => Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 2.5 : 0.3));

describe('anomaly likelihood of the surprise', () => {
  it('is the Gaussian upper tail in decades', () => {
    expect(gaussSurprise(0)).toBe(0);
    expect(gaussSurprise(-3)).toBe(0);
    expect(gaussSurprise(1.644854)).toBeCloseTo(-Math.log10(0.05), 4);
    expect(gaussSurprise(3.090232)).toBeCloseTo(3, 4);
    // The asymptotic branch from 5σ on continues the exact one (Q(5) = 2.8665e-7).
    expect(gaussSurprise(5)).toBeCloseTo(-Math.log10(2.8665e-7), 1);
    expect(Math.abs(gaussSurprise(5) - gaussSurprise(4.9999))).toBeLessThan(0.05);
  });

  it('lowers a surprise that is the habit of a restless series, by at most one decade', () => {
    const { lk, judged } = feed(restless(3000));
    expect(lk[1]).toBeGreaterThan(0.5); // the habit: the long-run mean of the short mean
    const last = judged[judged.length - 5]; // a habitual 2.5
    expect(last).toBeLessThan(2.5 - 0.5);
    expect(last).toBeGreaterThanOrEqual(2.5 - LIK_MAX_CUT - 1e-12);
  });

  it('leaves a lone surprise on a calm series alone (no cut below the calm habit)', () => {
    // 6 decades every 61st value: a mean surprise of ~0.094 (calm), but a wide short-mean spread, so
    // a lone 3 is only ~1.8 decades of likelihood: an unscaled cut would lower it to 2.3.
    const { lk, judged } = feed([...Array.from({ length: 3050 }, (_, i) => (i % 61 === 0 ? 6 : 0)), 3]);
    expect(lk[1]).toBeLessThan(LIK_CALM);
    expect(judged[3050]).toBe(3);
    expect(feed(new Array(3001).fill(0)).judged[3000]).toBe(0);
  });

  it('lets a sustained stretch through on a restless series: the short mean leaves the habit', () => {
    const { judged } = feed([...restless(3000), ...new Array(10).fill(2.5)]);
    expect(judged[3000]).toBeLessThan(2.5); // its first value is the habit
    expect(judged[3009]).toBe(2.5); // ten in a row are not
  });

  it('keeps an anomaly from widening its own yardstick (clipped learning)', () => {
    const { lk } = feed([...restless(3000), ...new Array(200).fill(40)]);
    // Unclipped, 200 values at 40 decades would move the long mean by ~7 decades.
    expect(lk[1]).toBeLessThan(2);
  });
});
