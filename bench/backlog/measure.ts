import { TICKS_PER_SECOND } from '../proc-cpu';

/** One reading during a backlog: wall time (ms), events done so far, the process's CPU ticks (null: unreadable). */
export interface BacklogSample {
  t: number;
  done: number;
  cpuTicks: number | null;
}

/** Throughput and CPU of a consumer between two points of its backlog. */
export interface BacklogWindow {
  /** Events done between the window's two samples. */
  events: number;
  seconds: number | null;
  eventsPerSec: number | null;
  /** Whole-process CPU (user + system, /proc) per event in the window, µs. */
  cpuUsPerEvent: number | null;
  /** Whole-process CPU in the window, % of one core. */
  cpuPct: number | null;
}

/** The measured part of a backlog: from 10 % to 90 % done (the docs' method: start-up and the last partitions' tail left out). */
export const WINDOW = { from: 0.1, to: 0.9 } as const;

/**
 * Figures between the first sample at or past `from` × total and the first at or past `to` ×
 * total. Nulls when the samples do not span two distinct points (a backlog too small to sample
 * at 200 ms: every event done between two readings).
 */
export function backlogWindow(samples: readonly BacklogSample[], total: number, from = WINDOW.from, to = WINDOW.to): BacklogWindow {
  const a = samples.find((s) => s.done >= from * total);
  const b = samples.find((s) => s.done >= to * total);
  const none: BacklogWindow = { events: 0, seconds: null, eventsPerSec: null, cpuUsPerEvent: null, cpuPct: null };
  if (!a || !b || b.t <= a.t || b.done <= a.done) return none;
  const events = b.done - a.done;
  const seconds = (b.t - a.t) / 1000;
  const cpuSeconds = a.cpuTicks === null || b.cpuTicks === null ? null : (b.cpuTicks - a.cpuTicks) / TICKS_PER_SECOND;
  return {
    events,
    seconds: round(seconds, 3),
    eventsPerSec: Math.round(events / seconds),
    cpuUsPerEvent: cpuSeconds === null ? null : round((cpuSeconds * 1e6) / events, 2),
    cpuPct: cpuSeconds === null ? null : round((cpuSeconds / seconds) * 100, 1),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
