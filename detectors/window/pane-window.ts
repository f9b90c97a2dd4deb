import { StateEncoder, nameToken } from '../../state/codec';
import { NO_PANE, NO_TIME, PaneGeometry, firstLivePane, paneGeometry, paneOf, slotOf, windowStart } from './pane-ring';
import { firingField } from '../firing-field';

/**
 * Per-key state of a pane window: plain JSON, fixed size, mutated in place.
 * Ring arrays have `panes` slots; per-measurement arrays are laid out slot-major
 * (index slot·M + i for measurement i of M tracked measurements).
 *
 * Why M2 and not Σx²: variance from Σx² − (Σx)²/n cancels catastrophically once the level is
 * large relative to the spread (funds flows in the millions with cents of jitter). Each pane
 * keeps Welford's M2 (sum of squared deviations from the pane mean) and panes are merged with
 * Chan et al.'s parallel formula, which is stable at any level. Σx² = M2 + (Σx)²/n if needed.
 */
export interface PaneWindowState {
  /** Highest event time added, epoch ms; NO_TIME before the first event. */
  maxTs: number;
  /** Pane index held by each ring slot; NO_PANE = empty. */
  pane: number[];
  /** Events added to each pane (whether or not they carried a tracked measurement). */
  count: number[];
  /** Samples of each measurement in each pane. */
  n: number[];
  sum: number[];
  m2: number[];
  min: number[];
  max: number[];
  /** Value of the latest (by event time) sample in the pane, and that sample's time. */
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

/**
 * The array of a statistic a window does not keep: one shared, frozen empty array instead of an
 * empty array per key and statistic (a few hundred thousand keys × up to five of them). Never
 * written: a window that starts keeping the statistic replaces it first (ensure()).
 */
const NOT_KEPT = Object.freeze([]) as unknown as number[];

export const ALL_STATS: PaneStats = { m2: true, minMax: true, last: true };

// The constant runs of the stored forms, as bytes once (written for every window of every commit).
/** persist()'s object head and its first member's name: {t: */
const WINDOW_HEAD = StateEncoder.fragment((e) => {
  e.objectOf(4);
  e.key('t');
});
/** persistWindowed()'s: {win: */
const WINDOWED_HEAD = StateEncoder.fragment((e) => {
  e.objectOf(2);
  e.key('win');
});
/** The fields of a whole ring (a state stored as it is), in init()'s order. */
const RING_FIELDS = ['pane', 'count', 'n', 'sum', 'm2', 'min', 'max', 'last', 'lastTs'] as const;
const MAX_TS = nameToken('maxTs');
const RING_TOKENS = RING_FIELDS.map(nameToken);

export class PaneWindow {
  readonly geometry: PaneGeometry;
  /** Tracked measurement names; index i in every per-measurement array. */
  readonly names: readonly string[];
  readonly stats: PaneStats;
  private readonly lastTsScratch: number[];
  /** One stored pane row, reused by encode() for every pane of every key. */
  private readonly scratchRow: number[];
  /** persist()'s members after `t`, up to the pane rows (slide and pane count: constants): , w: …, p: …, s: */
  private readonly geometryBytes: Uint8Array;

  constructor(windowMs: number, slideMs: number, names: readonly string[], stats: PaneStats = ALL_STATS) {
    this.geometry = paneGeometry(windowMs, slideMs);
    this.names = names;
    this.stats = { ...stats };
    this.lastTsScratch = new Array<number>(names.length).fill(0);
    const width = 2 + names.length * (2 + (stats.m2 ? 1 : 0) + (stats.minMax ? 2 : 0) + (stats.last ? 2 : 0));
    this.scratchRow = new Array<number>(width).fill(0);
    const g = this.geometry;
    this.geometryBytes = StateEncoder.fragment((e) => {
      e.key('w');
      e.number(g.slideMs);
      e.key('p');
      e.number(g.panes);
      e.key('s');
    });
  }

  init(): PaneWindowState {
    const P = this.geometry.panes;
    const PM = P * this.names.length;
    const st = this.stats;
    const arr = (on: boolean) => (on ? new Array<number>(PM).fill(0) : NOT_KEPT);
    return {
      maxTs: NO_TIME,
      pane: new Array<number>(P).fill(NO_PANE),
      count: new Array<number>(P).fill(0),
      n: new Array<number>(PM).fill(0),
      sum: new Array<number>(PM).fill(0),
      m2: arr(st.m2),
      min: arr(st.minMax),
      max: arr(st.minMax),
      last: arr(st.last),
      lastTs: arr(st.last),
    };
  }

