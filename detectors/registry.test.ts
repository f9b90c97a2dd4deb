import { createDetector, detectorFactories, detectorSchema } from './registry';
import type { FlowEvent } from '../kernel/types';
import { ctx } from './test-events';

/** A minimal valid config per type. */
const samples: Record<string, Record<string, unknown>> = {
  threshold: { measurement: 'x', above: 8 },
  rate: { above: 5, window: '1m' },
  zscore: { measurement: 'x', window: '10m', min_samples: 5 },
  ewma: { measurement: 'x', warmup: 5, robust: true },
  deadman: { timeout: '30s' },
  distinct: { attribute: 'cp', window: '10m', above: 3 },
  expression: { expression: 'sum(x) > 30 and count >= 3', window: '1m' },
  univariate: { measurement: 'x', warmup: 20 },
  forecast: { measurement: 'x', limit: 15 },
};

describe('detector registry', () => {
  it('has one factory per type, each with a schema in the union', () => {
    const types = detectorFactories.map((f) => f.type);
    expect(types).toEqual(['threshold', 'rate', 'zscore', 'ewma', 'deadman', 'distinct', 'expression', 'univariate', 'forecast']);
    for (const f of detectorFactories) {
      const parsed = detectorSchema.parse({ type: f.type, ...samples[f.type] });
      expect(parsed.type).toBe(f.type);
      expect(f.schema.parse({ type: f.type, ...samples[f.type] })).toEqual(parsed);
      expect(createDetector(parsed, ctx).type).toBe(f.type);
      expect(f.description.length).toBeGreaterThan(10);
    }
  });

  it('rejects unknown types and unknown fields', () => {
    const bad = detectorSchema.safeParse({ type: 'magic' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].message).toMatch(/Invalid discriminator value/);
    expect(detectorSchema.safeParse({ type: 'rate', above: 1, windw: '5m' }).success).toBe(false);
  });

  it('fills common fields', () => {
    expect(detectorSchema.parse({ type: 'deadman' })).toEqual({
      type: 'deadman',
      severity: 'warning',
      labels: {},
      for: 0,
      timeout: 300_000,
    });
  });

  // The state contract: plain JSON. Running with a JSON round trip of the state before every call
  // (what a Redis-backed store does) must give exactly the same observations.
  it.each(detectorFactories.map((f) => f.type))('%s state survives a JSON round trip between every call', (type) => {
    const d = createDetector(detectorSchema.parse({ type, ...samples[type] }), ctx);
    let seed = 3;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const events: FlowEvent[] = Array.from({ length: 300 }, (_, i) => ({
      stream: 's',
      key: 'k',
      ts: i * 7_000 + Math.floor(rnd() * 3_000),
      values: rnd() < 0.9 ? { x: Math.round(rnd() * 10) + (i > 200 ? 20 : 0) } : ({} as Record<string, number>),
      attrs: { cp: `cp-${Math.floor(rnd() * (i > 150 ? 100 : 4))}` },
    }));
    const live = d.init(events[0]);
    let stored = JSON.parse(JSON.stringify(d.init(events[0])));
    const a: unknown[] = [];
    const b: unknown[] = [];
    events.forEach((e, i) => {
      a.push(d.observe(live, e));
      b.push(d.observe(stored, e));
      stored = JSON.parse(JSON.stringify(stored));
      if (d.advance && i % 10 === 0) {
        a.push(d.advance(live, e.ts + 60_000));
        b.push(d.advance(stored, e.ts + 60_000));
        stored = JSON.parse(JSON.stringify(stored));
      }
    });
    expect(b).toEqual(a);
    expect(a.some((o) => o !== null && (o as { firing: boolean }).firing)).toBe(true); // the samples do fire
    for (const o of a) if (o) expect((o as { score: number }).score).toBeGreaterThanOrEqual(0);
    for (const o of a) if (o) expect((o as { score: number }).score).toBeLessThanOrEqual(1);
  });
});
