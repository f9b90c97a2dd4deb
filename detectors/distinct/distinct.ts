import type { FlowEvent, Observation } from '../../kernel/types';
import { formatDuration } from '../../kernel/duration';
import type { Detector } from '../types';
import { boundScore, latchAbove } from '../scoring';
import { constantDetail } from '../evidence';
import { defaultSlide, nextDrain } from '../window/pane-ring';
import { hash32 } from './hash';
import { DistinctSketch, DistinctSketchState } from './sketch';

export interface DistinctParams {
  attribute: string;
  window: number;
  slide?: number;
  above: number;
  clear_below?: number;
}

export interface DistinctState {
  sketch: DistinctSketchState;
  firing: boolean;
}

/** Fewer panes than rate: each pane costs 128 registers once a key leaves exact mode. */
export const DISTINCT_DEFAULT_PANES = 6;

/**
 * Distinct values of a string attribute per key in a sliding window (fan-out: counterparties per
 * account, origins per container). Judged after each event; advance() lets a firing key clear.
 */
export class DistinctDetector implements Detector<DistinctState> {
  readonly type = 'distinct';
  private readonly sketch: DistinctSketch;
  private readonly clear: number;
  private readonly measure: string;
  private readonly exactDetail: Record<string, string>;
  private readonly estimateDetail: Record<string, string>;

  constructor(private readonly p: DistinctParams) {
    this.sketch = new DistinctSketch(p.window, p.slide ?? defaultSlide(p.window, DISTINCT_DEFAULT_PANES));
    this.clear = p.clear_below ?? p.above;
    this.measure = `distinct(${p.attribute})`;
    const windowText = formatDuration(p.window);
    this.exactDetail = constantDetail({ window: windowText, method: 'exact' });
    this.estimateDetail = constantDetail({ window: windowText, method: 'hyperloglog' });
  }

  init(): DistinctState {
    return { sketch: this.sketch.init(), firing: false };
  }

  persist(s: DistinctState): unknown {
    return { sketch: this.sketch.persist(s.sketch), firing: s.firing };
  }

  revive(stored: unknown): DistinctState | null {
    const o = stored as Partial<{ sketch: unknown; firing: unknown }> | null;
    if (o === null || typeof o !== 'object') return null;
    const sketch = this.sketch.revive(o.sketch);
    return sketch === null ? null : { sketch, firing: o.firing === true };
  }

  observe(s: DistinctState, e: FlowEvent): Observation | null {
    const v = e.attrs[this.p.attribute];
    if (typeof v !== 'string') return null;
    if (!this.sketch.add(s.sketch, e.ts, hash32(v))) return null;
    return this.judge(s, s.sketch.maxTs);
  }

  /** Frees expired entries. Returns a verdict only while firing (a distinct count cannot rise without events). */
  advance(s: DistinctState, at: number): Observation | null {
    this.sketch.expire(s.sketch, at);
    if (!s.firing) return null;
    return this.judge(s, this.sketch.readTime(s.sketch, at));
  }

  /** While firing, each pane boundary may clear it; a quiet count cannot rise, so no timer then. */
  nextTimer(s: DistinctState, after: number): number {
    return s.firing ? nextDrain(this.sketch.geometry, s.sketch.maxTs, after) : Infinity;
  }

  private judge(s: DistinctState, at: number): Observation {
    const value = this.sketch.estimate(s.sketch, at);
    const above = this.p.above;
    s.firing = latchAbove(s.firing, value, above, this.clear);
    return {
      score: boundScore(value, above, 'above'),
      firing: s.firing,
      evidence: {
        measure: this.measure,
        value,
        baseline: above,
        deviation: value - above,
        unit: 'count',
        limit: above,
        window: { start: this.sketch.windowStart(at), end: at, size: this.p.window },
        detail: this.sketch.isExact(s.sketch, at) ? this.exactDetail : this.estimateDetail,
      },
    };
  }
}