  /**
   * A state restored from an older config may lack arrays this window keeps now: they start
   * empty (the panes' other statistics are kept).
   */
  private ensure(s: PaneWindowState): void {
    const PM = this.geometry.panes * this.names.length;
    const st = this.stats;
    if (st.m2 && s.m2.length < PM) s.m2 = new Array<number>(PM).fill(0);
    if (st.minMax && (s.min.length < PM || s.max.length < PM)) {
      s.min = new Array<number>(PM).fill(0);
      s.max = new Array<number>(PM).fill(0);
    }
    if (st.last && (s.last.length < PM || s.lastTs.length < PM)) {
      s.last = new Array<number>(PM).fill(0);
      s.lastTs = new Array<number>(PM).fill(0);
    }
  }

  newAggregate(): WindowAggregate {
    const M = this.names.length;
    const z = () => new Array<number>(M).fill(0);
    return { count: 0, n: z(), sum: z(), m2: z(), min: z(), max: z(), last: z(), start: 0, end: 0 };
  }

  /** Time the window should be read at: never behind the newest event already added. */
  readTime(s: PaneWindowState, now: number): number {
    return now > s.maxTs ? now : s.maxTs;
  }

  /** False when `ts` is older than the ring holds (its pane already left the window): the caller drops it. */
  accepts(s: PaneWindowState, ts: number): boolean {
    const g = this.geometry;
    const head = ts > s.maxTs ? ts : s.maxTs;
    return paneOf(g, ts) >= firstLivePane(g, head);
  }

  /** Adds one event; values of untracked names are ignored. Returns false (nothing added) for a too-late event. */
  add(s: PaneWindowState, ts: number, values: Record<string, number>): boolean {
    if (!this.accepts(s, ts)) return false;
    const g = this.geometry;
    const p = paneOf(g, ts);
    const slot = slotOf(g, p);
    if (s.pane[slot] !== p) this.resetSlot(s, slot, p);
    s.count[slot]++;
    const M = this.names.length;
    if (M === 0) {
      if (ts > s.maxTs) s.maxTs = ts;
      return true;
    }
    this.ensure(s);
    const { m2, minMax, last } = this.stats;
    for (let i = 0; i < M; i++) {
      const v = values[this.names[i]];
      if (typeof v !== 'number') continue;
      const k = slot * M + i;
      const n0 = s.n[k];
      if (n0 === 0) {
        s.n[k] = 1;
        s.sum[k] = v;
        if (m2) s.m2[k] = 0;
        if (minMax) {
          s.min[k] = v;
          s.max[k] = v;
        }
        if (last) {
          s.last[k] = v;
          s.lastTs[k] = ts;
        }
        continue;
      }
      // Welford with the mean derived from the exact running sum (sums of integers stay exact).
      const mean0 = s.sum[k] / n0;
      s.n[k] = n0 + 1;
      s.sum[k] += v;
      if (m2) s.m2[k] += (v - mean0) * (v - s.sum[k] / (n0 + 1));
      if (minMax) {
        if (v < s.min[k]) s.min[k] = v;
        if (v > s.max[k]) s.max[k] = v;
      }
      if (last && ts >= s.lastTs[k]) {
        s.last[k] = v;
        s.lastTs[k] = ts;
      }
    }
    if (ts > s.maxTs) s.maxTs = ts;
    return true;
  }

  /** Empties slots whose pane is older than the window at `now`. Aggregation ignores them anyway; this keeps snapshots clean. */
  expire(s: PaneWindowState, now: number): void {
    const live0 = firstLivePane(this.geometry, this.readTime(s, now));
    for (let slot = 0; slot < s.pane.length; slot++) {
      if (s.pane[slot] !== NO_PANE && s.pane[slot] < live0) this.resetSlot(s, slot, NO_PANE);
    }
  }

  /** True when no pane of the window at `at` holds an event. */
  isEmpty(s: PaneWindowState, at: number): boolean {
    const g = this.geometry;
    const live0 = firstLivePane(g, at);
    const head = paneOf(g, at);
    for (let slot = 0; slot < s.pane.length; slot++) {
      const p = s.pane[slot];
      if (p >= live0 && p <= head && s.count[slot] > 0) return false;
    }
    return true;
  }

