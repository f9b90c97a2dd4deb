/**
 * Runs flowwatch as operators do — `node bin/flowwatch.js run --config FILE` child processes against
 * real Kafka and Redis — and reads back what they did: records applied (the state store's positions),
 * alert changes delivered (a jsonl receiver per worker), dead letters. Used by the event-time tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type Redis from 'ioredis';
import { stringify } from 'yaml';
import { createTopics, testKafka, uniqueName, waitFor } from './kafka';
import type { RecordedRecord, StreamName } from './recorded-stream';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'flowwatch.js');

/** Everything one mode of a test owns, so modes never see each other's records, offsets or state. */
export interface Mode {
  name: string;
  dir: string;
  topics: Record<StreamName, string>;
  group: string;
  /** Redis prefix of the state store and the alert store. */
  prefix: string;
}

export function newMode(name: string, root: string): Mode {
  const id = uniqueName(`et-${name}`);
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return { name, dir, topics: { people: `${id}-people`, goods: `${id}-goods`, funds: `${id}-funds` }, group: `${id}-group`, prefix: id };
}

export async function createModeTopics(mode: Mode, partitions: number): Promise<void> {
  await createTopics(Object.values(mode.topics), partitions);
}

/** Deletes what a mode left in Kafka and Redis (its files stay, for a look after a failure; its group goes with its topics' offsets). */
export async function dropModes(redis: Redis, modes: readonly Mode[]): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = modes.flatMap((m) => Object.values(m.topics)).filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
  for (const m of modes) {
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${m.prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      if ((cursor = next) === '0') break;
    }
  }
}

/**
 * A worker's config: the fixture's streams, read from the mode's topics, with state and alert state
 * in Redis under the mode's prefix and alert changes in a jsonl file of the worker's own.
 */
export function writeWorkerConfig(
  mode: Mode,
  fixture: { streams: Record<string, Record<string, unknown>> },
  worker: string,
  /** Merged over the config below (objects key by key, anything else replaced): the drills add sinks, receivers, limits. */
  overrides: Record<string, unknown> = {},
): string {
  const streams: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(fixture.streams))
    streams[name] = { ...s, source: { type: 'kafka', topics: [mode.topics[name as StreamName]] } };
  const config = {
    // A short session timeout: a killed worker's partitions move on after 6 s, not 30.
    kafka: { group_id: mode.group, from_beginning: true, session_timeout: '6s' },
    state: { backend: 'redis', prefix: mode.prefix },
    alerting: {
      // Flap detection holds back the changes of an alert that changes often (a velocity burst that
      // hovers at its limit); the test compares the changes themselves, so every one goes out.
      flap: { threshold: 0 },
      // Delivery shortly after each change, and a killed worker's delivery lease lapses in 2 s.
      delivery: { poll_interval: '100ms', lease: '2s', drain_timeout: '10s' },
    },
    receivers: [{ type: 'jsonl', name: 'changes', path: alertsFile(mode, worker) }],
    dead_letter: { type: 'file', path: path.join(mode.dir, `dead-letter-${worker}.jsonl`) },
    streams,
  };
  const file = path.join(mode.dir, `${worker}.yaml`);
  writeFileSync(file, stringify(deepMerge(config, overrides)));
  return file;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `over` on top of `base`: nested objects merge, arrays and scalars replace; undefined deletes. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

export const alertsFile = (mode: Mode, worker: string) => path.join(mode.dir, `alerts-${worker}.jsonl`);

/**
 * The backtest's config: only the fixture's streams (their mappings, lateness and detectors) —
 * a replay has no sources, state store or receivers; its alert changes go to --alerts.
 */
export function writeBacktestConfig(mode: Mode, fixture: { streams: Record<string, Record<string, unknown>> }): string {
  const file = path.join(mode.dir, 'backtest.yaml');
  writeFileSync(file, stringify({ streams: fixture.streams }));
  return file;
}

