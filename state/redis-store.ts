import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { closeRedis, openRedis, redactUrl } from './redis-connection';
import { systemClock, type Clock } from '../kernel/clock';
import { FlowwatchError } from '../kernel/errors';
import type { Health } from '../kernel/health';
import { StoreEpochChangedError, nextEpoch } from './epoch';
import { checkRedisPersistence } from './redis-persistence';
import { StateEncoder, decodeStateValue, encodeChanges } from './codec';
import type { PreparedCommit, StateStore } from './types';

/**
 * Applies one batch atomically: rejects it when the scope's epoch is not the one loaded (the store
 * was wiped or replaced: returns "epoch:<found>"), skips it when its position is not after the
 * stored one (Kafka re-delivered it: 0), else writes/deletes the changed entries, the new position
 * and the epoch (1). KEYS[1] = state hash, KEYS[2] = position key, KEYS[3] = epoch key.
 * ARGV[1] = position or "", ARGV[2] = TTL seconds, ARGV[3] = epoch expected ("" = none stored at
 * load: none or ours is fine), ARGV[4] = this worker's epoch, then pairs (entry id, value in the
 * binary form of state/codec.ts, or "" for delete).
 */
const COMMIT_SCRIPT = `
local exp = ARGV[3]
local ep = redis.call('GET', KEYS[3])
if exp ~= '' then
  if ep ~= exp then return 'epoch:' .. (ep or '') end
elseif ep and ep ~= ARGV[4] then
  return 'epoch:' .. ep
end
local pos = ARGV[1]
if pos ~= '' then
  local cur = redis.call('GET', KEYS[2])
  if cur and tonumber(cur) >= tonumber(pos) then return 0 end
end
local n = #ARGV
-- unpack() is limited by the Lua stack (~8000 values): write big batches in chunks.
local CHUNK = 1000
local dels = 0
for k = 6, n, 2 do
  if ARGV[k] == '' then dels = dels + 1 end
end
if dels == 0 then
  -- The common case, no deletions: HSET straight from ARGV, without copying it into a table.
  for j = 5, n, CHUNK do
    redis.call('HSET', KEYS[1], unpack(ARGV, j, math.min(j + CHUNK - 1, n)))
  end
end
local i = 5
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
-- No TTL on the epoch: a partition whose state expired while idle is not mistaken for a wipe.
redis.call('SET', KEYS[3], ARGV[4])
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 1
`;

/**
 * Replaces a scope's state (after a wipe: the worker's live copy) under the given epoch. Same keys
 * as the commit; ARGV[1] = position or "" (never moves the stored one back: a commit may have
 * landed since the worker last saw), ARGV[2] = TTL, ARGV[3] = epoch, then pairs (id, value).
 */
const RESEED_SCRIPT = `
redis.call('DEL', KEYS[1])
local n = #ARGV
for j = 4, n, 1000 do
  redis.call('HSET', KEYS[1], unpack(ARGV, j, math.min(j + 999, n)))
end
local pos = ARGV[1]
if pos ~= '' then
  local cur = redis.call('GET', KEYS[2])
  if (not cur) or tonumber(cur) < tonumber(pos) then redis.call('SET', KEYS[2], pos) end
end
redis.call('SET', KEYS[3], ARGV[3])
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  if n >= 4 then redis.call('EXPIRE', KEYS[1], ttl) end
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 1
`;

/**
 * The store-wide epoch. KEYS[1] = epoch key; ARGV[1] = candidate, ARGV[2] = the epoch this worker
 * had ("" = none). Sets the candidate when none is stored (new or wiped Redis) or the stored one
 * is still ours; else another worker started a new epoch first and we adopt it. Returns
 * {epoch, 1 if the candidate was set}.
 */
const EPOCH_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1])
  return {ARGV[1], 1}
