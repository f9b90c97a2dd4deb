import { MIN_EVENTS_PER_KEY, SETTLED_ALERTS, warmupBudget, warmupVerdict } from './warmup';

describe('kafka bench warm-up', () => {
  it('stops once every key had its events and a step is quiet', () => {
    expect(warmupVerdict({ steps: 3, eventsPerKeyPerStep: 10, alertChanges: 9 })).toEqual({ done: true, settled: true });
    expect(warmupVerdict({ steps: 3, eventsPerKeyPerStep: 10, alertChanges: SETTLED_ALERTS + 1 })).toEqual({ done: false });
    // Quiet only because the detectors are still warming up: not settled.
    expect(warmupVerdict({ steps: 1, eventsPerKeyPerStep: 5, alertChanges: 0 })).toEqual({ done: false });
  });

  it('gives slow warm-ups the steps they need, within bounds', () => {
    expect(warmupBudget(10)).toBe(8); // 2 steps to warm the keys + 4 for the storm, at least 8
    expect(warmupBudget(0.625)).toBe(36); // 10k keys at 1,250/s in 5 s steps: 32 + 4
    expect(warmupBudget(0.1)).toBe(40); // would need 200: capped
    expect(warmupBudget(0)).toBe(40);
  });

  it('says why when it runs out of steps', () => {
    expect(warmupVerdict({ steps: 40, eventsPerKeyPerStep: 0.1, alertChanges: 0 })).toEqual({
      done: true,
      settled: false,
      why: `keys have had 4.0 events each of the ${MIN_EVENTS_PER_KEY} the detectors need`,
    });
    expect(warmupVerdict({ steps: 8, eventsPerKeyPerStep: 10, alertChanges: 300 })).toEqual({
      done: true,
      settled: false,
      why: 'the last step still raised 300 alert changes (settled: at most 20)',
    });
  });
});