/** A `flowwatch run` child process; its log (stderr) goes to <mode dir>/<worker>.log. */
export class Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly log: string;

  constructor(
    readonly mode: Mode,
    readonly name: string,
    configFile: string,
    /** More `run` options (`--duration 5s`, `--shutdown-timeout 10s`) and environment (KAFKA_BROKERS, log level). */
    opts: { args?: readonly string[]; env?: Readonly<Record<string, string>> } = {},
  ) {
    this.log = path.join(mode.dir, `${name}.log`);
    const fd = openSync(this.log, 'a');
    this.child = spawn(process.execPath, [BIN, 'run', '--config', configFile, ...(opts.args ?? [])], {
      cwd: ROOT,
      env: { ...process.env, FLOWWATCH_LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['ignore', 'ignore', fd],
    });
    closeSync(fd);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  /** kill -9: no batch finished, no offset committed, nothing flushed. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Ctrl-C/SIGTERM: finishes the batches in flight, commits, leaves the group; must exit 0. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    const { code, signal } = await this.exited;
    if (code !== 0)
      throw new Error(
        `worker ${this.mode.name}/${this.name} exited with ${code ?? signal} after SIGTERM; see ${this.log}:\n${tail(this.log)}`,
      );
  }

  /**
   * SIGTERM and how long the exit took. A worker still running after `hardLimitMs` is killed (-9)
   * so a hung shutdown fails its test instead of hanging the suite; `killed` says so.
   */
  async terminate(hardLimitMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; killed: boolean }> {
    const t0 = Date.now();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return { ...(await this.exited), ms: 0, killed: false };
    this.child.kill('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGKILL');
    }, hardLimitMs);
    const r = await this.exited;
    clearTimeout(timer);
    return { ...r, ms: Date.now() - t0, killed };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of the worker's log, for failure messages. */
  tail(lines = 15): string {
    return tail(this.log, lines);
  }
}

const running = new Set<Worker>();

/** For afterAll: no worker outlives a failed test. */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...running].map((w) => w.kill()));
}

function tail(file: string, lines = 15): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '(no log)';
}

/** Records the workers have applied to state: per partition, the stored position + 1. */
export async function appliedRecords(redis: Redis, mode: Mode, partitions: number): Promise<number> {
  const keys: string[] = [];
  for (const topic of Object.values(mode.topics)) for (let p = 0; p < partitions; p++) keys.push(`${mode.prefix}:{${topic}:${p}}:pos`);
  const values = await redis.mget(...keys);
  return values.reduce((n, v) => n + (v === null ? 0 : Number(v) + 1), 0);
}

/**
 * What the state store holds per partition: records applied (position + 1) and how many per-key
 * entries its state hash has — the drills compare both with the clean run.
 */
export async function stateSummary(
  redis: Redis,
  mode: Mode,
  partitions: number,
): Promise<Record<string, { applied: number; entries: number }>> {
  const out: Record<string, { applied: number; entries: number }> = {};
  for (const [stream, topic] of Object.entries(mode.topics)) {
    for (let p = 0; p < partitions; p++) {
      const tag = `${mode.prefix}:{${topic}:${p}}`;
      const [pos, entries] = await Promise.all([redis.get(`${tag}:pos`), redis.hlen(`${tag}:state`)]);
      out[`${stream}/${p}`] = { applied: pos === null ? 0 : Number(pos) + 1, entries };
    }
  }
  return out;
}

export async function waitForApplied(redis: Redis, mode: Mode, partitions: number, atLeast: number, timeoutMs = 120_000): Promise<number> {
  return waitFor(
    `${mode.name}: ${atLeast} records applied`,
    async () => {
      const n = await appliedRecords(redis, mode, partitions);
      return n >= atLeast ? n : undefined;
    },
    timeoutMs,
    20,
  );
}

/** The consumer group is stable with exactly `members` members (partitions assigned). */
export async function waitForGroup(mode: Mode, members: number, timeoutMs = 60_000): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await waitFor(
      `${mode.name}: group stable with ${members} member(s)`,
      async () => {
        const { groups } = await admin.describeGroups([mode.group]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === members ? true : undefined;
      },
      timeoutMs,
      100,
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every alert change is in a receiver's file: nothing in the outbox and no group due for a flush.
 * (Changes are durable in the alert store before their batch commits, so once every record is
 * applied, this is the rest of the way to the receiver.) Keys as alerts/store/redis.ts lays them out.
 */
export async function waitForDelivery(redis: Redis, mode: Mode, timeoutMs = 60_000): Promise<void> {
  const base = `${mode.prefix}:{alerts}:`;
  await waitFor(
    `${mode.name}: every alert change delivered`,
    async () => {
      const [outbox, due] = await Promise.all([
        redis.llen(`${base}outbox:changes`),
        redis.zcount(`${base}due:groups`, '-inf', String(Date.now())),
      ]);
      return outbox === 0 && due === 0 ? true : undefined;
    },
    timeoutMs,
    100,
  );
}

/** Lines of every worker file of a mode with this prefix (alerts-*, dead-letter-*). */
export function readJsonLines(mode: Mode, prefix: 'alerts' | 'dead-letter'): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const f of readdirSync(mode.dir).filter((n) => n.startsWith(`${prefix}-`) && n.endsWith('.jsonl'))) {
    for (const line of readFileSync(path.join(mode.dir, f), 'utf8').split('\n')) if (line.trim()) out.push(JSON.parse(line));
  }
  return out;
}

