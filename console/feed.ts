import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AlertingPipeline } from '../alerts/alerting';
import { Access, type ApiUser } from '../api/access';
import type { BoardState } from './board';
import { BoardCache, type BoardEntry, type BoardRound } from './board-cache';
import { CONSOLE_HEADERS } from './assets';
import type { Sessions } from './session';

/** How often the store is read while a board is open and little changes: a change reaches open boards within this plus one read. */
export const FEED_INTERVAL_MS = 500;
/**
 * The longest wait between reads, when most of the board changed at the last one: the issue's
 * bound is 1 s from a change reaching the store to the boards, and a read of a few hundred alerts
 * takes milliseconds.
 */
export const FEED_COALESCE_MS = 900;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_EVERY = 30;

/** One open board: who watches it, and which alerts it holds (what it may see). */
interface Client {
  res: ServerResponse;
  user: ApiUser;
  session?: string;
  holds: Set<string>;
}

/** One read's news for every board: the entries that changed, and the frames already built for an audience. */
interface Round {
  read: BoardRound;
  upsert: BoardEntry[];
  silencesChanged: boolean;
  sentAt: number;
  frames: Map<string, Buffer>;
}

/**
 * The console's live board over server-sent events. On connect a client gets the whole board
 * (`snapshot`); then, while any board is open, the shared alert store is read every
 * FEED_INTERVAL_MS and only what changed is pushed: `alerts` ({upsert, remove}, by fingerprint)
 * and `silences` (the list, when it changed). Reading the store rather than hooking dispatch
 * means alerts from every worker sharing the store reach the board. No board open, no reads.
 * Each board gets only the alerts (and silences) its user may see; an alert handed away from
 * the user's teams is removed from it. A board whose session ends gets `expired` and is closed.
 *
 * What a read costs the worker: an alert unchanged since the last read is neither decorated nor
 * serialised again (BoardCache), a changed one once whatever the number of boards, and each
 * message is built once per audience (admin, or a set of teams) and written to every board of
 * that audience as the same bytes.
 */
export class LiveFeed {
  private readonly clients = new Set<Client>();
  private readonly cache: BoardCache;
  private last = new Map<string, BoardEntry>();
  private lastSilences = '';
  private timer?: NodeJS.Timeout;
  private reading = false;
  private ticks = 0;
  /** The share of the board that changed at the last read (0–1): the more, the longer the next wait. */
  private churn = 0;

  constructor(private readonly o: { alerting: AlertingPipeline; access: Access; sessions: Sessions; log: Logger; intervalMs?: number }) {
    this.cache = new BoardCache(o);
  }

  get open(): number {
    return this.clients.size;
  }

