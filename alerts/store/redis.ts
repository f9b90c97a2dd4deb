import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { closeRedis, openRedis } from '../../state/redis-connection';
import { FlowwatchError } from '../../kernel/errors';
import type { AlertStore, Writes } from './types';

/**
 * Optimistic concurrency by version: every document key has a version key beside it, bumped on
 * each write. KEYS[1..n] are the version keys of the n documents read, then every key written;
 * ARGV[1] = n, ARGV[2..n+1] the versions seen at read time ("" = none), ARGV[n+2] = JSON list of
 * ops [op, keyIndex, value, extra, versionKeyIndex]. Applies every op only if no version moved;
 * returns 1 applied, 0 conflict. (Comparing versions instead of the documents' text keeps a big
 * document from travelling back to Redis with every write that read it.)
 */
const APPLY_SCRIPT = `
local n = tonumber(ARGV[1])
for i = 1, n do
  local cur = redis.call('GET', KEYS[i])
  local exp = ARGV[i + 1]
  if exp == '' then
    if cur then return 0 end
  elseif cur ~= exp then
    return 0
  end
end
local ops = cjson.decode(ARGV[n + 2])
for _, op in ipairs(ops) do
  local k = KEYS[tonumber(op[2])]
  local kind = op[1]
  if kind == 'put' then
    local v = KEYS[tonumber(op[5])]
    redis.call('INCR', v)
    if op[4] ~= '0' then
      redis.call('SET', k, op[3], 'PX', op[4])
      redis.call('PEXPIRE', v, op[4])
    else
      redis.call('SET', k, op[3])
      redis.call('PERSIST', v)
    end
  elseif kind == 'del' then
    local v = KEYS[tonumber(op[5])]
    redis.call('DEL', k)
    -- The version outlives the document for a while, so a reader of the old one still conflicts.
    redis.call('INCR', v)
    redis.call('PEXPIRE', v, 86400000)
  elseif kind == 'zadd' then
    redis.call('ZADD', k, op[4], op[3])
  elseif kind == 'zrem' then
    redis.call('ZREM', k, op[3])
  elseif kind == 'rpush' then
    redis.call('RPUSH', k, op[3])
  elseif kind == 'ltrim' then
    redis.call('LTRIM', k, tonumber(op[3]), -1)
  end
end
return 1
`;

/** KEYS[1] queue, KEYS[2] log key; ARGV[1] id, ARGV[2] log TTL ms. */
const ACK_HEAD_SCRIPT = `
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
local head = redis.call('LINDEX', KEYS[1], 0)
if head and cjson.decode(head).id == ARGV[1] then redis.call('LPOP', KEYS[1]) end
return 1
`;

/** KEYS[1] lease; ARGV[1] owner, ARGV[2] TTL ms. */
const LEASE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

type Scripts = {
  fwAlertApply(...args: string[]): Promise<number>;
  fwAlertAckHead(queue: string, log: string, id: string, ttl: string): Promise<number>;
  fwAlertLease(key: string, owner: string, ttl: string): Promise<number>;
  fwAlertRelease(key: string, owner: string): Promise<number>;
};

const MAX_CONFLICT_RETRIES = 100;

export interface RedisAlertStoreOptions {
  url: string;
  /** Keys are `<prefix>:{alerts}:...`: one hash tag, so Redis Cluster keeps them in one slot. */
  prefix?: string;
  redisOptions?: RedisOptions;
  log?: Logger;
}

/**
 * Alert state in Redis, shared by every worker: JSON documents written by one Lua script per
 * transaction (compare-and-set on the documents read), sorted sets for due times, lists for
 * the outboxes. While Redis is down, commands wait (ioredis queues them) — the batch waits too.
 */
export class RedisAlertStore implements AlertStore {
  readonly shared = true;
  readonly redis: Redis;
  private readonly base: string;

