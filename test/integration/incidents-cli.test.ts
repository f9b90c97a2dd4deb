/**
 * Cross-flow incidents end to end in a real worker: the built `flowwatch run` (file sources for
 * people and funds whose alerts fall in one district of examples/reference/, a simulated goods
 * flow that keeps the worker running, the memory store, the API on a free port with its token in
 * the environment), and `flowwatch incidents ls | show | ack | close` against it. Checked through
 * the CLI's output, the API, and the department desks (jsonl receivers). No Kafka or Redis used.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// Each test spawns the CLI several times (node start-up, ~1 s each on a loaded 2-core box): jest's
// 5 s default failed the ack test once in CI while other CPU work ran. A ceiling, not a timed assertion.
jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'flowwatch.js');
const REF = path.join(ROOT, 'examples', 'reference');
const TOKEN = 'incidents-cli-token-0123456789abcdef';
/** The worker and the CLI need none of the integration servers: leave them out of their environment. */
const ENV: NodeJS.ProcessEnv = { ...process.env, FLOWWATCH_API_TOKEN: TOKEN, FLOWWATCH_LOG_LEVEL: 'warn' };
for (const k of ['KAFKA_BROKERS', 'REDIS_URL', 'INFLUX_URL', 'FLOWWATCH_API_URL']) delete ENV[k];

interface ApiIncident {
  id: string;
  status: string;
  title: string;
  streams: string[];
  members: Array<{ stream: string; key: string; labels: Record<string, string> }>;
  departments: Array<{ name: string; ack?: { by: string; comment?: string } }>;
  timeline: Array<{ kind: string; department?: string; by?: string; note?: string }>;
}

let dir: string;
let url: string;
let worker: ChildProcess;
let stderr = '';
let stdout = '';

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

/** A crowd at Gate 3 of Central Stadium and a big payment at a kiosk there: both in Haidian district. */
function writeConfig(port: number): string {
  const t = Date.now() - 60_000;
  const people = [
    { gate_id: 'central-g3', entries: 40, ts: t },
    { gate_id: 'central-g3', entries: 400, ts: t + 1000 },
    { gate_id: 'north-g1', entries: 30, ts: t + 1000 }, // another district: no alert, no member
  ];
  writeFileSync(path.join(dir, 'people.jsonl'), people.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'funds.jsonl'), JSON.stringify({ account: 'ACC-00001', amount: 9500, ts: t + 2000 }) + '\n');
  const cfg = path.join(dir, 'incidents.yaml');
  const files = ['places.yaml', 'gates.csv', 'fleet.jsonl', 'accounts.csv'].map((f) => JSON.stringify(path.join(REF, f)));
  writeFileSync(
    cfg,
    `
streams:
  people:
    source: { type: file, path: ${JSON.stringify(path.join(dir, 'people.jsonl'))} }
    mapping: { key: gate_id, time: { field: ts, format: epoch_ms }, measurements: [entries] }
    detectors:
      - { type: threshold, name: crowd-surge, measurement: entries, above: 100, severity: critical, summary: 'Crowd at {where}: {value} entries/min' }
  funds:
    source: { type: file, path: ${JSON.stringify(path.join(dir, 'funds.jsonl'))} }
    mapping: { key: account, time: { field: ts, format: epoch_ms }, measurements: [amount] }
    detectors:
      - { type: threshold, name: big-payment, measurement: amount, above: 5000 }
  goods: # keeps the worker running after the files end; never alerts
    source: { type: simulator }
    mapping: { key: container_id, time: { field: ts, format: epoch_ms }, measurements: [temp_c] }
    default_profile: 'off'
    detectors:
      - { type: threshold, name: never, measurement: temp_c, above: 1000 }
receivers:
  - type: console
  - { type: jsonl, name: transport-desk, path: ${JSON.stringify(path.join(dir, 'transport.jsonl'))} }
  - { type: jsonl, name: public-security-desk, path: ${JSON.stringify(path.join(dir, 'public-security.jsonl'))} }
route: { receiver: console }
alerting:
  api: { listen: "127.0.0.1:${port}" }
dead_letter: { type: file, path: ${JSON.stringify(path.join(dir, 'dead.jsonl'))} }
incidents:
  reference: { files: [${files.join(', ')}] }
  departments:
    transport: { receiver: transport-desk }
    public-security: { receiver: public-security-desk }
  rules:
    - name: district-event
      join_on: district
      window: 15m
      min_streams: 2
      min_alerts: 2
      severity: critical
      departments: [transport, public-security]
      title: 'Cross-flow event in {district} ({place_name})'
`,
  );
  return cfg;
}

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'incidents', ...args, '--url', url], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: ENV });

