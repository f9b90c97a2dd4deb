import type { FlowEvent, Observation } from '../../kernel/types';
import type { Detector } from '../types';
import { squash } from '../common';
import { Direction, directed, flooredStd, latchAbove } from '../scoring';
import { defaultSlide } from '../window/pane-ring';
import { PaneWindow, PaneWindowState, WindowAggregate, stdOf } from '../window/pane-window';
import { nameToken, type StateEncoder } from '../../state/codec';

export interface ZscoreParams {
  measurement: string;
  window: number;
  slide?: number;
  k: number;
  min_samples: number;
  direction: Direction;
  clear_k?: number;
  min_std?: number;
}

export interface ZscoreState {
  win: PaneWindowState;
  firing: boolean;
}

export const ZSCORE_DEFAULT_PANES = 10;

const WIN = nameToken('win');
const FIRING = nameToken('firing');

/**
 * z of each value against the rolling mean/std of the window BEFORE the value is added, so a
 * spike is judged against the past. Mean and variance come from the pane window's Welford panes
 * merged with Chan's formula (stable at any level). Every value is then added, anomalous or not:
 * a sustained change becomes the new normal within one window, which is what a rolling z means.
 */
export class ZscoreDetector implements Detector<ZscoreState> {
  readonly type = 'zscore';
  private readonly win: PaneWindow;
  private readonly agg: WindowAggregate;
  private readonly clearK: number;

  constructor(private readonly p: ZscoreParams) {
    this.win = new PaneWindow(p.window, p.slide ?? defaultSlide(p.window, ZSCORE_DEFAULT_PANES), [p.measurement], {
      m2: true,
      minMax: false,
      last: false,
    });
    this.agg = this.win.newAggregate();
    this.clearK = p.clear_k ?? p.k * 0.75;
  }

  init(): ZscoreState {
    return { win: this.win.init(), firing: false };
  }

  /**
   * The stored form is the whole ring in the object layout {win: {maxTs, pane, count, n, …}, firing}
   * (what this detector stored when its state was that object), so stores written before the
   * slab layout (issue 22) read as they are and the bytes did not change.
   */
  persist(s: ZscoreState): unknown {
    return { win: this.win.toRing(s.win), firing: s.firing };
  }

  revive(v: unknown): ZscoreState | null {
    const stored = v as { win?: unknown; firing?: unknown } | null;
    if (!stored || typeof stored !== 'object') return null;
    return { win: this.win.fromRing(stored.win), firing: stored.firing === true };
  }

  /** The key's row was dropped: its window's block may serve another key. */
  release(s: ZscoreState): void {
    this.win.release(s.win);
  }

  /** persist(s)'s bytes, without building it. */
  encode(s: ZscoreState, enc: StateEncoder): void {
    const o = enc.openObject();
    enc.name(WIN);
    this.win.encodeRing(s.win, enc);
    enc.name(FIRING);
    enc.bool(s.firing);
    enc.closeObject(o, 2);
  }

  observe(s: ZscoreState, e: FlowEvent): Observation | null {
    const v = e.values[this.p.measurement];
    if (typeof v !== 'number' || !this.win.accepts(s.win, e.ts)) return null;
    const a = this.win.aggregate(s.win, this.win.readTime(s.win, e.ts), this.agg);
    this.win.add(s.win, e.ts, e.values);
    const n = a.n[0];
    if (n < this.p.min_samples) return null;
    const mean = a.sum[0] / n;
    const std = flooredStd(stdOf(a, 0), mean, this.p.min_std ?? 0);
    const z = (v - mean) / std;
    const dev = directed(z, this.p.direction);
    s.firing = latchAbove(s.firing, dev, this.p.k, this.clearK);
    return {
      score: squash(dev, this.p.k),
      firing: s.firing,
      evidence: {
        measure: this.p.measurement,
        value: v,
        baseline: mean,
        deviation: z,
        unit: 'sigma',
        limit: this.p.k,
        window: { start: a.start, end: a.end, size: this.p.window },
        detail: { std, n },
      },
    };
  }
}
