import type { Evidence, FlowEvent, Observation } from '../../kernel/types';
import { formatDuration } from '../../kernel/duration';
import type { Detector } from '../types';
import { boundScore, latchAbove } from '../scoring';
import { constantDetail } from '../evidence';
import { defaultSlide, nextDrain } from '../window/pane-ring';
import {
  PaneWindow,
  WindowAggregate,
  WINDOWED_HEAD,
  encodeWindowed,
  persistWindowed,
  reviveWindowed,
  type WindowedState,
} from '../window/pane-window';
import type { StateEncoder } from '../../state/codec';

export interface RateParams {
  measurement?: string;
  agg?: 'count' | 'sum';
  window: number;
  slide?: number;
  above: number;
  clear_below?: number;
}

/** The window's block, the detector's firing latch in its head (see WindowedState). */
export type RateState = WindowedState;

/** Panes per window when `slide` is not set: early-warning resolution of window/10. */
export const RATE_DEFAULT_PANES = 10;

/**
 * Count (or sum) of events in a sliding event-time window against a limit. Judged after adding
 * each event, so it fires on the event that crosses the limit; advance() lets a firing key
 * clear as panes drain when events stop.
 */
export class RateDetector implements Detector<RateState> {
  readonly type = 'rate';
  private readonly win: PaneWindow;
  private readonly agg: WindowAggregate;
  private readonly sum: boolean;
  private readonly clear: number;
  private readonly measure: string;
  private readonly detail: Record<string, string>;

  constructor(private readonly p: RateParams) {
    const m = p.measurement;
    // A count or sum reads n and sum only: no M2, min/max or latest value per pane.
    this.win = new PaneWindow(p.window, p.slide ?? defaultSlide(p.window, RATE_DEFAULT_PANES), m ? [m] : [], {
      m2: false,
      minMax: false,
      last: false,
    });
    this.agg = this.win.newAggregate();
    this.sum = (p.agg ?? (m ? 'sum' : 'count')) === 'sum';
    this.clear = p.clear_below ?? p.above;
    this.measure = this.sum ? `sum(${m})` : m ? `count(${m})` : 'count';
    this.detail = constantDetail({ window: formatDuration(p.window) });
  }

  init(): RateState {
    return this.win.init();
  }

  persist(s: RateState): unknown {
    return persistWindowed(this.win, s);
  }

  encode(s: RateState, enc: StateEncoder): void {
    encodeWindowed(this.win, s, enc);
  }

  readonly encodeHead = WINDOWED_HEAD;

  encodeLed(s: RateState, enc: StateEncoder, lead: Uint8Array): boolean {
    encodeWindowed(this.win, s, enc, lead);
    return true;
  }

  revive(v: unknown): RateState | null {
    return reviveWindowed(this.win, v);
  }

  /** The key's row was dropped: its window's block may serve another key. */
  release(s: RateState): void {
    this.win.release(s);
  }

  observe(s: RateState, e: FlowEvent): Observation | null {
    const o = this.newObservation();
    return this.observeInto(s, e, o) ? o : null;
  }

  observeInto(s: RateState, e: FlowEvent, out: Observation): boolean {
    const m = this.p.measurement;
    if (m !== undefined && typeof e.values[m] !== 'number') return false;
    if (!this.win.add(s, e.ts, e.values)) return false; // too late for the window
    this.judgeInto(s, this.win.maxTs(s), out);
    return true;
  }

  newObservation(): Observation {
    const evidence: Evidence = {
      measure: this.measure,
      value: 0,
      baseline: 0,
      deviation: 0,
      unit: this.sum ? 'abs' : 'count',
      limit: 0,
      window: { start: 0, end: 0, size: this.p.window },
      detail: this.detail,
    };
    return { score: 0, firing: false, evidence };
  }

  /** Drains old panes. Returns a verdict only while firing (a rate cannot rise without events). */
  advance(s: RateState, at: number): Observation | null {
    this.win.expire(s, at);
    if (!this.win.firing(s)) return null;
    return this.judge(s, this.win.readTime(s, at));
  }

  /** While firing, each pane boundary may clear it; a quiet rate cannot rise, so no timer then. */
  nextTimer(s: RateState, after: number): number {
    return this.win.firing(s) ? nextDrain(this.win.geometry, this.win.maxTs(s), after) : Infinity;
  }

  private judge(s: RateState, at: number): Observation {
    const o = this.newObservation();
    this.judgeInto(s, at, o);
    return o;
  }

  private judgeInto(s: RateState, at: number, out: Observation): void {
    const a = this.win.aggregate(s, at, this.agg);
    const value = this.sum ? a.sum[0] : this.p.measurement ? a.n[0] : a.count;
    const above = this.p.above;
    const firing = latchAbove(this.win.firing(s), value, above, this.clear);
    this.win.setFiring(s, firing);
    out.score = boundScore(value, above, 'above');
    out.firing = firing;
    const ev = out.evidence;
    ev.value = value;
    ev.baseline = above;
    ev.deviation = value - above;
    ev.limit = above;
    ev.window!.start = a.start;
    ev.window!.end = a.end;
  }
}
