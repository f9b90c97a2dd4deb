import type { Observation } from '../kernel/types';
import { encodeLifecycle, initLifecycle, stepLifecycle, type LifecycleState } from './lifecycle';
import { StateEncoder, decodeStateValue, encodeStateValue } from '../state/codec';

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

describe('encodeLifecycle (the stored form, written into a commit)', () => {
  const written = (l: LifecycleState): Buffer => {
    const enc = new StateEncoder();
    enc.begin();
    encodeLifecycle(l, enc);
    enc.end();
    return enc.finish()[0];
  };

  it('writes the bytes of encoding the lifecycle object, from a larger object holding its fields', () => {
    const l = { phase: 2 as const, since: 1_796_626_441_500, peak: 0.7674418604651163 };
    // The pipeline's entry holds the fields beside its detector state: only the three are written.
    expect(written({ state: { n: 1 }, ...l, obs: null } as LifecycleState).equals(encodeStateValue(l))).toBe(true);
    expect(written(initLifecycle()).equals(encodeStateValue({ phase: 0, since: 0, peak: 0 }))).toBe(true);
  });

  it('a lifecycle restored without a field is written as its fields are (the missing one left out)', () => {
    const odd = { phase: 1, since: 5, state: 'x' } as unknown as LifecycleState;
    expect(decodeStateValue(written(odd))).toEqual({ phase: 1, since: 5 });
  });
});
