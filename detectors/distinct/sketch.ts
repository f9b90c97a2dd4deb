import { NO_PANE, NO_TIME, PaneGeometry, firstLivePane, paneGeometry, paneOf, slotOf, windowStart } from '../window/pane-ring';
import { StateEncoder, nameToken } from '../../state/codec';

/** Distinct values counted exactly per key (up to hash collisions, p ≈ 64²/2³³ ≈ 5e-7). */
export const EXACT_CAPACITY = 64;
/** HyperLogLog registers per pane: 2^7. Standard error 1.04/√128 ≈ 9.2 %. */
export const REGISTER_BITS = 7;
export const REGISTERS = 1 << REGISTER_BITS;
const MAX_RANK = 32 - REGISTER_BITS + 1;
const ALPHA_M = 0.7213 / (1 + 1.079 / REGISTERS);
const POW2_NEG = Array.from({ length: MAX_RANK + 1 }, (_, r) => Math.pow(2, -r));

/** The stored object's head and first member name (exact mode: 6 members; HLL mode: 7): {maxTs: */
const HEAD_EXACT = StateEncoder.fragment((e) => {
  e.objectOf(6);
  e.key('maxTs');
});
const HEAD_HLL = StateEncoder.fragment((e) => {
  e.objectOf(7);
  e.key('maxTs');
});
const HASH = nameToken('hash');
const SEEN = nameToken('seen');
const OVERFLOW_PANE = nameToken('overflowPane');
const PANE = nameToken('pane');
const REG = nameToken('reg');
const W = nameToken('w');

/**
 * Distinct count over a sliding pane window, in bounded plain-JSON state.
 *
 * Small cardinalities (the common case: a gate sees a few stations, an account a few
 * counterparties) are counted EXACTLY with one key-level set of up to EXACT_CAPACITY hashes, each
 * tagged with the newest pane it was seen in; an entry whose pane left the window is free again.
 * The count is exact as long as no value was turned away from a full set inside the current window.
 *
 * Beyond that a HyperLogLog per pane (REGISTERS registers, merged by max across the live panes)
 * takes over. Registers are allocated on the first overflow — seeded from the exact set, which holds
 * every value of the window at that moment — and dropped again once the overflow has left the
 * window, so quiet keys stay small. Error in HLL mode: linear counting of the merged registers up
 * to 2.5·128 = 320 (≈ 7 % at 100 distinct), HLL's ≈ 9.2 % standard error above; never below the
 * exact set's live entries.
 */
export interface DistinctSketchState {
  maxTs: number;
  hash: number[];
  /** Newest pane each hash was seen in; NO_PANE = free. */
  seen: number[];
  /** Newest pane in which a value found the exact set full; NO_PANE = never. */
  overflowPane: number;
  /** Pane index held by each register slot (HLL mode). */
  pane: number[];
  /** REGISTERS registers per pane slot, slot-major; [] when not in HLL mode. */
  reg: number[];
}

export class DistinctSketch {
  readonly geometry: PaneGeometry;
  private readonly merged = new Array<number>(REGISTERS).fill(0);
  /**
   * encode()'s members after `seen` for a sketch in exact mode that never overflowed (most keys):
   * overflowPane NO_PANE, reg [] and w — constants, one run instead of six writes.
   */
  private readonly quietTail: Uint8Array;

  constructor(windowMs: number, slideMs: number) {
    this.geometry = paneGeometry(windowMs, slideMs);
    this.quietTail = StateEncoder.fragment((e) => {
      e.name(OVERFLOW_PANE);
      e.number(NO_PANE);
      e.name(REG);
      e.numbers([]);
      e.name(W);
      e.number(slideMs);
    });
  }

  init(): DistinctSketchState {
    return {
      maxTs: NO_TIME,
      // The exact set grows on demand up to EXACT_CAPACITY: most keys see a few values.
      hash: [],
      seen: [],
      overflowPane: NO_PANE,
      pane: new Array<number>(this.geometry.panes).fill(NO_PANE),
      reg: [],
    };
  }

  /**
   * The stored form: without `pane` while not in HLL mode, when it is only NO_PANE markers
   * (−1e21 each: a dozen of them were the dearest part of a funds key's state to serialise).
   */
  persist(s: DistinctSketchState): Omit<DistinctSketchState, 'pane'> & { pane?: number[]; w: number } {
    // `w` (the slide) guards a restore under a changed window: pane numbers are in its units.
    if (s.reg.length > 0) return { ...s, w: this.geometry.slideMs };
    return { maxTs: s.maxTs, hash: s.hash, seen: s.seen, overflowPane: s.overflowPane, reg: s.reg, w: this.geometry.slideMs };
  }

  /**
   * Writes persist(s) into a commit's encoder without building it: the same bytes (checked by
   * detectors/encode.test.ts), the arrays written straight from the state.
   */
  encode(s: DistinctSketchState, enc: StateEncoder): void {
    const hll = s.reg.length > 0;
    enc.raw(hll ? HEAD_HLL : HEAD_EXACT);
    enc.number(s.maxTs);
    enc.name(HASH);
    enc.numbers(s.hash);
    enc.name(SEEN);
    enc.numbers(s.seen);
    if (!hll && s.overflowPane === NO_PANE) return enc.raw(this.quietTail);
    enc.name(OVERFLOW_PANE);
    enc.number(s.overflowPane);
    if (hll) {
      enc.name(PANE);
      enc.numbers(s.pane);
    }
    enc.name(REG);
    enc.numbers(s.reg);
    enc.name(W);
    enc.number(this.geometry.slideMs);
  }

