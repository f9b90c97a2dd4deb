import { latencySpec, plotPoints, renderLatencyPlot } from './plot';
import type { KafkaBenchResult, StepReport } from './kafka/scenario';

const lat = (p50: number, p99: number) => ({ count: 100, p50, p99, p999: p99 * 1.5, max: p99 * 2 });
const none = { count: 0, p50: NaN, p99: NaN, p999: NaN, max: NaN };
const step = (phase: StepReport['phase'], offered: number, sustainable: boolean, p50: number, p99: number): StepReport =>
  ({
    phase,
    offered,
    sent: offered,
    achieved: sustainable ? offered : offered / 2,
    sustainable,
    reason: sustainable ? 'ok' : 'backlog grows',
    latencyMs: { state: lat(p50, p99), alert: none },
  }) as unknown as StepReport;

const result = {
  scenario: 'kafka',
  keys: 10_000,
  partitions: 4,
  sink: true,
  alerting: 'full',
  sustainableEventsPerSec: 45_000,
  steps: [
    step('warmup', 7_500, true, 12, 98),
    step('search', 30_000, true, 185, 1161),
    step('search', 68_000, false, 2246, 69_074),
    step('search', 45_000, true, 326, 776),
    step('latency', 23_000, true, 45, 359),
  ],
} as unknown as KafkaBenchResult;

it('plots every measured step and percentile by offered rate, without the warm-up', () => {
  const pts = plotPoints(result);
  expect(pts.map((p) => p.offered)).toEqual([
    23_000, 23_000, 23_000, 23_000, 30_000, 30_000, 30_000, 30_000, 45_000, 45_000, 45_000, 45_000, 68_000, 68_000, 68_000, 68_000,
  ]);
  expect(pts.filter((p) => p.offered === 45_000).map((p) => [p.percentile, p.latencyMs])).toEqual([
    ['p50', 326],
    ['p99', 776],
    ['p99.9', 1164],
    ['max', 1552],
  ]);
  expect(pts.filter((p) => p.verdict === 'not sustainable').map((p) => p.offered)).toEqual([68_000, 68_000, 68_000, 68_000]);
});

it('leaves out what a log scale cannot show (no samples, zero)', () => {
  const res = {
    steps: [step('search', 1000, true, 0, 5), { ...step('search', 2000, true, 1, 2), latencyMs: { state: none, alert: none } }],
  } as unknown as KafkaBenchResult;
  expect(plotPoints(res).map((p) => `${p.offered}:${p.percentile}`)).toEqual(['1000:p99', '1000:p99.9', '1000:max']);
});

it('renders an SVG with the axes and the sustainable rate marked', async () => {
  const svg = await renderLatencyPlot(result);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('offered rate (events/s)');
  expect(svg).toContain('latency (ms, log scale)');
  expect(svg).toContain('sustainable 45,000/s');
  expect((latencySpec({ ...result, sustainableEventsPerSec: 0 }) as { layer: unknown[] }).layer).toHaveLength(2); // nothing kept up: no rule
});
