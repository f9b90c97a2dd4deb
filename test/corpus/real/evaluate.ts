/**
 * Leave-one-source-out validation on the real-background corpus, and the same report on the
 * generator corpus: NAB scores with the standard, low-FP and low-FN profiles, at the best single
 * threshold and of the alert policy (the `alert` column), side by side.
 *
 *   node test/corpus/ts-run.js test/corpus/real/evaluate.ts [--corpus real|generator] [--seeds held-out]
 *        [--params '{"threshold":2.5}'] [--candidates '[{...},{...}]'] [--from OUT_DIR[,OUT_DIR2...]] [--select-alerts]
 *        [--sources a,b] [--every N] [--no-known-events] [--no-floors] [--verbose]
 *
 * Leave-one-source-out: for each source (the dataset a background comes from), the candidate
 * parameter set and the threshold are chosen on the *other* sources, then the held-out source is
 * scored with them; the held-out scores of all folds are pooled (their windows partition the
 * corpus). Reported per profile: the threshold chosen on the other sources, the best single
 * threshold over the pooled held-out scores (NAB's convention: an oracle), and the alert policy.
 * --from reads `flowwatch backtest` outputs (timestamp,value,anomaly_score,alert) instead of
 * scoring in process: the published numbers come from the CLI. Several directories (comma-separated)
 * are candidates, as --candidates are: the outputs of different builds or configs, so a design
 * choice among them is validated leave-one-source-out like a parameter. The all-files lines
 * report the first.
 * --every N keeps every Nth file (subsampling while iterating).
 * --no-known-events scores the real corpus without the labels of its backgrounds' own documented
 * events (known-events.ts), as before they were labelled.
 * --no-floors scores the real corpus as issue 17's rounds 1–3 built it, before injected values
 * saturated at each background's physical floor (generate.ts); with --from, the labels are the same
 * either way, so it only matters in process.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { univariate, univariateSchema } from '../../../detectors/univariate';
import { initLifecycle, stepLifecycle } from '../../../alerts/lifecycle';
import {
  alertMetrics,
  scoreAt,
  sweep,
  STANDARD_PROFILE,
  LOW_FP_PROFILE,
  LOW_FN_PROFILE,
  type CostMatrix,
  type ScoredSeries,
} from '../../../backtest/nab';
import { onsetsOf } from '../../../backtest/backtest';
import { QuirkCounts, SeriesClock } from '../../../backtest/quirks';
import { generateRealCorpus } from './generate';
import { generateCorpus } from '../generate';
import { parseSeeds } from '../evaluate';

export interface LabelledSeries {
  path: string;
  /** Leave-one-source-out group. */
  source: string;
  ts: number[];
  values: number[];
  /** Windows as [start, end] event times (ms). */
  windows: [number, number][];
}

export interface Judged extends ScoredSeries {
  source: string;
  alert: Uint8Array;
  /** Per row, the cause the detector named (for diagnostics; '' without a verdict). */
  causes?: string[];
}

export const PROFILES: Record<string, CostMatrix> = { standard: STANDARD_PROFILE, low_fp: LOW_FP_PROFILE, low_fn: LOW_FN_PROFILE };

/** Default lateness of a stream (2m): rows further behind the latest time are dropped, as live. */
const LATENESS = 120_000;

/**
 * Scores one series with the univariate detector in process, admitting rows as the backtest does
 * (the continued clock after a jump back, late rows and exact duplicates dropped carrying the key's
 * latest score and alert state), so the numbers match `flowwatch backtest`'s.
 */
