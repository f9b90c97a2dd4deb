import { FlowwatchError } from '../../kernel/errors';
import { expression, expressionSchema } from './index';
import { ctx, ev } from '../test-events';

const make = (params: Record<string, unknown>, measurements?: string[]) =>
  expression.create(expressionSchema.parse({ type: 'expression', ...params }), { ...ctx, measurements });

describe('expression detector', () => {
  const rule = { expression: 'sum(amount) > 50000 and count >= 3' }; // window 5m in 30s panes

  it('evaluates the condition over window aggregates on each event', () => {
    const d = make(rule);
    const s = d.init(ev(0));
    const o1 = d.observe(s, ev(0, { amount: 20_000 }))!;
    // sum 20000, count 1 → false
    expect(o1).toMatchObject({ firing: false, score: 0.1, evidence: { value: 20_000, detail: { 'sum(amount)': 20_000, count: 1 } } });
    // + 30000 → sum 50000 (not > 50000), count 2
    expect(d.observe(s, ev(60_000, { amount: 30_000 }))).toMatchObject({
      firing: false,
      evidence: { detail: { 'sum(amount)': 50_000, count: 2 } },
    });
    // + 1234 → sum 51234 > 50000 and count 3 ≥ 3 → fires
    const o3 = d.observe(s, ev(120_000, { amount: 1_234 }))!;
    expect([o3.firing, o3.score]).toEqual([true, 0.9]);
    // an event without amount still counts as an event: count 4, sum unchanged
    const o4 = d.observe(s, ev(130_000, { other: 1 }))!;
    expect(o4.evidence).toEqual({
      measure: 'sum(amount) > 50000 and count >= 3',
      value: 51_234, // the first aggregate in the expression
      baseline: null,
      deviation: null,
      unit: 'abs',
      window: { start: -150_000, end: 130_000, size: 300_000 }, // 130s is pane 4 → panes −5..4
      detail: { 'sum(amount)': 51_234, count: 4 },
    });
  });

  it('clears through advance() when the oldest pane drains', () => {
    const d = make(rule);
    const s = d.init(ev(0));
    for (const [ts, amount] of [
      [0, 20_000],
      [60_000, 30_000],
      [120_000, 1_234],
    ])
      d.observe(s, ev(ts, { amount }));
    expect(d.advance!(s, 299_999)).toMatchObject({ firing: true }); // pane 9: panes 0..9, all three in
    // 330s: pane 11 → panes 2..11 start at 60s: the 20000 at t=0 left → sum 31234, count 2
    const cleared = d.advance!(s, 330_000)!;
    expect(cleared).toMatchObject({ firing: false, score: 0.1, evidence: { detail: { 'sum(amount)': 31_234, count: 2 } } });
    expect(d.advance!(s, 400_000)).toBeNull(); // not firing, unchanged
  });

  it('can start firing through advance() when the condition is about silence', () => {
    const d = make({ expression: 'count < 1', window: '1m', slide: '10s' });
    const s = d.init(ev(0));
    expect(d.observe(s, ev(0))!.firing).toBe(false); // count 1
    expect(d.advance!(s, 59_999)).toBeNull();
    expect(d.advance!(s, 60_000)).toMatchObject({ firing: true, evidence: { value: 0, unit: 'count', detail: { count: 0 } } });
  });

  it('reads bare names from the event, and has no opinion when one is absent', () => {
    const d = make({ expression: 'amount > 3 * mean(amount) and count(amount) >= 3' });
    const s = d.init(ev(0));
    expect(d.observe(s, ev(0, { amount: 10 }))!.firing).toBe(false);
    expect(d.observe(s, ev(1, { fee: 1 }))).toBeNull();
    expect(d.observe(s, ev(2, { amount: 10 }))!.firing).toBe(false);
    // 100 joins the window first: mean = (10+10+100)/3 = 40; 100 > 120? no
    expect(d.observe(s, ev(3, { amount: 100 }))!.firing).toBe(false);
    // 400: mean = 520/4 = 130; 400 > 390 → fires
    const o = d.observe(s, ev(4, { amount: 400 }))!;
    expect(o.firing).toBe(true);
    expect(o.evidence.detail).toEqual({ 'mean(amount)': 130, 'count(amount)': 4, amount: 400 });
  });

  it('uses a score expression, clamped to [0, 1]', () => {
    const d = make({ ...rule, score: 'min(1, sum(amount) / 100000)' });
    const s = d.init(ev(0));
    d.observe(s, ev(0, { amount: 20_000 }));
    d.observe(s, ev(1, { amount: 30_000 }));
    const o = d.observe(s, ev(2, { amount: 1_234 }))!;
    expect(o.score).toBeCloseTo(0.51234, 12); // 51234 / 100000
    expect(d.observe(s, ev(3, { amount: 100_000 }))!.score).toBe(1); // min(1, 1.51234)
  });

  it('rejects forbidden or non-condition expressions in the schema, naming the field', () => {
    const issues = (p: Record<string, unknown>) => {
      const r = expressionSchema.safeParse({ type: 'expression', ...p });
      return r.success
        ? []
        : r.error.issues.map((i) => ({
            path: i.path.join('.'),
            message: i.message,
            code: (i as { params?: { code?: string } }).params?.code,
          }));
    };
    expect(issues({ expression: 'import({}) > 1' })).toEqual([
      {
        path: 'expression',
        code: 'FW_EXPRESSION_FORBIDDEN',
        message: expect.stringMatching(/^function "import" is not allowed in expressions; allowed: abs, sqrt/),
      },
    ]);
    expect(issues({ expression: 'sum(amount)' })).toEqual([
      {
        path: 'expression',
        code: 'FW_EXPRESSION_INVALID',
        message: 'must be a condition (a comparison or and/or/not), e.g. "count > 10"; got "sum(amount)"',
      },
    ]);
    expect(issues({ expression: 'count > 1', score: 'evaluate("1")' })[0]).toMatchObject({
      path: 'score',
      code: 'FW_EXPRESSION_FORBIDDEN',
    });
    expect(issues({ expression: 'sum(amout) > 1', measurements: ['amount'] })).toEqual([
      { path: 'expression', code: 'FW_EXPRESSION_INVALID', message: 'unknown measurement "amout" in sum(amout); known: amount' },
    ]);
  });

  it('checks names against the stream measurements at create(), throwing FlowwatchError with the field', () => {
    const cfg = expressionSchema.parse({ type: 'expression', expression: 'sum(amout) > 1' }); // any name passes the schema
    let thrown: unknown;
    try {
      expression.create(cfg, { ...ctx, measurements: ['amount', 'fee'] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FlowwatchError);
    expect(thrown).toMatchObject({
      code: 'FW_EXPRESSION_INVALID',
      message: 'unknown measurement "amout" in sum(amout); known: amount, fee',
      details: { field: 'expression' },
    });
  });

  it('tracks only the measurements the expressions use', () => {
    const d = make({ expression: 'max(temp) - min(temp) > 5', score: 'last(hum) / 100' });
    const s = d.init(ev(0)) as number;
    const ring = (d as unknown as { win: { toRing(s: number): { n: number[] } } }).win.toRing(s);
    expect(ring.n.length).toBe(10 * 2); // 10 panes × [temp, hum]
  });
});
