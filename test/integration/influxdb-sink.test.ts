/**
 * InfluxDbSink against a real InfluxDB 1.8.10 through its v2 write API, read back with
 * InfluxQL (/query) and Flux (/api/v2/query). Each run writes to its own measurement
 * (people_test_<random>) and its own alert stream tag, and deletes them afterwards.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../../kernel/logger';
import type { Alert } from '../../kernel/types';
import { createInfluxDbSink, influxdbSinkSchema } from '../../sinks/influxdb';
import { aggregatePoint, alertPoint } from '../../sinks/points';

// ---------------------------------------------------------------- connection (one place)
interface InfluxConnection {
  url: string;
  token: string;
  org: string;
  bucket: string;
}

const run = promisify(execFile);
const SERVICES = path.join(__dirname, '..', '..', 'scripts', 'services');

/**
 * The InfluxDB under test: INFLUX_URL (+ INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET) from the
 * environment — a developer's own server, or what the integration globalSetup chose — else the
 * one scripts/services runs: wait while it is starting (up to 10 min), start it when it is
 * stopped (`up` waits for another `up` still provisioning it, and is a no-op if it is running).
 */
async function influxConnection(): Promise<InfluxConnection> {
  let env: Record<string, string | undefined> = process.env;
  if (!env.INFLUX_URL) {
    const status = async () =>
      (await run(SERVICES, ['status', 'influxdb']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))).stdout;
    const deadline = Date.now() + 10 * 60_000;
    let s = await status();
    while (/\bstarting\b/.test(s) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 3000));
      s = await status();
    }
    if (!/\brunning\b/.test(s)) await run(SERVICES, ['up', 'influxdb'], { timeout: 25 * 60_000 });
    env = {};
    for (const m of (await run(SERVICES, ['env'])).stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm))
      env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
    if (!env.INFLUX_URL) throw new Error('scripts/services env printed no INFLUX_URL');
  }
  return {
    url: env.INFLUX_URL!.replace(/\/$/, ''),
    token: env.INFLUX_TOKEN ?? '',
    org: env.INFLUX_ORG || '-',
    bucket: env.INFLUX_BUCKET || 'flowwatch/autogen',
  };
}
// ----------------------------------------------------------------

let conn: InfluxConnection;
let db: string;
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const MEASUREMENT = `people_test_${RUN}`;
const ALERT_STREAM = `alerts_test_${RUN}`;
const TOKEN_ENV = 'FW_IT_INFLUX_TOKEN';
/** Whole seconds, an hour ago: 1000 points one second apart end well before now. */
const BASE = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

function authHeaders(): Record<string, string> {
  return conn.token ? { Authorization: `Token ${conn.token}` } : {};
}

