/**
 * Workers crash (kill -9) mid-backlog, and the group grows from 2 to 3 with a crash on top:
 * state is exactly the clean run's, every alert change is delivered once, InfluxDB holds the same
 * alert points (77/77 in issue 14's terms) and last points, dead letters are not repeated.
 */
import { killAllWorkers, waitForGroup } from '../support/workers';
import { closeRedisClient, differencesAcrossCrash, Drill, groundTruth, type Outcome } from './support/drill';

jest.setTimeout(300_000);

let clean: Outcome;
beforeAll(async () => {
  clean = await groundTruth();
}, 300_000);
afterAll(async () => {
  await killAllWorkers();
  await closeRedisClient();
});

it('worker kill -9 twice mid-backlog: exactly the clean outcome', async () => {
  const d = await Drill.open('kill9-twice');
  const total = d.rec.records.length;
  // Paced, so each kill lands with records applied and records still to come.
  const producing = d.producePaced(20_000);
  const w1 = d.worker('w1');
  await d.waitApplied(Math.round(total * 0.3));
  await w1.kill();
  const w2 = d.worker('w2');
  await d.waitApplied(Math.round(total * 0.6));
  await w2.kill();
  const atSecondKill = await d.waitApplied(0);
  expect(atSecondKill).toBeLessThan(total); // really mid-way
  d.worker('w3');
  await producing;
  await d.settle();
  await d.stopAll();
  expect(differencesAcrossCrash(clean, await d.outcome())).toEqual({});
});

it('2 → 3 workers and a kill -9: exactly the clean outcome', async () => {
  const d = await Drill.open('scale-2-3-kill');
  const total = d.rec.records.length;
  d.worker('w1');
  d.worker('w2');
  await waitForGroup(d.mode, 2);
  const producing = d.producePaced(24_000);
  await d.waitApplied(Math.round(total * 0.25));
  d.worker('w3');
  await waitForGroup(d.mode, 3);
  await d.waitApplied(Math.round(total * 0.55));
  await d.workers[1].kill();
  expect(await d.waitApplied(0)).toBeLessThan(total);
  await producing;
  await d.settle();
  await d.stopAll();
  expect(differencesAcrossCrash(clean, await d.outcome())).toEqual({});
});
