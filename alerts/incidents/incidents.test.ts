import { ManualClock } from '../../kernel/clock';
import { MemoryAlertStore } from '../store/memory';
import { makeAlert, resolved } from '../testing/fakes';
import { incidentPipeline } from './testing/pipeline';

const MIN = 60_000;

function setup() {
  const clock = new ManualClock(1_000_000);
  const store = new MemoryAlertStore(clock);
  return { clock, store, ...incidentPipeline({ store, clock }) };
}

describe('incidents', () => {
  it('labels alerts from reference data and opens one incident when two flows meet in one district', async () => {
    const t = setup();
    const crowd = makeAlert({ stream: 'people', key: 'central-g3', detector: 'crowd-surge', severity: 'critical', startsAt: 1_000_000 });
    await t.p.dispatch([crowd]);
    expect(await t.p.incidents!.list()).toEqual([]);
    expect(t.alerts.got[0].alerts[0].labels).toMatchObject({
      district: 'haidian',
      place: 'central-stadium',
      where: 'Gate 3 at Central Stadium (Haidian district)',
    });
    t.clock.advance(30_000);
    const truck = makeAlert({ stream: 'goods', key: 'RFC-1001', detector: 'unexpected-stop', startsAt: 1_030_000 });
    await t.p.dispatch([truck]);
    await t.p.idle();
    const [inc] = await t.p.incidents!.list();
    expect(inc).toMatchObject({
      rule: 'district-event',
      status: 'open',
      severity: 'critical',
      title: 'Cross-flow event in haidian (Central Stadium)',
    });
    expect(inc.members.map((m) => m.fingerprint)).toEqual([crowd.fingerprint, truck.fingerprint]);
    expect(inc.openedEventAt - inc.firstAlertAt).toBe(30_000);
    expect(t.desk('transport').got.map((n) => n.reason)).toEqual(['incident']);
    expect(t.desk('public-security').got).toHaveLength(1);
    expect(t.desk('health').got).toHaveLength(0);
    // The same batch again (a redelivery): nothing new.
    await t.p.dispatch([truck]);
    await t.p.idle();
    expect(t.desk('transport').got).toHaveLength(1);
  });

  it('adds and resolves members, records acks per department and resolves when every member has', async () => {
    const t = setup();
    const a = makeAlert({ stream: 'people', key: 'central-g1', startsAt: 1_000_000 });
    const b = makeAlert({ stream: 'funds', key: 'ACC-00001', startsAt: 1_000_000 + 2 * MIN });
    const c = makeAlert({ stream: 'goods', key: 'RFC-1003', startsAt: 1_000_000 + 5 * MIN });
    await t.p.dispatch([a, b]);
    const [inc] = await t.p.incidents!.list();
    await t.p.dispatch([c]);
    expect((await t.p.incidents!.get(inc.id))!.members).toHaveLength(3);
    await t.p.incidents!.ack(inc.id, 'transport', 'ana');
    expect((await t.p.incidents!.get(inc.id))!.status).toBe('open');
    const acked = await t.p.incidents!.ack(inc.id, 'public-security', 'bo', 'on site');
    expect(acked.status).toBe('acknowledged');
    await expect(t.p.incidents!.ack(inc.id, 'health', 'x')).rejects.toThrow(/not involved/);
    await t.p.dispatch([resolved(a), resolved(b)]);
    expect((await t.p.incidents!.get(inc.id))!.status).toBe('acknowledged');
    await t.p.dispatch([resolved(c)]);
    const done = (await t.p.incidents!.get(inc.id))!;
    expect(done.status).toBe('resolved');
    expect(done.timeline.map((e) => e.kind)).toEqual([
      'opened',
      'joined',
      'joined',
      'joined',
      'acknowledged',
      'acknowledged',
      'left',
      'left',
      'left',
      'resolved',
    ]);
    await t.p.idle();
    // One notification per department per change: opened, c joined, 2 acks, a+b left (one batch), resolved.
    const ids = t.desk('transport').got.map((n) => n.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    await expect(t.p.incidents!.closeByHand(inc.id, 'ana', 'x')).rejects.toThrow(/ended/);
  });

  it('joins goods and funds alerts of one party, and is closed by hand with a note', async () => {
    const t = setup();
    await t.p.dispatch([makeAlert({ stream: 'goods', key: 'RFC-1004', detector: 'excursion', startsAt: 1_000_000 })]);
    t.clock.advance(20 * MIN);
    await t.p.dispatch([makeAlert({ stream: 'funds', key: 'ACC-00004', detector: 'fan-out', startsAt: 1_000_000 + 20 * MIN })]);
    const list = await t.p.incidents!.list();
    const inc = list.find((i) => i.rule === 'party-cold-chain')!;
    expect(inc).toMatchObject({
      anchor: { label: 'party', value: 'freshway' },
      severity: 'warning',
      title: 'Cold chain and payments of freshway',
    });
    expect(list.some((i) => i.rule === 'district-event')).toBe(false); // 20 min apart: outside the district rule's 15m
    const closed = await t.p.incidents!.closeByHand(inc.id, 'ana', 'known supplier audit');
    expect(closed.status).toBe('closed');
    expect(closed.timeline.at(-1)).toMatchObject({ kind: 'closed', by: 'ana', note: 'known supplier audit' });
    expect((await t.p.incidents!.list()).find((i) => i.id === inc.id)!.status).toBe('closed');
    await t.p.idle();
    expect(t.desk('finance').got.map((n) => (n.incident as { status: string }).status)).toEqual(['open', 'closed']);
  });

  it('does not join alerts of one flow, or alerts further apart than the window', async () => {
    const t = setup();
    await t.p.dispatch([makeAlert({ stream: 'people', key: 'central-g1' }), makeAlert({ stream: 'people', key: 'central-g2' })]);
    await t.p.dispatch([makeAlert({ stream: 'goods', key: 'RFC-1001', startsAt: 1_000 + 16 * MIN })]);
    expect(await t.p.incidents!.list()).toEqual([]);
  });
});
