/**
 * Event-time timers, on hand-computed cases: a window drains, silence passes a timeout and a
 * pending `for` completes at event times fixed by the key's own records. The watermark (max
 * admitted event time − lateness) and the idle rule only decide when a quiet key's due timer is
 * fired, never what it says — so the next event of the key, a sweep, or either batching agrees.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { silentLogger } from '../../kernel/logger';
import { Pipeline } from '../../worker/pipeline';
import type { Alert, RawRecord } from '../../kernel/types';
import { EventAdmission } from '../../ingest/admission';
import { MemoryStateStore } from '../../state/memory-store';

const MIN = 60_000;
// 08:00:30 — not on a pane boundary.
const T0 = Date.UTC(2026, 10, 27, 8, 0, 30);
const config = validateConfig(
  parseConfigText(`
streams:
  s:
    source: { type: file, path: unused.jsonl }
    mapping: { key: k, time: { field: t, format: epoch_ms }, measurements: [x] }
    lateness: 2m
    idle_timeout: 1m
    detectors:
      - { type: rate, name: burst, window: 10m, slide: 1m, above: 3 }
      - { type: deadman, name: silent, timeout: 5m }
      - { type: deadman, name: long-silent, timeout: 5m, for: 3m }
      - { type: expression, name: small-left, expression: "count == 1 and max(x) < 5", window: 4m, slide: 1m }
`),
);

const rec = (k: string, t: number, x = 1): RawRecord => ({ stream: 's', payload: { k, t, x } });
const show = (a: Alert) => `${a.detector}/${a.key} ${a.status} ${iso(a.startsAt)}${a.endsAt !== undefined ? ` → ${iso(a.endsAt)}` : ''}`;
const iso = (t: number) => new Date(t).toISOString().slice(11, 23);

/** Runs batches through a pipeline as the runner does (process, then the sweep) and lists alert changes. */
function run(batches: RawRecord[][], clockOf: (i: number) => number, only?: string, key = 'A'): string[] {
  const p = new Pipeline(config, silentLogger());
  const out: Alert[] = [];
  batches.forEach((b, i) => {
    out.push(...p.processBatch(b, clockOf(i), 'p0').alerts);
    out.push(...p.advance(clockOf(i)));
  });
  return out
    .filter((a) => (only === undefined || a.detector === only) && a.key === key)
    .map(show)
    .sort();
}

/** Key A pays 4 times in 3 minutes, then is quiet; key B keeps the partition's event time moving. */
function burstThenQuiet(): RawRecord[] {
  const recs: RawRecord[] = [];
  for (let i = 0; i < 4; i++) recs.push(rec('A', T0 + i * MIN));
  for (let t = T0; t <= T0 + 30 * MIN; t += 30_000) recs.push(rec('B', t + 1));
  return recs.sort((a, b) => (a.payload as { t: number }).t - (b.payload as { t: number }).t);
}

const chunks = <T>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

