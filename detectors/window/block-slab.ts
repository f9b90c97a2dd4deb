/**
 * Fixed-size blocks of float64 in one growable Float64Array: the per-key state of one windowed
 * detector of one stream, a block per key, addressed by the block's offset.
 *
 * Why (issue 22): a key's pane window was ten objects (the state, nine arrays and their backing
 * stores) spread over the heap, and the per-event path waited for memory on the first read of
 * each. A block is one contiguous run of numbers: an event reads the block's head and one pane's
 * row — one or two cache lines — and the blocks live outside the JS heap, so the collector neither
 * copies nor marks them.
 *
 * A released block goes to a free list and is handed out again by alloc(); the array grows by
 * half when full (offsets stay valid: read `data` again after an alloc()).
 */
export class BlockSlab {
  /** The blocks; replaced by a larger copy when it grows. */
  data: Float64Array;
  private top = 0;
  private readonly freeList: number[] = [];

  /** Starts with ~16 KB of blocks (at least 4): a detector made only to check a config, or a stream of few keys, stays small. */
  constructor(readonly blockSize: number) {
    this.data = new Float64Array(blockSize * Math.max(4, Math.floor(2048 / blockSize)));
  }

  /** Offset of a block for a new key (its contents are whatever the caller writes next). */
  alloc(): number {
    const reused = this.freeList.pop();
    if (reused !== undefined) return reused;
    const off = this.top;
    if (off + this.blockSize > this.data.length) {
      const blocks = this.data.length / this.blockSize;
      const grown = new Float64Array(this.blockSize * Math.ceil(blocks * 1.5));
      grown.set(this.data);
      this.data = grown;
    }
    this.top = off + this.blockSize;
    return off;
  }

  /** The block at `off` is no longer any key's: alloc() may hand it out again. */
  release(off: number): void {
    this.freeList.push(off);
  }

  /** Blocks held by keys (allocated and not released). */
  get liveBlocks(): number {
    return this.top / this.blockSize - this.freeList.length;
  }
}
