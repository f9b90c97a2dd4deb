import type { Alert } from '../../core/types';

/** A place alerts are delivered to. Retry and dedup belong to the delivery pipeline, not here. */
export interface Receiver {
  readonly name: string;
  /** Deliver a batch of alert state changes, in order. */
  notify(alerts: readonly Alert[]): Promise<void>;
  close(): Promise<void>;
}
