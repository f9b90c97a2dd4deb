import { StateEncoder, nameToken } from '../../state/codec';
import { NO_PANE, NO_TIME, PaneGeometry, firstLivePane, paneGeometry, paneOf, slotOf, windowStart } from './pane-ring';
import { firingField } from '../firing-field';
import { BlockSlab } from './block-slab';

/**
 * Per-key state of a pane window: the offset of the key's block in the window's slab
 * (block-slab.ts), owned by the PaneWindow that made it (init/revive) until release().
 *
 * A block is [maxTs, latch, then one row per ring slot]; a slot's row is laid out as its stored row
 * (persist): [pane, count, then per tracked measurement n, sum, (m2), (min, max), (last, lastTs)]
 * — the kept statistics only. maxTs is the highest event time added (NO_TIME before the first
 * event); pane is the pane index the slot holds (NO_PANE = empty); count the events added to the
 * pane (whether or not they carried a tracked measurement); n the samples of each measurement;
 * last the latest (by event time) sample's value and lastTs its time. An event touches the head
 * and one row: one or two cache lines where the object layout read ten objects (issue 22).
 *
 * Why M2 and not Σx²: variance from Σx² − (Σx)²/n cancels catastrophically once the level is
 * large relative to the spread (funds flows in the millions with cents of jitter). Each pane
 * keeps Welford's M2 (sum of squared deviations from the pane mean) and panes are merged with
 * Chan et al.'s parallel formula, which is stable at any level. Σx² = M2 + (Σx)²/n if needed.
 */
export type PaneWindowState = number;

/** A block's head: maxTs, then the owner's latch (firing(); rate and expression keep theirs there). */
const HEAD = 2;
const LATCH = 1;

/** The ring as the object layout held it: what a state stored as it is (zscore) reads and writes. */
export interface PaneRing {
  maxTs: number;
  pane: number[];
  count: number[];
  n: number[];
  sum: number[];
  m2: number[];
  min: number[];
  max: number[];
  last: number[];
  lastTs: number[];
}

/** What a store holds for a pane window (see PaneWindow.persist). */
export interface PersistedPaneWindow {
  /** maxTs */
  t: number;
  /** slide (ms) and panes of the window that wrote it. */
  w: number;
  p: number;
  /** Live panes: [pane, count, per measurement: n, sum, (m2), (min, max), (last, lastTs)]. */
  s: number[][];
}

/**
 * Aggregate of the window at some time. A scratch object owned by the caller (one per detector
 * instance, reused for every key and event): copy numbers out, do not keep it.
 * Statistics of a measurement with no samples are NaN (sum is 0, n is 0).
 */
export interface WindowAggregate {
  count: number;
  n: number[];
  sum: number[];
  /** Sum of squared deviations from the window mean (Chan merge of pane M2s). */
  m2: number[];
  min: number[];
  max: number[];
  last: number[];
  /** Event-time span covered: [start, end]. */
  start: number;
  end: number;
}

/**
 * Which statistics a window keeps beyond count, n and sum. Per-key memory is mostly these
 * arrays, so a detector asks only for what it reads (a rate needs none of them). A statistic
 * not kept has an empty array in the state and aggregates to NaN.
 */
export interface PaneStats {
  /** Welford M2 per pane: variance, std. */
  m2: boolean;
  /** min and max. */
  minMax: boolean;
  /** latest value (and its time). */
  last: boolean;
}

export const ALL_STATS: PaneStats = { m2: true, minMax: true, last: true };

// The constant runs of the stored forms, as bytes once (written for every window of every commit).
/** persist()'s object head and its first member's name: {t: */
const WINDOW_HEAD = StateEncoder.fragment((e) => {
  e.objectOf(4);
  e.key('t');
});
/** persistWindowed()'s head and its window's, one run: {win: {t: */
export const WINDOWED_HEAD = StateEncoder.fragment((e) => {
  e.objectOf(2);
  e.key('win');
  e.objectOf(4);
  e.key('t');
});
/** The fields of a whole ring (a state stored as it is: zscore), in the object layout's order. */
const RING_FIELDS = ['pane', 'count', 'n', 'sum', 'm2', 'min', 'max', 'last', 'lastTs'] as const;
const MAX_TS = nameToken('maxTs');
const RING_TOKENS = RING_FIELDS.map(nameToken);

