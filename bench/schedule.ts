/**
 * Open-loop load: event i is due at start + i/rate seconds whatever the system under test does.
 * A sender that falls behind sends the overdue events at once, each still stamped with its
 * intended time, so latency measured from that stamp includes the queueing the system caused
 * (no coordinated omission).
 */
export class OpenLoopSchedule {
  private readonly perMs: number;

  constructor(
    /** Offered rate, events per second. */
    readonly rate: number,
    /** Wall time of event 0, epoch ms. */
    readonly start: number,
    /** Events in the run (Infinity = until stopped). */
    readonly total = Infinity,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number of events per second, got ${rate}`);
    this.perMs = rate / 1000;
  }

  /** Intended send time of event i, epoch ms (fractional). */
  intendedTime(i: number): number {
    return this.start + i / this.perMs;
  }

  /** Events due by wall time `now`: those with intended time <= now (capped at total). */
  dueBy(now: number): number {
    if (now < this.start) return 0;
    const n = Math.floor((now - this.start) * this.perMs + 1e-9) + 1;
    return n < this.total ? n : this.total;
  }

  /** How far behind schedule a sender is that has sent `sent` events by `now` (ms; 0 when on time). */
  lagMs(sent: number, now: number): number {
    const due = this.dueBy(now);
    if (sent >= due) return 0;
    return now - this.intendedTime(sent);
  }

  /** Wall time the run ends (last event due). */
  get end(): number {
    return Number.isFinite(this.total) ? this.intendedTime(this.total - 1) : Infinity;
  }
}
