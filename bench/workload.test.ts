import { createDecoder } from '../ingest/decode/decoder';
import { loadDefaultConfig } from '../config/load';
import { FLOW_SHAPES, KeySampler, Workload, fillTemplate, formatTime, lowerBound, makeTemplate } from './workload';
import { Rng } from '../ingest/simulator/random';

describe('workload templates', () => {
  it('fills key, time and id holes and keeps every other field', () => {
    const t = makeTemplate({ payment_id: 'p-1', account: 'ACC-1', amount: 12.5, ts: 1795761052, note: 'x' }, FLOW_SHAPES.funds);
    const text = fillTemplate(t, 'ACC-9', formatTime(1_795_761_052_123, 'epoch_s'), 'b-7');
    expect(JSON.parse(text)).toEqual({ payment_id: 'b-7', account: 'ACC-9', amount: 12.5, ts: 1795761052.123, note: 'x' });
  });

  it('writes ISO times as strings for the people flow', () => {
    const t = makeTemplate({ gate_id: 'g', station: 'S', time: '2026-11-27T06:30:00.000Z', entries: 3 }, FLOW_SHAPES.people);
    expect(JSON.parse(fillTemplate(t, 'gate-1', formatTime(Date.UTC(2026, 10, 27, 8), 'iso'), ''))).toEqual({
      gate_id: 'gate-1',
      station: 'S',
      time: '2026-11-27T08:00:00.000Z',
      entries: 3,
    });
  });

  it('produces payloads the example mappings decode, keyed and timed as asked', () => {
    const config = loadDefaultConfig();
    const w = new Workload({ flows: ['people', 'goods', 'funds'], keys: 30, skew: 0, seed: 3, templatesPerFlow: 200 });
    const t = Date.UTC(2026, 10, 27, 9, 0, 0, 250);
    for (let i = 0; i < 60; i++) {
      const e = w.next(t + i);
      const d = createDecoder(e.stream, config.streams[e.stream].mapping).decode(Buffer.from(e.value));
      expect(d.ok).toBe(true);
      if (d.ok) {
        expect(d.event.key).toBe(e.key);
        expect(d.event.ts).toBe(t + i);
      }
    }
  });

  it('mixes the flows evenly and visits every key first when asked', () => {
    const w = new Workload({ flows: ['goods', 'funds'], keys: 10, skew: 0, templatesPerFlow: 50, sequentialFirst: true });
    const seen = new Set<string>();
    const streams: string[] = [];
    for (let i = 0; i < 10; i++) {
      const e = w.next(0);
      seen.add(e.key);
      streams.push(e.stream);
    }
    expect(seen.size).toBe(10);
    expect(streams.filter((s) => s === 'goods').length).toBe(5);
  });
});

describe('KeySampler', () => {
  it('draws uniformly over n keys', () => {
    const s = new KeySampler(10, 0, new Rng(1));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[s.next()]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600);
  });

  it('draws Zipf(1): rank 1 about twice as often as rank 2, ten times rank 10', () => {
    const s = new KeySampler(1000, 1, new Rng(2));
    const counts = new Array(1000).fill(0);
    for (let i = 0; i < 200_000; i++) counts[s.next()]++;
    expect(counts[0] / counts[1]).toBeGreaterThan(1.8);
    expect(counts[0] / counts[1]).toBeLessThan(2.2);
    expect(counts[0] / counts[9]).toBeGreaterThan(8.5);
    expect(counts[0] / counts[9]).toBeLessThan(11.5);
    // H(1000) ≈ 7.485: rank 1 holds ~13.4 % of the draws
    expect(counts[0] / 200_000).toBeCloseTo(1 / 7.485, 1);
  });

  it('inverts a CDF by binary search', () => {
    const cdf = Float64Array.from([0.5, 0.75, 1]);
    expect(lowerBound(cdf, 0)).toBe(0);
    expect(lowerBound(cdf, 0.5)).toBe(1);
    expect(lowerBound(cdf, 0.74)).toBe(1);
    expect(lowerBound(cdf, 0.99)).toBe(2);
  });
});
