import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock';
import type { Notification } from '../notification';
import { PermanentError, RetryableError, type Receiver } from '../receivers/types';
import { K, type AlertStore } from '../store/types';
import { backoffDelay } from '../../kernel/backoff';

export interface DeliveryMetrics {
  notification(receiver: string, outcome: 'sent' | 'failed' | 'retried'): void;
}

export interface DeliveryOptions {
  store: AlertStore;
  receiver: Receiver;
  clock: Clock;
  log: Logger;
  workerId: string;
  initialBackoff: number;
  maxBackoff: number;
  leaseMs: number;
  /** How long the notification log remembers a delivered id. */
  logTtlMs: number;
  metrics?: DeliveryMetrics;
  random?: () => number;
}

/**
 * Drains one receiver's outbox strictly in order: the head is delivered (or rejected for good)
 * before the next, so notifications about one alert arrive in order. One worker at a time holds
 * the receiver's lease; a delivered id goes into the notification log with the removal, so a
 * crash between the two never sends it again. A retryable failure keeps the head and waits
 * (exponential backoff with jitter); a permanent one moves it to the receiver's dead list.
 */
export class DeliveryWorker {
  private running: Promise<void> | null = null;
  private again = false;
  private attempts = 0;
  private nextAttemptAt = 0;
  /** False after a failed attempt, until one succeeds: callers then don't wait for it inline. */
  healthy = true;

  constructor(private readonly o: DeliveryOptions) {}

  /** Lets another worker deliver at once (on shutdown) instead of after the lease expires. */
  async release(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.o.store.release(K.lease(this.o.receiver.name), this.o.workerId);
  }

  /** Forget the backoff (shutdown drain). */
  retryNow(): void {
    this.nextAttemptAt = 0;
  }

  get name(): string {
    return this.o.receiver.name;
  }

  /** Delivers what is queued; concurrent calls share one run (which looks again before it ends). */
  pump(): Promise<void> {
    this.again = true;
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.again) {
      this.again = false;
      await this.drain();
    }
  }

  private async drain(): Promise<void> {
    const { store, receiver, clock, log } = this.o;
    const queue = K.outbox(receiver.name);
    const lease = K.lease(receiver.name);
    for (;;) {
      if (clock.now() < this.nextAttemptAt) return;
      if ((await store.depth(queue)) === 0) return; // nothing to do: no lease needed
      if (!(await store.lease(lease, this.o.workerId, this.o.leaseMs))) return;
      const [head] = (await store.peek(queue, 1)) as Notification[];
      if (!head) {
        await store.release(lease, this.o.workerId);
        return;
      }
      const logKey = K.sent(receiver.name, head.id);
      if (await store.logged(logKey)) {
        await store.ackHead(queue, head.id, logKey, this.o.logTtlMs);
        continue;
      }
      try {
        await receiver.notify(head.alerts, { notification: head });
      } catch (err) {
        if (err instanceof PermanentError) {
          log.error(
            { err: { message: err.message }, receiver: receiver.name, notification: head.id, alerts: head.alerts.map((a) => a.id) },
            'receiver rejected a notification; moved to its dead list',
          );
          this.o.metrics?.notification(receiver.name, 'failed');
          await store.transact([], (_d, w) => w.enqueue(K.dead(receiver.name), head));
          await store.ackHead(queue, head.id, logKey, this.o.logTtlMs);
          continue;
        }
        this.attempts++;
        this.healthy = false;
        const retryAfter = err instanceof RetryableError ? (err.retryAfterMs ?? 0) : 0;
        const delay = Math.min(
          this.o.maxBackoff,
          Math.max(retryAfter, backoffDelay(this.attempts, this.o.initialBackoff, this.o.maxBackoff, this.o.random)),
        );
        this.nextAttemptAt = clock.now() + delay;
        this.o.metrics?.notification(receiver.name, 'retried');
        if (this.attempts === 1 || this.attempts % 10 === 0) {
          log.warn(
            {
              err: { message: (err as Error).message },
              receiver: receiver.name,
              notification: head.id,
              attempt: this.attempts,
              retryInMs: delay,
            },
            'delivery failed; will retry',
          );
        }
        return;
      }
      await store.ackHead(queue, head.id, logKey, this.o.logTtlMs);
      this.o.metrics?.notification(receiver.name, 'sent');
      if (!this.healthy) log.info({ receiver: receiver.name, attempts: this.attempts }, 'receiver is back; delivering the backlog');
      this.attempts = 0;
      this.healthy = true;
    }
  }
}
