/**
 * The alerting pipeline's behaviours, each as configured, on a memory store with a manual
 * clock: nothing sleeps — tests advance the clock and call tick().
 */
import { makeAlert, RecordingReceiver, resolved, route, testPipeline } from './testing/fakes';
import { K } from './store/types';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe('routing and de-duplication', () => {
  it('each state change reaches exactly the receivers its route names, once', async () => {
    const oncall = new RecordingReceiver('oncall');
    const ops = new RecordingReceiver('ops');
    const fraud = new RecordingReceiver('fraud');
    const { p } = testPipeline({
      receivers: [ops, oncall, fraud],
      route: route({
        receiver: 'ops',
        routes: [
          route({ matchers: ['severity="critical"'], receiver: 'oncall', continue: true }),
          route({ matchers: ['stream="funds"'], receiver: 'fraud' }),
        ],
      }),
    });
    const gate = makeAlert({ key: 'gate-1', severity: 'critical' });
    const account = makeAlert({ stream: 'funds', key: 'acct-9' });
    const container = makeAlert({ stream: 'goods', key: 'c-7' });
    await p.dispatch([gate, account, container]);
    await p.idle();
    await p.dispatch([resolved(gate)]);
    await p.idle();
    // The same changes again (a re-delivered batch): nothing more.
    await p.dispatch([gate, account, container, resolved(gate)]);
    await p.idle();
    expect(oncall.ids()).toEqual([gate.id, resolved(gate).id]);
    expect(fraud.ids()).toEqual([account.id]);
    expect(ops.ids().sort()).toEqual([container.id].sort());
  });

  it('notifications carry stable ids: the same change gives the same notification id', async () => {
    const run = async () => {
      const r = new RecordingReceiver('a');
      const { p } = testPipeline({ receivers: [r] });
      await p.dispatch([makeAlert({ key: 'k' })]);
      await p.idle();
      return r.got[0].id;
    };
    expect(await run()).toBe(await run());
  });
});

describe('grouping', () => {
  it('an alert storm: a group document stays small however many changes wait, and the flush sends them all in order', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock, store } = testPipeline({
      receivers: [r],
      route: route({ receiver: 'ops', group_by: ['stream'], group_wait: 1 * M, group_interval: 5 * M }),
    });
    const sent: string[] = [];
    const sizes: number[] = [];
    for (let b = 0; b < 100; b++) {
      const batch = Array.from({ length: 10 }, (_, i) => makeAlert({ key: `gate-${b * 10 + i}` }));
      sent.push(...batch.map((a) => a.id));
      await p.dispatch(batch);
      const [group] = (await store.mget([K.group((await store.members(K.groupsDue))[0])])) as [unknown];
      sizes.push(JSON.stringify(group).length);
    }
    expect(await store.depth(K.pending((await store.members(K.groupsDue))[0]))).toBe(1000);
    expect(Math.max(...sizes)).toBe(sizes[0]); // the waiting changes are not in the document
    expect(r.got).toHaveLength(0); // still in group_wait
    clock.advance(1 * M);
    await p.tick();
    expect(r.got).toHaveLength(1);
    expect(r.got[0].alerts.map((a) => a.id)).toEqual(sent);
    const key = (await store.members(K.groupsDue))[0];
    expect(await store.depth(K.pending(key))).toBe(0); // the flush took what it sent
  });

  it('group_wait collects the first alerts; group_interval spaces later notifications', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({
      receivers: [r],
      route: route({ receiver: 'ops', group_by: ['stream'], group_wait: 30 * S, group_interval: 5 * M }),
    });
    await p.dispatch([makeAlert({ key: 'gate-1' })]);
    await p.idle();
    clock.advance(10 * S);
    await p.dispatch([makeAlert({ key: 'gate-2' })]);
    await p.idle();
    await p.tick();
    expect(r.got).toHaveLength(0); // still in group_wait
    clock.advance(20 * S);
    await p.tick();
    expect(r.got).toHaveLength(1);
    expect(r.got[0].alerts.map((a) => a.key)).toEqual(['gate-1', 'gate-2']);
    expect(r.got[0].groupLabels).toEqual({ stream: 'people' });

    clock.advance(1 * M);
    await p.dispatch([makeAlert({ key: 'gate-3' }), makeAlert({ stream: 'goods', key: 'c-1' })]);
    await p.idle();
    await p.tick();
    clock.advance(30 * S);
    await p.tick();
    // goods is a new group (its own group_wait, now over); people waits for its group_interval.
    expect(r.got.map((n) => n.alerts.map((a) => a.key))).toEqual([['gate-1', 'gate-2'], ['c-1']]);
    clock.advance(3 * M + 29 * S);
    await p.tick();
    expect(r.got).toHaveLength(2);
    clock.advance(1 * S); // 5 minutes after the first people notification
    await p.tick();
    expect(r.got.map((n) => n.alerts.map((a) => a.key))).toEqual([['gate-1', 'gate-2'], ['c-1'], ['gate-3']]);
  });

  it('group_by separates groups', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r], route: route({ receiver: 'ops', group_by: ['key'], group_wait: 10 * S }) });
    await p.dispatch([makeAlert({ key: 'a' }), makeAlert({ key: 'b' }), makeAlert({ key: 'a', detector: 'other' })]);
    await p.idle();
    clock.advance(10 * S);
    await p.tick();
    expect(r.got.map((n) => n.alerts.map((a) => a.fingerprint))).toEqual([['people/surge/a', 'people/other/a'], ['people/surge/b']]);
  });
});

