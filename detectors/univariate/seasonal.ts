/**
 * Sampling interval and seasonality, learned from the data.
 *
 * Interval: the median of the first INTERVAL_SAMPLES gaps between events (robust to a few gaps
 * and jitter); fixed from then on. It decides how many phase bins a day gets and how fast the
 * profiles learn, so the same code serves 5-second and 1-hour series.
 *
 * Profiles (additive, Holt–Winters style, all updates Huber-clipped):
 *   x ≈ level + daily[bin of day] + weekly[hour of week] + noise
 * `daily` has up to MAX_DAY_BINS bins (a 5-minute series gets 144 bins of 10 minutes; an hourly one
 * 24); `weekly` has 168 hourly bins and learns what the daily profile cannot (weekends). Phases are
 * in UTC: a profile learns whatever local rhythm the data has.
 *
 * A profile is used only when it earns its keep: the detector compares the exponentially weighted
 * squared prediction error of level alone, level + daily, and level + daily + weekly, and switches a
 * profile on once it cuts the error clearly (after 1.5 days of data for daily, 2 weeks for weekly),
 * and off again if it stops doing so (hysteresis). Memory: 2·(bins + 168) numbers per key at most.
 */
export const DAY_MS = 86_400_000;
export const WEEK_HOURS = 168;
export const MAX_DAY_BINS = 288;
export const INTERVAL_SAMPLES = 15;

/** Median of a short list (copy-sorted; called once per key). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Bins per day for an interval: none when a day has fewer than 6 samples. */
export function dayBins(intervalMs: number): number {
  const perDay = DAY_MS / intervalMs;
  if (!(perDay >= 6)) return 0;
  return Math.min(MAX_DAY_BINS, Math.round(perDay));
}

/** Bin of the day for a time (epoch ms, UTC). */
export function dayBin(ts: number, bins: number): number {
  const ph = ((ts % DAY_MS) + DAY_MS) % DAY_MS;
  const b = Math.floor((ph / DAY_MS) * bins);
  return b >= bins ? bins - 1 : b;
}

/** Hour of the week, 0 = Thursday 00:00 UTC (the epoch's weekday; any fixed origin works). */
export function weekHour(ts: number): number {
  const h = Math.floor(ts / 3_600_000) % WEEK_HOURS;
  return h < 0 ? h + WEEK_HOURS : h;
}
