/**
 * The runner when the state store is wiped under it (memory stores with Redis's epoch rule, a
 * manual clock): the next commit finds out, the worker re-seeds the store from memory, re-sends
 * the firing alerts marked, and every alert change of a clean run is notified; the store ends
 * exactly as after a clean run.
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
import { RecordingReceiver, route, testPipeline } from '../../alerts/testing/fakes';

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

/**
 * One record per batch: [key, value], a second of clock apart (groups made after a wipe get new
 * notification ids, as they do live); `wipeBefore` batch numbers (1-based) wipe both stores first.
 */
function source(values: Array<[string, number]>, wipeBefore: number[], wipe: () => void, clock: ManualClock): Source {
  return {
    name: 'test',
    streams: ['funds'],
    replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = 1; i <= values.length; i++) {
        clock.advance(1000);
        if (wipeBefore.includes(i)) wipe();
        const [a, x] = values[i - 1];
        const records: RawRecord[] = [{ stream: 'funds', payload: { a, x, t: T0 + i * 1000 } }];
        yield { records, position: i, scope: 'p0' };
      }
    },
  };
}

async function run(values: Array<[string, number]>, wipeBefore: number[] = []) {
  const receiver = new RecordingReceiver('oncall');
  const clock = new ManualClock(T0);
  const { p, store: alertStore } = testPipeline({ receivers: [receiver], route: route({ receiver: 'oncall', group_wait: 0 }), clock });
  const health = new Health(() => 0);
  const healthLog: string[] = [];
  health.onChange((h) => healthLog.push(h.ready ? 'ready' : `not ready: ${h.list()[0].reason}`));
  const store = new MemoryStateStore({ health });
  const lines: Array<{ level: number; msg: string }> = [];
  const log = silentLogger();
  log.level = 'info';
  const wrapped = Object.assign(Object.create(log), {
    child: () => wrapped,
    error: (obj: unknown, msg: string) => void lines.push({ level: 50, msg }),
    warn: (obj: unknown, msg: string) => void lines.push({ level: 40, msg, ...(process.env.DBG ? { obj } : {}) }),
  });
  await runPipeline({
    config,
    sources: [source(values, wipeBefore, () => (store.wipe(), alertStore.wipe()), clock)],
    dispatcher: p,
    deadLetter: new MemoryDeadLetter(),
    store,
    log: wrapped,
    clock,
    signal: new AbortController().signal,
    idleTickMs: 0,
    retryDelay: async () => clock.advance(1000),
  });
  await p.idle();
  if (process.env.DBG)
    console.log(JSON.stringify(receiver.got.map((n) => [n.id, n.groupKey, n.createdAt, n.alerts.map((a) => a.status + a.key)])), lines);
  const notified = receiver.alerts().map((a) => `${a.status} ${a.key}${a.labels.resent ? ' (re-sent)' : ''}`);
  return { notified, store, health, healthLog, lines, epoch: store.epoch };
}

/**
 * What a wipe may change in the notifications, whatever the batch at which the recovery runs (the
 * runner pipelines up to a few batches of a partition ahead of their commits): every change of the
 * clean run is notified, itself or as a marked re-send; each resolve exactly once, after every
 * firing of its alert; nothing else.
 */
function expectEveryChange(clean: string[], wiped: string[]): void {
  for (const c of clean)
    expect({ change: c, notified: wiped.some((w) => w === c || w === `${c} (re-sent)`) }).toEqual({ change: c, notified: true });
  for (const r of clean.filter((c) => c.startsWith('resolved '))) {
    expect(wiped.filter((w) => w === r)).toHaveLength(1);
    const key = r.slice('resolved '.length);
    const lastFiring = Math.max(...wiped.map((w, i) => (w.startsWith(`firing ${key}`) ? i : -1)));
    expect(wiped.indexOf(r)).toBeGreaterThan(lastFiring);
  }
  for (const w of wiped)
    expect(
      clean.includes(w) || (w.endsWith(' (re-sent)') && w.startsWith('firing ') && clean.includes(w.slice(0, -' (re-sent)'.length))),
    ).toBe(true);
}

// a fires at batch 1 and resolves at 4; b fires at 3 and resolves at 6; c never fires.
const stream: Array<[string, number]> = [
  ['a', 200],
  ['c', 1],
  ['b', 300],
  ['a', 5],
  ['c', 2],
  ['b', 7],
];

it('a wipe while alerts fire: found at the next commit, re-seeded, every change notified, re-sent firing marked', async () => {
  const clean = await run(stream);
  expect(clean.notified).toEqual(['firing a', 'firing b', 'resolved a', 'resolved b']);
  const wiped = await run(stream, [4]);
  // Batch 4's resolve of a was dispatched before its commit found the wipe: the alert store had
  // lost a, the resolve still went out. The recovery then re-sent b, still firing, marked.
  expect(wiped.notified).toEqual(['firing a', 'firing b', 'resolved a', 'firing b (re-sent)', 'resolved b']);
  expect(wiped.lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
    expect.stringMatching(/^state store was wiped or replaced \(epoch changed\)/),
  ]);
  expect(wiped.healthLog).toEqual([expect.stringMatching(/^not ready: state store epoch changed for p0/), 'ready']);
  expect(wiped.epoch).toBeGreaterThan(clean.epoch!);
  // State exact: the re-seeded store holds what the clean run's holds.
  expect(await wiped.store.loadAll('p0')).toEqual(await clean.store.loadAll('p0'));
  expect(await wiped.store.position('p0')).toBe(6);
});

it('an alert that resolves around the recovery: its resolve is notified once, after any re-send of it', async () => {
  const clean = await run(stream);
  // Wiped before batch 5: batch 5's commit finds out; batch 6 (b resolves) may be processed before
  // or while the recovery runs. Its resolve finds no record in the alert store and goes straight
  // to the receiver; a re-send of b, if the firing set was taken before, is marked and comes first.
  const wiped = await run(stream, [5]);
  expectEveryChange(clean.notified, wiped.notified);
  expect(await wiped.store.loadAll('p0')).toEqual(await clean.store.loadAll('p0'));
  const quiet = await run(
    [
      ['a', 200],
      ['a', 1],
      ['c', 1],
      ['c', 2],
    ],
    [3],
  );
  expect(quiet.notified).toEqual(['firing a', 'resolved a']);
});

it('two wipes: each is found and recovered, and the store ends as after a clean run', async () => {
  const clean = await run(stream);
  // Wiped before batches 2 and 5: each recovery re-sends what is firing then, marked; no change lost.
  const wiped = await run(stream, [2, 5]);
  expectEveryChange(clean.notified, wiped.notified);
  expect(wiped.notified.filter((n) => n.endsWith('(re-sent)')).length).toBeGreaterThan(0);
  expect(wiped.lines.filter((l) => l.level === 50)).toHaveLength(2);
  expect(await wiped.store.loadAll('p0')).toEqual(await clean.store.loadAll('p0'));
  expect(await wiped.store.position('p0')).toBe(6);
});
