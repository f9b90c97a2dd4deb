/**
 * How much evidence a labelled window carries for one statistic, against the rest of its own file
 * (development diagnostics, issue 17's thirteenth round):
 *   node test/corpus/ts-run.js test/corpus/real/evidence.ts [--stat ramp|yearly|bump|diff|cusum] [--kinds trend_change,level_shift] [--sources a,b]
 * For each labelled anomaly of those kinds: the statistic's largest value between the onset and the
 * end of its window, and how many stretches of the same file outside every window (32 rows apart)
 * reach it. A window whose value many other stretches reach cannot be found by that statistic
 * without as many false detections, however it is calibrated: the count is the look-elsewhere cost.
 * The statistics are offline yardsticks, not detector features:
 *  - ramp: a matched filter of a ramp on a random walk, max over L ∈ {5, 10, 20, 30} of
 *    |x[t] − x[t−L]| / (σΔ·√L), σΔ the trailing EW RMS of the one-step differences (~200 values,
 *    clipped at 3 RMS): the most a test of a change of slope can see;
 *  - yearly: at daily sampling, the EW mean (~16 values) of the year-over-year difference
 *    x[t] − x(t − 365 days) over its own trailing RMS (~730 values, clipped): a level shift on a
 *    series whose yearly cycle sets the spread of every level feature;
 *  - bump, diff: one-value statistics (bumpStatistic);
 *  - cusum: evidence accumulated over several values, Page's two-sided CUSUM of the one-step
 *    residual (cusumStatistic; eighteenth round).
 */
import { generateRealCorpus, type RealSeries } from './generate';

const DAY_MS = 86_400_000;
/** Rows before a statistic is defined (its spread needs a history). */
const START = 60;
/** Stretches of a statistic closer than this many rows are one. */
const STRETCH_GAP = 32;

/** Trailing EW mean square, clipped at 9× itself, 1/k memory at first. */
function learnSq(ms: number, q: number, k: number, rate: number): number {
  return ms === 0 ? q : ms + Math.max(rate, 1 / k) * (Math.min(q, 9 * ms) - ms);
}

/** The ramp matched filter per row (0 where undefined). */
export function rampStatistic(values: readonly number[]): Float64Array {
  const n = values.length;
  const z = new Float64Array(n);
  let ms = 0;
  for (let i = 1; i < n; i++) {
    const sd = Math.sqrt(ms);
    if (i > START && sd > 0) {
      for (const L of [5, 10, 20, 30]) {
        if (i < L) continue;
        const v = Math.abs(values[i] - values[i - L]) / (sd * Math.sqrt(L));
        if (v > z[i]) z[i] = v;
      }
    }
    const d = values[i] - values[i - 1];
    ms = learnSq(ms, d * d, i, 1 / 200);
  }
  return z;
}

/** The smoothed year-over-year difference in units of its own spread (0 where undefined: the first year, gaps). */
export function yearlyStatistic(ts: readonly number[], values: readonly number[], horizon = 16): Float64Array {
  const n = values.length;
  const z = new Float64Array(n);
  const a = 2 / (horizon + 1);
  let m = 0;
  let ms = 0;
  let k = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const target = ts[i] - 365 * DAY_MS;
    while (j < i && ts[j + 1] <= target) j++;
    if (ts[j] > target || ts[i] - ts[j] > 370 * DAY_MS) continue;
    m += a * (values[i] - values[j] - m);
    k++;
    if (k > START && ms > 0) z[i] = Math.abs(m) / Math.sqrt(ms);
    ms = learnSq(ms, m * m, k, 1 / 730);
  }
  return z;
}

/**
 * One-value statistics (issue 17, round sixteen A), in units of their own trailing EW RMS (~200
 * values, clipped): `bump`, the value before the last against the mean of its two neighbours,
 * x[t−1] − (x[t−2] + x[t])/2 (a one-value spike or dip, seen one value late once the series returned);
 * `diff`, the first difference x[t] − x[t−1].
 */
export function bumpStatistic(values: readonly number[], diff = false): Float64Array {
  const n = values.length;
  const z = new Float64Array(n);
  let ms = 0;
  for (let i = 2; i < n; i++) {
    const b = diff ? values[i] - values[i - 1] : values[i - 1] - (values[i - 2] + values[i]) / 2;
    if (i > START && ms > 0) z[i] = Math.abs(b) / Math.sqrt(ms);
    ms = learnSq(ms, b * b, i, 1 / 200);
  }
  return z;
}

