import * as http from 'node:http';
import * as https from 'node:https';
import { HttpError, InfluxDB, type Headers, type SendOptions, type Transport } from '@influxdata/influxdb-client';
import { systemClock, type Clock } from '../../kernel/clock';
import { FlowwatchError } from '../../kernel/errors';
import type { Logger } from '../../kernel/logger';
import { DROP_LOG_INTERVAL_MS, DropReporter } from '../drop-reporter';
import type { Point, Sink, SinkStats } from '../types';
import { toLine } from './line-protocol';
import { attachClientLog, describeError, redact, secretsOf } from './redact';

export interface InfluxDbSinkOptions {
  /** Sink name in logs and stats. Default "influxdb". */
  name?: string;
  /** Base URL, e.g. http://127.0.0.1:8086 (no /api/v2). */
  url: string;
  /** '' when auth is off; "user:password" for InfluxDB 1.8 with auth on; an API token for 2.x. Never logged. */
  token: string;
  /** Ignored by InfluxDB 1.8 ('-'). */
  org: string;
  /** "database/retention-policy" on 1.8, e.g. "flowwatch/autogen". */
  bucket: string;
  /** Most time a point waits in the open batch before it is sent, ms. */
  flushInterval: number;
  /** Event-time resolution of detector series, ms (see Sink.resolution). Default 0: every batch's latest verdict. */
  resolution?: number;
  /** Most points per write request. */
  batchSize: number;
  /** Most points held (open batch, queued, in flight or waiting for a retry); past it the oldest are dropped and counted. */
  maxBufferPoints: number;
  /**
   * Quick retries while InfluxDB cannot be written: that many retries with a growing delay
   * (minRetryDelay, ×exponentialBase each time), each logged as a warning. After them the sink
   * keeps retrying every maxRetryDelay, quietly, until the write succeeds — it never gives up a
   * point for the number of attempts; only the buffer bound or close() drops held points.
   */
  maxRetries: number;
  /** HTTP socket timeout per request, ms. */
  timeout: number;
  /** First retry delay, ms (default 1000); later quick retries grow by exponentialBase up to maxRetryDelay. */
  minRetryDelay?: number;
  /** Longest retry delay, and the delay between retries once the quick ones are used up, ms (default 30000). */
  maxRetryDelay?: number;
  /** Growth of retry delays (default 2). */
  exponentialBase?: number;
  /** Request bodies larger than this many bytes are gzipped (default 1000). */
  gzipThreshold?: number;
  /** Least time between two "dropped points" warnings, ms (default 10000). */
  dropLogIntervalMs?: number;
  /** Wall clock for the drop warnings' rate limit (default: the system clock). */
  clock?: Clock;
}

