import type { Alert } from '../../kernel/types';
import type { NotifyContext } from '../notification';

/**
 * A place notifications are delivered to. One small interface: retry, backoff, dedup, ordering
 * and the outbox belong to the delivery pipeline (alerts/delivery), not here. A receiver says
 * whether a failure is worth retrying by throwing RetryableError or PermanentError; any other
 * error counts as retryable.
 */
export interface Receiver {
  readonly name: string;
  /** Deliver one notification's alerts, in order. `ctx` carries the notification (id, reason, group). */
  notify(alerts: readonly Alert[], ctx?: NotifyContext): Promise<void>;
  close(): Promise<void>;
}

/** Worth trying again later: connection refused, timeout, 5xx, 429. */
export class RetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RetryableError';
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs?: number;
}

/** Will never succeed as sent (4xx other than 408/429, a payload the receiver rejects). */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PermanentError';
  }
}
