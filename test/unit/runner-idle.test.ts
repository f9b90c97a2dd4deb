/**
 * A live source whose partitions all fall silent still gets its silence judged: the runner ticks
 * when nothing arrives, and the idle rule moves the quiet partition's watermark on with the clock.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { ManualClock } from '../../kernel/clock';
import { silentLogger } from '../../kernel/logger';
import { runPipeline } from '../../worker/runner';
import type { Alert } from '../../kernel/types';
import type { AlertDispatcher } from '../../alerts/dispatch';
import { MemoryDeadLetter } from '../../ingest/dead-letter';
import type { Source, SourceBatch } from '../../ingest/sources/types';
import { MemoryStateStore } from '../../state/memory-store';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 27, 8, 0, 30);
const config = validateConfig(
  parseConfigText(`
streams:
  people:
    source: { type: file, path: unused }
    mapping: { key: gate, time: { field: t, format: epoch_ms }, measurements: [n] }
    lateness: 2m
    idle_timeout: 1m
    detectors: [{ type: deadman, name: silent, timeout: 5m }]
`),
);

/** One record, then nothing until the run is stopped. */
function quietAfterOne(signal: AbortSignal): Source {
  return {
    name: 'live',
    streams: ['people'],
    replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      yield { records: [{ stream: 'people', payload: { gate: 'g1', t: T0, n: 3 } }], scope: 'p0', position: 1 };
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('fires a silent partition’s deadman on idle ticks, commits it, and stops cleanly', async () => {
  const clock = new ManualClock(T0 + 20 * MIN); // the worker runs 20 minutes behind
  const ac = new AbortController();
  const seen: Alert[] = [];
  const dispatched: Alert[] = [];
  const store = new MemoryStateStore();
  const dispatcher = {
    dispatch: async (a: readonly Alert[]) => void dispatched.push(...a),
    close: async () => undefined,
  } as unknown as AlertDispatcher;
  const done = runPipeline({
    config,
    sources: [quietAfterOne(ac.signal)],
    dispatcher,
    deadLetter: new MemoryDeadLetter(),
    store,
    log: silentLogger(),
    clock,
    signal: ac.signal,
    idleTickMs: 1000,
    onAlerts: (a) => seen.push(...a),
  });
  await jest.advanceTimersByTimeAsync(0); // the record is judged at 08:20:30 on the clock
  // Quiet for 6 minutes, less than timeout + lateness (5 + 2 min): nothing yet.
  for (let i = 0; i < 6; i++) {
    clock.advance(MIN);
    await jest.advanceTimersByTimeAsync(1000);
  }
  expect(seen).toEqual([]);
  // 8 minutes of quiet: the watermark (08:00:30 − 2m + 8m) has passed 08:05:30.001.
  clock.advance(2 * MIN);
  await jest.advanceTimersByTimeAsync(1000);
  expect(seen.map((a) => [a.status, a.key, new Date(a.startsAt).toISOString()])).toEqual([['firing', 'g1', '2026-11-27T08:05:30.001Z']]);
  expect(dispatched).toEqual(seen);
  // The firing lifecycle is in the store: a restarted worker would not notify it again.
  const row = (await store.loadAll('p0')).get('people\u0000g1') as { entries: { silent: { lifecycle: { phase: number } } } };
  expect(row.entries.silent.lifecycle.phase).toBe(2);
  ac.abort();
  await jest.advanceTimersByTimeAsync(1000);
  const summary = await done;
  expect(summary.events).toBe(1);
});
