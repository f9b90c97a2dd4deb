/**
 * Kafka faults: no broker at all (the worker must give up and exit within the bound, saying why),
 * and the broker stopped (SIGTERM) or crashed (kill -9) and restarted while a worker consumes:
 * state exactly the clean run's, every change delivered exactly once.
 */
import { killAllWorkers } from '../support/workers';
import { closeRedisClient, differences, Drill, groundTruth, SHUTDOWN_BOUND_MS, type Outcome } from './support/drill';
import { stop, up } from './support/servers';

jest.setTimeout(400_000);

let clean: Outcome;
beforeAll(async () => {
  clean = await groundTruth();
}, 300_000);
afterAll(async () => {
  await killAllWorkers();
  await closeRedisClient();
});

it(`Kafka unreachable (KAFKA_BROKERS=127.0.0.1:1) and --duration 5s: exits within ${SHUTDOWN_BOUND_MS / 1000} s with a clear error`, async () => {
  const d = await Drill.open('kafka-unreachable');
  const t0 = Date.now();
  const w = d.worker('w1', {}, { args: ['--duration', '5s'], env: { KAFKA_BROKERS: '127.0.0.1:1' } });
  // No signal from us: --duration asks it to stop. A worker still up well past the bound is killed so the suite goes on.
  const hard = setTimeout(() => w.child.kill('SIGKILL'), SHUTDOWN_BOUND_MS * 4);
  const { signal } = await w.exited;
  clearTimeout(hard);
  const ms = Date.now() - t0;
  expect({ exit: ms <= SHUTDOWN_BOUND_MS ? 'within bound' : `after ${ms} ms`, signal }).toEqual({ exit: 'within bound', signal: null });
  // Whether it exits 0 or not is the worker's call; its log must say which broker it could not reach.
  expect(w.tail(40)).toMatch(/127\.0\.0\.1:1\b/);
});

async function brokerBounce(name: string, signal: NodeJS.Signals): Promise<void> {
  const d = await Drill.open(name);
  const total = d.rec.records.length;
  const half = Math.floor(total / 2);
  d.worker('w1');
  await d.produceRange(0, half);
  await d.waitApplied(Math.round(half * 0.8));
  await stop('kafka', signal);
  await up('kafka');
  await d.produceRange(half, total);
  await d.settle();
  await d.stopAll();
  expect(differences(clean, await d.outcome())).toEqual({});
}

it('broker SIGTERM and restart mid-stream: exactly the clean outcome', async () => {
  await brokerBounce('broker-sigterm', 'SIGTERM');
});

it('broker kill -9 and restart mid-stream: exactly the clean outcome', async () => {
  await brokerBounce('broker-kill9', 'SIGKILL');
});
