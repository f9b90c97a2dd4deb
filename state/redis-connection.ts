import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * One way to open Redis for every store: commands wait (queued) while Redis is down instead of
 * failing, so a batch is held rather than lost; connection errors are logged at most every 10 s
 * (never an unhandled 'error' event, never per command). The password may come from
 * REDIS_PASSWORD instead of the URL, so it stays out of config files.
 */
export function openRedis(url: string, log: Logger | undefined, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    password: process.env.REDIS_PASSWORD || undefined,
    retryStrategy: (times) => Math.min(200 * times, 5000),
    ...extra,
  });
  let lastLog = -Infinity;
  let suppressed = 0;
  redis.on('error', (err: NodeJS.ErrnoException) => {
    const now = Date.now();
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

/** Closes politely when connected (pending replies arrive first), at once when Redis is unreachable. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}
