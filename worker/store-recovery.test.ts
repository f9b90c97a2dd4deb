/**
 * StoreRecovery on its own, with fakes of our own interfaces: one recovery serves concurrent
 * commits that fail on the same wipe; a re-send that fails is tried again before the next commit;
 * other errors pass through untouched.
 */
import { silentLogger } from '../kernel/logger';
import { MemoryStateStore } from '../state/memory-store';
import { StoreRecovery } from './store-recovery';
import { Health } from '../kernel/health';
import type { Alert } from '../kernel/types';
import { makeAlert } from '../alerts/testing/fakes';

function setup(firing: Alert[] = []) {
  const health = new Health(() => 0);
  const store = new MemoryStateStore({ health });
  const sent: Alert[][] = [];
  let failDispatch = 0;
  const dispatcher = {
    dispatch: async (alerts: readonly Alert[]) => {
      if (failDispatch-- > 0) throw new Error('alert store down');
      sent.push([...alerts]);
    },
    close: async () => {},
  };
  const snapshots: string[] = [];
  const pipeline = {
    snapshotScope: (scope: string) => (snapshots.push(scope), new Map<string, unknown>([[`row-${scope}`, { scope }]])),
    firingAlerts: (scope: string) => firing.filter((a) => a.key === scope),
  };
  const positions = new Map([
    ['p0', 4],
    ['p1', -1],
  ]);
  const recovery = new StoreRecovery({ pipeline, store, dispatcher, log: silentLogger(), scopes: () => ['p0', 'p1'], positions });
  return { store, health, sent, snapshots, recovery, failNext: (n: number) => (failDispatch = n) };
}

it('concurrent commits failing on one wipe share one recovery; every scope held is re-seeded once', async () => {
  const t = setup([makeAlert({ key: 'p0' })]);
  await t.store.loadAll('p0');
  await t.store.loadAll('p1');
  await t.store.commit('p0', 4, new Map([['k', 1]]));
  await t.store.commit('p1', 2, new Map([['j', 1]]));
  t.store.wipe();
  const [a, b] = await Promise.all([
    t.recovery.commit(() => t.store.commit('p0', 5, new Map([['k', 2]]))),
    t.recovery.commit(() => t.store.commit('p1', 3, new Map([['j', 2]]))),
  ]);
  expect([a, b]).toEqual([true, true]);
  expect(t.snapshots).toEqual(['p0', 'p1']);
  expect(t.sent.map((batch) => batch.map((x) => `${x.key} ${x.labels.resent}`))).toEqual([['p0 state-store-lost']]);
  expect(Object.fromEntries(await t.store.loadAll('p0'))).toEqual({ 'row-p0': { scope: 'p0' }, k: 2 });
  expect(await t.store.position('p1')).toBe(3); // re-seeded without a position (none known), then committed
  expect(t.health.ready).toBe(true);
});

it('a re-send that fails is tried again before the next commit; readiness stays failed until it succeeds', async () => {
  const t = setup([makeAlert({ key: 'p0' })]);
  await t.store.loadAll('p0');
  await t.store.commit('p0', 4, new Map([['k', 1]]));
  t.store.wipe();
  t.failNext(1);
  await expect(t.recovery.commit(() => t.store.commit('p0', 5, new Map([['k', 2]])))).rejects.toThrow('alert store down');
  expect(t.health.ready).toBe(false);
  // The runner retries the commit: the re-send goes first, then the commit.
  expect(await t.recovery.commit(() => t.store.commit('p0', 5, new Map([['k', 2]])))).toBe(true);
  expect(t.sent).toHaveLength(1);
  expect(t.health.ready).toBe(true);
});

it('other commit errors pass through, without a recovery', async () => {
  const t = setup();
  await expect(t.recovery.commit(async () => Promise.reject(new Error('ECONNREFUSED')))).rejects.toThrow('ECONNREFUSED');
  expect(t.snapshots).toEqual([]);
});

it('a partition no longer held (moved in a rebalance while its commit was in flight): not applied, no recovery', async () => {
  const t = setup();
  await t.store.loadAll('p9');
  await t.store.commit('p9', 1, new Map([['k', 1]]));
  t.store.wipe();
  expect(await t.recovery.commit(() => t.store.commit('p9', 2, new Map([['k', 2]])))).toBe(false);
  expect(t.snapshots).toEqual([]);
  expect(await t.store.position('p9')).toBeNull();
});
