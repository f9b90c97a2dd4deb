/**
 * Issue 17, fourteenth round (development diagnostics, throwaway): would fusing several moderately
 * surprising pieces of evidence reach the windows the best single feature misses?
 *   node test/corpus/ts-run.js test/corpus/real/fusion.ts [--sources a,b] [--windows]
 * Runs the default detector in process with its probe on (per value: each feature's surprise, the
 * raw surprise, the judged one, the score), builds candidate fused statistics from the per-feature
 * surprises, and reports for each:
 *  - per missed window (main's score < 0.501 everywhere in it): the statistic's largest value in
 *    the window and how many stretches of the same file outside every window (and probation), 32
 *    rows apart, reach it (evidence.ts' look-elsewhere cost);
 *  - a corpus-wide sweep of a threshold T: missed windows reached against new false stretches (≥ T
 *    outside windows and probation, at no row where main's score is already ≥ 0.501).
 */
import { univariate, univariateSchema } from '../../../detectors/univariate';
import { probe } from '../../../detectors/univariate/univariate';
import { initTail, learnTail, surpriseOneSided, TAIL_STRIDE } from '../../../detectors/univariate/tail';
import { gaussSurprise } from '../../../detectors/univariate/likelihood';
import { probationLength } from '../../../backtest/nab';
import { SeriesClock, QuirkCounts } from '../../../backtest/quirks';
import { generateRealCorpus, type RealSeries } from './generate';

const LIMIT_SCORE = 0.501;
const STRETCH_GAP = 32;
const NF = 11;

interface Trace {
  l: Float64Array[]; // per feature, per row
  raw: Float64Array;
  hab: Float64Array;
  score: Float64Array;
}

function trace(s: RealSeries): Trace {
  const d = univariate.create(univariateSchema.parse({ type: 'univariate' }), { stream: 'series', name: 'univariate' });
  const n = s.ts.length;
  const t: Trace = {
    l: Array.from({ length: NF }, () => new Float64Array(n)),
    raw: new Float64Array(n),
    hab: new Float64Array(n),
    score: new Float64Array(n),
  };
  const clock = new SeriesClock(s.path, 120_000, true);
  const counts = new QuirkCounts();
  const seen = new Set<string>();
  let st: unknown = null;
  let max = -Infinity;
  let score = 0;
  probe.on = true;
  for (let i = 0; i < n; i++) {
    const at = clock.place(s.ts[i], i + 2);
    const id = `${at}|${s.values[i]}`;
    if (at >= max - 120_000 && !seen.has(id)) {
      seen.add(id);
      if (seen.size > 4096) seen.clear();
      clock.admitted(at, counts);
      if (at > max) max = at;
      const e = { stream: 'series', key: s.path, ts: at, values: { value: s.values[i] }, attrs: {} };
      st ??= d.init(e);
      probe.l.fill(0);
      probe.raw = probe.hab = 0;
      const o = d.observe(st as never, e);
      score = o ? o.score : 0;
      for (let k = 0; k < NF; k++) t.l[k][i] = probe.l[k];
      t.raw[i] = probe.raw;
      t.hab[i] = probe.hab;
    }
    t.score[i] = score;
  }
  probe.on = false;
  return t;
}

/** Groups of features that see different evidence (the brief's): residual, shifts, variance, phase dip, cycle, flatline. */
const GROUPS: Record<string, number[]> = { res: [0], shift: [1, 2, 3, 4, 7], var: [6], pdip: [5], cyc: [8], flat: [9] };
/** The same with the residual and the shifts as one group (a level shift starts as a large residual). */
const GROUPS_MERGED: Record<string, number[]> = { resshift: [0, 1, 2, 3, 4, 7, 5], var: [6], cyc: [8], flat: [9] };

function groupMax(t: Trace, groups: Record<string, number[]>): Float64Array[] {
  const n = t.raw.length;
  return Object.values(groups).map((ks) => {
    const g = new Float64Array(n);
    for (let i = 0; i < n; i++) for (const k of ks) if (t.l[k][i] > g[i]) g[i] = t.l[k][i];
    return g;
  });
}

