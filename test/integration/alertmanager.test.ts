/**
 * flowwatch and a REAL Prometheus Alertmanager 0.35.0 (scripts/services up alertmanager; the
 * global setup starts it for runs that include this file), both directions:
 *
 *  - push: flowwatch's `alertmanager` receiver puts its alerts into Alertmanager's API with the
 *    right labels and annotations, keeps them alive by resending, resolves them there, reaches
 *    every instance of a pair (a second Alertmanager is started here, stopped and restarted), and
 *    Alertmanager's own webhook receiver downstream gets them;
 *  - format: a webhook body in flowwatch's `alertmanager` format decodes into Alertmanager's Go
 *    types (test/go/amdecode: notify/webhook.Message + template.Data, every field checked);
 *  - pull: amtool (same module) against flowwatch's API v2 subset: alert query, silence
 *    add/query/expire, each changing flowwatch's state.
 *
 * Each run labels its alerts with a run id: Alertmanager keeps alerts across test runs.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { systemClock } from '../../kernel/clock';
import { silentLogger } from '../../kernel/logger';
import type { Alert } from '../../kernel/types';
import { AlertingPipeline } from '../../alerts/alerting';
import { MemoryAlertStore } from '../../alerts/store/memory';
import { fanOutRoute } from '../../alerts/route/route';
import { AlertmanagerReceiver } from '../../alerts/receivers/alertmanager';
import { firingFor } from '../../alerts/receivers/alertmanager-source';
import { WebhookReceiver } from '../../alerts/receivers/webhook';
import { labelSetFingerprint } from '../../alerts/format/alertmanager';
import { alertingConfig, makeAlert } from '../../alerts/testing/fakes';
import { alertId } from '../../alerts/identity';
import { ApiServer } from '../../api/server';

jest.setTimeout(120_000);

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const env = (k: string): string => {
  const v = process.env[k];
  if (!v)
    throw new Error(
      `${k} is not set: the integration global setup starts Alertmanager (scripts/services up alertmanager) for runs that include this file`,
    );
  return v;
};
const AM = () => env('ALERTMANAGER_URL');
const RUN = randomBytes(4).toString('hex');
const TOKEN = 'am-test-token-' + randomBytes(12).toString('hex');

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ': ' + (last as Error).message : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** GET /api/v2/alerts of an Alertmanager, this run's alerts only. */
async function amAlerts(base: string, extra = ''): Promise<any[]> {
  const res = await fetch(`${base}/api/v2/alerts?filter=${encodeURIComponent(`run="${RUN}"`)}${extra}`);
  if (!res.ok) throw new Error(`${base}: ${res.status}`);
  return (await res.json()) as any[];
}

/** One HTTP server for what is POSTed to us: Alertmanager's webhook (/alertmanager) and flowwatch's webhook in Alertmanager format (/flowwatch). */
class Capture {
  readonly got: Array<{ path: string; raw: string; body: any }> = [];
  private server?: Server;
  async start(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.got.push({ path: req.url ?? '', raw, body: JSON.parse(raw) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
  }
  at(p: string) {
    return this.got.filter((g) => g.path === p);
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server?.close(() => r()), this.server?.closeAllConnections()));
  }
}

/** A second Alertmanager for the HA pair, on a free port; stopped and started again by the test. */
class SecondAlertmanager {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'fw-am2-'));
  port = 0;
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    writeFileSync(path.join(this.dir, 'am.yml'), 'route: { receiver: blackhole }\nreceivers: [ { name: blackhole } ]\n');
    this.proc = spawn(
      env('ALERTMANAGER_BIN'),
      [
        `--config.file=${this.dir}/am.yml`,
        `--storage.path=${this.dir}/data`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--cluster.listen-address=',
      ],
      { stdio: 'ignore' },
    );
    await eventually('the second Alertmanager to be ready', async () => (await fetch(`${this.url}/-/ready`)).ok);
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGTERM');
    });
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function alert(key: string, o: { severity?: 'warning' | 'critical'; startsAt?: number } = {}): Alert {
  return makeAlert({ key, severity: o.severity, startsAt: o.startsAt ?? Date.now() - 60_000, labels: { run: RUN } });
}
function resolve(a: Alert): Alert {
  return { ...a, id: alertId(a.fingerprint, 'resolved', a.startsAt), status: 'resolved', endsAt: Date.now() };
}

