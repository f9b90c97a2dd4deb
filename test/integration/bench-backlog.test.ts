/**
 * `flowwatch bench --scenario backlog` end to end on a small backlog: the built CLI fills its own
 * topics, runs `flowwatch run` as a child over them and then the raw consumer, and cleans up.
 * What is checked is the result's shape and that every event was applied and read — never how
 * fast (timings belong to the bench itself, not to a test).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { brokers } from '../support/kafka';

const ROOT = path.join(__dirname, '..', '..');
const EVENTS = 30_000;

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
}, 120_000);

it('fills the backlog, applies every event in flowwatch run and reads every event raw, then removes its topics and keys', async () => {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin', 'flowwatch.js'), 'bench', '--scenario', 'backlog', '--events', String(EVENTS), '--partitions', '2', '--json'],
    { cwd: ROOT, encoding: 'utf8', timeout: 170_000, env: { ...process.env, FLOWWATCH_LOG_LEVEL: 'warn' } },
  );
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split('\n');
  const res = JSON.parse(lines[lines.length - 1]);
  for (const row of [
    'scenario',
    'filled in',
    'flowwatch run (10–90 %)',
    '  applied / summary',
    'raw consumer (kafkajs)',
    'flowwatch / raw',
    'machine',
  ])
    expect(lines.some((l) => l.startsWith(row))).toBe(true);

  expect(res).toMatchObject({ scenario: 'backlog', events: EVENTS, partitions: 2, scale: 500 });
  // Every event applied to state (Σ position + 1 in Redis) and counted by the worker; every event read raw.
  expect(res.worker.done).toBe(EVENTS);
  expect(res.worker.summary).toMatch(
    new RegExp(`: ${EVENTS} events \\(people \\d+, goods \\d+, funds \\d+\\), \\d+ alert notifications, 0 rejects`),
  );
  expect(res.rawConsumer.done).toBe(EVENTS);
  for (const side of [res.worker, res.rawConsumer]) {
    for (const k of ['eventsPerSec', 'cpuUsPerEvent', 'cpuPct', 'seconds']) expect(side[k] === null || side[k] > 0).toBe(true);
    expect(typeof side.loadStart).toBe('number');
  }
  expect(typeof res.machine.loadBefore).toBe('number');

  // Nothing of the run is left behind.
  const admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(res.id));
  await admin.disconnect();
  expect(topics).toEqual([]);
  const redis = new Redis(process.env.REDIS_URL!);
  const keys = await redis.keys(`${res.id}*`);
  redis.disconnect();
  expect(keys).toEqual([]);
}, 180_000);

it('--workers 1,2 --threads 2: a pass per entry over the same backlog, each from offset 0 with its own state; two processes, then two threads, split the partitions', () => {
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'flowwatch.js'),
      'bench',
      '--scenario',
      'backlog',
      '--events',
      String(EVENTS),
      '--partitions',
      '2',
      '--workers',
      '1,2',
      '--threads',
      '2',
      '--json',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 230_000, env: { ...process.env, FLOWWATCH_LOG_LEVEL: 'warn' } },
  );
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split('\n');
  const res = JSON.parse(lines[lines.length - 1]);
  expect(lines.some((l) => l.startsWith('flowwatch run (10–90 %)'))).toBe(true);
  expect(lines.some((l) => l.startsWith('flowwatch run --threads 2 (10–90 %)'))).toBe(true);
  expect(lines.some((l) => l.startsWith('flowwatch run ×2 (10–90 %)'))).toBe(true);
  expect(res.passes.map((p: { processes: number; threads: number }) => [p.processes, p.threads])).toEqual([
    [1, 1],
    [2, 1],
    [1, 2],
  ]);
  expect(res.worker).toEqual(res.passes[0]);
  // Each pass applied the whole backlog from offset 0 into its own state.
  for (const p of res.passes) expect(p.done).toBe(EVENTS);
  // The second pass's two processes both ran and stopped cleanly: one summary line each, their events adding up.
  const parts = res.passes[1].summary.split('; ');
  expect(parts).toHaveLength(2);
  const counted = parts.map((l: string) => Number(/: (\d+) events/.exec(l)![1]));
  expect(counted.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThanOrEqual(EVENTS);
  // The threads' pass: one process, one summary line adding up its threads (at least every event: a
  // rebalance as the second thread joins may hand a batch over before it is skipped, as with processes).
  expect(res.passes[2].done).toBe(EVENTS);
  expect(res.passes[2].summary.split('; ')).toHaveLength(1);
  expect(Number(/: (\d+) events/.exec(res.passes[2].summary)![1])).toBeGreaterThanOrEqual(EVENTS);
}, 240_000);