describe('repeat and resolved', () => {
  it('a resolve of an earlier episode does not end a later one: no alert ends before it starts', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r], route: route({ receiver: 'ops', group_wait: 0 }) });
    const later = makeAlert({ key: 'gate-1', startsAt: 43 * M });
    await p.dispatch([later]);
    await p.idle();
    // The resolve of an episode that started at 0:20 and ended at 0:30 — before 0:43.
    await p.dispatch([{ ...resolved(makeAlert({ key: 'gate-1', startsAt: 20 * M })), endsAt: 30 * M }]);
    await p.idle();
    clock.advance(1 * M);
    await p.tick();
    expect(r.alerts().map((x) => `${x.status}@${x.startsAt / M}`)).toEqual(['firing@43']);
    expect((await p.activeAlerts()).map((a) => a.startsAt)).toEqual([new Date(43 * M).toISOString()]);
  });

  it('a still-firing alert is notified again every repeat_interval; its resolve goes out once', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r], route: route({ receiver: 'ops', repeat_interval: 1 * H }) });
    const a = makeAlert({ key: 'gate-1' });
    await p.dispatch([a]);
    await p.idle();
    clock.advance(59 * M);
    await p.tick();
    expect(r.got.map((n) => n.reason)).toEqual(['new']);
    clock.advance(1 * M);
    await p.tick();
    expect(r.got.map((n) => n.reason)).toEqual(['new', 'repeat']);
    expect(r.got[1].alerts[0].id).toBe(a.id);
    clock.advance(1 * H);
    await p.tick();
    expect(r.got.map((n) => n.reason)).toEqual(['new', 'repeat', 'repeat']);
    await p.dispatch([resolved(a)]);
    await p.idle();
    clock.advance(5 * H);
    await p.tick();
    expect(r.alerts().map((x) => `${x.reason}:${x.status}`)).toEqual(['new:firing', 'repeat:firing', 'repeat:firing', 'new:resolved']);
  });

  it('firing, resolve and firing again in one millisecond, each its own dispatch: all three are delivered', async () => {
    // The resolve empties the group (it is deleted) and the next firing makes it anew in the same
    // millisecond: the new group's first notification must not take the id of the old group's
    // first one, or the notification log drops it as already delivered.
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r] });
    const first = makeAlert({ key: 'gate-1', startsAt: 10 * M });
    const again = makeAlert({ key: 'gate-1', startsAt: 11 * M });
    for (const change of [first, resolved(first), again]) {
      await p.dispatch([change]);
      await p.idle();
    }
    clock.advance(1 * S);
    await p.tick();
    await p.idle();
    expect(r.ids()).toEqual([first.id, resolved(first).id, again.id]);
    expect(new Set(r.got.map((n) => n.id)).size).toBe(3);
  });
});