/**
 * A producer that writes each record exactly once, in order: a retried send (a partition's leader
 * not yet known right after the topic was created) once wrote a whole chunk twice — Kafka then held
 * duplicates the worker rightly dead-lettered. Idempotence makes the broker drop the repeat.
 */
function exactlyOnceProducer() {
  return testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
}

/** Produces in order, as fast as Kafka takes it (a backlog). Explicit partitions: see recorded-stream.ts. */
export async function produceAll(mode: Mode, records: readonly RecordedRecord[]): Promise<void> {
  const producer = exactlyOnceProducer();
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 500)
      await producer.sendBatch({ topicMessages: toTopicMessages(mode, records.slice(i, i + 500)) });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Produces at a steady pace over `durationMs` of wall time, a few records per send, so a worker
 * that keeps up sees many small batches. Each send waits for its slot in the schedule (pacing is
 * the point here, not a stand-in for a condition).
 */
export async function producePaced(mode: Mode, records: readonly RecordedRecord[], durationMs: number): Promise<void> {
  const producer = exactlyOnceProducer();
  await producer.connect();
  try {
    const chunk = Math.max(1, Math.ceil(records.length / (durationMs / 25))); // one send every ~25 ms
    const sends = Math.ceil(records.length / chunk);
    const t0 = Date.now();
    for (let i = 0; i < sends; i++) {
      const due = t0 + (i * durationMs) / sends;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const part = records.slice(i * chunk, (i + 1) * chunk);
      await producer.sendBatch({ topicMessages: toTopicMessages(mode, part) });
    }
  } finally {
    await producer.disconnect();
  }
}

function toTopicMessages(mode: Mode, records: readonly RecordedRecord[]) {
  const byTopic = new Map<string, Array<{ key: string; value: string; partition: number }>>();
  for (const r of records) {
    const topic = mode.topics[r.stream];
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push({ key: r.key, value: r.raw ?? JSON.stringify(r.payload), partition: r.partition });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Runs the CLI to completion (the backtest); resolves with its exit code and output. */
export function runCli(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, FLOWWATCH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flowwatch ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One alert state change, as compared between modes: identity, status, and its event times. */
export interface AlertChange {
  fingerprint: string;
  status: 'firing' | 'resolved';
  startsAt: number;
  endsAt?: number;
  detector: string;
}

/**
 * Normalises an alert line — a jsonl receiver's (ISO times, maybe a `reason` for repeats) or the
 * backtest's --alerts file (epoch ms) — to the change it reports.
 */
export function toChange(line: Record<string, unknown>): AlertChange {
  const ms = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : undefined);
  const fingerprint = typeof line.fingerprint === 'string' ? line.fingerprint : `${line.stream}/${line.detector}/${line.key}`;
  const status = line.status as AlertChange['status'];
  const startsAt = ms(line.startsAt);
  if ((status !== 'firing' && status !== 'resolved') || startsAt === undefined || !Number.isFinite(startsAt))
    throw new Error(`not an alert change: ${JSON.stringify(line).slice(0, 300)}`);
  const endsAt = status === 'resolved' ? ms(line.endsAt) : undefined;
  return { fingerprint, status, startsAt, ...(endsAt !== undefined ? { endsAt } : {}), detector: String(line.detector) };
}

/** The identity of a change: notifications may repeat (repeats, escalations, re-deliveries), changes do not. */
export function changeKey(c: AlertChange): string {
  return `${c.fingerprint}|${c.status}|${c.startsAt}|${c.endsAt ?? ''}`;
}

/** When the change happened in event time: the start of a firing episode, the end of a resolved one. */
export function changeTime(c: AlertChange): number {
  return c.status === 'resolved' ? (c.endsAt ?? c.startsAt) : c.startsAt;
}
