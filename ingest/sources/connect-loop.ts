import type { Logger } from 'pino';
import { backoffDelay } from '../../kernel/backoff';

/** Thrown by connectLoop when the stop request came first. */
export class ConnectAborted extends Error {
  constructor(what: string) {
    super(`stopped before ${what} succeeded`);
    this.name = 'ConnectAborted';
  }
}

export interface ConnectLoopOptions {
  /** What is being connected, for the log line ("Kafka consumer for people.raw"). */
  what: string;
  signal: AbortSignal;
  log: Logger;
  /** Told on each failure and on success (readiness). */
  onFailure?: (err: unknown) => void;
  onSuccess?: () => void;
  /** A failure that retrying cannot fix (wrong credentials): thrown at once instead of retried. */
  permanent?: (err: unknown) => boolean;
  /** Pause after the n-th failure (0 = the first), ms (default: the shared policy, 1 s doubling to 30 s, with jitter). */
  backoff?: (attempt: number) => number;
}

/**
 * Runs `attempt` until it succeeds or the stop request comes. Each attempt must be bounded by the
 * client's own timeouts (kafkajs connectionTimeout, requestTimeout, finite retries); an attempt in
 * progress when the stop comes is not waited for — it is left to fail on its own, its result
 * ignored — so a broker that never answers cannot hold a stop (measured before: a worker with
 * KAFKA_BROKERS=127.0.0.1:1 logged "stopping" and never exited). Failures are logged on the first
 * attempt and then every 10th, never per retry of the client.
 */
export async function connectLoop<T>(attempt: () => Promise<T>, o: ConnectLoopOptions): Promise<T> {
  const backoff = o.backoff ?? ((n: number) => backoffDelay(n + 1, 1000, 30_000));
  for (let n = 0; ; n++) {
    if (o.signal.aborted) throw new ConnectAborted(o.what);
    const p = attempt();
    p.catch(() => undefined); // may settle after we stopped waiting for it
    try {
      const result = await untilAborted(p, o.signal);
      if (result.aborted) throw new ConnectAborted(o.what);
      o.onSuccess?.();
      if (n > 0) o.log.info({ attempts: n + 1 }, `${o.what}: connected`);
      return result.value;
    } catch (err) {
      if (err instanceof ConnectAborted) throw err;
      o.onFailure?.(err);
      if (o.permanent?.(err)) throw err;
      if (n === 0 || n % 10 === 0)
        o.log.warn({ err, attempt: n + 1 }, `${o.what}: cannot connect; retrying until it can or the worker is stopped`);
      await sleep(backoff(n), o.signal);
    }
  }
}

/** `p`'s value, or `{ aborted: true }` as soon as the signal fires (p is then left running). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<{ aborted: false; value: T } | { aborted: true }> {
  if (signal.aborted) return Promise.resolve({ aborted: true });
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve({ aborted: true });
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve({ aborted: false, value })),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