describe('flush reads', () => {
  const recordReads = (calls: unknown[][]) => calls.flatMap((c) => (c[0] as string[]).filter((k) => k.startsWith('rec:'))).length;

  it('in a storm, a new firing change reads no alert records, not those of every alert its group has firing', async () => {
    const r = new RecordingReceiver('ops');
    // What the default route does: group by (stream, detector), no group_wait or group_interval.
    const { p, clock, store } = testPipeline({
      receivers: [r],
      route: route({ receiver: 'ops', group_by: ['stream', 'detector'], repeat_interval: 4 * H }),
    });
    const storm = Array.from({ length: 300 }, (_, i) => makeAlert({ key: `gate-${i}` }));
    for (let i = 0; i < storm.length; i += 30) {
      await p.dispatch(storm.slice(i, i + 30));
      clock.advance(S);
    }
    await p.idle();
    const mget = jest.spyOn(store, 'mget');
    const transact = jest.spyOn(store, 'transact');
    const late = makeAlert({ key: 'gate-late' });
    await p.dispatch([late]);
    await p.idle();
    expect(recordReads(mget.mock.calls)).toBe(0); // the queued change carries its alert: no record read
    expect(transact).toHaveBeenCalledTimes(2); // accept, then one flush pass: the group read once each
    // The change itself reads and writes the group's small head, not its 301 firing alerts.
    expect((transact.mock.calls[0][0] as string[]).some((k) => k.startsWith('grpf:'))).toBe(false);
    expect(r.ids()).toEqual([...storm.map((a) => a.id), late.id]);
    // A repeat still needs (and reads) every firing alert: all 301 go out again.
    mget.mockClear();
    transact.mockClear();
    clock.advance(4 * H);
    await p.tick();
    expect(recordReads(mget.mock.calls)).toBe(301);
    expect(transact).toHaveBeenCalledTimes(2); // the first pass found the records needed
    expect(r.got.at(-1)!.reason).toBe('repeat');
    expect(r.got.at(-1)!.alerts).toHaveLength(301);
  });

  it("a group's firing alerts live in their own document; one stored in the group by an older release is still used, and moved out", async () => {
    const r = new RecordingReceiver('ops');
    const { p, store } = testPipeline({ receivers: [r] });
    const a = makeAlert({ key: 'gate-1' });
    const b = makeAlert({ key: 'gate-2' });
    await p.dispatch([a, b]);
    await p.idle();
    const key = (await store.members(K.groupsDue))[0];
    const [head, firing] = (await store.mget([K.group(key), K.firing(key)])) as [
      Record<string, unknown>,
      { firing: Record<string, unknown> },
    ];
    expect(head.firing).toBeUndefined();
    expect(Object.keys(firing.firing).sort()).toEqual([a.fingerprint, b.fingerprint].sort());
    // As an older release stored it: the firing alerts inside the group document.
    await store.transact([], (_, w) => {
      w.put(K.group(key), { ...head, firing: firing.firing });
      w.del(K.firing(key));
    });
    await p.dispatch([resolved(a)]);
    await p.idle();
    // The resolve goes out because the group knew gate-1's firing was notified.
    expect(r.ids()).toEqual([a.id, b.id, resolved(a).id]);
    const [head2, firing2] = (await store.mget([K.group(key), K.firing(key)])) as [
      Record<string, unknown>,
      { firing: Record<string, unknown> },
    ];
    expect(head2.firing).toBeUndefined();
    expect(Object.keys(firing2.firing)).toEqual([b.fingerprint]);
    await p.dispatch([resolved(b)]);
    await p.idle();
    expect(await store.mget([K.group(key), K.firing(key)])).toEqual([undefined, undefined]); // nothing left firing: both gone
  });

  it('a flush that needs records (a muted alert looked at again) reads them and runs once more', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock, store } = testPipeline({ receivers: [r] });
    await p.createSilence({ matchers: ['key="gate-1"'], endsAt: clock.now() + 10 * M, createdBy: 'ana' });
    const a = makeAlert({ key: 'gate-1' });
    const other = makeAlert({ key: 'gate-2' });
    await p.dispatch([a, other]);
    await p.idle();
    expect(r.ids()).toEqual([other.id]); // gate-1 silenced: held back, its group looks again later
    const mget = jest.spyOn(store, 'mget');
    const transact = jest.spyOn(store, 'transact');
    clock.advance(10 * M + 15 * S);
    await p.tick();
    // First pass: the held-back alert's record is needed, nothing written; second pass: sent.
    expect(transact).toHaveBeenCalledTimes(2);
    expect(recordReads(mget.mock.calls)).toBe(1);
    expect(r.ids()).toEqual([other.id, a.id]);
  });
});

