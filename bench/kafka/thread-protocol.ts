import type { BenchConfigInputs } from './config';
import type { WorkerCounters } from './worker';

/** What a kafka-scenario worker thread is started with (workerData). */
export interface BenchThreadStart {
  /** 1-based. */
  index: number;
  /** Rebuilt in the thread (benchConfig): a validated config is not guaranteed to survive structured cloning. */
  config: BenchConfigInputs;
  id: string;
  /** topic → stream */
  topicToStream: Array<[string, string]>;
  alerting?: 'full' | 'direct';
  /** direct alerting: the thread's JSONL file, `{thread}` standing for its index. */
  alertsFile: string;
  logLevel: string;
}

export type ToBenchThread = { type: 'stop' };

export type FromBenchThread =
  | { type: 'ready' }
  /**
   * One committed batch, posted as soon as its onBatch ran: the records' send times, when the
   * state commit returned (the thread's clock: wall time, sub-ms), when processing began, when
   * each record's fetch arrived; the thread's running totals.
   */
  | {
      type: 'batch';
      stamps: Float64Array;
      committedAt: number;
      startedAt: number;
      receivedAt: Float64Array | null;
      counters: WorkerCounters;
    }
  /** send → alert delivered, ms, of an alert a batch's event raised. */
  | { type: 'alert'; ms: number }
  | { type: 'error'; message: string }
  | { type: 'stopped' };
