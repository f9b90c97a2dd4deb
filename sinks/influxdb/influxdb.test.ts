/**
 * InfluxDbSink against a fake InfluxDB on loopback (node:http): request shape, gzip, auth
 * header, retries, drops, token hygiene. The real-server test is test/integration/influxdb-sink.test.ts.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import type { Logger } from '../../kernel/logger';
import { silentLogger } from '../../kernel/logger';
import type { Point } from '../types';
import { InfluxDbSink, type InfluxDbSinkOptions, createInfluxDbSink, influxdbSinkSchema, toLine } from './index';

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  lines: string[];
}

/** A fake write endpoint: `reply` decides each response (status, body). */
async function fakeInflux(reply: (req: Received, n: number) => { status: number; body?: string } = () => ({ status: 204 }), port = 0) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const r: Received = { url: req.url ?? '', headers: req.headers, lines: body.toString('utf8').split('\n').filter(Boolean) };
      received.push(r);
      const { status, body: out } = reply(r, received.length);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(out ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    lines: () => received.flatMap((r) => r.lines),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function capturingLogger(): { log: Logger; lines: string[]; entries: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { log, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A loopback port nobody listens on (connections are refused) until a fake is started on it. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Polls `cond` (every 10 ms, at most `tries` times): waits for the sink's own timers, asserts nothing about time. */
async function until(cond: () => boolean, tries = 1000): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

const T0 = Date.UTC(2026, 0, 5, 8, 0);
const points = (n: number, measurement = 'people', from = 0): Point[] =>
  Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return { measurement, tags: { key: `gate-${i % 3}`, detector: 'surge' }, fields: { value: i, score: 0.5 }, ts: T0 + i };
  });
/** The `value` field of each received line, in arrival order. */
const values = (lines: string[]): number[] => lines.map((l) => Number(/value=(\d+)/.exec(l)![1]));
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

function options(url: string, over: Partial<InfluxDbSinkOptions> = {}): InfluxDbSinkOptions {
  return {
    url,
    token: '',
    org: '-',
    bucket: 'flowwatch/autogen',
    flushInterval: 50,
    batchSize: 5000,
    maxBufferPoints: 100_000,
    maxRetries: 3,
    timeout: 2000,
    minRetryDelay: 10,
    maxRetryDelay: 50,
    ...over,
  };
}

describe('toLine', () => {
  it('writes floats, booleans and escaped strings, sorted, with ms time', () => {
    const line = toLine({
      measurement: 'my people',
      tags: { z: 'a b', key: 'g=1,x' },
      fields: { value: 3, ok: true, summary: 'say "hi" \\ now' },
      ts: 1700000000000.7,
    });
    expect(line).toBe('my\\ people,key=g\\=1\\,x,z=a\\ b ok=true,summary="say \\"hi\\" \\\\ now",value=3 1700000000000');
  });

  it('orders any number of names, own properties only, line after line', () => {
    const fields = Object.assign(Object.create({ inherited: 9 }) as Record<string, number>, { f: 6, e: 5, d: 4, c: 3, b: 2, a: 1 });
    const first = toLine({ measurement: 'm', tags: { zz: '1', yy: '2', aa: '3', mm: '4' }, fields, ts: 5 });
    expect(first).toBe('m,aa=3,mm=4,yy=2,zz=1 a=1,b=2,c=3,d=4,e=5,f=6 5');
    expect(toLine({ measurement: 'm', tags: { b: 'x' }, fields: { y: 1, x: 2 }, ts: 6 })).toBe('m,b=x x=2,y=1 6');
  });

  it('leaves out non-finite numbers and empty tags; null when nothing is left', () => {
    expect(toLine({ measurement: 'm', tags: { key: '' }, fields: { a: NaN, b: 1.5, c: Infinity }, ts: 1 })).toBe('m b=1.5 1');
    expect(toLine({ measurement: 'm', tags: {}, fields: { a: NaN }, ts: 1 })).toBeNull();
    expect(toLine({ measurement: '', tags: {}, fields: { a: 1 }, ts: 1 })).toBeNull();
    expect(toLine({ measurement: 'm', tags: {}, fields: { a: 1 }, ts: NaN })).toBeNull();
  });
});

describe('influxdbSinkSchema', () => {
  it('fills the defaults', () => {
    const prev = process.env.INFLUX_URL;
    delete process.env.INFLUX_URL;
    try {
      expect(influxdbSinkSchema.parse({ type: 'influxdb' })).toEqual({
        type: 'influxdb',
        url: 'http://127.0.0.1:8086',
        token_env: 'INFLUX_TOKEN',
        org: '-',
        bucket: 'flowwatch/autogen',
        flush_interval: 1000,
        resolution: 1000,
        batch_size: 5000,
        max_buffer_points: 100_000,
        max_retries: 5,
        timeout: 10_000,
      });
    } finally {
      if (prev !== undefined) process.env.INFLUX_URL = prev;
    }
  });

  it('takes the url default from INFLUX_URL at parse time', () => {
    const prev = process.env.INFLUX_URL;
    process.env.INFLUX_URL = 'http://influx.example:18086';
    try {
      expect(influxdbSinkSchema.parse({ type: 'influxdb' }).url).toBe('http://influx.example:18086');
    } finally {
      if (prev === undefined) delete process.env.INFLUX_URL;
      else process.env.INFLUX_URL = prev;
    }
  });

  it('parses durations and rejects unknown keys, a token in config, bad values', () => {
    expect(influxdbSinkSchema.parse({ type: 'influxdb', flush_interval: '250ms', timeout: '1m' })).toMatchObject({
      flush_interval: 250,
      timeout: 60_000,
    });
    expect(influxdbSinkSchema.safeParse({ type: 'influxdb', token: 'abc' }).success).toBe(false);
    expect(influxdbSinkSchema.safeParse({ type: 'influxdb', url: 'ftp://x' }).success).toBe(false);
    expect(influxdbSinkSchema.safeParse({ type: 'influxdb', flush_interval: '1 second' }).success).toBe(false);
    expect(influxdbSinkSchema.safeParse({ type: 'influxdb', batch_size: 0 }).success).toBe(false);
    expect(influxdbSinkSchema.safeParse({ type: 'influxdb', max_retries: 1.5 }).success).toBe(false);
    expect(influxdbSinkSchema.safeParse({ type: 'influxdb', token_env: 'not a name' }).success).toBe(false);
  });
});

describe('InfluxDbSink', () => {
  jest.setTimeout(15_000);

  it('posts gzipped batches to the v2 write API with ms precision and the token header', async () => {
    const fake = await fakeInflux();
    const sink = new InfluxDbSink(options(fake.url, { token: 's3cret-token' }), silentLogger());
    sink.write(points(300));
    await sink.flush();
    expect(sink.stats()).toEqual({ written: 300, buffered: 0, dropped: 0, failedFlushes: 0, retries: 0 });
    const r = fake.received[0];
    expect(r.url).toBe('/api/v2/write?org=-&bucket=flowwatch%2Fautogen&precision=ms');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers.authorization).toBe('Token s3cret-token');
    expect(fake.lines()).toHaveLength(300);
    expect(fake.lines()[7]).toBe(`people,detector=surge,key=gate-1 score=0.5,value=7 ${T0 + 7}`);
    await sink.close();
    await fake.close();
  });

  it('sends no Authorization header when the token is empty, and splits batches by batchSize', async () => {
    const fake = await fakeInflux();
    const sink = new InfluxDbSink(options(fake.url, { batchSize: 100 }), silentLogger());
    sink.write(points(250));
    await sink.flush();
    await sink.close();
    expect(fake.received.map((r) => r.lines.length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
    expect(fake.received[0].headers.authorization).toBeUndefined();
    expect(sink.stats().written).toBe(250);
    await fake.close();
  });

  it('sends on its own every flushInterval', async () => {
    const fake = await fakeInflux();
    const sink = new InfluxDbSink(options(fake.url, { flushInterval: 30 }), silentLogger());
    sink.write(points(5));
    for (let i = 0; i < 100 && sink.stats().written < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sink.stats().written).toBe(5);
    await sink.close();
    await fake.close();
  });

  it('retries a 503 with backoff and counts the failed attempt', async () => {
    const fake = await fakeInflux((_r, n) => (n === 1 ? { status: 503, body: '{"error":"busy"}' } : { status: 204 }));
    const { log, entries } = capturingLogger();
    const sink = new InfluxDbSink(options(fake.url), log);
    sink.write(points(10));
    await expect(sink.flush()).rejects.toMatchObject({ code: 'FW_SINK' });
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 10, dropped: 0, failedFlushes: 1, retries: 1 });
    for (let i = 0; i < 200 && sink.stats().written < 10; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sink.stats()).toEqual({ written: 10, buffered: 0, dropped: 0, failedFlushes: 1, retries: 1 });
    const warn = entries().filter((e) => e.msg === 'influxdb write failed, will retry');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({
      component: 'sink',
      sink: 'influxdb',
      attempt: 1,
      points: 10,
      error: { type: 'HttpError', status: 503 },
    });
    expect(entries().some((e) => e.msg === 'influxdb write succeeded again')).toBe(true);
    await sink.close();
    await fake.close();
  });

  it('drops a batch the server rejects with 400 (no retry), counted and logged once per request', async () => {
    const fake = await fakeInflux(() => ({ status: 400, body: '{"error":"partial write: field type conflict"}' }));
    const { log, entries } = capturingLogger();
    const sink = new InfluxDbSink(options(fake.url), log);
    sink.write(points(20));
    await expect(sink.flush()).rejects.toThrow(/field type conflict/);
    expect(sink.stats()).toEqual({ written: 0, buffered: 0, dropped: 20, failedFlushes: 1, retries: 0 });
    expect(entries().filter((e) => e.level === 50 && e.msg === 'influxdb write failed, 20 points dropped')).toHaveLength(1);
    expect(fake.received).toHaveLength(1);
    await sink.close();
    await fake.close();
  });

  it('keeps retrying past maxRetries while under the bound, then writes everything, in order', async () => {
    const port = await freePort(); // refused until the fake starts on it
    const { log, entries } = capturingLogger();
    const sink = new InfluxDbSink(
      options(`http://127.0.0.1:${port}`, { maxRetries: 2, batchSize: 10, minRetryDelay: 5, maxRetryDelay: 20 }),
      log,
    );
    sink.write(points(25));
    await until(() => sink.stats().failedFlushes >= 1);
    sink.write(points(30, 'people', 25)); // more batches behind the failing one
    // Well past maxRetries: the quick retries are used up, the slow ones go on.
    await until(() => sink.stats().failedFlushes >= 8);
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 55, dropped: 0 });
    const fake = await fakeInflux(() => ({ status: 204 }), port);
    await until(() => sink.stats().written === 55);
    expect(sink.stats()).toMatchObject({ written: 55, buffered: 0, dropped: 0 });
    expect(values(fake.lines())).toEqual(range(0, 55)); // oldest first, each point once
    expect(entries().filter((e) => e.msg === 'influxdb write failed, will retry' && e.level === 40)).toHaveLength(2);
    const slow = entries().filter((e) => String(e.msg).startsWith('influxdb still failing after 2 quick retries'));
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ max_buffer_points: 100_000, error: { code: 'ECONNREFUSED' } });
    expect(entries().some((e) => e.msg === 'influxdb write succeeded again')).toBe(true);
    expect(entries().some((e) => /dropped \d+ points?/.test(String(e.msg)))).toBe(false);
    await sink.close();
    expect(sink.stats()).toMatchObject({ written: 55, buffered: 0, dropped: 0 });
    await fake.close();
  });

  it('at the bound drops the oldest held points, counted, and writes the rest once InfluxDB is back', async () => {
    const port = await freePort();
    const { log, entries } = capturingLogger();
    // Retries far apart: the failed batch stays queued (not in flight) while the bound is hit; flush() probes.
    const sink = new InfluxDbSink(
      options(`http://127.0.0.1:${port}`, { maxBufferPoints: 100, batchSize: 30, minRetryDelay: 60_000, maxRetryDelay: 60_000 }),
      log,
    );
    sink.write(points(60));
    await expect(sink.flush()).rejects.toMatchObject({ code: 'FW_SINK' });
    await until(() => sink.stats().failedFlushes === 2); // both batches were sent at once; both refused
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 60, dropped: 0 });
    sink.write(points(60, 'people', 60)); // 20 over the bound: points 0..19 go
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 100, dropped: 20 });
    sink.write(points(10, 'people', 120)); // 120..129 push out 20..29
    expect(sink.stats()).toMatchObject({ buffered: 100, dropped: 30 });
    const fake = await fakeInflux(() => ({ status: 204 }), port);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 100, buffered: 0, dropped: 30 });
    expect(values(fake.lines())).toEqual(range(30, 130));
    const bound = entries().filter((e) => String(e.msg).startsWith('influxdb sink holds its bound of 100 points'));
    expect(bound).toHaveLength(1); // once per outage, not per write
    expect(bound[0]).toMatchObject({ level: 40, max_buffer_points: 100 });
    const drops = entries().filter((e) => String(e.msg).startsWith('influxdb sink: dropped'));
    expect(drops[0]).toMatchObject({ dropped: 20, dropped_total: 20, reasons: { buffer_full: 20 } });
    await sink.close();
    expect(entries().find((e) => e.msg === 'influxdb sink closed')).toMatchObject({ written: 100, dropped: 30, discarded_at_close: 0 });
    await fake.close();
  });

  it('sends a backlog of small batches as few requests, oldest first; flush() probes do not use up the quick retries', async () => {
    const port = await freePort();
    const { log, entries } = capturingLogger();
    const sink = new InfluxDbSink(
      options(`http://127.0.0.1:${port}`, { batchSize: 100, maxRetries: 3, minRetryDelay: 60_000, maxRetryDelay: 60_000 }),
      log,
    );
    for (let i = 0; i < 6; i++) {
      sink.write(points(5, 'people', i * 5));
      await expect(sink.flush()).rejects.toMatchObject({ code: 'FW_SINK' }); // each flush seals a batch of 5
    }
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 30, dropped: 0, failedFlushes: 6 });
    // six failed requests, all flush()'s: one warning for the outage, the rest at debug
    expect(entries().filter((e) => e.level === 40 && e.msg === 'influxdb write failed, will retry')).toHaveLength(1);
    expect(entries().filter((e) => e.level === 20 && e.msg === 'influxdb write failed, will retry')).toHaveLength(5);
    expect(entries().some((e) => String(e.msg).startsWith('influxdb still failing after'))).toBe(false);
    const fake = await fakeInflux(() => ({ status: 204 }), port);
    await sink.flush();
    expect(fake.received.map((r) => r.lines.length)).toEqual([30]);
    expect(values(fake.lines())).toEqual(range(0, 30));
    await sink.close();
    await fake.close();
  });

  it('drops a rejected batch (400) at once and goes on writing the next ones', async () => {
    const fake = await fakeInflux((_r, n) =>
      n === 1 ? { status: 400, body: '{"error":"partial write: field type conflict"}' } : { status: 204 },
    );
    const { log, entries } = capturingLogger();
    const sink = new InfluxDbSink(options(fake.url, { dropLogIntervalMs: 0 }), log);
    sink.write(points(5));
    await expect(sink.flush()).rejects.toThrow(/field type conflict/);
    sink.write(points(5, 'people', 5));
    await sink.flush(); // not held behind the rejected batch, not in retry mode
    expect(sink.stats()).toEqual({ written: 5, buffered: 0, dropped: 5, failedFlushes: 1, retries: 0 });
    expect(values(fake.lines())).toEqual(range(0, 10)); // sent once each
    expect(entries().find((e) => String(e.msg).startsWith('influxdb sink: dropped'))).toMatchObject({ reasons: { rejected: 5 } });
    await sink.close();
    await fake.close();
  });

  it('at close, counts what InfluxDB still does not take as dropped (closed), after one last attempt', async () => {
    const fake = await fakeInflux(() => ({ status: 503 }));
    const { log, entries } = capturingLogger();
    const sink = new InfluxDbSink(options(fake.url, { batchSize: 4, minRetryDelay: 60_000, maxRetryDelay: 60_000 }), log);
    sink.write(points(10));
    await sink.flush().catch(() => undefined);
    await until(() => sink.stats().failedFlushes === 3); // the three batches were sent together, all answered 503
    const before = fake.received.length;
    await sink.close();
    expect(fake.received.length).toBe(before + 1); // one probe, not the whole queue against a failing server
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 0, dropped: 10 });
    expect(entries().find((e) => e.msg === 'influxdb sink closed')).toMatchObject({ discarded_at_close: 10 });
    expect(entries().find((e) => String(e.msg).startsWith('influxdb sink: dropped'))).toMatchObject({ reasons: { closed: 10 } });
    await fake.close();
  });

  it('never logs the token or puts it in an error, even when the server echoes it', async () => {
    const token = 'admin:pa55-w0rd-xyz';
    const fake = await fakeInflux((r) => ({
      status: 401,
      body: JSON.stringify({ error: `authorization failed for ${String(r.headers.authorization)}` }),
    }));
    const { log, lines } = capturingLogger();
    process.env.FW_TEST_SINK_TOKEN = token;
    try {
      const sink = createInfluxDbSink(
        influxdbSinkSchema.parse({ type: 'influxdb', url: fake.url, token_env: 'FW_TEST_SINK_TOKEN', flush_interval: '50ms' }),
        log,
      );
      sink.write(points(3));
      const err = await sink.flush().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String((err as Error).message)).toContain('authorization failed for Token [redacted]');
      expect(JSON.stringify(err)).not.toContain('pa55-w0rd');
      await sink.close();
      expect(sink.stats().dropped).toBe(3);
      expect(fake.received[0].headers.authorization).toBe(`Token ${token}`); // it was sent
      const all = lines.join('\n');
      expect(all).toContain('[redacted]');
      expect(all).not.toContain('pa55-w0rd');
    } finally {
      delete process.env.FW_TEST_SINK_TOKEN;
      await fake.close();
    }
  });

  it('with InfluxDB unreachable: holds up to the bound, counts the rest, close() discards and counts what is left', async () => {
    const { log, entries } = capturingLogger();
    const sink = new InfluxDbSink(options('http://127.0.0.1:1', { maxBufferPoints: 100, flushInterval: 20 }), log);
    sink.write(points(60));
    sink.write(points(60));
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 100, dropped: 20 });
    for (let i = 0; i < 100 && sink.stats().failedFlushes === 0; i++) await new Promise((r) => setTimeout(r, 10));
    sink.write(points(5)); // still full: the failed batch waits for its retry
    expect(sink.stats()).toMatchObject({ buffered: 100, dropped: 25 });
    await sink.close();
    const s = sink.stats();
    expect(s).toMatchObject({ written: 0, buffered: 0, dropped: 125 });
    expect(s.failedFlushes).toBeGreaterThanOrEqual(1);
    sink.write(points(2)); // after close: counted, not thrown
    expect(sink.stats().dropped).toBe(127);
    // one warning for the first drops, one at close with the rest: never one per point
    const warnings = entries().filter((e) => typeof e.msg === 'string' && (e.msg as string).startsWith('influxdb sink: dropped'));
    expect(warnings.length).toBeLessThanOrEqual(3);
    expect(warnings[0]).toMatchObject({ dropped: 20, dropped_total: 20, reasons: { buffer_full: 20 } });
    expect(warnings[warnings.length - 1]).toMatchObject({ dropped_total: expect.any(Number) });
    expect(entries().find((e) => e.msg === 'influxdb sink closed')).toMatchObject({ dropped: 125, discarded_at_close: 100 });
    expect(entries().find((e) => e.msg === 'influxdb write failed, will retry')).toMatchObject({
      error: { code: 'ECONNREFUSED', message: expect.stringContaining('ECONNREFUSED') },
      points: 100,
    });
  });

  it('with a server that never answers: requests in flight count against the bound, close() ends after the timeout', async () => {
    // The client's maxBufferLines bounds only its retry buffer; batches in flight are not in it.
    const sockets = new Set<import('node:net').Socket>();
    const blackHole = (await import('node:net')).createServer((s) => {
      sockets.add(s);
      s.on('data', () => undefined);
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
    const sink = new InfluxDbSink(options(url, { maxBufferPoints: 30, batchSize: 10, timeout: 300 }), silentLogger());
    sink.write(points(50));
    expect(sink.stats()).toMatchObject({ buffered: 30, dropped: 20 });
    await sink.close();
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 0, dropped: 50 });
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  });

  it('counts invalid points (nothing finite to write) as dropped', async () => {
    const fake = await fakeInflux();
    const sink = new InfluxDbSink(options(fake.url), silentLogger());
    sink.write([...points(2), { measurement: 'people', tags: {}, fields: { value: NaN }, ts: T0 }]);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 2, dropped: 1, buffered: 0 });
    await sink.close();
    await fake.close();
  });

  it('close() is idempotent and flushes what is queued', async () => {
    const fake = await fakeInflux();
    const sink = new InfluxDbSink(options(fake.url, { flushInterval: 60_000 }), silentLogger());
    sink.write(points(42));
    const a = sink.close();
    expect(sink.close()).toBe(a);
    await a;
    expect(sink.stats()).toEqual({ written: 42, buffered: 0, dropped: 0, failedFlushes: 0, retries: 0 });
    await fake.close();
  });
});