describe('silences', () => {
  it('a silenced alert is held back, and notified when the silence ends while it still fires', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r] });
    const s = await p.createSilence({
      matchers: ['key=~"gate-.*"'],
      endsAt: clock.now() + 10 * M,
      createdBy: 'ana',
      comment: 'maintenance',
    });
    const a = makeAlert({ key: 'gate-1' });
    const other = makeAlert({ key: 'platform-2' });
    await p.dispatch([a, other]);
    await p.idle();
    expect(r.ids()).toEqual([other.id]);
    expect((await p.activeAlerts()).find((x) => x.id === a.id)?.mutedBy).toBe(`silence:${s.id}`);
    clock.advance(10 * M);
    await p.tick(); // the group looks again (silences may end) at most every 15 s
    clock.advance(15 * S);
    await p.tick();
    expect(r.ids()).toEqual([other.id, a.id]);
  });

  it('an alert that fires and resolves inside a silence is never notified', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r] });
    await p.createSilence({ matchers: ['stream="people"'], endsAt: clock.now() + H, createdBy: 'ana' });
    const a = makeAlert({ key: 'gate-1' });
    await p.dispatch([a]);
    await p.idle();
    clock.advance(5 * M);
    await p.dispatch([resolved(a)]);
    await p.idle();
    clock.advance(2 * H);
    await p.tick();
    expect(r.got).toEqual([]);
  });

  it('expiring a silence early ends it; expired and unknown silences are refused', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r] });
    const s = await p.createSilence({ matchers: ['stream="people"'], endsAt: clock.now() + H, createdBy: 'ana' });
    await p.dispatch([makeAlert({ key: 'gate-1' })]);
    await p.idle();
    await p.expireSilence(s.id);
    clock.advance(15 * S);
    await p.tick();
    expect(r.got).toHaveLength(1);
    expect((await p.silences())[0].state).toBe('expired');
    await expect(p.expireSilence(s.id)).rejects.toThrow(/already expired/);
    await expect(p.expireSilence('nope')).rejects.toThrow(/no silence with id "nope"/);
    await expect(p.createSilence({ matchers: ['bad'], endsAt: clock.now() + H, createdBy: 'x' })).rejects.toThrow(/bad matcher/);
    expect(await p.silences()).toHaveLength(1);
  });
});

describe('inhibition', () => {
  it('a critical alert for a station mutes the warnings for its gates, until it resolves', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({
      receivers: [r],
      inhibitRules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['station'] }],
    });
    const station = makeAlert({ key: 'central', detector: 'station-surge', severity: 'critical', labels: { station: 'central' } });
    const gate = makeAlert({ key: 'central-gate-3', severity: 'warning', labels: { station: 'central' } });
    const elsewhere = makeAlert({ key: 'north-gate-1', severity: 'warning', labels: { station: 'north' } });
    await p.dispatch([station]);
    await p.idle();
    await p.dispatch([gate, elsewhere]);
    await p.idle();
    expect(r.ids()).toEqual([station.id, elsewhere.id]);
    expect((await p.activeAlerts()).find((x) => x.id === gate.id)?.mutedBy).toBe(`inhibited:${station.fingerprint}`);
    await p.dispatch([resolved(station)]);
    await p.idle();
    clock.advance(15 * S);
    await p.tick();
    expect(r.ids()).toEqual([station.id, elsewhere.id, resolved(station).id, gate.id]);
  });
});

