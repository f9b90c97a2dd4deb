import * as path from 'node:path';
import type { FlowwatchConfig } from '../../config/schema';
import type { InfluxDbSinkConfig } from '../../sinks/influxdb';

/**
 * What the console's card reads besides the alert store, from the config: the first InfluxDB
 * sink (the chart reads the key's series back from it; token from its token_env) and the config
 * file itself (the card's backtest command names it).
 */
export function consoleSources(
  config: FlowwatchConfig,
  configFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { influx?: { sink: InfluxDbSinkConfig; token: string }; configFile?: string } {
  const sink = config.sinks.find((s): s is InfluxDbSinkConfig => s.type === 'influxdb');
  return {
    ...(sink ? { influx: { sink, token: env[sink.token_env] ?? '' } } : {}),
    ...(configFile ? { configFile: path.resolve(configFile) } : {}),
  };
}
