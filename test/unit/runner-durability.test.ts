/**
 * The runner's promises about I/O trouble, with fakes of our own interfaces and a manual clock:
 * a batch whose state cannot be committed is held and retried (heartbeats keep the partition)
 * and acked only once durable; a batch's points are written before its state, and a sink that
 * cannot write holds batches at most maxSinkPause, after which batches flow again.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { ManualClock } from '../../kernel/clock';
import { silentLogger } from '../../kernel/logger';
import { runPipeline } from '../../worker/runner';
import type { RawRecord } from '../../kernel/types';
import type { Source, SourceBatch } from '../../ingest/sources/types';
import { MemoryDeadLetter } from '../../ingest/dead-letter';
import { MemoryStateStore } from '../../state/memory-store';
import { Health } from '../../kernel/health';
import type { Point, Sink, SinkStats } from '../../sinks/types';
import type { AlertDispatcher } from '../../alerts/dispatch';

const config = validateConfig(
  parseConfigText(`
streams:
  funds:
    source: { type: file, path: unused }
    mapping: { key: a, time: { field: t, format: epoch_ms }, measurements: [x] }
    detectors: [{ type: threshold, measurement: x, above: 100 }]
`),
);
const T0 = Date.UTC(2026, 10, 27, 8);
const log: string[] = [];

function source(n: number): Source {
  return {
    name: 'test',
    streams: ['funds'],
    replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = 1; i <= n; i++) {
        const records: RawRecord[] = [{ stream: 'funds', payload: { a: `k${i}`, x: i, t: T0 + i } }];
        log.push(`fetch ${i}`);
        yield {
          records,
          position: i,
          scope: 'p0',
          ack: async () => void log.push(`ack ${i}`),
          heartbeat: async () => void log.push(`heartbeat ${i}`),
        };
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
    config,
    sources: [source(2)],
    dispatcher,
    deadLetter: new MemoryDeadLetter(),
    store,
    log: silentLogger(),
    clock,
    signal: new AbortController().signal,
    retryDelay: async () => clock.advance(1000),
  });
  // Batch 2 is fetched and processed (CPU only) while batch 1's commit is retried; batch 2's
  // state is not committed before batch 1 is durable and acked.
  expect(log).toEqual([
    'fetch 1',
    'commit failed',
    'fetch 2',
    'heartbeat 1',
    'commit failed',
    'heartbeat 1',
    'commit ok',
    'ack 1',
    'commit ok',
    'ack 2',
  ]);
  expect(summary.events).toBe(2);
  expect(await store.position('p0')).toBe(2);
  // The failed attempts did not use up the batch's changes: its state is stored, with the
  // partition's watermark (the max event time admitted) beside the keys' rows.
  const ids = [...(await store.loadAll('p0')).keys()].map((id) => id.split('\u0000'));
  expect(ids.sort()).toEqual([
    ['\u0001wm', 'funds'],
    ['funds', 'k1'],
    ['funds', 'k2'],
  ]);
});

/** A sink whose first `failures` flushes fail (InfluxDB down), counting what it was given. */
function fakeSink(failures: number): Sink & { flushes: number } {
  let written = 0;
  let held: string[] = [];
  const sink = {
    name: 'fake',
    destination: 'FakeDB',
    flushes: 0,
    write(points: readonly Point[]) {
      held.push(...points.map((p) => p.tags.key));
    },
    async flush() {
      sink.flushes++;
      if (failures-- > 0) {
        log.push('flush failed');
        throw new Error('ECONNREFUSED');
      }
      if (held.length > 0) log.push(`flushed ${held.join(',')}`);
      written += held.length;
      held = [];
    },
    async close() {},
    stats(): SinkStats {
      return { written, buffered: held.length, dropped: 0, failedFlushes: 0, retries: 0 };
    },
  };
  return sink;
}

/** The state store's commits, in the shared log. */
function loggingStore(): MemoryStateStore {
  const store = new MemoryStateStore();
  const prepare = store.prepare.bind(store);
  store.prepare = (...args) => {
    const prepared = prepare(...args);
    return { write: async () => (log.push('commit'), prepared.write()) };
  };
  return store;
}

it("writes a batch's points before its state commit, so a crash in between replays and rewrites them", async () => {
  const clock = new ManualClock(T0);
  await runPipeline({
    config,
    sources: [source(2)],
    dispatcher,
    deadLetter: new MemoryDeadLetter(),
    store: loggingStore(),
    sinks: [fakeSink(0)],
    log: silentLogger(),
    clock,
    signal: new AbortController().signal,
    retryDelay: async () => clock.advance(1000),
  });
  // Each commit comes after the flush that wrote its batch's point (k1, then k2).
  expect(log.filter((l) => l.startsWith('flushed') || l === 'commit')).toEqual(['flushed k1', 'commit', 'flushed k2', 'commit']);
});