const capture = new Capture();
const am2 = new SecondAlertmanager();
let p: AlertingPipeline;
let api: ApiServer;
let apiUrl = '';
let amdecode = '';
const work = mkdtempSync(path.join(tmpdir(), 'fw-am-'));

beforeAll(async () => {
  await capture.start(Number(new URL(env('ALERTMANAGER_WEBHOOK_URL')).port));
  await am2.start();
  const names = ['am', 'hook', 'hook-truncating'];
  const receivers = [
    new AlertmanagerReceiver('am', {
      urls: [AM(), am2.url],
      resendIntervalMs: 1000,
      resolvedRetentionMs: 60_000,
      timeoutMs: 5000,
      firing: () => firingFor(p, 'am'),
    }),
    new WebhookReceiver('hook', {
      url: `http://127.0.0.1:${new URL(env('ALERTMANAGER_WEBHOOK_URL')).port}/flowwatch`,
      timeoutMs: 5000,
      format: 'alertmanager',
      externalUrl: 'http://127.0.0.1:9464',
    }),
    new WebhookReceiver('hook-truncating', {
      url: `http://127.0.0.1:${new URL(env('ALERTMANAGER_WEBHOOK_URL')).port}/flowwatch-truncated`,
      timeoutMs: 5000,
      format: 'alertmanager',
      maxAlerts: 1,
    }),
  ];
  p = new AlertingPipeline({
    store: new MemoryAlertStore(systemClock),
    receivers,
    route: { ...fanOutRoute(names), group_by: ['run'] },
    config: alertingConfig(),
    clock: systemClock,
    log: silentLogger(),
  });
  p.start();
  api = new ApiServer({ alerting: p, token: TOKEN, log: silentLogger() });
  const { port } = await api.listen('127.0.0.1', 0);
  apiUrl = `http://127.0.0.1:${port}`;
  // Alertmanager's Go types, built once (-trimpath: the same compile cache as scripts/services' build).
  amdecode = path.join(work, 'amdecode');
  execFileSync('go', ['build', '-trimpath', '-o', amdecode, '.'], {
    cwd: path.join(ROOT, 'test', 'go', 'amdecode'),
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 15 * 60_000,
  });
}, 20 * 60_000);

afterAll(async () => {
  await api?.close();
  await p?.close();
  await am2.stop();
  await capture.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(am2.dir, { recursive: true, force: true });
});