/** Fisher's method for two p-values given in decades: −log10(p1·p2·(1 − ln(p1·p2))). */
function fisher2(a: number, b: number): number {
  const s = a + b;
  return s - Math.log10(1 + s * Math.LN10);
}

/** Upper-tail Gaussian quantile of a surprise in decades (inverse of gaussSurprise, by bisection; 0 for ≤ log10 2). */
function zOf(L: number): number {
  if (!(L > Math.LOG10E * Math.LN2)) return 0;
  let lo = 0;
  let hi = 40;
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (gaussSurprise(mid) < L) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Top two of the per-row group values, combined by `comb`; `lag` > 1 takes each group's max over the last lag rows first. */
function topTwo(gs: Float64Array[], comb: (a: number, b: number) => number, lag = 1): Float64Array {
  const n = gs[0].length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let a = 0;
    let b = 0;
    for (const g of gs) {
      let v = 0;
      for (let j = Math.max(0, i - lag + 1); j <= i; j++) if (g[j] > v) v = g[j];
      if (v > a) [a, b] = [v, a];
      else if (v > b) b = v;
    }
    out[i] = comb(a, b);
  }
  return out;
}

/** Σ over the last k rows of max(0, x − 1). */
function accumulate(x: Float64Array, k: number, above = 1): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += Math.max(0, x[i] - above);
    if (i >= k) sum -= Math.max(0, x[i - k] - above);
    out[i] = sum > 1e-12 ? sum : 0;
  }
  return out;
}

/** The statistic calibrated causally against its own past by tail.ts (one-sided, judged before learning). */
function calibrate(x: Float64Array, span: number): Float64Array {
  const t: number[] = new Array(TAIL_STRIDE);
  initTail(t, 0);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    out[i] = x[i] > 0 ? surpriseOneSided(t, 0, x[i]) : 0;
    learnTail(t, 0, x[i], { slow: 0.0005, excess: 0.01, span });
  }
  return out;
}

function maxOf(...xs: Float64Array[]): Float64Array {
  const out = new Float64Array(xs[0].length);
  for (const x of xs) for (let i = 0; i < x.length; i++) if (x[i] > out[i]) out[i] = x[i];
  return out;
}

interface FileCtx {
  s: RealSeries;
  t: Trace;
  /** −1 outside windows, −2 probation, else window index. */
  win: Int32Array;
  missed: boolean[];
  stats: Map<string, Float64Array>;
}

function context(s: RealSeries, t: Trace): FileCtx {
  const n = s.ts.length;
  const win = new Int32Array(n).fill(-1);
  const prob = probationLength(n);
  for (let i = 0; i < n; i++) {
    if (i < prob) win[i] = -2;
    const w = s.windows.findIndex(([a, b]) => s.ts[i] >= a && s.ts[i] <= b);
    if (w >= 0) win[i] = w;
  }
  const missed = s.windows.map((_, w) => {
    let best = 0;
    for (let i = 0; i < n; i++) if (win[i] === w && t.score[i] > best) best = t.score[i];
    return best < LIMIT_SCORE;
  });
  return { s, t, win, missed, stats: new Map() };
}

function candidates(t: Trace): Map<string, Float64Array> {
  const m = new Map<string, Float64Array>();
  const gs = groupMax(t, GROUPS);
  const gm = groupMax(t, GROUPS_MERGED);
  const best = maxOf(...gs);
  m.set('main raw', t.raw);
  m.set('main judged', t.hab);
  m.set('best feature', best);
  m.set('fisher top2 (6 groups)', topTwo(gs, fisher2));
  m.set('fisher top2 (merged)', topTwo(gm, fisher2));
  m.set('stouffer top2 (6 groups)', topTwo(gs, (a, b) => gaussSurprise((zOf(a) + zOf(b)) / Math.SQRT2)));
  m.set('2nd group only (6)', topTwo(gs, (_a, b) => b));
  m.set('fisher top2, lag 8 (6)', topTwo(gs, fisher2, 8));
  m.set('fisher top2, lag 8 (merged)', topTwo(gm, fisher2, 8));
  for (const k of [3, 5, 8]) {
    const acc = accumulate(best, k);
    m.set(`acc best k=${k}`, acc);
    m.set(`acc best k=${k} cal`, calibrate(acc, k));
    const perGroup = gs.map((g) => calibrate(accumulate(g, k), k));
    m.set(`acc per group k=${k} cal, max`, maxOf(...perGroup));
  }
  return m;
}

