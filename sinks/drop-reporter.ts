import type { Logger } from '../kernel/logger';

export const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * Counts dropped points and warns about them at most once per interval, with the running
 * total. Drops that happen inside the quiet period are reported by a (non-blocking) timer at
 * the end of it, or at close(): a drop is never silent, and never one log line per point.
 */
export class DropReporter {
  private total = 0;
  private pending = 0;
  private pendingReasons: Record<string, number> = {};
  private lastWarnAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
    private readonly intervalMs = DROP_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get dropped(): number {
    return this.total;
  }

  /** Count `n` dropped points for `reason` (e.g. "buffer_full", "invalid", "rejected"). */
  note(n: number, reason: string): void {
    if (n <= 0) return;
    this.total += n;
    this.pending += n;
    this.pendingReasons[reason] = (this.pendingReasons[reason] ?? 0) + n;
    const t = this.now();
    if (this.lastWarnAt === undefined || t - this.lastWarnAt >= this.intervalMs) {
      this.emit(t);
    } else if (!this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          if (this.pending > 0) this.emit(this.now());
        },
        this.lastWarnAt + this.intervalMs - t,
      );
      this.timer.unref();
    }
  }

  /** Moves `n` points out of the dropped total (they were written after all, e.g. after close). */
  undo(n: number): void {
    this.total = Math.max(0, this.total - n);
  }

  /** Reports what is still unreported and stops the timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending > 0) this.emit(this.now());
  }

  private emit(t: number): void {
    this.log.warn(
      { dropped: this.pending, dropped_total: this.total, reasons: this.pendingReasons },
      `${this.what}: dropped ${this.pending} point${this.pending === 1 ? '' : 's'} (${this.total} in total)`,
    );
    this.pending = 0;
    this.pendingReasons = {};
    this.lastWarnAt = t;
  }
}
