import type { z } from 'zod';
import type { Clock } from '../kernel/clock';
import type { Logger } from '../kernel/logger';

/** One time-series point, independent of any database client. */
export interface Point {
  /** Measurement (InfluxDB) / metric name: the stream name, or "alerts". */
  measurement: string;
  /** Indexed string dimensions. Empty values are left out when written (InfluxDB rejects them). */
  tags: Record<string, string>;
  /** Values. Numbers are written as floats; non-finite numbers must not be here (see sinks/points.ts). */
  fields: Record<string, number | boolean | string>;
  /** Event time, epoch milliseconds. */
  ts: number;
}

/** Counters a sink keeps; all are running totals except `buffered`, which is a gauge. */
export interface SinkStats {
  /** Points the destination acknowledged (or stored, for in-memory sinks). */
  written: number;
  /** Points accepted by write() and not yet written or dropped: queued, in flight or waiting for a retry. */
  buffered: number;
  /** Points given up on: over the buffer bound, invalid, rejected by the server, out of retries, or discarded at close. */
  dropped: number;
  /** Write requests (batches) that failed, counting every attempt. */
  failedFlushes: number;
  /** Failed batches that were scheduled for another attempt. */
  retries: number;
}

/**
 * A destination for time series. write() never blocks and never throws: it queues up to a
 * bound and counts what it cannot keep. flush() pushes what is queued and resolves once every
 * point written before the call is written (or given up on, counted), rejecting when a write
 * failed meanwhile — the runner awaits it before a batch's state commit (sinks/sink-gate.ts).
 * close() flushes once more, gives up on the rest (counted) and releases timers and sockets.
 */
export interface Sink {
  readonly name: string;
  /** What it writes to, for operators' log lines ("InfluxDB at http://…"). Default: "sink <name>". */
  readonly destination?: string;
  /**
   * Event-time resolution of detector series, ms: at most one point per (stream, key, detector)
   * per interval. 0 or absent: every batch's latest verdict. With several sinks the finest applies.
   */
  readonly resolution?: number;
  write(points: readonly Point[]): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): SinkStats;
  /**
   * True while the sink holds so much unwritten data (destination slow or down) that intake
   * should pause. Optional: sinks that never back up leave it out. (The runner no longer reads
   * it: a batch's commit waits for the flush of its points instead, sinks/sink-gate.ts.)
   */
  saturated?(): boolean;
}

/** One registry row: config schema + factory (same shape as detectors' registry rows). */
export interface SinkFactory<C = unknown> {
  type: string;
  /** One-line description for docs and `--help`. */
  description: string;
  schema: z.ZodType<C>;
  /** `clock`: the wall clock, for the sink's own timing (log rate limits); default the system's. */
  create(config: C, log: Logger, clock?: Clock): Sink;
}
