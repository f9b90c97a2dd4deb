/** Exponential backoff with jitter: attempt 1 waits about `initial`, doubling up to `max`; a random 50–100% of it. */
export function backoffDelay(attempt: number, initial: number, max: number, random: () => number = Math.random): number {
  const base = Math.min(max, initial * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.round(base * (0.5 + 0.5 * random()));
}
