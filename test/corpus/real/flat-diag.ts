/**
 * The flatline feature row by row on the real-background corpus (development diagnostics; issue 17,
 * round seventeen):
 *   node test/corpus/ts-run.js test/corpus/real/flat-diag.ts [threshold 0.5] [--dump FILE-SUBSTRING:WINDOW]
 * Lists each false detection named `flatline` (an onset ≥ threshold on a row outside every window and
 * probation) and the first detection in each window, with the run length, the longest-run reference
 * (`runMax`), the share of changing values, the value, the reported surprise L and the flatline's raw
 * surprise before the likelihood (recomputed here with univariate.ts's constants: keep them in step).
 * --dump prints every row of one window.
 */
import { univariate, univariateSchema } from '../../../detectors/univariate';
import type { UnivariateState } from '../../../detectors/univariate/univariate';
import { QuirkCounts, SeriesClock } from '../../../backtest/quirks';
import { rowWeights, STANDARD_PROFILE } from '../../../backtest/nab';
import { generateRealCorpus } from './generate';

const args = process.argv.slice(2);
const di = args.indexOf('--dump');
const [dumpFile, dumpWin] = di >= 0 ? args[di + 1].split(':') : ['', '-9'];
const thr = Number(args.find((a, i) => /^[0-9.]+$/.test(a) && i !== di + 1) ?? '0.5');
const out = (line: string) => process.stdout.write(line + '\n');

for (const s of generateRealCorpus(1, { floors: true })) {
  const d = univariate.create(univariateSchema.parse({ type: 'univariate' }), { stream: 'series', name: 'univariate' });
  const clock = new SeriesClock(s.path, 120_000, true);
  const counts = new QuirkCounts();
  const seen = new Set<string>();
  const rw = rowWeights(s.ts, s.windows, STANDARD_PROFILE);
  const kinds = new Map(s.anomalies.map((a) => [a.onset, a.kind] as [number, string]));
  const firstIn = new Set<number>();
  let st: UnivariateState | null = null;
  let [max, prev, score, cause, info] = [-Infinity, 0, 0, '', ''];
  for (let i = 0; i < s.ts.length; i++) {
    const at = clock.place(s.ts[i], i + 2);
    const id = `${at}|${s.values[i]}`;
    if (at >= max - 120_000 && !seen.has(id)) {
      seen.add(id);
      if (seen.size > 4096) seen.clear();
      clock.admitted(at, counts);
      if (at > max) max = at;
      const e = { stream: 'series', key: s.path, ts: at, values: { value: s.values[i] }, attrs: {} };
      st ??= d.init(e) as UnivariateState;
      const o = d.observe(st as never, e);
      score = o ? o.score : 0;
      cause = o ? String(o.evidence.detail?.cause ?? '') : '';
      const c = st.changes / Math.max(1, st.n - 1);
      const raw = st.run > st.runMax ? ((st.run - st.runMax) / (0.5 * st.runMax + 1)) * Math.LOG10E * Math.min(1, c / 0.8) - 0.6 : 0;
      const L = o ? String(o.evidence.detail?.surprise) : '-';
      info = `L ${L} flatRaw ${raw.toFixed(2)} run ${st.run} runMax ${st.runMax.toFixed(2)} chg ${c.toFixed(2)} x ${s.values[i]}`;
    }
    const w = rw.window[i];
    const day = new Date(s.ts[i]).toISOString().slice(0, 10);
    if (dumpFile && s.path.includes(dumpFile) && w === Number(dumpWin)) out(`ROW ${i} ${day} score ${score.toFixed(3)} ${cause} ${info}`);
    if (score >= thr && prev < thr) {
      if (w === -1 && cause === 'flatline') out(`FALSE ${s.path} row ${i} ${day} score ${score.toFixed(3)} ${info}`);
      if (w >= 0 && !firstIn.has(w)) {
        firstIn.add(w);
        const [a, b] = s.windows[w];
        const on = [...kinds].filter(([t]) => t >= a && t <= b).map(([t, k]) => `${k}@${s.ts.indexOf(t)}`);
        out(
          `FOUND ${s.path} w${w} ${on.join('+')} row ${i} weight ${rw.weight[i].toFixed(3)} cause ${cause} score ${score.toFixed(3)} ${info}`,
        );
      }
    }
    prev = score;
  }
}
