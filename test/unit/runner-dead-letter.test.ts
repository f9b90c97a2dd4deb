/**
 * A dead-letter output that cannot write (full disk, read-only mount, brokers down) holds the
 * batch like a failing state commit: not acknowledged, heartbeats keep the partition, failed
 * attempts counted and reported to readiness; once a write succeeds the batch goes on, and each
 * reject was handed over once per successful write. Fakes of our own interfaces, manual clock.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { ManualClock } from '../../kernel/clock';
import { Health } from '../../kernel/health';
import { silentLogger } from '../../kernel/logger';
import { runPipeline } from '../../worker/runner';
import type { Reject } from '../../kernel/types';
import type { DeadLetterOutput } from '../../ingest/dead-letter';
import type { Source, SourceBatch } from '../../ingest/sources/types';
import { MemoryStateStore } from '../../state/memory-store';
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
const dispatcher = { dispatch: async () => {}, close: async () => {} } as unknown as AlertDispatcher;

/** Fails its first `failures` writes with ENOSPC, then keeps what it is given. */
class FlakyDeadLetter implements DeadLetterOutput {
  readonly kept: Reject[] = [];
  constructor(
    private failures: number,
    private readonly log: string[],
  ) {}
  async write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    if (this.failures-- > 0) {
      this.log.push('dead-letter failed');
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    this.log.push(`dead-letter ${rejects.length}`);
    this.kept.push(...rejects);
  }
  async close(): Promise<void> {}
}

it('holds a batch whose rejects cannot be written, counts and reports it, and acks it once they are', async () => {
  const log: string[] = [];
  const source: Source = {
    name: 'test',
    streams: ['funds'],
    replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = 1; i <= 2; i++) {
        // one good record and one without a key per batch
        const records = [
          { stream: 'funds', payload: { a: `k${i}`, x: i, t: T0 + i } },
          { stream: 'funds', payload: { x: i, t: T0 + i } },
        ];
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
  const clock = new ManualClock(T0);
  const health = new Health(() => clock.now());
  const readiness: string[] = [];
  health.onChange((h) =>
    readiness.push(
      h.ready
        ? 'ready'
        : h
            .list()
            .map((p) => `${p.component}: ${p.reason}`)
            .join(),
    ),
  );
  const failed: string[] = [];
  const deadLetter = new FlakyDeadLetter(3, log);
  const store = new MemoryStateStore();
  const summary = await runPipeline({
    config,
    sources: [source],
    dispatcher,
    deadLetter,
    store,
    log: silentLogger(),
    clock,
    health,
    metrics: { batch: () => undefined, outputFailed: (what) => void failed.push(what) },
    signal: new AbortController().signal,
    retryDelay: async () => clock.advance(1000),
  });
  expect(log).toEqual([
    'dead-letter failed',
    'heartbeat 1',
    'dead-letter failed',
    'heartbeat 1',
    'dead-letter failed',
    'heartbeat 1',
    'dead-letter 1',
    'ack 1',
    'dead-letter 1',
    'ack 2',
  ]);
  expect(failed).toEqual(['dead-letter write', 'dead-letter write', 'dead-letter write']);
  expect(readiness).toEqual([expect.stringMatching(/^dead-letter: dead-letter write failing: ENOSPC/), 'ready']);
  expect(deadLetter.kept.map((r) => r.reason)).toHaveLength(2);
  expect(summary.events).toBe(2);
  expect(await store.position('p0')).toBe(2);
});

it('a batch read again by a new worker after its dead letters were written, before its state commit, leaves each reject once in the file', async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { FileDeadLetter } = await import('../../ingest/dead-letter');
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-runner-dl-'));
  const file = path.join(dir, 'dead.jsonl');
  // Kafka-like batches of partition 0: one good record and one without a key each, offsets 2i and 2i+1.
  const source = (batches: number[]): Source => ({
    name: 'test',
    streams: ['funds'],
    replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (const i of batches) {
        const records = [
          { stream: 'funds', payload: { a: `k${i}`, x: i, t: T0 + i }, source: `funds/0@${2 * i}` },
          { stream: 'funds', payload: { x: i, t: T0 + i }, source: `funds/0@${2 * i + 1}` },
        ];
        yield { records, position: 2 * i + 1, scope: 'p0' };
      }
    },
  });
  const run = (batches: number[], store: MemoryStateStore) => {
    const clock = new ManualClock(T0);
    return runPipeline({
      config,
      sources: [source(batches)],
      dispatcher,
      deadLetter: new FileDeadLetter(file),
      store,
      log: silentLogger(),
      clock,
      signal: new AbortController().signal,
      retryDelay: async () => clock.advance(1000),
    });
  };
  try {
    await run([1, 2], new MemoryStateStore());
    // The next worker's store never saw those commits (the first worker stopped before them): batches 1 and 2 are read again.
    const store = new MemoryStateStore();
    const summary = await run([1, 2, 3], store);
    expect(summary.events).toBe(3);
    expect(await store.position('p0')).toBe(7);
    const sources = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).source);
    expect(sources).toEqual(['funds/0@3', 'funds/0@5', 'funds/0@7']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
