/**
 * Shutdown is bounded whatever the servers do, measured as an operator would: `node bin/flowwatch.js
 * run` child processes against real Kafka and a real Redis of the test's own (a redis-server it
 * starts, so it can pause it with SIGSTOP without touching anyone else's). Wall-clock bounds are the
 * point here: each case measures from the stop request to the process's exit.
 *
 * Also: the telemetry listener answers within 1 s while Redis is paused, and its /metrics parses
 * as Prometheus text exposition format with a parser we did not write.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { createTopics, testKafka, uniqueName } from '../support/kafka';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'flowwatch.js');
const SUMMARY = /^flowwatch: stopped after \S+: \d+ events.*, \d+ alert notifications, \d+ rejects/m;
/** The default --shutdown-timeout, and the bound every case is held to. */
const BOUND_MS = 15_000;

let dir: string;

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
  dir = mkdtempSync(path.join(tmpdir(), 'fw-shutdown-'));
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of redises) {
    r.kill('SIGCONT');
    r.kill('SIGKILL');
  }
});

const children: ChildProcess[] = [];
const redises: ChildProcess[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server of this test's own on a free port (no persistence). */
async function startRedis(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  redises.push(proc);
  const url = `redis://127.0.0.1:${port}`;
  for (const started = Date.now(); Date.now() - started < 10_000;) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') return { url, proc };
    await sleep(100);
  }
  throw new Error('redis-server did not answer within 10 s');
}

