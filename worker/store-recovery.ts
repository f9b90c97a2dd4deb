import type { Logger } from 'pino';
import type { Alert } from '../kernel/types';
import type { AlertDispatcher } from '../alerts/dispatch';
import { markResent } from '../alerts/identity';
import type { StateStore } from '../state/types';
import { isStoreEpochChanged, type StoreEpochChangedError } from '../state/epoch';
import type { SourceBatch } from '../ingest/sources/types';

export interface StoreRecoveryOptions {
  pipeline: {
    snapshotScope(scope: string): Map<string, unknown>;
    firingAlerts(scope: string): Alert[];
  };
  store: StateStore;
  dispatcher: AlertDispatcher;
  log: Logger;
  /** Scopes (partitions) whose state this worker holds in memory now. */
  scopes: () => Iterable<string>;
  /** Per scope, the last position this worker knows the store applied. */
  positions: ReadonlyMap<string, number>;
}

/**
 * Recovery when the state store was wiped or replaced under a running worker (docs/state.md):
 * a commit rejected with FW_STORE_EPOCH_CHANGED → start a new epoch → re-seed every scope the
 * worker holds in memory (all rows, watermarks, last known position) → notify the alerts firing
 * in them again, marked as re-sent (the alert store lost them too, and without them their
 * resolve would find nothing to resolve) → run the commit again. Partitions not in memory cannot
 * be re-seeded: they start empty from where the source resumes, reported at load.
 */
export class StoreRecovery {
  private running: Promise<void> | null = null;
  /** The store was re-seeded but the firing alerts could not be sent yet: sent before the next commit. */
  private resendDue = false;

  constructor(private readonly o: StoreRecoveryOptions) {}

  /**
   * Runs a commit; when the store's epoch changed, recovers (once per wipe) and runs it again.
   * Resolves like the commit: true when the batch's own scope was applied.
   */
  async commit(write: () => Promise<boolean>): Promise<boolean> {
    if (this.resendDue) await this.resend();
    try {
      return await write();
    } catch (err) {
      if (!isStoreEpochChanged(err) || !this.o.store.renewEpoch || !this.o.store.reseed) throw err;
      if (!new Set(this.o.scopes()).has(err.scope)) {
        // The partition moved away (rebalance) while its commit was in flight: there is nothing to
        // re-seed it from here, and retrying would never succeed. Not applied: its new owner reads
        // the batch again from the committed offset.
        this.o.log.warn(
          { scope: err.scope, expected: err.expected, found: err.found },
          'state store epoch changed for a partition this worker no longer holds: its batch is left to the new owner',
        );
        return false;
      }
      // Concurrent commits of other partitions fail on the same wipe: one recovery serves them all.
      this.running ??= this.recover(err).finally(() => (this.running = null));
      await this.running;
      return write();
    }
  }

  private async recover(err: StoreEpochChangedError): Promise<void> {
    const { store, pipeline, log } = this.o;
    const scopes = [...this.o.scopes()];
    log.error(
      { err, scope: err.scope, expected: err.expected, found: err.found, scopes },
      'state store was wiped or replaced (epoch changed): commits stopped; re-seeding it from the state this worker holds in memory',
    );
    const previous = store.epoch ?? null;
    const epoch = await store.renewEpoch!();
    let rows = 0;
    for (const scope of scopes) {
      const snapshot = pipeline.snapshotScope(scope);
      rows += snapshot.size;
      const position = this.o.positions.get(scope) ?? -1; // -1: none stored when loaded
      await store.reseed!(scope, snapshot, position >= 0 ? position : null);
    }
    this.resendDue = true;
    const alerts = await this.resend();
    log.warn(
      { previousEpoch: previous, epoch, scopes, rows, resentFiring: alerts },
      'state store re-seeded; commits resume; firing alerts notified again, marked re-sent',
    );
  }

  /**
   * Notifies the alerts firing now in the scopes held, marked; returns how many. Taken afresh at
   * each attempt (an alert that resolved meanwhile is not re-sent). The recovery is over once it
   * succeeds: readiness is ok again.
   */
  private async resend(): Promise<number> {
    const alerts: Alert[] = [];
    for (const scope of this.o.scopes()) for (const a of this.o.pipeline.firingAlerts(scope)) alerts.push(markResent(a));
    await this.o.dispatcher.dispatch(alerts);
    this.resendDue = false;
    this.o.store.recovered?.();
    return alerts.length;
  }

  /**
   * A scope was loaded from the store. Nothing stored although the source resumes past its start
   * (offset > 0): the store was wiped (or is new) while no worker held this partition — its state
   * cannot be re-seeded and starts empty from here. Said at error: detectors re-learn their
   * baselines and alerts firing before the wipe are not resolved by this worker.
   */
  scopeLoaded(scope: string, rows: ReadonlyMap<string, unknown> | undefined, position: number | null, batch: SourceBatch): void {
    // Only sources that re-deliver by offset (Kafka: they can skip what the store holds) resume past a start that means something.
    if (position !== null || (rows && rows.size > 0) || batch.position === undefined || !batch.skipUpTo) return;
    const firstOffset = batch.position - batch.records.length + 1;
    if (firstOffset <= 0) return;
    this.o.log.error(
      { scope, resumesAt: firstOffset, epoch: this.o.store.epoch ?? null },
      'state store holds nothing for this partition although the source resumes past its start: the store was wiped (or is new) while no worker held it; its state starts empty from here',
    );
  }
}
