/**
 * A worker taking over a real Redis that holds state in the previous persisted layout (written
 * as the releases before issue 22 stored it: JSON text in the state hash, the position beside it)
 * restores it, raises the same alerts as a worker that never stopped, and leaves every row it
 * commits in the current layout and in the binary form (state/codec.ts). This checks the whole
 * path, load → restore → commit, end to end.
 */
import Redis from 'ioredis';
import { ManualClock } from '../../kernel/clock';
import { silentLogger } from '../../kernel/logger';
import type { Alert } from '../../kernel/types';
import type { AlertDispatcher } from '../../alerts/dispatch';
import { MemoryDeadLetter } from '../../ingest/dead-letter';
import type { Source, SourceBatch } from '../../ingest/sources/types';
import { RedisStateStore } from '../../state/redis-store';
import { decodeStateValue, isBinaryStateValue } from '../../state/codec';
import { Pipeline } from '../../worker/pipeline';
import { runPipeline } from '../../worker/runner';
import { CUT, SCOPE, batches, config, nowOf } from '../fixtures/state-layout-v1/scenario';
import previousLayout from '../fixtures/state-layout-v1/rows.json';

jest.setTimeout(60_000);

const prefix = `fw-layout-${process.pid}-${Date.now()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** The batches after the cut, each with its position and clock time. */
function afterCut(): Source {
  const all = batches();
  return {
    name: 'replayed',
    streams: ['funds'],
    replay: false,
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = CUT + 1; i < all.length; i++) yield { records: all[i], scope: SCOPE, position: i, time: nowOf(i) };
    },
  };
}

it('takes over a Redis store in the previous layout and writes the current one', async () => {
  // What a worker that never stopped raises after the cut.
  const straight = new Pipeline(config, silentLogger());
  const all = batches();
  const expected: Alert[] = [];
  for (let i = 0; i < all.length; i++) {
    const alerts = [...straight.processBatch(all[i], nowOf(i), SCOPE).alerts, ...straight.advance(nowOf(i))];
    if (i > CUT) expected.push(...alerts);
    straight.takeChanges();
  }
  expect(expected.length).toBeGreaterThan(10);

  // The previous release's store after batch CUT: its rows as JSON text, and its position.
  const hash = `${prefix}:{${SCOPE}}:state`;
  await redis.hset(hash, ...Object.entries(previousLayout).flatMap(([id, row]) => [id, JSON.stringify(row)]));
  await redis.set(`${prefix}:{${SCOPE}}:pos`, String(CUT));
  expect(Object.values(await redis.hgetall(hash)).some((json) => json.includes('"e":'))).toBe(true);

  const store = new RedisStateStore({ url: process.env.REDIS_URL!, prefix });
  const seen: Alert[] = [];
  const dispatcher = { dispatch: async () => undefined, close: async () => undefined } as unknown as AlertDispatcher;
  try {
    await runPipeline({
      config,
      sources: [afterCut()],
      dispatcher,
      deadLetter: new MemoryDeadLetter(),
      store,
      log: silentLogger(),
      clock: new ManualClock(nowOf(CUT + 1)),
      signal: new AbortController().signal,
      idleTickMs: 0,
      onAlerts: (a) => seen.push(...a),
    });
  } finally {
    await store.close();
  }
  expect(seen).toEqual(expected);

  const stored = await redis.hgetallBuffer(hash);
  expect(Object.keys(stored).length).toBe(Object.keys(previousLayout).length);
  expect(await redis.get(`${prefix}:{${SCOPE}}:pos`)).toBe(String(all.length - 1));
  for (const [id, bytes] of Object.entries(stored)) {
    // Every row and watermark was committed again after the cut: none is left as JSON.
    expect(isBinaryStateValue(bytes)).toBe(true);
    if (id.startsWith('\u0001')) continue; // a watermark: { maxTs }
    const row = decodeStateValue(bytes) as Record<string, unknown>;
    expect(Object.keys(row).sort()).toEqual(['attrs', 'entries', 'touched']);
    for (const entry of Object.values(row.entries as Record<string, Record<string, unknown>>)) {
      expect(Object.keys(entry).filter((k) => k !== 'detector' && k !== 'lifecycle')).toEqual([]);
    }
  }
});