function decode(raw: string, args: string[] = []): { ok: boolean; out: string; err: string } {
  try {
    const out = execFileSync(amdecode, args, { input: raw, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return { ok: true, out, err: '' };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return { ok: false, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

describe('flowwatch → Alertmanager (the alertmanager receiver)', () => {
  const g1 = alert('gate-1', { severity: 'critical' });
  const g2 = alert('gate-2');
  const g3 = alert('gate-3');

  it('firing alerts appear in both Alertmanagers with flowwatch labels, annotations and fingerprints; the downstream webhook gets them', async () => {
    await p.dispatch([g1, g2]);
    await p.idle();
    for (const base of [AM(), am2.url]) {
      const got = await eventually(`two alerts in ${base}`, async () => {
        const list = await amAlerts(base);
        return list.length === 2 && list;
      });
      const one = got.find((a) => a.labels.key === 'gate-1');
      expect(one.labels).toEqual({
        alertname: 'surge',
        stream: 'people',
        key: 'gate-1',
        detector: 'surge',
        severity: 'critical',
        run: RUN,
      });
      expect(one.annotations).toMatchObject({
        summary: 'gate-1: something',
        description: 'entries = 412 (baseline 130, deviation 4.8 sigma)',
        flowwatch_fingerprint: 'people/surge/gate-1',
      });
      expect(JSON.parse(one.annotations.evidence)).toEqual(g1.evidence);
      expect(one.fingerprint).toBe(labelSetFingerprint(one.labels)); // Alertmanager's own fingerprint = ours
      expect(one.status.state).toBe('active');
      expect(Date.parse(one.startsAt)).toBe(g1.startsAt);
    }
    const downstream = await eventually("Alertmanager's webhook with gate-1 firing", async () =>
      capture
        .at('/alertmanager')
        .find((m) => m.body.status === 'firing' && m.body.alerts.some((a: any) => a.labels.run === RUN && a.labels.key === 'gate-1')),
    );
    const a = downstream.body.alerts.find((x: any) => x.labels.key === 'gate-1');
    expect(a).toMatchObject({
      status: 'firing',
      labels: { alertname: 'surge', key: 'gate-1', run: RUN },
      annotations: { summary: 'gate-1: something' },
      fingerprint: labelSetFingerprint(a.labels),
      endsAt: '0001-01-01T00:00:00Z',
    });
    expect(downstream.body.version).toBe('4');
  });

  it('keeps them alive by resending (valid 4 resend intervals, here 4 s), past the first endsAt', async () => {
    const first = (await amAlerts(AM())).find((a) => a.labels.key === 'gate-1');
    await new Promise((r) => setTimeout(r, 6000));
    const later = (await amAlerts(AM())).find((a) => a.labels.key === 'gate-1');
    expect(later).toBeDefined();
    expect(Date.parse(later.endsAt)).toBeGreaterThan(Date.parse(first.endsAt));
    expect(Date.parse(later.endsAt)).toBeGreaterThan(Date.now());
  });

  it('an instance that was down gets every alert when it is back, from the resends; nothing waits in the outbox meanwhile', async () => {
    await am2.stop();
    await p.dispatch([g3]);
    await p.idle();
    expect((await p.snapshot()).outbox.am).toBe(0); // the first Alertmanager took it: delivered
    await eventually('gate-3 in the first Alertmanager', async () => (await amAlerts(AM())).some((a) => a.labels.key === 'gate-3'));
    await am2.start(); // a fresh process: Alertmanager keeps no alerts on disk
    const back = await eventually('all three in the restarted Alertmanager', async () => {
      const list = await amAlerts(am2.url);
      return list.length === 3 && list;
    });
    expect(back.map((a) => a.labels.key).sort()).toEqual(['gate-1', 'gate-2', 'gate-3']);
  });

  it('resolved here, resolved there: gone from both APIs, and the downstream webhook says resolved', async () => {
    await p.dispatch([resolve(g1), resolve(g2), resolve(g3)]);
    await p.idle();
    for (const base of [AM(), am2.url])
      await eventually(`no active alerts of this run in ${base}`, async () => (await amAlerts(base)).length === 0);
    await eventually("Alertmanager's webhook with gate-1 resolved", async () =>
      capture
        .at('/alertmanager')
        .some((m) => m.body.alerts.some((a: any) => a.labels.run === RUN && a.labels.key === 'gate-1' && a.status === 'resolved')),
    );
  });
});

describe("flowwatch's webhook in alertmanager format, decoded by Alertmanager's Go types", () => {
  it('every body flowwatch sent (firing, resolved, truncated) decodes into webhook.Message and passes every check', async () => {
    const bodies = await eventually(
      'flowwatch webhook bodies',
      async () => capture.at('/flowwatch').length >= 2 && capture.at('/flowwatch'),
    );
    const statuses = new Set<string>();
    for (const b of bodies) {
      const r = decode(b.raw, ['-truncated', '0']);
      expect(r.err).toBe('');
      expect(r.ok).toBe(true);
      const out = JSON.parse(r.out);
      expect(out.fingerprints).toEqual(b.body.alerts.map((a: any) => labelSetFingerprint(a.labels)));
      statuses.add(out.status);
    }
    expect([...statuses].sort()).toEqual(['firing', 'resolved']);
    const truncated = capture.at('/flowwatch-truncated').find((b) => b.body.alerts.length === 1 && b.body.truncatedAlerts > 0);
    expect(truncated).toBeDefined();
    const r = decode(truncated!.raw, ['-truncated', String(truncated!.body.truncatedAlerts)]);
    expect(r.err).toBe('');
  });

  it("amdecode's checks hold for the bodies Alertmanager itself sent downstream (the checker checked)", () => {
    const own = capture.at('/alertmanager').filter((m) => m.body.alerts.some((a: any) => a.labels.run === RUN));
    expect(own.length).toBeGreaterThan(0);
    for (const m of own) expect(decode(m.raw).err).toBe('');
  });

  it('and amdecode does fail a body that is not what Alertmanager would send', () => {
    const good = capture.at('/flowwatch')[0].body;
    const wrongFingerprint = { ...good, alerts: good.alerts.map((a: any) => ({ ...a, fingerprint: 'people/surge/gate-1' })) };
    expect(decode(JSON.stringify(wrongFingerprint)).err).toMatch(
      /fingerprint "people\/surge\/gate-1", Alertmanager computes "[0-9a-f]{16}"/,
    );
    expect(decode(JSON.stringify({ ...good, extra: 1 })).err).toMatch(/unknown field "extra"/);
    // JavaScript's toISOString keeps trailing zeros (".100Z"); Go writes ".1Z": not the same body.
    const msTimes = { ...good, alerts: good.alerts.map((a: any) => ({ ...a, startsAt: a.startsAt.replace(/(\.\d+)?Z$/, '.100Z') })) };
    expect(decode(JSON.stringify(msTimes)).err).toMatch(/the body differs/);
  });
});

describe('amtool → flowwatch (the Alertmanager API v2 subset)', () => {
  let httpConfig = '';
  const amtool = async (...args: string[]) => {
    const { stdout, stderr } = await run(env('AMTOOL'), [`--alertmanager.url=${apiUrl}`, `--http.config.file=${httpConfig}`, ...args], {
      timeout: 30_000,
    });
    return { stdout, stderr };
  };
  const k1 = alert('amtool-1', { severity: 'critical' });
  const k2 = alert('amtool-2');

  beforeAll(async () => {
    httpConfig = path.join(work, 'amtool-http.yml');
    writeFileSync(httpConfig, `authorization:\n  type: Bearer\n  credentials: ${TOKEN}\n`);
    await p.dispatch([k1, k2]);
    await p.idle();
  });

  it('amtool alert query lists flowwatch alerts (and is refused without the token)', async () => {
    const { stdout, stderr } = await amtool('alert', 'query', `run="${RUN}"`);
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Alertname\s+Starts At\s+Summary\s+State/);
    expect(lines.slice(1).sort()).toEqual([
      expect.stringMatching(/^surge\s+.*amtool-1: something\s+active/),
      expect.stringMatching(/^surge\s+.*amtool-2: something\s+active/),
    ]);
    const json = JSON.parse((await amtool('alert', 'query', '-o', 'json', `key="amtool-1"`)).stdout);
    expect(json).toHaveLength(1);
    expect(json[0].labels).toMatchObject({ alertname: 'surge', key: 'amtool-1', severity: 'critical', run: RUN });
    expect(json[0].receivers.map((r: any) => r.name).sort()).toEqual(['am', 'hook', 'hook-truncating']);
    const noToken = await run(env('AMTOOL'), [`--alertmanager.url=${apiUrl}`, 'alert', 'query']).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect((noToken as { code: number }).code).not.toBe(0);
  });

  it('amtool silence add / query / expire create, list and expire flowwatch silences, which mute and unmute its alerts', async () => {
    const added = await amtool(
      'silence',
      'add',
      `key="amtool-1"`,
      `run="${RUN}"`,
      '--comment=maintenance window',
      '--author=ana',
      '--duration=1h',
    );
    const id = added.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const s = (await p.silences()).find((x) => x.id === id);
    expect(s).toMatchObject({
      matchers: ['key="amtool-1"', `run="${RUN}"`],
      createdBy: 'ana',
      comment: 'maintenance window',
      state: 'active',
    });
    expect((await p.activeAlerts()).find((a) => a.key === 'amtool-1')?.mutedBy).toBe(`silence:${id}`);

    const query = await amtool('silence', 'query', `key="amtool-1"`);
    expect(query.stdout).toMatch(/^ID\s+Matchers\s+Ends At\s+Created By\s+Comment/);
    expect(query.stdout).toContain(id);
    expect(query.stdout).toMatch(/ana\s+maintenance window/);
    expect((await amtool('silence', 'query', '-q')).stdout.split('\n')).toContain(id);

    // Silenced alerts drop out of amtool's default (active) view, and show with --silenced.
    expect((await amtool('alert', 'query', `run="${RUN}"`)).stdout).not.toContain('amtool-1');
    expect((await amtool('alert', 'query', '--silenced', `run="${RUN}"`)).stdout).toMatch(/amtool-1: something\s+suppressed/);

    await amtool('silence', 'expire', id);
    expect((await p.silences()).find((x) => x.id === id)?.state).toBe('expired');
    expect((await p.activeAlerts()).find((a) => a.key === 'amtool-1')?.mutedBy).toBeNull();
    expect((await amtool('silence', 'query', '-q')).stdout.split('\n')).not.toContain(id);
    expect((await amtool('silence', 'query', '--expired', '-q')).stdout.split('\n')).toContain(id);
  });
});
