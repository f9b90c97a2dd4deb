import { zscore, zscoreSchema } from './index';
import { ctx, ev } from '../test-events';

const make = (params: Record<string, unknown>) =>
  zscore.create(zscoreSchema.parse({ type: 'zscore', measurement: 'x', window: '10m', slide: '1m', min_samples: 3, ...params }), ctx);
const MIN = 60_000;

/** Feeds values one minute apart and returns the observations. */
function feed(d: ReturnType<typeof make>, values: number[], base = 0) {
  const s = d.init(ev(base));
  const out = values.map((x, i) => d.observe(s, ev(base + i * MIN, { x })));
  return { s, out };
}

describe('zscore', () => {
  it('warms up, then judges each value against the window before it', () => {
    // baseline 8, 10, 12: mean 10, M2 = 4+0+4 = 8, sample var 8/2 = 4, std 2
    const { out } = feed(make({}), [8, 10, 12, 16]);
    expect(out.slice(0, 3)).toEqual([null, null, null]); // n = 0, 1, 2 < min_samples 3
    // 16: z = (16 − 10)/2 = 3 → exactly k: score 0.5, not firing (fires when > k)
    expect(out[3]).toMatchObject({ score: 0.5, firing: false, evidence: { baseline: 10, deviation: 3 } });
  });

  it('fires beyond k with full evidence', () => {
    const { out } = feed(make({}), [8, 10, 12, 18]);
    // z = (18 − 10)/2 = 4; score = squash(4, 3) = (4/3)/(1 + 4/3) = 4/7
    expect(out[3]!.firing).toBe(true);
    expect(out[3]!.score).toBeCloseTo(4 / 7, 12);
    expect(out[3]!.evidence).toEqual({
      measure: 'x',
      value: 18,
      baseline: 10,
      deviation: 4,
      unit: 'sigma',
      limit: 3,
      // judged at 3m (pane 3): window panes −6..3
      window: { start: -6 * MIN, end: 3 * MIN, size: 10 * MIN },
      detail: { std: 2, n: 3 },
    });
  });

  it('holds firing until the deviation is ≤ clear_k (default 0.75·k = 2.25)', () => {
    const { out } = feed(make({}), [8, 10, 12, 18, 23, 12]);
    // after 18 the window is 8,10,12,18: mean 12, M2 = 16+4+0+36 = 56, var 56/3, std 4.3205
    // 23: z = 11/4.3205 = 2.546 → between 2.25 and 3: still firing
    expect(out[4]!.evidence.deviation).toBeCloseTo(11 / Math.sqrt(56 / 3), 12);
    expect(out[4]!.firing).toBe(true);
    expect(out[5]!.firing).toBe(false); // 12 against mean 14.2: |z| < 1
  });

  it('honours direction', () => {
    expect(feed(make({ direction: 'down' }), [8, 10, 12, 18]).out[3]).toMatchObject({ score: 0, firing: false });
    // 2: z = (2 − 10)/2 = −4 → down deviation 4
    const low = feed(make({ direction: 'down' }), [8, 10, 12, 2]).out[3]!;
    expect([low.firing, low.evidence.deviation]).toEqual([true, -4]);
    expect(feed(make({ direction: 'up' }), [8, 10, 12, 2]).out[3]).toMatchObject({ score: 0, firing: false });
  });

  it('floors the std of a flat series instead of dividing by zero', () => {
    // std 0 → floor 1e-9·max(1, 5) = 5e-9; z = 0.1/5e-9 = 2e7 (a flat series that moves is news)
    const flat = feed(make({}), [5, 5, 5, 5.1]).out[3]!;
    expect(flat.evidence.deviation! / 2e7).toBeCloseTo(1, 6);
    expect(flat.firing).toBe(true);
    expect(feed(make({}), [5, 5, 5, 5]).out[3]).toMatchObject({ score: 0, firing: false, evidence: { deviation: 0 } });
    // min_std 0.5: z = 0.1/0.5 = 0.2
    expect(feed(make({ min_std: 0.5 }), [5, 5, 5, 5.1]).out[3]!.evidence.deviation).toBeCloseTo(0.2, 12);
  });

  it('forgets values older than the window', () => {
    const d = make({});
    const { s } = feed(d, [8, 10, 12]);
    expect(d.observe(s, ev(15 * MIN, { x: 100 }))).toBeNull(); // panes 6..15 are empty: warm-up again
  });

  it('is exact at a large level', () => {
    const o = feed(make({}), [1e9 + 8, 1e9 + 10, 1e9 + 12, 1e9 + 18]).out[3]!;
    expect(o.evidence.deviation).toBeCloseTo(4, 6);
  });

  it('ignores events without the measurement and defaults min_samples to 10', () => {
    const d = zscore.create(zscoreSchema.parse({ type: 'zscore', measurement: 'x' }), ctx);
    const s = d.init(ev(0));
    expect(d.observe(s, ev(0, { y: 1 }))).toBeNull();
    const out = Array.from({ length: 11 }, (_, i) => d.observe(s, ev(i * 1000, { x: i % 2 })));
    expect(out.slice(0, 10).every((o) => o === null)).toBe(true);
    expect(out[10]).not.toBeNull();
  });

  it('validates clear_k and slide', () => {
    const r = zscoreSchema.safeParse({ type: 'zscore', measurement: 'x', k: 2, clear_k: 2.5, window: '1h', slide: '7m' });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort()).toEqual([
      'clear_k: must be ≤ k (2)',
      'slide: must divide window (1h) evenly, e.g. 6m',
    ]);
  });
});
