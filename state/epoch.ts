import { FlowwatchError } from '../kernel/errors';

/**
 * A state commit found the scope's stored epoch missing or not the one this worker loaded: the
 * store was wiped (Redis restarted without persistence, FLUSHALL) or replaced (another Redis,
 * a restored backup) since. Nothing of the commit was written. The runner's recovery
 * (worker/store-recovery.ts) re-seeds the store from memory and retries.
 */
export class StoreEpochChangedError extends FlowwatchError {
  constructor(
    readonly scope: string,
    /** The epoch the worker expected for the scope ("" = none stored when it loaded). */
    readonly expected: string,
    /** What the store holds now ("" = nothing: wiped). */
    readonly found: string,
  ) {
    super(
      'FW_STORE_EPOCH_CHANGED',
      `state store epoch changed for ${scope}: expected ${expected || '(none)'}, found ${found || '(none: the store was wiped)'}; nothing was committed`,
      {
        details: { scope, expected, found },
      },
    );
    this.name = 'StoreEpochChangedError';
  }
}

export function isStoreEpochChanged(err: unknown): err is StoreEpochChangedError {
  return err instanceof FlowwatchError && err.code === 'FW_STORE_EPOCH_CHANGED';
}

/** The next epoch after `prev`: the clock (readable in logs and metrics), strictly increasing. */
export function nextEpoch(prev: number | null, now: number = Date.now()): number {
  return Math.max(now, (prev ?? 0) + 1);
}
