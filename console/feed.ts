import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AlertingPipeline } from '../alerts/alerting';
import { boardState, type BoardState } from './board';
import { CONSOLE_HEADERS } from './assets';

/** How often the store is read while a board is open: a change reaches open boards within this plus one read. */
export const FEED_INTERVAL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_EVERY = 30;

/**
 * The console's live board over server-sent events. On connect a client gets the whole board
 * (`snapshot`); then, while any board is open, the shared alert store is read every
 * FEED_INTERVAL_MS and only what changed is pushed: `alerts` ({upsert, remove}, by fingerprint)
 * and `silences` (the list, when it changed). Reading the store rather than hooking dispatch
 * means alerts from every worker sharing the store reach the board. No board open, no reads.
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private last = new Map<string, string>();
  private lastSilences = '';
  private timer?: NodeJS.Timeout;
  private reading = false;
  private ticks = 0;

  constructor(private readonly o: { alerting: AlertingPipeline; log: Logger; intervalMs?: number }) {}

  get open(): number {
    return this.clients.size;
  }

  async subscribe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const state = await boardState(this.o.alerting);
    res.writeHead(200, {
      ...CONSOLE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    send(res, 'snapshot', { ...state, sentAt: Date.now() });
    this.clients.add(res);
    req.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    if (!this.timer) {
      this.remember(state);
      this.timer = setInterval(() => void this.read(), this.o.intervalMs ?? FEED_INTERVAL_MS);
    }
  }

  close(): void {
    this.stop();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private remember(state: BoardState): void {
    this.last = new Map(state.alerts.map((a) => [a.fingerprint, JSON.stringify(a)]));
    this.lastSilences = JSON.stringify(state.silences);
  }

  /** One read of the store; the differences go to every open board. A read still running is not overtaken. */
  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const state = await boardState(this.o.alerting);
      const upsert = state.alerts.filter((a) => this.last.get(a.fingerprint) !== JSON.stringify(a));
      const present = new Set(state.alerts.map((a) => a.fingerprint));
      const remove = [...this.last.keys()].filter((fp) => !present.has(fp));
      const silences = JSON.stringify(state.silences);
      const silencesChanged = silences !== this.lastSilences;
      this.remember(state);
      const sentAt = Date.now();
      for (const c of this.clients) {
        if (upsert.length || remove.length) send(c, 'alerts', { upsert, remove, sentAt });
        if (silencesChanged) c.write(`event: silences\ndata: {"silences":${silences}}\n\n`);
        if (++this.ticks % KEEPALIVE_EVERY === 0) c.write(': keepalive\n\n');
      }
    } catch (err) {
      this.o.log.warn({ err }, 'console feed: reading the alert store failed; open boards keep what they have');
      for (const c of this.clients) send(c, 'problem', { message: 'the alert store did not answer; retrying', sentAt: Date.now() });
    } finally {
      this.reading = false;
    }
  }
}

function send(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
