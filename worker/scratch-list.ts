/**
 * A list reused from batch to batch: clear() empties its slots (nothing is kept alive) but keeps
 * its capacity. Emptied with `length = 0`, an array gives V8 its backing store back and grows a new
 * one in the next batch: the pipeline's per-batch lists made ~100 bytes of garbage per event that
 * way (issue 22, heap sampling of the inproc workload).
 */
export class ScratchList<T> {
  private readonly items: Array<T | undefined> = [];
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(v: T): void {
    this.items[this.n++] = v;
  }

  /** Item i, for i < length. */
  at(i: number): T {
    return this.items[i] as T;
  }

  clear(): void {
    const items = this.items;
    for (let i = 0; i < this.n; i++) items[i] = undefined;
    this.n = 0;
  }
}
