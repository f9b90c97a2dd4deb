/**
 * bin/flowwatch.js's heap-growth policy, for `run --threads`. There, V8's heap growth is tightened
 * (`--heap-growing-percent=20`) once the main thread's heap passes 192 MB: with many keys V8's
 * default lets a heap grow to ~2× its live state between major collections. With threads the keys
 * live in the threads' heaps and the main thread's stays small, so the policy never engaged: two
 * threads sat at 1.1–1.4 GB resident through a 5M-event backlog, one worker at 0.5–0.7 GB
 * (docs/bench.md, "the backlog on a quiet box, session 5"). V8's flags are process-wide, so the
 * decision is taken here on the threads' heaps added up, with the launcher's threshold and percentage.
 */
export const LARGE_HEAP_BYTES = 192 * 1024 * 1024;
export const TIGHT_GROWTH_PERCENT = 20;

/** `FLOWWATCH_HEAP_GROWTH=<percent>` fixes the growth for good (the launcher applied it): nothing to decide. */
export function heapGrowthFixed(env: NodeJS.ProcessEnv = process.env): boolean {
  const fixed = env.FLOWWATCH_HEAP_GROWTH;
  return fixed !== undefined && /^\d+$/.test(fixed);
}

export class HeapGrowth {
  private tight = false;
  private readonly heaps = new Map<number, number>();

  /** `setFlags` is v8.setFlagsFromString outside tests. */
  constructor(
    private readonly setFlags: (flags: string) => void,
    private readonly enabled = !heapGrowthFixed(),
  ) {}

  /** A thread's used heap (bytes), as its latest stats said; flips the flag when the sum crosses the threshold. */
  update(thread: number, heapUsed: number): void {
    if (!this.enabled) return;
    this.heaps.set(thread, heapUsed);
    let sum = 0;
    for (const h of this.heaps.values()) sum += h;
    const large = sum > LARGE_HEAP_BYTES;
    if (large === this.tight) return;
    this.tight = large;
    this.setFlags(`--heap-growing-percent=${large ? TIGHT_GROWTH_PERCENT : 0}`);
  }
}
