/**
 * Detector.encode writes exactly the bytes of encoding the stored form (persist(state), or the
 * state itself for detectors without persist) — for every detector that has encode(), at every
 * stage of a key's life: fresh, warming up, firing, a distinct sketch in HyperLogLog mode. A state
 * restored from a store as it was (fields in another order, or missing) is written as the generic
 * encoder writes it.
 */
import { StateEncoder, decodeStateValue, encodeStateValue } from '../state/codec';
import { createDetector, detectorSchema } from './registry';
import type { Detector } from './types';
import { ctx, ev } from './test-events';

const T0 = Date.UTC(2026, 11, 7, 8, 0);

const configs: Array<Record<string, unknown>> = [
  { type: 'threshold', measurement: 'v', above: 50, below: 5, clear_above: 45 },
  { type: 'ewma', measurement: 'v', alpha: 0.3, k: 2, warmup: 3 },
  { type: 'rate', window: '1m', above: 4 },
  { type: 'rate', measurement: 'v', agg: 'sum', window: '1m', above: 200 },
  { type: 'deadman', timeout: '30s' },
  // Above 64 distinct values the sketch leaves exact mode: its registers are stored too.
  { type: 'distinct', attribute: 'who', window: '10m', above: 3 },
  { type: 'expression', expression: 'count >= 3 and max(v) > 60 and std(v) > 1', window: '1m' },
  { type: 'zscore', measurement: 'v', window: '2m', k: 2, min_samples: 3 },
];

const build = (c: Record<string, unknown>): Detector<unknown> => createDetector(detectorSchema.parse(c), ctx);

/** The stored bytes of one value as writePersistedRow frames it, written by encode(). */
function encoded(d: Detector<unknown>, s: unknown): Buffer {
  const enc = new StateEncoder();
  enc.begin();
  d.encode!(s, enc);
  enc.end();
  return enc.finish()[0];
}

const generic = (d: Detector<unknown>, s: unknown): Buffer => encodeStateValue(d.persist ? d.persist(s) : s);

it.each(configs)('encode() = encoding the stored form, event by event: %o', (c) => {
  const d = build(c);
  expect(d.encode).toBeDefined();
  const first = ev(T0, { v: 10 }, { who: 'a' });
  const s = d.init(first);
  expect(encoded(d, s).equals(generic(d, s))).toBe(true);
  let firing = false;
  for (let i = 0; i < 150; i++) {
    // Values that swing across the limits (fractions: float64 fields; whole: int32), a distinct
    // counterparty per event (past the exact set's 64), now and then a late one and a silence.
    const ts = T0 + i * 3_000 + (i % 11 === 0 ? -20_000 : 0) + (i === 100 ? 120_000 : 0);
    const v = i % 5 === 0 ? 90 + i / 7 : i % 3 === 0 ? 2 : 20 + (i % 4);
    const o = d.observe(s, ev(ts, { v }, { who: `acc-${i}` }));
    if (o?.firing) firing = true;
    if (d.advance && d.advance(s, ts + 40_000)?.firing) firing = true;
    expect(encoded(d, s).equals(generic(d, s))).toBe(true);
  }
  expect(firing).toBe(true); // a firing latch was written too
});

it('the distinct sketch was compared in HyperLogLog mode (its registers stored)', () => {
  const d = build(configs[5]);
  const s = d.init(ev(T0)) as { sketch: { reg: number[] } };
  for (let i = 0; i < 100; i++) d.observe(s, ev(T0 + i * 1_000, {}, { who: `acc-${i}` }));
  expect(s.sketch.reg.length).toBeGreaterThan(0);
  expect(encoded(d, s).equals(generic(d, s))).toBe(true);
});

it.each([
  ['ewma', configs[1], { mean: 3.5, n: 4, var: 0.25, mad: 0.5, firing: false }],
  ['ewma without a field', configs[1], { n: 4, mean: 3.5, var: 0.25, firing: true }],
  ['threshold', configs[0], { side: 'up' }],
  ['deadman', configs[4], { firing: true, lastSeen: T0 }],
  ['deadman without a field', configs[4], { lastSeen: T0 }],
])('a state restored as it was (%s: other field order, or one missing) keeps its content', (_name, c, stored) => {
  const d = build(c);
  const s = decodeStateValue(encodeStateValue(stored));
  // Content as before (key order is the detector's own once written again).
  expect(decodeStateValue(encoded(d, s))).toEqual(stored);
});
