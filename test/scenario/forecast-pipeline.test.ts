/**
 * The forecast detector in the live pipeline: one alert lifecycle from the early warning through
 * the actual breach to the resolution, with the time to breach in the summary and the forecast
 * path in the evidence (what the console and webhooks get).
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { silentLogger } from '../../kernel/logger';
import { Pipeline } from '../../worker/pipeline';
import type { Alert, RawRecord } from '../../kernel/types';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 7, 0);
const config = validateConfig(
  parseConfigText(`
streams:
  people:
    source: { type: file, path: unused.jsonl }
    mapping:
      key: platform
      time: { field: ts, format: epoch_ms }
      measurements: [density]
      attributes: [station]
    detectors:
      - name: crowding-ahead
        type: forecast
        measurement: density
        limit: 4
        horizon: 30m
        min_std: 0.05
        unit: /m²
        summary: "Platform {key} at {attr.station}: density {value}{unit}, {detail.forecast}"
`),
);

it('warns with the time left, says when the limit is crossed, and resolves when the forecast no longer breaches', () => {
  const p = new Pipeline(config, silentLogger());
  const alerts: Alert[] = [];
  // One reading a minute: 1.0 for an hour, a build-up of 0.1/min to 4.5, then dispersal back to 1.
  const density = (m: number) => (m < 60 ? 1 : m < 95 ? 1 + 0.1 * (m - 60) : Math.max(1, 4.5 - 0.1 * (m - 95)));
  let wobble = 1;
  for (let m = 0; m < 240; m++) {
    wobble = (wobble * 16807) % 2147483647;
    const v = Math.round((density(m) + (wobble / 2147483647 - 0.5) * 0.1) * 100) / 100;
    const ts = T0 + m * MIN;
    const rec: RawRecord = { stream: 'people', payload: JSON.stringify({ platform: '2', station: 'Central', density: v, ts }) };
    alerts.push(...p.processBatch([rec], ts, 'p0').alerts, ...p.advance(ts));
    p.takeChanges();
  }
  expect(alerts.map((a) => a.status)).toEqual(['firing', 'resolved']);
  const [fire, resolve] = alerts;
  // Density crosses 4 at minute 90; the warning came well before it.
  const lead = (T0 + 90 * MIN - fire.startsAt) / MIN;
  expect(lead).toBeGreaterThanOrEqual(10);
  expect(fire.summary).toMatch(
    /^Platform 2 at Central: density \d\.\d+\/m², forecast to pass 4 \/m² in ~\d+ min \(80% interval \d+–\d+ min\)$/,
  );
  expect(fire.evidence.forecast).toMatchObject({ limit: 4, side: 'above', horizon_s: 1800, interval: 0.8 });
  expect(fire.evidence.forecast!.path).toHaveLength(4);
  expect(fire.evidence.detail!.phase).toBe('warning');
  // One lifecycle: the breach is in the same alert's evidence while it fires (latest observation).
  expect(resolve.startsAt).toBe(fire.startsAt);
  expect(resolve.summary).toMatch(/^resolved: Platform 2 at Central: density [\d.]+\/m², no breach of 4 \/m² forecast within 30 min$/);
  expect((resolve.endsAt! - T0) / MIN).toBeGreaterThan(100); // after the crowd has thinned below the limit
});

it('the default summary words the outlook too', () => {
  const cfg = validateConfig(
    parseConfigText(`
streams:
  goods:
    source: { type: file, path: unused.jsonl }
    mapping:
      key: id
      time: { field: ts, format: epoch_ms }
      measurements: [temp]
    detectors:
      - { type: forecast, name: warming, measurement: temp, limit: 8, min_std: 0.05 }
`),
  );
  const p = new Pipeline(cfg, silentLogger());
  const alerts: Alert[] = [];
  for (let i = 0; i < 80; i++) {
    const ts = T0 + i * 30_000;
    const temp = i < 40 ? 4 : 4 + 0.1 * (i - 40); // warming 0.2 °C/min from minute 20
    alerts.push(...p.processBatch([{ stream: 'goods', payload: JSON.stringify({ id: 'RFC-1', temp, ts }) }], ts, 'p0').alerts);
  }
  expect(alerts[0].summary).toMatch(/^RFC-1: temp [\d.]+, forecast to pass 8 in ~\d+ min \(80% interval \d+–\d+ min\)$/);
});
