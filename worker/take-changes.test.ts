/**
 * The change set of a commit: changed rows in their stored bytes, rows dropped as idle as null,
 * moved watermarks — and a key dropped and back within one commit keeps its new row.
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
  goods:
    source: { type: file, path: unused.jsonl }
    mapping:
      key: id
      time: { field: ts, format: epoch_ms }
      measurements: [temp]
    lateness: 0s
    detectors:
      - { type: threshold, name: hot, measurement: temp, above: 10 }
`),
);

const rec = (id: string, ts: number): RawRecord => ({ stream: 'goods', payload: JSON.stringify({ id, temp: 5, ts }) });
const summary = (changes: Map<string, Map<string, unknown>>) =>
  [...changes].map(([scope, m]) => [scope, [...m].map(([id, v]) => `${id.split('\u0000').join('/')}=${v === null ? 'null' : 'bytes'}`)]);

test('rows, idle rows dropped and watermarks, each once and in the order they changed', () => {
  const p = new Pipeline(config, silentLogger());
  p.processBatch([rec('a', T0), rec('b', T0)], T0, 'p0');
  expect(summary(p.takeChanges())).toEqual([['p0', ['goods/a=bytes', 'goods/b=bytes', '\u0001wm/goods=bytes']]]);

  // b moves the watermark 10 minutes on: a, idle for longer than a minute, is dropped.
  p.processBatch([rec('b', T0 + 600_000)], T0 + 600_000, 'p0');
  p.advance(T0 + 600_000);
  expect(summary(p.takeChanges())).toEqual([['p0', ['goods/b=bytes', 'goods/a=null', '\u0001wm/goods=bytes']]]);
});

test('a key dropped as idle and back before the commit keeps its new row', () => {
  const p = new Pipeline(config, silentLogger());
  p.processBatch([rec('a', T0), rec('b', T0)], T0, 'p0');
  p.takeChanges();
  p.processBatch([rec('b', T0 + 600_000)], T0 + 600_000, 'p0');
  p.advance(T0 + 600_000); // drops a
  p.processBatch([rec('a', T0 + 601_000)], T0 + 601_000, 'p0'); // a is back
  expect(summary(p.takeChanges())).toEqual([['p0', ['goods/b=bytes', 'goods/a=bytes', '\u0001wm/goods=bytes']]]);
});
