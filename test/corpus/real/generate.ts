/**
 * The real-background corpus: real public series (shipped by the npm package `vega-datasets`, a dev
 * dependency, so a fresh `npm ci` rebuilds it) with labelled anomalies injected per a documented
 * taxonomy, plus the quirks of real history. It exists because a profile tuned on our own generator
 * (test/corpus/generate.ts) scored ~20 points lower on a corpus of real series: the backgrounds
 * here have noise, rhythms and tails nobody designed. README.md beside this file lists each
 * background's source and licence, the taxonomy and the quirks.
 *
 * Deterministic: the same seed gives the same corpus byte for byte. Each background is used in
 * VARIANTS files, each with its own anomaly draw and quirks; files are grouped by *source* (the
 * dataset they come from), which is what leave-one-source-out validation holds out.
 *
 * CLI: node test/corpus/ts-run.js test/corpus/real/generate.ts [--seed 1] [--no-known-events] [--no-floors] --out /tmp/real
 */
import { parseArgs } from 'node:util';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../../ingest/simulator/random';
import { formatTimestamp } from '../generate';
import { knownEventTimes } from './known-events';

export type RealAnomalyKind =
  'spike' | 'dip' | 'level_shift' | 'variance' | 'trend_change' | 'seasonality_break' | 'flatline' | 'contextual' | 'missing_burst';

/** An injected anomaly, or a real event of the background documented elsewhere (known-events.ts). */
export type RealLabelKind = RealAnomalyKind | 'known_event';

export interface RealAnomaly {
  kind: RealLabelKind;
  /** Event times (ms) of the onset (the label's centre) and of the last anomalous row. */
  onset: number;
  end: number;
}

export interface RealSeries {
  /** Relative path, "<source>/<name>_v<k>.csv". */
  path: string;
  source: string;
  ts: number[];
  values: number[];
  anomalies: RealAnomaly[];
  /** NAB windows as [start, end] event times (ms), centred on each onset (overlapping ones merged). */
  windows: [number, number][];
  /** Quirks applied (for the README's table and analysis). */
  quirks: string[];
}