export class PaneWindow {
  readonly geometry: PaneGeometry;
  /** Tracked measurement names; index i in every per-measurement array. */
  readonly names: readonly string[];
  readonly stats: PaneStats;
  /** Numbers per slot row: pane, count, then `group` per measurement. */
  private readonly width: number;
  /** Numbers per measurement in a row: n, sum and the kept statistics. */
  private readonly group: number;
  /** Where each kept statistic sits in a measurement's group (-1: not kept). */
  private readonly at: { m2: number; min: number; last: number };
  /** Every key's block; see PaneWindowState. */
  private readonly slab: BlockSlab;
  private readonly lastTsScratch: number[];
  /**
   * persist()'s members after `t`, up to the pane rows' count (slide and pane count: constants):
   * w: …, p: …, s: and the rows' array tag — one run instead of three writes per window.
   */
  private readonly geometryBytes: Uint8Array;

  constructor(windowMs: number, slideMs: number, names: readonly string[], stats: PaneStats = ALL_STATS) {
    this.geometry = paneGeometry(windowMs, slideMs);
    this.names = names;
    this.stats = { ...stats };
    let g = 2;
    const m2 = stats.m2 ? g++ : -1;
    const min = stats.minMax ? ((g += 2), g - 2) : -1;
    const last = stats.last ? ((g += 2), g - 2) : -1;
    this.group = g;
    this.at = { m2, min, last };
    this.width = 2 + names.length * g;
    this.slab = new BlockSlab(HEAD + this.geometry.panes * this.width);
    this.lastTsScratch = new Array<number>(names.length).fill(0);
    const geo = this.geometry;
    this.geometryBytes = StateEncoder.fragment((e) => {
      e.key('w');
      e.number(geo.slideMs);
      e.key('p');
      e.number(geo.panes);
      e.key('s');
      e.arrayTag();
    });
  }

  /** An empty window for a new key: a block of the slab, the caller's until release(). */
  init(): PaneWindowState {
    const s = this.slab.alloc();
    const d = this.slab.data;
    d.fill(0, s, s + this.slab.blockSize);
    d[s] = NO_TIME;
    for (let r = s + HEAD; r < s + this.slab.blockSize; r += this.width) d[r] = NO_PANE;
    return s;
  }

  /** The key's window is gone (its row was dropped): its block may serve another key. */
  release(s: PaneWindowState): void {
    this.slab.release(s);
  }

  /** Windows held by keys (memory sizing, tests). */
  get liveStates(): number {
    return this.slab.liveBlocks;
  }

  /**
   * The owner's firing latch, kept in the block's head (0 when the window is made): a windowed
   * detector's whole state is then its block — no object of its own to read per event.
   */
  firing(s: PaneWindowState): boolean {
    return this.slab.data[s + LATCH] === 1;
  }

  setFiring(s: PaneWindowState, firing: boolean): void {
    this.slab.data[s + LATCH] = firing ? 1 : 0;
  }

  /** Highest event time added; NO_TIME before the first event. */
  maxTs(s: PaneWindowState): number {
    return this.slab.data[s];
  }

  newAggregate(): WindowAggregate {
    const M = this.names.length;
    const z = () => new Array<number>(M).fill(0);
    return { count: 0, n: z(), sum: z(), m2: z(), min: z(), max: z(), last: z(), start: 0, end: 0 };
  }

  /** Time the window should be read at: never behind the newest event already added. */
  readTime(s: PaneWindowState, now: number): number {
    const maxTs = this.slab.data[s];
    return now > maxTs ? now : maxTs;
  }

  /** False when `ts` is older than the ring holds (its pane already left the window): the caller drops it. */
  accepts(s: PaneWindowState, ts: number): boolean {
    const g = this.geometry;
    const maxTs = this.slab.data[s];
    const head = ts > maxTs ? ts : maxTs;
    return paneOf(g, ts) >= firstLivePane(g, head);
  }

