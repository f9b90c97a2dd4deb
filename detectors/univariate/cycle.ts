/**
 * A cycle that the phase-of-day profiles cannot see: the year of monthly data (12 values), the week
 * of daily data (7). The seasonal profiles (seasonal.ts) need at least 6 values a day; at coarser
 * sampling a cycle was invisible, and a flattened or shifted yearly cycle (a seasonality break or a
 * value from the wrong half of the year) scored nothing at all (the monthly CO₂ series of the
 * real-background corpus).
 *
 * Feature: the seasonal difference x_t − x_{t−P} less its running mean (the trend per period),
 * judged only while the cycle earns its keep — the EW mean square of the lag-P difference below
 * CYCLE_GAIN of the lag-P/2 one (a cycle makes values a period apart alike and half a period apart
 * unlike; white noise makes both alike in spread, a random walk makes the lag-P one larger). The ring
 * keeps the last P values *cleaned* (an outlier is stored clipped at 3 RMS of the difference), so a
 * spike does not come back as a false echo one period later.
 *
 * State: [P, values seen, mean lag-P difference, its mean square, lag-P/2 mean square] and a ring of P values.
 */
import { DAY_MS } from './seasonal';

export const CYCLE_GAIN = 0.5;
/** Periods of memory of the means. */
const CYCLE_MEMORY = 8;

/** The period (values) for a sampling interval, 0 when none is looked for. */
export function cyclePeriod(dt: number): number {
  const days = dt / DAY_MS;
  if (days >= 25 && days <= 35) return 12;
  if (days >= 0.9 && days <= 1.1) return 7;
  return 0;
}

export function initCycle(p: number): { cy: number[]; ring: number[] } {
  return { cy: [p, 0, 0, 0, 0], ring: [] };
}

/** The seasonal difference less its mean, when the cycle is in use (else null); judged before learning. */
export function cycleFeature(cy: readonly number[], ring: readonly number[], x: number): number | null {
  const p = cy[0];
  const k = cy[1];
  if (p === 0 || k < 3 * p || !(cy[3] < CYCLE_GAIN * cy[4])) return null;
  return x - ring[k % p] - cy[2];
}

/** Learns x: the means, then the ring (x cleaned). */
export function learnCycle(cy: number[], ring: number[], x: number): void {
  const p = cy[0];
  if (p === 0) return;
  const k = cy[1];
  const slot = k % p;
  if (k < p) {
    ring[slot] = x;
    cy[1] = k + 1;
    return;
  }
  const a = Math.max(1 / (k - p + 1), 1 / (CYCLE_MEMORY * p));
  const r = x - ring[slot] - cy[2];
  const half = x - ring[(slot + p - (p >> 1)) % p];
  const lim = cy[3] > 0 && k > 2 * p ? 3 * Math.sqrt(cy[3]) : Infinity;
  const rc = r > lim ? lim : r < -lim ? -lim : r;
  const h2 = half * half;
  const clean = ring[slot] + cy[2] + rc;
  cy[2] += a * rc;
  cy[3] += a * (rc * rc - cy[3]);
  cy[4] += a * ((cy[4] > 0 && k > 2 * p && h2 > 9 * cy[4] ? 9 * cy[4] : h2) - cy[4]);
  ring[slot] = clean;
  cy[1] = k + 1;
}
