/**
 * `flowwatch bench --forecast`: one forecast detector (docs/forecast.md) added to every stream of
 * the config, so every key of the workload carries one — the cost of early warning at scale.
 * Limits are the ones an operator of the example flows would set: people entries/min against a
 * gate's capacity, goods degrees above setpoint, funds a daily budget per account.
 */
import type { FlowwatchConfig } from '../config/schema';
import { detectorSchema } from '../detectors/registry';

const FORECASTS: Record<string, Record<string, unknown>> = {
  people: { name: 'forecast', type: 'forecast', measurement: 'entries', limit: 400, horizon: '30m', min_std: 1 },
  goods: { name: 'forecast', type: 'forecast', measurement: 'temp_excess', limit: 4, horizon: '30m', min_std: 0.05 },
  funds: { name: 'forecast', type: 'forecast', mode: 'total', measurement: 'amount', limit: 5000, period: '1d', horizon: '1h' },
};

/** The config with a forecast detector on every stream that has an entry above (others unchanged). */
export function withForecast(config: FlowwatchConfig): FlowwatchConfig {
  const streams: FlowwatchConfig['streams'] = {};
  for (const [name, s] of Object.entries(config.streams)) {
    const f = FORECASTS[name];
    streams[name] = f ? { ...s, detectors: [...s.detectors, detectorSchema.parse(f)] } : s;
  }
  return { ...config, streams };
}
