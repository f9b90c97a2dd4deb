import type { Logger } from 'pino';
import type { Alert } from '../core/types';
import type { Receiver } from './receivers/types';

/**
 * What the runner hands each batch's alert state changes to: `dispatch` once per batch after
 * processing, `close` at the end. The real one is AlertingPipeline (alerts/alerting.ts:
 * routing, grouping, silences, inhibition, flap detection, acks, escalation, outbox, retry).
 */
export interface AlertDispatcher {
  dispatch(alerts: readonly Alert[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Every receiver gets every alert, now, with no state, retry or dedup: for tools that replay
 * history (backtests) and only want to see the alerts. A failing receiver is logged without
 * stopping the others.
 */
export class FanOutDispatcher implements AlertDispatcher {
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
