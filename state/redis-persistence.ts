import type Redis from 'ioredis';
import type { Logger } from 'pino';

/** What Redis says about its persistence, from CONFIG GET or, where CONFIG is disabled, INFO. */
export interface PersistenceSettings {
  source: 'config' | 'info' | 'none';
  /** AOF on (true), off (false), or not known. */
  aof: boolean | null;
  appendfsync?: string;
  /** The RDB `save` schedule ("" = no snapshots); from CONFIG only. */
  save?: string;
  /** Why the settings could not be read, when source is 'none'. */
  error?: string;
}

export interface PersistenceVerdict {
  persisted: boolean;
  /** One line: what is wrong, why it matters, how to fix it (or what is fine). */
  message: string;
}

const FIX =
  'run Redis with appendonly yes and appendfsync everysec (redis.conf, or CONFIG SET appendonly yes; on managed Redis enable AOF/persistence in the service settings)';
const LOSS =
  'a Redis restart wipes detector state, partition positions and the alert outbox, and alert changes are never notified (measured: 8 of 77); the worker detects the wipe by the store epoch and re-seeds what it holds in memory, but partitions it does not hold restart empty';

/** Judges the settings (pure: unit-tested on hand-written cases). */
export function judgePersistence(s: PersistenceSettings): PersistenceVerdict {
  if (s.aof === true) {
    const fsync = s.appendfsync ?? 'unknown';
    return {
      persisted: true,
      message: `Redis persists state with AOF (appendfsync ${fsync})${fsync === 'no' ? '; appendfsync no leaves flushing to the OS: a machine crash may lose more than a second of commits' : ''}`,
    };
  }
  if (s.source === 'none')
    return {
      persisted: false,
      message: `cannot tell whether Redis persists state (CONFIG and INFO failed: ${s.error ?? 'unknown error'}); if it does not, ${LOSS}; ${FIX}`,
    };
  if (s.aof === false && s.save)
    return {
      persisted: false,
      message: `Redis persists state only by RDB snapshots (save "${s.save}"): a restart loses every commit since the last snapshot, and ${LOSS.replace('a Redis restart wipes', 'rolls back')}; ${FIX}`,
    };
  if (s.aof === false && s.source === 'info')
    return {
      persisted: false,
      message: `Redis has AOF off (INFO persistence; CONFIG is disabled, so RDB snapshots are unknown): ${LOSS}; ${FIX}`,
    };
  return { persisted: false, message: `Redis does not persist state (appendonly no, no RDB save): ${LOSS}; ${FIX}` };
}

/** Reads the settings: CONFIG GET where allowed, INFO persistence where CONFIG is renamed or forbidden (managed Redis). */
export async function readPersistence(redis: Redis): Promise<PersistenceSettings> {
  try {
    const flat = (await redis.call('CONFIG', 'GET', 'appendonly', 'appendfsync', 'save')) as string[];
    const cfg = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) cfg.set(flat[i], flat[i + 1]);
    if (cfg.has('appendonly'))
      return { source: 'config', aof: cfg.get('appendonly') === 'yes', appendfsync: cfg.get('appendfsync'), save: cfg.get('save') ?? '' };
  } catch {
    // CONFIG disabled (ElastiCache, MemoryStore, ACL without +config): INFO still tells AOF.
  }
  try {
    const info = await redis.info('persistence');
    const m = /^aof_enabled:(\d)/m.exec(info);
    return { source: 'info', aof: m ? m[1] === '1' : null };
  } catch (err) {
    return { source: 'none', aof: null, error: (err as Error).message };
  }
}

/**
 * The state store's start-up check: one info line when Redis persists, one loud warn line when
 * it does not (or cannot tell). Never fails the start: a worker without persistence still works,
 * and the store epoch catches a wipe.
 */
export async function checkRedisPersistence(redis: Redis, log: Logger | undefined, url: string): Promise<PersistenceVerdict> {
  const settings = await readPersistence(redis);
  const verdict = judgePersistence(settings);
  const fields = {
    redis: url,
    persistence: { source: settings.source, aof: settings.aof, appendfsync: settings.appendfsync, save: settings.save },
  };
  if (verdict.persisted) log?.info(fields, verdict.message);
  else log?.warn(fields, `STATE NOT PERSISTED: ${verdict.message}`);
  return verdict;
}
