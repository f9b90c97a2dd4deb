import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../kernel/clock';

/**
 * Longest a Redis command may wait for its reply, ms, queued or sent. A paused Redis (SIGSTOP, a
 * long fork) keeps the socket open and never answers: without a bound a batch's commit, and with it
 * the shutdown, waited as long as the pause (40 s measured). A command that times out is retried by
 * the runner; every write is idempotent (the state commit by its position, alert writes by id), so a
 * reply that was only late costs a retry, not a double count. Redis answers our largest commit (a
 * merged batch of 20k records) in well under 100 ms.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;

/**
 * One way to open Redis for every store. Commands FAIL while Redis is unreachable or does not
 * answer, instead of queueing forever: the offline queue only bridges a reconnect (flushed with an
 * error after one failed attempt) and every command has REDIS_COMMAND_TIMEOUT_MS. The caller holds
 * the batch and retries (the runner's `durable()`: heartbeats, backoff, stops when asked to), so a
 * batch is still held rather than lost, and a stop request is never stuck behind a queued command.
 * Connection errors are logged at most every 10 s (never an unhandled 'error' event, never per
 * command; `clock` paces them). The password may come from REDIS_PASSWORD instead of the URL, so it stays out of config files.
 */
export function openRedis(url: string, log: Logger | undefined, extra: RedisOptions = {}, clock: Clock = systemClock): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 5000,
    password: process.env.REDIS_PASSWORD || undefined,
    retryStrategy: (times) => Math.min(200 * times, 5000),
    ...extra,
  });
  let lastLog = -Infinity;
  let suppressed = 0;
  redis.on('error', (err: NodeJS.ErrnoException) => {
    const now = clock.now();
    if (now - lastLog < 10_000) {
      suppressed++;
      return;
    }
    lastLog = now;
    log?.warn({ code: err.code, message: err.message, suppressed, redis: redactUrl(url) }, 'redis unavailable; retrying');
    suppressed = 0;
  });
  redis.on('ready', () => {
    if (lastLog > -Infinity) log?.info({ redis: redactUrl(url) }, 'redis available again');
    lastLog = -Infinity;
  });
  return redis;
}

/** redis://user:secret@host:6379 → redis://user:***@host:6379 */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/**
 * Closes politely when connected (pending replies arrive first, at most QUIT's command timeout), at
 * once when Redis is unreachable or does not answer.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}
