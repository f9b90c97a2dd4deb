import { backlogWindow, type BacklogSample } from './measure';

const at = (t: number, done: number, cpuTicks: number | null): BacklogSample => ({ t, done, cpuTicks });

describe('backlogWindow', () => {
  it('measures from the first sample past 10 % to the first past 90 % of the total', () => {
    // 1,000 events: the window runs from the sample at 150 done (t=1 s) to the one at 950 (t=5 s).
    const samples = [at(0, 0, 0), at(500, 50, 20), at(1000, 150, 100), at(3000, 600, 250), at(5000, 950, 500), at(5200, 1000, 510)];
    const w = backlogWindow(samples, 1000);
    expect(w.events).toBe(800);
    expect(w.seconds).toBe(4);
    expect(w.eventsPerSec).toBe(200);
    // 400 ticks = 4 s of CPU over 800 events = 5,000 µs each; 4 s of CPU in 4 s of wall = 100 %.
    expect(w.cpuUsPerEvent).toBe(5000);
    expect(w.cpuPct).toBe(100);
  });

  it('takes a sample exactly at a boundary as inside the window', () => {
    const w = backlogWindow([at(0, 100, 0), at(2000, 900, 100)], 1000);
    expect(w.events).toBe(800);
    expect(w.eventsPerSec).toBe(400);
  });

  it('gives nulls when one sample spans the whole window (a backlog too small to sample)', () => {
    const w = backlogWindow([at(0, 0, 0), at(200, 1000, 3)], 1000);
    expect(w).toEqual({ events: 0, seconds: null, eventsPerSec: null, cpuUsPerEvent: null, cpuPct: null });
  });

  it('gives nulls when the backlog never reached 90 %', () => {
    expect(backlogWindow([at(0, 200, 0), at(1000, 500, 10)], 1000).eventsPerSec).toBeNull();
  });

  it('keeps the rate but not the CPU when the process could not be read at an end', () => {
    const w = backlogWindow([at(0, 100, null), at(1000, 900, 50)], 1000);
    expect(w.eventsPerSec).toBe(800);
    expect(w.cpuUsPerEvent).toBeNull();
    expect(w.cpuPct).toBeNull();
  });
});