  /** Adds one event; values of untracked names are ignored. Returns false (nothing added) for a too-late event. */
  add(s: PaneWindowState, ts: number, values: Record<string, number>): boolean {
    if (!this.accepts(s, ts)) return false;
    const d = this.slab.data;
    const g = this.geometry;
    const p = paneOf(g, ts);
    const r = s + HEAD + slotOf(g, p) * this.width;
    if (d[r] !== p) this.resetRow(d, r, p);
    d[r + 1]++;
    const M = this.names.length;
    const G = this.group;
    const { m2, min, last } = this.at;
    for (let i = 0, k = r + 2; i < M; i++, k += G) {
      const v = values[this.names[i]];
      if (typeof v !== 'number') continue;
      const n0 = d[k];
      if (n0 === 0) {
        d[k] = 1;
        d[k + 1] = v;
        if (m2 >= 0) d[k + m2] = 0;
        if (min >= 0) d[k + min] = d[k + min + 1] = v;
        if (last >= 0) {
          d[k + last] = v;
          d[k + last + 1] = ts;
        }
        continue;
      }
      // Welford with the mean derived from the exact running sum (sums of integers stay exact).
      const mean0 = d[k + 1] / n0;
      const sum = d[k + 1] + v;
      d[k] = n0 + 1;
      d[k + 1] = sum;
      if (m2 >= 0) d[k + m2] += (v - mean0) * (v - sum / (n0 + 1));
      if (min >= 0) {
        if (v < d[k + min]) d[k + min] = v;
        if (v > d[k + min + 1]) d[k + min + 1] = v;
      }
      if (last >= 0 && ts >= d[k + last + 1]) {
        d[k + last] = v;
        d[k + last + 1] = ts;
      }
    }
    if (ts > d[s]) d[s] = ts;
    return true;
  }

  /** Empties slots whose pane is older than the window at `now`. Aggregation ignores them anyway; this keeps snapshots clean. */
  expire(s: PaneWindowState, now: number): void {
    const d = this.slab.data;
    const live0 = firstLivePane(this.geometry, this.readTime(s, now));
    const end = s + this.slab.blockSize;
    for (let r = s + HEAD; r < end; r += this.width) {
      if (d[r] !== NO_PANE && d[r] < live0) this.resetRow(d, r, NO_PANE);
    }
  }

  /** True when no pane of the window at `at` holds an event. */
  isEmpty(s: PaneWindowState, at: number): boolean {
    const d = this.slab.data;
    const g = this.geometry;
    const live0 = firstLivePane(g, at);
    const head = paneOf(g, at);
    const end = s + this.slab.blockSize;
    for (let r = s + HEAD; r < end; r += this.width) {
      const p = d[r];
      if (p >= live0 && p <= head && d[r + 1] > 0) return false;
    }
    return true;
  }

  /** Aggregates the panes of the window at `at` into `out` (see pane-ring for which panes). */
  aggregate(s: PaneWindowState, at: number, out: WindowAggregate): WindowAggregate {
    const d = this.slab.data;
    const g = this.geometry;
    const live0 = firstLivePane(g, at);
    const head = paneOf(g, at);
    const M = this.names.length;
    const G = this.group;
    const W = this.width;
    const end = s + this.slab.blockSize;
    const lastTs = this.lastTsScratch;
    const { m2: m2At, min: minAt, last: lastAt } = this.at;
    out.count = 0;
    for (let i = 0; i < M; i++) {
      out.n[i] = 0;
      out.sum[i] = 0;
      out.m2[i] = 0;
      out.min[i] = NaN;
      out.max[i] = NaN;
      out.last[i] = NaN;
      lastTs[i] = -Infinity;
    }
    for (let r = s + HEAD; r < end; r += W) {
      const p = d[r];
      if (p < live0 || p > head) continue;
      out.count += d[r + 1];
      for (let i = 0, k = r + 2; i < M; i++, k += G) {
        if (d[k] === 0) continue;
        out.n[i] += d[k];
        out.sum[i] += d[k + 1];
        if (minAt >= 0) {
          if (!(d[k + minAt] >= out.min[i])) out.min[i] = d[k + minAt]; // NaN-aware: first sample wins
          if (!(d[k + minAt + 1] <= out.max[i])) out.max[i] = d[k + minAt + 1];
        }
        if (lastAt >= 0 && d[k + lastAt + 1] >= lastTs[i]) {
          out.last[i] = d[k + lastAt];
          lastTs[i] = d[k + lastAt + 1];
        }
      }
    }
    // Chan merge, second pass: M2 = Σ M2_p + Σ n_p (mean_p − mean)². The between-pane term is a
    // sum of squares of small differences, so nothing cancels.
    for (let i = 0; i < M; i++) {
      const n = out.n[i];
      if (n === 0) continue;
      if (m2At < 0) {
        out.m2[i] = NaN;
        continue;
      }
      const mean = out.sum[i] / n;
      let m2 = 0;
      for (let r = s + HEAD; r < end; r += W) {
        const p = d[r];
        const k = r + 2 + i * G;
        if (p < live0 || p > head || d[k] === 0) continue;
        const dev = d[k + 1] / d[k] - mean;
        m2 += d[k + m2At] + d[k] * dev * dev;
      }
      out.m2[i] = m2;
    }
    out.start = windowStart(g, at);
    out.end = at;
    return out;
  }