describe('flap detection', () => {
  it('an alert changing state too often is notified once as flapping, then its settled state', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r], config: { flap: { window: 10 * M, threshold: 4, quiet: 5 * M } } });
    let startsAt = 0;
    const cycle = async () => {
      startsAt += 1;
      const a = makeAlert({ key: 'gate-1', startsAt });
      await p.dispatch([a]);
      await p.idle();
      clock.advance(30 * S);
      await p.dispatch([resolved(a)]);
      await p.idle();
      clock.advance(30 * S);
      return a;
    };
    await cycle();
    await cycle(); // the 4th change within 10 min: flapping
    for (let i = 0; i < 5; i++) await cycle(); // held back
    const last = makeAlert({ key: 'gate-1', startsAt: 99 });
    await p.dispatch([last]); // ...and it stays firing
    await p.idle();
    expect(r.alerts().map((a) => `${a.status}${a.flapping ? ' flapping' : ''}`)).toEqual([
      'firing',
      'resolved',
      'firing',
      'resolved flapping',
    ]);
    expect((await p.activeAlerts())[0]).toMatchObject({ id: last.id, flapping: true });
    await p.ack(last.id, 'ana'); // acknowledged while it flaps: the settled notice says so
    clock.advance(4 * M);
    await p.tick();
    expect(r.got).toHaveLength(4);
    clock.advance(1 * M); // quiet for 5 min: settled
    await p.tick();
    expect(r.got).toHaveLength(5);
    expect(r.got[4]).toMatchObject({ reason: 'settled' });
    expect(r.got[4].alerts.map((a) => [a.id, a.status, a.flapping, a.ack?.by])).toEqual([[last.id, 'firing', undefined, 'ana']]);
    // Settled: ordinary changes are notified again.
    await p.dispatch([resolved(last)]);
    await p.idle();
    expect(r.got.at(-1)!.alerts[0].id).toBe(resolved(last).id);
  });
});

describe('acknowledgement', () => {
  it('records who and when, stops repeats, and is sent with the resolve', async () => {
    const r = new RecordingReceiver('ops');
    const { p, clock } = testPipeline({ receivers: [r], route: route({ receiver: 'ops', repeat_interval: 1 * H }) });
    const a = makeAlert({ key: 'gate-1' });
    const b = makeAlert({ key: 'gate-2' });
    await p.dispatch([a, b]);
    await p.idle();
    clock.advance(10 * M);
    const ack = await p.ack(a.id, 'ana', 'on my way');
    expect(ack).toEqual({ alertId: a.id, by: 'ana', at: clock.now(), comment: 'on my way' });
    expect((await p.activeAlerts()).find((x) => x.id === a.id)?.ack).toEqual({
      by: 'ana',
      at: new Date(clock.now()).toISOString(),
      comment: 'on my way',
    });
    clock.advance(50 * M);
    await p.tick();
    expect(r.got.at(-1)).toMatchObject({ reason: 'repeat' });
    expect(r.got.at(-1)!.alerts.map((x) => x.id)).toEqual([b.id]); // the acked one no longer repeats
    await p.dispatch([resolved(a)]);
    await p.idle();
    expect(r.got.at(-1)!.alerts[0]).toMatchObject({ id: resolved(a).id, status: 'resolved' });
    await expect(p.ack('no-such-id', 'ana')).rejects.toThrow(/no firing alert with id "no-such-id"/);
    await expect(p.ack(a.id, 'ana')).rejects.toThrow(/no firing alert/); // resolved now
  });

  it('a new episode of the same alert needs a new ack', async () => {
    const r = new RecordingReceiver('ops');
    const { p } = testPipeline({ receivers: [r] });
    const a = makeAlert({ key: 'gate-1', startsAt: 1 });
    await p.dispatch([a]);
    await p.idle();
    await p.ack(a.fingerprint, 'ana');
    await p.dispatch([resolved(a), makeAlert({ key: 'gate-1', startsAt: 2 })]);
    await p.idle();
    expect((await p.activeAlerts())[0].ack).toBeUndefined();
  });
});

