import type { Evidence, FlowEvent, Observation } from '../../kernel/types';
import { formatDuration } from '../../kernel/duration';
import type { Detector } from '../types';
import { boundScore, latchAbove } from '../scoring';
import { constantDetail } from '../evidence';
import { defaultSlide, nextDrain } from '../window/pane-ring';
import { hash32 } from './hash';
import { DistinctSketch, DistinctSketchState } from './sketch';
import { StateEncoder } from '../../state/codec';
import { firingField } from '../firing-field';

/** persist()'s object head and first member name: {sketch: */
const HEAD = StateEncoder.fragment((e) => {
  e.objectOf(2);
  e.key('sketch');
});

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

  /** persist(s), written into a commit's encoder without building it (same bytes). */
  encode(s: DistinctState, enc: StateEncoder): void {
    this.encodeLed(s, enc, HEAD);
  }

  readonly encodeHead = HEAD;

  encodeLed(s: DistinctState, enc: StateEncoder, lead: Uint8Array): boolean {
    enc.raw(lead);
    this.sketch.encode(s.sketch, enc);
    enc.raw(firingField(s.firing));
    return true;
  }

  revive(stored: unknown): DistinctState | null {
    const o = stored as Partial<{ sketch: unknown; firing: unknown }> | null;
    if (o === null || typeof o !== 'object') return null;
    const sketch = this.sketch.revive(o.sketch);
    return sketch === null ? null : { sketch, firing: o.firing === true };
  }

  observe(s: DistinctState, e: FlowEvent): Observation | null {
    const o = this.newObservation();
    return this.observeInto(s, e, o) ? o : null;
  }

  observeInto(s: DistinctState, e: FlowEvent, out: Observation): boolean {
    const v = e.attrs[this.p.attribute];
    if (typeof v !== 'string') return false;
    if (!this.sketch.add(s.sketch, e.ts, hash32(v))) return false;
    this.judgeInto(s, s.sketch.maxTs, out);
    return true;
  }

  newObservation(): Observation {
    const evidence: Evidence = {
      measure: this.measure,
      value: 0,
      baseline: 0,
      deviation: 0,
      unit: 'count',
      limit: 0,
      window: { start: 0, end: 0, size: this.p.window },
      detail: this.exactDetail,
    };
    return { score: 0, firing: false, evidence };
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
    const o = this.newObservation();
    this.judgeInto(s, at, o);
    return o;
  }

  private judgeInto(s: DistinctState, at: number, out: Observation): void {
    const value = this.sketch.estimate(s.sketch, at);
    const above = this.p.above;
    s.firing = latchAbove(s.firing, value, above, this.clear);
    out.score = boundScore(value, above, 'above');
    out.firing = s.firing;
    const ev = out.evidence;
    ev.value = value;
    ev.baseline = above;
    ev.deviation = value - above;
    ev.limit = above;
    ev.window!.start = this.sketch.windowStart(at);
    ev.window!.end = at;
    ev.detail = this.sketch.isExact(s.sketch, at) ? this.exactDetail : this.estimateDetail;
  }
}
