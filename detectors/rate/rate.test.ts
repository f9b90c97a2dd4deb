import { rate, rateSchema } from './index';
import { ctx, ev } from '../test-events';

const make = (params: Record<string, unknown>) => rate.create(rateSchema.parse({ type: 'rate', ...params }), ctx);

describe('rate', () => {
  // window 60s, slide 10s → 6 panes; pane p covers [10p, 10p+10) seconds.
  const params = { window: '60s', slide: '10s', above: 3, clear_below: 1 };

  it('fires on the event that crosses the limit', () => {
    const d = make(params);
    const s = d.init(ev(0));
    const seen = [0, 5_000, 20_000, 30_000].map((ts) => d.observe(s, ev(ts))!);
    expect(seen.map((o) => o.evidence.value)).toEqual([1, 2, 3, 4]);
    expect(seen.map((o) => o.firing)).toEqual([false, false, false, true]); // 4 > 3
    expect(seen[2].score).toBe(0.5); // at the limit: r = 3/3
    expect(seen[3].score).toBeCloseTo(4 / 7, 12); // r = 4/3 → (4/3)/(7/3)
    expect(seen[3].evidence).toEqual({
      measure: 'count',
      value: 4,
      baseline: 3,
      deviation: 1,
      unit: 'count',
      limit: 3,
      // 30s is in pane 3 → window panes −2..3 → nominal start −20s (nothing before 0 exists)
      window: { start: -20_000, end: 30_000, size: 60_000 },
      detail: { window: '1m' },
    });
  });

  it('clears through advance() as panes drain, with hysteresis', () => {
    const d = make(params);
    const s = d.init(ev(0));
    for (const ts of [0, 5_000, 20_000, 30_000]) d.observe(s, ev(ts));
    // 55s: pane 5, window panes 0..5 → all 4 events, still firing
    expect(d.advance!(s, 55_000)).toMatchObject({ firing: true, evidence: { value: 4 } });
    // 65s: pane 6, window 1..6 → events at 20s and 30s = 2 > clear_below 1 → still firing
    expect(d.advance!(s, 65_000)).toMatchObject({ firing: true, evidence: { value: 2, window: { start: 10_000, end: 65_000 } } });
    // 85s: pane 8, window 3..8 → only 30s = 1 ≤ 1 → clears; score r = 1/3 → 0.25
    const cleared = d.advance!(s, 85_000)!;
    expect([cleared.firing, cleared.evidence.value, cleared.score]).toEqual([false, 1, 0.25]);
    expect(d.advance!(s, 100_000)).toBeNull(); // not firing: nothing to say
  });

  it('never reads the window behind the newest event (watermark lags event time)', () => {
    const d = make(params);
    const s = d.init(ev(0));
    for (const ts of [50_000, 51_000, 52_000, 53_000]) d.observe(s, ev(ts));
    expect(d.advance!(s, 0)).toMatchObject({ firing: true, evidence: { value: 4, window: { end: 53_000 } } });
  });

  it('sums a measurement and ignores events without it', () => {
    const d = make({ measurement: 'amount', window: '1m', above: 1000 });
    const s = d.init(ev(0));
    expect(d.observe(s, ev(0, { amount: 400 }))!.firing).toBe(false);
    expect(d.observe(s, ev(1_000, { other: 1 }))).toBeNull();
    expect(d.observe(s, ev(2_000, { amount: 500 }))!.evidence.value).toBe(900);
    const o = d.observe(s, ev(3_000, { amount: 200 }))!; // 1100 > 1000; r = 1.1 → 1.1/2.1
    expect([o.firing, o.evidence.value, o.evidence.measure, o.evidence.unit]).toEqual([true, 1100, 'sum(amount)', 'abs']);
    expect(o.score).toBeCloseTo(1.1 / 2.1, 12);
  });

  it('counts only events carrying the measurement with agg: count', () => {
    const d = make({ measurement: 'amount', agg: 'count', above: 10 });
    const s = d.init(ev(0));
    d.observe(s, ev(0, { amount: 5 }));
    d.observe(s, ev(1, { x: 1 }));
    expect(d.observe(s, ev(2, { amount: 7 }))!.evidence).toMatchObject({ measure: 'count(amount)', value: 2 });
  });

  it('defaults to a 5m window moving in 30s panes', () => {
    const d = make({ above: 100 });
    const s = d.init(ev(0));
    d.observe(s, ev(29_999)); // pane 0
    d.observe(s, ev(30_000)); // pane 1
    // 329_999 is in pane 10 → window panes 1..10 starts at 30_000: the event in pane 0 is out
    expect(d.observe(s, ev(329_999))!.evidence).toMatchObject({ value: 2, window: { start: 30_000, end: 329_999 } });
  });

  it('drops events too late for the window', () => {
    const d = make(params);
    const s = d.init(ev(0));
    d.observe(s, ev(100_000));
    expect(d.observe(s, ev(10_000))).toBeNull();
  });

  it('rejects inconsistent configs', () => {
    const issues = (p: Record<string, unknown>) => {
      const r = rateSchema.safeParse({ type: 'rate', ...p });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ above: 3, agg: 'sum' })).toEqual(['agg: sum needs a measurement']);
    expect(issues({ above: 3, window: '5m', slide: '70s' })).toEqual(['slide: must divide window (5m) evenly, e.g. 30s']);
    expect(issues({ above: 3, clear_below: 4 })).toEqual(['clear_below: must be ≤ above (3)']);
    expect(issues({ above: 3, window: 'soon' })[0]).toMatch(/window: expected a duration like "5m"/);
    expect(issues({})[0]).toMatch(/^above: /);
  });
});