end
return {cur, 0}
`;

export interface RedisStateStoreOptions {
  url: string;
  /** Key prefix; the scope goes in a hash tag so one partition's keys live on one cluster slot. */
  prefix?: string;
  /** A partition nobody wrote to for this long disappears (seconds; 0 = never). */
  ttlSeconds?: number;
  redisOptions?: RedisOptions;
  log?: Logger;
  /** Told when the epoch changes (`state-store`): readiness fails until the store is re-seeded. */
  health?: Health;
  /** Wall clock: a new epoch is its time (readable in logs), and it paces connection-error logs. Default: the system clock. */
  clock?: Clock;
}

type Scripts = {
  fwCommit(hash: string, posKey: string, epochKey: string, ...args: Array<string | Buffer>): Promise<number | string>;
  fwEpoch(key: string, candidate: string, prev: string): Promise<[string, number]>;
  fwReseed(hash: string, posKey: string, epochKey: string, ...args: Array<string | Buffer>): Promise<number>;
};

/**
 * Per-partition state in Redis: one hash of entries, one position key and one epoch key per scope,
 * written together by one Lua script call per batch — exactly-once state updates over
 * at-least-once delivery. Keys: `fw:{<scope>}:state`, `fw:{<scope>}:pos`, `fw:{<scope>}:epoch`,
 * and the store-wide `fw:epoch` (docs/state.md: persistence, the epoch, recovery after a wipe).
 * Opening (on first use) checks Redis's persistence settings and reads or starts the epoch.
 */
export class RedisStateStore implements StateStore {
  readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly log?: Logger;
  private readonly health?: Health;
  private readonly url: string;
  private readonly clock: Clock;
  private current: number | null = null;
  private opening: Promise<number> | null = null;
  /** Per scope: the epoch found at load, which the next commit expects ("" = none stored). */
  private readonly expected = new Map<string, string>();
  /** Serialises every commit's values (state/codec.ts); its scratch buffer is reused. */
  private readonly encoder = new StateEncoder();

  constructor(opts: RedisStateStoreOptions) {
    this.clock = opts.clock ?? systemClock;
    this.redis = openRedis(opts.url, opts.log, opts.redisOptions, this.clock);
    this.url = opts.url;
    this.prefix = opts.prefix ?? 'fw';
    this.ttl = opts.ttlSeconds ?? 0;
    this.log = opts.log;
    this.health = opts.health;
    this.redis.defineCommand('fwCommit', { numberOfKeys: 3, lua: COMMIT_SCRIPT });
    this.redis.defineCommand('fwEpoch', { numberOfKeys: 1, lua: EPOCH_SCRIPT });
    this.redis.defineCommand('fwReseed', { numberOfKeys: 3, lua: RESEED_SCRIPT });
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts;
  }

  private keys(scope: string): [string, string, string] {
    const tag = `${this.prefix}:{${scope}}`;
    return [`${tag}:state`, `${tag}:pos`, `${tag}:epoch`];
  }

  get epoch(): number | null {
    return this.current;
  }

  /**
   * The start path, run once before the first load or commit (again after a failure): warns when
   * Redis does not persist, then reads the store's epoch or starts one.
   */
  private open(): Promise<number> {
    this.opening ??= (async () => {
      await checkRedisPersistence(this.redis, this.log, redactUrl(this.url));
      const [epoch, created] = await this.scripts.fwEpoch(`${this.prefix}:epoch`, String(nextEpoch(null, this.clock.now())), '');
      this.current = Number(epoch);
      this.log?.info(
        { epoch: this.current, created: created === 1 },
        created === 1 ? 'state store epoch started (Redis held none: new, or wiped while no worker ran)' : 'state store epoch read',
      );
      return this.current;
    })().catch((err: unknown) => {
      this.opening = null;
      throw new FlowwatchError('FW_STATE', `cannot open the state store in Redis: ${(err as Error).message}`, { cause: err });
    });
    return this.opening;
  }

  async loadAll(scope: string): Promise<Map<string, unknown>> {
    await this.open();
    const [hash, , epochKey] = this.keys(scope);
    const out = new Map<string, unknown>();
    try {
      const [all, epoch] = await Promise.all([this.redis.hgetallBuffer(hash), this.redis.get(epochKey)]);
      // Binary, or JSON written by a release before issue 22 (rewritten binary at its next commit).
      for (const [k, v] of Object.entries(all)) out.set(k, decodeStateValue(v, `state of ${scope}, entry ${JSON.stringify(k)}`));
      // Read with the state: commits after this one are checked against it.
      this.expected.set(scope, epoch ?? '');
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
    const [hash, pos, epochKey] = this.keys(scope);
    const head = [position === null ? '' : String(position), String(this.ttl)];
    const pairs = this.encodePairs(changes);
    return {
      write: async () => {
        let result: number | string;
        try {
          const epoch = String(await this.open());
          // The expectation is read at each attempt: after a re-seed, the retried commit expects the new epoch.
          result = await this.scripts.fwCommit(hash, pos, epochKey, ...head, this.expected.get(scope) ?? '', epoch, ...pairs);
          if (result === 1) this.expected.set(scope, epoch);
        } catch (err) {
          throw new FlowwatchError('FW_STATE', `state commit for ${scope} failed: ${(err as Error).message}`, { cause: err });
        }
        if (typeof result === 'string') {
          this.health?.fail('state-store', `state store epoch changed for ${scope} (Redis wiped or replaced); re-seeding from memory`);
          throw new StoreEpochChangedError(scope, this.expected.get(scope) ?? '', result.slice('epoch:'.length));
        }
        return result === 1;
      },
    };
  }

  async position(scope: string): Promise<number | null> {
    const v = await this.redis.get(this.keys(scope)[1]);
    return v === null ? null : Number(v);
  }

  async renewEpoch(): Promise<number> {
    const prev = this.current;
    const [epoch, created] = await this.scripts.fwEpoch(
      `${this.prefix}:epoch`,
      String(nextEpoch(prev, this.clock.now())),
      prev === null ? '' : String(prev),
    );
    this.current = Number(epoch);
    this.log?.info(
      { epoch: this.current, previous: prev, adopted: created !== 1 },
      created === 1 ? 'state store: new epoch started' : 'state store: adopted the epoch another worker started',
    );
    return this.current;
  }

  async reseed(scope: string, rows: ReadonlyMap<string, unknown>, position: number | null): Promise<void> {
    // Serialised before any await: the rows are the pipeline's live objects.
    const args: Array<string | Buffer> = [position === null ? '' : String(position), String(this.ttl), '', ...this.encodePairs(rows)];
    const epoch = String(this.current ?? (await this.open()));
    args[2] = epoch;
    const [hash, pos, epochKey] = this.keys(scope);
    try {
      await this.scripts.fwReseed(hash, pos, epochKey, ...args);
    } catch (err) {
      throw new FlowwatchError('FW_STATE', `re-seeding ${scope} failed: ${(err as Error).message}`, { cause: err });
    }
    this.expected.set(scope, epoch);
  }

  /** (id, stored bytes) pairs, "" for a deletion; serialised at once (the values may be live objects). */
  private encodePairs(changes: ReadonlyMap<string, unknown | null>): Array<string | Buffer> {
    const bytes = encodeChanges(this.encoder, changes);
    const pairs: Array<string | Buffer> = [];
    let i = 0;
    for (const id of changes.keys()) pairs.push(id, bytes[i++] ?? '');
    return pairs;
  }

  recovered(): void {
    this.health?.ok('state-store');
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}