/** The URL without user:password, for logs and messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable url)';
  }
}

/** The HTTP status of a failed write (HttpError), duck-typed; undefined for network errors and timeouts. */
function httpStatus(error: unknown): number | undefined {
  if (error instanceof HttpError) return error.statusCode;
  const s = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** InfluxDB refused the data itself (4xx other than 429): sending it again cannot help. */
function isRejection(error: unknown): boolean {
  const status = httpStatus(error);
  return status !== undefined && status < 429;
}

/** Requests at once while InfluxDB answers (the agent's socket limit). While it fails, and until what it held is written: one. */
const MAX_IN_FLIGHT = 4;

/** Sealed lines, numbered in the order they were written: retries and recovery go by `seq`. */
interface Batch {
  /** Its first lines' number (batches merged into it had higher, consecutive ones). */
  seq: number;
  lines: string[];
  /** Sent by the sink's own retry timer while InfluxDB was failing: its failure lengthens the backoff. */
  probe: boolean;
  /** Counted as dropped at close while still in flight: a late success undoes that. */
  discarded: boolean;
}

/**
 * Writes points to InfluxDB (1.8 through its v2 compatibility API, or 2.x) with the
 * @influxdata/influxdb-client transport (keep-alive agent, gzipped bodies, socket timeout):
 * batches of `batchSize` lines or every `flushInterval`.
 *
 * Why not the client's WriteApi: it gives a batch up after `maxRetries` attempts or
 * `maxRetryTime`, however empty its buffer — so a 60 s outage dropped points far under the
 * bound — and it retries batches in the order of their random retry times, so after an outage an
 * older point could overwrite a newer one's series. Here every held point is in one FIFO:
 *
 * - A write that fails because InfluxDB is unreachable, times out, or answers 5xx or 429 keeps
 *   its batch at its place in the queue. From then on only the oldest batch is sent (a probe),
 *   after a backoff: `maxRetries` quick retries with a growing delay, then one every
 *   `maxRetryDelay`, with no limit in attempts or time. The first success sends the rest, oldest
 *   first. flush() probes at once (the sink gate supplies its own backoff).
 * - Points are dropped only (a) past `maxBufferPoints` — held = open batch + queued + in flight;
 *   the oldest points not in flight go first (`buffer_full`), since the newest are the ones an
 *   operator looks at after an outage; (b) when InfluxDB rejects them (4xx other than 429:
 *   `rejected`, at once, never retried); (c) invalid points (`invalid`); (d) whatever is still
 *   held when close() has made its one last attempt (`closed`). Every drop shows in
 *   stats().dropped and in a rate-limited warning.
 */
export class InfluxDbSink implements Sink {
  readonly name: string;
  readonly url: string;
  readonly destination: string;
  readonly resolution: number;
  private readonly log: Logger;
  private readonly transport: Transport;
  private readonly path: string;
  private readonly sendOptions: SendOptions;
  private readonly agent: http.Agent;
  private readonly secrets: string[];
  private readonly detachClientLog: () => void;
  private readonly drops: DropReporter;
  private readonly maxBuffer: number;
  private readonly batchSize: number;
  private readonly flushInterval: number;
  private readonly maxRetries: number;
  private readonly timeout: number;
  private readonly minRetryDelay: number;
  private readonly maxRetryDelay: number;
  private readonly exponentialBase: number;
  private readonly clock: Clock;

  private written = 0;
  /** Points counted as dropped at close that were still in flight (a late success moves them back). */
  private discarded = 0;
  private failedFlushes = 0;
  private retries = 0;
  private lastError: unknown;

  /** Lines not yet in a batch; sent after flushInterval or when batchSize is reached. */
  private open: string[] = [];
  private flushTimer?: NodeJS.Timeout;
  private seq = 0;
  /** Sealed batches not in flight, oldest first (failed ones keep their place). */
  private queue: Batch[] = [];
  private queuedLines = 0;
  private readonly inFlight = new Set<Batch>();
  private inFlightLines = 0;

  /** Failed rounds since the last successful write (0: InfluxDB answers); picks the retry delay. */
  private failStreak = 0;
  /**
   * Batches held through a failure are still queued: send one at a time, oldest first, so they
   * land in the order they were written (concurrent requests may arrive in any order).
   */
  private catchingUp = false;
  private retryTimer?: NodeJS.Timeout;
  /** When the bound last forced points out with a warning naming it (at most one per dropLogInterval). */
  private boundWarnedAt = -Infinity;
  private readonly dropLogInterval: number;
  /** The next send is flush()'s immediate probe, not a retry the sink scheduled. */
  private flushProbe = false;
  /** Called after every answer (and eviction): flush() and close() wait on them. */
  private readonly listeners = new Set<() => void>();

  private closing = false;
  /** close()'s last attempt failed: nothing more is sent. */
  private stopped = false;
  private settled = false;
  private closePromise?: Promise<void>;

  constructor(opts: InfluxDbSinkOptions, log: Logger) {
    this.name = opts.name ?? 'influxdb';
    this.resolution = opts.resolution ?? 0;
    this.url = safeUrl(opts.url);
    this.destination = `InfluxDB at ${this.url}`;
    this.log = log.child({ component: 'sink', sink: this.name });
    for (const [k, v] of Object.entries({ batchSize: opts.batchSize, maxBufferPoints: opts.maxBufferPoints, timeout: opts.timeout })) {
      if (!(Number.isInteger(v) && v > 0)) throw new FlowwatchError('FW_SINK', `influxdb sink: ${k} must be a positive integer, got ${v}`);
    }
    if (!(Number.isInteger(opts.maxRetries) && opts.maxRetries >= 0))
      throw new FlowwatchError('FW_SINK', `influxdb sink: maxRetries must be a non-negative integer, got ${opts.maxRetries}`);
    this.maxBuffer = opts.maxBufferPoints;
    this.batchSize = Math.min(opts.batchSize, opts.maxBufferPoints);
    this.flushInterval = opts.flushInterval;
    this.maxRetries = opts.maxRetries;
    this.timeout = opts.timeout;
    this.minRetryDelay = Math.max(1, opts.minRetryDelay ?? 1000);
    this.maxRetryDelay = Math.max(this.minRetryDelay, opts.maxRetryDelay ?? 30_000);
    this.exponentialBase = Math.max(1, opts.exponentialBase ?? 2);
    this.secrets = secretsOf(opts.token);
    this.dropLogInterval = opts.dropLogIntervalMs ?? DROP_LOG_INTERVAL_MS;
    this.clock = opts.clock ?? systemClock;
    this.drops = new DropReporter(this.log, `${this.name} sink`, this.dropLogInterval, () => this.clock.now());

    let protocol: string;
    try {
      protocol = new URL(opts.url).protocol;
    } catch {
      throw new FlowwatchError('FW_SINK', `influxdb sink: invalid url ${JSON.stringify(redact(opts.url, this.secrets))}`);
    }
    if (protocol !== 'http:' && protocol !== 'https:')
      throw new FlowwatchError('FW_SINK', `influxdb sink: url must be http or https, got ${this.url}`);
    // Own agent: keep-alive between batches; destroyed at close so no socket outlives the sink.
    this.agent =
      protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT })
        : new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });

    this.detachClientLog = attachClientLog(this.log, this.secrets);
    this.transport = new InfluxDB({
      url: opts.url,
      token: opts.token,
      timeout: opts.timeout,
      transportOptions: { agent: this.agent },
    }).transport;
    this.path = `/api/v2/write?org=${encodeURIComponent(opts.org)}&bucket=${encodeURIComponent(opts.bucket)}&precision=ms`;
    this.sendOptions = {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      gzipThreshold: opts.gzipThreshold ?? 1000,
    };
    this.log.info(
      {
        url: this.url,
        org: opts.org,
        bucket: opts.bucket,
        auth: opts.token === '' ? 'none' : 'token',
        batch_size: this.batchSize,
        flush_interval_ms: opts.flushInterval,
        max_buffer_points: opts.maxBufferPoints,
        max_retries: opts.maxRetries,
      },
      'influxdb sink ready',
    );
  }

  write(points: readonly Point[]): void {
    if (points.length === 0) return;
    if (this.closing) {
      this.drops.note(points.length, 'closed');
      return;
    }
    let lines: string[] = [];
    let invalid = 0;
    for (const p of points) {
      const line = toLine(p);
      if (line === null) invalid++;
      else lines.push(line);
    }
    this.drops.note(invalid, 'invalid');
    if (lines.length === 0) return;
    const over = this.buffered() + lines.length - this.maxBuffer;
    let overflowed = false;
    if (over > 0) {
      overflowed = true;
      // Oldest first: queued batches, then the open one; what is in flight cannot be taken back,
      // so if that is all there is, the oldest of the new lines go.
      const left = this.evictOldest(over);
      if (left > 0) {
        lines = lines.slice(left);
        this.drops.note(left, 'buffer_full');
      }
    }
    for (const line of lines) {
      this.open.push(line);
      if (this.open.length >= this.batchSize) this.seal();
    }
    if (this.open.length > 0 && !this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.seal();
      }, this.flushInterval);
      this.flushTimer.unref();
    }
    if (overflowed) this.boundReached();
    this.pump();
  }

  /**
   * Sends the open batch and waits until every point written before the call is written (or
   * dropped). While InfluxDB is failing it probes at once instead of waiting for the backoff.
   * Bounded: rejects with FW_SINK as soon as a request fails meanwhile, or when no answer came
   * within the socket timeout + 1 s — the sink gate holds batches on this promise and must get
   * an answer; the points stay held for their next attempt.
   */
  async flush(): Promise<void> {
    if (this.closing) return;
    this.seal();
    const upTo = this.seq;
    const failuresBefore = this.failedFlushes;
    if (this.failStreak > 0) this.clearRetryTimer(); // probe now; the timer is set again if it fails
    this.flushProbe = true;
    this.pump();
    this.flushProbe = false;
    const answered = await this.waitUntil(() => this.failedFlushes > failuresBefore || !this.holds(upTo), this.timeout + 1000);
    let error: unknown;
    if (this.failedFlushes > failuresBefore) error = this.lastError;
    else if (!answered) error = new Error(`no answer within ${this.timeout + 1000} ms`);
    if (error !== undefined) {
      const err = describeError(error, this.secrets);
      throw new FlowwatchError('FW_SINK', `influxdb sink: write to ${this.url} failed: ${err.message}`, {
        details: { ...err, buffered: this.buffered(), dropped: this.drops.dropped },
      });
    }
  }

  /**
   * Makes one last attempt to write everything held, oldest first (stopping at the first
   * failure that is not a rejection, or when no answer came within the socket timeout + 1 s),
   * counts the rest as dropped (`closed`) and releases timers and sockets. Never rejects;
   * calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (!this.closePromise) {
      this.closing = true;
      this.closePromise = this.doClose();
    }
    return this.closePromise;
  }

  stats(): SinkStats {
    return {
      written: this.written,
      buffered: this.buffered(),
      dropped: this.drops.dropped,
      failedFlushes: this.failedFlushes,
      retries: this.retries,
    };
  }

  /** Half the bound: intake pauses (backpressure) before points would be dropped. */
  saturated(): boolean {
    return this.buffered() >= this.maxBuffer / 2;
  }

  private buffered(): number {
    return this.settled ? 0 : this.open.length + this.queuedLines + this.inFlightLines;
  }

  /** Whether a batch numbered upTo or lower is still queued or in flight (the open batch is sealed first). */
  private holds(upTo: number): boolean {
    if (this.queue.length > 0 && this.queue[0].seq <= upTo) return true;
    for (const b of this.inFlight) if (b.seq <= upTo) return true;
    return false;
  }

  private seal(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.open.length === 0) return;
    this.queue.push({ seq: ++this.seq, lines: this.open, probe: false, discarded: false });
    this.queuedLines += this.open.length;
    this.open = [];
    this.pump();
  }

  /** Drops up to `n` of the oldest held lines that are not in flight; returns how many it could not. */
  private evictOldest(n: number): number {
    let dropped = 0;
    while (dropped < n && this.queue.length > 0) {
      const head = this.queue[0];
      const k = Math.min(n - dropped, head.lines.length);
      if (k === head.lines.length) this.queue.shift();
      else head.lines = head.lines.slice(k);
      this.queuedLines -= k;
      dropped += k;
    }
    if (dropped < n && this.open.length > 0) {
      const k = Math.min(n - dropped, this.open.length);
      this.open = this.open.slice(k);
      dropped += k;
    }
    if (dropped > 0) {
      this.drops.note(dropped, 'buffer_full');
      this.notify();
    }
    return n - dropped;
  }

  /** The drop warnings count; this says why (at most once per drop-log interval, not once per write). */
  private boundReached(): void {
    const now = this.clock.now();
    if (now - this.boundWarnedAt < this.dropLogInterval) return;
    this.boundWarnedAt = now;
    this.log.warn(
      { max_buffer_points: this.maxBuffer, buffered: this.buffered(), failed_rounds: this.failStreak, dropped_total: this.drops.dropped },
      `influxdb sink holds its bound of ${this.maxBuffer} points (max_buffer_points): dropping the oldest to make room for new ones`,
    );
  }

  /**
   * Sends queued batches: up to MAX_IN_FLIGHT while InfluxDB answers; while it fails, only the
   * oldest, once its retry is due; after a failure, one at a time until the queue is empty.
   */
  private pump(): void {
    if (this.stopped || this.settled) return;
    const down = this.failStreak > 0;
    if (down && this.retryTimer) return;
    if (this.catchingUp && this.queue.length === 0 && this.inFlight.size === 0) this.catchingUp = false;
    const limit = down || this.catchingUp ? 1 : MAX_IN_FLIGHT;
    while (this.queue.length > 0 && this.inFlight.size < limit) {
      const b = this.queue.shift()!;
      // Batches that queued up (each flush seals one, however small) go as one request, up to
      // batchSize: a backlog after an outage is not sent one small request at a time.
      while (this.queue.length > 0 && b.lines.length + this.queue[0].lines.length <= this.batchSize)
        b.lines = b.lines.concat(this.queue.shift()!.lines);
      this.queuedLines -= b.lines.length;
      // flush()'s probes come at the caller's pace (the sink gate backs off on its own): only the
      // sink's own retries count toward the quick ones.
      b.probe = down && !this.flushProbe;
      this.send(b);
    }
  }

  private send(b: Batch): void {
    this.inFlight.add(b);
    this.inFlightLines += b.lines.length;
    let status: number | undefined;
    let headers: Headers | undefined;
    let answered = false;
    const answer = (error: Error | undefined): void => {
      if (answered) return;
      answered = true;
      this.onAnswer(b, error);
    };
    this.transport.send(this.path, b.lines.join('\n'), this.sendOptions, {
      responseStarted: (h: Headers, statusCode?: number) => {
        headers = h;
        status = statusCode;
      },
      error: (e: Error) => answer(e),
      complete: () => {
        // 204 from InfluxDB; older transports report no status. Anything else is not a write.
        if (status === undefined || status === 204 || status === 201) answer(undefined);
        else {
          const e = new HttpError(
            status,
            `204 HTTP response status code expected, but ${status} returned`,
            undefined,
            '0',
            undefined,
            undefined,
            headers,
          );
          answer(e);
        }
      },
    });
  }

  private onAnswer(b: Batch, error: Error | undefined): void {
    this.inFlight.delete(b);
    this.inFlightLines -= b.lines.length;
    if (b.discarded) {
      // counted as dropped at close; written after all
      if (error === undefined) {
        this.written += b.lines.length;
        this.discarded -= b.lines.length;
        this.drops.undo(b.lines.length);
      }
    } else if (error === undefined) this.onWritten(b);
    else this.onFailed(b, error);
    this.notify();
    this.pump();
  }

  private onWritten(b: Batch): void {
    this.written += b.lines.length;
    if (this.failStreak > 0) {
      this.log.info(
        { failed_rounds: this.failStreak, points: b.lines.length, buffered: this.buffered(), dropped: this.drops.dropped },
        'influxdb write succeeded again',
      );
      this.failStreak = 0;
      this.clearRetryTimer();
    }
  }

  private onFailed(b: Batch, error: Error): void {
    this.failedFlushes++;
    this.lastError = error;
    const fields = { error: describeError(error, this.secrets), points: b.lines.length, url: this.url };
    if (isRejection(error)) {
      this.drops.note(b.lines.length, 'rejected');
      this.log.error({ ...fields, buffered: this.buffered() }, `influxdb write failed, ${b.lines.length} points dropped`);
      return;
    }
    // Unreachable, timed out, 5xx or 429: back to its place in the queue.
    this.catchingUp = true;
    let i = 0;
    while (i < this.queue.length && this.queue[i].seq < b.seq) i++;
    this.queue.splice(i, 0, b);
    this.queuedLines += b.lines.length;
    if (this.closing) {
      this.stopped = true; // close() made its last attempt
      return;
    }
    this.retries++;
    // Requests already in flight when InfluxDB went away fail together (one round, not several);
    // flush()'s probes are the caller's retries, not the sink's.
    const counted = this.failStreak === 0 || b.probe;
    if (counted) this.failStreak++;
    else if (this.retryTimer) return;
    const attempt = this.failStreak;
    const delay = this.retryDelay(attempt, error);
    const held = {
      ...fields,
      attempt,
      buffered: this.buffered(),
      max_buffer_points: this.maxBuffer,
      max_retries: this.maxRetries,
      retry_in_ms: delay,
    };
    if (!counted) this.log.debug(held, 'influxdb write failed, will retry');
    else if (attempt <= this.maxRetries) this.log.warn(held, 'influxdb write failed, will retry');
    else if (attempt === this.maxRetries + 1) {
      this.log.warn(
        held,
        `influxdb still failing after ${this.maxRetries} quick retries: holding ${this.buffered()} points (bound ${this.maxBuffer}) and retrying at least every ${Math.round(this.maxRetryDelay / 100) / 10} s until written; past the bound the oldest are dropped`,
      );
    } else if (attempt > this.maxRetries) this.log.debug(held, 'influxdb write failed, will retry');
    this.clearRetryTimer();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
    this.retryTimer.unref();
  }

  /**
   * Quick retries: random between minRetryDelay·base^(n-1) and the next step, capped at
   * maxRetryDelay; after maxRetries of them, maxRetryDelay. A Retry-After from InfluxDB (429,
   * 503) is honoured when longer.
   */
  private retryDelay(attempt: number, error: Error): number {
    let delay = this.maxRetryDelay;
    if (attempt <= this.maxRetries) {
      const lo = Math.min(this.minRetryDelay * this.exponentialBase ** (attempt - 1), this.maxRetryDelay);
      const hi = Math.min(lo * this.exponentialBase, this.maxRetryDelay);
      delay = lo + Math.random() * (hi - lo);
    }
    delay += Math.random() * Math.min(200, this.minRetryDelay); // several workers do not retry in step
    const retryAfter = error instanceof HttpError ? error.retryAfter() : 0;
    return Math.round(Math.max(delay, retryAfter));
  }

  private clearRetryTimer(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves true once `cond` holds (checked now and after every answer), false after maxMs. */
  private waitUntil(cond: () => boolean, maxMs: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const check = (): void => {
        if (!cond()) return;
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        resolve(false);
      }, maxMs);
      timer.unref();
      this.listeners.add(check);
    });
  }

  private async doClose(): Promise<void> {
    this.seal();
    this.clearRetryTimer();
    // One last attempt, oldest first: pump() sends one batch at a time while InfluxDB was
    // failing, all of them otherwise; the first failure that is not a rejection stops it.
    this.pump();
    let progress = this.written + this.drops.dropped + this.failedFlushes;
    for (;;) {
      const answered = await this.waitUntil(
        () => this.stopped || !this.holds(this.seq) || this.written + this.drops.dropped + this.failedFlushes !== progress,
        this.timeout + 1000,
      );
      if (!answered || this.stopped || !this.holds(this.seq)) break;
      progress = this.written + this.drops.dropped + this.failedFlushes;
    }
    this.stopped = true;
    const left = this.buffered();
    for (const b of this.inFlight) b.discarded = true;
    this.discarded += this.inFlightLines;
    this.settled = true;
    this.queue = [];
    this.queuedLines = 0;
    this.open = [];
    if (left > 0) this.drops.note(left, 'closed');
    this.drops.close();
    this.agent.destroy();
    this.detachClientLog();
    this.log.info({ ...this.stats(), discarded_at_close: left }, 'influxdb sink closed');
  }
}
