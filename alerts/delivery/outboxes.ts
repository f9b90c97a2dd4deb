import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock';
import { settleWithin } from '../../kernel/settle';
import type { AlertingConfig } from '../config';
import type { Receiver } from '../receivers/types';
import { K, type AlertStore } from '../store/types';
import { DeliveryWorker, type DeliveryMetrics } from './worker';

export interface OutboxesOptions {
  store: AlertStore;
  receivers: readonly Receiver[];
  clock: Clock;
  log: Logger;
  /** Distinguishes workers sharing a store (delivery leases). */
  workerId: string;
  delivery: AlertingConfig['delivery'];
  /** How long the notification log remembers a delivered id. */
  logTtlMs: number;
  metrics?: DeliveryMetrics;
  random?: () => number;
}

/**
 * The receivers' outboxes, one delivery worker each: delivery right after a batch (in the
 * background, so a slow receiver never holds the stream), on every tick, and on shutdown.
 */
export class Outboxes {
  private readonly workers = new Map<string, DeliveryWorker>();
  private delivering: Promise<void> | null = null;

  constructor(private readonly o: OutboxesOptions) {
    for (const receiver of o.receivers) {
      this.workers.set(
        receiver.name,
        new DeliveryWorker({
          store: o.store,
          receiver,
          clock: o.clock,
          log: o.log,
          workerId: o.workerId,
          initialBackoff: o.delivery.initial_backoff,
          maxBackoff: o.delivery.max_backoff,
          leaseMs: o.delivery.lease,
          logTtlMs: o.logTtlMs,
          metrics: o.metrics,
          random: o.random,
        }),
      );
    }
  }

  /**
   * Delivers what the outboxes hold. `all` false (inline, after a batch): waits only for the
   * receivers that are up; a failing one must not hold the batch.
   */
  async deliver(all: boolean): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const w of this.workers.values()) {
      const p = w.pump();
      if (all || w.healthy) waits.push(p);
      else p.catch((err: unknown) => this.o.log.warn({ err, receiver: w.name }, 'delivery pump failed'));
    }
    await Promise.all(waits);
  }

  /** Starts delivery to the receivers that are up, without waiting for it. */
  kick(): void {
    const run: Promise<void> = this.deliver(false)
      .catch((err: unknown) => this.o.log.warn({ err }, 'alert delivery failed; the poll loop retries'))
      .finally(() => {
        if (this.delivering === run) this.delivering = null;
      });
    this.delivering = run;
  }

  /** Resolves when delivery started by kick() has finished. */
  async idle(): Promise<void> {
    while (this.delivering) await this.delivering;
  }

  /** Notifications waiting in the outboxes, all receivers together. */
  async undelivered(): Promise<number> {
    let n = 0;
    for (const name of this.workers.keys()) n += await this.o.store.depth(K.outbox(name));
    return n;
  }

  /** Forget every receiver's backoff (shutdown drain). */
  retryNow(): void {
    for (const w of this.workers.values()) w.retryNow();
  }

  /** Gives up the delivery leases, so another worker delivers at once; waits at most `ms` (the store may be down). */
  async release(ms: number): Promise<void> {
    await settleWithin(Promise.allSettled([...this.workers.values()].map((w) => w.release())), ms);
  }
}