export function judge(s: LabelledSeries, params: Record<string, unknown> = {}): Judged {
  const d = univariate.create(univariateSchema.parse({ type: 'univariate', ...params }), { stream: 'series', name: 'univariate' });
  const n = s.ts.length;
  const scores = new Float64Array(n);
  const alert = new Uint8Array(n);
  const clock = new SeriesClock(s.path, LATENESS, true);
  const counts = new QuirkCounts();
  const seen = new Set<string>();
  let st: unknown = null;
  const l = initLifecycle();
  let score = 0;
  let cause = '';
  const causes: string[] = new Array(n).fill('');
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const at = clock.place(s.ts[i], i + 2);
    const id = `${at}|${s.values[i]}`;
    if (at >= max - LATENESS && !seen.has(id)) {
      seen.add(id);
      if (seen.size > 4096) seen.clear(); // only recent rows can repeat in these files
      clock.admitted(at, counts);
      if (at > max) max = at;
      const e = { stream: 'series', key: s.path, ts: at, values: { value: s.values[i] }, attrs: {} };
      st ??= d.init(e);
      const o = d.observe(st as never, e);
      score = o ? o.score : 0;
      cause = o ? String(o.evidence.detail?.cause ?? '') : '';
      if (o) stepLifecycle(l, o, at, 0);
    }
    scores[i] = score;
    causes[i] = cause;
    alert[i] = l.phase === 2 ? 1 : 0;
  }
  return { name: s.path, source: s.source, ts: s.ts, scores, alert, windows: s.windows, causes };
}

/** Reads a `flowwatch backtest` output file for a series. */
export function fromOutput(s: LabelledSeries, outDir: string): Judged {
  const lines = readFileSync(path.join(outDir, s.path), 'utf8').trim().split('\n').slice(1);
  if (lines.length !== s.ts.length) throw new Error(`${s.path}: ${lines.length} output rows for ${s.ts.length} input rows`);
  const scores = new Float64Array(lines.length);
  const alert = new Uint8Array(lines.length);
  lines.forEach((l, i) => {
    const c = l.split(',');
    scores[i] = Number(c[2]);
    alert[i] = Number(c[3]);
  });
  return { name: s.path, source: s.source, ts: s.ts, scores, alert, windows: s.windows };
}

export function alertScore(js: readonly Judged[], cost: CostMatrix): number {
  return scoreAt(
    js.map((j) => ({ name: j.name, ts: j.ts, scores: onsetsOf(j.alert), windows: j.windows })),
    1,
    cost,
  ).normalized;
}

function normalized(raw: number, windows: number, cost: CostMatrix): number {
  const nul = -cost.fnWeight * windows;
  return (100 * (raw - nul)) / (cost.tpWeight * windows - nul);
}

export interface LosoResult {
  profile: string;
  /** Pooled held-out score at the threshold chosen on the other sources. */
  chosen: number;
  /** Best single threshold over the pooled held-out scores (oracle), and that threshold. */
  best: number;
  bestThreshold: number;
  /** The alert policy over the pooled held-out files. */
  alerts: number;
  /** Per source: the held-out score at the chosen threshold, and the candidate chosen. */
  perSource: Record<string, { chosen: number; best: number; alerts: number; candidate: number; threshold: number }>;
}

/**
 * Leave-one-source-out over candidate scorings (one Judged[] per candidate, same files in order).
 * Per fold the candidate is chosen on the other sources by its best-threshold score (`select`
 * 'best', NAB's convention) or by its alert policy's score ('alerts': what the product does, no
 * threshold to choose); the threshold is always the best one on the other sources.
 */
export function leaveOneSourceOut(
  byCandidate: readonly (readonly Judged[])[],
  cost: CostMatrix,
  profile: string,
  select: 'best' | 'alerts' = 'best',
): LosoResult {
  const sources = [...new Set(byCandidate[0].map((j) => j.source))];
  const pooled: Judged[] = [];
  let raw = 0;
  let windows = 0;
  const perSource: LosoResult['perSource'] = {};
  for (const held of sources) {
    let pick = 0;
    let pickScore = -Infinity;
    let threshold = 0.5;
    byCandidate.forEach((js, c) => {
      const train = js.filter((j) => j.source !== held);
      const r = sweep(train, cost).best;
      const score = select === 'best' ? r.normalized : alertScore(train, cost);
      if (score > pickScore) [pick, pickScore, threshold] = [c, score, r.threshold];
    });
    const test = byCandidate[pick].filter((j) => j.source === held);
    const at = scoreAt(test, threshold, cost);
    const w = sweep(test, cost).windows;
    raw += at.raw;
    windows += w;
    pooled.push(...test);
    perSource[held] = {
      chosen: at.normalized,
      best: sweep(test, cost).best.normalized,
      alerts: alertScore(test, cost),
      candidate: pick,
      threshold,
    };
  }
  const best = sweep(pooled, cost).best;
  return {
    profile,
    chosen: normalized(raw, windows, cost),
    best: best.normalized,
    bestThreshold: best.threshold,
    alerts: alertScore(pooled, cost),
    perSource,
  };
}

