/**
 * The store epoch on the memory store (the same rule as the Redis script): a wipe is found by the
 * next commit of a scope loaded before it, which writes nothing; a new epoch and a re-seed make
 * commits work again.
 */
import { Health } from '../kernel/health';
import { isStoreEpochChanged } from './epoch';
import { MemoryStateStore } from './memory-store';

const row = (n: number) => new Map<string, unknown>([['k', { n }]]);

it('a commit after a wipe rejects with FW_STORE_EPOCH_CHANGED and writes nothing', async () => {
  const health = new Health(() => 0);
  const store = new MemoryStateStore({ health });
  await store.loadAll('p0');
  expect(await store.commit('p0', 1, row(1))).toBe(true);
  const epoch = store.epoch;
  expect(epoch).not.toBeNull();
  store.wipe();
  const err = await store.commit('p0', 2, row(2)).catch((e: unknown) => e);
  expect(isStoreEpochChanged(err)).toBe(true);
  expect(err).toMatchObject({ code: 'FW_STORE_EPOCH_CHANGED', scope: 'p0', expected: String(epoch), found: '' });
  expect(await store.position('p0')).toBeNull();
  expect(store.size('p0')).toBe(0);
  expect(health.ready).toBe(false);
  expect(health.list()[0]).toMatchObject({ component: 'state-store' });
});

it('a scope loaded empty accepts its first commit whatever happened before (nothing of it was lost)', async () => {
  const store = new MemoryStateStore();
  await store.loadAll('p0');
  await store.commit('p0', 1, row(1));
  store.wipe();
  await store.loadAll('p1');
  expect(await store.commit('p1', 7, row(7))).toBe(true);
});

it('renewEpoch + reseed: the scope holds the given rows under a new epoch, and commits go on', async () => {
  const health = new Health(() => 0);
  const store = new MemoryStateStore({ health });
  await store.loadAll('p0');
  await store.commit('p0', 1, row(1));
  const before = store.epoch!;
  store.wipe();
  await expect(store.commit('p0', 2, row(2))).rejects.toThrow(/epoch changed/);
  const after = await store.renewEpoch();
  expect(after).toBeGreaterThan(before);
  await store.reseed(
    'p0',
    new Map<string, unknown>([
      ['k', { n: 2 }],
      ['j', { n: 0 }],
    ]),
    1,
  );
  store.recovered();
  expect(health.ready).toBe(true);
  expect(await store.commit('p0', 2, row(3))).toBe(true);
  expect(Object.fromEntries(await store.loadAll('p0'))).toEqual({ k: { n: 3 }, j: { n: 0 } });
  expect(await store.position('p0')).toBe(2);
});

it('a re-seed never moves the stored position back', async () => {
  const store = new MemoryStateStore();
  await store.loadAll('p0');
  await store.commit('p0', 5, row(5));
  await store.renewEpoch();
  await store.reseed('p0', row(5), 3);
  expect(await store.position('p0')).toBe(5);
});

it("two workers sharing a store: the second to renew adopts the first one's epoch", async () => {
  const store = new MemoryStateStore();
  await store.loadAll('p0');
  const first = await store.renewEpoch();
  // Same object, but renewEpoch from an epoch that is no longer stored behaves as a second worker would.
  (store as unknown as { current: number }).current = first - 1;
  expect(await store.renewEpoch()).toBe(first);
});
