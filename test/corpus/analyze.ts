/**
 * Where the points go, for developing the default profile (tuning seeds only):
 *   node test/corpus/ts-run.js test/corpus/analyze.ts --seeds 1,2 [--params '{...}'] [--missed] [--false]
 * Per seed at its best threshold: the missed windows (kind, file, best score inside, how far from
 * the threshold) and the false detections per file and cause.
 */
import { generateCorpus, type CorpusSeries } from './generate';
import { univariate, univariateSchema } from '../../detectors/univariate';
import { rowWeights, sweep, STANDARD_PROFILE } from '../../backtest/nab';
import { parseSeeds } from './evaluate';

interface Run {
  s: CorpusSeries;
  scores: Float64Array;
  cause: string[];
}

function run(series: CorpusSeries, params: Record<string, unknown>): Run {
  const d = univariate.create(univariateSchema.parse({ type: 'univariate', ...params }), { stream: 'corpus', name: 'univariate' });
  const n = series.ts.length;
  const scores = new Float64Array(n);
  const cause: string[] = new Array(n).fill('');
  const st = d.init({ stream: 'c', key: 'k', ts: series.ts[0], values: { value: series.values[0] }, attrs: {} });
  for (let i = 0; i < n; i++) {
    const o = d.observe(st, { stream: 'c', key: 'k', ts: series.ts[i], values: { value: series.values[i] }, attrs: {} });
    if (o) {
      scores[i] = o.score;
      cause[i] = String(o.evidence.detail?.cause ?? '');
    }
  }
  return { s: series, scores, cause };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const get = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const seeds = parseSeeds(get('--seeds', '1,2'));
  const params = JSON.parse(get('--params', '{}')) as Record<string, unknown>;
  const showMissed = args.includes('--missed');
  const showFalse = args.includes('--false');
  const missKinds: Record<string, number> = {};
  const falseCat: Record<string, number> = {};
  const falseCause: Record<string, number> = {};
  let total = 0;
  for (const seed of seeds) {
    const runs = generateCorpus(seed).map((s) => run(s, params));
    const scored = runs.map((r) => ({
      name: r.s.path,
      ts: r.s.ts,
      scores: r.scores,
      windows: r.s.windows.map(([a, b]) => [r.s.ts[a], r.s.ts[b]] as [number, number]),
    }));
    const best = sweep(scored).best;
    total += best.normalized;
    const T = best.threshold;
    process.stdout.write(
      `seed ${seed}: NAB ${best.normalized.toFixed(1)} at ${T.toFixed(4)} windows ${best.detectedWindows}/${best.detectedWindows + best.missedWindows} false ${best.falseRows}\n`,
    );
    for (const r of runs) {
      const rw = rowWeights(r.s.ts, scored.find((x) => x.name === r.s.path)!.windows, STANDARD_PROFILE);
      r.s.anomalies.forEach((a, w) => {
        const [lo, hi] = r.s.windows[w];
        let mx = 0;
        let at = -1;
        for (let i = lo; i <= hi; i++) {
          if (rw.window[i] >= 0 && r.scores[i] > mx) {
            mx = r.scores[i];
            at = i;
          }
        }
        if (mx < T) {
          missKinds[a.kind] = (missKinds[a.kind] ?? 0) + 1;
          if (showMissed)
            process.stdout.write(
              `  MISS ${a.kind.padEnd(13)} ${r.s.path.padEnd(48)} max ${mx.toFixed(3)} at ${at - a.start} (${r.cause[at] ?? ''}) win ${hi - lo + 1} dur ${a.end - a.start + 1}\n`,
            );
        }
      });
      const fc: Record<string, number> = {};
      let nf = 0;
      let cost = 0;
      for (let i = 0; i < r.s.ts.length; i++) {
        if (rw.window[i] !== -1 || r.scores[i] < T) continue;
        nf++;
        cost += rw.weight[i];
        fc[r.cause[i]] = (fc[r.cause[i]] ?? 0) + 1;
        falseCause[r.cause[i]] = (falseCause[r.cause[i]] ?? 0) + 1;
      }
      const cat = r.s.path.split('/')[1].replace(/_\d+(min|s)?\.csv$|\.csv$/, '');
      falseCat[cat] = (falseCat[cat] ?? 0) + nf;
      if (showFalse && nf > 0)
        process.stdout.write(
          `  FALSE ${String(nf).padStart(3)} cost ${cost.toFixed(2).padStart(6)} ${r.s.path.padEnd(48)} ${JSON.stringify(fc)}\n`,
        );
    }
  }
  process.stdout.write(`mean NAB ${(total / seeds.length).toFixed(2)}\n`);
  process.stdout.write(`missed by kind: ${JSON.stringify(missKinds)}\n`);
  process.stdout.write(`false by series: ${JSON.stringify(Object.entries(falseCat).sort((a, b) => b[1] - a[1]))}\n`);
  process.stdout.write(`false by cause: ${JSON.stringify(falseCause)}\n`);
}
