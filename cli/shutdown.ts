import type { Logger } from 'pino';
import { formatDuration } from '../kernel/duration';

/** Exit codes of `flowwatch run` (README, "Stopping and exit codes"). */
export const EXIT = {
  /** Stopped (signal, --duration, input ended) with everything processed made durable. */
  ok: 0,
  /** Failed, or stopped while a batch was held (a store down): that batch was not acked and is read again. */
  error: 1,
  /** Invalid config or usage. */
  usage: 2,
  /** Shutdown did not finish within --shutdown-timeout (as timeout(1) reports a timeout). */
  shutdownTimeout: 124,
  /** A second SIGINT / SIGTERM: exit at once (128 + signal number, what a shell reports for a kill). */
  SIGINT: 130,
  SIGTERM: 143,
} as const;

/** The process side effects, injected so the watchdog and second-signal logic are tested without a process or sleeps. */
export interface ShutdownHooks {
  /** Arms a one-shot timer that must not keep the process alive; returns its cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
  /** One line to stderr, written before the process ends. */
  write(line: string): void;
  exit(code: number): never | void;
}

export const processHooks: ShutdownHooks = {
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
  write: (line) => void process.stderr.write(line + '\n'),
  exit: (code) => process.exit(code),
};

export interface ShutdownOptions {
  /** Longest time from the stop request (signal, --duration, input ended) to exit, ms. */
  timeoutMs: number;
  /** The one summary line (events, alerts, rejects so far), printed on every exit. */
  summary: () => string;
  hooks: ShutdownHooks;
  log: Logger;
}

/**
 * Bounded shutdown for a worker. The watchdog starts when the stop is asked for — not once the
 * pipeline has drained: a store that does not answer (Redis paused) kept a drain waiting 40 s, and
 * one that is unreachable kept it forever. A second signal exits at once. Every exit, clean or
 * forced, prints the summary line exactly once.
 */
export class Shutdown {
  private readonly controller = new AbortController();
  private cancelWatchdog?: () => void;
  private signals = 0;
  private exited = false;

  constructor(private readonly o: ShutdownOptions) {}

  /** Aborted at the first stop request: sources stop taking records, held batches stop retrying. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A stop request (the first signal, --duration): abort and start the watchdog. */
  stop(why: string): void {
    if (this.controller.signal.aborted) return;
    this.o.log.info({ why, shutdownTimeoutMs: this.o.timeoutMs }, 'stopping: finishing the batch in flight');
    this.controller.abort(why);
    this.armWatchdog();
  }

  /** SIGINT / SIGTERM: the first stops cleanly, the second exits at once. */
  onSignal(sig: 'SIGINT' | 'SIGTERM'): void {
    this.signals++;
    if (this.signals === 1) return this.stop(sig);
    this.exit(EXIT[sig], `second ${sig}: exiting at once (batches not yet durable are not acked; they are read again)`);
  }

  /**
   * Starts the watchdog if no stop request did (the input ended by itself): closing connections
   * is I/O too, and must be bounded as well.
   */
  armWatchdog(): void {
    if (this.cancelWatchdog || this.exited) return;
    this.cancelWatchdog = this.o.hooks.setTimer(
      () =>
        this.exit(EXIT.shutdownTimeout, `shutdown did not finish within ${formatDuration(this.o.timeoutMs)} (--shutdown-timeout); exiting`),
      this.o.timeoutMs,
    );
  }

  /** The run is over (cleanly or not): summary line, then exit with `code`. Later calls do nothing. */
  exit(code: number, why?: string): void {
    if (this.exited) return;
    this.exited = true;
    this.cancelWatchdog?.();
    if (why) this.o.hooks.write(`flowwatch: ${why}`);
    this.o.hooks.write(this.o.summary());
    this.o.hooks.exit(code);
  }
}

/** What the summary line counts (the runner's RunSummary, or a part of it before the runner started). */
export interface SummaryCounts {
  events: number;
  alerts: number;
  rejects: number;
  eventsByStream?: Record<string, number>;
  rejectsByReason?: Record<string, number>;
}

/** `flowwatch: stopped after 20s: 1200 events (people 700, goods 500), 3 alert notifications, 2 rejects (late 2)` */
export function summaryLine(s: SummaryCounts, wallMs: number): string {
  const list = (r: Record<string, number> | undefined) =>
    Object.entries(r ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const perStream = list(s.eventsByStream);
  const reasons = list(s.rejectsByReason);
  return `flowwatch: stopped after ${formatDuration(wallMs)}: ${s.events} events${perStream ? ` (${perStream})` : ''}, ${s.alerts} alert notifications, ${s.rejects} rejects${s.rejects > 0 && reasons ? ` (${reasons})` : ''}`;
}
