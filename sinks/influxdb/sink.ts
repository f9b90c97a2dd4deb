import * as http from 'node:http';
import * as https from 'node:https';
import {
  HttpError,
  InfluxDB,
  type CommunicationObserver,
  type SendOptions,
  type Transport,
  type WriteApi,
  type WriteOptions,
} from '@influxdata/influxdb-client';
import { FlowwatchError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { DropReporter } from '../drop-reporter';
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
  /** Most time a point waits in the client's batch before it is sent, ms. */
  flushInterval: number;
  /** Event-time resolution of detector series, ms (see Sink.resolution). Default 0: every batch's latest verdict. */
  resolution?: number;
  /** Most points per write request. */
  batchSize: number;
  /** Most points held (queued, in flight or waiting for a retry); more are dropped and counted. */
  maxBufferPoints: number;
  /** Retries of a failed batch after the first attempt. */
  maxRetries: number;
  /** HTTP socket timeout per request, ms. */
  timeout: number;
  /** First retry delay, ms (default 1000); later ones grow by exponentialBase up to maxRetryDelay. */
  minRetryDelay?: number;
  /** Longest retry delay, ms (default 30000). */
  maxRetryDelay?: number;
  /** Growth of retry delays (default 2). */
  exponentialBase?: number;
  /** A batch is given up this long after its first attempt, whatever maxRetries says, ms (default 180000). */
  maxRetryTime?: number;
  /** Request bodies larger than this many bytes are gzipped (default 1000). */
  gzipThreshold?: number;
  /** Least time between two "dropped points" warnings, ms (default 10000). */
  dropLogIntervalMs?: number;
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

type Outcome = 'written' | 'dropped';

/** `p`'s value, or false if it has not settled within `ms` (the timer goes as soon as it has). */
function within(p: Promise<boolean>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    void p.then((v) => (clearTimeout(timer), resolve(v)));
  });
}