async function api<T>(p: string): Promise<T> {
  const get = () => fetch(url + p, { headers: { authorization: `Bearer ${TOKEN}` } });
  // A GET is safe to repeat: the worker may close an idle keep-alive connection just as fetch
  // reuses it ("other side closed"), which a loaded CI box made happen once between two calls.
  const res = await get().catch(get);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end || worker.exitCode !== null) throw new Error(`${what}: not within ${ms} ms\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The lines a department's desk received, once `ok` holds for them. */
function desk(name: string, ok: (lines: Array<Record<string, any>>) => boolean): Promise<Array<Record<string, any>>> {
  const file = path.join(dir, `${name}.jsonl`);
  return until(`${name} desk`, async () => {
    if (!existsSync(file)) return undefined;
    const text = readFileSync(file, 'utf8');
    const lines = text.endsWith('\n')
      ? text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, any>)
      : [];
    return ok(lines) ? lines : undefined;
  });
}

beforeAll(async () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
  dir = mkdtempSync(path.join(tmpdir(), 'fw-incidents-cli-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  worker = spawn(process.execPath, [BIN, 'run', '--config', writeConfig(port), '--telemetry', 'off'], { cwd: ROOT, env: ENV });
  worker.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  worker.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
}, 120_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
  }
});

describe('flowwatch incidents against a running worker', () => {
  let id = '';

  it('alerts of two flows in one district open one incident: ls and show say so', async () => {
    const list = await until('an incident', async () => {
      const r = await api<{ incidents: Array<{ id: string; status: string }> }>('/api/incidents');
      return r.incidents.length > 0 ? r.incidents : undefined;
    });
    expect(list).toHaveLength(1);
    id = list[0].id;
    expect(id).toMatch(/^inc-[0-9a-f]{16}$/);
    expect(stdout).toMatch(/FIRING .*people\/crowd-surge Crowd at Gate 3 at Central Stadium \(Haidian district\): 400 entries\/min/);

    const ls = cli('ls');
    expect(ls.status).toBe(0);
    expect(ls.stdout).toMatch(
      new RegExp(
        `^${id}  open +critical +2 alerts  people\\+funds +Cross-flow event in haidian \\(Central Stadium\\)  \\[transport, public-security\\]$`,
        'm',
      ),
    );

    const show = cli('show', id);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(`${id}  OPEN  critical  Cross-flow event in haidian (Central Stadium)`);
    expect(show.stdout).toContain('flows: people, funds; departments: transport, public-security');
    expect(show.stdout).toMatch(/firing +people .*Crowd at Gate 3 at Central Stadium.*@ Gate 3 at Central Stadium \(Haidian district\)/);
    expect(show.stdout).toMatch(/firing +funds .*ACC-00001.*@ Kiosk 1 till at Central Stadium \(Haidian district\)/);
    expect(show.stdout).toMatch(/timeline:\n.* opened/);
    const json = JSON.parse(cli('show', id, '--json').stdout) as { incident: ApiIncident };
    expect(json.incident.members.map((m) => m.labels.district)).toEqual(['haidian', 'haidian']);

    // Each department's desk heard of it: the member alerts, marked with the incident.
    for (const d of ['transport', 'public-security']) {
      const lines = await desk(d, (ls) => ls.length >= 2);
      expect(lines.map((l) => [l.reason, l.incident?.id, l.incident?.status, l.incident?.department])).toEqual([
        ['incident', id, 'open', d],
        ['incident', id, 'open', d],
      ]);
    }
  });

  it('ack per department: acknowledged once both have; a department not involved is refused', async () => {
    const wrong = cli('ack', id, '--department', 'finance', '--by', 'ana');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('department "finance" is not involved');

    const first = cli('ack', id, '--department', 'transport', '--by', 'ana', '-m', 'diverting trucks');
    expect(first.status).toBe(0);
    expect(first.stdout.trim()).toBe(`${id} open: transport (acked by ana), public-security`);
    const second = cli('ack', id, '-d', 'public-security', '--by', 'li');
    expect(second.status).toBe(0);
    expect(second.stdout.trim()).toBe(`${id} acknowledged: transport (acked by ana), public-security (acked by li)`);

    const { incident } = await api<{ incident: ApiIncident }>(`/api/incidents/${id}`);
    expect(incident.status).toBe('acknowledged');
    expect(incident.departments.map((d) => [d.name, d.ack?.by, d.ack?.comment])).toEqual([
      ['transport', 'ana', 'diverting trucks'],
      ['public-security', 'li', undefined],
    ]);
    expect(incident.timeline.filter((e) => e.kind === 'acknowledged').map((e) => [e.department, e.by])).toEqual([
      ['transport', 'ana'],
      ['public-security', 'li'],
    ]);
  });

  it('close with a note: closed in the API, in ls, and on each desk; a closed incident can no longer be changed', async () => {
    const closed = cli('close', id, '--note', 'crowd dispersed, deliveries resumed', '--by', 'ana');
    expect(closed.status).toBe(0);
    expect(closed.stdout.trim()).toBe(`${id} closed`);

    const { incident } = await api<{ incident: ApiIncident }>(`/api/incidents/${id}`);
    expect(incident.status).toBe('closed');
    expect(incident.timeline.at(-1)).toMatchObject({ kind: 'closed', by: 'ana', note: 'crowd dispersed, deliveries resumed' });
    expect(cli('ls').stdout).toMatch(new RegExp(`^${id}  closed `, 'm'));
    expect(cli('show', id).stdout).toMatch(/closed by ana: crowd dispersed, deliveries resumed/);

    const again = cli('ack', id, '-d', 'transport', '--by', 'ana');
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('409');

    for (const d of ['transport', 'public-security']) {
      const lines = await desk(d, (ls) => ls.some((l) => l.incident?.status === 'closed'));
      expect(new Set(lines.map((l) => l.incident?.id))).toEqual(new Set([id]));
      expect(lines.filter((l) => l.incident?.status === 'closed')).toHaveLength(2); // both members, once
    }
  });

  it('the worker stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/flowwatch: stopped after .*: \d+ events \(people 3, funds 1, goods \d+\), 2 alert notifications, 0 rejects/);
  }, 30_000);
});
