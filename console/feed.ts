import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AlertingPipeline } from '../alerts/alerting';
import { Access, type ApiUser } from '../api/access';
import { boardState, type BoardAlert, type BoardState } from './board';
import { CONSOLE_HEADERS } from './assets';
import type { Sessions } from './session';

/** How often the store is read while a board is open: a change reaches open boards within this plus one read. */
export const FEED_INTERVAL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_EVERY = 30;

/** One open board: who watches it, and which alerts it holds (what it may see). */
interface Client {
  res: ServerResponse;
  user: ApiUser;
  session?: string;
  holds: Set<string>;
}

/**
 * The console's live board over server-sent events. On connect a client gets the whole board
 * (`snapshot`); then, while any board is open, the shared alert store is read every
 * FEED_INTERVAL_MS and only what changed is pushed: `alerts` ({upsert, remove}, by fingerprint)
 * and `silences` (the list, when it changed). Reading the store rather than hooking dispatch
 * means alerts from every worker sharing the store reach the board. No board open, no reads.
 * Each board gets only the alerts (and silences) its user may see; an alert handed away from
 * the user's teams is removed from it. A board whose session ends gets `expired` and is closed.
 */
export class LiveFeed {
  private readonly clients = new Set<Client>();
  private last = new Map<string, string>();
  private lastSilences = '';
  private timer?: NodeJS.Timeout;
  private reading = false;
  private ticks = 0;

  constructor(private readonly o: { alerting: AlertingPipeline; access: Access; sessions: Sessions; log: Logger; intervalMs?: number }) {}

  get open(): number {
    return this.clients.size;
  }

  async subscribe(req: IncomingMessage, res: ServerResponse, user: ApiUser, session?: string): Promise<void> {
    const state = await boardState(this.o.alerting, this.o.access);
    res.writeHead(200, {
      ...CONSOLE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const alerts = state.alerts.filter((a) => Access.sees(user, a.teams));
    const client: Client = { res, user, session, holds: new Set(alerts.map((a) => a.fingerprint)) };
    send(res, 'snapshot', { alerts, silences: silencesFor(user, state, alerts), sentAt: Date.now() });
    this.clients.add(client);
    req.on('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stop();
    });
    if (!this.timer) {
      this.remember(state);
      this.next(0);
    }
  }

  close(): void {
    this.stop();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The next read: after the interval, or after twice the last read's time when that is longer,
   * so a large board (a read of 10,000 alerts takes ~0.2 s) costs the worker at most about a
   * third of a core however busy the store is. One read serves every open board.
   */
  private next(lastReadMs: number): void {
    const wait = Math.max(this.o.intervalMs ?? FEED_INTERVAL_MS, 2 * lastReadMs);
    const handle: NodeJS.Timeout = setTimeout(() => {
      const started = Date.now();
      void this.read().then(() => {
        // Only this chain goes on: stopped (or stopped and started again) meanwhile, it ends here.
        if (this.timer === handle && this.clients.size > 0) this.next(Date.now() - started);
      });
    }, wait);
    this.timer = handle;
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
      const state = await boardState(this.o.alerting, this.o.access);
      const json = state.alerts.map((a) => JSON.stringify(a));
      const upsert = state.alerts.filter((a, i) => this.last.get(a.fingerprint) !== json[i]);
      const next = new Map(state.alerts.map((a, i) => [a.fingerprint, json[i]]));
      const remove = [...this.last.keys()].filter((fp) => !next.has(fp));
      const silences = JSON.stringify(state.silences);
      const silencesChanged = silences !== this.lastSilences;
      this.last = next;
      this.lastSilences = silences;
      const sentAt = Date.now();
      ++this.ticks;
      // Each alert is serialised once per read, whatever the number of boards: messages are spliced from `next`.
      const d = { upsert, remove, silencesChanged, sentAt, json: next, cache: new Map<string, string>() };
      for (const c of this.clients) this.push(c, state, d);
    } catch (err) {
      this.o.log.warn({ err }, 'console feed: reading the alert store failed; open boards keep what they have');
      for (const c of this.clients) send(c.res, 'problem', { message: 'the alert store did not answer; retrying', sentAt: Date.now() });
    } finally {
      this.reading = false;
    }
  }

  private push(
    c: Client,
    state: BoardState,
    d: {
      upsert: BoardAlert[];
      remove: string[];
      silencesChanged: boolean;
      sentAt: number;
      json: Map<string, string>;
      cache: Map<string, string>;
    },
  ): void {
    // An open board is use of its session (a wall screen stays signed in) until the session's end.
    if (c.session && !this.o.sessions.use(c.session)) {
      send(c.res, 'expired', { message: 'the console session has ended; sign in again' });
      c.res.end();
      return;
    }
    const upsert: BoardAlert[] = [];
    const remove = d.remove.filter((fp) => c.holds.delete(fp));
    for (const a of d.upsert) {
      if (Access.sees(c.user, a.teams)) {
        upsert.push(a);
        c.holds.add(a.fingerprint);
      } else if (c.holds.delete(a.fingerprint)) remove.push(a.fingerprint);
    }
    if (upsert.length || remove.length) {
      // What a board sees depends only on its audience (admin, or a set of teams): one upsert list per audience, joined once.
      const audience = c.user.admin ? '*' : c.user.teams.join('\n');
      let list = d.cache.get(audience);
      if (list === undefined) {
        list = `[${upsert.map((a) => d.json.get(a.fingerprint)).join(',')}]`;
        d.cache.set(audience, list);
      }
      c.res.write(`event: alerts\ndata: {"upsert":${list},"remove":${JSON.stringify(remove)},"sentAt":${d.sentAt}}\n\n`);
    }
    if (d.silencesChanged) {
      const visible = state.alerts.filter((a) => c.holds.has(a.fingerprint));
      send(c.res, 'silences', { silences: silencesFor(c.user, state, visible) });
    }
    if (this.ticks % KEEPALIVE_EVERY === 0) c.res.write(': keepalive\n\n');
  }
}

/** The silences a board shows: admins all; others their teams' and those touching an alert they see. */
function silencesFor(user: ApiUser, state: BoardState, visible: readonly BoardAlert[]): BoardState['silences'] {
  if (user.admin) return state.silences;
  const touching = new Set(visible.flatMap((a) => a.silences));
  return state.silences.filter((s) => touching.has(s.id) || (s.teams ?? []).some((t) => user.teams.includes(t)));
}

function send(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
