/** The final drain on close() of a memory store: what it delivers, and that it ends. */
import { makeAlert, RecordingReceiver, route, testPipeline } from '../testing/fakes';

describe('close() of a memory store', () => {
  it('flushes the groups still waiting and delivers them', async () => {
    const r = new RecordingReceiver('hook');
    const { p } = testPipeline({ receivers: [r], route: route({ receiver: 'hook', group_wait: 60_000 }) });
    const a = makeAlert({ key: 'a' });
    await p.dispatch([a]);
    await p.idle();
    expect(r.got).toEqual([]); // in group_wait
    await p.close();
    expect(r.ids()).toEqual([a.id]);
  });

  it('stops retrying a receiver that is down once close() gives up, even on a clock that does not move', async () => {
    const r = new RecordingReceiver('hook');
    // The deadline is on the injected clock: a manual one never reaches it, so close()'s own bound ends the drain.
    const { p } = testPipeline({
      receivers: [r],
      config: { delivery: { initial_backoff: 1, max_backoff: 1, poll_interval: 1000, lease: 30_000, drain_timeout: 100 } },
    });
    r.fail = 'retryable';
    await p.dispatch([makeAlert({ key: 'a' })]);
    await p.idle();
    await p.close();
    const attempts = r.attempts;
    expect(attempts).toBeGreaterThan(1); // it did retry while draining
    await new Promise((done) => setTimeout(done, 400));
    expect(r.attempts).toBe(attempts);
  });
});
