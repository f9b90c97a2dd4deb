import type { Producer } from 'kafkajs';
import { z } from 'zod';
import type { Clock } from '../../kernel/clock';
import type { Alert } from '../../kernel/types';
import type { Logger } from 'pino';
import type { NotifiedAlert, NotifyContext } from '../notification';

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

/** What a receiver factory may use besides its config entry (from the command line and the wiring). */
export interface ReceiverContext {
  /** From --json: console receivers print JSON lines. */
  json?: boolean;
  color?: boolean;
  env?: NodeJS.ProcessEnv;
  /** A Kafka producer for `kafka` receivers (built only when one is configured). */
  kafkaProducer?: () => Producer;
  /** Wall clock for the times receivers put in what they send (default: the system clock). */
  clock?: Clock;
  /** The firing alerts routed to a receiver (alertmanager-source.ts): what `alertmanager` receivers refresh. */
  firingFor?: (receiver: string) => Promise<NotifiedAlert[]>;
  /** Default base of links to flowwatch's API (generatorURL, externalURL): the API's address, when it is configured. */
  externalUrl?: string;
  log?: Logger;
}

/** One registry row: config schema + factory (the shape detectors' and sinks' registry rows have). */
export interface ReceiverFactory<C = unknown> {
  type: string;
  /** One-line description for docs and `--help`. */
  description: string;
  schema: z.ZodType<C>;
  create(config: C, ctx: ReceiverContext): Receiver;
}

/** A receiver's name, as every receiver config carries it and routes and escalations refer to it. */
export const receiverName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a receiver name like "oncall" (letters, digits, _ . -)');
