/**
 * Where the points go on the real-background corpus (development diagnostics):
 *   node test/corpus/ts-run.js test/corpus/real/misses.ts [--params '{...}'] [--sources a,b] [--false] [--by-source] [--no-floors]
 * At the best single threshold over all files: each missed window (source, file, kind of the
 * labelled anomaly, best score inside and the cause named there), the misses counted by kind, and
 * with --false the false detections per source and cause. --by-source: where each source's points
 * go (bySource below).
 */
import { rowWeights, sweep, STANDARD_PROFILE } from '../../../backtest/nab';
import { generateRealCorpus } from './generate';
import { judge, type Judged } from './evaluate';

function missed(j: Judged, kinds: Map<number, string>, threshold: number): string[] {
  const out: string[] = [];
  for (const [a, b] of j.windows) {
    let best = 0;
    let at = -1;
    for (let i = 0; i < j.ts.length; i++) if (j.ts[i] >= a && j.ts[i] <= b && j.scores[i] > best) [best, at] = [j.scores[i], i];
    if (best >= threshold) continue;
    const kind =
      [...kinds]
        .filter(([t]) => t >= a && t <= b)
        .map(([, k]) => k)
        .join('+') || '?';
    out.push(`${j.name.padEnd(36)} ${kind.padEnd(20)} max ${best.toFixed(3)} (${at >= 0 ? j.causes?.[at] : '-'})`);
  }
  return out;
}

function falseDetections(j: Judged, threshold: number, tally: Map<string, number>): void {
  let prev = 0;
  for (let i = 0; i < j.ts.length; i++) {
    const on = j.scores[i] >= threshold;
    const inWindow = j.windows.some(([a, b]) => j.ts[i] >= a && j.ts[i] <= b);
    if (on && prev < threshold && !inWindow) {
      const k = `${j.source}/${j.causes?.[i] ?? ''}`;
      tally.set(k, (tally.get(k) ?? 0) + 1);
    }
    prev = j.scores[i];
  }
}

/** Where a source's points go at a threshold: its NAB terms and its false detections by context. */
export interface SourcePoints {
  windows: number;
  found: number;
  /** Σ rewards of found windows, −(missed windows), Σ costs of false detections (standard profile). */
  tp: number;
  fn: number;
  fp: number;
  falseRows: number;
  /** False detections within 32 rows of a row at the episode level or above (an escalation inside an open episode). */
  inEpisode: number;
  /** False detections right after a gap of more than 1.5 times the file's median gap. */
  afterGap: number;
}

/** Row score of a surprise at the episode level (1.2 decades at the default limit 2.35). */
const EPISODE_SCORE = 1.2 / (2 * 2.35) - 1e-9;

export function bySource(judged: readonly Judged[], threshold: number): Map<string, SourcePoints> {
  const out = new Map<string, SourcePoints>();
  for (const j of judged) {
    const p = out.get(j.source) ?? { windows: 0, found: 0, tp: 0, fn: 0, fp: 0, falseRows: 0, inEpisode: 0, afterGap: 0 };
    const rw = rowWeights(j.ts, j.windows, STANDARD_PROFILE);
    const gaps = Array.from(j.ts)
      .slice(1)
      .map((t, i) => t - j.ts[i]);
    const medianGap = [...gaps].sort((a, b) => a - b)[gaps.length >> 1];
    const best = new Map<number, number>();
    let lastLoud = -Infinity;
    for (let i = 0; i < j.ts.length; i++) {
      const w = rw.window[i];
      const on = j.scores[i] >= threshold;
      if (w >= 0) best.set(w, Math.max(best.get(w) ?? -1, on ? rw.weight[i] : -1));
      else if (w === -1 && on) {
        p.fp += rw.weight[i];
        p.falseRows++;
        if (i - lastLoud <= 32) p.inEpisode++;
        if (i > 0 && j.ts[i] - j.ts[i - 1] > 1.5 * medianGap) p.afterGap++;
      }
      if (j.scores[i] >= EPISODE_SCORE) lastLoud = i;
    }
    for (const v of best.values()) {
      p.windows++;
      if (v > -1) [p.found, p.tp] = [p.found + 1, p.tp + v];
      else p.fn--;
    }
    out.set(j.source, p);
  }
  return out;
}

function printBySource(judged: readonly Judged[], threshold: number): void {
  for (const [src, p] of bySource(judged, threshold)) {
    const score = (100 * (p.tp + p.fn + p.fp + p.windows)) / (2 * p.windows);
    process.stdout.write(
      `${src.padEnd(12)} windows ${p.found}/${p.windows} found, TP ${p.tp.toFixed(2)} FN ${p.fn} FP ${p.fp.toFixed(2)} (${p.falseRows} false: ${p.inEpisode} inside an open episode, ${p.afterGap} after a gap) -> ${score.toFixed(1)}\n`,
    );
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const get = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const params = JSON.parse(get('--params', '{}')) as Record<string, unknown>;
  const only = get('--sources', '');
  const floors = !args.includes('--no-floors');
  const series = generateRealCorpus(1, { floors }).filter((s) => !only || only.split(',').includes(s.source));
  const judged = series.map((s) => judge(s, params));
  const best = sweep(judged, STANDARD_PROFILE).best;
  process.stdout.write(`best threshold ${best.normalized.toFixed(1)} at ${best.threshold.toFixed(3)}\n`);
  if (args.includes('--by-source')) printBySource(judged, best.threshold);
  const byKind = new Map<string, number>();
  judged.forEach((j, i) => {
    const kinds = new Map(series[i].anomalies.map((a) => [a.onset, a.kind] as [number, string]));
    for (const line of missed(j, kinds, best.threshold)) {
      process.stdout.write(line + '\n');
      const k = `${j.source}/${line.split(/\s+/)[1]}`;
      byKind.set(k, (byKind.get(k) ?? 0) + 1);
    }
  });
  process.stdout.write([...byKind].map(([k, n]) => `${k} ${n}`).join('\n') + '\n');
  if (args.includes('--false')) {
    const tally = new Map<string, number>();
    for (const j of judged) falseDetections(j, best.threshold, tally);
    process.stdout.write(
      [...tally]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `false ${k} ${n}`)
        .join('\n') + '\n',
    );
  }
}
