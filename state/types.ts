/**
 * Durable home of per-key detector and alert state. The pipeline keeps the hot copy in memory
 * and writes changed entries behind once per batch — one round trip, never one per event.
 * Entry ids are "<stream>\u0000<key>" (one per key: its detectors' states together); values are plain-JSON
 * content, stored in the binary form of state/codec.ts (JSON written by earlier releases is read too).
 */
export interface StateStore {
  /** Everything stored for the given scope (a stream now; a Kafka partition later). */
  loadAll(scope: string): Promise<Map<string, unknown>>;
  /**
   * Applies one batch atomically: changed entries (null = delete; a value given as bytes is taken
   * as already in the stored form of state/codec.ts and written as it is) plus the position the batch
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
  /**
   * The store's epoch: the generation of its contents, written with every commit. A commit whose
   * scope's stored epoch is missing or not the one loaded (the store was wiped or replaced) writes
   * nothing and rejects with StoreEpochChangedError (FW_STORE_EPOCH_CHANGED). Null until the
   * store is first used. Optional members: a store without epochs (a test fake) never rejects so,
   * and the runner cannot re-seed it.
   */
  readonly epoch?: number | null;
  /** Starts a new epoch after a wipe (adopts the one another worker started, if any); returns it. */
  renewEpoch?(): Promise<number>;
  /**
   * Replaces a scope's stored state with `rows` (the worker's live copy: entries and watermarks),
   * and its position when not null, under the current epoch, atomically. Later commits of the
   * scope expect that epoch.
   */
  reseed?(scope: string, rows: ReadonlyMap<string, unknown>, position: number | null): Promise<void>;
  /** Re-seeding after a wipe is over: readiness is reported as ok again. */
  recovered?(): void;
}

/** A state commit serialised and ready to write; `write()` may be called again after a failure. */
export interface PreparedCommit {
  write(): Promise<boolean>;
}
