import type { Clock } from '../kernel/clock';
import type { Health } from '../kernel/health';
import type { Logger } from '../kernel/logger';
import type { Sink } from './types';

export interface SinkGateOptions {
  sinks: readonly Sink[];
  log: Logger;
  clock: Clock;
  /** Longest hold of state commits (and so of intake) while a sink cannot write, ms. */
  maxPause: number;
  retryDelay: (attempt: number, signal: AbortSignal) => Promise<void>;
  signal: AbortSignal;
  health?: Health;
}

/** One sink's outage, from its first failed flush until a write succeeds again. */
interface Outage {
  since: number;
  /** Past maxPause: batches no longer wait for this sink. */
  givenUp: boolean;
  /** The sink's written count when we gave up: a higher one means a write got through. */
  writtenAtGiveUp: number;
  /** The sink's dropped count when the outage began. */
  droppedBefore: number;
}

/**
 * Flushes of one sink, coalesced: at most FLUSHES_IN_FLIGHT at once and one queued behind them.
 * A caller is answered by a flush that starts after its call, which covers every point written
 * before it — so batches that finish together share one write request instead of one each
 * (~700 batches/s at 20k events/s would otherwise be ~700 requests/s). Two in flight, not one:
 * a batch that arrives just after a flush started is written at once instead of after it.
 */
const FLUSHES_IN_FLIGHT = 2;

class CoalescedFlush {
  private running = 0;
  private next?: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void };
  constructor(private readonly sink: Sink) {}

  request(): Promise<void> {
    if (this.running < FLUSHES_IN_FLIGHT) return this.start();
    if (!this.next) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.next = { promise, resolve, reject };
    }
    return this.next.promise;
  }

  private start(): Promise<void> {
    this.running++;
    const p = this.sink.flush();
    const settled = (): void => {
      this.running--;
      const next = this.next;
      this.next = undefined;
      if (next) this.start().then(next.resolve, next.reject);
    };
    p.then(settled, settled);
    return p;
  }
}

/**
 * Holds a batch's state commit until the time-series sinks have written the batch's points, so a
 * crash before they are written leaves the batch unacknowledged and its replay writes them again
 * (points carry event time, so InfluxDB overwrites the same point rather than adding one).
 *
 * While a sink cannot write, batches are held — intake pauses, heartbeats keep the partitions —
 * and retried with backoff, up to `maxPause` from the start of the outage. Past it, alerting
 * matters more than time series: batches flow without waiting for that sink, which keeps points
 * up to its own bound and drops (and counts) the rest, until one of its writes succeeds again.
 * Each transition is one log line and one readiness report (`sink:<name>`), never one per batch.
 */
export class SinkGate {
  private readonly flushes: Map<Sink, CoalescedFlush>;
  private readonly outages = new Map<Sink, Outage>();

  constructor(private readonly o: SinkGateOptions) {
    this.flushes = new Map(o.sinks.map((s) => [s, new CoalescedFlush(s)]));
  }

  /**
   * Starts the flush that covers every point written so far (call it right after the batch's
   * writes, so the request overlaps the batch's other I/O). Handled: a failure is seen by pass().
   */
  start(): Array<Promise<void> | null> {
    return this.o.sinks.map((s) => {
      const outage = this.outages.get(s);
      if (outage?.givenUp) {
        if (s.stats().written <= outage.writtenAtGiveUp) return null; // still down: the sink retries on its own
        this.recovered(s, outage);
      }
      const p = this.flushes.get(s)!.request();
      p.catch(() => undefined);
      return p;
    });
  }

  /** Waits for the flushes start() began, holding and retrying while a sink fails (see the class). */
  async pass(started: ReadonlyArray<Promise<void> | null>, heartbeat: () => Promise<void>, log: Logger): Promise<void> {
    for (let i = 0; i < this.o.sinks.length; i++) {
      const first = started[i];
      if (first) await this.hold(this.o.sinks[i], first, heartbeat, log);
    }
  }

  private async hold(s: Sink, first: Promise<void>, heartbeat: () => Promise<void>, log: Logger): Promise<void> {
    let attempt = 0;
    for (let flush = first; ; flush = this.flushes.get(s)!.request()) {
      try {
        await flush;
        const outage = this.outages.get(s);
        if (outage) this.recovered(s, outage);
        return;
      } catch (err) {
        const outage = this.failed(s, err, log);
        if (outage.givenUp) return;
        if (this.o.clock.now() - outage.since >= this.o.maxPause) {
          this.giveUp(s, outage, err);
          return;
        }
        if (this.o.signal.aborted) return; // shutting down: close() flushes once more and counts the rest
        await heartbeat().catch(() => undefined);
        await this.o.retryDelay(attempt++, this.o.signal);
      }
    }
  }

  private failed(s: Sink, err: unknown, log: Logger): Outage {
    let outage = this.outages.get(s);
    if (outage) return outage;
    outage = { since: this.o.clock.now(), givenUp: false, writtenAtGiveUp: 0, droppedBefore: s.stats().dropped };
    this.outages.set(s, outage);
    const what = destination(s);
    log.error(
      { err, sink: s.name, stats: s.stats(), maxPauseMs: this.o.maxPause },
      `${what}: write failed; holding batches (state commits and intake) until it is written, at most ${seconds(this.o.maxPause)}`,
    );
    this.o.health?.fail(`sink:${s.name}`, `${what}: writes failing; intake held`);
    return outage;
  }

  private giveUp(s: Sink, outage: Outage, err: unknown): void {
    outage.givenUp = true;
    const stats = s.stats();
    outage.writtenAtGiveUp = stats.written;
    const what = destination(s);
    this.o.log.warn(
      { err, sink: s.name, stats, downMs: this.o.clock.now() - outage.since },
      `${what} still down after ${seconds(this.o.maxPause)}: resuming intake, ${stats.dropped} points dropped so far (${stats.buffered} held for a retry; past the sink's bound points are dropped and counted)`,
    );
    this.o.health?.fail(
      `sink:${s.name}`,
      `${what}: down since ${new Date(outage.since).toISOString()}; points beyond the sink's buffer are dropped`,
    );
  }

  private recovered(s: Sink, outage: Outage): void {
    this.outages.delete(s);
    const stats = s.stats();
    // warn, as the outage was: an operator who sees only warnings must also see it end
    this.o.log.warn(
      { sink: s.name, stats, downMs: this.o.clock.now() - outage.since },
      `${destination(s)} available again (a write succeeded): ${stats.dropped - outage.droppedBefore} points dropped during the outage`,
    );
    this.o.health?.ok(`sink:${s.name}`);
  }
}

function destination(s: Sink): string {
  return s.destination ?? `sink ${s.name}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