/** For each missed window: the statistic inside and the stretches of the file outside windows that reach it. */
function perWindow(c: FileCtx, x: Float64Array): { inside: number; elsewhere: number }[] {
  const out: { inside: number; elsewhere: number }[] = [];
  c.s.windows.forEach((_, w) => {
    if (!c.missed[w]) return;
    let inside = 0;
    for (let i = 0; i < x.length; i++) if (c.win[i] === w && x[i] > inside) inside = x[i];
    let elsewhere = 0;
    let last = -Infinity;
    for (let i = 0; i < x.length; i++) {
      if (c.win[i] !== -1 || !(x[i] >= inside) || inside === 0) continue;
      if (i - last > STRETCH_GAP) elsewhere++;
      last = i;
    }
    out.push({ inside, elsewhere });
  });
  return out;
}

/** Corpus-wide: missed windows reached at ≥ T, and new false stretches (outside windows, main's score below its threshold there). */
function sweep(cs: FileCtx[], name: string, T: number): { windows: number; falses: number; bySource: Map<string, number> } {
  let windows = 0;
  let falses = 0;
  const bySource = new Map<string, number>();
  for (const c of cs) {
    const x = c.stats.get(name) as Float64Array;
    const hit = new Set<number>();
    let last = -Infinity;
    for (let i = 0; i < x.length; i++) {
      if (!(x[i] >= T)) continue;
      const w = c.win[i];
      if (w >= 0 && c.missed[w]) hit.add(w);
      if (w === -1 && c.t.score[i] < LIMIT_SCORE) {
        if (i - last > STRETCH_GAP) {
          falses++;
          bySource.set(c.s.source, (bySource.get(c.s.source) ?? 0) + 1);
        }
        last = i;
      }
    }
    windows += hit.size;
  }
  return { windows, falses, bySource };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const get = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const only = get('--sources', '');
  const cs: FileCtx[] = [];
  for (const s of generateRealCorpus(1).filter((x) => !only || only.split(',').includes(x.source))) {
    const t = trace(s);
    const c = context(s, t);
    c.stats = candidates(t);
    cs.push(c);
  }
  const names = [...cs[0].stats.keys()];
  const missedTotal = cs.reduce((a, c) => a + c.missed.filter(Boolean).length, 0);
  process.stdout.write(`missed windows (main's in-process score < ${LIMIT_SCORE} in the window): ${missedTotal}\n\n`);
  for (const name of names) {
    const rows = cs.flatMap((c) => perWindow(c, c.stats.get(name) as Float64Array).map((r) => ({ ...r, c })));
    const cheap = rows.filter((r) => r.inside > 0 && r.elsewhere < 17).length;
    const free = rows.filter((r) => r.inside > 0 && r.elsewhere <= 2).length;
    process.stdout.write(`${name.padEnd(34)} missed windows reached by < 17 stretches elsewhere in their file: ${cheap}, by ≤ 2: ${free}\n`);
    if (args.includes('--windows')) {
      const wi = new Map<FileCtx, number>();
      for (const r of rows) {
        const k = wi.get(r.c) ?? 0;
        wi.set(r.c, k + 1);
        process.stdout.write(`   ${r.c.s.path.padEnd(36)} #${k} inside ${r.inside.toFixed(2)} elsewhere ${r.elsewhere}\n`);
      }
    }
    // Sweep: the thresholds at which each statistic's own values sit.
    const line: string[] = [];
    for (const T of [1.5, 2, 2.35, 2.5, 3, 3.5, 4, 5, 6]) {
      const r = sweep(cs, name, T);
      line.push(`${T}: ${r.windows}w/${r.falses}f`);
    }
    process.stdout.write(`   sweep (T: missed windows reached / new false stretches) ${line.join('  ')}\n`);
  }
}
