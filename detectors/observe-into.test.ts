/**
 * Detector.observeInto: the verdict written into one reused observation is, event by event, the
 * one observe() returns — with the reused object shared by two keys in turn, as the pipeline
 * shares one per rule — and nothing is written into it when there is no verdict.
 */
import type { FlowEvent, Observation } from '../kernel/types';
import { createDetector, detectorSchema } from './registry';
import type { Detector } from './types';
import { ctx } from './test-events';

const T0 = Date.UTC(2026, 10, 27, 8, 0);

const configs: Array<Record<string, unknown>> = [
  { type: 'threshold', measurement: 'v', above: 50, below: 5, clear_above: 45 },
  { type: 'ewma', measurement: 'v', alpha: 0.3, k: 2, warmup: 3 },
  { type: 'ewma', measurement: 'v', alpha: 0.3, k: 2, warmup: 3, robust: true },
  { type: 'rate', window: '1m', above: 4 },
  { type: 'rate', measurement: 'v', agg: 'sum', window: '1m', above: 200 },
  { type: 'deadman', timeout: '30s' },
  { type: 'distinct', attribute: 'who', window: '1m', above: 3 },
  { type: 'expression', expression: 'count >= 3 and max(v) > 60 and v > 10', window: '1m', score: 'mean(v) / 100' },
  { type: 'expression', expression: 'sum(v) < 5', window: '1m' },
];

/** Two keys' events interleaved: values swing to cross the limits, some lack `v` or `who`, some come late. */
function events(): Array<{ key: 0 | 1; e: FlowEvent }> {
  const out: Array<{ key: 0 | 1; e: FlowEvent }> = [];
  for (let i = 0; i < 120; i++) {
    const key = (i % 3 === 0 ? 1 : 0) as 0 | 1;
    const ts = T0 + i * 4_000 + (i % 7 === 0 ? -30_000 : 0);
    const values: Record<string, number> = i % 11 === 5 ? {} : { v: i % 17 < 4 ? 90 + i : (i * 7) % 40 };
    const attrs: Record<string, string> = i % 13 === 4 ? {} : { who: `p${i % (i < 60 ? 9 : 2)}` };
    out.push({ key, e: { stream: 's', key: `k${key}`, ts, values, attrs } });
  }
  return out;
}

describe.each(configs)('observeInto of %j', (raw) => {
  it('writes the verdict observe() returns, into one object shared by two keys', () => {
    const config = detectorSchema.parse(raw);
    const det = createDetector(config, ctx) as Detector<unknown>;
    expect(typeof det.observeInto).toBe('function');
    const twin = createDetector(config, ctx) as Detector<unknown>;
    const list = events();
    const viaObserve = [twin.init(list[0].e), twin.init(list[0].e)];
    const viaInto = [det.init(list[0].e), det.init(list[0].e)];
    const out = det.newObservation!();
    let verdicts = 0;
    for (const { key, e } of list) {
      const before: Observation = structuredClone(out);
      const expected = twin.observe(viaObserve[key], e);
      const got = det.observeInto!(viaInto[key], e, out);
      if (expected === null) {
        expect(got).toBe(false);
        expect(out).toEqual(before); // untouched
      } else {
        expect(got).toBe(true);
        expect(out).toEqual(expected);
        verdicts++;
      }
      expect(viaInto[key]).toEqual(viaObserve[key]);
    }
    expect(verdicts).toBeGreaterThan(10);
  });
});
