import { Router, fanOutRoute, groupLabels } from './route';
import { route } from '../testing/fakes';

describe('routing tree', () => {
  const tree = route({
    receiver: 'default',
    group_wait: 30_000,
    routes: [
      route({ matchers: ['severity="critical"'], receiver: 'oncall', continue: true, group_wait: 0 }),
      route({
        matchers: ['stream="funds"'],
        receiver: 'fraud',
        routes: [route({ matchers: ['detector="structuring"'], receiver: 'compliance' })],
      }),
      route({ matchers: ['stream=~"people|goods"'], receiver: 'ops' }),
    ],
  });
  const r = new Router(tree, 'default');
  const names = (labels: Record<string, string>) => r.match(labels).map((x) => x.receiver);

  it('first matching child wins; continue lets siblings match too', () => {
    expect(names({ stream: 'people', severity: 'warning' })).toEqual(['ops']);
    expect(names({ stream: 'people', severity: 'critical' })).toEqual(['oncall', 'ops']);
    expect(names({ stream: 'funds', severity: 'critical', detector: 'velocity' })).toEqual(['oncall', 'fraud']);
  });

  it('nested routes; a route takes the alert when none of its children match', () => {
    expect(names({ stream: 'funds', detector: 'structuring' })).toEqual(['compliance']);
    expect(names({ stream: 'funds', detector: 'fan-out' })).toEqual(['fraud']);
  });

  it('the root is the default route', () => {
    expect(names({ stream: 'water' })).toEqual(['default']);
  });

  it('children inherit group settings they do not set', () => {
    const [oncall, ops] = r.match({ stream: 'people', severity: 'critical' });
    expect(oncall.groupWait).toBe(0);
    expect(ops.groupWait).toBe(30_000);
    expect(ops.groupBy).toEqual(['stream', 'detector']);
    expect(ops.id).toBe('0.2');
  });

  it('an alert reaches a receiver once even when two matching routes name it', () => {
    const dup = new Router(route({ receiver: 'a', routes: [route({ receiver: 'b', continue: true }), route({ receiver: 'b' })] }), 'a');
    expect(dup.match({}).map((x) => x.receiver)).toEqual(['b']);
  });

  it('without a route every receiver gets every alert', () => {
    const fan = new Router(fanOutRoute(['console', 'jsonl']), 'console');
    expect(fan.match({ stream: 'x' }).map((x) => x.receiver)).toEqual(['console', 'jsonl']);
  });

  it('groups by the route\'s labels, or all of them with "..."', () => {
    const [ops] = r.match({ stream: 'people', severity: 'warning' });
    expect(groupLabels(ops, { stream: 'people', detector: 'surge', key: 'g1' })).toEqual({ stream: 'people', detector: 'surge' });
    expect(groupLabels({ ...ops, groupBy: ['...'] }, { a: '1', b: '2' })).toEqual({ a: '1', b: '2' });
  });
});
