import { OpenLoopSchedule } from './schedule';

describe('OpenLoopSchedule (open loop: when each event is due)', () => {
  it('spaces events 1/rate apart from the start', () => {
    const s = new OpenLoopSchedule(1000, 10_000);
    expect(s.intendedTime(0)).toBe(10_000);
    expect(s.intendedTime(1)).toBeCloseTo(10_001, 9);
    expect(s.intendedTime(2500)).toBeCloseTo(12_500, 9);
  });

  it('counts the events due by a time, including the one due exactly then', () => {
    const s = new OpenLoopSchedule(1000, 10_000);
    expect(s.dueBy(9_999)).toBe(0);
    expect(s.dueBy(10_000)).toBe(1);
    expect(s.dueBy(10_000.5)).toBe(1);
    expect(s.dueBy(10_001)).toBe(2);
    expect(s.dueBy(11_000)).toBe(1001);
  });

  it('does not drift at rates that do not divide a millisecond', () => {
    const s = new OpenLoopSchedule(30_000, 0);
    expect(s.dueBy(1000)).toBe(30_001);
    expect(s.dueBy(60_000)).toBe(1_800_001);
  });

  it('caps at the total and knows when the run ends', () => {
    const s = new OpenLoopSchedule(100, 0, 50);
    expect(s.dueBy(1e9)).toBe(50);
    expect(s.end).toBeCloseTo(490, 9);
  });

  it('measures how far a sender is behind schedule (0 when on time)', () => {
    const s = new OpenLoopSchedule(1000, 0);
    expect(s.lagMs(1001, 1000)).toBe(0);
    // sent 500 by t=1000: the oldest unsent event was due at t=500
    expect(s.lagMs(500, 1000)).toBeCloseTo(500, 9);
  });

  it('a sender following the schedule sends at the offered rate however coarse its ticks', () => {
    const s = new OpenLoopSchedule(7_000, 0, 7_000);
    let sent = 0;
    const perTick: number[] = [];
    for (let t = 0; t <= 1002; t += 3) {
      const due = s.dueBy(t);
      perTick.push(due - sent);
      sent = due;
    }
    expect(sent).toBe(7_000);
    expect(Math.max(...perTick.slice(1))).toBeLessThanOrEqual(22);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => new OpenLoopSchedule(0, 0)).toThrow(RangeError);
  });
});