describe('escalation', () => {
  const setup = () => {
    const oncall = new RecordingReceiver('oncall');
    const lead = new RecordingReceiver('lead');
    const t = testPipeline({
      receivers: [oncall, lead],
      route: route({ receiver: 'oncall' }),
      config: { escalation: [{ matchers: ['severity="critical"'], after: 10 * M, receiver: 'lead' }] },
    });
    return { oncall, lead, ...t };
  };

  it('an unacknowledged critical alert goes to the next receiver after the configured time; its resolve follows', async () => {
    const { oncall, lead, p, clock } = setup();
    const a = makeAlert({ key: 'gate-1', severity: 'critical' });
    const w = makeAlert({ key: 'gate-2', severity: 'warning' });
    await p.dispatch([a, w]);
    await p.idle();
    clock.advance(10 * M - 1);
    await p.tick();
    expect(lead.got).toEqual([]);
    clock.advance(1);
    await p.tick();
    expect(lead.got.map((n) => [n.reason, n.alerts.map((x) => x.id)])).toEqual([['escalation', [a.id]]]);
    clock.advance(1 * H);
    await p.tick();
    expect(lead.got).toHaveLength(1); // once per episode
    await p.dispatch([resolved(a)]);
    await p.idle();
    expect(lead.got.at(-1)!.alerts[0].id).toBe(resolved(a).id);
    expect(oncall.ids()).toEqual([a.id, w.id, resolved(a).id]);
  });

  it('an acknowledged alert does not escalate', async () => {
    const { lead, p, clock } = setup();
    const a = makeAlert({ key: 'gate-1', severity: 'critical' });
    await p.dispatch([a]);
    await p.idle();
    clock.advance(5 * M);
    await p.ack(a.id, 'ana');
    clock.advance(1 * H);
    await p.tick();
    expect(lead.got).toEqual([]);
  });
});

describe('delivery', () => {
  it('a failing receiver gets every notification, in order, when it is back (backoff, no waiting in dispatch)', async () => {
    const r = new RecordingReceiver('hook');
    const { p, clock, store } = testPipeline({
      receivers: [r],
      config: { delivery: { initial_backoff: 1 * S, max_backoff: 8 * S, poll_interval: 1 * S, lease: 30 * S, drain_timeout: 0 } },
    });
    r.fail = 'retryable';
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = makeAlert({ key: `k${i % 2}`, startsAt: i });
      await p.dispatch([a]);
      await p.idle();
      await p.dispatch([resolved(a)]);
      await p.idle();
      sent.push(a.id, resolved(a).id);
      clock.advance(2 * S);
    }
    expect(r.got).toEqual([]);
    expect(await store.depth(K.outbox('hook'))).toBe(10);
    const attemptsWhileDown = r.attempts;
    for (let i = 0; i < 60; i++) {
      clock.advance(1 * S);
      await p.tick();
    }
    expect(r.attempts - attemptsWhileDown).toBeLessThan(20); // backoff, not a retry per tick
    r.fail = null;
    for (let i = 0; i < 10; i++) {
      clock.advance(1 * S);
      await p.tick();
    }
    expect(r.ids()).toEqual(sent);
    expect(await store.depth(K.outbox('hook'))).toBe(0);
  });

  it('a permanent rejection goes to the dead list and the rest flows on', async () => {
    const r = new RecordingReceiver('hook');
    const { p, store } = testPipeline({ receivers: [r] });
    r.fail = 'permanent';
    await p.dispatch([makeAlert({ key: 'a' })]);
    await p.idle();
    r.fail = null;
    const b = makeAlert({ key: 'b' });
    await p.dispatch([b]);
    await p.idle();
    expect(r.ids()).toEqual([b.id]);
    expect(await store.depth(K.dead('hook'))).toBe(1);
    expect((await p.snapshot()).dead).toEqual({ hook: 1 });
  });

  it('one receiver down does not hold back another', async () => {
    const down = new RecordingReceiver('down');
    const up = new RecordingReceiver('up');
    const { p } = testPipeline({
      receivers: [down, up],
      route: route({ receiver: 'down', routes: [route({ receiver: 'down', continue: true }), route({ receiver: 'up' })] }),
    });
    down.fail = 'retryable';
    const a = makeAlert({ key: 'a' });
    await p.dispatch([a]);
    await p.idle();
    expect(up.ids()).toEqual([a.id]);
  });
});
