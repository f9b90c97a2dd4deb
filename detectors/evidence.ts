/**
 * Evidence details that never vary for a detector (its window length, which bound it judges) are
 * made once and shared by every observation instead of allocated per event. Frozen, because
 * alerts and sinks keep observations: a consumer writing into one would otherwise change them
 * all, and now fails loudly instead.
 */
export function constantDetail<T extends Record<string, string>>(detail: T): T {
  return Object.freeze(detail);
}
