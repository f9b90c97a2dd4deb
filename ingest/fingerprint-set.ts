/**
 * The most recent `capacity` distinct 64-bit fingerprints, oldest evicted first, in typed arrays:
 * no object per entry, so remembering 100k records costs ~2 MB of flat memory the garbage
 * collector never has to trace (a Set of strings kept 100k strings alive in the old generation).
 *
 * Layout: a ring of fingerprints (`hi`, `lo`) in insertion order, where the next write overwrites
 * the oldest, plus an open-addressing table (linear probing, at most half full) of ring index + 1
 * (0 = empty slot). Evicting deletes from the table by backward shifting, so there are no
 * tombstones and lookups never slow down with churn. Both grow by doubling up to `capacity`, so a
 * quiet scope stays small.
 */

const INITIAL = 1024;

export class FingerprintSet {
  readonly capacity: number;
  private hi: Uint32Array;
  private lo: Uint32Array;
  private table: Int32Array;
  private mask: number;
  /** Ring slots in use; once it reaches capacity, `oldest` is the next slot to overwrite. */
  private count = 0;
  private oldest = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1) || !Number.isInteger(capacity)) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    const n = Math.min(capacity, INITIAL);
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.table = new Int32Array(tableSize(n));
    this.mask = this.table.length - 1;
  }

  get size(): number {
    return this.count;
  }

  has(hi: number, lo: number): boolean {
    return this.table[this.probe(hi >>> 0, lo >>> 0)] !== 0;
  }

  /**
   * Adds the fingerprint unless present; true when it was new. A new fingerprint in a full set
   * evicts the oldest one. Seeing a fingerprint again does not make it younger.
   */
  add(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    let b = this.probe(hi, lo);
    if (this.table[b] !== 0) return false;
    let slot: number;
    if (this.count < this.capacity) {
      if (this.count === this.hi.length) {
        this.grow();
        b = this.probe(hi, lo);
      }
      slot = this.count++;
    } else {
      slot = this.oldest;
      this.oldest = slot + 1 === this.capacity ? 0 : slot + 1;
      this.remove(slot);
      b = this.probe(hi, lo); // the removal may have shifted entries into the probe path
    }
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.table[b] = slot + 1;
    return true;
  }

  /** The table bucket holding (hi, lo), or the empty bucket where it would go. */
  private probe(hi: number, lo: number): number {
    const t = this.table;
    const mask = this.mask;
    for (let b = lo & mask; ; b = (b + 1) & mask) {
      const s = t[b];
      if (s === 0 || (this.lo[s - 1] === lo && this.hi[s - 1] === hi)) return b;
    }
  }

  /** Deletes ring slot `slot` from the table, shifting later entries of its probe run back. */
  private remove(slot: number): void {
    const t = this.table;
    const mask = this.mask;
    let i = this.lo[slot] & mask;
    while (t[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
      const home = this.lo[t[j] - 1] & mask;
      // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        t[i] = t[j];
        i = j;
      }
    }
    t[i] = 0;
  }

  /** Doubles the ring (up to capacity) and rebuilds the table for it. Only before the ring first fills, so slots keep their order. */
  private grow(): void {
    const n = Math.min(this.capacity, this.hi.length * 2);
    const hi = new Uint32Array(n);
    const lo = new Uint32Array(n);
    hi.set(this.hi);
    lo.set(this.lo);
    this.hi = hi;
    this.lo = lo;
    this.table = new Int32Array(tableSize(n));
    this.mask = this.table.length - 1;
    for (let s = 0; s < this.count; s++) this.table[this.probe(hi[s], lo[s])] = s + 1;
  }
}

/** Power of two at least twice the entries: linear probing stays short at ≤ 50 % load. */
function tableSize(entries: number): number {
  let n = 16;
  while (n < entries * 2) n *= 2;
  return n;
}
