import { distinct, distinctSchema } from './index';
import { ctx, ev } from '../test-events';

const MIN = 60_000;
const make = (params: Record<string, unknown>) =>
  distinct.create(distinctSchema.parse({ type: 'distinct', attribute: 'cp', ...params }), ctx);
const pay = (ts: number, cp?: string) => ev(ts, { amount: 1 }, cp === undefined ? {} : { cp });

describe('distinct', () => {
  it('fires when an account pays more distinct counterparties than the limit', () => {
    const d = make({ window: '1h', above: 3, clear_below: 1 });
    const s = d.init(pay(0));
    const out = [
      ['a', 0],
      ['b', 5],
      ['a', 6],
      ['c', 12],
      ['d', 20],
    ].map(([cp, m]) => d.observe(s, pay((m as number) * MIN, cp as string))!);
    expect(out.map((o) => o.evidence.value)).toEqual([1, 2, 2, 3, 4]);
    expect(out.map((o) => o.firing)).toEqual([false, false, false, false, true]);
    expect(out[3].score).toBe(0.5); // 3/3
    expect(out[4].score).toBeCloseTo(4 / 7, 12); // r = 4/3
    expect(out[4].evidence).toEqual({
      measure: 'distinct(cp)',
      value: 4,
      baseline: 3,
      deviation: 1,
      unit: 'count',
      limit: 3,
      // default slide 10m: 20 min is pane 2 → window panes −3..2
      window: { start: -30 * MIN, end: 20 * MIN, size: 60 * MIN },
      detail: { window: '1h', method: 'exact' },
    });
  });

  it('clears through advance() as panes drain', () => {
    const d = make({ window: '1h', above: 3, clear_below: 1 });
    const s = d.init(pay(0));
    [
      ['a', 0],
      ['b', 5],
      ['c', 12],
      ['d', 20],
    ].forEach(([cp, m]) => d.observe(s, pay((m as number) * MIN, cp as string)));
    // 60 min: pane 6, window 1..6 → c (pane 1), d (pane 2) = 2 > 1: still firing
    expect(d.advance!(s, 60 * MIN)).toMatchObject({ firing: true, evidence: { value: 2 } });
    // 70 min: window 2..7 → d = 1 ≤ 1: clears
    expect(d.advance!(s, 70 * MIN)).toMatchObject({ firing: false, evidence: { value: 1 } });
    expect(d.advance!(s, 80 * MIN)).toBeNull();
  });

  it('has no opinion on events without the attribute', () => {
    const d = make({ above: 3 });
    expect(d.observe(d.init(pay(0)), pay(0))).toBeNull();
  });

  it('reports HLL estimates as such', () => {
    const d = make({ above: 500 });
    const s = d.init(pay(0));
    let last = null;
    for (let i = 0; i < 1000; i++) last = d.observe(s, pay(i, `cp-${i}`));
    expect(last!.firing).toBe(true);
    expect(last!.evidence.detail).toMatchObject({ method: 'hyperloglog' });
    expect(Math.abs(last!.evidence.value / 1000 - 1)).toBeLessThan(0.2);
  });

  it('validates slide and clear_below', () => {
    const r = distinctSchema.safeParse({ type: 'distinct', attribute: 'cp', above: 5, clear_below: 6, slide: '7m' });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort()).toEqual([
      'clear_below: must be ≤ above (5)',
      'slide: must divide window (1h) evenly, e.g. 6m',
    ]);
  });
});
