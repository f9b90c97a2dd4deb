import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { closeRedis, openRedis } from './redis-connection';
import { FlowwatchError } from '../core/errors';
import type { PreparedCommit, StateStore } from './types';

/**
 * Applies one batch atomically: skips it when its position is not after the stored one
 * (Kafka re-delivered it), else writes/deletes the changed entries and the new position.
 * KEYS[1] = state hash, KEYS[2] = position key. ARGV[1] = position or "", ARGV[2] = TTL seconds,
 * then pairs (entry id, JSON or "" for delete).
 */
const COMMIT_SCRIPT = `
local pos = ARGV[1]
if pos ~= '' then
  local cur = redis.call('GET', KEYS[2])
  if cur and tonumber(cur) >= tonumber(pos) then return 0 end
end
local n = #ARGV
-- unpack() is limited by the Lua stack (~8000 values): write big batches in chunks.
local CHUNK = 1000
local dels = 0
for k = 4, n, 2 do
  if ARGV[k] == '' then dels = dels + 1 end
end
if dels == 0 then
  -- The common case, no deletions: HSET straight from ARGV, without copying it into a table.
  for j = 3, n, CHUNK do
    redis.call('HSET', KEYS[1], unpack(ARGV, j, math.min(j + CHUNK - 1, n)))
  end
end
local i = 3
local sets = {}
while dels > 0 and i < n do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    sets[#sets + 1] = ARGV[i]
    sets[#sets + 1] = ARGV[i + 1]
  end
  i = i + 2
end
for j = 1, #sets, CHUNK do
  redis.call('HSET', KEYS[1], unpack(sets, j, math.min(j + CHUNK - 1, #sets)))
end
if pos ~= '' then redis.call('SET', KEYS[2], pos) end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 1
`;

export interface RedisStateStoreOptions {
  url: string;
  /** Key prefix; the scope goes in a hash tag so one partition's keys live on one cluster slot. */
  prefix?: string;
  /** A partition nobody wrote to for this long disappears (seconds; 0 = never). */
  ttlSeconds?: number;
  redisOptions?: RedisOptions;
  log?: Logger;
}

type CommitFn = (hash: string, posKey: string, ...args: string[]) => Promise<number>;

/**
 * Per-partition state in Redis: one hash of entries and one position key per scope, written
 * together by one Lua script call per batch — exactly-once state updates over at-least-once
 * delivery. Keys: `fw:{<scope>}:state` and `fw:{<scope>}:pos`.
 */
export class RedisStateStore implements StateStore {
  readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttl: number;

  constructor(opts: RedisStateStoreOptions) {
    this.redis = openRedis(opts.url, opts.log, opts.redisOptions);
    this.prefix = opts.prefix ?? 'fw';
    this.ttl = opts.ttlSeconds ?? 0;
    this.redis.defineCommand('fwCommit', { numberOfKeys: 2, lua: COMMIT_SCRIPT });
  }

  private keys(scope: string): [string, string] {
    const tag = `${this.prefix}:{${scope}}`;
    return [`${tag}:state`, `${tag}:pos`];
  }

  async loadAll(scope: string): Promise<Map<string, unknown>> {
    const [hash] = this.keys(scope);
    const out = new Map<string, unknown>();
    try {
      const all = await this.redis.hgetall(hash);
      for (const [k, v] of Object.entries(all)) out.set(k, JSON.parse(v));
    } catch (err) {
      throw new FlowwatchError('FW_STATE', `cannot load state for ${scope} from Redis: ${(err as Error).message}`, { cause: err });
    }
    return out;
  }

  async commit(scope: string, position: number | null, changes: ReadonlyMap<string, unknown | null>): Promise<boolean> {
    return this.prepare(scope, position, changes).write();
  }

  prepare(scope: string, position: number | null, changes: ReadonlyMap<string, unknown | null>): PreparedCommit {
    if (changes.size === 0 && position === null) return { write: async () => true };
    const [hash, pos] = this.keys(scope);
    const args: string[] = [position === null ? '' : String(position), String(this.ttl)];
    for (const [id, v] of changes) args.push(id, v === null ? '' : JSON.stringify(v));
    return {
      write: async () => {
        try {
          const applied = await (this.redis as unknown as { fwCommit: CommitFn }).fwCommit(hash, pos, ...args);
          return applied === 1;
        } catch (err) {
          throw new FlowwatchError('FW_STATE', `state commit for ${scope} failed: ${(err as Error).message}`, { cause: err });
        }
      },
    };
  }

  async position(scope: string): Promise<number | null> {
    const v = await this.redis.get(this.keys(scope)[1]);
    return v === null ? null : Number(v);
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}
