/**
 * Change-point sums (Page's two-sided CUSUM) of the standardized one-step residual: evidence that
 * accumulates over several values, for a level change whose every value is short of the limit on
 * its own (docs/backtest.md, eighteenth round and its round B).
 *
 * State (5 numbers): [upward sum, downward sum, previous clipped z, EW z·z_prev, EW z²].
 */
/** The sum's allowance per value (in residual spreads) and the clip of one value's share. */
const K = 1;
const CLIP = 3;
/** The lag-1 autocorrelation's memory (values) and its ceiling. */
const AR_RATE = 0.002;
const AR_MAX = 0.9;

export function initSum(): number[] {
  return [0, 0, 0, 0, 0];
}

/**
 * Adds a residual (in units of its spread) to the sums; the larger side, signed. The residual is
 * prewhitened first — less its lag-1 autocorrelation's share of the previous one — since a
 * wandering series' runs of same-signed residuals are its habit, not a change. `restart`: the value
 * came after a gap in the sampling; the sums start again from it (a sum is over consecutive values).
 */
export function addToSum(cu: number[], z: number, n: number, restart: boolean): number {
  if (!(z * z < 1e16)) z = 0;
  const zp = cu[2];
  const zz = z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
  const a = Math.max(1 / (n + 1), AR_RATE);
  cu[3] += a * (zz * zp - cu[3]);
  cu[4] += a * (zz * zz - cu[4]);
  let rho = cu[4] > 0 ? cu[3] / cu[4] : 0;
  rho = rho < 0 ? 0 : rho > AR_MAX ? AR_MAX : rho;
  cu[2] = zz;
  z = (z - rho * zp) / Math.sqrt(1 - rho * rho);
  const zc = z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
  if (restart) cu[0] = cu[1] = 0;
  cu[0] = Math.max(0, cu[0] + zc - K);
  cu[1] = Math.max(0, cu[1] - zc - K);
  return cu[0] >= cu[1] ? cu[0] : -cu[1];
}
