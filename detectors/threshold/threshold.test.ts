import { threshold, thresholdSchema } from './index';
import { ctx, ev } from '../test-events';

const make = (params: Record<string, unknown>) => threshold.create(thresholdSchema.parse({ type: 'threshold', ...params }), ctx);

describe('threshold', () => {
  it('scores 0.5 at the bound and fires strictly above it', () => {
    const d = make({ measurement: 'temp', above: 100 });
    const s = d.init(ev(0));
    const at = (v: number) => d.observe(s, ev(0, { temp: v }))!;
    // score = r/(1+r) with r = value/bound for a positive upper bound
    expect(at(50).score).toBeCloseTo(1 / 3, 12); // r = 0.5 → 0.5/1.5
    expect(at(50).firing).toBe(false);
    expect(at(100)).toMatchObject({ score: 0.5, firing: false }); // r = 1
    const o = at(150); // r = 1.5 → 1.5/2.5 = 0.6
    expect(o.score).toBeCloseTo(0.6, 12);
    expect(o.firing).toBe(true);
    expect(o.evidence).toEqual({
      measure: 'temp',
      value: 150,
      baseline: 100,
      deviation: 50,
      unit: 'abs',
      limit: 100,
      window: { start: 0, end: 0 },
      detail: { bound: 'above' },
    });
    expect(at(200).score).toBeCloseTo(2 / 3, 12); // r = 2
  });

  it('holds firing above until the value is ≤ clear_above', () => {
    const d = make({ measurement: 'temp', above: 100, clear_above: 80 });
    const s = d.init(ev(0));
    const at = (v: number) => d.observe(s, ev(0, { temp: v }))!;
    expect(at(120).firing).toBe(true);
    const band = at(90); // inside the bound but above the clear level
    expect(band.firing).toBe(true);
    expect(band.score).toBeCloseTo(0.9 / 1.9, 12); // the score itself has no memory: r = 0.9
    expect(at(81).firing).toBe(true);
    expect(at(80).firing).toBe(false); // 80 ≤ clear_above
    expect(at(90).firing).toBe(false); // does not re-fire until > 100
  });

  it('lower bound with hysteresis: relative excess below the bound', () => {
    const d = make({ measurement: 'stock', below: 10, clear_below: 15 });
    const s = d.init(ev(0));
    const at = (v: number) => d.observe(s, ev(0, { stock: v }))!;
    const low = at(5); // r = 1 + (10−5)/10 = 1.5 → 0.6
    expect(low.score).toBeCloseTo(0.6, 12);
    expect(low.firing).toBe(true);
    expect(low.evidence.deviation).toBe(-5);
    const band = at(12); // r = 1 + (10−12)/10 = 0.8 → 0.8/1.8
    expect(band.score).toBeCloseTo(0.8 / 1.8, 12);
    expect(band.firing).toBe(true); // 12 < clear_below 15
    expect(at(15).firing).toBe(false);
  });

  it('with both bounds, names the side that fires and can jump from one to the other', () => {
    const d = make({ measurement: 't', above: 8, below: 2 });
    const s = d.init(ev(0));
    const hot = d.observe(s, ev(0, { t: 12 }))!; // r = 12/8 = 1.5 → 0.6
    expect([hot.firing, hot.score, hot.evidence.baseline]).toEqual([true, 0.6, 8]);
    const cold = d.observe(s, ev(1, { t: 1 }))!; // below: r = 1 + (2−1)/2 = 1.5 → 0.6
    expect([cold.firing, cold.evidence.baseline, cold.evidence.detail?.bound]).toEqual([true, 2, 'below']);
    expect(cold.score).toBeCloseTo(0.6, 12);
    const mid = d.observe(s, ev(2, { t: 3 }))!; // closer to below: up r = 3/8 → 0.27; down r = 1 − 1/2 → 1/3
    expect([mid.firing, mid.evidence.baseline]).toEqual([false, 2]);
    expect(mid.score).toBeCloseTo(1 / 3, 12);
  });

  it('uses an absolute scale of 1 for a zero bound', () => {
    const d = make({ measurement: 'x', above: 0 });
    expect(d.observe(d.init(ev(0)), ev(0, { x: 1 }))!.score).toBeCloseTo(2 / 3, 12); // r = 1 + 1/1 = 2
  });

  it('has no opinion when the measurement is absent', () => {
    const d = make({ measurement: 'x', above: 1 });
    expect(d.observe(d.init(ev(0)), ev(0, { y: 5 }))).toBeNull();
  });

  it('rejects configs with clear messages', () => {
    const issues = (p: Record<string, unknown>) => {
      const r = thresholdSchema.safeParse({ type: 'threshold', measurement: 'x', ...p });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({})).toEqual(['above: set above, below or both']);
    expect(issues({ above: 12, clear_above: 13 })).toEqual(['clear_above: must be ≤ above (12)']);
    expect(issues({ below: 3, clear_below: 2 })).toEqual(['clear_below: must be ≥ below (3)']);
    expect(issues({ above: 3, below: 3 })).toEqual(['below: must be < above (3)']);
    expect(issues({ below: 3, clear_above: 2 })).toEqual(['clear_above: needs above']);
    expect(issues({ above: 1, abvoe: 2 })[0]).toMatch(/Unrecognized key: "abvoe"/);
    expect(thresholdSchema.parse({ type: 'threshold', measurement: 'x', above: 1 })).toMatchObject({ severity: 'warning', for: 0 });
  });

  it('state is plain JSON', () => {
    const d = make({ measurement: 'x', above: 1 });
    const s = d.init(ev(0));
    d.observe(s, ev(0, { x: 5 }));
    expect(JSON.parse(JSON.stringify(s))).toEqual({ side: 1 });
  });
});
