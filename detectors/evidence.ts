import type { Evidence, Observation } from '../kernel/types';

/**
 * Evidence details that never vary for a detector (its window length, which bound it judges) are
 * made once and shared by every observation instead of allocated per event. Frozen, because
 * alerts and sinks keep observations: a consumer writing into one would otherwise change them
 * all, and now fails loudly instead.
 */
export function constantDetail<T extends Record<string, string>>(detail: T): T {
  return Object.freeze(detail);
}

/**
 * A copy of an observation that a detector wrote into a reused object (Detector.observeInto), for
 * whoever keeps it past the next event (an alert, a firing entry): the evidence and its window and
 * detail are copied, so later events do not change what was kept.
 */
export function copyObservation(o: Observation): Observation {
  const ev = o.evidence;
  const evidence: Evidence = { ...ev };
  if (ev.window !== undefined) evidence.window = { ...ev.window };
  if (ev.detail !== undefined && !Object.isFrozen(ev.detail)) evidence.detail = { ...ev.detail };
  return { score: o.score, firing: o.firing, evidence };
}
