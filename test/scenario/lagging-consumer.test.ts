/**
 * One answer per input, in process: the same simulated records (people, goods, funds with their
 * injected anomalies, the examples' detectors) give the same alert changes whether a worker keeps
 * pace while lagging 20 → 80 minutes behind the clock, reads them as one backlog, or crashes and
 * restarts from its store half-way — because every window, `for` and silence is judged in event
 * time. The real-server version (Kafka, Redis, kill -9, rebalance) is
 * test/integration/event-time-invariant.test.ts.
 */
import { loadConfigFile } from '../../config/load';
import { ManualClock } from '../../kernel/clock';
import { silentLogger } from '../../kernel/logger';
import { runPipeline } from '../../worker/runner';
import type { Alert, RawRecord } from '../../kernel/types';
import type { AlertDispatcher } from '../../alerts/dispatch';
import { MemoryDeadLetter } from '../../ingest/dead-letter';
import type { Source, SourceBatch } from '../../ingest/sources/types';
import { FlowSimulator } from '../../ingest/simulator/simulator';
import { MIN, MONDAY } from '../../ingest/simulator/testing';
import type { StateStore } from '../../state/types';
import { MemoryStateStore } from '../../state/memory-store';

const config = loadConfigFile('examples/kafka.yaml');
// Not on a minute, so not on any pane boundary: results must not depend on where the run starts.
const START = MONDAY + 7 * 3_600_000 + 7 * MIN + 13_456;
const HOURS = 6;
const PARTITIONS = 4;

interface Rec {
  scope: string;
  ts: number;
  raw: RawRecord;
}

/** The recording: simulated records in event-time order, each on the partition its key hashes to. */
function record(): Rec[] {
  const sim = new FlowSimulator({ seed: 7, start: START, anomalies: { perFlowPerDay: 48 } });
  const out: Rec[] = [];
  for (const r of sim.advance(START + HOURS * 3_600_000)) {
    if (r.fault) continue;
    const p = r.payload as Record<string, unknown>;
    const key = String(r.stream === 'people' ? p.gate_id : r.stream === 'goods' ? p.container_id : p.account);
    out.push({ scope: `${r.stream}-${hash(key) % PARTITIONS}`, ts: r.ts, raw: { stream: r.stream, payload: r.payload } });
  }
  return out;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

interface Step {
  scope: string;
  records: RawRecord[];
  position: number;
  clock: number;
}

/**
 * Paced: the records of each 15 s of event time per partition as they come, with the clock
 * 20 minutes ahead at the start and 80 at the end (the worker falls further behind).
 */
function paced(recs: Rec[]): Step[] {
  const end = recs[recs.length - 1].ts;
  const lag = (t: number) => 20 * MIN + (60 * MIN * (t - START)) / (end - START);
  const steps: Step[] = [];
  const pos = new Map<string, number>();
  let slice = new Map<string, RawRecord[]>();
  let sliceEnd = START + 15_000;
  const flush = () => {
    for (const [scope, records] of slice) steps.push({ scope, records, position: bump(pos, scope), clock: sliceEnd + lag(sliceEnd) });
    slice = new Map();
  };
  for (const r of recs) {
    while (r.ts >= sliceEnd) {
      flush();
      sliceEnd += 15_000;
    }
    const list = slice.get(r.scope) ?? [];
    list.push(r.raw);
    slice.set(r.scope, list);
  }
  flush();
  return steps;
}

/** Backlog: 2,000-record batches per partition, partitions taking turns, the clock 80 minutes past the last record and barely moving. */
function backlog(recs: Rec[]): Step[] {
  const byScope = new Map<string, RawRecord[]>();
  for (const r of recs) (byScope.get(r.scope) ?? byScope.set(r.scope, []).get(r.scope)!).push(r.raw);
  const clock0 = recs[recs.length - 1].ts + 80 * MIN;
  const steps: Step[] = [];
  for (let i = 0, more = true; more; i++) {
    more = false;
    for (const [scope, list] of byScope) {
      const records = list.slice(i * 2000, (i + 1) * 2000);
      if (records.length === 0) continue;
      more = true;
      steps.push({ scope, records, position: i + 1, clock: clock0 + steps.length * 5 });
    }
  }
  return steps;
}

function bump(m: Map<string, number>, k: string): number {
  const n = (m.get(k) ?? 0) + 1;
  m.set(k, n);
  return n;
}

/** Feeds steps to the runner as a live source would, ending with two full sweeps of due timers. */
function source(steps: readonly Step[], clock: ManualClock): Source {
  return {
    name: 'recording',
    streams: ['people', 'goods', 'funds'],
    replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (const s of steps) {
        clock.set(s.clock);
        const batch: SourceBatch = {
          records: s.records,
          position: s.position,
          scope: s.scope,
          // Re-delivered after a restart: what the store already holds is dropped.
          skipUpTo: (stored) => {
            if (s.position <= stored) batch.records = [];
          },
        };
        yield batch;
      }
      for (let i = 0; i < 2; i++) {
        clock.advance(2000);
        for (const scope of new Set(steps.map((s) => s.scope))) yield { records: [], scope };
      }
    },
  };
}

