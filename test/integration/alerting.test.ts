/**
 * Alert delivery against a real local HTTP receiver (node:http in this process) and real Redis:
 * routing to exactly the named receivers, a receiver down for 60 s (refusing connections, then
 * answering 500), a restart, two workers sharing Redis, webhook signatures, and no secret in
 * any log line. Time is a manual clock: the test advances it instead of waiting.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Redis from 'ioredis';
import { ManualClock } from '../../kernel/clock';
import { createRootLogger, silentLogger } from '../../kernel/logger';
import { validateConfig } from '../../config/load';
import { wire } from '../../cli/app';
import { AlertingPipeline } from '../../alerts/alerting';
import { RedisAlertStore } from '../../alerts/store/redis';
import { K } from '../../alerts/store/types';
import { WebhookReceiver } from '../../alerts/receivers/webhook';
import { alertingConfig, makeAlert, resolved, route } from '../../alerts/testing/fakes';
import type { Alert } from '../../kernel/types';

jest.setTimeout(60_000);

const REDIS_URL = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const S = 1000;

interface Received {
  path: string;
  raw: string;
  body: any;
  signature?: string;
}

/** A webhook endpoint: answers 200 (and records), 500, or is not listening at all (connection refused). */
class HookServer {
  readonly received: Received[] = [];
  mode: 'ok' | 'error' = 'ok';
  refused = 0;
  errors = 0;
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.mode === 'error') {
          this.errors++;
          res.writeHead(500).end('down for maintenance');
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        this.received.push({
          path: req.url ?? '',
          raw,
          body: JSON.parse(raw),
          signature: req.headers['x-flowwatch-signature'] as string | undefined,
        });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stop listening: connections are refused until start() again (same port). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => (s.close(() => resolve()), s.closeAllConnections()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  alertIds(path?: string): string[] {
    return this.received
      .filter((r) => path === undefined || r.path === path)
      .flatMap((r) => r.body.alerts.map((a: { id: string }) => a.id));
  }
}

const prefixes: string[] = [];
function uniquePrefix(): string {
  const p = `it-alerting-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  prefixes.push(p);
  return p;
}

afterAll(async () => {
  const redis = new Redis(REDIS_URL());
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

function pipeline(o: { prefix: string; hook: HookServer; clock: ManualClock; workerId?: string; timeoutMs?: number }) {
  const store = new RedisAlertStore({ url: REDIS_URL(), prefix: o.prefix });
  const receiver = new WebhookReceiver('hook', { url: o.hook.url('/hook'), timeoutMs: o.timeoutMs ?? 2000 });
  return new AlertingPipeline({
    store,
    receivers: [receiver],
    route: route({ receiver: 'hook' }),
    config: alertingConfig({
      delivery: { initial_backoff: 1 * S, max_backoff: 8 * S, poll_interval: 1 * S, lease: 30 * S, drain_timeout: 0 },
    }),
    clock: o.clock,
    log: silentLogger(),
    workerId: o.workerId,
  });
}

describe('alert delivery through Redis to a real webhook', () => {
  let hook: HookServer;
  beforeEach(async () => {
    hook = new HookServer();
    await hook.start();
  });
  afterEach(async () => {
    await hook.stop();
  });

  it('routes each state change to exactly the receivers its route names, once; signs with the shared secret; logs no secret', async () => {
    const secret = randomBytes(24).toString('hex');
    process.env.FW_IT_WEBHOOK_SECRET = secret;
    const prefix = uniquePrefix();
    const config = validateConfig({
      streams: { people: { mapping: { key: 'gate', time: 'ts', measurements: ['entries'] } } },
      receivers: [
        { type: 'webhook', name: 'ops', url: hook.url('/ops'), secret_env: 'FW_IT_WEBHOOK_SECRET' },
        { type: 'webhook', name: 'oncall', url: hook.url('/oncall'), secret_env: 'FW_IT_WEBHOOK_SECRET' },
        { type: 'webhook', name: 'fraud', url: hook.url('/fraud'), secret_env: 'FW_IT_WEBHOOK_SECRET' },
      ],
      route: {
        receiver: 'ops',
        routes: [
          { matchers: ['severity="critical"'], receiver: 'oncall', continue: true },
          { matchers: ['stream="funds"'], receiver: 'fraud' },
        ],
      },
      state: { backend: 'redis', url: REDIS_URL(), prefix },
    });
    const lines: string[] = [];
    const log = createRootLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
    const clock = new ManualClock(Date.parse('2026-01-05T08:00:00Z'));
    const w = wire(config, log, { clock });
    try {
      const gate = makeAlert({ key: 'gate-1', severity: 'critical' });
      const account = makeAlert({ stream: 'funds', key: 'acct-9' });
      const container = makeAlert({ stream: 'goods', key: 'c-7' });
      await w.dispatcher.dispatch([gate, account, container]);
      await w.alerting.idle();
      // The ops receiver fails once: the retry is logged (without the secret), then delivered.
      hook.mode = 'error';
      await w.dispatcher.dispatch([resolved(container)]);
      await w.alerting.idle();
      hook.mode = 'ok';
      await w.dispatcher.dispatch([resolved(gate), gate, account]); // gate and account again: a re-delivered batch
      await w.alerting.idle();
      for (let i = 0; i < 5; i++) {
        clock.advance(10 * S);
        await w.alerting.tick();
      }
      expect(hook.alertIds('/oncall')).toEqual([gate.id, resolved(gate).id]);
      expect(hook.alertIds('/fraud')).toEqual([account.id]);
      expect(hook.alertIds('/ops')).toEqual([container.id, resolved(container).id]);
      for (const r of hook.received) {
        expect(r.signature).toBe('sha256=' + createHmac('sha256', secret).update(r.raw).digest('hex'));
        expect(r.body).toMatchObject({ version: '1', receiver: r.path.slice(1), reason: 'new' });
        expect(r.body.alerts[0].evidence).toMatchObject({ measure: 'entries', value: 412 });
      }
      expect(hook.errors).toBe(1);
    } finally {
      await w.close();
      log.flush();
    }
    const text = lines.join('');
    expect(text).toContain('delivery failed; will retry'); // there are log lines to search...
    expect(text).not.toContain(secret); // ...and the secret is in none of them
    delete process.env.FW_IT_WEBHOOK_SECRET;
  });

  it('a receiver down for 60 s (refused, then 500s) gets every notification when back: none duplicated, in order per alert; a restart loses nothing', async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock(Date.parse('2026-01-05T08:00:00Z'));
    let p = pipeline({ prefix, hook, clock });
    await hook.stop(); // refusing connections
    const sent: Alert[] = [];
    let batches = 0;
    const firing = new Map<string, Alert>();
    for (let t = 0; t < 60; t++) {
      if (t === 30) {
        hook.mode = 'error';
        await hook.start(); // answering 500s
      }
      if (t % 4 === 0) {
        // A new alert every 4 s, and the one before it resolves: state changes for several fingerprints, interleaved.
        const key = `gate-${t % 3}`;
        const prev = firing.get(key);
        const batch: Alert[] = [];
        if (prev) batch.push(resolved(prev));
        const a = makeAlert({ key, startsAt: clock.now() });
        batch.push(a);
        firing.set(key, a);
        await p.dispatch(batch);
        await p.idle();
        sent.push(...batch);
        batches++;
      }
      clock.advance(1 * S);
      await p.tick();
      if (t === 45) {
        // A restart in the middle of the outage: the outbox is in Redis.
        await p.close();
        p = pipeline({ prefix, hook, clock });
      }
    }
    expect(hook.received).toHaveLength(0);
    expect(hook.errors).toBeGreaterThan(0);
    expect(await p.store.depth(K.outbox('hook'))).toBe(batches); // one notification per batch (one group, no group_wait)
    hook.mode = 'ok';
    for (let t = 0; t < 30 && (await p.store.depth(K.outbox('hook'))) > 0; t++) {
      clock.advance(1 * S);
      await p.tick();
    }
    await p.close();
    const ids = hook.alertIds();
    expect(new Set(ids).size).toBe(ids.length); // none duplicated
    expect(new Set(hook.received.map((r) => r.body.id)).size).toBe(hook.received.length);
    expect(ids).toEqual(sent.map((a) => a.id)); // every one, in the order produced (so in order per alert)
  });

  it('two workers sharing Redis send one notification per state change, not two', async () => {
    const prefix = uniquePrefix();
    const clock = new ManualClock(Date.parse('2026-01-05T08:00:00Z'));
    const w1 = pipeline({ prefix, hook, clock, workerId: 'w1' });
    const w2 = pipeline({ prefix, hook, clock, workerId: 'w2' });
    try {
      const all: Alert[] = [];
      const opened: Alert[] = [];
      for (let round = 0; round < 5; round++) {
        const batch = [
          makeAlert({ key: `a${round}`, startsAt: round }),
          makeAlert({ key: `b${round}`, startsAt: round, severity: 'critical' }),
        ];
        opened.push(...batch);
        if (round > 0) batch.push(resolved(opened[(round - 1) * 2]));
        all.push(...batch);
        // Both workers see the same changes (a rebalance re-delivers a batch to the other worker), at the same time.
        await Promise.all([w1.dispatch(batch), w2.dispatch(batch)]);
        await Promise.all([w1.idle(), w2.idle()]);
        clock.advance(1 * S);
        await Promise.all([w1.tick(), w2.tick(), w1.tick(), w2.tick()]);
      }
      const ids = hook.alertIds();
      expect(ids.slice().sort()).toEqual(all.map((a) => a.id).sort());
      expect(new Set(hook.received.map((r) => r.body.id)).size).toBe(hook.received.length);
    } finally {
      await Promise.all([w1.close(), w2.close()]);
    }
  });
});