  /**
   * The stored form: only the live panes, each as one row [pane, count, then per measurement n,
   * sum and the kept statistics]. A young or sparse window is mostly empty slots, which the
   * in-memory ring keeps for speed but a store need not rewrite on every commit. `w`/`p` (slide
   * and pane count) guard a restore under a changed window.
   */
  persist(s: PaneWindowState): PersistedPaneWindow {
    const rows: number[][] = [];
    this.forLiveRows(s, (r) => rows.push(Array.from(this.slab.data.subarray(r, r + this.width))));
    return { t: this.slab.data[s], w: this.geometry.slideMs, p: this.geometry.panes, s: rows };
  }

  /**
   * Writes persist(s) into a commit's encoder without building it (issue 22: the stored form of
   * the windows was the worker's largest per-commit allocation): the same bytes, each pane row
   * written from the slab where it is. Checked against persist() by pane-window-encode.test.ts.
   */
  encode(s: PaneWindowState, enc: StateEncoder, head: Uint8Array = WINDOW_HEAD): void {
    const d = this.slab.data;
    const live0 = this.storedFrom(s);
    const end = s + this.slab.blockSize;
    const W = this.width;
    let live = 0;
    for (let r = s + HEAD; r < end; r += W) if (d[r] !== NO_PANE && d[r] >= live0) live++;
    enc.raw(head); // {t: (encodeWindowed's head precedes it in the same run)
    enc.number(d[s]);
    enc.raw(this.geometryBytes);
    enc.itemCount(live);
    for (let r = s + HEAD; r < end; r += W) {
      const p = d[r];
      if (p === NO_PANE || p < live0) continue;
      enc.numbersAt(d, r, W);
    }
  }

  /** The window from its stored form; an empty window when the form does not fit this window's layout. */
  revive(v: unknown): PaneWindowState {
    const s = this.init();
    const stored = v as Partial<PersistedPaneWindow> | null;
    const g = this.geometry;
    if (!stored || typeof stored.t !== 'number' || stored.w !== g.slideMs || stored.p !== g.panes || !Array.isArray(stored.s)) return s;
    for (const row of stored.s) if (!Array.isArray(row) || row.length !== this.width) return s;
    const d = this.slab.data;
    d[s] = stored.t;
    for (const row of stored.s) d.set(row as number[], s + HEAD + slotOf(g, row[0]) * this.width);
    return s;
  }

  /**
   * The ring in the object layout (a state stored as it is: zscore), every array at its full
   * length and a statistic not kept as an empty array — what that layout's state encoded to.
   */
  toRing(s: PaneWindowState): PaneRing {
    const d = this.slab.data;
    const P = this.geometry.panes;
    const M = this.names.length;
    const G = this.group;
    const { m2, min, last } = this.at;
    const ring: PaneRing = { maxTs: d[s], pane: [], count: [], n: [], sum: [], m2: [], min: [], max: [], last: [], lastTs: [] };
    for (let slot = 0; slot < P; slot++) {
      const r = s + HEAD + slot * this.width;
      ring.pane.push(d[r]);
      ring.count.push(d[r + 1]);
      for (let i = 0, k = r + 2; i < M; i++, k += G) {
        ring.n.push(d[k]);
        ring.sum.push(d[k + 1]);
        if (m2 >= 0) ring.m2.push(d[k + m2]);
        if (min >= 0) {
          ring.min.push(d[k + min]);
          ring.max.push(d[k + min + 1]);
        }
        if (last >= 0) {
          ring.last.push(d[k + last]);
          ring.lastTs.push(d[k + last + 1]);
        }
      }
    }
    return ring;
  }

