/**
 * `flowwatch console` (cli/commands/console.ts) against real Redis: a worker (`flowwatch run`, file
 * sources, alert state in Redis under a prefix of this test's own) writes alerts; the standalone
 * console, started from the same config, serves them — the API, the page and the live feed —
 * and records a duty officer's ack in the store, where the worker's API sees it. Then its clear
 * refusals: no shared store, the store down, the address in use.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'flowwatch.js');
const ADMIN = 'console-cli-admin-0123456789abcdef';
const ROADS = 'console-cli-roads-0123456789abcdef';
const PREFIX = `fw-console-cli-${randomUUID().slice(0, 8)}`;
const ENV: NodeJS.ProcessEnv = { ...process.env, FLOWWATCH_API_TOKEN: ADMIN, ROADS_TOKEN: ROADS, FLOWWATCH_LOG_LEVEL: 'warn' };
for (const k of ['KAFKA_BROKERS', 'INFLUX_URL', 'FLOWWATCH_API_URL']) delete ENV[k];

let dir: string;
let workerUrl: string;
let consoleUrl: string;
const procs: ChildProcess[] = [];
const logs = new Map<ChildProcess, string>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Two gates over the limit: one on the roads team's route, one on the rail team's. */
function writeConfig(name: string, apiPort: number, state: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `
streams:
  people:
    source: { type: file, path: ${JSON.stringify(path.join(dir, 'people.jsonl'))} }
    mapping: { key: gate_id, time: { field: ts, format: epoch_ms }, measurements: [entries], attributes: [line] }
    detectors:
      - { type: threshold, name: crowd, measurement: entries, above: 100, severity: critical, summary: 'Crowd at {key}: {value}' }
  goods: # keeps the worker running after the file ends; never alerts
    source: { type: simulator }
    mapping: { key: container_id, time: { field: ts, format: epoch_ms }, measurements: [temp_c] }
    default_profile: 'off'
    detectors:
      - { type: threshold, name: never, measurement: temp_c, above: 1000 }
receivers:
  - { type: jsonl, name: roads-desk, path: ${JSON.stringify(path.join(dir, 'roads.jsonl'))} }
  - { type: jsonl, name: rail-desk, path: ${JSON.stringify(path.join(dir, 'rail.jsonl'))} }
route:
  receiver: rail-desk
  routes:
    - { receiver: roads-desk, matchers: ['key=~"road-.*"'] }
state: ${state}
alerting:
  api:
    listen: "127.0.0.1:${apiPort}"
    users: [{ name: rosa, token_env: ROADS_TOKEN, teams: [roads] }]
    teams: [{ name: roads, receivers: [roads-desk] }, { name: rail, receivers: [rail-desk] }]
dead_letter: { type: file, path: ${JSON.stringify(path.join(dir, 'dead.jsonl'))} }
`,
  );
  return file;
}

