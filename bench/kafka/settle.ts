/**
 * Waits until `p` settles or `ms` pass, whichever comes first, and clears its timer either way: a
 * pending 20 s timer left by a plain race with sleep() kept the bench process alive for 20 s after
 * Ctrl-C (everything else had been cleaned up in 60 ms).
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
