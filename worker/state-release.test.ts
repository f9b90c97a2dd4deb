/**
 * Windowed detectors keep each key's window in a block of their slab (detectors/window/block-slab.ts):
 * a row the pipeline drops gives its blocks back once the commit has encoded what it still needs,
 * and a key that gets a released block starts as empty as a key in a fresh pipeline.
 */
import { parseConfigText, validateConfig } from '../config/load';
import { silentLogger } from '../kernel/logger';
import type { RawRecord } from '../kernel/types';
import { Pipeline } from './pipeline';

const T0 = Date.UTC(2026, 10, 27, 8, 0);
const config = validateConfig(
  parseConfigText(`
state: { backend: memory, idle_ttl: 1m }
streams:
  funds:
    source: { type: file, path: unused.jsonl }
    mapping:
      key: id
      time: { field: ts, format: epoch_ms }
      measurements: [amount]
    lateness: 0s
    detectors:
      - { type: rate, name: burst, window: 10m, slide: 1m, above: 2 }
      - { type: rate, name: total, measurement: amount, agg: sum, window: 1h, slide: 10m, above: 1000 }
`),
);

const rec = (id: string, ts: number, amount: number): RawRecord => ({ stream: 'funds', payload: JSON.stringify({ id, amount, ts }) });
const bytesOf = (changes: Map<string, Map<string, unknown>>, scope: string, key: string) =>
  Buffer.from(changes.get(scope)!.get(`funds\u0000${key}`) as Uint8Array).toString('latin1');
/** Windows held by the stream's first rule (what its slab has handed out and not taken back). */
const liveWindows = (p: Pipeline) =>
  (p as unknown as { streams: Map<string, { rules: Array<{ detector: { win: { liveStates: number } } }> }> }).streams.get('funds')!.rules[0]
    .detector.win.liveStates;

test('a row dropped as idle gives its windows back, and the next new key starts empty in them', () => {
  const p = new Pipeline(config, silentLogger());
  p.processBatch([rec('b', T0, 5), rec('a', T0, 300), rec('a', T0 + 1_000, 300)], T0 + 1_000, 'p0');
  p.takeChanges();
  expect(liveWindows(p)).toBe(2);
  // b moves the watermark 10 minutes on: a, idle for longer than a minute, is dropped.
  p.processBatch([rec('b', T0 + 600_000, 5)], T0 + 600_000, 'p0');
  p.advance(T0 + 600_000);
  p.takeChanges();
  expect(liveWindows(p)).toBe(1);
  // c is new: it gets a's block, and commits what a fresh pipeline commits for the same events.
  const cs = [rec('c', T0 + 601_000, 7), rec('c', T0 + 602_000, 8)];
  p.processBatch(cs, T0 + 602_000, 'p0');
  expect(liveWindows(p)).toBe(2);
  const fresh = new Pipeline(config, silentLogger());
  fresh.processBatch(cs, T0 + 602_000, 'p0');
  expect(bytesOf(p.takeChanges(), 'p0', 'c')).toBe(bytesOf(fresh.takeChanges(), 'p0', 'c'));
});

test("a dropped scope's changed rows are still committed as they were, then their windows are given back", () => {
  const p = new Pipeline(config, silentLogger());
  const fresh = new Pipeline(config, silentLogger());
  const batch = [rec('a', T0, 400), rec('a', T0 + 1_000, 500)];
  p.processBatch(batch, T0 + 1_000, 'p1');
  fresh.processBatch(batch, T0 + 1_000, 'p1');
  p.dropScope('p1'); // the partition moved away before its commit
  // A key of another scope arrives first: the dropped row's block must not be its yet.
  p.processBatch([rec('z', T0 + 2_000, 1)], T0 + 2_000, 'p0');
  expect(liveWindows(p)).toBe(2);
  expect(bytesOf(p.takeChanges(), 'p1', 'a')).toBe(bytesOf(fresh.takeChanges(), 'p1', 'a'));
  expect(liveWindows(p)).toBe(1);
});