type Change = string;
const changeOf = (a: Alert): Change => `${a.fingerprint} ${a.status} ${a.startsAt} ${a.endsAt ?? ''}`;

async function run(steps: readonly Step[], store: StateStore = new MemoryStateStore()): Promise<Set<Change>> {
  const changes = new Set<Change>();
  const clock = new ManualClock(steps[0].clock);
  const dispatcher = { dispatch: async () => undefined, close: async () => undefined } as unknown as AlertDispatcher;
  await runPipeline({
    config,
    sources: [source(steps, clock)],
    dispatcher,
    deadLetter: new MemoryDeadLetter(),
    store,
    log: silentLogger(),
    clock,
    signal: new AbortController().signal,
    idleTickMs: 0,
    onAlerts: (alerts) => alerts.forEach((a) => changes.add(changeOf(a))),
  });
  return changes;
}

/** Crash half-way: a first worker stops after `cut` steps, a fresh one restarts from the store and is re-sent the last 10 steps. */
async function runWithRestart(steps: readonly Step[], cut: number): Promise<Set<Change>> {
  const store = new MemoryStateStore();
  const first = await run(steps.slice(0, cut), store);
  const second = await run(steps.slice(cut - 10), store);
  return new Set([...first, ...second]);
}

/** Changes per detector and status, e.g. "velocity-burst firing" → 4. */
function tally(changes: Set<Change>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of changes) {
    const [fp, status] = c.split(' ');
    const k = `${fp.split('/')[1]} ${status}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('a lagging worker judges as one that keeps up', () => {
  const recs = record();
  let expected: Set<Change>;

  beforeAll(async () => {
    expected = await run(backlog(recs));
  });

  it('has alerts of every time-driven kind to get right', () => {
    const t = tally(expected);
    // Windows that fire on events and clear as they drain, silence, a `for` duration, a sketch.
    for (const k of [
      'velocity-burst firing',
      'velocity-burst resolved',
      'sensor-silence firing',
      'sensor-silence resolved',
      'fan-out firing',
      'fan-out resolved',
      'stuck-sensor firing',
      'stuck-sensor resolved',
      'unexpected-stop firing',
    ]) {
      expect({ [k]: t[k] ?? 0 }).toEqual({ [k]: expect.any(Number) });
      expect(t[k]).toBeGreaterThan(0);
    }
  });

  it('paced, 20 → 80 minutes behind the clock, gives the same alert changes as the backlog', async () => {
    const got = await run(paced(recs));
    expect(tally(got)).toEqual(tally(expected));
    expect([...got].sort()).toEqual([...expected].sort());
  });

  it('a restart from the store half-way, with re-delivered batches, changes nothing', async () => {
    const steps = paced(recs);
    const got = await runWithRestart(steps, Math.floor(steps.length / 2));
    expect([...got].sort()).toEqual([...expected].sort());
  });
});
