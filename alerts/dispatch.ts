import type { Alert } from '../kernel/types';

/**
 * What the runner hands each batch's alert state changes to: `dispatch` once per batch after
 * processing, `close` at the end. The real one is AlertingPipeline (alerts/alerting.ts:
 * routing, grouping, silences, inhibition, flap detection, acks, escalation, outbox, retry).
 */
export interface AlertDispatcher {
  dispatch(alerts: readonly Alert[]): Promise<void>;
  close(): Promise<void>;
}
