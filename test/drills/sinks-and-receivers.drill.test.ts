/**
 * Downstream faults: InfluxDB down (alerting must keep flowing; points are held up to the sink's
 * bound and written after recovery, dropped only past it and counted) and a webhook receiver that
 * refuses connections, answers 500, then answers slowly (every notification delivered once, in order).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { killAllWorkers, readJsonLines } from '../support/workers';
import { closeRedisClient, differences, Drill, groundTruth, type Outcome } from './support/drill';
import { stop, up } from './support/servers';

jest.setTimeout(400_000);

/**
 * How long InfluxDB stays down: longer than the runner's hold of intake (60 s: a batch's state
 * commit waits for its points, sinks/sink-gate.ts), so the drill sees both the hold and intake
 * flowing again while InfluxDB is still down — every record applied, every alert delivered, no
 * point dropped under the bound. (At exactly 60 s the hold ends as InfluxDB returns, and "every
 * record applied while it is down" cannot hold.) FW_DRILL_INFLUX_OUTAGE_MS overrides it.
 */
const INFLUX_OUTAGE_MS = Number(process.env.FW_DRILL_INFLUX_OUTAGE_MS ?? 100_000);

let clean: Outcome;
beforeAll(async () => {
  clean = await groundTruth();
}, 300_000);
afterAll(async () => {
  await killAllWorkers();
  await closeRedisClient();
});

it(`InfluxDB down for ${INFLUX_OUTAGE_MS / 1000} s: alerting keeps flowing, every point written after recovery`, async () => {
  const d = await Drill.open('influx-down');
  const total = d.rec.records.length;
  const half = Math.floor(total / 2);
  d.worker('w1');
  await d.produceRange(0, half);
  await d.waitApplied(half);
  const down = Date.now();
  await stop('influxdb', 'SIGTERM');
  try {
    await d.produceRange(half, total);
    // Every record applied and every alert change at the receiver while InfluxDB is still down.
    await d.settle(INFLUX_OUTAGE_MS);
    expect(Date.now() - down).toBeLessThan(INFLUX_OUTAGE_MS);
    await new Promise((r) => setTimeout(r, Math.max(0, INFLUX_OUTAGE_MS - (Date.now() - down)))); // the outage lasts its length
  } finally {
    await up('influxdb');
  }
  // The sink retries with backoff; the worker flushes what it holds when it stops.
  await d.stopAll();
  const log = d.workers[0].tail(200);
  // Under the bound (100,000 points by default; this recording makes ~10,000) nothing may be dropped.
  expect(log.match(/dropped \d+ points[^"]*/g) ?? []).toEqual([]);
  expect(differences(clean, await d.outcome())).toEqual({});
});

it('InfluxDB down with a tiny buffer bound: points past the bound are dropped and counted, alerting unaffected', async () => {
  const d = await Drill.open('influx-bound');
  const total = d.rec.records.length;
  const half = Math.floor(total / 2);
  const sink = {
    type: 'influxdb',
    bucket: `${d.db}/autogen`,
    flush_interval: '200ms',
    url: `http://127.0.0.1:${process.env.INFLUX_URL!.split(':').pop()}`,
    max_buffer_points: 50,
  };
  d.worker('w1', { sinks: [sink] });
  await d.produceRange(0, half);
  await d.waitApplied(half);
  await stop('influxdb', 'SIGTERM');
  try {
    await d.produceRange(half, total);
    await d.settle(120_000);
  } finally {
    await up('influxdb');
  }
  await d.stopAll();
  const got = await d.outcome();
  // Alerting is exact whatever the sink dropped.
  const { alertPoints: _a, lastPoints: _l, ...alerting } = differences(clean, got);
  expect(alerting).toEqual({});
  // Drops are counted in the log ("... dropped N points ..."), never silent.
  expect(d.workers[0].tail(400)).toMatch(/dropped \d+ points \(\d+ in total\)/);
});

/** A webhook that refuses connections, then answers 500, then answers slowly, then normally. */
class FlakyWebhook {
  server?: Server;
  phase: 'refuse' | '500' | 'slow' | 'ok' = 'refuse';
  /** Bodies of requests answered 2xx, in arrival order. */
  readonly accepted: Array<{ id: string; alerts: Array<{ id: string; status: string; fingerprint: string }> }> = [];
  port = 0;

  async listen(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (this.phase === '500') {
          res.writeHead(500).end('drill: failing on purpose');
          return;
        }
        const answer = () => {
          if (req.socket.destroyed) return; // the client gave up (its timeout): not delivered
          this.accepted.push(JSON.parse(body));
          res.writeHead(200).end('ok');
        };
        if (this.phase === 'slow') setTimeout(answer, 700);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
    this.server?.closeAllConnections();
  }
}

it('webhook refusing, then 500, then slow: every notification once, in order per alert', async () => {
  const d = await Drill.open('webhook-flaky');
  const hook = new FlakyWebhook();
  // A port nobody listens on yet: connections are refused until the server starts.
  const port = 25000 + Math.floor(Math.random() * 900);
  d.worker('w1', {
    receivers: [
      { type: 'jsonl', name: 'changes', path: `${d.mode.dir}/alerts-w1.jsonl` },
      { type: 'webhook', name: 'hook', url: `http://127.0.0.1:${port}/alerts`, timeout: '2s' },
    ],
    alerting: { delivery: { initial_backoff: '200ms', max_backoff: '1s' } },
  });
  await d.produceAll();
  try {
    await new Promise((r) => setTimeout(r, 5000)); // refused
    await hook.listen(port);
    hook.phase = '500';
    await new Promise((r) => setTimeout(r, 5000));
    hook.phase = 'slow';
    await new Promise((r) => setTimeout(r, 5000));
    hook.phase = 'ok';
    await d.settle();
    await d.stopAll();
  } finally {
    await hook.close();
  }
  const received = hook.accepted.flatMap((n) => n.alerts.map((a) => `${a.status} ${a.id}`));
  const counts: Record<string, number> = {};
  for (const k of received) counts[k] = (counts[k] ?? 0) + 1;
  expect({
    notOnce: Object.entries(counts).filter(([, n]) => n !== 1),
    missing: Object.keys(clean.notifications).filter((k) => !(k in counts)),
  }).toEqual({ notOnce: [], missing: [] });
  // In order: per alert, the webhook saw its changes in the order the jsonl receiver did (whose content equals the clean run's, below).
  const order = (lines: Array<{ fingerprint: unknown; status: unknown; id: unknown }>) => {
    const m: Record<string, string[]> = {};
    for (const l of lines) (m[String(l.fingerprint)] ??= []).push(`${String(l.status)} ${String(l.id)}`);
    return m;
  };
  expect(order(hook.accepted.flatMap((n) => n.alerts))).toEqual(order(readJsonLines(d.mode, 'alerts') as never));
  expect(differences(clean, await d.outcome())).toEqual({});
});