export function realSeries(knownEvents = true, floors = true): LabelledSeries[] {
  return generateRealCorpus(1, { knownEvents, floors }).map((s) => ({
    path: s.path,
    source: s.source,
    ts: s.ts,
    values: s.values,
    windows: s.windows,
  }));
}

export function generatorSeries(seeds: number[]): LabelledSeries[] {
  return seeds.flatMap((seed) =>
    generateCorpus(seed).map((s) => ({
      path: `seed${seed}/${s.path}`,
      source: s.category,
      ts: s.ts,
      values: s.values,
      windows: s.windows.map(([a, b]) => [s.ts[a], s.ts[b]] as [number, number]),
    })),
  );
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const get = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const corpus = get('--corpus', 'real');
  const every = Number(get('--every', '1'));
  let series =
    corpus === 'real'
      ? realSeries(!args.includes('--no-known-events'), !args.includes('--no-floors'))
      : generatorSeries(parseSeeds(get('--seeds', 'held-out')));
  const only = get('--sources', '');
  if (only) series = series.filter((s) => only.split(',').includes(s.source));
  if (every > 1) series = series.filter((_, i) => i % every === 0);
  const from = get('--from', '');
  const candidates = JSON.parse(get('--candidates', `[${get('--params', '{}')}]`)) as Record<string, unknown>[];
  const t0 = Date.now();
  const byCandidate = from
    ? from.split(',').map((dir) => series.map((s) => fromOutput(s, dir)))
    : candidates.map((p) => series.map((s) => judge(s, p)));
  const ms = Date.now() - t0;
  const rows = series.reduce((a, s) => a + s.ts.length, 0);
  const all = byCandidate[0];
  const m = alertMetrics(all);
  process.stdout.write(
    `${corpus}: ${series.length} files, ${rows} rows, ${m.windows} windows; scored in ${ms} ms${from ? ` (from ${from})` : ''}\n`,
  );
  for (const [name, cost] of Object.entries(PROFILES)) {
    const b = sweep(all, cost).best;
    const line = `${name.padEnd(8)} all files: best threshold ${b.normalized.toFixed(1)} (>= ${b.threshold.toFixed(3)}, ${b.detectedWindows}/${m.windows} windows, ${b.falseRows} false) | alerts ${alertScore(all, cost).toFixed(1)}`;
    if (corpus === 'real') {
      const r = leaveOneSourceOut(byCandidate, cost, name, args.includes('--select-alerts') ? 'alerts' : 'best');
      process.stdout.write(
        `${line} || LOSO: chosen-threshold ${r.chosen.toFixed(1)}, best threshold ${r.best.toFixed(1)}, alerts ${r.alerts.toFixed(1)}\n`,
      );
      if (name === 'standard' && args.includes('--verbose'))
        for (const [src, v] of Object.entries(r.perSource))
          process.stdout.write(
            `    ${src.padEnd(14)} chosen ${v.chosen.toFixed(1)} (candidate ${v.candidate}, >= ${v.threshold.toFixed(3)}) own-best ${v.best.toFixed(1)} alerts ${v.alerts.toFixed(1)}\n`,
          );
      if (name === 'standard' && byCandidate.length > 1)
        byCandidate.forEach((js, c) =>
          process.stdout.write(
            `    candidate ${c}: all files best threshold ${sweep(js, cost).best.normalized.toFixed(1)}, alerts ${alertScore(js, cost).toFixed(1)}\n`,
          ),
        );
    } else process.stdout.write(line + '\n');
  }
  process.stdout.write(`alerts: precision ${m.precision?.toFixed(3)} recall ${m.recall?.toFixed(3)} (${m.trueAlerts}/${m.alerts})\n`);
}
