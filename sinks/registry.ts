import { z } from 'zod';
import { FlowwatchError } from '../kernel/errors';
import type { Clock } from '../kernel/clock';
import type { Logger } from '../kernel/logger';
import { influxdb, influxdbSinkSchema } from './influxdb';
import type { Sink, SinkFactory } from './types';

export type { Point, Sink, SinkFactory, SinkStats } from './types';
export { MemorySink } from './memory';
export { InfluxDbSink, createInfluxDbSink, influxdbSinkSchema, type InfluxDbSinkConfig } from './influxdb';
export { aggregatePoint, alertPoint } from './points';

/** The sink types a config can use. (MemorySink is for tests and embedding: no config type.) */
export const sinkFactories: readonly SinkFactory[] = [influxdb];

/** Union of every sink's config schema, for the whole-config schema. */
export const sinkConfigSchema = z.discriminatedUnion('type', [influxdbSinkSchema]);
export type SinkConfig = z.output<typeof sinkConfigSchema>;

/** Builds a sink from its parsed config. */
export function createSink(config: SinkConfig, log: Logger, clock?: Clock): Sink {
  const factory = sinkFactories.find((f) => f.type === config.type);
  if (!factory)
    throw new FlowwatchError(
      'FW_SINK',
      `unknown sink type ${JSON.stringify((config as { type?: unknown }).type)} (known: ${sinkFactories.map((f) => f.type).join(', ')})`,
    );
  return factory.create(config, log, clock);
}
