import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, send } from './http';
import type { Logger } from 'pino';
import type { Health } from '../kernel/health';
import { outcomeWithin } from '../kernel/settle';
import type { MetricsText } from './metrics';

/** Default of config `telemetry.listen`: next to the alerting API's default (127.0.0.1:9464). */
export const DEFAULT_TELEMETRY_LISTEN = '127.0.0.1:9465';

/** Longest a /metrics scrape may take before it is answered 503 (the store read inside is bounded tighter). */
const SCRAPE_TIMEOUT_MS = 2000;

/** The /readyz answer from the worker's Health: 200 when no part reports a problem, else 503 with the problems. */
export function readiness(health: Health): { status: number; body: unknown } {
  if (health.ready) return { status: 200, body: { status: 'ready' } };
  return {
    status: 503,
    body: {
      status: 'not ready',
      problems: health.list().map((p) => ({ component: p.component, reason: p.reason, since: new Date(p.since).toISOString() })),
    },
  };
}

/**
 * The worker's own telemetry listener, apart from the alerting API (like the OpenTelemetry
 * Collector's :8888 or Alertmanager's): /metrics, /healthz, /readyz, unauthenticated, bound to
 * 127.0.0.1 by default, on whether or not the API is configured. Nothing here waits on a store
 * without a bound, so it answers while Redis is paused or down — which is when it is needed.
 */
export class TelemetryServer {
  private server?: Server;

  constructor(private readonly o: { metrics: MetricsText; health: Health; log: Logger }) {}

  /**
   * Listens on host:port (port 0: any free port). A port already taken — several workers on one
   * host — is one warning naming the port and how to change it, and the worker runs without the
   * listener: telemetry must never be the reason a worker does not process its partitions.
   */
  async listen(host: string, port: number): Promise<{ host: string; port: number } | undefined> {
    const server = createServer((req, res) => void this.handle(req, res));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES') throw err;
      this.o.log.warn(
        { host, port, code },
        `telemetry listener not started: ${host}:${port} is ${code === 'EADDRINUSE' ? 'in use (another worker on this host?)' : 'not available'}; the worker runs without /metrics, /healthz and /readyz. Give each worker its own with --telemetry HOST:PORT, FLOWWATCH_TELEMETRY or telemetry.listen in the config (port 0: any free port; "off" disables it)`,
      );
      return undefined;
    }
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.o.log.info({ host: addr.address, port: addr.port }, 'telemetry listening (/metrics, /healthz, /readyz)');
    return { host: addr.address, port: addr.port };
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: `method ${req.method} not allowed; use GET` });
    if (path === '/healthz') return send(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const r = readiness(this.o.health);
      return send(res, r.status, r.body);
    }
    if (path === '/metrics') {
      const scrape = await outcomeWithin(this.o.metrics.text(), SCRAPE_TIMEOUT_MS);
      if (scrape !== 'timeout' && 'value' in scrape) return send(res, 200, scrape.value, this.o.metrics.contentType);
      const err = scrape === 'timeout' ? new Error(`scrape took longer than ${SCRAPE_TIMEOUT_MS} ms`) : scrape.error;
      this.o.log.warn({ err }, 'metrics scrape failed');
      return send(res, 503, { error: (err as Error).message });
    }
    send(res, 404, { error: `no such endpoint: ${path} (this listener serves /metrics, /healthz, /readyz)` });
  }
}
