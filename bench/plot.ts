/**
 * `--plot FILE.svg`: send→state latency against offered rate, one line per percentile, the
 * sustainable rate marked — the picture ops paste into a sizing note. Drawn with Vega-Lite and
 * rendered to SVG by Vega in Node (no browser, no canvas); both are loaded only when a plot is
 * asked for.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { KafkaBenchResult } from './kafka/scenario';

const PERCENTILES = [
  ['p50', 'p50'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
] as const;

export interface PlotPoint {
  offered: number;
  percentile: string;
  latencyMs: number;
  phase: string;
  verdict: string;
}

/** One point per (step, percentile) of every measured step (the warm-up is left out); values a log scale cannot show are dropped. */
export function plotPoints(res: Pick<KafkaBenchResult, 'steps'>): PlotPoint[] {
  const out: PlotPoint[] = [];
  for (const s of res.steps) {
    if (s.phase === 'warmup') continue;
    for (const [field, label] of PERCENTILES) {
      const v = s.latencyMs.state[field];
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) {
        out.push({
          offered: s.offered,
          percentile: label,
          latencyMs: v,
          phase: s.phase,
          verdict: s.sustainable ? 'sustainable' : 'not sustainable',
        });
      }
    }
  }
  return out.sort((a, b) => a.offered - b.offered);
}

/** The Vega-Lite spec: lines per percentile over offered rate (log latency), a rule at the sustainable rate. */
export function latencySpec(
  res: Pick<KafkaBenchResult, 'steps' | 'sustainableEventsPerSec' | 'keys' | 'sink' | 'alerting' | 'partitions'>,
): TopLevelSpec {
  const points = plotPoints(res) as unknown as Array<Record<string, unknown>>;
  const color = { field: 'percentile', type: 'nominal' as const, sort: PERCENTILES.map(([, l]) => l), title: null };
  const subtitle = `${res.keys.toLocaleString('en-US')} keys, ${res.partitions} partitions, sink ${res.sink ? 'influxdb' : 'none'}, alerting ${res.alerting}; filled points kept up`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'send → state committed, by offered rate', subtitle },
    width: 640,
    height: 360,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', point: { filled: false, size: 60 } },
        encoding: {
          x: { field: 'offered', type: 'quantitative', title: 'offered rate (events/s)', axis: { format: '~s' } },
          y: { field: 'latencyMs', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } },
          color,
          tooltip: [{ field: 'offered' }, { field: 'percentile' }, { field: 'latencyMs' }, { field: 'verdict' }],
        },
      },
      // Steps that kept up get filled points over the hollow ones.
      {
        data: { values: points.filter((p) => p.verdict === 'sustainable') },
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x: { field: 'offered', type: 'quantitative' },
          y: { field: 'latencyMs', type: 'quantitative', scale: { type: 'log' } },
          color,
        },
      },
      ...(res.sustainableEventsPerSec > 0
        ? [
            {
              data: {
                values: [
                  { offered: res.sustainableEventsPerSec, label: `sustainable ${res.sustainableEventsPerSec.toLocaleString('en-US')}/s` },
                ],
              },
              layer: [
                {
                  mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#555' },
                  encoding: { x: { field: 'offered', type: 'quantitative' as const } },
                },
                {
                  mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -4, y: 0, color: '#555' },
                  encoding: { x: { field: 'offered', type: 'quantitative' as const }, text: { field: 'label' } },
                },
              ],
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

/** The plot as an SVG document. */
export async function renderLatencyPlot(res: KafkaBenchResult): Promise<string> {
  // Loaded on demand: most runs never draw.
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const spec = vl.compile(latencySpec(res)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