function start(args: string[]): ChildProcess {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV });
  logs.set(p, '');
  const keep = (b: Buffer) => logs.set(p, logs.get(p)! + b.toString());
  p.stdout!.on('data', keep);
  p.stderr!.on('data', keep);
  procs.push(p);
  return p;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms\n${[...logs.values()].join('\n---\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function call(base: string, token: string, method: string, p: string, body?: object): Promise<{ status: number; json: any }> {
  const res = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

/** The console's live feed; `next(event)` waits for the next message of that kind. */
async function feed(base: string, token: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${base}/api/console/events`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const next = async (event: string): Promise<any> => {
    for (;;) {
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (block.startsWith(`event: ${event}\n`)) return JSON.parse(block.split('\ndata: ')[1]);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('feed closed');
      buf += value;
    }
  };
  return { next, close: () => ctrl.abort() };
}

const redisState = () => `{ backend: redis, url: ${JSON.stringify(process.env.REDIS_URL)}, prefix: ${PREFIX} }`;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: ENV });

beforeAll(async () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
  dir = mkdtempSync(path.join(tmpdir(), 'fw-console-cli-'));
  const t = Date.now() - 60_000;
  const rows = [
    { gate_id: 'road-g1', line: 'roads', entries: 400, ts: t },
    { gate_id: 'rail-g2', line: 'rail', entries: 500, ts: t + 1000 },
  ];
  writeFileSync(path.join(dir, 'people.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const [apiPort, consolePort] = [await freePort(), await freePort()];
  workerUrl = `http://127.0.0.1:${apiPort}`;
  consoleUrl = `http://127.0.0.1:${consolePort}`;
  const cfg = writeConfig('shared.yaml', apiPort, redisState());
  start(['run', '--config', cfg, '--telemetry', 'off']);
  // The console listens on its own port; it does not need the worker, only the store.
  start(['console', '--config', cfg, '--listen', `127.0.0.1:${consolePort}`]);
}, 120_000);

afterAll(async () => {
  for (const p of procs) {
    if (p.exitCode === null) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  }
  const redis = new Redis(process.env.REDIS_URL!);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('flowwatch console (standalone, shared Redis alert store)', () => {
  it('serves the alerts a worker wrote: the API, the page and the live feed', async () => {
    const alerts = await until('both alerts on the standalone console', async () => {
      const r = await call(consoleUrl, ADMIN, 'GET', '/api/alerts');
      return r.status === 200 && r.json.alerts.length === 2 ? r.json.alerts : undefined;
    });
    expect(alerts.map((a: any) => a.key).sort()).toEqual(['rail-g2', 'road-g1']);
    const page = await fetch(`${consoleUrl}/console`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const board = await feed(consoleUrl, ADMIN);
    const snap = await board.next('snapshot');
    board.close();
    expect(snap.alerts.map((a: any) => [a.key, a.teams]).sort()).toEqual([
      ['rail-g2', ['rail']],
      ['road-g1', ['roads']],
    ]);
    // who sees what holds on the standalone console too
    expect((await call(consoleUrl, ROADS, 'GET', '/api/alerts')).json.alerts.map((a: any) => a.key)).toEqual(['road-g1']);
  }, 60_000);

  it('an ack on the standalone console is in the store: the worker’s API shows it', async () => {
    const road = (await call(consoleUrl, ROADS, 'GET', '/api/alerts')).json.alerts[0];
    const ack = await call(consoleUrl, ROADS, 'POST', `/api/alerts/${road.id}/ack`, { by: 'Rosa', comment: 'on it' });
    expect(ack.status).toBe(200);
    const seen = await until('the ack on the worker', async () => {
      const a = (await call(workerUrl, ADMIN, 'GET', '/api/alerts')).json.alerts.find((x: any) => x.key === 'road-g1');
      return a?.ack ? a.ack : undefined;
    });
    expect(seen).toMatchObject({ by: 'Rosa', comment: 'on it' });
  }, 60_000);

  it('a change another process makes in the store reaches the standalone console’s open board', async () => {
    const board = await feed(consoleUrl, ADMIN);
    try {
      await board.next('snapshot');
      const rail = (await call(workerUrl, ADMIN, 'GET', '/api/alerts')).json.alerts.find((a: any) => a.key === 'rail-g2');
      // acknowledged through the worker's API: the console learns it only from the shared store
      expect((await call(workerUrl, ADMIN, 'POST', `/api/alerts/${rail.id}/ack`, { by: 'Raul' })).status).toBe(200);
      for (;;) {
        const got = await board.next('alerts');
        const a = got.upsert.find((x: any) => x.key === 'rail-g2');
        if (a?.ack) {
          expect(a.ack.by).toBe('Raul');
          break;
        }
      }
    } finally {
      board.close();
    }
  }, 30_000);

  it('says what is wrong: no shared store, the store down, the address in use', async () => {
    const mem = run('console', '--config', writeConfig('memory.yaml', 9, '{ backend: memory }'));
    expect(mem.status).toBe(2);
    expect(mem.stderr).toMatch(/no shared alert store configured .*set alerting\.store: redis/);

    const closed = await freePort(); // nothing listens there
    const down = run(
      'console',
      '--config',
      writeConfig('down.yaml', 9, `{ backend: redis, url: "redis://127.0.0.1:${closed}", prefix: x }`),
    );
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`the alert store at redis://127.0.0.1:${closed} \\(prefix "x"\\) does not answer`));

    const taken: Server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as AddressInfo).port;
    const busy = run('console', '--config', writeConfig('busy.yaml', 9, redisState()), '--listen', `127.0.0.1:${port}`);
    taken.close();
    expect(busy.status).toBe(2);
    expect(busy.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the address is in use.*pass --listen/);

    const help = run('console', '--help');
    expect(help.stdout).toMatch(/delivers nothing/);
  }, 60_000);
});
