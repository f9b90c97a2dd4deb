/**
 * Yields a source's batches, and `null` each time none has arrived for `everyMs`: a live worker
 * whose partitions went quiet still fires due timers (the idle rule of the watermark, deadman on a
 * silent partition) and commits them. The pending read is kept across ticks, never started twice.
 */
export async function* withIdleTicks<T>(items: AsyncIterable<T>, everyMs: number): AsyncGenerator<T | null> {
  const it = items[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | null = null;
  try {
    for (;;) {
      pending ??= it.next();
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<null>((resolve) => {
        timer = setTimeout(resolve, everyMs, null);
      });
      const r = await Promise.race([pending, tick]);
      clearTimeout(timer);
      if (r === null) {
        yield null;
        continue;
      }
      pending = null;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    // Ended early (the consumer threw): let the source clean up, without waiting on a read in flight.
    if (pending === null) await it.return?.();
    else
      pending.then(
        () => it.return?.(),
        () => undefined,
      );
  }
}
