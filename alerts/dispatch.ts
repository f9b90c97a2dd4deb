import type { Logger } from 'pino';
import type { Alert } from '../core/types';
import type { Receiver } from './receivers/types';

/**
 * Delivers a batch of alert state changes to every receiver. Routing, retries and the outbox
 * come with the alerting issue; today every receiver gets every alert, and a failing receiver
 * is logged without stopping the others.
 */
export class AlertDispatcher {
  sent = 0;
  failed = 0;
  constructor(
    private readonly receivers: readonly Receiver[],
    private readonly log: Logger,
  ) {}

  async dispatch(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    const results = await Promise.allSettled(this.receivers.map((r) => r.notify(alerts)));
    results.forEach((res, i) => {
      if (res.status === 'fulfilled') this.sent += alerts.length;
      else {
        this.failed += alerts.length;
        this.log.error({ err: res.reason, receiver: this.receivers[i].name, alerts: alerts.length }, 'alert delivery failed');
      }
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.receivers.map((r) => r.close()));
  }
}