  /** The state from persist()'s form (or the full form older releases stored); null when unusable or from another window. */
  revive(v: unknown): DistinctSketchState | null {
    const o = v as (Partial<DistinctSketchState> & { w?: unknown }) | null;
    if (o === null || typeof o !== 'object' || !Array.isArray(o.hash) || !Array.isArray(o.seen) || o.hash.length !== o.seen.length)
      return null;
    // Stored under another slide (older releases stored none): its pane numbers mean other times.
    if (o.w !== undefined && o.w !== this.geometry.slideMs) return null;
    const panes = this.geometry.panes;
    const reg = Array.isArray(o.reg) ? o.reg : [];
    const paneOk = Array.isArray(o.pane) && o.pane.length === panes && reg.length === panes * REGISTERS;
    return {
      maxTs: typeof o.maxTs === 'number' ? o.maxTs : NO_TIME,
      hash: o.hash,
      seen: o.seen,
      // Registers without their pane tags (or for another window) cannot be read: exact mode again.
      overflowPane: paneOk && typeof o.overflowPane === 'number' ? o.overflowPane : NO_PANE,
      pane: paneOk ? o.pane! : new Array<number>(panes).fill(NO_PANE),
      reg: paneOk ? reg : [],
    };
  }

  readTime(s: DistinctSketchState, now: number): number {
    return now > s.maxTs ? now : s.maxTs;
  }

  windowStart(at: number): number {
    return windowStart(this.geometry, at);
  }

  /** Adds one 32-bit hash at event time ts; false (nothing added) when ts is too late for the window. */
  add(s: DistinctSketchState, ts: number, h: number): boolean {
    const g = this.geometry;
    const p = paneOf(g, ts);
    const live0 = firstLivePane(g, ts > s.maxTs ? ts : s.maxTs);
    if (p < live0) return false;
    if (ts > s.maxTs) s.maxTs = ts;
    if (s.reg.length > 0 && s.overflowPane < live0) this.dropRegisters(s);

    let found = false;
    let free = -1;
    const len = s.seen.length;
    for (let i = 0; i < len; i++) {
      const at = s.seen[i];
      if (at < live0) {
        if (free < 0) free = i;
      } else if (s.hash[i] === h) {
        if (p > at) s.seen[i] = p;
        found = true;
        break;
      }
    }
    if (!found) {
      if (free < 0 && len < EXACT_CAPACITY) {
        s.hash.push(h);
        s.seen.push(p);
      } else if (free >= 0) {
        s.hash[free] = h;
        s.seen[free] = p;
      } else {
        if (p > s.overflowPane) s.overflowPane = p;
        if (s.reg.length === 0) this.startRegisters(s, live0);
      }
    }
    if (s.reg.length > 0) this.addToRegisters(s, p, h);
    return true;
  }

  /** True when estimate(at) is an exact count. */
  isExact(s: DistinctSketchState, at: number): boolean {
    return s.reg.length === 0 || s.overflowPane < firstLivePane(this.geometry, at);
  }

  /** Distinct values in the window at `at` (exact, or an estimate — see isExact). */
  estimate(s: DistinctSketchState, at: number): number {
    const g = this.geometry;
    const live0 = firstLivePane(g, at);
    const head = paneOf(g, at);
    let exact = 0;
    for (let i = 0; i < s.seen.length; i++) if (s.seen[i] >= live0 && s.seen[i] <= head) exact++;
    if (this.isExact(s, at)) return exact;

    const m = this.merged;
    m.fill(0);
    for (let slot = 0; slot < s.pane.length; slot++) {
      const p = s.pane[slot];
      if (p < live0 || p > head) continue;
      const base = slot * REGISTERS;
      for (let j = 0; j < REGISTERS; j++) if (s.reg[base + j] > m[j]) m[j] = s.reg[base + j];
    }
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < REGISTERS; j++) {
      sum += POW2_NEG[m[j]];
      if (m[j] === 0) zeros++;
    }
    let e = (ALPHA_M * REGISTERS * REGISTERS) / sum;
    if (e <= 2.5 * REGISTERS && zeros > 0) e = REGISTERS * Math.log(REGISTERS / zeros); // linear counting
    e = Math.round(e);
    return e > exact ? e : exact;
  }

  /** Frees exact entries and register panes that left the window at `now`. */
  expire(s: DistinctSketchState, now: number): void {
    const live0 = firstLivePane(this.geometry, this.readTime(s, now));
    for (let i = 0; i < s.seen.length; i++) if (s.seen[i] !== NO_PANE && s.seen[i] < live0) s.seen[i] = NO_PANE;
    if (s.reg.length > 0 && s.overflowPane < live0) this.dropRegisters(s);
  }

  private startRegisters(s: DistinctSketchState, live0: number): void {
    s.reg = new Array<number>(this.geometry.panes * REGISTERS).fill(0);
    s.pane.fill(NO_PANE);
    for (let i = 0; i < s.seen.length; i++) if (s.seen[i] >= live0) this.addToRegisters(s, s.seen[i], s.hash[i]);
  }

  private dropRegisters(s: DistinctSketchState): void {
    s.reg.length = 0;
    s.pane.fill(NO_PANE);
    s.overflowPane = NO_PANE;
  }

  private addToRegisters(s: DistinctSketchState, p: number, h: number): void {
    const slot = slotOf(this.geometry, p);
    const base = slot * REGISTERS;
    if (s.pane[slot] !== p) {
      s.pane[slot] = p;
      for (let j = 0; j < REGISTERS; j++) s.reg[base + j] = 0;
    }
    const j = h >>> (32 - REGISTER_BITS);
    const rest = h << REGISTER_BITS;
    const rank = rest === 0 ? MAX_RANK : Math.clz32(rest) + 1;
    if (rank > s.reg[base + j]) s.reg[base + j] = rank;
  }
}
