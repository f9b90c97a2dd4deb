import { z } from 'zod';
import { duration } from '../../kernel/duration';
import type { Clock } from '../../kernel/clock';
import type { Logger } from '../../kernel/logger';
import type { SinkFactory } from '../types';
import { InfluxDbSink } from './sink';

export { InfluxDbSink, safeUrl, type InfluxDbSinkOptions } from './sink';
export { toLine } from './line-protocol';

const DEFAULT_URL = 'http://127.0.0.1:8086';

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Config of an InfluxDB sink. The token itself never appears here: `token_env` names the variable that holds it. */
export const influxdbSinkSchema = z
  .object({
    type: z.literal('influxdb'),
    /** Base URL. Default: $INFLUX_URL, else http://127.0.0.1:8086. */
    url: z
      .string()
      .refine(isHttpUrl, { message: 'expected an http(s) URL like "http://127.0.0.1:8086"' })
      .default(() => process.env.INFLUX_URL || DEFAULT_URL),
    /** Name of the environment variable holding the token ('' or unset: no auth; "user:password" on 1.8 with auth on). */
    token_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name like "INFLUX_TOKEN"')
      .default('INFLUX_TOKEN'),
    /** Organization; InfluxDB 1.8 ignores it. */
    org: z.string().default('-'),
    /** 1.8: "database/retention-policy"; 2.x: the bucket name. */
    bucket: z.string().min(1, 'expected a bucket like "flowwatch/autogen"').default('flowwatch/autogen'),
    /** Longest time a point waits in a batch before it is sent. */
    flush_interval: duration({ min: 1 }).default(1000),
    /**
     * At most one point per series (stream, key, detector) per this much event time: the first
     * verdict in each interval. Alert changes are always written. 0 = every batch's latest verdict.
     */
    resolution: duration({ min: 0 }).default(1000),
    /** Most points per write request. */
    batch_size: z.int().positive().default(5000),
    /** Most points held while InfluxDB is slow or down; more are dropped (counted and logged). */
    max_buffer_points: z.int().positive().default(100_000),
    /**
     * Quick retries while InfluxDB cannot be written (unreachable, timeout, 5xx, 429): delays
     * growing from 1 s, each logged. After them the sink retries every 30 s, quietly, until the
     * write succeeds: held points are never given up for the number of attempts, only past
     * max_buffer_points (oldest first) or at shutdown.
     */
    max_retries: z.int().min(0).default(5),
    /** HTTP timeout per request. */
    timeout: duration({ min: 1 }).default(10_000),
  })
  .strict();

export type InfluxDbSinkConfig = z.output<typeof influxdbSinkSchema>;

/** Builds the sink from parsed config, reading the token from the environment variable `token_env`. */
export function createInfluxDbSink(config: InfluxDbSinkConfig, log: Logger, clock?: Clock): InfluxDbSink {
  return new InfluxDbSink(
    {
      url: config.url,
      token: process.env[config.token_env] ?? '',
      org: config.org,
      bucket: config.bucket,
      flushInterval: config.flush_interval,
      resolution: config.resolution,
      batchSize: config.batch_size,
      maxBufferPoints: config.max_buffer_points,
      maxRetries: config.max_retries,
      timeout: config.timeout,
      clock,
    },
    log,
  );
}

export const influxdb: SinkFactory<InfluxDbSinkConfig> = {
  type: 'influxdb',
  description: 'Writes time series to InfluxDB (1.8 via its v2 write API, or 2.x): batched, gzipped, retried, bounded.',
  schema: influxdbSinkSchema,
  create: createInfluxDbSink,
};
