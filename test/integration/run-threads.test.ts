/**
 * `flowwatch run --threads 2` against real Kafka and Redis gives exactly what `--threads 1` gives on
 * the same backlog: every event applied once to the window state (per-key counts in Redis), the
 * same alert changes, both threads given partitions — and a SIGTERM in the middle of the backlog
 * followed by a restart is still exact (each thread drains and commits before the process exits 0).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { createTopics, produceCountedBacklog, uniqueName, waitFor } from '../support/kafka';
import { decodeStateValue } from '../../state/codec';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '..', '..');
const PARTITIONS = 4;
const KEYS = 20;
const EVENTS = 40_000;
/** Each key gets EVENTS / KEYS = 2000 events in a 7-day window: each crosses this once, firing one alert. */
const ABOVE = 1500;

let topic: string;
let dir: string;
let redis: Redis;
let expected = new Map<string, number>();

beforeAll(async () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
  topic = uniqueName('it-threads');
  dir = mkdtempSync(path.join(tmpdir(), 'fw-threads-'));
  redis = new Redis(process.env.REDIS_URL!);
  await createTopics([topic], PARTITIONS);
  expected = await produceCountedBacklog(topic, EVENTS, KEYS);
}, 180_000);

afterAll(async () => {
  await redis?.quit();
});

/** A worker config of its own (consumer group = Redis prefix), small fetches so a stop can land mid-backlog. */
function writeConfig(group: string): string {
  const file = path.join(dir, `${group}.yaml`);
  writeFileSync(
    file,
    `
kafka: { group_id: ${group}, from_beginning: true, max_batch_bytes: 8192, session_timeout: 6s }
state: { backend: redis, prefix: ${group} }
telemetry: { listen: "off" }
receivers: [{ type: jsonl, path: ${JSON.stringify(path.join(dir, `${group}.alerts.jsonl`))} }]
dead_letter: { type: file, path: ${JSON.stringify(path.join(dir, `${group}.dead.jsonl`))} }
streams:
  s:
    source: { type: kafka, topics: [${topic}] }
    mapping: { key: k, time: { field: t, format: epoch_ms }, id: id, measurements: [v] }
    lateness: 1d
    detectors:
      - { type: rate, name: count, window: 7d, slide: 1d, above: ${ABOVE} }
`,
  );
  return file;
}

interface Worker {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startWorker(configFile: string, threads: number): Worker {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'flowwatch.js'), 'run', '--config', configFile, '--threads', String(threads)],
    {
      cwd: ROOT,
      env: { ...process.env, FLOWWATCH_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

async function applied(group: string): Promise<number> {
  let n = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const v = await redis.get(`${group}:{${topic}:${p}}:pos`);
    if (v !== null) n += Number(v) + 1;
  }
  return n;
}

/** Runs until every event is applied, then SIGTERM: exit 0 and its summary line. */
async function runToEnd(group: string, threads: number): Promise<Worker> {
  const w = startWorker(writeConfig(group), threads);
  await waitFor('every event applied', async () => ((await applied(group)) === EVENTS ? true : undefined), 120_000, 100);
  w.child.kill('SIGTERM');
  expect(await w.exited).toBe(0);
  return w;
}

/** Per-key window counts in Redis: one field per key, "<stream>\u0000<key>" (ids starting \u0001 are bookkeeping). */
async function counts(group: string): Promise<Record<string, number>> {
  const out = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    const entries = await redis.hgetallBuffer(`${group}:{${topic}:${p}}:state`);
    for (const [id, stored] of Object.entries(entries)) {
      if (id.startsWith('\u0001')) continue;
      const [, key] = id.split('\u0000');
      const state = decodeStateValue(stored) as { entries: { count?: { detector: { win: { s: number[][] } } } } };
      if (state.entries.count) out.set(key, (out.get(key) ?? 0) + state.entries.count.detector.win.s.reduce((a, row) => a + row[1], 0));
    }
  }
  return Object.fromEntries([...out].sort());
}

/** The summary line's counts: "flowwatch: stopped after …: N events (…), A alert notifications, R rejects". */
function summary(stderr: string): { events: number; alerts: number; rejects: number } {
  const m = /flowwatch: stopped after [^:]+: (\d+) events.*?, (\d+) alert notifications, (\d+) rejects/.exec(stderr);
  if (!m) throw new Error(`no summary line in:\n${stderr.slice(-2000)}`);
  return { events: Number(m[1]), alerts: Number(m[2]), rejects: Number(m[3]) };
}

/** Which threads logged a partition assignment. */
function threadsAssigned(stderr: string): number[] {
  const threads = new Set<number>();
  for (const line of stderr.split('\n')) {
    if (!line.includes('partitions assigned')) continue;
    const t = (JSON.parse(line) as { thread?: number }).thread;
    if (t !== undefined) threads.add(t);
  }
  return [...threads].sort();
}

describe('run --threads', () => {
  const one = uniqueName('it-threads-1');
  let reference: { events: number; alerts: number; rejects: number };

  it('--threads 1 applies the backlog (the reference)', async () => {
    const w = await runToEnd(one, 1);
    reference = summary(w.stderr());
    expect(reference).toEqual({ events: EVENTS, alerts: KEYS, rejects: 0 });
    expect(await counts(one)).toEqual(Object.fromEntries([...expected].sort()));
    expect(threadsAssigned(w.stderr())).toEqual([]); // no threads: today's process, no `thread` binding
  });

  it('--threads 2 gives exactly the state and alert changes of --threads 1, both threads consuming', async () => {
    const two = uniqueName('it-threads-2');
    const w = await runToEnd(two, 2);
    expect(summary(w.stderr())).toEqual(reference);
    expect(await counts(two)).toEqual(await counts(one));
    expect(threadsAssigned(w.stderr())).toEqual([1, 2]);
  });

  it('SIGTERM mid-backlog, then a restart: every event still applied once, the same alert changes', async () => {
    const group = uniqueName('it-threads-stop');
    const file = writeConfig(group);
    const first = startWorker(file, 2);
    await waitFor(
      'the threads to be in the middle of the backlog',
      async () => ((await applied(group)) >= EVENTS * 0.2 ? true : undefined),
      90_000,
      10,
    );
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0); // every thread drained and committed
    const atStop = await applied(group);
    expect(atStop).toBeLessThan(EVENTS); // really stopped mid-backlog
    const before = summary(first.stderr());
    // What the threads counted is what they committed: the positions in Redis say the same.
    expect(before.events).toBe(atStop);

    const second = await runToEnd(group, 2);
    const after = summary(second.stderr());
    expect(before.events + after.events).toBe(EVENTS);
    expect(before.alerts + after.alerts).toBe(reference.alerts);
    expect(await counts(group)).toEqual(await counts(one));
  });
});
