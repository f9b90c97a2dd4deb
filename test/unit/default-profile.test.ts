/** A stream without detectors is watched by the default univariate profile, per measurement. */
import { parseConfigText, validateConfig } from '../../config/load';
import { silentLogger } from '../../kernel/logger';
import { Pipeline } from '../../worker/pipeline';
import type { FlowEvent } from '../../kernel/types';

const cfg = (extra: string) =>
  validateConfig(
    parseConfigText(`
streams:
  plant:
    source: { type: file, path: unused.jsonl }
    mapping: { key: machine, time: t, measurements: [temp, rpm] }
${extra}`),
  );

// A deterministic, gently noisy series (no Math.random: same numbers every run).
const series = (n: number, spikeAt: number): number[] =>
  Array.from({ length: n }, (_, i) => 50 + 2 * Math.sin(i / 7) + ((i * 37) % 11) / 10 + (i === spikeAt ? 40 : 0));

describe('default profile', () => {
  const T0 = Date.UTC(2026, 10, 1);
  const events = (): FlowEvent[] =>
    series(400, 350).map((v, i) => ({ stream: 'plant', key: 'm1', ts: T0 + i * 60_000, values: { temp: v, rpm: 1000 }, attrs: {} }));

  it('watches every measurement of a stream that has no detectors, and fires on a spike', () => {
    const p = new Pipeline(cfg(''), silentLogger());
    const r = p.processEvents(events(), T0 + 400 * 60_000);
    const firing = r.alerts.filter((a) => a.status === 'firing');
    expect(firing.map((a) => a.detector)).toContain('auto-temp');
    const spike = firing.find((a) => a.detector === 'auto-temp')!;
    expect(spike.startsAt).toBe(T0 + 350 * 60_000);
    expect(firing.some((a) => a.detector === 'auto-rpm')).toBe(false); // constant rpm is not an anomaly
  });

  it('is off for curated streams unless asked for', () => {
    const curated = '    detectors: [{ type: threshold, measurement: rpm, above: 5000 }]';
    const off = new Pipeline(cfg(curated), silentLogger()).processEvents(events(), T0 + 400 * 60_000);
    expect(off.alerts.filter((a) => a.detector.startsWith('auto-'))).toHaveLength(0);
    const all = new Pipeline(cfg(curated + '\n    default_profile: all'), silentLogger()).processEvents(events(), T0 + 400 * 60_000);
    expect(all.alerts.filter((a) => a.status === 'firing').map((a) => a.detector)).toContain('auto-temp');
  });
});
