import type { RawRecord } from '../../kernel/types';

/** What a source hands the pipeline: records plus the time they bring. */
export interface SourceBatch {
  records: RawRecord[];
  /**
   * Clock time at the end of the batch for sources that carry their own clock (simulator:
   * simulated time). Absent for live sources, which use the injected wall clock.
   */
  time?: number;
  /** Monotonic position for exactly-once state commits (offset, line number). */
  position?: number;
  /** Scope the position belongs to (a partition); defaults to the source name. */
  scope?: string;
  /** Called once the batch's state, alerts and dead letters are durable. */
  ack?(): Promise<void>;
  /** Keeps group membership alive while a slow batch (Redis or a receiver down) is retried. */
  heartbeat?(): Promise<void>;
  /**
   * Drops the records at or below `position` (already in the state store). Sources that can
   * deliver a record again after a rebalance implement it; the runner calls it with the store's
   * position, read after the scope's commits in flight have landed.
   */
  skipUpTo?(position: number): void;
}

export interface Source {
  readonly name: string;
  /** Streams this source feeds. */
  readonly streams: readonly string[];
  /** Whether the source replays history (event time drives time-based detectors, not the wall clock). */
  readonly replay: boolean;
  batches(signal: AbortSignal): AsyncIterable<SourceBatch>;
  /**
   * Sources whose partitions can move to another worker (a Kafka consumer group) call `listener`
   * after each (re)join: the runner then forgets its in-memory state and reloads each partition
   * from the state store at its next batch. Sources that own all they read leave it out.
   */
  onRebalance?(listener: () => void): void;
}
