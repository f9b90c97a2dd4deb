/**
 * kill -9 twice in the middle of a backlog, with the InfluxDB sink: after the restarted worker has
 * applied every record, InfluxDB holds every alert point and every series' last point that a clean
 * run (no kill) writes — the runner writes a batch's points before its state commit, so a killed
 * batch is replayed and its points written again, identical (event time), not lost.
 *
 * Real Kafka, Redis and InfluxDB 1.8; workers are `flowwatch run` child processes. Series at
 * `resolution: 0` so a series' last point is its last event's verdict whatever the batch
 * boundaries (which differ between runs); each run writes to its own database.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { createTopics, testKafka, uniqueName, waitFor } from '../support/kafka';
import { killAllWorkers, Worker, type Mode } from '../support/workers';

jest.setTimeout(600_000);

const ROOT = path.join(__dirname, '..', '..');
const PARTITIONS = 4;
const KEYS = 200;
const PER_KEY = 60;
const RECORDS = KEYS * PER_KEY;
const INFLUX = (process.env.INFLUX_URL ?? 'http://127.0.0.1:8086').replace(/\/$/, '');

/** A deterministic stream: one reading per key every 10 s; every 5th key goes above the limit for a while (a firing and a resolved change). */
function records(t0: number): Array<{ key: string; value: string; partition: number }> {
  const out = [];
  for (let j = 0; j < PER_KEY; j++) {
    for (let k = 0; k < KEYS; k++) {
      const planted = k % 5 === 0 && j >= 20 + (k % 7) && j < 30 + (k % 11);
      const v = planted ? 500 + k : (k * 7 + j * 3) % 50;
      out.push({ key: `k${k}`, value: JSON.stringify({ k: `k${k}`, v, t: t0 + j * 10_000 + k }), partition: k % PARTITIONS });
    }
  }
  return out;
}

async function influxql(
  db: string,
  q: string,
): Promise<Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>> {
  const res = await fetch(`${INFLUX}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`, { method: 'POST' });
  if (!res.ok) throw new Error(`InfluxQL ${q}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as {
    results: Array<{
      series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
      error?: string;
    }>;
  };
  if (body.results[0]?.error) throw new Error(`InfluxQL ${q}: ${body.results[0].error}`);
  return body.results[0]?.series ?? [];
}

/** Rows as "col=value" strings, one per point, sorted: compared as sets. */
function rows(series: Awaited<ReturnType<typeof influxql>>): string[] {
  const out: string[] = [];
  for (const s of series)
    for (const v of s.values) out.push(JSON.stringify({ tags: s.tags ?? {}, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) }));
  return out.sort();
}

interface Run {
  mode: Mode;
  db: string;
  topic: string;
  config: string;
}

describe('series survive kill -9', () => {
  let redis: Redis;
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-sink-crash-'));
  const t0 = Date.now() - 3 * 3_600_000;
  const dbs: string[] = [];

  beforeAll(() => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status).toBe(0);
    redis = new Redis(process.env.REDIS_URL!);
  }, 180_000);

  afterAll(async () => {
    await killAllWorkers();
    for (const db of dbs)
      await fetch(`${INFLUX}/query?q=${encodeURIComponent(`DROP DATABASE "${db}"`)}`, { method: 'POST' }).catch(() => undefined);
    redis?.disconnect();
  });

  async function prepare(name: string): Promise<Run> {
    const topic = uniqueName(`it-sink-${name}`);
    const db = topic.replace(/-/g, '_');
    dbs.push(db);
    await fetch(`${INFLUX}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });
    await createTopics([topic], PARTITIONS);
    const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const all = records(t0);
    for (let i = 0; i < all.length; i += 2000) await producer.send({ topic, messages: all.slice(i, i + 2000) });
    await producer.disconnect();
    const mode: Mode = {
      name,
      dir: path.join(dir, name),
      topics: { people: topic, goods: topic, funds: topic },
      group: `${topic}-group`,
      prefix: topic,
    };
    spawnSync('mkdir', ['-p', mode.dir]);
    const config = path.join(mode.dir, 'worker.yaml');
    writeFileSync(
      config,
      `
kafka: { group_id: ${mode.group}, from_beginning: true, max_batch_bytes: 8192, session_timeout: 6s }
state: { backend: redis, prefix: ${mode.prefix} }
alerting: { flap: { threshold: 0 } }
receivers: [{ type: jsonl, path: ${JSON.stringify(path.join(mode.dir, 'alerts.jsonl'))} }]
dead_letter: { type: file, path: ${JSON.stringify(path.join(mode.dir, 'dead.jsonl'))} }
sinks: [{ type: influxdb, url: ${INFLUX}, bucket: ${db}/autogen, resolution: 0, flush_interval: 1s }]
streams:
  s:
    source: { type: kafka, topics: [${topic}] }
    mapping: { key: k, time: { field: t, format: epoch_ms }, measurements: [v] }
    lateness: 1d
    detectors: [{ type: threshold, name: high, measurement: v, above: 100 }]
`,
    );
    return { mode, db, topic, config };
  }

  const applied = async (r: Run) => {
    const v = await redis.mget(...Array.from({ length: PARTITIONS }, (_, p) => `${r.mode.prefix}:{${r.topic}:${p}}:pos`));
    return v.reduce((n, x) => n + (x === null ? 0 : Number(x) + 1), 0);
  };
  const waitApplied = (r: Run, atLeast: number) =>
    waitFor(`${r.mode.name}: ${atLeast} records applied`, async () => ((await applied(r)) >= atLeast ? true : undefined), 240_000, 20);

  /** What the comparison reads: every alert point, and each series' latest point. */
  async function written(r: Run): Promise<{ alerts: string[]; last: string[] }> {
    return {
      alerts: rows(await influxql(r.db, 'SELECT * FROM "alerts"')),
      last: rows(await influxql(r.db, 'SELECT * FROM "s" GROUP BY "key", "detector" ORDER BY time DESC LIMIT 1')),
    };
  }

  it('every alert point and every series last point is in InfluxDB after two kill -9 and a restart', async () => {
    const clean = await prepare('clean');
    const crash = await prepare('crash');

    const w = new Worker(clean.mode, 'w', clean.config);
    await waitApplied(clean, RECORDS);
    await w.stop();

    for (const fraction of [1 / 3, 2 / 3]) {
      const victim = new Worker(crash.mode, `w${fraction.toFixed(2)}`, crash.config);
      await waitApplied(crash, Math.floor(RECORDS * fraction));
      await victim.kill();
    }
    const last = new Worker(crash.mode, 'w-last', crash.config);
    await waitApplied(crash, RECORDS);
    await last.stop();

    const expected = await written(clean);
    const got = await written(crash);
    expect(expected.alerts.length).toBeGreaterThanOrEqual(2 * (KEYS / 5));
    expect(expected.last).toHaveLength(KEYS);
    const missingAlerts = expected.alerts.filter((a) => !got.alerts.includes(a));
    const missingLast = expected.last.filter((a) => !got.last.includes(a));
    expect({ missingAlerts: missingAlerts.length, missingLast: missingLast.length }).toEqual({ missingAlerts: 0, missingLast: 0 });
    expect(got.alerts).toEqual(expected.alerts);
    expect(got.last).toEqual(expected.last);
  });
});