  /** Aggregates the panes of the window at `at` into `out` (see pane-ring for which panes). */
  aggregate(s: PaneWindowState, at: number, out: WindowAggregate): WindowAggregate {
    const g = this.geometry;
    const live0 = firstLivePane(g, at);
    const head = paneOf(g, at);
    const M = this.names.length;
    const lastTs = this.lastTsScratch;
    if (M > 0) this.ensure(s);
    const { m2: keepM2, minMax, last } = this.stats;
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
    const P = s.pane.length;
    for (let slot = 0; slot < P; slot++) {
      const p = s.pane[slot];
      if (p < live0 || p > head) continue;
      out.count += s.count[slot];
      for (let i = 0; i < M; i++) {
        const k = slot * M + i;
        if (s.n[k] === 0) continue;
        out.n[i] += s.n[k];
        out.sum[i] += s.sum[k];
        if (minMax) {
          if (!(s.min[k] >= out.min[i])) out.min[i] = s.min[k]; // NaN-aware: first sample wins
          if (!(s.max[k] <= out.max[i])) out.max[i] = s.max[k];
        }
        if (last && s.lastTs[k] >= lastTs[i]) {
          out.last[i] = s.last[k];
          lastTs[i] = s.lastTs[k];
        }
      }
    }
    // Chan merge, second pass: M2 = Σ M2_p + Σ n_p (mean_p − mean)². The between-pane term is a
    // sum of squares of small differences, so nothing cancels.
    for (let i = 0; i < M; i++) {
      const n = out.n[i];
      if (n === 0) continue;
      if (!keepM2) {
        out.m2[i] = NaN;
        continue;
      }
      const mean = out.sum[i] / n;
      let m2 = 0;
      for (let slot = 0; slot < P; slot++) {
        const p = s.pane[slot];
        const k = slot * M + i;
        if (p < live0 || p > head || s.n[k] === 0) continue;
        const d = s.sum[k] / s.n[k] - mean;
        m2 += s.m2[k] + s.n[k] * d * d;
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
    const g = this.geometry;
    const live0 = s.maxTs === NO_TIME ? Infinity : firstLivePane(g, s.maxTs);
    const M = this.names.length;
    const { m2, minMax, last } = this.stats;
    const rows: number[][] = [];
    for (let slot = 0; slot < s.pane.length; slot++) {
      const p = s.pane[slot];
      if (p === NO_PANE || p < live0) continue;
      const row = [p, s.count[slot]];
      for (let i = 0; i < M; i++) {
        const k = slot * M + i;
        row.push(s.n[k], s.sum[k]);
        if (m2) row.push(s.m2[k]);
        if (minMax) row.push(s.min[k], s.max[k]);
        if (last) row.push(s.last[k], s.lastTs[k]);
      }
      rows.push(row);
    }
    return { t: s.maxTs, w: g.slideMs, p: g.panes, s: rows };
  }

  /**
   * Writes persist(s) into a commit's encoder without building it (issue 22: the stored form of
   * the windows was the worker's largest per-commit allocation): the same bytes, one scratch row
   * reused for every pane. Checked against persist() by pane-window-encode.test.ts.
   */
  encode(s: PaneWindowState, enc: StateEncoder): void {
    const g = this.geometry;
    const live0 = s.maxTs === NO_TIME ? Infinity : firstLivePane(g, s.maxTs);
    let live = 0;
    for (let slot = 0; slot < s.pane.length; slot++) if (s.pane[slot] !== NO_PANE && s.pane[slot] >= live0) live++;
    enc.raw(WINDOW_HEAD);
    enc.number(s.maxTs);
    enc.raw(this.geometryBytes);
    enc.openArray(live);
    const row = this.scratchRow;
    for (let slot = 0; slot < s.pane.length; slot++) {
      const p = s.pane[slot];
      if (p === NO_PANE || p < live0) continue;
      this.fillRow(s, slot, row);
      enc.numbers(row);
    }
  }

  /**
   * Writes the whole ring as the state object itself encodes (for a detector that stores its state
   * as it is: zscore), in init()'s field order, without a generic walk of it.
   */
  encodeRing(s: PaneWindowState, enc: StateEncoder): void {
    if (!isWholeRing(s)) return enc.value(s); // restored from an older store as it was
    const o = enc.openObject();
    enc.name(MAX_TS);
    enc.number(s.maxTs);
    for (let i = 0; i < RING_FIELDS.length; i++) {
      enc.name(RING_TOKENS[i]);
      enc.numbers(s[RING_FIELDS[i]]);
    }
    enc.closeObject(o, 1 + RING_FIELDS.length);
  }

  /** One live pane's stored row (as persist() makes it), into `row`. */
  private fillRow(s: PaneWindowState, slot: number, row: number[]): void {
    const M = this.names.length;
    const { m2, minMax, last } = this.stats;
    let c = 0;
    row[c++] = s.pane[slot];
    row[c++] = s.count[slot];
    for (let i = 0; i < M; i++) {
      const k = slot * M + i;
      row[c++] = s.n[k];
      row[c++] = s.sum[k];
      if (m2) row[c++] = s.m2[k];
      if (minMax) {
        row[c++] = s.min[k];
        row[c++] = s.max[k];
      }
      if (last) {
        row[c++] = s.last[k];
        row[c++] = s.lastTs[k];
      }
    }
  }

  /** The window from its stored form; an empty window when the form does not fit this window's layout. */
  revive(v: unknown): PaneWindowState {
    const s = this.init();
    const stored = v as Partial<PersistedPaneWindow> | null;
    const g = this.geometry;
    if (!stored || typeof stored.t !== 'number' || stored.w !== g.slideMs || stored.p !== g.panes || !Array.isArray(stored.s)) return s;
    const M = this.names.length;
    const { m2, minMax, last } = this.stats;
    const width = 2 + M * (2 + (m2 ? 1 : 0) + (minMax ? 2 : 0) + (last ? 2 : 0));
    for (const row of stored.s) if (!Array.isArray(row) || row.length !== width) return s;
    s.maxTs = stored.t;
    for (const row of stored.s) {
      const slot = slotOf(g, row[0]);
      s.pane[slot] = row[0];
      s.count[slot] = row[1];
      let c = 2;
      for (let i = 0; i < M; i++) {
        const k = slot * M + i;
        s.n[k] = row[c++];
        s.sum[k] = row[c++];
        if (m2) s.m2[k] = row[c++];
        if (minMax) {
          s.min[k] = row[c++];
          s.max[k] = row[c++];
        }
        if (last) {
          s.last[k] = row[c++];
          s.lastTs[k] = row[c++];
        }
      }
    }
    return s;
  }

  private resetSlot(s: PaneWindowState, slot: number, pane: number): void {
    s.pane[slot] = pane;
    s.count[slot] = 0;
    const M = this.names.length;
    for (let i = 0; i < M; i++) s.n[slot * M + i] = 0; // other fields are overwritten by the first sample
  }
}

/** Whether a stored-as-is ring has every field of this release's (else it is written as it is). */
function isWholeRing(s: PaneWindowState): boolean {
  if (typeof s.maxTs !== 'number') return false;
  for (let i = 0; i < RING_FIELDS.length; i++) if (!Array.isArray(s[RING_FIELDS[i]])) return false;
  return true;
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

/** The state of a detector that is a window plus a firing latch (rate, expression). */
export interface WindowedState {
  win: PaneWindowState;
  firing: boolean;
}

/** Stored form of a WindowedState: the window's live panes (PaneWindow.persist) and the latch. */
export function persistWindowed(w: PaneWindow, s: WindowedState): unknown {
  return { win: w.persist(s.win), firing: s.firing };
}

/** persistWindowed(w, s), written into a commit's encoder without building it (same bytes). */
export function encodeWindowed(w: PaneWindow, s: WindowedState, enc: StateEncoder): void {
  enc.raw(WINDOWED_HEAD);
  w.encode(s.win, enc);
  enc.raw(firingField(s.firing));
}

/** A WindowedState from persistWindowed's form; null when it is not one. */
export function reviveWindowed(w: PaneWindow, v: unknown): WindowedState | null {
  const stored = v as { win?: unknown; firing?: unknown } | null;
  if (!stored || typeof stored !== 'object') return null;
  return { win: w.revive(stored.win), firing: stored.firing === true };
}
