import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { HealthProblem } from '../../kernel/health';
import type { RunSummary } from '../../worker/runner';

/** What a decode/detect thread is started with (workerData). */
export interface ThreadStart {
  /** 1-based, as it appears in logs (`thread`) and metrics (label `thread`). */
  index: number;
  configFile?: string;
  json?: boolean;
  color: boolean;
}

/** Main thread → a worker thread. */
export type ToThread =
  /** Stop taking records, finish and commit the batches in flight, then report `done`. */
  | { type: 'stop'; why: string }
  /** A /metrics scrape: answer `metrics` with the same id. */
  | { type: 'metrics'; id: number };

/** A worker thread → the main thread. */
export type FromThread =
  /** The thread's counters so far (every second, and before `done`): the process's summary line adds them up. */
  | { type: 'stats'; summary: RunSummary }
  /** The thread's readiness problems, whenever they change. */
  | { type: 'health'; problems: HealthProblem[] }
  | { type: 'metrics'; id: number; metrics: Array<MetricObjectWithValues<MetricValue<string>>> }
  /**
   * The thread's run is over: `code` as `flowwatch run` would exit with it alone, `message` why it
   * failed (when it did), `stopping` whether it had been asked to stop.
   */
  | { type: 'done'; code: number; message?: string; summary: RunSummary };
