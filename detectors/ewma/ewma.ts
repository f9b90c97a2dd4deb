import type { Evidence, FlowEvent, Observation } from '../../kernel/types';
import type { Detector } from '../types';
import { squash } from '../common';
import { Direction, directed, flooredStd, latchAbove } from '../scoring';
import { StateEncoder, nameToken } from '../../state/codec';
import { firingField } from '../firing-field';

export interface EwmaParams {
  measurement: string;
  alpha?: number;
  halflife?: number;
  k: number;
  warmup: number;
  robust: boolean;
  direction: Direction;
  clear_k?: number;
  min_std?: number;
}

export interface EwmaState {
  /** Values seen (drives warm-up and the start-up weights). */
  n: number;
  /** Exponentially weighted mean: the baseline. */
  mean: number;
  /** Exponentially weighted variance (West's incremental form); the scale in plain mode. */
  var: number;
  /** Exponentially weighted mean |residual|; ×√(π/2) it estimates σ, the scale in robust mode. */
  mad: number;
  firing: boolean;
}

export const DEFAULT_ALPHA = 0.1;

/** The state object's head and first member name: {n: */
const HEAD = StateEncoder.fragment((e) => {
  e.objectOf(5);
  e.key('n');
});
const MEAN = nameToken('mean');
const VAR = nameToken('var');
const MAD = nameToken('mad');

/** Every field of this release's state, as init() makes it (a stored state is restored as it was). */
const isEwmaShaped = (s: EwmaState): boolean =>
  typeof s.n === 'number' &&
  typeof s.mean === 'number' &&
  typeof s.var === 'number' &&
  typeof s.mad === 'number' &&
  typeof s.firing === 'boolean';
/** Huber's clipping constant: residuals beyond c·σ move the baseline as if they were c·σ. */
export const HUBER_C = 2.5;
/** E|X − μ| = σ·√(2/π) for a normal X, so σ ≈ 1.2533·mean absolute deviation. */
export const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2);

/** alpha from a half-life counted in events: the weight of a value halves after `halflife` more values. */
export function alphaFromHalflife(halflife: number): number {
  return 1 - Math.pow(0.5, 1 / halflife);
}

/**
 * z of each value against an exponentially weighted mean and spread, judged BEFORE the value
 * updates them.
 *
 * Start-up: weights are max(alpha, 1/(n+1)), so the first ~1/alpha values give the exact running
 * mean and (population) variance instead of a baseline biased towards the first value — no
 * separate warm-up estimator needed.
 *
 * Values always update the baseline, also while firing (plain: fully, so a sustained shift is
 * adopted within a few half-lives and the alert clears; robust: clipped to ±HUBER_C·σ, so a single
 * outlier moves it by at most alpha·2.5σ and inflates the scale by ~21 %, while a level shift is
 * still adopted as each clipped step grows the scale geometrically). Clipping starts after warm-up,
 * when a scale exists.
 */
export class EwmaDetector implements Detector<EwmaState> {
  readonly type = 'ewma';
  private readonly alpha: number;
  private readonly clearK: number;

  constructor(private readonly p: EwmaParams) {
    this.alpha = p.alpha ?? (p.halflife !== undefined ? alphaFromHalflife(p.halflife) : DEFAULT_ALPHA);
    this.clearK = p.clear_k ?? p.k * 0.75;
  }

  init(): EwmaState {
    return { n: 0, mean: 0, var: 0, mad: 0, firing: false };
  }

  /** The state's bytes in its fixed field order (the state is what is stored: no persist()). */
  encode(s: EwmaState, enc: StateEncoder): void {
    // A state restored from an older store that lacks a field: written as it is, as before.
    if (!this.encodeLed(s, enc, HEAD)) enc.value(s);
  }

  readonly encodeHead = HEAD;

  encodeLed(s: EwmaState, enc: StateEncoder, lead: Uint8Array): boolean {
    if (!isEwmaShaped(s)) return false;
    enc.raw(lead);
    enc.number(s.n);
    enc.name(MEAN);
    enc.number(s.mean);
    enc.name(VAR);
    enc.number(s.var);
    enc.name(MAD);
    enc.number(s.mad);
    enc.raw(firingField(s.firing));
    return true;
  }

  observe(s: EwmaState, e: FlowEvent): Observation | null {
    const o = this.newObservation();
    return this.observeInto(s, e, o) ? o : null;
  }

  newObservation(): Observation {
    const evidence: Evidence = {
      measure: this.p.measurement,
      value: 0,
      baseline: 0,
      deviation: 0,
      unit: 'sigma',
      limit: this.p.k,
      window: { start: 0, end: 0 },
      detail: { std: 0, n: 0, alpha: this.alpha },
    };
    return { score: 0, firing: false, evidence };
  }

  observeInto(s: EwmaState, e: FlowEvent, out: Observation): boolean {
    const x = e.values[this.p.measurement];
    if (typeof x !== 'number') return false;
    if (s.n < this.p.warmup) {
      this.update(s, x, Infinity);
      return false;
    }
    const baseline = s.mean;
    const std = flooredStd(this.p.robust ? s.mad * MAD_TO_SIGMA : Math.sqrt(s.var), baseline, this.p.min_std ?? 0);
    const z = (x - baseline) / std;
    const dev = directed(z, this.p.direction);
    s.firing = latchAbove(s.firing, dev, this.p.k, this.clearK);
    const n = s.n;
    this.update(s, x, this.p.robust ? HUBER_C * std : Infinity);
    out.score = squash(dev, this.p.k);
    out.firing = s.firing;
    const ev = out.evidence;
    ev.value = x;
    ev.baseline = baseline;
    ev.deviation = z;
    ev.window!.start = e.ts;
    ev.window!.end = e.ts;
    const detail = ev.detail!;
    detail.std = std;
    detail.n = n;
    return true;
  }

  /** One EW step with the residual clipped to ±clip (Infinity = plain). */
  private update(s: EwmaState, x: number, clip: number): void {
    if (s.n === 0) {
      s.n = 1;
      s.mean = x;
      s.var = 0;
      s.mad = 0;
      return;
    }
    const a = this.alpha > 1 / (s.n + 1) ? this.alpha : 1 / (s.n + 1);
    let r = x - s.mean;
    if (r > clip) r = clip;
    else if (r < -clip) r = -clip;
    const incr = a * r;
    s.mean += incr;
    s.var = (1 - a) * (s.var + r * incr); // West 1979: EW variance without storing past values
    s.mad = (1 - a) * s.mad + a * (r < 0 ? -r : r);
    s.n++;
  }
}
