import { ewma, ewmaSchema } from './index';
import { EwmaState, alphaFromHalflife } from './ewma';
import { ctx, ev } from '../test-events';

const make = (params: Record<string, unknown>) => ewma.create(ewmaSchema.parse({ type: 'ewma', measurement: 'x', ...params }), ctx);
const feed = (d: ReturnType<typeof make>, s: EwmaState, xs: number[]) => xs.map((x, i) => d.observe(s, ev(i, { x })));

describe('ewma', () => {
  it('warms up with exact running statistics, then judges before updating', () => {
    const d = make({ alpha: 0.5, warmup: 2 });
    const s = d.init(ev(0)) as EwmaState;
    const out = feed(d, s, [10, 12, 14, 20]);
    expect(out.slice(0, 2)).toEqual([null, null]);
    // 10: mean 10, var 0.  12: a = max(0.5, 1/2) = 0.5, r = 2, mean 11, var = 0.5·(0 + 2·1) = 1
    // 14: judged against mean 11, std 1 → z = 3 = k: score 0.5, not firing.
    expect(out[2]).toMatchObject({ score: 0.5, firing: false, evidence: { baseline: 11, deviation: 3, detail: { std: 1, n: 2 } } });
    //     update: r = 3, incr 1.5, mean 12.5, var = 0.5·(1 + 3·1.5) = 2.75
    // 20: z = (20 − 12.5)/√2.75 = 7.5/1.6583 = 4.5227 → firing; score = 4.5227/(4.5227+3)
    const z = 7.5 / Math.sqrt(2.75);
    expect(out[3]!.evidence.deviation).toBeCloseTo(z, 12);
    expect(out[3]!.score).toBeCloseTo(z / (z + 3), 12);
    expect(out[3]!.firing).toBe(true);
    expect(s).toMatchObject({ n: 4, mean: 16.25 }); // 12.5 + 0.5·7.5
  });

  it('uses a start-up weight of 1/(n+1): with alpha 0.1 the first values give the plain mean', () => {
    const d = make({ alpha: 0.1, warmup: 5 });
    const s = d.init(ev(0)) as EwmaState;
    feed(d, s, [2, 4, 6, 8]);
    // weights 1, 1/2, 1/3, 1/4 → running mean 5; population var = (9+1+1+9)/4 = 5
    expect(s.mean).toBeCloseTo(5, 12);
    expect(s.var).toBeCloseTo(5, 12);
  });

  it('converts a half-life in events into alpha', () => {
    expect(alphaFromHalflife(1)).toBe(0.5); // 1 − 0.5¹
    expect(alphaFromHalflife(10)).toBeCloseTo(0.066967, 6); // 1 − 0.5^0.1
    const a = make({ halflife: 1, warmup: 2 });
    const b = make({ alpha: 0.5, warmup: 2 });
    const sa = a.init(ev(0)) as EwmaState;
    const sb = b.init(ev(0)) as EwmaState;
    expect(feed(a, sa, [1, 5, 2, 9])).toEqual(feed(b, sb, [1, 5, 2, 9]));
  });

  describe('a single huge outlier', () => {
    // A settled baseline: mean 10, var 1 (σ 1), mad 0.8 (robust σ = 0.8·1.2533 = 1.00265).
    const settled = (): EwmaState => ({ n: 100, mean: 10, var: 1, mad: 0.8, firing: false });

    it('drags the plain baseline and inflates its variance', () => {
      const d = make({ alpha: 0.1 });
      const s = settled();
      expect(d.observe(s, ev(0, { x: 1000 }))!.firing).toBe(true);
      // r = 990, incr = 99 → mean 109; var = 0.9·(1 + 990·99) = 88209.9
      expect(s.mean).toBeCloseTo(109, 9);
      expect(s.var).toBeCloseTo(88209.9, 6);
    });

    it('barely moves the robust baseline', () => {
      const d = make({ alpha: 0.1, robust: true });
      const s = settled();
      const o = d.observe(s, ev(0, { x: 1000 }))!;
      const sigma = 0.8 * Math.sqrt(Math.PI / 2); // 1.00265
      expect(o.firing).toBe(true);
      expect(o.evidence.deviation).toBeCloseTo(990 / sigma, 9);
      // clipped r = 2.5σ = 2.5066 → mean = 10 + 0.1·2.5066 = 10.2507; mad = 0.9·0.8 + 0.1·2.5066 = 0.9707
      expect(s.mean).toBeCloseTo(10 + 0.25 * sigma, 12);
      expect(s.mad).toBeCloseTo(0.72 + 0.25 * sigma, 12);
      // so the next normal value is normal again
      expect(d.observe(s, ev(1, { x: 10 }))!.firing).toBe(false);
    });
  });

  it('robust mode still adopts a level shift', () => {
    const d = make({ alpha: 0.1, robust: true });
    const s: EwmaState = { n: 100, mean: 10, var: 1, mad: 0.8, firing: false };
    const out = feed(d, s, new Array(60).fill(20));
    expect(out[0]!.firing).toBe(true);
    // each clipped step moves the mean by 0.25σ and grows σ by 1 − 0.1 + 0.25·1.2533 ≈ 1.21×:
    // z runs 9.97, 8.01, 6.40, 5.07, 3.97, 3.07, 2.32, then 1.75 ≤ clear_k 2.25 → clears on the 8th value
    expect(out.findIndex((o) => !o!.firing)).toBe(7);
    expect(Math.abs(s.mean - 20)).toBeLessThan(0.1);
    expect(out[59]!.firing).toBe(false);
  });

  it('honours direction and ignores events without the measurement', () => {
    const d = make({ alpha: 0.5, warmup: 2, direction: 'up' });
    const s = d.init(ev(0));
    expect(d.observe(s, ev(0, { y: 1 }))).toBeNull();
    const out = feed(d, s as EwmaState, [10, 12, 0]);
    expect(out[2]).toMatchObject({ score: 0, firing: false, evidence: { deviation: -11 } }); // (0 − 11)/1
  });

  it('rejects alpha together with halflife', () => {
    const r = ewmaSchema.safeParse({ type: 'ewma', measurement: 'x', alpha: 0.2, halflife: 5 });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'halflife: set alpha or halflife, not both',
    ]);
  });
});
