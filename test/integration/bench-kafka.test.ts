/**
 * `flowwatch bench --scenario kafka --threads 2` end to end on one small fixed-rate step: the built
 * CLI sends its own load, runs the worker as two worker threads of the bench process, and the
 * latency reference (a raw consumer in its own process and group) beside the step. What is checked
 * is that every event of the step reached each measurement exactly once — the worker's state
 * commits (posted by the threads), the reference's fetches, the producer's acks — and that the run
 * cleans up; never how fast (timings belong to the bench itself, not to a test).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { brokers } from '../support/kafka';

const ROOT = path.join(__dirname, '..', '..');
const RATE = 2000;
const SECONDS = 4;

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
}, 120_000);

function bench(args: string[], timeout: number) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'flowwatch.js'), 'bench', '--scenario', 'kafka', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, FLOWWATCH_LOG_LEVEL: 'error' },
  });
}

it('--threads 2: every event of the step committed through the threads, fetched by the reference and acked, then cleans up', async () => {
  const r = bench(
    ['--rate', String(RATE), '--duration', `${SECONDS}s`, '--keys', '200', '--no-sink', '--alerting', 'direct', '--threads', '2', '--json'],
    230_000,
  );
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split('\n');
  const res = JSON.parse(lines[lines.length - 1]);
  expect(lines.find((l) => l.startsWith('scenario'))).toMatch(/2 worker threads/);
  for (const row of ['  reference: send→acked', '  reference: send→fetched']) expect(lines.some((l) => l.startsWith(row))).toBe(true);
  expect(res).toMatchObject({ scenario: 'kafka', threads: 2, latencyOfferedEventsPerSec: RATE });

  const step = res.steps[res.steps.length - 1];
  expect(step.phase).toBe('fixed');
  const events = RATE * SECONDS;
  // Each event once: committed by one of the two threads (its batch posted to the main thread and
  // recorded there), read by the reference consumer, acknowledged to the load generator.
  expect(res.latencyMs.state.count).toBe(events);
  expect(res.latencyMs.delivery.count).toBe(events);
  expect(res.latencyMs.rawFetched.count).toBe(events);
  expect(res.latencyMs.acked.count).toBe(events);
  // The reference's process is in the step's CPU split, apart from the worker's.
  expect(Object.keys(step.cpuPct)).toEqual(expect.arrayContaining(['worker', 'producer', 'raw reference']));

  // Nothing of the run is left behind.
  const admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const id = /kafka bench (\S+):/.exec(r.stderr)![1];
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(id));
  await admin.disconnect();
  expect(topics).toEqual([]);
  const redis = new Redis(process.env.REDIS_URL!);
  const keys = await redis.keys(`${id}*`);
  redis.disconnect();
  expect(keys).toEqual([]);
}, 240_000);

it('--threads with a list is refused for the kafka scenario, before anything starts', () => {
  const r = bench(['--rate', '1000', '--threads', '1,2'], 30_000);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/--threads 1,2: the kafka scenario runs one worker shape per run; give one number/);
});
