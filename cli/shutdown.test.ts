/**
 * The watchdog and second-signal rules with the process hooks injected: timers are fired by the
 * test, exit is recorded, nothing sleeps.
 */
import { silentLogger } from '../kernel/logger';
import { EXIT, Shutdown, summaryLine, type ShutdownHooks } from './shutdown';

function fakeProcess() {
  const timers: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  const lines: string[] = [];
  const exits: number[] = [];
  const hooks: ShutdownHooks = {
    setTimer(fn, ms) {
      const t = { fn, ms, cancelled: false };
      timers.push(t);
      return () => (t.cancelled = true);
    },
    write: (l) => void lines.push(l),
    exit: (c) => void exits.push(c),
  };
  const fire = () => timers.filter((t) => !t.cancelled).forEach((t) => t.fn());
  return { timers, lines, exits, hooks, fire };
}

function setup(timeoutMs = 15_000) {
  const p = fakeProcess();
  let events = 0;
  const s = new Shutdown({
    timeoutMs,
    hooks: p.hooks,
    log: silentLogger(),
    summary: () => summaryLine({ events, alerts: 1, rejects: 0 }, 2000),
  });
  return { ...p, s, setEvents: (n: number) => (events = n) };
}

describe('Shutdown', () => {
  it('starts the watchdog at the first signal, not after draining, and aborts the run', () => {
    const t = setup(15_000);
    expect(t.timers).toHaveLength(0);
    t.s.onSignal('SIGTERM');
    expect(t.s.signal.aborted).toBe(true);
    expect(t.timers.map((x) => x.ms)).toEqual([15_000]);
    expect(t.exits).toEqual([]);
  });

  it('exits 124 with the reason and the summary when the watchdog fires', () => {
    const t = setup(5000);
    t.setEvents(42);
    t.s.stop('duration reached');
    t.fire();
    expect(t.exits).toEqual([EXIT.shutdownTimeout]);
    expect(t.lines).toEqual([
      'flowwatch: shutdown did not finish within 5s (--shutdown-timeout); exiting',
      'flowwatch: stopped after 2s: 42 events, 1 alert notifications, 0 rejects',
    ]);
  });

  it('exits at once on a second signal, with the summary counted so far (143 for SIGTERM, 130 for SIGINT)', () => {
    for (const [sig, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const t = setup();
      t.s.onSignal(sig);
      t.setEvents(7);
      t.s.onSignal(sig);
      expect(t.exits).toEqual([code]);
      expect(t.lines[0]).toMatch(new RegExp(`^flowwatch: second ${sig}: exiting at once`));
      expect(t.lines[1]).toBe('flowwatch: stopped after 2s: 7 events, 1 alert notifications, 0 rejects');
      // The watchdog was cancelled: it cannot print a second summary.
      t.fire();
      expect(t.exits).toEqual([code]);
      expect(t.lines).toHaveLength(2);
    }
  });

  it('a clean finish cancels the watchdog and prints the summary exactly once', () => {
    const t = setup();
    t.s.stop('SIGINT');
    t.s.stop('duration reached'); // a later stop request changes nothing
    expect(t.timers).toHaveLength(1);
    t.s.exit(EXIT.ok);
    t.s.exit(EXIT.error);
    t.s.onSignal('SIGINT');
    t.fire();
    expect(t.exits).toEqual([0]);
    expect(t.lines).toEqual(['flowwatch: stopped after 2s: 0 events, 1 alert notifications, 0 rejects']);
  });

  it('arms the watchdog for closing when the input ended without a stop request', () => {
    const t = setup(3000);
    t.s.armWatchdog();
    t.s.armWatchdog();
    expect(t.timers.map((x) => x.ms)).toEqual([3000]);
    expect(t.s.signal.aborted).toBe(false);
  });
});

describe('summaryLine', () => {
  it('names streams and reject reasons when there are any', () => {
    expect(
      summaryLine({ events: 3, alerts: 0, rejects: 2, eventsByStream: { people: 1, funds: 2 }, rejectsByReason: { late: 2 } }, 61_000),
    ).toBe('flowwatch: stopped after 1m1s: 3 events (people 1, funds 2), 0 alert notifications, 2 rejects (late 2)');
  });
});
