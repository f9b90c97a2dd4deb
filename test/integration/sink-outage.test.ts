/**
 * InfluxDB stops answering (SIGSTOP of the server scripts/services runs) for 80 s while records
 * keep arriving: the worker holds batches while the writes time out, says so; after 60 s it
 * resumes intake and says how many points were dropped so far, while InfluxDB is still down; it
 * says InfluxDB is available again only once a write got through, and applies every record.
 *
 * Needs the InfluxDB of scripts/services ($FW_SERVICES_DIR/influxdb/influxdb.pid); skipped otherwise.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import { createTopics, testKafka, uniqueName, waitFor } from '../support/kafka';
import { killAllWorkers, Worker, type Mode } from '../support/workers';

jest.setTimeout(600_000);

const ROOT = path.join(__dirname, '..', '..');
const INFLUX = (process.env.INFLUX_URL ?? 'http://127.0.0.1:8086').replace(/\/$/, '');
// The InfluxDB that scripts/services started (its default folder, as the integration setup uses it).
const pidFile = path.join(process.env.FW_SERVICES_DIR ?? path.join(ROOT, '.services'), 'influxdb', 'influxdb.pid');
const influxPid = pidFile && existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
const maybe = influxPid > 0 ? describe : describe.skip;

maybe('InfluxDB stops answering', () => {
  let redis: Redis;
  let stopped = false;
  const db = uniqueName('it_outage').replace(/-/g, '_');

  beforeAll(() => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status).toBe(0);
    redis = new Redis(process.env.REDIS_URL!);
  }, 180_000);

  afterAll(async () => {
    if (stopped) process.kill(influxPid, 'SIGCONT');
    await killAllWorkers();
    await fetch(`${INFLUX}/query?q=${encodeURIComponent(`DROP DATABASE "${db}"`)}`, { method: 'POST' }).catch(() => undefined);
    redis?.disconnect();
  });

  it('holds 60 s, resumes intake with an honest count, and reports recovery only after a write succeeded', async () => {
    await fetch(`${INFLUX}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });
    const topic = uniqueName('it-outage');
    await createTopics([topic], 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'fw-outage-'));
    const config = path.join(dir, 'worker.yaml');
    writeFileSync(
      config,
      `
kafka: { group_id: ${topic}-group, from_beginning: true, session_timeout: 6s }
state: { backend: redis, prefix: ${topic} }
receivers: [{ type: jsonl, path: ${JSON.stringify(path.join(dir, 'alerts.jsonl'))} }]
dead_letter: { type: file, path: ${JSON.stringify(path.join(dir, 'dead.jsonl'))} }
sinks: [{ type: influxdb, url: ${INFLUX}, bucket: ${db}/autogen, resolution: 0, timeout: 5s }]
streams:
  s:
    source: { type: kafka, topics: [${topic}] }
    mapping: { key: k, time: { field: t, format: epoch_ms }, measurements: [v] }
    lateness: 1d
    detectors: [{ type: threshold, measurement: v, above: 100 }]
`,
    );
    const mode: Mode = {
      name: 'outage',
      dir,
      topics: { people: topic, goods: topic, funds: topic },
      group: `${topic}-group`,
      prefix: topic,
    };
    const worker = new Worker(mode, 'w', config);
    const logText = () => (existsSync(worker.log) ? readFileSync(worker.log, 'utf8') : '');
    const applied = async () =>
      (await redis.mget(`${topic}:{${topic}:0}:pos`, `${topic}:{${topic}:1}:pos`)).reduce(
        (n, x) => n + (x === null ? 0 : Number(x) + 1),
        0,
      );

    // A steady trickle of records for the whole test (pacing is the point, not a stand-in for a condition).
    const producer = testKafka().producer();
    await producer.connect();
    let sent = 0;
    let producing = true;
    const t0 = Date.now() - 3_600_000;
    const trickle = (async () => {
      while (producing) {
        const messages = Array.from({ length: 20 }, (_, i) => ({
          key: `k${(sent + i) % 50}`,
          value: JSON.stringify({ k: `k${(sent + i) % 50}`, v: (sent + i) % 13, t: t0 + sent + i }),
          partition: (sent + i) % 2,
        }));
        await producer.send({ topic, messages });
        sent += messages.length;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    try {
      await waitFor('first records applied', async () => ((await applied()) > 100 ? true : undefined), 60_000);
      process.kill(influxPid, 'SIGSTOP');
      stopped = true;
      await waitFor('the hold', () => /write failed; holding batches/.test(logText()) || undefined, 60_000);
      expect(worker.child.exitCode).toBeNull();
      await waitFor(
        'the give-up after 60 s',
        () => /still down after 60 s: resuming intake, \d+ points dropped so far/.test(logText()) || undefined,
        120_000,
      );
      // Intake flows again while InfluxDB is still down, and no "available again" yet.
      const atGiveUp = await applied();
      await waitFor('records applied while InfluxDB is down', async () => ((await applied()) > atGiveUp + 100 ? true : undefined), 60_000);
      expect(logText()).not.toMatch(/available again/);
      process.kill(influxPid, 'SIGCONT');
      stopped = false;
      await waitFor('InfluxDB available again', () => /available again \(a write succeeded\)/.test(logText()) || undefined, 120_000);
    } finally {
      producing = false;
      await trickle;
      await producer.disconnect();
    }
    await waitFor(`all ${sent} records applied`, async () => ((await applied()) >= sent ? true : undefined), 120_000);
    await worker.stop();
  });
});
