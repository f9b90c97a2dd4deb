import type { Observation } from '../kernel/types';
import { initLifecycle, stepLifecycle } from './lifecycle';

const obs = (firing: boolean, score = firing ? 0.9 : 0.1): Observation => ({
  firing,
  score,
  evidence: { measure: 'v', value: 1, baseline: 0, deviation: 1, unit: 'abs' },
});

describe('alert lifecycle', () => {
  it('fires once and resolves once per episode', () => {
    const s = initLifecycle();
    expect(stepLifecycle(s, obs(true), 1000, 0)).toBe('firing');
    expect(stepLifecycle(s, obs(true), 2000, 0)).toBeNull();
    expect(stepLifecycle(s, obs(true), 3000, 0)).toBeNull();
    expect(stepLifecycle(s, obs(false), 4000, 0)).toBe('resolved');
    expect(stepLifecycle(s, obs(false), 5000, 0)).toBeNull();
    expect(s.phase).toBe(0);
  });

  it('holds a condition pending for the `for` duration before firing; startsAt is when it began', () => {
    const s = initLifecycle();
    expect(stepLifecycle(s, obs(true), 0, 120_000)).toBeNull();
    expect(s.phase).toBe(1);
    expect(stepLifecycle(s, obs(true), 60_000, 120_000)).toBeNull();
    expect(stepLifecycle(s, obs(true), 120_000, 120_000)).toBe('firing');
    expect(s.since).toBe(0);
  });

  it('a pending condition that clears never notifies', () => {
    const s = initLifecycle();
    stepLifecycle(s, obs(true), 0, 120_000);
    expect(stepLifecycle(s, obs(false), 60_000, 120_000)).toBeNull();
    expect(stepLifecycle(s, obs(true), 90_000, 120_000)).toBeNull();
    expect(s.since).toBe(90_000);
  });

  it('remembers the peak score of the episode', () => {
    const s = initLifecycle();
    stepLifecycle(s, obs(true, 0.6), 0, 0);
    stepLifecycle(s, obs(true, 0.95), 1, 0);
    stepLifecycle(s, obs(true, 0.7), 2, 0);
    expect(s.peak).toBe(0.95);
  });
});