  /**
   * The window from the object layout's ring (toRing's form, or an older release's). A statistic
   * the ring lacks starts empty, as the object layout did when the config began keeping it; a ring
   * of another pane count or measurement count gives an empty window.
   */
  fromRing(v: unknown): PaneWindowState {
    const s = this.init();
    const o = v as Partial<Record<keyof PaneRing, unknown>> | null;
    const P = this.geometry.panes;
    const PM = P * this.names.length;
    const full = (a: unknown, len: number): a is number[] => Array.isArray(a) && a.length === len;
    if (!o || typeof o.maxTs !== 'number' || !full(o.pane, P) || !full(o.count, P) || !full(o.n, PM) || !full(o.sum, PM)) return s;
    const d = this.slab.data;
    const M = this.names.length;
    const G = this.group;
    const { m2, min, last } = this.at;
    const hasM2 = full(o.m2, PM);
    const hasMinMax = full(o.min, PM) && full(o.max, PM);
    const hasLast = full(o.last, PM) && full(o.lastTs, PM);
    d[s] = o.maxTs;
    for (let slot = 0; slot < P; slot++) {
      const r = s + HEAD + slot * this.width;
      d[r] = o.pane[slot];
      d[r + 1] = o.count[slot];
      for (let i = 0, k = r + 2; i < M; i++, k += G) {
        const j = slot * M + i;
        d[k] = o.n[j];
        d[k + 1] = o.sum[j];
        if (m2 >= 0 && hasM2) d[k + m2] = (o.m2 as number[])[j];
        if (min >= 0 && hasMinMax) {
          d[k + min] = (o.min as number[])[j];
          d[k + min + 1] = (o.max as number[])[j];
        }
        if (last >= 0 && hasLast) {
          d[k + last] = (o.last as number[])[j];
          d[k + last + 1] = (o.lastTs as number[])[j];
        }
      }
    }
    return s;
  }

  /** Writes toRing(s) as the state object itself encoded (zscore), without building it. */
  encodeRing(s: PaneWindowState, enc: StateEncoder): void {
    const ring = this.toRing(s);
    const o = enc.openObject();
    enc.name(MAX_TS);
    enc.number(ring.maxTs);
    for (let i = 0; i < RING_FIELDS.length; i++) {
      enc.name(RING_TOKENS[i]);
      enc.numbers(ring[RING_FIELDS[i]]);
    }
    enc.closeObject(o, 1 + RING_FIELDS.length);
  }

  /** The oldest pane the stored form keeps: the window at maxTs (none before the first event). */
  private storedFrom(s: PaneWindowState): number {
    const maxTs = this.slab.data[s];
    return maxTs === NO_TIME ? Infinity : firstLivePane(this.geometry, maxTs);
  }

  /** Calls `row` with the offset of each slot row the stored form keeps, in ring order. */
  private forLiveRows(s: PaneWindowState, row: (r: number) => void): void {
    const d = this.slab.data;
    const live0 = this.storedFrom(s);
    const end = s + this.slab.blockSize;
    for (let r = s + HEAD; r < end; r += this.width) if (d[r] !== NO_PANE && d[r] >= live0) row(r);
  }

  private resetRow(d: Float64Array, r: number, pane: number): void {
    d[r] = pane;
    d[r + 1] = 0;
    const M = this.names.length;
    for (let i = 0, k = r + 2; i < M; i++, k += this.group) d[k] = 0; // other fields are overwritten by the first sample
  }
}

/** Mean of measurement i, NaN without samples. */
export function meanOf(a: WindowAggregate, i: number): number {
  return a.n[i] > 0 ? a.sum[i] / a.n[i] : NaN;
}

/** Sample standard deviation (n − 1) of measurement i, as mathjs std(); 0 for one sample, NaN for none. */
export function stdOf(a: WindowAggregate, i: number): number {
  const n = a.n[i];
  if (n === 0) return NaN;
  if (n === 1) return 0;
  const v = a.m2[i] / (n - 1);
  return v > 0 ? Math.sqrt(v) : 0;
}

/**
 * The state of a detector that is a window plus a firing latch (rate, expression): the window's
 * block, the latch in its head (PaneWindow.firing). Stored as {win, firing}, as when it was an object.
 */
export type WindowedState = PaneWindowState;

/** Stored form of a WindowedState: the window's live panes (PaneWindow.persist) and the latch. */
export function persistWindowed(w: PaneWindow, s: WindowedState): unknown {
  return { win: w.persist(s), firing: w.firing(s) };
}

/** persistWindowed(w, s), written into a commit's encoder without building it (same bytes). */
export function encodeWindowed(w: PaneWindow, s: WindowedState, enc: StateEncoder, head: Uint8Array = WINDOWED_HEAD): void {
  w.encode(s, enc, head); // head: WINDOWED_HEAD, or bytes ending with it (Detector.encodeLed)
  enc.raw(firingField(w.firing(s)));
}

/** A WindowedState from persistWindowed's form; null when it is not one. */
export function reviveWindowed(w: PaneWindow, v: unknown): WindowedState | null {
  const stored = v as { win?: unknown; firing?: unknown } | null;
  if (!stored || typeof stored !== 'object') return null;
  const s = w.revive(stored.win);
  w.setFiring(s, stored.firing === true);
  return s;
}
