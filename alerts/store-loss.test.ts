/**
 * Alerting after the alert store lost its state (Redis wiped under a running worker): a resolve
 * for an alert the store never saw firing is still notified, and a firing re-sent by the state
 * store's recovery goes out only where the store lost it.
 */
import { makeAlert, RecordingReceiver, resolved, route, testPipeline } from './testing/fakes';
import { markResent } from './identity';

it('a resolve for an alert the store does not know is notified (the group would drop it)', async () => {
  const r = new RecordingReceiver('oncall');
  const { p, store } = testPipeline({ receivers: [r], route: route({ receiver: 'oncall', group_wait: 0 }) });
  const a = makeAlert({ key: 'gate-1' });
  await p.dispatch([a]);
  await p.idle();
  store.wipe();
  await p.dispatch([resolved(a)]);
  await p.idle();
  expect(r.alerts().map((x) => `${x.reason}:${x.status}:${x.key}`)).toEqual(['new:firing:gate-1', 'new:resolved:gate-1']);
  // A re-delivered batch brings it once only: the record now knows the resolve.
  await p.dispatch([resolved(a)]);
  await p.idle();
  expect(r.ids()).toEqual([a.id, resolved(a).id]);
});

it('a re-sent firing is notified, marked, when the store lost it; its later resolve goes through the group', async () => {
  const r = new RecordingReceiver('oncall');
  const { p, store } = testPipeline({ receivers: [r], route: route({ receiver: 'oncall', group_wait: 0 }) });
  const a = makeAlert({ key: 'gate-1' });
  await p.dispatch([a]);
  await p.idle();
  store.wipe();
  await p.dispatch([markResent(a)]);
  await p.idle();
  await p.dispatch([resolved(a)]);
  await p.idle();
  const got = r.alerts();
  expect(got.map((x) => `${x.status}:${x.labels.resent ?? '-'}`)).toEqual(['firing:-', 'firing:state-store-lost', 'resolved:-']);
  expect(got[1].summary).toMatch(/^\[re-sent after state store loss\] /);
});

it('a re-sent firing is dropped where the store still knows the episode (a state-only wipe)', async () => {
  const r = new RecordingReceiver('oncall');
  const { p } = testPipeline({ receivers: [r], route: route({ receiver: 'oncall', group_wait: 0 }) });
  const a = makeAlert({ key: 'gate-1' });
  await p.dispatch([a]);
  await p.idle();
  await p.dispatch([markResent(a)]);
  await p.idle();
  // Even after it resolved: a late re-send does not bring the episode back.
  await p.dispatch([resolved(a)]);
  await p.dispatch([markResent(a)]);
  await p.idle();
  expect(r.ids()).toEqual([a.id, resolved(a).id]);
});
