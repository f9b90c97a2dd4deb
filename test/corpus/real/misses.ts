/**
 * Where the points go on the real-background corpus (development diagnostics):
 *   node test/corpus/ts-run.js test/corpus/real/misses.ts [--params '{...}'] [--sources a,b] [--false] [--no-floors]
 * At the best single threshold over all files: each missed window (source, file, kind of the
 * labelled anomaly, best score inside and the cause named there), the misses counted by kind, and
 * with --false the false detections per source and cause.
 */
import { sweep, STANDARD_PROFILE } from '../../../backtest/nab';
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
