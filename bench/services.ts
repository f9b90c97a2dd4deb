import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Servers for the kafka scenario: the environment's (KAFKA_BROKERS, REDIS_URL, INFLUX_URL) when set,
 * else scripts/services up for the ones not running (provisioned on first use), with the same
 * rule as the integration tests: stop afterwards only what this run started.
 */
export interface Services {
  kafkaBrokers: string[];
  redisUrl: string;
  influxUrl?: string;
  /** Where they came from, for the report. */
  origin: 'environment' | 'scripts/services';
  stop(): void;
}

function root(): string {
  // bench/ (tests) or dist/bench/ (compiled): the project root holds scripts/services.
  for (const c of [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')]) {
    if (fs.existsSync(path.join(c, 'scripts', 'services'))) return c;
  }
  throw new Error(`scripts/services not found above ${__dirname}`);
}

export type ServiceName = 'kafka' | 'redis' | 'influxdb';

export function ensureServices(wanted: ServiceName[], log: (m: string) => void): Services {
  const env = process.env;
  const fromEnv: Record<ServiceName, string | undefined> = { kafka: env.KAFKA_BROKERS, redis: env.REDIS_URL, influxdb: env.INFLUX_URL };
  if (wanted.every((w) => fromEnv[w])) {
    return {
      kafkaBrokers: (env.KAFKA_BROKERS ?? '').split(','),
      redisUrl: env.REDIS_URL ?? '',
      influxUrl: env.INFLUX_URL,
      origin: 'environment',
      stop() {},
    };
  }
  const script = path.join(root(), 'scripts', 'services');
  let status = '';
  try {
    status = execFileSync(script, ['status'], { encoding: 'utf8' });
  } catch (err) {
    status = String((err as { stdout?: string }).stdout ?? ''); // exit 3: not all running
  }
  const started = wanted.filter((name) => !new RegExp(`^${name}\\s+running`, 'm').test(status));
  if (started.length > 0) {
    log(`starting ${started.join(', ')} with scripts/services up (the first time provisions them, about 70 s)`);
    execFileSync(script, ['up', ...started], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 20 * 60_000 });
  }
  const out = execFileSync(script, ['env'], { encoding: 'utf8' });
  const vars: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  for (const [k, v] of Object.entries(vars)) if (env[k] === undefined) env[k] = v;
  return {
    kafkaBrokers: (vars.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
    redisUrl: vars.REDIS_URL ?? 'redis://127.0.0.1:16379',
    influxUrl: vars.INFLUX_URL,
    origin: 'scripts/services',
    stop() {
      if (started.length > 0) execFileSync(script, ['down', ...started], { stdio: ['ignore', 'ignore', 'inherit'] });
    },
  };
}
