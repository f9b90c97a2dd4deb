/**
 * Series resolution: a hot key costs the time-series store one point per series per interval of
 * event time, a quiet key keeps every point, and alert changes are never thinned.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { silentLogger } from '../../kernel/logger';
import { Pipeline } from '../../worker/pipeline';
import type { RawRecord } from '../../kernel/types';

const T0 = Date.UTC(2026, 10, 27, 8, 0);
const config = validateConfig(
  parseConfigText(`
streams:
  goods:
    source: { type: file, path: unused.jsonl }
    mapping:
      key: id
      time: { field: ts, format: epoch_ms }
      measurements: [temp]
    lateness: 10m
    detectors:
      - { type: threshold, name: hot, measurement: temp, above: 10 }
      - { type: ewma, name: odd, measurement: temp, alpha: 0.2, k: 3 }
`),
);

const rec = (id: string, temp: number, ts: number): RawRecord => ({ stream: 'goods', payload: JSON.stringify({ id, temp, ts }) });

/** Runs batches through a pipeline as the runner does; returns each batch's points as "key@ts:detector". */
function run(batches: RawRecord[][], resolutionMs: number): string[][] {
  const p = new Pipeline(config, silentLogger());
  return batches.map((b) => {
    const now = Math.max(...b.map((r) => JSON.parse(r.payload as string).ts));
    p.processBatch(b, now, 'p0');
    const points = p.latestObservations(resolutionMs).map((o) => `${o.key}@${o.ts - T0}:${o.detector}`);
    p.takeChanges();
    return points.sort();
  });
}

it('writes the first verdict of each interval of event time for a hot key', () => {
  // Key A: one event every 250 ms over 2.5 s, one per batch; resolution 1 s.
  const batches = Array.from({ length: 10 }, (_, i) => [rec('A', 5, T0 + i * 250)]);
  const points = run(batches, 1000).flat();
  // threshold judges every event; ewma says nothing during its warm-up, so only threshold is asserted.
  expect(points.filter((p) => p.endsWith(':hot'))).toEqual(['A@0:hot', 'A@1000:hot', 'A@2000:hot']);
  // Resolution 0: every batch's latest verdict.
  expect(
    run(batches, 0)
      .flat()
      .filter((p) => p.endsWith(':hot')),
  ).toHaveLength(10);
});

it('keeps every point of a key quieter than the resolution', () => {
  const batches = Array.from({ length: 5 }, (_, i) => [rec('B', 5, T0 + i * 1500)]);
  expect(
    run(batches, 1000)
      .flat()
      .filter((p) => p.endsWith(':hot')),
  ).toEqual(['B@0:hot', 'B@1500:hot', 'B@3000:hot', 'B@4500:hot', 'B@6000:hot']);
});

it('thins each series on its own: keys and detectors do not share intervals', () => {
  const batch = [rec('A', 5, T0), rec('B', 5, T0 + 10)];
  const later = [rec('A', 5, T0 + 400), rec('B', 5, T0 + 1200)];
  const [first, second] = run([batch, later], 1000);
  expect(first).toEqual(['A@0:hot', 'B@10:hot']);
  expect(second).toEqual(['B@1200:hot']);
});

it('never thins alert changes: a transition inside an interval still raises its alert', () => {
  const p = new Pipeline(config, silentLogger());
  p.processBatch([rec('C', 5, T0)], T0, 'p0');
  expect(p.latestObservations(60_000)).toHaveLength(1);
  p.takeChanges();
  const r = p.processBatch([rec('C', 50, T0 + 100)], T0 + 100, 'p0');
  expect(r.alerts.map((a) => `${a.status}:${a.detector}`)).toEqual(['firing:hot']);
  // Same interval: no series point, but the alert is in the batch result (the runner writes it as an alert point).
  expect(p.latestObservations(60_000)).toHaveLength(0);
});

it('the runner thins series to the finest resolution its sinks ask for, and writes every alert change', async () => {
  const { runPipeline } = await import('../../worker/runner');
  const { ManualClock } = await import('../../kernel/clock');
  const { MemorySink } = await import('../../sinks/memory');
  const { MemoryDeadLetter } = await import('../../ingest/dead-letter');
  const { MemoryStateStore } = await import('../../state/memory-store');
  // One key, an event every 100 ms for 3 s, one per batch; it crosses the bound once.
  const batches = Array.from({ length: 30 }, (_, i) => [rec('D', i === 12 ? 50 : 5, T0 + i * 100)]);
  const points = async (sinks: InstanceType<typeof MemorySink>[]) => {
    await runPipeline({
      config,
      sources: [
        {
          name: 'test',
          streams: ['goods'],
          replay: false,
          async *batches() {
            for (const [i, records] of batches.entries()) yield { records, position: i, scope: 'p0' };
          },
        },
      ],
      dispatcher: { dispatch: async () => {}, close: async () => {} } as never,
      deadLetter: new MemoryDeadLetter(),
      store: new MemoryStateStore(),
      sinks,
      log: silentLogger(),
      clock: new ManualClock(T0),
      signal: new AbortController().signal,
    });
    return sinks[0].points;
  };
  const fine = await points([new MemorySink({ resolution: 1000 }), new MemorySink({ resolution: 60_000 })]);
  const series = fine.filter((p) => p.measurement === 'goods' && p.tags.detector === 'hot');
  expect(series.map((p) => p.ts - T0)).toEqual([0, 1000, 2000]);
  expect(fine.filter((p) => p.measurement === 'alerts' && p.tags.detector === 'hot').map((p) => `${p.tags.status}@${p.ts - T0}`)).toEqual([
    'firing@1200',
    'resolved@1300',
  ]);
  const all = await points([new MemorySink()]);
  expect(all.filter((p) => p.measurement === 'goods' && p.tags.detector === 'hot')).toHaveLength(30);
});

it('thins by event time within a batch too: a backlog of 70 one-minute reports in one batch keeps 70 points; a hot burst one per interval', async () => {
  const { runPipeline } = await import('../../worker/runner');
  const { ManualClock } = await import('../../kernel/clock');
  const { MemorySink } = await import('../../sinks/memory');
  const { MemoryDeadLetter } = await import('../../ingest/dead-letter');
  const { MemoryStateStore } = await import('../../state/memory-store');
  const series = async (records: RawRecord[]) => {
    const sink = new MemorySink({ resolution: 1000 });
    await runPipeline({
      config,
      sources: [
        {
          name: 'test',
          streams: ['goods'],
          replay: false,
          async *batches() {
            yield { records, position: 0, scope: 'p0' };
          },
        },
      ],
      dispatcher: { dispatch: async () => {}, close: async () => {} } as never,
      deadLetter: new MemoryDeadLetter(),
      store: new MemoryStateStore(),
      sinks: [sink],
      log: silentLogger(),
      clock: new ManualClock(T0 + 2 * 3_600_000),
      signal: new AbortController().signal,
      idleTickMs: 0,
    });
    return sink.points.filter((p) => p.measurement === 'goods' && p.tags.detector === 'hot').map((p) => p.ts - T0);
  };
  const backlog = Array.from({ length: 70 }, (_, i) => rec('G', 5, T0 + i * 60_000));
  expect(await series(backlog)).toEqual(Array.from({ length: 70 }, (_, i) => i * 60_000));
  const burst = Array.from({ length: 10 }, (_, i) => rec('A', 5, T0 + i * 250));
  expect(await series(burst)).toEqual([0, 1000, 2000]);
});