  async subscribe(req: IncomingMessage, res: ServerResponse, user: ApiUser, session?: string): Promise<void> {
    const read = await this.cache.read();
    res.writeHead(200, {
      ...CONSOLE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const alerts = [...read.entries.values()].filter((e) => Access.sees(user, e.teams));
    const client: Client = { res, user, session, holds: new Set(alerts.map((e) => e.fingerprint)) };
    const silences = JSON.stringify(silencesFor(user, read.silences, alerts));
    res.write(
      `event: snapshot\ndata: {"alerts":[${alerts.map((e) => e.json).join(',')}],"silences":${silences},"sentAt":${Date.now()}}\n\n`,
    );
    this.clients.add(client);
    req.on('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stop();
    });
    if (!this.timer) {
      this.last = read.entries;
      this.lastSilences = read.silencesJson;
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
   * The next read. Where most of the board changes between reads (hundreds of alert changes a
   * second), reading more often only sends the same alerts more often: the wait grows with the
   * share of the board that changed, from the interval to FEED_COALESCE_MS, and each board gets
   * every alert's latest state once per read (profiled: a read's cost is the alerts it
   * serialises and writes, so fewer reads of a churning board is the saving that counts). After
   * a slow read it is at least twice that read's time, so a large board (a read of 10,000 alerts
   * takes ~0.2 s) costs the worker at most about a third of a core however busy the store is.
   */
  private next(lastReadMs: number): void {
    const wait = feedWait(this.o.intervalMs ?? FEED_INTERVAL_MS, this.churn, lastReadMs);
    const handle: NodeJS.Timeout = setTimeout(() => {
      const started = Date.now();
      void this.read().then(() => {
        // Only this chain goes on: stopped (or stopped and started again) meanwhile, it ends here.
        if (this.timer === handle && this.clients.size > 0) this.next(Date.now() - started);
      });
    }, wait);
    this.timer = handle;
  }

  /** One read of the store; the differences go to every open board. A read still running is not overtaken. */
  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const read = await this.cache.read();
      const upsert: BoardEntry[] = [];
      // Unchanged entries are the very objects of the last read (BoardCache): identity first, text only when it differs.
      for (const e of read.entries.values()) {
        const was = this.last.get(e.fingerprint);
        if (was !== e && was?.json !== e.json) upsert.push(e);
      }
      let gone = 0;
      for (const fp of this.last.keys()) if (!read.entries.has(fp)) gone++;
      this.churn = churnOf(upsert.length, gone, read.entries.size);
      const silencesChanged = read.silencesJson !== this.lastSilences;
      this.last = read.entries;
      this.lastSilences = read.silencesJson;
      ++this.ticks;
      const round: Round = { read, upsert, silencesChanged, sentAt: Date.now(), frames: new Map() };
      for (const c of this.clients) this.push(c, round);
    } catch (err) {
      this.o.log.warn({ err }, 'console feed: reading the alert store failed; open boards keep what they have');
      for (const c of this.clients) send(c.res, 'problem', { message: 'the alert store did not answer; retrying', sentAt: Date.now() });
    } finally {
      this.reading = false;
    }
  }

  private push(c: Client, d: Round): void {
    // An open board is use of its session (a wall screen stays signed in) until the session's end.
    if (c.session && !this.o.sessions.use(c.session)) {
      send(c.res, 'expired', { message: 'the console session has ended; sign in again' });
      c.res.end();
      return;
    }
    // What a board held and is gone from the store (asked of the board itself: it may have joined between two reads).
    const remove = [...c.holds].filter((fp) => !d.read.entries.has(fp));
    for (const fp of remove) c.holds.delete(fp);
    const upsert: BoardEntry[] = [];
    for (const e of d.upsert) {
      if (Access.sees(c.user, e.teams)) {
        upsert.push(e);
        c.holds.add(e.fingerprint);
      } else if (c.holds.delete(e.fingerprint)) remove.push(e.fingerprint);
    }
    if (upsert.length || remove.length) {
      // What a board is sent depends only on its audience and what it held: boards alike share one frame.
      const key = `${c.user.admin ? '*' : c.user.teams.join('\n')}\u0000${remove.join('\n')}`;
      let frame = d.frames.get(key);
      if (frame === undefined) {
        const list = upsert.map((e) => e.json).join(',');
        frame = Buffer.from(`event: alerts\ndata: {"upsert":[${list}],"remove":${JSON.stringify(remove)},"sentAt":${d.sentAt}}\n\n`);
        d.frames.set(key, frame);
      }
      c.res.write(frame);
    }
    if (d.silencesChanged) {
      const visible = [...c.holds].map((fp) => d.read.entries.get(fp)).filter((e): e is BoardEntry => e !== undefined);
      send(c.res, 'silences', { silences: silencesFor(c.user, d.read.silences, visible) });
    }
    if (this.ticks % KEEPALIVE_EVERY === 0) c.res.write(': keepalive\n\n');
  }
}

/** The wait before the next read (LiveFeed.next): from `base` up to FEED_COALESCE_MS with the churn, at least twice the last read. */
export function feedWait(base: number, churn: number, lastReadMs: number): number {
  const coalesced = base + (Math.max(base, FEED_COALESCE_MS) - base) * Math.min(1, Math.max(0, churn));
  return Math.max(coalesced, 2 * lastReadMs);
}

/** The share of the board that changed at a read: alerts upserted or gone, of all there were or are. */
export function churnOf(upserts: number, gone: number, now: number): number {
  return Math.min(1, (upserts + gone) / Math.max(1, now + gone));
}

/** The silences a board shows: admins all; others their teams' and those touching an alert they see. */
function silencesFor(user: ApiUser, silences: BoardState['silences'], visible: readonly BoardEntry[]): BoardState['silences'] {
  if (user.admin) return silences;
  const touching = new Set(visible.flatMap((e) => e.silences));
  return silences.filter((s) => touching.has(s.id) || (s.teams ?? []).some((t) => user.teams.includes(t)));
}

function send(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