function writeConfig(name: string, o: { redisUrl: string; topic: string }): string {
  const id = uniqueName(`sd-${name}`);
  const config = {
    kafka: { group_id: `${id}-group`, from_beginning: true, session_timeout: '6s' },
    state: { backend: 'redis', url: o.redisUrl, prefix: id },
    alerting: { delivery: { poll_interval: '100ms' } },
    receivers: [{ type: 'jsonl', name: 'changes', path: path.join(dir, `${name}-alerts.jsonl`) }],
    dead_letter: { type: 'file', path: path.join(dir, `${name}-dead-letter.jsonl`) },
    telemetry: { listen: '127.0.0.1:0' },
    streams: {
      people: {
        source: { type: 'kafka', topics: [o.topic] },
        mapping: { format: 'json', key: 'gate', time: { field: 'ts', format: 'epoch_ms' }, measurements: ['entries'] },
        detectors: [{ name: 'surge', type: 'threshold', measurement: 'entries', above: 100 }],
      },
    },
  };
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

/** A `flowwatch run` child: its stderr collected, its exit time noted. */
class Run {
  readonly child: ChildProcess;
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [BIN, 'run', ...args], {
      cwd: ROOT,
      env: { ...process.env, FLOWWATCH_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(this.child);
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  }

  /** Waits until a log line matches (the worker's startup takes seconds on a loaded machine). */
  async waitFor(re: RegExp, ms = 60_000): Promise<RegExpExecArray> {
    for (const started = Date.now(); Date.now() - started < ms;) {
      const m = re.exec(this.stderr);
      if (m) return m;
      if (this.child.exitCode !== null) throw new Error(`worker exited (${this.child.exitCode}) before ${re}:\n${this.stderr}`);
      await sleep(100);
    }
    throw new Error(`no ${re} within ${ms} ms:\n${this.stderr}`);
  }

  async telemetryPort(): Promise<number> {
    return Number((await this.waitFor(/"port":(\d+),"msg":"telemetry listening/))[1]);
  }

  /** Milliseconds from now until the process has exited. */
  async exitWithin(): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
    const from = Date.now();
    const e = await this.exited;
    return { ms: e.at - from, code: e.code, signal: e.signal };
  }
}

async function produce(topic: string, n: number): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  const now = Date.now();
  await producer.send({
    topic,
    messages: Array.from({ length: n }, (_, i) => ({
      key: `g${i % 4}`,
      value: JSON.stringify({ gate: `g${i % 4}`, ts: now + i, entries: i % 50 }),
    })),
  });
  await producer.disconnect();
}

/** GET with a hard 1 s bound: the answer, or a failure naming the path. */
async function get(port: number, p: string): Promise<{ status: number; text: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(1000) });
  return { status: res.status, text: await res.text(), ms: Date.now() - started };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('bounded shutdown (real Kafka, a real Redis of our own)', () => {
  it('Redis paused (SIGSTOP) while a batch is held, then SIGTERM: exits within the bound with the summary; telemetry answers during the pause and parses as Prometheus text', async () => {
    const redis = await startRedis();
    const topic = uniqueName('sd-paused');
    await createTopics([topic], 2);
    const run = new Run(['--config', writeConfig('paused', { redisUrl: redis.url, topic })]);
    const port = await run.telemetryPort();
    await run.waitFor(/partitions assigned/);
    await produce(topic, 200);
    // Processed and committed before the pause: the metrics have something to say.
    for (let i = 0; i < 100 && !/flowwatch_events_total\{stream="people"\} 200/.test((await get(port, '/metrics')).text); i++)
      await sleep(200);

    const healthy = await get(port, '/metrics');
    expect(healthy.status).toBe(200);
    const families = parsePrometheusTextFormat(healthy.text);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('flowwatch_events_total')?.metrics).toEqual([
      expect.objectContaining({ labels: { stream: 'people' }, value: '200' }),
    ]);
    expect(byName.get('flowwatch_build_info')?.metrics[0].labels).toEqual({ version: expect.any(String), node: process.version });
    expect(byName.get('flowwatch_ready')?.metrics[0]).toMatchObject({ value: '1' });
    expect(byName.get('flowwatch_metrics_stale')?.metrics[0]).toMatchObject({ value: '0' });
    expect(byName.get('flowwatch_consumer_lag')?.metrics.map((m) => m.labels?.topic)).toContain(topic);
    for (const name of [
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'flowwatch_batch_duration_seconds',
      'flowwatch_state_commit_duration_seconds',
      'flowwatch_outbox_depth',
      'flowwatch_store_epoch',
    ])
      expect(byName.has(name)).toBe(true);
    expect((await get(port, '/readyz')).status).toBe(200);

    redis.proc.kill('SIGSTOP');
    await produce(topic, 50); // a batch the worker now holds: its commit cannot land
    await sleep(3000);
    const [metrics, health] = [await get(port, '/metrics'), await get(port, '/healthz')];
    expect(health).toMatchObject({ status: 200 });
    expect(health.ms).toBeLessThan(1000);
    expect(metrics.status).toBe(200);
    expect(metrics.ms).toBeLessThan(1000);
    expect(metrics.text).toMatch(/^flowwatch_metrics_stale 1$/m);
    expect(() => parsePrometheusTextFormat(metrics.text)).not.toThrow();

    run.child.kill('SIGTERM');
    const e = await run.exitWithin();
    redis.proc.kill('SIGCONT');
    process.stderr.write(`shutdown-bounds: Redis paused, SIGTERM → exit ${e.code} after ${e.ms} ms\n`);
    expect(e.ms).toBeLessThanOrEqual(BOUND_MS);
    expect(e.signal).toBeNull();
    expect(run.stderr).toMatch(SUMMARY);
  }, 180_000);

  it('Redis unreachable (a closed port) and --duration 5s: exits within the bound after the duration', async () => {
    const topic = uniqueName('sd-noredis');
    await createTopics([topic], 2);
    await produce(topic, 20);
    const run = new Run([
      '--config',
      writeConfig('noredis', { redisUrl: `redis://127.0.0.1:${await freePort()}`, topic }),
      '--duration',
      '5s',
    ]);
    await run.waitFor(/"msg":"stopping/, 90_000);
    const e = await run.exitWithin();
    process.stderr.write(`shutdown-bounds: Redis unreachable, --duration 5s → exit ${e.code} ${e.ms} ms after "stopping"\n`);
    expect(e.ms).toBeLessThanOrEqual(BOUND_MS);
    expect(e.signal).toBeNull();
    expect(run.stderr).toMatch(SUMMARY);
  }, 180_000);

  it('Kafka unreachable (127.0.0.1:1) and --duration 5s: not ready meanwhile, exits within the bound after the duration', async () => {
    const redis = await startRedis();
    const run = new Run(
      ['--config', writeConfig('nokafka', { redisUrl: redis.url, topic: uniqueName('sd-nokafka') }), '--duration', '5s'],
      { KAFKA_BROKERS: '127.0.0.1:1' },
    );
    const port = await run.telemetryPort();
    const ready = await get(port, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({
      status: 'not ready',
      problems: [expect.objectContaining({ component: 'source:kafka' })],
    });
    await run.waitFor(/"msg":"stopping/, 90_000);
    const e = await run.exitWithin();
    process.stderr.write(`shutdown-bounds: Kafka unreachable, --duration 5s → exit ${e.code} ${e.ms} ms after "stopping"\n`);
    expect(e.ms).toBeLessThanOrEqual(BOUND_MS);
    expect(e.code).toBe(0);
    expect(run.stderr).toMatch(SUMMARY);
  }, 180_000);

  it('a second SIGTERM exits at once (143) with the summary', async () => {
    const redis = await startRedis();
    const topic = uniqueName('sd-twice');
    await createTopics([topic], 2);
    const run = new Run(['--config', writeConfig('twice', { redisUrl: redis.url, topic }), '--shutdown-timeout', '60s']);
    await run.waitFor(/partitions assigned/);
    redis.proc.kill('SIGSTOP'); // the first SIGTERM then has a held batch to wait for
    await produce(topic, 20);
    await sleep(1000);
    run.child.kill('SIGTERM');
    await run.waitFor(/"msg":"stopping/);
    await sleep(500);
    run.child.kill('SIGTERM');
    const e = await run.exitWithin();
    redis.proc.kill('SIGCONT');
    process.stderr.write(`shutdown-bounds: second SIGTERM → exit ${e.code} after ${e.ms} ms\n`);
    expect(e.code).toBe(143);
    expect(e.ms).toBeLessThan(1000);
    expect(run.stderr).toMatch(/^flowwatch: second SIGTERM: exiting at once/m);
    expect(run.stderr).toMatch(SUMMARY);
  }, 180_000);
});
