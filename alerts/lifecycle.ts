import type { Observation } from '../kernel/types';
import { StateEncoder, nameToken } from '../state/codec';

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

/** The stored object's head and first member name: {phase: */
const HEAD = StateEncoder.fragment((e) => {
  e.objectOf(3);
  e.key('phase');
});
const SINCE = nameToken('since');
const PEAK = nameToken('peak');

/** Whether the lifecycle is in its initial state: the stored row then leaves it out. */
export function isInitialLifecycle(l: LifecycleState): boolean {
  return l.phase === 0 && l.since === 0 && l.peak === 0;
}

/**
 * Writes a lifecycle into a commit's encoder: the bytes of encoding the object, in its fixed field
 * order (one is written for most changed rows of a commit; a generic walk of it cost more than its
 * 25 bytes).
 */
export function encodeLifecycle(l: LifecycleState, enc: StateEncoder): void {
  // Restored from a store as it was: one without this release's fields is written as the generic
  // encoder writes its three fields (l may be a larger object holding them: the pipeline's entry).
  if (typeof l.phase !== 'number' || typeof l.since !== 'number' || typeof l.peak !== 'number')
    return enc.value({ phase: l.phase, since: l.since, peak: l.peak });
  enc.raw(HEAD);
  enc.number(l.phase);
  enc.name(SINCE);
  enc.number(l.since);
  enc.name(PEAK);
  enc.number(l.peak);
}

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
