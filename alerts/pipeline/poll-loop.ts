import type { Logger } from 'pino';

/** Timers for the poll loop (tests pass their own, or call tick() and never start the loop). */
export interface LoopTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

const realTimers: LoopTimers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

/**
 * Calls `tick` every `intervalMs`, counted from the end of the previous tick (a slow tick never
 * overlaps the next), until stopped. A failed tick is logged and the loop goes on.
 */
export class PollLoop {
  private timer: unknown = null;
  private stopped = false;

  constructor(private readonly o: { tick: () => Promise<void>; intervalMs: number; log: Logger; timers?: LoopTimers }) {}

  start(): void {
    if (this.timer === null) this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) (this.o.timers ?? realTimers).clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = (this.o.timers ?? realTimers).setTimeout(() => {
      this.o
        .tick()
        .catch((err: unknown) => this.o.log.warn({ err }, 'alerting tick failed; trying again'))
        .finally(() => {
          if (!this.stopped) this.arm();
        });
    }, this.o.intervalMs);
  }
}
