/**
 * The runner's promises about I/O trouble, with fakes of our own interfaces and a manual clock:
 * a batch whose state cannot be committed is held and retried (heartbeats keep the partition)
 * and acked only once durable; a saturated sink pauses intake until it drains, at most
 * maxSinkPause, after which batches flow again.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { ManualClock } from '../../core/clock';
import { silentLogger } from '../../core/logger';
import { runPipeline } from '../../core/runner';
import type { RawRecord } from '../../core/types';
import type { Source, SourceBatch } from '../../ingest/sources/types';
import { MemoryDeadLetter } from '../../ingest/dead-letter';
import { MemoryStateStore } from '../../state/memory-store';
import type { Sink, SinkStats } from '../../sinks/types';
import type { AlertDispatcher } from '../../alerts/dispatch';

const config = validateConfig(parseConfigText(`
streams:
  funds:
    source: { type: file, path: unused }
    mapping: { key: a, time: { field: t, format: epoch_ms }, measurements: [x] }
    detectors: [{ type: threshold, measurement: x, above: 100 }]
`));
const T0 = Date.UTC(2026, 10, 27, 8);
const log: string[] = [];

function source(n: number): Source {
  return {
    name: 'test', streams: ['funds'], replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = 1; i <= n; i++) {
        const records: RawRecord[] = [{ stream: 'funds', payload: { a: `k${i}`, x: i, t: T0 + i } }];
        log.push(`fetch ${i}`);
        yield { records, position: i, scope: 'p0', ack: async () => void log.push(`ack ${i}`), heartbeat: async () => void log.push(`heartbeat ${i}`) };
      }
    },
  };
}

const dispatcher: AlertDispatcher = { dispatch: async () => {}, close: async () => {} } as unknown as AlertDispatcher;

beforeEach(() => (log.length = 0));

it('holds a batch while the state store fails, heartbeats, and acks only after the commit', async () => {
  const store = new MemoryStateStore();
  let failures = 2;
  const prepare = store.prepare.bind(store);
  store.prepare = (...args) => {
    const prepared = prepare(...args);
    return {
      write: async () => {
        if (failures-- > 0) {
          log.push('commit failed');
          throw new Error('ECONNREFUSED');
        }
        log.push('commit ok');
        return prepared.write();
      },
    };
  };
  const clock = new ManualClock(T0);
  const summary = await runPipeline({
    config, sources: [source(2)], dispatcher, deadLetter: new MemoryDeadLetter(), store, log: silentLogger(), clock,
    signal: new AbortController().signal, retryDelay: async () => clock.advance(1000),
  });
  // Batch 2 is fetched and processed (CPU only) while batch 1's commit is retried; nothing of
  // batch 2 is written before batch 1 is durable and acked.
  expect(log).toEqual(['fetch 1', 'commit failed', 'fetch 2', 'heartbeat 1', 'commit failed', 'heartbeat 1', 'commit ok', 'ack 1', 'commit ok', 'ack 2']);
  expect(summary.events).toBe(2);
  expect(await store.position('p0')).toBe(2);
  // The failed attempts did not use up the batch's changes: its state is stored, with the
  // partition's watermark (the max event time admitted) beside the keys' rows.
  const ids = [...(await store.loadAll('p0')).keys()].map((id) => id.split('\u0000'));
  expect(ids.sort()).toEqual([['\u0001wm', 'funds'], ['funds', 'k1'], ['funds', 'k2']]);
});

function fakeSink(drainAfterFlushes: number): Sink & { flushes: number } {
  let buffered = 0;
  const sink = {
    name: 'fake', flushes: 0,
    write(points: readonly unknown[]) { buffered += points.length; log.push(`write ${points.length}`); },
    async flush() { sink.flushes++; log.push('flush'); if (sink.flushes >= drainAfterFlushes) buffered = 0; },
    async close() {},
    stats(): SinkStats { return { written: 0, buffered, dropped: 0, failedFlushes: 0, retries: 0 }; },
    saturated() { return buffered > 0; },
  };
  return sink;
}

it('pauses intake while a sink is saturated and resumes once it drains', async () => {
  const sink = fakeSink(3);
  const clock = new ManualClock(T0);
  await runPipeline({
    config, sources: [source(2)], dispatcher, deadLetter: new MemoryDeadLetter(), store: new MemoryStateStore(), sinks: [sink], log: silentLogger(), clock,
    signal: new AbortController().signal, retryDelay: async () => clock.advance(1000),
  });
  // batch 1 waits for three flushes (the third drains) before its commit, ack and the next fetch
  expect(log.slice(0, 6)).toEqual(['fetch 1', 'write 1', 'heartbeat 1', 'flush', 'heartbeat 1', 'flush']);
  const thirdFlush = log.map((l, i) => (l === 'flush' ? i : -1)).filter((i) => i >= 0)[2];
  expect(log.indexOf('fetch 2')).toBeGreaterThan(thirdFlush);
  expect(log.filter((l) => l === 'flush').length).toBeGreaterThanOrEqual(3);
});

it('stops pausing after maxSinkPause: alerting must not wait on the time-series store for long', async () => {
  const sink = fakeSink(Infinity);
  const clock = new ManualClock(T0);
  const summary = await runPipeline({
    config, sources: [source(2)], dispatcher, deadLetter: new MemoryDeadLetter(), store: new MemoryStateStore(), sinks: [sink], log: silentLogger(), clock,
    signal: new AbortController().signal, maxSinkPause: 5000, retryDelay: async () => clock.advance(1000),
  });
  expect(summary.events).toBe(2);
  expect(log).toContain('ack 2');
  // about five 1-second waits per batch, not forever
  expect(sink.flushes).toBeLessThanOrEqual(14);
});

it('a retried commit writes the batch as it was, not as the next batch left the key', async () => {
  const store = new MemoryStateStore();
  let failures = 1;
  const written: number[] = [];
  const prepare = store.prepare.bind(store);
  store.prepare = (...args) => {
    const prepared = prepare(...args);
    return {
      write: async () => {
        if (failures-- > 0) throw new Error('ECONNREFUSED');
        const ok = await prepared.write();
        const rows = await store.loadAll('p0');
        written.push((rows.get('funds\u0000k') as { touched: number }).touched);
        return ok;
      },
    };
  };
  const sameKey: Source = {
    name: 'test', streams: ['funds'], replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = 1; i <= 2; i++) yield { records: [{ stream: 'funds', payload: { a: 'k', x: i, t: T0 + i } }], position: i, scope: 'p0' };
    },
  };
  const clock = new ManualClock(T0);
  await runPipeline({
    config, sources: [sameKey], dispatcher, deadLetter: new MemoryDeadLetter(), store, log: silentLogger(), clock,
    signal: new AbortController().signal, retryDelay: async () => clock.advance(1000),
  });
  // Batch 2 was processed while batch 1's write was being retried; batch 1's retry still wrote t = T0 + 1.
  expect(written).toEqual([T0 + 1, T0 + 2]);
});