/** The HTTP status of a failed write (HttpError), duck-typed; undefined for network errors. */
function httpStatus(error: unknown): number | undefined {
  if (error instanceof HttpError) return error.statusCode;
  const s = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Writes points to InfluxDB (1.8 through its v2 compatibility API, or 2.x) with
 * @influxdata/influxdb-client's WriteApi: batches of `batchSize` lines or every
 * `flushInterval`, gzipped bodies, retries with exponential backoff.
 *
 * Bounding and accounting. The client's `maxBufferLines` bounds only its retry buffer: lines
 * waiting in the current batch or in flight are not counted against it, and lines it discards
 * when it is closed with a non-empty retry buffer are only logged (no hook). So this sink keeps
 * its own counter in front: `buffered` = accepted − written − given up, and write() drops (and
 * counts) points that would take it over `maxBufferPoints`. What the client gives up on is
 * counted through its hooks: writeFailed on the last attempt (retries exhausted, a 4xx other
 * than 429, max retry time passed, or the API closed), writeRetrySkipped when its retry buffer
 * sheds lines (cannot happen while the front bound holds, counted anyway), and at close
 * whatever is still unaccounted. Every drop shows in stats().dropped and in a rate-limited
 * warning.
 */
export class InfluxDbSink implements Sink {
  readonly name: string;
  readonly url: string;
  readonly destination: string;
  readonly resolution: number;
  private readonly log: Logger;
  private readonly api: WriteApi;
  private readonly agent: http.Agent;
  private readonly secrets: string[];
  private readonly detachClientLog: () => void;
  private readonly drops: DropReporter;
  private readonly maxBuffer: number;
  private readonly maxRetries: number;
  private readonly timeout: number;

  /** Lines handed to the client. */
  private accepted = 0;
  private written = 0;
  /** Accepted lines the client gave up on (hooks). */
  private lost = 0;
  /** Accepted lines still unaccounted when the sink closed. */
  private discarded = 0;
  private failedFlushes = 0;
  private retries = 0;
  private failStreak = 0;
  private lastError: unknown;
  /** Each batch is one array through all its attempts: count its fate once. */
  private readonly outcome = new WeakMap<string[], Outcome>();

  /** Write requests sent so far (each gets the next number) and those not answered yet. */
  private sent = 0;
  private readonly pending = new Set<number>();
  private waiters: Array<{ upTo: number; done: () => void }> = [];

  private closing = false;
  /** The client API is closed: it retries nothing any more, a failure is final. */
  private apiClosed = false;
  /** Unaccounted lines were counted as discarded; later outcomes only correct that. */
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
    if (!(Number.isInteger(opts.maxRetries) && opts.maxRetries >= 0)) throw new FlowwatchError('FW_SINK', `influxdb sink: maxRetries must be a non-negative integer, got ${opts.maxRetries}`);
    this.maxBuffer = opts.maxBufferPoints;
    this.maxRetries = opts.maxRetries;
    this.timeout = opts.timeout;
    this.secrets = secretsOf(opts.token);
    this.drops = new DropReporter(this.log, `${this.name} sink`, opts.dropLogIntervalMs);

    let protocol: string;
    try {
      protocol = new URL(opts.url).protocol;
    } catch {
      throw new FlowwatchError('FW_SINK', `influxdb sink: invalid url ${JSON.stringify(redact(opts.url, this.secrets))}`);
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw new FlowwatchError('FW_SINK', `influxdb sink: url must be http or https, got ${this.url}`);
    // Own agent: keep-alive between batches; destroyed at close so no socket outlives the sink.
    this.agent = protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });

    this.detachClientLog = attachClientLog(this.log, this.secrets);
    const base = new InfluxDB({ url: opts.url, token: opts.token, timeout: opts.timeout, transportOptions: { agent: this.agent } }).transport;
    const writeOptions: Partial<WriteOptions> = {
      batchSize: Math.min(opts.batchSize, opts.maxBufferPoints),
      flushInterval: opts.flushInterval,
      gzipThreshold: opts.gzipThreshold ?? 1000,
      maxBufferLines: opts.maxBufferPoints,
      maxRetries: opts.maxRetries,
      maxRetryTime: opts.maxRetryTime ?? 180_000,
      minRetryDelay: opts.minRetryDelay ?? 1000,
      maxRetryDelay: opts.maxRetryDelay ?? 30_000,
      exponentialBase: opts.exponentialBase ?? 2,
      randomRetry: true,
      retryJitter: 200,
      writeSuccess: (lines) => this.onSuccess(lines),
      writeFailed: (error, lines, attempt, expires) => {
        this.onFailed(error, lines, attempt, expires);
        // undefined: let the client retry (or give up) as usual
      },
      writeRetrySkipped: (entry) => this.markDropped(entry.lines, 'retry_buffer_full'),
    };
    this.api = new InfluxDB({ url: opts.url, transport: this.countingTransport(base) }).getWriteApi(opts.org, opts.bucket, 'ms', writeOptions);
    this.log.info(
      { url: this.url, org: opts.org, bucket: opts.bucket, auth: opts.token === '' ? 'none' : 'token', batch_size: writeOptions.batchSize, flush_interval_ms: opts.flushInterval, max_buffer_points: opts.maxBufferPoints, max_retries: opts.maxRetries },
      'influxdb sink ready',
    );
  }

  write(points: readonly Point[]): void {
    if (points.length === 0) return;
    if (this.closing) {
      this.drops.note(points.length, 'closed');
      return;
    }
    let room = this.maxBuffer - this.buffered();
    const lines: string[] = [];
    let invalid = 0;
    let over = 0;
    for (const p of points) {
      const line = toLine(p);
      if (line === null) invalid++;
      else if (room <= 0) over++;
      else {
        lines.push(line);
        room--;
      }
    }
    if (lines.length > 0) {
      this.accepted += lines.length;
      try {
        this.api.writeRecords(lines);
      } catch {
        // only when the API is closed, which `closing` already rules out
        this.accepted -= lines.length;
        this.drops.note(lines.length, 'closed');
      }
    }
    this.drops.note(invalid, 'invalid');
    this.drops.note(over, 'buffer_full');
  }

  /**
   * Sends the current batch and everything waiting for a retry, and waits for the requests in
   * flight (each ends within the socket timeout). Resolves only when they were all answered;
   * rejects with FW_SINK when a request failed meanwhile or went unanswered; the points stay
   * buffered for their next attempt unless that was their last.
   */
  async flush(): Promise<void> {
    if (this.closing) return;
    const failuresBefore = this.failedFlushes;
    let error: unknown;
    // Bounded: the client's flush also resends its retry buffer, and against a server that accepts
    // connections and never answers (paused, SIGSTOP) it was seen not to settle for minutes — the
    // runner holds batches on this promise and must get an answer.
    const sent = this.api.flush(true).then(
      () => true,
      (e: unknown) => ((error = e), true),
    );
    const inTime = await within(sent, this.timeout + 1000);
    if (!inTime && error === undefined) error = new Error(`flush not done within ${this.timeout + 1000} ms`);
    // Unanswered past the socket timeout: not written, whatever the client says later — the
    // caller must not treat the points as durable.
    const answered = await this.waitSent(this.timeout + 1000);
    if (error === undefined && this.failedFlushes > failuresBefore) error = this.lastError;
    if (error === undefined && !answered) error = new Error(`no answer within ${this.timeout + 1000} ms`);
    if (error !== undefined) {
      const err = describeError(error, this.secrets);
      throw new FlowwatchError('FW_SINK', `influxdb sink: write to ${this.url} failed: ${err.message}`, {
        details: { ...err, buffered: this.buffered(), dropped: this.drops.dropped },
      });
    }
  }

  /**
   * Flushes once more (errors are logged, not thrown), waits for requests in flight (each ends
   * within the socket timeout), gives up on the rest — counted as dropped — and releases
   * timers and sockets. Never rejects; calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (!this.closePromise) {
      this.closing = true;
      this.closePromise = this.doClose();
    }
    return this.closePromise;
  }

  stats(): SinkStats {
    return { written: this.written, buffered: this.buffered(), dropped: this.drops.dropped, failedFlushes: this.failedFlushes, retries: this.retries };
  }

  /** Half the bound: intake pauses (backpressure) before points would be dropped. */
  saturated(): boolean {
    return this.buffered() >= this.maxBuffer / 2;
  }

  private buffered(): number {
    return Math.max(0, this.accepted - this.written - this.lost - this.discarded);
  }

  private async doClose(): Promise<void> {
    try {
      await this.api.flush(true);
    } catch {
      // the writeFailed hook logged it
    }
    try {
      await this.api.close(); // discards the client's retry buffer (it only logs how many)
    } catch {
      // the writeFailed hook logged it
    }
    this.apiClosed = true;
    await this.waitSent(this.timeout + 1000);
    const left = this.buffered();
    this.settled = true;
    if (left > 0) {
      this.discarded += left;
      this.drops.note(left, 'closed');
    }
    this.drops.close();
    this.agent.destroy();
    this.detachClientLog();
    this.log.info({ ...this.stats(), discarded_at_close: left }, 'influxdb sink closed');
  }

  private onSuccess(lines: string[]): void {
    const prev = this.outcome.get(lines);
    if (prev === 'written') return;
    this.outcome.set(lines, 'written');
    const n = lines.length;
    if (prev === 'dropped') {
      // counted as given up, written after all
      if (this.settled) {
        const k = Math.min(n, this.discarded);
        this.discarded -= k;
        this.drops.undo(k);
      } else {
        this.lost -= n;
        this.drops.undo(n);
      }
    } else if (this.settled) {
      const k = Math.min(n, this.discarded);
      this.discarded -= k;
      this.drops.undo(k);
    }
    this.written += n;
    if (this.failStreak > 0) {
      this.log.info({ failed_flushes: this.failStreak, points: n, buffered: this.buffered() }, 'influxdb write succeeded again');
      this.failStreak = 0;
    }
  }

  private onFailed(error: Error, lines: string[], attempt: number, expires: number): void {
    this.failedFlushes++;
    this.failStreak++;
    this.lastError = error;
    const status = httpStatus(error);
    // The same decision WriteApiImpl.sendBatch makes (influxdb-client 1.35): it retries when the
    // API is open, attempts are left, and the error is not an HTTP status below 429. A batch
    // past its retry time fails without a request and is never sent again.
    const final = this.apiClosed || attempt > this.maxRetries || (status !== undefined && status < 429) || expires <= Date.now();
    const fields = { error: describeError(error, this.secrets), attempt, points: lines.length, url: this.url };
    if (final) {
      this.markDropped(lines, status !== undefined && status < 429 ? 'rejected' : 'write_failed');
      this.log.error({ ...fields, buffered: this.buffered() }, `influxdb write failed, ${lines.length} points dropped`);
    } else {
      this.retries++;
      this.log.warn({ ...fields, max_retries: this.maxRetries, buffered: this.buffered() }, 'influxdb write failed, will retry');
    }
  }

  private markDropped(lines: string[], reason: string): void {
    if (this.outcome.has(lines)) return;
    this.outcome.set(lines, 'dropped');
    if (this.settled) return; // already counted as discarded at close
    this.lost += lines.length;
    this.drops.note(lines.length, reason);
  }

  /** The client's transport, numbering write requests so flush() and close() can wait for those in flight. */
  private countingTransport(base: Transport): Transport {
    return {
      send: (path: string, body: string, options: SendOptions, callbacks?: Partial<CommunicationObserver<Uint8Array>>) => {
        const id = ++this.sent;
        this.pending.add(id);
        const settle = (): void => {
          if (!this.pending.delete(id)) return;
          if (this.waiters.length > 0) this.waiters = this.waiters.filter((w) => (this.answeredUpTo(w.upTo) ? (w.done(), false) : true));
        };
        base.send(path, body, options, {
          ...callbacks,
          error: (e: Error) => {
            settle();
            callbacks?.error?.(e);
          },
          complete: () => {
            settle();
            callbacks?.complete?.();
          },
        });
      },
      request: (path, body, options, responseStarted) => base.request(path, body, options, responseStarted),
      iterate: (path, body, options) => base.iterate(path, body, options),
      chunkCombiner: base.chunkCombiner,
    };
  }

  private answeredUpTo(upTo: number): boolean {
    for (const id of this.pending) if (id <= upTo) return false;
    return true;
  }

  /** Resolves true once every request sent so far has been answered (or failed), false after maxMs. */
  private waitSent(maxMs: number): Promise<boolean> {
    const upTo = this.sent;
    if (this.answeredUpTo(upTo)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.done !== done);
        resolve(false);
      }, maxMs);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push({ upTo, done });
    });
  }
}
