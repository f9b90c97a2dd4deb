/**
 * Hard bounds: a value beyond a floor (or ceiling) that the series has sat on many times.
 *
 * Zero-heavy series (daily rain, sparse counts) and saturated ones have a bound they touch again and
 * again and never cross: a negative rainfall or a count below zero is a broken sensor or a bad
 * subtraction, however small it is on the series' heavy-tailed scale (measured on the real-background
 * corpus: dips of rain to −2…−6 mm scored ~0.25, below every threshold, because a rainy day's spread
 * is tens of mm). The surprise of crossing a bound touched k times and never crossed is log10(k + 1)
 * (the rule of succession: a bound that held k times fails the next time with probability ~1/(k + 1)),
 * and only when the bound is a habit (at least BOUND_MIN touches and BOUND_SHARE of the values), so a
 * continuous series' ordinary new minimum (a random walk, a cold day) says nothing.
 *
 * State: [min, touches of min, max, touches of max], four numbers.
 */
export const BOUND_MIN = Number(process.env.FW_X_BMIN ?? 20);
export const BOUND_SHARE = Number(process.env.FW_X_BSHARE ?? 0.05);

export function initBounds(x: number): number[] {
  return [x, 1, x, 1];
}

/** Surprise (decades) of x against the bounds, judged before they learn x; 0 inside them. */
export function boundSurprise(b: readonly number[], x: number, n: number): number {
  if (x < b[0]) return habit(b[1], n);
  if (x > b[2]) return habit(b[3], n);
  return 0;
}

const MODE = process.env.FW_X_BMODE ?? 'k';
function habit(k: number, n: number): number {
  return k >= BOUND_MIN && k >= BOUND_SHARE * n ? Math.log10((MODE === 'n' ? n : k) + 1) : 0;
}

/** Learns x: a crossed bound moves to x and starts counting again. */
export function learnBounds(b: number[], x: number): void {
  if (x < b[0]) [b[0], b[1]] = [x, 1];
  else if (x === b[0]) b[1]++;
  if (x > b[2]) [b[2], b[3]] = [x, 1];
  else if (x === b[2]) b[3]++;
}