async function influxql(
  q: string,
): Promise<Array<{ name?: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>> {
  const res = await fetch(`${conn.url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`, { headers: authHeaders() });
  const body = (await res.json()) as { results?: Array<{ series?: any[]; error?: string }>; error?: string };
  if (!res.ok || body.error || body.results?.[0]?.error) throw new Error(`InfluxQL ${q}: ${res.status} ${JSON.stringify(body)}`);
  return body.results?.[0]?.series ?? [];
}

/** One CSV line into fields (RFC 4180 quotes; Flux CSV has no newlines in our values). */
function csvFields(line: string): string[] {
  return (parseCsv(line) as string[][])[0] ?? [];
}

/** Runs Flux; returns the rows of every table as objects keyed by column name. */
async function flux(query: string): Promise<Array<Record<string, string>>> {
  const res = await fetch(`${conn.url}/api/v2/query?org=${encodeURIComponent(conn.org)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.flux', Accept: 'application/csv', ...authHeaders() },
    body: query,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Flux: ${res.status} ${text}`);
  const rows: Array<Record<string, string>> = [];
  let header: string[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (raw === '') {
      header = undefined; // tables are separated by blank lines; each has its own header
      continue;
    }
    if (raw.startsWith('#')) continue; // annotations
    const f = csvFields(raw);
    if (!header) header = f;
    else rows.push(Object.fromEntries(header.map((h, i) => [h, f[i]])));
  }
  if (rows.some((r) => r.error)) throw new Error(`Flux error: ${JSON.stringify(rows)}`);
  return rows;
}

function sinkConfig(over: Record<string, unknown> = {}) {
  return influxdbSinkSchema.parse({ type: 'influxdb', url: conn.url, token_env: TOKEN_ENV, org: conn.org, bucket: conn.bucket, ...over });
}

beforeAll(async () => {
  conn = await influxConnection();
  db = conn.bucket.split('/')[0];
  process.env[TOKEN_ENV] = conn.token;
  // Idempotent on 1.8; scripts/services creates it too, a developer's own server may not have it.
  await fetch(`${conn.url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST', headers: authHeaders() });
}, 30 * 60_000);

afterAll(async () => {
  if (!conn) return;
  await fetch(`${conn.url}/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent(`DROP MEASUREMENT "${MEASUREMENT}"`)}`, {
    method: 'POST',
    headers: authHeaders(),
  }).catch(() => undefined);
  await fetch(
    `${conn.url}/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent(`DELETE FROM "alerts" WHERE "stream" = '${ALERT_STREAM}'`)}`,
    { method: 'POST', headers: authHeaders() },
  ).catch(() => undefined);
  delete process.env[TOKEN_ENV];
});

describe('InfluxDbSink → InfluxDB 1.8', () => {
  jest.setTimeout(60_000);

  it('writes 1000 aggregate points that InfluxQL and Flux read back exactly', async () => {
    const sink = createInfluxDbSink(sinkConfig({ batch_size: 400, flush_interval: '5s' }), silentLogger());
    const points = Array.from({ length: 1000 }, (_, i) =>
      aggregatePoint(
        MEASUREMENT,
        `gate-${i % 4}`,
        'crowd-surge',
        { score: i / 1000, evidence: { value: i, baseline: i % 2 === 1 ? 100 : null, deviation: i % 2 === 1 ? (i - 100) / 10 : NaN } },
        BASE + i * 1000,
      ),
    );
    sink.write(points);
    await sink.flush();
    expect(sink.stats()).toEqual({ written: 1000, buffered: 0, dropped: 0, failedFlushes: 0, retries: 0 });
    await sink.close();

    const where = `time >= ${BASE}ms AND time < ${BASE + 1_000_000}ms`;
    const [agg] = await influxql(
      `SELECT count("value"), sum("value"), count("baseline"), count("deviation"), max("score") FROM "${MEASUREMENT}" WHERE ${where}`,
    );
    expect(agg.columns).toEqual(['time', 'count', 'sum', 'count_1', 'count_2', 'max']);
    expect(agg.values[0].slice(1)).toEqual([1000, 499_500, 500, 500, 0.999]);

    const perKey = await influxql(`SELECT count("value") FROM "${MEASUREMENT}" WHERE ${where} GROUP BY "key", "detector"`);
    expect(perKey.map((s) => [s.tags?.key, s.tags?.detector, s.values[0][1]])).toEqual([
      ['gate-0', 'crowd-surge', 250],
      ['gate-1', 'crowd-surge', 250],
      ['gate-2', 'crowd-surge', 250],
      ['gate-3', 'crowd-surge', 250],
    ]);
    const [one] = await influxql(
      `SELECT "value", "score", "baseline", "deviation", "key" FROM "${MEASUREMENT}" WHERE time = ${BASE + 123_000}ms`,
    );
    expect(one.values).toEqual([[BASE + 123_000, 123, 0.123, 100, 2.3, 'gate-3']]);

    const range = `range(start: ${iso(BASE)}, stop: ${iso(BASE + 1_000_000)})`;
    const value = `from(bucket: "${conn.bucket}") |> ${range} |> filter(fn: (r) => r._measurement == "${MEASUREMENT}" and r._field == "value") |> group()`;
    const [count] = await flux(`${value} |> count()`);
    expect(Number(count._value)).toBe(1000);
    const [sum] = await flux(`${value} |> sum()`);
    expect(Number(sum._value)).toBe(499_500);
    const [first] = await flux(`${value} |> sort(columns: ["_time"]) |> limit(n: 1)`);
    expect(first).toMatchObject({
      _time: iso(BASE).replace('.000Z', 'Z'),
      _value: '0',
      _field: 'value',
      _measurement: MEASUREMENT,
      key: 'gate-0',
      detector: 'crowd-surge',
    });
    const byKey = await flux(
      `from(bucket: "${conn.bucket}") |> ${range} |> filter(fn: (r) => r._measurement == "${MEASUREMENT}" and r._field == "baseline") |> group(columns: ["key"]) |> count()`,
    );
    expect(byKey.map((r) => [r.key, Number(r._value)]).sort()).toEqual([
      ['gate-1', 250],
      ['gate-3', 250],
    ]);
  });

  it('writes alert points with their summary text intact', async () => {
    const alert: Alert = {
      id: 'x',
      fingerprint: `${ALERT_STREAM}|crowd-surge|gate 3, "central"`,
      status: 'firing',
      stream: ALERT_STREAM,
      key: 'gate 3, "central"',
      detector: 'crowd-surge',
      severity: 'critical',
      labels: {},
      startsAt: BASE + 5000,
      score: 0.93,
      summary: 'Gate 3 at "Central", platform \\2: 412 entries/min, 4.8σ above the usual 130\nsecond line',
      evidence: { measure: 'entries', value: 412, baseline: 130, deviation: 4.8, unit: 'sigma' },
    };
    const sink = createInfluxDbSink(sinkConfig(), silentLogger());
    sink.write([alertPoint(alert), alertPoint({ ...alert, status: 'resolved', endsAt: BASE + 65_000 })]);
    await sink.close(); // close() flushes
    expect(sink.stats()).toEqual({ written: 2, buffered: 0, dropped: 0, failedFlushes: 0, retries: 0 });

    const series = await influxql(
      `SELECT "score", "summary", "starts_at", "status", "severity", "key", "detector" FROM "alerts" WHERE "stream" = '${ALERT_STREAM}'`,
    );
    expect(series).toHaveLength(1);
    expect(series[0].values).toEqual([
      [BASE + 5000, 0.93, alert.summary, BASE + 5000, 'firing', 'critical', alert.key, 'crowd-surge'],
      [BASE + 65_000, 0.93, alert.summary, BASE + 5000, 'resolved', 'critical', alert.key, 'crowd-surge'],
    ]);
    const rows = await flux(
      `from(bucket: "${conn.bucket}") |> range(start: ${iso(BASE)}, stop: ${iso(BASE + 100_000)}) |> filter(fn: (r) => r._measurement == "alerts" and r.stream == "${ALERT_STREAM}" and r._field == "score") |> group() |> sort(columns: ["_time"])`,
    );
    expect(rows.map((r) => [r.status, r.key, Number(r._value)])).toEqual([
      ['firing', alert.key, 0.93],
      ['resolved', alert.key, 0.93],
    ]);
  });

  it('with InfluxDB unreachable: counts what exceeds the bound, does not crash, close() resolves', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sink = createInfluxDbSink(
        influxdbSinkSchema.parse({
          type: 'influxdb',
          url: 'http://127.0.0.1:1',
          token_env: TOKEN_ENV,
          max_buffer_points: 100,
          flush_interval: '100ms',
          timeout: '2s',
        }),
        silentLogger(),
      );
      const pts = (n: number, from: number) =>
        Array.from({ length: n }, (_, i) =>
          aggregatePoint(
            MEASUREMENT,
            'gate-x',
            'd',
            { score: 0, evidence: { value: from + i, baseline: null, deviation: null } },
            BASE + from + i,
          ),
        );
      sink.write(pts(80, 0));
      sink.write(pts(70, 80));
      expect(sink.stats()).toMatchObject({ written: 0, buffered: 100, dropped: 50 });
      await expect(sink.flush()).rejects.toMatchObject({ code: 'FW_SINK', message: expect.stringContaining('ECONNREFUSED') });
      sink.write(pts(10, 150));
      expect(sink.stats()).toMatchObject({ written: 0, buffered: 100, dropped: 60 });
      await sink.close();
      const s = sink.stats();
      expect(s).toMatchObject({ written: 0, buffered: 0, dropped: 160 });
      expect(s.failedFlushes).toBeGreaterThanOrEqual(1);
      expect(s.retries).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 15_000);
});