/** A background: a real series before injection. */
interface Background {
  source: string;
  name: string;
  ts: number[];
  values: number[];
  /** Samples per seasonal period (a day for hourly or 10-minute data, a week for daily, a year for monthly); 0 none. */
  period: number;
  counts: boolean;
  decimals: number;
  /**
   * The lowest value the quantity can physically take (0 for amounts, speeds, counts, prices,
   * concentrations); undefined where negative values are real (temperatures, delays). Injected
   * anomalies saturate at it: a dip on rain stops at 0 mm, as a gauge would read.
   */
  floor?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const VARIANTS = 4;

function datasetDir(): string {
  // The package exports only its JS entry (build/index.js); its data/ folder sits beside build/.
  return path.join(path.dirname(require.resolve('vega-datasets')), '..', 'data');
}

function csvRows(file: string): string[][] {
  const text = readFileSync(path.join(datasetDir(), file), 'utf8').trim().split('\n');
  return text.slice(1).map((l) => l.split(','));
}

function utc(text: string): number {
  // Dataset times carry no zone; read as UTC so the corpus does not depend on the machine's zone.
  const t = Date.parse(text.replace(/\//g, '-').replace(' ', 'T') + (text.length <= 10 ? 'T00:00:00Z' : 'Z'));
  if (!Number.isFinite(t)) throw new Error(`bad time ${text}`);
  return t;
}

/** Events bucketed into counts per `step` ms from the first bucket to the last (empty buckets are 0). */
function bucketCounts(times: number[], step: number): { ts: number[]; values: number[] } {
  const lo = Math.floor(Math.min(...times) / step) * step;
  const hi = Math.floor(Math.max(...times) / step) * step;
  const n = (hi - lo) / step + 1;
  const values = new Array<number>(n).fill(0);
  for (const t of times) values[Math.floor((t - lo) / step)]++;
  return { ts: values.map((_, i) => lo + i * step), values };
}

/** Every background, in a fixed order. */
export function backgrounds(): Background[] {
  const out: Background[] = [];
  // NOAA hourly climate normals, Seattle: smooth daily and yearly rhythms.
  const hn = csvRows('seattle-weather-hourly-normals.csv');
  const hts = hn.map((r) => utc(r[0]));
  out.push({
    source: 'noaa-hourly',
    name: 'pressure',
    ts: hts,
    values: hn.map((r) => Number(r[1])),
    floor: 0,
    period: 24,
    counts: false,
    decimals: 1,
  });
  out.push({
    source: 'noaa-hourly',
    name: 'temperature',
    ts: hts,
    values: hn.map((r) => Number(r[2])),
    period: 24,
    counts: false,
    decimals: 1,
  });
  out.push({
    source: 'noaa-hourly',
    name: 'wind',
    ts: hts,
    values: hn.map((r) => Number(r[3])),
    period: 24,
    counts: false,
    decimals: 1,
    floor: 0,
  });
  // S&P 500 daily, trading days only (weekends and holidays are gaps): a random walk and a bursty volume.
  const sp = csvRows('sp500-2000.csv');
  const sts = sp.map((r) => utc(r[0]));
  out.push({
    source: 'sp500',
    name: 'close',
    ts: sts,
    values: sp.map((r) => Number(r[4])),
    period: 0,
    counts: false,
    decimals: 2,
    floor: 0,
  });
  out.push({
    source: 'sp500',
    name: 'volume_m',
    ts: sts,
    values: sp.map((r) => Math.round(Number(r[6]) / 1e6)),
    period: 0,
    counts: true,
    decimals: 0,
  });
  // NOAA daily weather, Seattle and New York: a yearly rhythm longer than the files' memory and no weekly one (period 0), zero-heavy precipitation.
  const w = csvRows('weather.csv');
  for (const loc of ['Seattle', 'New York']) {
    const rows = w.filter((r) => r[0] === loc);
    const ts = rows.map((r) => utc(r[1]));
    const tag = loc === 'Seattle' ? 'sea' : 'nyc';
    out.push({
      source: 'noaa-daily',
      name: `${tag}_temp_max`,
      ts,
      values: rows.map((r) => Number(r[3])),
      period: 0,
      counts: false,
      decimals: 1,
    });
    out.push({
      source: 'noaa-daily',
      name: `${tag}_precipitation`,
      ts,
      values: rows.map((r) => Number(r[2])),
      period: 0,
      counts: false,
      decimals: 1,
      floor: 0,
    });
    out.push({
      source: 'noaa-daily',
      name: `${tag}_wind`,
      ts,
      values: rows.map((r) => Number(r[5])),
      period: 0,
      counts: false,
      decimals: 1,
      floor: 0,
    });
  }
  // GitHub activity per hour: irregular (hours without events are missing), small counts.
  const gh = csvRows('github.csv');
  out.push({
    source: 'github',
    name: 'commits',
    ts: gh.map((r) => utc(r[0])),
    values: gh.map((r) => Number(r[1])),
    period: 24,
    counts: true,
    decimals: 0,
    // An hour without commits has no row: a row reads at least 1 (less activity empties hours, it
    // does not write zeros; 0 rows were what round 3's bound feature found on this file).
    floor: 1,
  });
  // US domestic flights, Jan–Mar 2001: departures per hour (daily rhythm, quiet nights) and mean delay.
  const fl = JSON.parse(readFileSync(path.join(datasetDir(), 'flights-20k.json'), 'utf8')) as { date: string; delay: number }[];
  const ft = fl.map((f) => utc(f.date));
  const dep = bucketCounts(ft, HOUR);
  out.push({ source: 'flights', name: 'departures', ...dep, period: 24, counts: true, decimals: 0 });
  const delaySum = new Array<number>(dep.ts.length).fill(0);
  fl.forEach((f, i) => (delaySum[Math.floor((ft[i] - dep.ts[0]) / HOUR)] += f.delay));
  const dly = dep.ts.map((t, i) => [t, dep.values[i] ? delaySum[i] / dep.values[i] : NaN] as const).filter(([, v]) => Number.isFinite(v));
  out.push({
    source: 'flights',
    name: 'mean_delay',
    ts: dly.map(([t]) => t),
    values: dly.map(([, v]) => Math.round(v * 10) / 10),
    period: 24,
    counts: false,
    decimals: 1,
  });
  // FAA wildlife strikes per day, 1990–2002: sparse counts with a yearly rhythm.
  const bs = csvRows('birdstrikes.csv').map((r) => utc(r[3]));
  out.push({ source: 'birdstrikes', name: 'strikes_per_day', ...bucketCounts(bs, DAY), period: 7, counts: true, decimals: 0 });
  // Mauna Loa CO2, monthly since 1958: trend plus a yearly cycle, months of unequal length.
  const co = csvRows('co2-concentration.csv');
  out.push({
    source: 'co2',
    name: 'mauna_loa',
    ts: co.map((r) => utc(r[0])),
    values: co.map((r) => Number(r[1])),
    period: 12,
    counts: false,
    decimals: 2,
    floor: 0,
  });
  // USGS earthquakes, one week: events per 10 minutes (Poisson-like, heavy-tailed aftershock bursts).
  const eq = (
    JSON.parse(readFileSync(path.join(datasetDir(), 'earthquakes.json'), 'utf8')) as { features: { properties: { time: number } }[] }
  ).features.map((f) => f.properties.time);
  out.push({ source: 'usgs-quakes', name: 'events_10min', ...bucketCounts(eq, 600_000), period: 144, counts: true, decimals: 0 });
  return out;
}

function robustSd(xs: number[]): number {
  const a = xs
    .filter(Number.isFinite)
    .map(Math.abs)
    .sort((p, q) => p - q);
  if (a.length === 0) return 0;
  return 1.4826 * a[Math.floor(a.length / 2)];
}

/**
 * The series' normal wobble, the unit anomalies are sized in: the robust spread of the change over
 * one seasonal period (noise plus period-to-period wander), or over one step without a period,
 * divided by √2 — as the generator sizes against noise plus daily wander. Floored by a share of
 * the series' own spread so a step-smooth series (climate normals) does not get invisible anomalies.
 */
function wobble(b: Background): number {
  const lag = b.period || 1;
  const d: number[] = [];
  for (let i = lag; i < b.values.length; i++) d.push(b.values[i] - b.values[i - lag]);
  const med = [...b.values].sort((p, q) => p - q)[Math.floor(b.values.length / 2)];
  const spread = robustSd(b.values.map((v) => v - med));
  return Math.max(robustSd(d) / Math.SQRT2, 0.05 * spread, b.counts ? 1 : 1e-6);
}

const KINDS: RealAnomalyKind[] = [
  'spike',
  'dip',
  'level_shift',
  'variance',
  'trend_change',
  'seasonality_break',
  'flatline',
  'contextual',
  'missing_burst',
];

function pickKind(rng: Rng, b: Background): RealAnomalyKind {
  for (;;) {
    const k = KINDS[rng.int(KINDS.length)];
    if ((k === 'seasonality_break' || k === 'contextual') && b.period < 6) continue;
    if (k === 'missing_burst' && !b.counts) continue;
    return k;
  }
}

/** Injects one anomaly at row `s` into the series x (in place; rows to drop go into `drop`); returns the last anomalous row. */
function inject(
  kind: RealAnomalyKind,
  series: { x: number[]; drop: Set<number> },
  s: number,
  b: Background,
  unit: number,
  rng: Rng,
): number {
  const { x, drop } = series;
  const n = x.length;
  const sign = rng.chance(0.5) ? 1 : -1;
  const P = Math.max(b.period, 1);
  switch (kind) {
    case 'spike':
    case 'dip': {
      const len = rng.intRange(1, 3);
      const k = rng.range(4, 12) * unit * (kind === 'spike' ? 1 : -1);
      for (let i = s; i < s + len; i++) x[i] += k;
      return s + len - 1;
    }
    case 'level_shift': {
      const k = rng.range(3, 8) * unit * sign;
      for (let i = s; i < n; i++) x[i] += k;
      return Math.min(n - 1, s + 10);
    }
    case 'variance': {
      const len = rng.intRange(Math.max(10, P), Math.max(20, 3 * P));
      const m = rng.range(3, 6);
      for (let i = s; i < Math.min(n, s + len); i++) x[i] += (m - 1) * unit * rng.normal();
      return Math.min(n - 1, s + len - 1);
    }
    case 'trend_change': {
      const len = rng.intRange(Math.max(10, P), Math.max(30, 4 * P));
      const k = rng.range(6, 12) * unit * sign;
      for (let i = s; i < n; i++) x[i] += k * Math.min(1, (i - s + 1) / len);
      return Math.min(n - 1, s + len - 1);
    }
    case 'seasonality_break': {
      // The rhythm flattens for one or two periods (a holiday, an outage of the schedule).
      const len = P * rng.intRange(1, 2);
      let mean = 0;
      for (let i = s - P; i < s; i++) mean += x[i] / P;
      const damp = rng.range(0.05, 0.3);
      for (let i = s; i < Math.min(n, s + len); i++) x[i] = mean + damp * (x[i] - mean);
      return Math.min(n - 1, s + len - 1);
    }
    case 'contextual': {
      // Values normal for the opposite time of the period, at the wrong time (night traffic at noon).
      const len = Math.max(2, Math.round(P / rng.range(6, 10)));
      const half = Math.round(P / 2);
      for (let i = s; i < Math.min(n, s + len); i++) x[i] = x[i - half] + (x[i - half] === x[i] ? 4 * unit : 0);
      return Math.min(n - 1, s + len - 1);
    }
    case 'flatline': {
      const len = rng.intRange(Math.max(12, P), Math.max(24, 2 * P));
      const v = b.counts && rng.chance(0.5) ? 0 : x[s - 1];
      for (let i = s; i < Math.min(n, s + len); i++) x[i] = v;
      return Math.min(n - 1, s + len - 1);
    }
    case 'missing_burst': {
      // A collector outage: rows missing, then the backlog arrives in one bucket.
      const len = rng.intRange(4, 12);
      let backlog = 0;
      for (let i = s - len; i < s; i++) {
        backlog += x[i];
        drop.add(i);
      }
      x[s] += backlog + 3 * unit;
      return s;
    }
  }
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/**
 * The floor injected values saturate at: the background's physical floor (counts: 0 unless it says otherwise). Without
 * `floors` (the corpus of rounds 1–3) only counts were clamped, and only when written out, so a dip
 * on rain or wind went below 0.
 */
function floorOf(b: Background, floors: boolean): number | undefined {
  if (!floors) return b.counts ? 0 : undefined;
  return b.counts ? (b.floor ?? 0) : b.floor;
}

/** True when rows from…to of x are the same as before an injection. */
function unchanged(before: number[], x: number[], from: number, to: number): boolean {
  for (let i = from; i <= to; i++) if (before[i] !== x[i]) return false;
  return true;
}

/** Saturates x[from…] at the floor (a gauge cannot read below it), so later injections read physical values. */
function clampFrom(x: number[], from: number, floor: number | undefined): void {
  if (floor === undefined) return;
  for (let i = from; i < x.length; i++) if (x[i] < floor) x[i] = floor;
}

/** One file: a background with its anomalies and quirks. */
function build(b: Background, variant: number, rng: Rng, opts: { known: boolean; floors: boolean }): RealSeries {
  const n = b.values.length;
  const x = b.values.slice();
  const floor = floorOf(b, opts.floors);
  const unit = wobble(b);
  const nAnom = rng.intRange(1, n > 1500 ? 3 : 2);
  // NAB: the windows together are 10 % of the rows, centred on each onset, none in probation.
  // `width` places the injected anomalies (the same draws with or without known events);
  // the labels share the 10 % among the injected anomalies and the known events after probation.
  const width = Math.max(4, Math.floor((0.1 * n) / nAnom));
  const probation = Math.min(Math.floor(0.15 * n), 750);
  const lo = Math.max(probation + Math.ceil(width / 2) + 1, 2 * Math.max(b.period, 1) + 1);
  const hi = n - Math.ceil(width / 2) - 2;
  const onsets: number[] = [];
  for (let tries = 0; onsets.length < nAnom && tries < 200; tries++) {
    const s = rng.intRange(lo, hi);
    if (onsets.every((o) => Math.abs(o - s) > width + 24)) onsets.push(s);
  }
  onsets.sort((a, b2) => a - b2);
  const drop = new Set<number>();
  const anomalies: { kind: RealAnomalyKind; start: number; end: number }[] = [];
  // An injection the floor erased entirely (a dip on a dry day, clamped back to 0) left nothing to
  // find: it keeps its place (the same draws follow) but gets no label — a window with no anomaly in
  // it would count as a miss against every detector.
  const erased = new Set<number>();
  for (const s of onsets) {
    const kind = pickKind(rng, b);
    const before = opts.floors ? x.slice() : x;
    // Shifts and drifts change everything after them: keep them after the other anomalies' windows.
    const end = inject(kind, { x, drop }, s, b, unit, rng);
    anomalies.push({ kind, start: s, end });
    if (!opts.floors) continue;
    clampFrom(x, s, floor);
    if (unchanged(before, x, s, end)) erased.add(s);
  }
  const quirks: string[] = [];
  // Saturation: a sensor or quota capped at a ceiling (the 97th percentile), on some files.
  if (variant === 1 && !b.counts) {
    const cap = [...b.values].sort((p, q) => p - q)[Math.floor(0.97 * n)];
    for (let i = 0; i < n; i++) if (x[i] > cap && !anomalies.some((a) => i >= a.start && i <= a.end)) x[i] = cap;
    quirks.push('saturation');
  }
  let ts = b.ts.slice();
  const step = (ts[ts.length - 1] - ts[0]) / (n - 1);
  // Irregular sampling: jitter of up to ±15 % of the interval (never reordering rows).
  if (variant === 2) {
    ts = ts.map((t, i) =>
      i === 0 || i === n - 1 ? t : t + 1000 * Math.round((rng.range(-0.15, 0.15) * Math.min(ts[i] - ts[i - 1], ts[i + 1] - ts[i])) / 1000),
    );
    quirks.push('jitter');
  }
  // Unlabelled gaps (a missing-data burst with nothing after it): 1–3 stretches of 3–30 rows.
  if (variant !== 0) {
    for (let g = rng.intRange(1, 3); g > 0; g--) {
      const s = rng.intRange(lo, hi);
      if (anomalies.some((a) => Math.abs(a.start - s) < width)) continue;
      for (let i = s; i < Math.min(n - 1, s + rng.intRange(3, 30)); i++) drop.add(i);
    }
    quirks.push('gaps');
  }
  const outTs: number[] = [];
  const outV: number[] = [];
  const rowOf = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (drop.has(i)) continue;
    const v = round(floor === undefined ? x[i] : Math.max(floor, x[i]), b.decimals);
    rowOf.set(i, outTs.length);
    outTs.push(ts[i]);
    outV.push(v);
    // Duplicate timestamps (two sensors' rows at the same minute) and exact duplicate rows.
    if (variant === 2 && rng.chance(0.004) && !anomalies.some((a) => i >= a.start - 2 && i <= a.end + 2)) {
      outTs.push(ts[i]);
      // (the draws in this order, as before floors: the same seed gives the same rows)
      const other = rng.chance(0.5) ? v : v + unit * 0.3 * rng.normal();
      outV.push(round(opts.floors && floor !== undefined ? Math.max(floor, other) : other, b.decimals));
    }
  }
  if (variant === 2) quirks.push('duplicates');
  // A clock that jumps back by a few intervals once and carries on (variant 1 of the long series).
  if (variant === 1 && n > 2000) {
    const at = Math.floor(outTs.length * rng.range(0.2, 0.3));
    const back = 1000 * Math.round((step * rng.intRange(3, 8)) / 1000);
    for (let i = at; i < outTs.length; i++) outTs[i] -= back;
    quirks.push('clock_jump');
  }
  const events = opts.known ? knownEventRows(b, lo) : [];
  const labelled = [
    ...anomalies.filter((a) => !erased.has(a.start)),
    ...events.map((i) => ({ kind: 'known_event' as const, start: i, end: i })),
  ].sort((p, q) => p.start - q.start);
  const labelWidth = Math.max(4, Math.floor((0.1 * n) / labelled.length));
  const rowAt = (i: number) => {
    for (let k = i; k < n; k++) if (rowOf.has(k)) return rowOf.get(k)!;
    return outTs.length - 1;
  };
  const outAnoms: RealAnomaly[] = labelled.map((a) => ({ kind: a.kind, onset: outTs[rowAt(a.start)], end: outTs[rowAt(a.end)] }));
  const windows = mergeWindows(
    labelled.map((a) => {
      const half = Math.floor(labelWidth / 2);
      const ra = rowAt(a.start);
      return [outTs[Math.max(0, ra - half)], outTs[Math.min(outTs.length - 1, ra + half)]];
    }),
  );
  return { path: `${b.source}/${b.name}_v${variant}.csv`, source: b.source, ts: outTs, values: outV, anomalies: outAnoms, windows, quirks };
}

/**
 * Rows of the background's known events (the row whose interval holds the documented time) from
 * `firstRow` on, where an injected onset may fall too: a window starting in probation is left out
 * (NAB scores nothing there).
 */
function knownEventRows(b: Background, firstRow: number): number[] {
  return knownEventTimes(b.source, b.name)
    .map((t) => {
      let i = -1;
      while (i + 1 < b.ts.length && b.ts[i + 1] <= t) i++;
      return i;
    })
    .filter((i) => i >= firstRow && i < b.ts.length - 1);
}

/** Windows in time order, overlapping ones merged into one (as NAB's labeller combines them). */
function mergeWindows(ws: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const w of [...ws].sort((p, q) => p[0] - q[0])) {
    const last = out[out.length - 1];
    if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else out.push([w[0], w[1]]);
  }
  return out;
}

/**
 * The whole corpus for a seed (default 1): every background in VARIANTS files. `floors: false`
 * rebuilds the corpus of issue 17's rounds 1–3, where injections could push rain, wind and volume
 * below 0 (the same draws: only the clamping differs).
 */
export function generateRealCorpus(seed = 1, opts: { knownEvents?: boolean; floors?: boolean } = {}): RealSeries[] {
  const out: RealSeries[] = [];
  const o = { known: opts.knownEvents !== false, floors: opts.floors !== false };
  backgrounds().forEach((b, i) => {
    for (let v = 0; v < VARIANTS; v++) out.push(build(b, v, new Rng(seed, 0x5e, i, v), o));
  });
  return out;
}

/** The sources, in order: the groups leave-one-source-out validation holds out. */
export function sourcesOf(series: readonly RealSeries[]): string[] {
  return [...new Set(series.map((s) => s.source))];
}

export function writeRealCorpus(dir: string, series: readonly RealSeries[]): { data: string; labels: string } {
  const data = path.join(dir, 'data');
  const labels: Record<string, [string, string][]> = {};
  const kinds: Record<string, unknown> = {};
  for (const s of series) {
    const file = path.join(data, s.path);
    mkdirSync(path.dirname(file), { recursive: true });
    let csv = 'timestamp,value\n';
    for (let i = 0; i < s.ts.length; i++) csv += `${formatTimestamp(s.ts[i])},${s.values[i]}\n`;
    writeFileSync(file, csv);
    labels[s.path] = s.windows.map(([a, b]) => [formatTimestamp(a) + '.000000', formatTimestamp(b) + '.000000']);
    kinds[s.path] = {
      quirks: s.quirks,
      anomalies: s.anomalies.map((a) => ({ kind: a.kind, onset: formatTimestamp(a.onset), end: formatTimestamp(a.end) })),
    };
  }
  const lf = path.join(dir, 'labels.json');
  writeFileSync(lf, JSON.stringify(labels, null, 1) + '\n');
  writeFileSync(path.join(dir, 'anomalies.json'), JSON.stringify(kinds, null, 1) + '\n');
  return { data, labels: lf };
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      'no-known-events': { type: 'boolean', default: false },
      'no-floors': { type: 'boolean', default: false },
    },
  });
  const seed = Number(values.seed);
  const out = values.out ?? `/tmp/flowwatch-real-${seed}`;
  const series = generateRealCorpus(seed, { knownEvents: !values['no-known-events'], floors: !values['no-floors'] });
  const { data, labels } = writeRealCorpus(out, series);
  const rows = series.reduce((a, s) => a + s.ts.length, 0);
  const windows = series.reduce((a, s) => a + s.windows.length, 0);
  process.stdout.write(
    `real corpus seed ${seed}: ${series.length} series from ${sourcesOf(series).length} sources, ${rows} rows, ${windows} labelled windows → ${data} (labels: ${labels})\n`,
  );
}