describe('event-time timers', () => {
  it('a burst clears when its panes leave the window, at that pane boundary, however the records are batched', () => {
    const recs = burstThenQuiet();
    const one = run([recs], () => T0 + 2 * 3_600_000, 'burst');
    const small = run(chunks(recs, 3), (i) => T0 + i * 1000, 'burst');
    // Fired on the 4th payment (08:03:30); the window of 10 one-minute panes holding 08:00–08:03
    // drops the 08:00 pane at 08:10:00, leaving 3 payments (not above 3): resolved then.
    expect(one).toEqual(['burst/A firing 08:03:30.000', 'burst/A resolved 08:03:30.000 → 08:10:00.000']);
    expect(small).toEqual(one);
  });

  it('silence fires at the first millisecond past the timeout, and ends at the next record', () => {
    // A: 08:00:30, then nothing until 08:20:30; B moves the partition on meanwhile.
    const recs = [rec('A', T0), ...Array.from({ length: 40 }, (_, i) => rec('B', T0 + i * 30_000 + 1)), rec('A', T0 + 20 * MIN)];
    const expected = ['silent/A firing 08:05:30.001', 'silent/A resolved 08:05:30.001 → 08:20:30.000'];
    expect(run([recs], () => T0, 'silent')).toEqual(expected);
    expect(run(chunks(recs, 1), (i) => T0 + i * 60_000, 'silent')).toEqual(expected);
    // Without B, nothing moves A's partition: the silence is judged when A's next record shows it.
    expect(run([[rec('A', T0), rec('A', T0 + 20 * MIN)]], () => T0, 'silent')).toEqual(expected);
  });

  it('a quiet key waits for the watermark (max event time − lateness) before its timer fires', () => {
    const p = new Pipeline(config, silentLogger());
    p.processBatch([rec('A', T0)], T0, 'p0');
    // B at 08:07:00: watermark 08:05:00, before A's silence timer (08:05:30.001).
    p.processBatch([rec('B', T0 + 6.5 * MIN)], T0, 'p0');
    expect(p.advance(T0 + 10_000, false).filter((a) => a.detector === 'silent')).toEqual([]);
    // B at 08:07:31: watermark 08:05:31, past it.
    p.processBatch([rec('B', T0 + 7 * MIN + 1000)], T0, 'p0');
    expect(
      p
        .advance(T0 + 20_000, false)
        .filter((a) => a.key === 'A' && a.detector === 'silent')
        .map(show),
    ).toEqual(['silent/A firing 08:05:30.001']);
  });

  it('a pending `for` completes at since + for, with no record of the key', () => {
    const recs = [rec('A', T0), ...Array.from({ length: 40 }, (_, i) => rec('B', T0 + i * 30_000 + 1))];
    // Silent past 08:05:30.001, for 3m: fires (startsAt is when the condition began), resolves never (no record).
    expect(run([recs], () => T0, 'long-silent')).toEqual(['long-silent/A firing 08:05:30.001']);
    expect(run(chunks(recs, 2), (i) => T0 + i * 1000, 'long-silent')).toEqual(['long-silent/A firing 08:05:30.001']);
  });

  it('an expression is judged at each pane boundary as the window drains (it may start to hold without records)', () => {
    // x = 9 at 08:00:30 and x = 1 at 08:01:30 (4 one-minute panes): never true on a record; at
    // 08:04:00 the 08:00 pane leaves and only x = 1 remains (holds) until 08:05:00 (empty window).
    const recs = [rec('A', T0, 9), rec('A', T0 + MIN, 1), rec('B', T0 + 20 * MIN)];
    const expected = ['small-left/A firing 08:04:00.000', 'small-left/A resolved 08:04:00.000 → 08:05:00.000'];
    expect(run([recs], () => T0, 'small-left')).toEqual(expected);
    // One record per batch, a second of clock apart (the sweep visits every quiet key once a second).
    expect(run(chunks(recs, 1), (i) => T0 + i * 1000, 'small-left')).toEqual(expected);
    // Both in the 08:00 pane: the window goes from two records to none at once, never holds.
    expect(run([[rec('A', T0, 9), rec('A', T0 + 1000, 1), rec('B', T0 + 20 * MIN)]], () => T0, 'small-left')).toEqual([]);
  });

  it('a restart from the store resumes the timers and the watermark', async () => {
    const store = new MemoryStateStore();
    const a = new Pipeline(config, silentLogger());
    expect(
      a
        .processBatch([rec('A', T0), rec('A', T0 + MIN), rec('A', T0 + 2 * MIN), rec('A', T0 + 3 * MIN)], T0, 'p0')
        .alerts.filter((x) => x.detector === 'burst')
        .map(show),
    ).toEqual(['burst/A firing 08:03:30.000']);
    await a.commit(store, 'p0', 1);
    const b = new Pipeline(config, silentLogger());
    b.restore(await store.loadAll('p0'), 'p0');
    // The stored watermark (08:03:30 − 2m) still makes a record from 08:00:00 late.
    expect(b.processBatch([rec('C', T0 - 30_000)], T0, 'p0').rejects.map((r) => r.reason)).toEqual(['late']);
    const later = b.processBatch([rec('B', T0 + 20 * MIN)], T0, 'p0');
    expect(
      later.alerts
        .concat(b.advance(T0 + 5000, false))
        .filter((x) => x.key === 'A' && (x.detector === 'burst' || x.detector === 'silent'))
        .map(show)
        .sort(),
    ).toEqual(['burst/A resolved 08:03:30.000 → 08:10:00.000', 'silent/A firing 08:08:30.001']);
  });
});

describe('the idle rule', () => {
  const policy = { lateness: 2 * MIN, maxFuture: 3_600_000, maxAge: 0, idleTimeout: MIN };

  it('moves a quiet partition’s watermark on with the clock once it has been quiet for idle_timeout', () => {
    const a = new EventAdmission(policy);
    expect(a.watermarkAt(T0, true)).toBe(-Infinity); // nothing admitted yet: nothing to move on from
    a.admit({ stream: 's', key: 'A', ts: T0 - 30 * MIN, values: {}, attrs: {} }, T0); // 30 min behind the clock
    expect(a.watermarkAt(T0 + 59_999, true)).toBe(T0 - 32 * MIN);
    expect(a.watermarkAt(T0 + MIN, true)).toBe(T0 - 31 * MIN);
    expect(a.watermarkAt(T0 + 10 * MIN, true)).toBe(T0 - 22 * MIN);
    // Replays and idle_timeout 0 never use the clock.
    expect(a.watermarkAt(T0 + 10 * MIN, false)).toBe(T0 - 32 * MIN);
    const never = new EventAdmission({ ...policy, idleTimeout: 0 });
    never.admit({ stream: 's', key: 'A', ts: T0, values: {}, attrs: {} }, T0);
    expect(never.watermarkAt(T0 + 3_600_000, true)).toBe(T0 - 2 * MIN);
  });

  it('lets a silent partition’s deadman fire by the clock', () => {
    const p = new Pipeline(config, silentLogger());
    p.processBatch([rec('A', T0)], T0, 'p0');
    expect(p.advance(T0 + 6 * MIN, true).filter((a) => a.detector === 'silent')).toEqual([]); // watermark 08:04:30
    const fired = p.advance(T0 + 8 * MIN, true).filter((a) => a.detector === 'silent');
    expect(fired.map(show)).toEqual(['silent/A firing 08:05:30.001']); // watermark 08:06:30 passed the timer
  });
});
