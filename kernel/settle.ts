/**
 * Waits until `p` settles or `ms` pass, whichever comes first, and clears its timer either way: a
 * pending timer left by a plain race with a sleep keeps the process alive (it held the kafka bench
 * 20 s after Ctrl-C, when everything else had been cleaned up in 60 ms).
 */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<'settled' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const settled = () => 'settled' as const;
  try {
    return await Promise.race([p.then(settled, settled), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How a promise ended within a time limit: its value, its error, or 'timeout'. */
export type Outcome<T> = { value: T } | { error: unknown } | 'timeout';

/**
 * settleWithin for callers that need the result: `p`'s value or error if it settles within `ms`,
 * else 'timeout' (a later result is dropped). The timer is cleared either way.
 */
export async function outcomeWithin<T>(p: Promise<T>, ms: number): Promise<Outcome<T>> {
  let outcome: Outcome<T> = 'timeout';
  await settleWithin(
    p.then(
      (value) => void (outcome = { value }),
      (error: unknown) => void (outcome = { error }),
    ),
    ms,
  );
  return outcome;
}
