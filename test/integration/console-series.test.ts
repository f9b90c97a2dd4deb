/**
 * The card's chart from InfluxDB (console/series.ts) and its backtest replay (console/replay.ts)
 * against a real InfluxDB 1.8: points written as the InfluxDB sink writes them (measurement =
 * stream, tags key and detector, fields value and baseline) are read back around the alert by
 * GET /api/alerts/:id/series; the CSV of /series.csv replays through the built `flowwatch
 * backtest` with the command the card shows and raises the alert again; InfluxDB down gives the
 * stored evidence with a note, within the timeout.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../kernel/logger';
import { makeAlert, RecordingReceiver, testPipeline } from '../../alerts/testing/fakes';
import { ApiServer } from '../../api/server';
import { influxdbSinkSchema } from '../../sinks/influxdb';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'flowwatch.js');
const TOKEN = 'console-series-token-0123456789abcdef';
const STREAM = `cs${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const URL_ = (process.env.INFLUX_URL ?? '').replace(/\/$/, '');
const BUCKET = process.env.INFLUX_BUCKET || 'flowwatch/autogen';
const MIN = 60_000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function api(influxUrl: string, configFile?: string) {
  const { p } = testPipeline({ receivers: [new RecordingReceiver('hook')] });
  const sink = influxdbSinkSchema.parse({ type: 'influxdb', url: influxUrl, bucket: BUCKET });
  const server = new ApiServer({
    alerting: p,
    token: TOKEN,
    log: silentLogger(),
    influx: { sink, token: process.env.INFLUX_TOKEN ?? '' },
    configFile,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  const get = async (pth: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${pth}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  return { p, server, get };
}

const now = Date.now();
const startsAt = now - 10 * MIN;

beforeAll(async () => {
  expect(URL_).not.toBe('');
  // An hour of one point a minute: 100 entries, 400 from the alert's start on.
  const lines: string[] = [];
  for (let t = now - 60 * MIN; t < now; t += MIN)
    lines.push(`${STREAM},key=A1,detector=surge value=${t >= startsAt ? 400 : 100},baseline=100 ${t}`);
  lines.push(`${STREAM},key=B2,detector=surge value=5,baseline=5 ${now - 5 * MIN}`); // another key: not on A1's chart
  const res = await fetch(`${URL_}/api/v2/write?bucket=${encodeURIComponent(BUCKET)}&precision=ms`, {
    method: 'POST',
    headers: process.env.INFLUX_TOKEN ? { authorization: `Token ${process.env.INFLUX_TOKEN}` } : {},
    body: lines.join('\n'),
  });
  expect(res.status).toBe(204);
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
}, 120_000);

describe('the card’s chart from InfluxDB', () => {
  it('reads the key’s series around the alert, and its CSV replays through backtest with the card’s command', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fw-console-series-'));
    const cfg = path.join(dir, 'workers.yaml');
    writeFileSync(
      cfg,
      `streams:\n  ${STREAM}:\n    source: { type: file, path: ${JSON.stringify(path.join(dir, 'live.jsonl'))} }\n    mapping: { key: gate_id, time: { field: ts, format: epoch_ms }, measurements: [entries] }\n    detectors:\n      - { type: threshold, name: surge, measurement: entries, above: 300 }\n`,
    );
    const t = await api(URL_, cfg);
    try {
      const alert = makeAlert({ stream: STREAM, key: 'A1', startsAt });
      await t.p.dispatch([alert]);
      const r = await t.get(`/api/alerts/${alert.id}/series`);
      expect(r.status).toBe(200);
      const s = JSON.parse(r.text);
      expect(s.source).toBe('influxdb');
      // from 30 min before the start: 40 of the 60 points, none of B2's
      expect(s.points.length).toBe(40);
      expect(s.points[0].t).toBe(startsAt - 30 * MIN);
      expect(s.points.filter((p: any) => p.value === 400)).toHaveLength(10);
      expect(s.points.every((p: any) => p.baseline === 100)).toBe(true);
      expect(s.replay.command).toBe(
        `flowwatch backtest -c ${cfg} --stream ${STREAM} --measurement entries -i ${STREAM}-A1.csv -o ${STREAM}-A1.scores.csv -a ${STREAM}-A1.alerts.jsonl -r ${STREAM}-A1.html`,
      );

      const csv = await t.get(s.replay.csv);
      expect(csv.type).toMatch(/^text\/csv/);
      writeFileSync(path.join(dir, s.replay.file), csv.text);
      const args = (s.replay.command as string).split(' ').slice(1); // "flowwatch" is bin/flowwatch.js here
      const replay = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect({ status: replay.status, stderr: replay.stderr }).toMatchObject({ status: 0 });
      const fired = readFileSync(path.join(dir, `${STREAM}-A1.alerts.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(fired[0]).toMatchObject({ status: 'firing', stream: STREAM });
      expect(fired[0].startsAt).toBe(startsAt); // the first 400: where the live alert started
    } finally {
      await t.server.close();
    }
  }, 90_000);

  it('falls back to the stored evidence with a note when InfluxDB does not answer', async () => {
    const t = await api(`http://127.0.0.1:${await freePort()}`);
    try {
      const alert = makeAlert({ stream: STREAM, key: 'A1', startsAt });
      await t.p.dispatch([alert]);
      const s = JSON.parse((await t.get(`/api/alerts/${alert.id}/series`)).text);
      expect(s).toMatchObject({ source: 'store', points: [] });
      expect(s.note).toMatch(/InfluxDB \(http:\/\/127\.0\.0\.1:\d+\) did not answer .*stored evidence only/);
      expect(s.replay.note).toMatch(/export the key’s timestamp,value rows/);
      expect(s.replay.command).toContain('-c <the workers’ config file>');
    } finally {
      await t.server.close();
    }
  });
});
