import type { Evidence, FlowEvent, Observation } from '../../kernel/types';
import type { Detector } from '../types';
import { boundScore, latchAbove, latchBelow } from '../scoring';
import { constantDetail } from '../evidence';
import { StateEncoder } from '../../state/codec';

export interface ThresholdParams {
  measurement: string;
  above?: number;
  below?: number;
  clear_above?: number;
  clear_below?: number;
}

/** 1 = firing above, −1 = firing below, 0 = not firing. A number so the state stays plain JSON. */
export interface ThresholdState {
  side: number;
}

/** The state object's head and its member name: {side: */
const HEAD = StateEncoder.fragment((e) => {
  e.objectOf(1);
  e.key('side');
});
const ABOVE = constantDetail({ bound: 'above' });
const BELOW = constantDetail({ bound: 'below' });

/** Compares each value with fixed bounds; stateful only for hysteresis. */
export class ThresholdDetector implements Detector<ThresholdState> {
  readonly type = 'threshold';
  private readonly clearAbove: number;
  private readonly clearBelow: number;

  constructor(private readonly p: ThresholdParams) {
    this.clearAbove = p.clear_above ?? p.above ?? Infinity;
    this.clearBelow = p.clear_below ?? p.below ?? -Infinity;
  }

  init(): ThresholdState {
    return { side: 0 };
  }

  /** The state's bytes (the state is what is stored: no persist()). */
  encode(s: ThresholdState, enc: StateEncoder): void {
    if (!this.encodeLed(s, enc, HEAD)) enc.value(s); // restored from an older store as it was
  }

  readonly encodeHead = HEAD;

  encodeLed(s: ThresholdState, enc: StateEncoder, lead: Uint8Array): boolean {
    if (typeof s.side !== 'number') return false;
    enc.raw(lead);
    enc.number(s.side);
    return true;
  }

  /** side 0, 1, −1: the only states encode() writes as constant bytes (see Detector.encodedForms). */
  readonly encodedForms = 3;

  encodedForm(s: ThresholdState): number {
    // -0 === 0 and writes the same bytes (INT8 0); anything else (restored as it was) has no form.
    return s.side === 0 ? 0 : s.side === 1 ? 1 : s.side === -1 ? 2 : -1;
  }

  observe(s: ThresholdState, e: FlowEvent): Observation | null {
    const o = this.newObservation();
    return this.observeInto(s, e, o) ? o : null;
  }

  newObservation(): Observation {
    const evidence: Evidence = {
      measure: '',
      value: 0,
      baseline: 0,
      deviation: 0,
      unit: 'abs',
      limit: 0,
      window: { start: 0, end: 0 },
      detail: ABOVE,
    };
    return { score: 0, firing: false, evidence };
  }

  observeInto(s: ThresholdState, e: FlowEvent, out: Observation): boolean {
    const v = e.values[this.p.measurement];
    if (typeof v !== 'number') return false;
    const { above, below } = this.p;
    const up = above !== undefined && latchAbove(s.side === 1, v, above, this.clearAbove);
    const down = !up && below !== undefined && latchBelow(s.side === -1, v, below, this.clearBelow);
    s.side = up ? 1 : down ? -1 : 0;
    const scoreUp = above !== undefined ? boundScore(v, above, 'above') : 0;
    const scoreDown = below !== undefined ? boundScore(v, below, 'below') : 0;
    // Evidence names one bound: the firing one, else the one the value is closer to crossing.
    const useUp = above !== undefined && (below === undefined || s.side === 1 || (s.side === 0 && scoreUp >= scoreDown));
    const bound = (useUp ? above : below) as number;
    out.score = scoreUp > scoreDown ? scoreUp : scoreDown;
    out.firing = s.side !== 0;
    const ev = out.evidence;
    ev.measure = this.p.measurement;
    ev.value = v;
    ev.baseline = bound;
    ev.deviation = v - bound;
    ev.limit = bound;
    ev.window!.start = e.ts;
    ev.window!.end = e.ts;
    ev.detail = useUp ? ABOVE : BELOW;
    return true;
  }
}
