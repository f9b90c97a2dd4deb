import type { Observation } from '../kernel/types';

/** Per-fingerprint lifecycle state, plain JSON so it persists with the detector state. */
export interface LifecycleState {
  /** 0 inactive, 1 pending, 2 firing */
  phase: 0 | 1 | 2;
  /** Event time the current pending/firing episode began. */
  since: number;
  /** Highest score seen in the episode (evidence of the worst moment). */
  peak: number;
}

export type Transition = 'firing' | 'resolved' | null;

export function initLifecycle(): LifecycleState {
  return { phase: 0, since: 0, peak: 0 };
}

/**
 * pending → firing → resolved per fingerprint. A condition must hold for `forMs` of event time
 * before it fires; a pending condition that clears never notifies. Returns the transition to
 * notify, so each episode produces exactly one firing and one resolved notification.
 */
export function stepLifecycle(s: LifecycleState, obs: Observation, ts: number, forMs: number): Transition {
  if (obs.firing) {
    if (s.phase === 0) {
      s.phase = 1;
      s.since = ts;
      s.peak = obs.score;
    } else if (obs.score > s.peak) {
      s.peak = obs.score;
    }
    if (s.phase === 1 && ts - s.since >= forMs) {
      s.phase = 2;
      return 'firing';
    }
    return null;
  }
  if (s.phase === 2) {
    s.phase = 0;
    return 'resolved';
  }
  s.phase = 0;
  return null;
}
