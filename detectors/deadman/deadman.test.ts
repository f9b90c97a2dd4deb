import { deadman, deadmanSchema } from './index';
import { ctx, ev } from '../test-events';

const T0 = Date.UTC(2024, 0, 1, 8, 0, 0); // 2024-01-01T08:00:00Z
const make = (params: Record<string, unknown> = {}) => deadman.create(deadmanSchema.parse({ type: 'deadman', ...params }), ctx);

describe('deadman', () => {
  it('stays quiet up to the timeout and fires after it', () => {
    const d = make({ timeout: '5m' });
    const s = d.init(ev(T0));
    expect(d.observe(s, ev(T0))).toMatchObject({ score: 0, firing: false });
    expect(d.advance!(s, T0 + 299_000)).toBeNull();
    expect(d.advance!(s, T0 + 300_000)).toBeNull(); // exactly the timeout: not yet "longer than"
    const o = d.advance!(s, T0 + 600_000)!;
    // 600 s silent vs 300 s: scoreAgainstLimit(2) = 2/3
    expect(o.score).toBeCloseTo(2 / 3, 12);
    expect(o).toMatchObject({
      firing: true,
      evidence: {
        measure: 'silence',
        value: 600,
        baseline: null,
        deviation: 300,
        unit: 'seconds',
        limit: 300,
        window: { start: T0, end: T0 + 600_000 },
        detail: { lastSeen: '2024-01-01T08:00:00.000Z' },
      },
    });
    // 301 s: 301/300 → just over 0.5
    expect(d.advance!(d.init(ev(T0)), T0 + 301_000)!.score).toBeCloseTo(301 / 601, 12);
  });

  it('clears on the next event, reporting the gap it ended', () => {
    const d = make({ timeout: '1m' });
    const s = d.init(ev(T0));
    expect(d.advance!(s, T0 + 120_000)!.firing).toBe(true);
    expect(d.observe(s, ev(T0 + 130_000))).toMatchObject({ score: 0, firing: false, evidence: { value: 130 } });
    expect(d.advance!(s, T0 + 140_000)).toBeNull();
  });

  it('keeps the newest time when events arrive out of order', () => {
    const d = make({ timeout: '1m' });
    const s = d.init(ev(T0));
    d.observe(s, ev(T0 + 50_000));
    d.observe(s, ev(T0 + 10_000));
    expect(s).toEqual({ lastSeen: T0 + 50_000, firing: false });
    expect(d.advance!(s, T0 + 100_000)).toBeNull(); // 50 s silent
  });

  it('defaults to 5 minutes', () => {
    expect(deadmanSchema.parse({ type: 'deadman' }).timeout).toBe(300_000);
  });
});
