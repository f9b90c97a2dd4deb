/**
 * Incidents with two workers on one Redis alert store: both accept overlapping batches at once
 * (a redelivery, a rebalance), one incident is made per correlation, and each department gets
 * exactly one notification per incident change (counted by id across both workers' receivers).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { ManualClock } from '../../kernel/clock';
import { RedisAlertStore } from '../../alerts/store/redis';
import { makeAlert, resolved } from '../../alerts/testing/fakes';
import { DEPARTMENTS, incidentPipeline } from '../../alerts/incidents/testing/pipeline';

jest.setTimeout(60_000);

const REDIS_URL = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('incidents on Redis with two workers', () => {
  const prefix = `fwtest:inc:${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const r = new Redis(REDIS_URL());
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
    await r.quit();
  });

  it('one incident per correlation, one notification per department per incident change', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 27, 18));
    const w1 = incidentPipeline({ store: new RedisAlertStore({ url: REDIS_URL(), prefix }), clock, workerId: 'w1' });
    const w2 = incidentPipeline({ store: new RedisAlertStore({ url: REDIS_URL(), prefix }), clock, workerId: 'w2' });
    const t0 = clock.now();
    const crowd = [1, 2, 3].map((g) =>
      makeAlert({ stream: 'people', key: `central-g${g}`, detector: 'crowd-surge', startsAt: t0 + g * 1000 }),
    );
    const truck = makeAlert({ stream: 'goods', key: 'RFC-1001', detector: 'temp-excursion', startsAt: t0 + 20_000 });
    const pay = makeAlert({ stream: 'funds', key: 'ACC-00003', detector: 'fan-out', startsAt: t0 + 30_000 });
    // Both workers get overlapping batches at once.
    await Promise.all([w1.p.dispatch([...crowd, truck]), w2.p.dispatch([crowd[2], truck, pay])]);
    await Promise.all([w1.p.dispatch([pay]), w2.p.dispatch(crowd)]);
    const incidents = await w1.p.incidents!.list();
    expect(incidents.map((i) => i.rule).sort()).toEqual(['district-event', 'party-cold-chain']);
    const district = incidents.find((i) => i.rule === 'district-event')!;
    expect(district.members).toHaveLength(5);
    await w2.p.incidents!.ack(district.id, 'transport', 'ana');
    clock.advance(60_000);
    await Promise.all([w1.p.dispatch([...crowd, truck, pay].map(resolved)), w2.p.dispatch([...crowd, truck, pay].map(resolved))]);
    await Promise.all([w1.p.tick(), w2.p.tick()]);
    await Promise.all([w1.p.idle(), w2.p.idle()]);
    await Promise.all([w1.p.tick(), w2.p.tick()]);
    const ended = await w1.p.incidents!.list();
    expect(ended.every((i) => i.status === 'resolved')).toBe(true);
    for (const d of DEPARTMENTS) {
      const got = [...w1.desk(d).got, ...w2.desk(d).got];
      const ids = got.map((n) => n.id);
      expect(new Set(ids).size).toBe(ids.length); // no notification twice
      // One per incident version: every version of every incident the department is in.
      const expected = ended.filter((i) => i.departments.some((x) => x.name === d)).reduce((n, i) => n + i.version, 0);
      expect(ids).toHaveLength(expected);
    }
    expect(w1.desk('transport').got.length + w2.desk('transport').got.length).toBeGreaterThanOrEqual(3); // opened, ack, resolved
    await Promise.all([w1.p.close(), w2.p.close()]);
  });
});
