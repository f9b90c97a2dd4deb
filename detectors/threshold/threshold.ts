import type { Evidence, FlowEvent, Observation } from '../../kernel/types';
import type { Detector } from '../types';
import { boundScore, latchAbove, latchBelow } from '../scoring';
import { constantDetail } from '../evidence';
import { StateEncoder } from '../../state/codec';
import { BlockSlab } from '../window/block-slab';

export interface ThresholdParams {
  measurement: string;
  above?: number;
  below?: number;
  clear_above?: number;
  clear_below?: number;
}

/**
 * The key's cell in the detector's slab (block-slab.ts), holding the side: 1 = firing above,
 * −1 = firing below, 0 = not firing. Stored as {side} (persist), as when the state was that object.
 * Why a cell and not an object (issue 22): a goods key has three thresholds, and three small objects
 * spread over the heap were three cache misses per event; the cells of 10,000 keys are 80 KB.
 */
export type ThresholdState = number;

/** What a store holds: the state as the object layout held it. */
interface StoredThreshold {
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
  private readonly slab = new BlockSlab(1);

  constructor(private readonly p: ThresholdParams) {
    this.clearAbove = p.clear_above ?? p.above ?? Infinity;
    this.clearBelow = p.clear_below ?? p.below ?? -Infinity;
  }

  init(): ThresholdState {
    const s = this.slab.alloc();
    this.slab.data[s] = 0;
    return s;
  }

  persist(s: ThresholdState): StoredThreshold {
    return { side: this.slab.data[s] };
  }

  /** The stored {side}; a side that is not 1 or −1 (or a form that is not one) is "not firing". */
  revive(v: unknown): ThresholdState {
    const side = (v as Partial<StoredThreshold> | null)?.side;
    const s = this.init();
    if (side === 1 || side === -1) this.slab.data[s] = side;
    return s;
  }

  /** The key's row was dropped: its cell may serve another key. */
  release(s: ThresholdState): void {
    this.slab.release(s);
  }

  /** persist(s)'s bytes, without building it. */
  encode(s: ThresholdState, enc: StateEncoder): void {
    enc.raw(HEAD);
    enc.number(this.slab.data[s]);
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
    const was = this.slab.data[s];
    const up = above !== undefined && latchAbove(was === 1, v, above, this.clearAbove);
    const down = !up && below !== undefined && latchBelow(was === -1, v, below, this.clearBelow);
    const side = up ? 1 : down ? -1 : 0;
    this.slab.data[s] = side;
    const scoreUp = above !== undefined ? boundScore(v, above, 'above') : 0;
    const scoreDown = below !== undefined ? boundScore(v, below, 'below') : 0;
    // Evidence names one bound: the firing one, else the one the value is closer to crossing.
    const useUp = above !== undefined && (below === undefined || side === 1 || (side === 0 && scoreUp >= scoreDown));
    const bound = (useUp ? above : below) as number;
    out.score = scoreUp > scoreDown ? scoreUp : scoreDown;
    out.firing = side !== 0;
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
