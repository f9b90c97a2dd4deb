/**
 * When the kafka bench's warm-up may stop. Once the detectors' windows fill, the workload's keys
 * raise a one-time storm of first alerts (~3,000 with 10k keys); a measured step that catches it
 * is decided by it. So warm-up steps repeat until every key has had MIN_EVENTS_PER_KEY events
 * (before that the example detectors are still in their own warm-up and say nothing) and a step
 * then raises at most SETTLED_ALERTS alert changes.
 *
 * How many steps that takes depends on keys, rate and step length: 10k keys at 1,250 events/s in
 * 5 s steps need 32 steps just to give every key 20 events. The budget is the steps needed for
 * that plus EXTRA_STEPS for the storm to pass, at least MIN_STEPS and at most MAX_STEPS; a
 * warm-up that runs out says so instead of letting the storm into the measurement unannounced.
 */
export const MIN_EVENTS_PER_KEY = 20;
export const SETTLED_ALERTS = 20;
const MIN_STEPS = 8;
const EXTRA_STEPS = 4;
const MAX_STEPS = 40;

export interface WarmupProgress {
  /** Warm-up steps run so far (1 after the first). */
  steps: number;
  /** Events per key one warm-up step brings. */
  eventsPerKeyPerStep: number;
  /** Alert changes the last step raised. */
  alertChanges: number;
}

export type WarmupVerdict = { done: true; settled: true } | { done: true; settled: false; why: string } | { done: false };

export function warmupVerdict(p: WarmupProgress): WarmupVerdict {
  const eventsPerKey = p.eventsPerKeyPerStep * p.steps;
  if (eventsPerKey >= MIN_EVENTS_PER_KEY && p.alertChanges <= SETTLED_ALERTS) return { done: true, settled: true };
  if (p.steps < warmupBudget(p.eventsPerKeyPerStep)) return { done: false };
  const why =
    eventsPerKey < MIN_EVENTS_PER_KEY
      ? `keys have had ${eventsPerKey.toFixed(1)} events each of the ${MIN_EVENTS_PER_KEY} the detectors need`
      : `the last step still raised ${p.alertChanges} alert changes (settled: at most ${SETTLED_ALERTS})`;
  return { done: true, settled: false, why };
}

/** Warm-up steps allowed when a step brings each key `perStep` events. */
export function warmupBudget(perStep: number): number {
  const toWarm = perStep > 0 ? Math.ceil(MIN_EVENTS_PER_KEY / perStep) : MAX_STEPS;
  return Math.min(MAX_STEPS, Math.max(MIN_STEPS, toWarm + EXTRA_STEPS));
}