  constructor(opts: RedisAlertStoreOptions) {
    this.redis = openRedis(opts.url, opts.log, opts.redisOptions);
    this.base = `${opts.prefix ?? 'fw'}:{alerts}:`;
    this.redis.defineCommand('fwAlertApply', { lua: APPLY_SCRIPT });
    this.redis.defineCommand('fwAlertAckHead', { numberOfKeys: 2, lua: ACK_HEAD_SCRIPT });
    this.redis.defineCommand('fwAlertLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.redis.defineCommand('fwAlertRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  }

  private k(key: string): string {
    return this.base + key;
  }

  /** The version key of a document (same hash tag: same cluster slot). */
  private v(key: string): string {
    return this.base + key + '#v';
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts;
  }

  async transact<R>(
    keys: readonly string[],
    fn: (docs: Array<unknown | undefined>, w: Writes, queues: unknown[][]) => R,
    queues: readonly string[] = [],
  ): Promise<R> {
    const versionKeys = keys.map((k) => this.v(k));
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const raws = keys.length > 0 ? await this.redis.mget(...keys.map((k) => this.k(k)), ...versionKeys) : [];
      // After the versions: an append in between bumps a version we compare at the end.
      const lists = await Promise.all(
        queues.map(async (q) => (await this.redis.lrange(this.k(q), 0, -1)).map((r) => JSON.parse(r) as unknown)),
      );
      const docs = raws.slice(0, keys.length).map((r) => (r === null ? undefined : JSON.parse(r)));
      const versions = raws.slice(keys.length).map((r) => r ?? '');
      const allKeys = [...versionKeys];
      const slots = new Map<string, number>();
      allKeys.forEach((k, i) => slots.set(k, i));
      const indexOf = (fullKey: string) => {
        let i = slots.get(fullKey);
        if (i === undefined) slots.set(fullKey, (i = allKeys.push(fullKey) - 1));
        return String(i + 1);
      };
      const ops: string[][] = [];
      const w: Writes = {
        put: (key, value, ttlMs = 0) =>
          void ops.push(['put', indexOf(this.k(key)), JSON.stringify(value), String(Math.max(0, Math.round(ttlMs))), indexOf(this.v(key))]),
        del: (key) => void ops.push(['del', indexOf(this.k(key)), '', '', indexOf(this.v(key))]),
        schedule: (index, member, at) => void ops.push(['zadd', indexOf(this.k(index)), member, String(Math.round(at))]),
        unschedule: (index, member) => void ops.push(['zrem', indexOf(this.k(index)), member, '']),
        enqueue: (queue, value) => void ops.push(['rpush', indexOf(this.k(queue)), JSON.stringify(value), '']),
        trim: (queue, n) => void ops.push(['ltrim', indexOf(this.k(queue)), String(n), '']),
      };
      const result = fn(docs, w, lists);
      if (ops.length === 0) return result;
      const args = [String(allKeys.length), ...allKeys, String(keys.length), ...versions, JSON.stringify(ops)];
      // defineCommand without numberOfKeys: the first argument is the number of keys.
      const applied = await this.scripts.fwAlertApply(...args);
      if (applied === 1) return result;
    }
    throw new FlowwatchError('FW_STATE', `alert state: too many concurrent updates of ${keys.join(', ')}`);
  }

  async mget(keys: readonly string[]): Promise<Array<unknown | undefined>> {
    if (keys.length === 0) return [];
    const raws = await this.redis.mget(...keys.map((k) => this.k(k)));
    return raws.map((r) => (r === null ? undefined : JSON.parse(r)));
  }

  async due(index: string, now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.k(index), '-inf', String(now), 'LIMIT', '0', String(limit));
  }

  async members(index: string): Promise<string[]> {
    return this.redis.zrange(this.k(index), '0', '-1');
  }

  async peek(queue: string, n: number): Promise<unknown[]> {
    const raws = await this.redis.lrange(this.k(queue), 0, n - 1);
    return raws.map((r) => JSON.parse(r));
  }

  async depth(queue: string): Promise<number> {
    return this.redis.llen(this.k(queue));
  }

  async ackHead(queue: string, id: string, logKey: string, logTtlMs: number): Promise<void> {
    await this.scripts.fwAlertAckHead(this.k(queue), this.k(logKey), id, String(Math.round(logTtlMs)));
  }

  async logged(logKey: string): Promise<boolean> {
    return (await this.redis.exists(this.k(logKey))) === 1;
  }

  async lease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.scripts.fwAlertLease(this.k(name), owner, String(Math.round(ttlMs)))) === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    await this.scripts.fwAlertRelease(this.k(name), owner);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}