/**
 * Evidence accumulated over several values (issue 17, eighteenth round): Page's two-sided CUSUM,
 * max(S⁺, S⁻) with S⁺ = max(0, S⁺ + z − k), S⁻ = max(0, S⁻ − z − k), of z, the one-step residual
 * against the EW mean of the last ~8 values, in units of its trailing EW RMS (~200 values, clipped),
 * prewhitened (less its EW lag-1 autocorrelation's share of the previous z, ~500 values: a random
 * walk's runs of same-signed residuals are its habit) and clipped at ±clip (one spike adds at most
 * clip − k). A level shift of δ RMS adds ~δ − k per value until the mean has followed it.
 */
export function cusumStatistic(values: readonly number[], k = 1, clip = 3): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let m = values[0];
  let ms = 0;
  let up = 0;
  let down = 0;
  let zPrev = 0;
  let cross = 0;
  let sq = 0;
  for (let i = 1; i < n; i++) {
    const r = values[i] - m;
    m += (2 / 9) * r;
    if (i > START && ms > 0) {
      const raw = r / Math.sqrt(ms);
      const zc = Math.max(-clip, Math.min(clip, raw));
      const a = Math.max(1 / (i - START), 1 / 500);
      cross += a * (zc * zPrev - cross);
      sq += a * (zc * zc - sq);
      const rho = sq > 0 ? Math.max(0, Math.min(0.9, cross / sq)) : 0;
      const w = Math.max(-clip, Math.min(clip, (raw - rho * zPrev) / Math.sqrt(1 - rho * rho)));
      zPrev = zc;
      up = Math.max(0, up + w - k);
      down = Math.max(0, down - w - k);
      out[i] = up > down ? up : down;
    }
    ms = learnSq(ms, r * r, i, 1 / 200);
  }
  return out;
}

export interface WindowEvidence {
  kind: string;
  onset: number;
  /** The statistic's largest value from the onset to the end of the anomaly's window. */
  inside: number;
  /** Stretches of the file outside every window that reach `inside`. */
  elsewhere: number;
}

/** Each labelled anomaly of `kinds` in s: the statistic inside its window, and the stretches elsewhere that reach it. */
export function windowEvidence(
  s: Pick<RealSeries, 'ts' | 'anomalies' | 'windows'>,
  z: Float64Array,
  kinds: readonly string[],
): WindowEvidence[] {
  const inWindow = s.ts.map((t) => s.windows.some(([a, b]) => t >= a && t <= b));
  const out: WindowEvidence[] = [];
  for (const an of s.anomalies) {
    const w = s.windows.find(([a, b]) => an.onset >= a && an.onset <= b);
    if (!w || !kinds.includes(an.kind)) continue;
    let inside = 0;
    for (let i = 0; i < s.ts.length; i++) if (s.ts[i] >= an.onset && s.ts[i] <= w[1] && z[i] > inside) inside = z[i];
    let elsewhere = 0;
    let last = -Infinity;
    for (let i = 0; i < s.ts.length; i++) {
      if (inWindow[i] || !(z[i] >= inside) || inside === 0) continue;
      if (i - last > STRETCH_GAP) elsewhere++;
      last = i;
    }
    out.push({ kind: an.kind, onset: an.onset, inside, elsewhere });
  }
  return out;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const get = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const stat = get('--stat', 'ramp');
  if (!['ramp', 'yearly', 'bump', 'diff', 'cusum'].includes(stat))
    throw new Error(`--stat ${stat}: expected ramp, yearly, bump, diff or cusum`);
  const kinds = get('--kinds', 'trend_change,level_shift').split(',');
  const only = get('--sources', '');
  for (const s of generateRealCorpus(1).filter((x) => !only || only.split(',').includes(x.source))) {
    // The yearly statistic only where a year is hundreds of rows and the file spans two of them.
    const gaps = s.ts.slice(1).map((t, i) => t - s.ts[i]);
    const medianGap = [...gaps].sort((p, q) => p - q)[gaps.length >> 1];
    const daily = medianGap >= DAY_MS / 2 && medianGap <= 1.5 * DAY_MS && s.ts[s.ts.length - 1] - s.ts[0] > 2 * 365 * DAY_MS;
    if (stat === 'yearly' && !daily) continue;
    const z =
      stat === 'ramp'
        ? rampStatistic(s.values)
        : stat === 'bump' || stat === 'diff'
          ? bumpStatistic(s.values, stat === 'diff')
          : stat === 'cusum'
            ? cusumStatistic(s.values)
            : yearlyStatistic(s.ts, s.values);
    for (const e of windowEvidence(s, z, kinds)) {
      const day = new Date(e.onset).toISOString().slice(0, 10);
      process.stdout.write(
        `${s.path.padEnd(36)} ${e.kind.padEnd(13)} ${day} inside ${e.inside.toFixed(2)}, reached elsewhere in the file ${e.elsewhere}×\n`,
      );
    }
  }
}
