import { scoreAgainstLimit } from './common';

/**
 * Score helpers shared by detectors, so "0.5 means exactly at the limit" holds everywhere.
 * Firing latches use the same convention in every detector: fire when strictly beyond the limit,
 * stay firing until the value is back at or inside the clear level (hysteresis).
 */

/**
 * Score of `value` against a bound: 0.5 at the bound, towards 1 as the relative excess grows,
 * towards 0 inside. The excess is relative to |bound| (to 1 when the bound is 0), so for a positive
 * upper bound this is exactly scoreAgainstLimit(value / bound): 2× the limit scores 2/3.
 */
export function boundScore(value: number, bound: number, side: 'above' | 'below'): number {
  const scale = bound !== 0 ? Math.abs(bound) : 1;
  const excess = side === 'above' ? value - bound : bound - value;
  return scoreAgainstLimit(1 + excess / scale);
}

export type Direction = 'both' | 'up' | 'down';

/** The part of a signed deviation (z) that counts for `direction`: |z|, max(z, 0) or max(−z, 0). */
export function directed(z: number, direction: Direction): number {
  if (direction === 'up') return z > 0 ? z : 0;
  if (direction === 'down') return z < 0 ? -z : 0;
  return z < 0 ? -z : z;
}

/** Fire when value > limit; once firing, stay firing while value > clear (clear ≤ limit). NaN never fires. */
export function latchAbove(firing: boolean, value: number, limit: number, clear: number): boolean {
  return firing ? value > clear : value > limit;
}

/** Mirror of latchAbove for lower bounds: fire when value < limit, stay firing while value < clear (clear ≥ limit). */
export function latchBelow(firing: boolean, value: number, limit: number, clear: number): boolean {
  return firing ? value < clear : value < limit;
}

/**
 * Floor for a standard deviation, so a flat series gives a large but finite z instead of ∞/NaN:
 * max(std, min_std, 1e-9·max(1, |mean|)). The built-in part only sits above floating-point noise
 * (a relative floor any larger would swamp real low-variance series at large levels, e.g. funds
 * totals around 1e9 with a spread of a few units). So by default a perfectly flat series that moves
 * at all is a huge z; set min_std to say how much movement is noise in the measurement's own units
 * (1 person, 0.5 °C).
 */
export function flooredStd(std: number, mean: number, minStd: number): number {
  const abs = mean < 0 ? -mean : mean;
  const rel = 1e-9 * (abs > 1 ? abs : 1);
  const floor = minStd > rel ? minStd : rel;
  return std > floor ? std : floor;
}
