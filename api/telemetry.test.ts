/**
 * The telemetry listener on a real local port: health, readiness from Health, metrics read at
 * scrape time, a store that never answers served from the last known values (marked stale), and a
 * port already taken is a warning, not a failure.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { Health } from '../kernel/health';
import { FlowwatchMetrics } from './metrics';
import { TelemetryServer } from './telemetry';

function logger() {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  return { log, lines };
}

async function start(
  o: {
    snapshotTimeoutMs?: number;
    snapshot?: () => Promise<{ outbox: Record<string, number>; dead: Record<string, number>; alerts: Record<string, number> }>;
  } = {},
) {
  const health = new Health(() => Date.UTC(2026, 11, 6));
  const metrics = new FlowwatchMetrics({ snapshotTimeoutMs: o.snapshotTimeoutMs });
  metrics.readHealth(health);
  if (o.snapshot) metrics.readFrom(o.snapshot);
  const { log, lines } = logger();
  const server = new TelemetryServer({ metrics, health, log });
  const addr = await server.listen('127.0.0.1', 0);
  const get = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${addr!.port}${p}`);
    return { status: res.status, text: await res.text() };
  };
  return { health, metrics, server, get, lines, port: addr!.port };
}

describe('TelemetryServer', () => {
  let t: Awaited<ReturnType<typeof start>>;
  afterEach(() => t?.server.close());

  it('answers /healthz, and /readyz from Health with the problems as JSON', async () => {
    t = await start();
    expect(await t.get('/healthz')).toEqual({ status: 200, text: '{"status":"ok"}' });
    expect(await t.get('/readyz')).toEqual({ status: 200, text: '{"status":"ready"}' });
    t.health.fail('source:kafka', 'connecting to Kafka at 127.0.0.1:1');
    const r = await t.get('/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text)).toEqual({
      status: 'not ready',
      problems: [{ component: 'source:kafka', reason: 'connecting to Kafka at 127.0.0.1:1', since: '2026-12-06T00:00:00.000Z' }],
    });
    expect((await t.get('/metrics')).text).toMatch(/^flowwatch_ready 0$/m);
    expect((await t.get('/metrics')).text).toMatch(/^flowwatch_health_problem\{component="source:kafka"\} 1$/m);
    t.health.ok('source:kafka');
    expect((await t.get('/readyz')).status).toBe(200);
    expect((await t.get('/nope')).status).toBe(404);
  });

  it('reads live counters, sink stats, lag and the store epoch at scrape time', async () => {
    t = await start();
    let events = 5;
    t.metrics.readLive(() => ({ eventsByStream: { people: events }, rejectsByReason: { late: 2 } }));
    t.metrics.readSinks([{ name: 'influxdb', stats: () => ({ written: 10, dropped: 3, buffered: 4, failedFlushes: 0, retries: 0 }) }]);
    t.metrics.readLag(() => [{ topic: 'people.raw', partition: 1, lag: 42 }]);
    t.metrics.storeEpoch(7);
    t.metrics.batch({ events: 5, latencyMs: 12 });
    let text = (await t.get('/metrics')).text;
    expect(text).toMatch(/^flowwatch_events_total\{stream="people"\} 5$/m);
    expect(text).toMatch(/^flowwatch_rejects_total\{reason="late"\} 2$/m);
    expect(text).toMatch(/^flowwatch_sink_points_total\{sink="influxdb",outcome="written"\} 10$/m);
    expect(text).toMatch(/^flowwatch_sink_points_total\{sink="influxdb",outcome="dropped"\} 3$/m);
    expect(text).toMatch(/^flowwatch_sink_points_buffered\{sink="influxdb"\} 4$/m);
    expect(text).toMatch(/^flowwatch_consumer_lag\{topic="people.raw",partition="1"\} 42$/m);
    expect(text).toMatch(/^flowwatch_store_epoch 7$/m);
    expect(text).toMatch(/^flowwatch_build_info\{version="[^"]+",node="v\d+/m);
    events = 9;
    text = (await t.get('/metrics')).text;
    expect(text).toMatch(/^flowwatch_events_total\{stream="people"\} 9$/m);
  });

  it('serves the last known store values, marked stale, when the store does not answer', async () => {
    let answer = true;
    t = await start({
      snapshotTimeoutMs: 0,
      snapshot: () => (answer ? Promise.resolve({ outbox: { ops: 3 }, dead: {}, alerts: { firing: 2 } }) : new Promise(() => undefined)),
    });
    let text = (await t.get('/metrics')).text;
    expect(text).toMatch(/^flowwatch_outbox_depth\{receiver="ops"\} 3$/m);
    expect(text).toMatch(/^flowwatch_metrics_stale 0$/m);
    answer = false;
    const r = await t.get('/metrics');
    text = r.text;
    expect(r.status).toBe(200);
    expect(text).toMatch(/^flowwatch_outbox_depth\{receiver="ops"\} 3$/m);
    expect(text).toMatch(/^flowwatch_alerts\{state="firing"\} 2$/m);
    expect(text).toMatch(/^flowwatch_metrics_stale 1$/m);
  });

  it('a port already taken is one warning naming it and how to change it; the worker goes on', async () => {
    t = await start();
    const { log, lines } = logger();
    const second = new TelemetryServer({ metrics: new FlowwatchMetrics(), health: new Health(), log });
    expect(await second.listen('127.0.0.1', t.port)).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 40, port: t.port, code: 'EADDRINUSE' });
    expect(JSON.parse(lines[0]).msg).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${t.port} is in use .*--telemetry HOST:PORT, FLOWWATCH_TELEMETRY or telemetry\\.listen`),
    );
    await second.close();
  });
});