it('holds the commit while a sink fails, heartbeating, and reports it to readiness until a write succeeds', async () => {
  const sink = fakeSink(2);
  const health = new Health(() => clock.now());
  const changes: string[] = [];
  health.onChange((h) =>
    changes.push(
      h.ready
        ? 'ready'
        : h
            .list()
            .map((p) => p.component)
            .join(),
    ),
  );
  const clock = new ManualClock(T0);
  await runPipeline({
    config,
    sources: [source(2)],
    dispatcher,
    deadLetter: new MemoryDeadLetter(),
    store: loggingStore(),
    sinks: [sink],
    log: silentLogger(),
    clock,
    health,
    signal: new AbortController().signal,
    retryDelay: async () => clock.advance(1000),
  });
  const b1 = log.slice(0, log.indexOf('ack 1') + 1).filter((l) => l !== 'fetch 2');
  // Batch 2 (processed meanwhile) may share batch 1's successful flush; nothing is committed before it.
  expect(b1).toEqual([
    'fetch 1',
    'flush failed',
    'heartbeat 1',
    'flush failed',
    'heartbeat 1',
    expect.stringMatching(/^flushed k1/),
    'commit',
    'ack 1',
  ]);
  expect(changes).toEqual(['sink:fake', 'ready']);
});

it('stops holding after maxSinkPause: alerting must not wait on the time-series store for long', async () => {
  const sink = fakeSink(Infinity);
  const health = new Health(() => clock.now());
  const clock = new ManualClock(T0);
  const summary = await runPipeline({
    config,
    sources: [source(3)],
    dispatcher,
    deadLetter: new MemoryDeadLetter(),
    store: loggingStore(),
    sinks: [sink],
    log: silentLogger(),
    clock,
    health,
    signal: new AbortController().signal,
    maxSinkPause: 5000,
    retryDelay: async () => clock.advance(1000),
  });
  expect(summary.events).toBe(3);
  expect(log).toContain('ack 3');
  // Held about five 1-second waits, not forever (batches 2 and 3, already ahead, wait in the same
  // outage and may add one wait each to the manual clock); none waits after the give-up.
  expect(clock.now() - T0).toBeGreaterThanOrEqual(5000);
  expect(clock.now() - T0).toBeLessThanOrEqual(7000);
  expect(sink.flushes).toBeLessThanOrEqual(12);
  expect(health.list().map((p) => p.component)).toEqual(['sink:fake']);
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
    name: 'test',
    streams: ['funds'],
    replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = 1; i <= 2; i++) yield { records: [{ stream: 'funds', payload: { a: 'k', x: i, t: T0 + i } }], position: i, scope: 'p0' };
    },
  };
  const clock = new ManualClock(T0);
  await runPipeline({
    config,
    sources: [sameKey],
    dispatcher,
    deadLetter: new MemoryDeadLetter(),
    store,
    log: silentLogger(),
    clock,
    signal: new AbortController().signal,
    retryDelay: async () => clock.advance(1000),
  });
  // Batch 2 was processed while batch 1's write was being retried; batch 1's retry still wrote t = T0 + 1.
  expect(written).toEqual([T0 + 1, T0 + 2]);
});

it("lets a batch's I/O run while the previous batch's flush is slow, and still commits and acks in order", async () => {
  // Flush 1 (batch 1's points) answers only after flush 2 (batch 2's) has.
  const answers: Array<() => void> = [];
  let flushes = 0;
  const slowFirst: Sink = {
    name: 'slow',
    write() {},
    async close() {},
    flush() {
      const n = ++flushes;
      return new Promise<void>((resolve) => {
        answers.push(() => (log.push(`flushed ${n}`), resolve()));
        if (n > 2) resolve();
      });
    },
    stats: () => ({ written: 0, buffered: 0, dropped: 0, failedFlushes: 0, retries: 0 }),
  };
  let dispatches = 0;
  const dispatching: AlertDispatcher = {
    dispatch: async () => {
      log.push('dispatch');
      // batch 2's alerts went out while batch 1's flush is in flight; now the flushes answer, 2 first
      if (++dispatches === 2) for (const i of [1, 0]) answers[i]();
    },
    close: async () => {},
  } as unknown as AlertDispatcher;
  const clock = new ManualClock(T0);
  await runPipeline({
    config,
    sources: [source(2)],
    dispatcher: dispatching,
    deadLetter: new MemoryDeadLetter(),
    store: loggingStore(),
    sinks: [slowFirst],
    log: silentLogger(),
    clock,
    signal: new AbortController().signal,
    retryDelay: async () => clock.advance(1000),
  });
  expect(log.filter((l) => l !== 'fetch 1' && l !== 'fetch 2')).toEqual([
    'dispatch',
    'dispatch',
    'flushed 2',
    'flushed 1',
    'commit',
    'ack 1',
    'commit',
    'ack 2',
  ]);
});
