/**
 * Durable home of per-key detector and alert state. The pipeline keeps the hot copy in memory
 * and writes changed entries behind once per batch — one round trip, never one per event.
 * Entry ids are "<stream>\u0000<key>" (one per key: its detectors' states together); values are plain JSON.
 */
export interface StateStore {
  /** Everything stored for the given scope (a stream now; a Kafka partition later). */
  loadAll(scope: string): Promise<Map<string, unknown>>;
  /**
   * Applies one batch atomically: changed entries (null = delete) plus the position the batch
   * ends at. A batch whose position is not after the stored one is skipped (returns false), so
   * re-delivered batches are applied exactly once.
   */
  commit(scope: string, position: number | null, changes: ReadonlyMap<string, unknown | null>): Promise<boolean>;
  /**
   * The same commit in two steps: the changes are serialised now (the live entries may change
   * right after, while the next batch is processed) and written by `write()`, which can be
   * retried — every attempt writes the same bytes.
   */
  prepare(scope: string, position: number | null, changes: ReadonlyMap<string, unknown | null>): PreparedCommit;
  /** Last applied position of a scope, or null. */
  position(scope: string): Promise<number | null>;
  close(): Promise<void>;
}

/** A state commit serialised and ready to write; `write()` may be called again after a failure. */
export interface PreparedCommit {
  write(): Promise<boolean>;
}
