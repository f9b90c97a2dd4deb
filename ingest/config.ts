import { z } from 'zod';
import { duration } from '../kernel/duration';

// The ingest stage's part of the config: where records come from (sources, Kafka, the simulator)
// and how they become events (the mapping). config/schema.ts composes it with the other stages'.

/** Field path in a record: "amount" or "device.id" (dots reach into nested objects). */
const fieldPath = z.string().min(1, 'expected a field name');

const timeFormat = z.enum(['auto', 'epoch_s', 'epoch_ms', 'iso']);

const measurementSpec = z.union([fieldPath, z.object({ field: fieldPath, optional: z.boolean().default(false) }).strict()]);

/** How raw records of a stream become events. */
export const mappingSchema = z
  .object({
    /** json (default) or csv. */
    format: z.enum(['json', 'csv']).default('json'),
    /** CSV only: column names in order (when the data has no header line) and delimiter. */
    csv: z
      .object({ columns: z.array(z.string().min(1)).min(1), delimiter: z.string().length(1).default(',') })
      .strict()
      .optional(),
    /** Entity key field, or several fields joined with ":". */
    key: z.union([fieldPath, z.array(fieldPath).min(1)]),
    /** Event-time field and its format; "auto" tells epoch s from epoch ms by magnitude and parses ISO 8601 strings. */
    time: z.union([fieldPath, z.object({ field: fieldPath, format: timeFormat.default('auto') }).strict()]),
    /** Numeric measurements: a list of field names, or { name: field | { field, optional } }. Booleans count as 1/0. */
    measurements: z.union([z.array(fieldPath).min(1), z.record(z.string(), measurementSpec)]),
    /** String attributes kept with the event (station, counterparty). Missing ones are left out. */
    attributes: z.union([z.array(fieldPath), z.record(z.string(), fieldPath)]).default([]),
    /** Record id for duplicate detection (payment id). Without it, key + time + values identify a record. */
    id: fieldPath.optional(),
    /** Derived measurements: restricted math expressions over the measurements, e.g. { excess: "temp_c - setpoint_c" }. */
    derive: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an identifier'), z.string().min(1)).default({}),
    /**
     * JSON only: whether a measurement may arrive as a numeric string ("12.5", as decimal
     * serialisers write money). numeric-strings (default) reads it as the number; none rejects it
     * as bad_value. CSV values are text by nature and always read as numbers.
     */
    coerce: z.enum(['numeric-strings', 'none']).default('numeric-strings'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.format === 'csv' && !m.csv)
      ctx.addIssue({ code: 'custom', path: ['csv'], message: 'format csv needs csv.columns (the column names in order)' });
  });

const simulatorSourceSchema = z.object({ type: z.literal('simulator') }).strict();
const fileSourceSchema = z.object({ type: z.literal('file'), path: z.string().min(1) }).strict();

const kafkaSourceSchema = z.object({ type: z.literal('kafka'), topics: z.array(z.string().min(1)).min(1) }).strict();

export const sourceSchema = z.discriminatedUnion('type', [simulatorSourceSchema, fileSourceSchema, kafkaSourceSchema]);

/** Kafka connection and consumer group. Brokers default to $KAFKA_BROKERS; SASL only from the environment. */
export const kafkaSchema = z
  .object({
    brokers: z
      .array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port'))
      .min(1)
      .optional(),
    client_id: z.string().default('flowwatch'),
    group_id: z.string().default('flowwatch'),
    /** Where a new consumer group starts: the earliest retained record, or only new ones. */
    from_beginning: z.boolean().default(true),
    session_timeout: duration({ min: 6000 }).default(30_000),
    /** Most bytes fetched per partition per batch: bigger batches, more throughput; smaller, lower latency. */
    max_batch_bytes: z
      .number()
      .int()
      .min(1024)
      .default(4 * 1024 * 1024),
    /**
     * How long the broker may hold a fetch for more data (Kafka's fetch.max.wait.ms; answered at
     * once when 64 KB are there). Longer: fewer, bigger batches, so less CPU per event (each
     * batch costs a state commit); shorter: lower latency at low rates. docs/bench.md has both.
     * Default FETCH_WAIT_MS (ingest/sources/kafka-source.ts).
     */
    fetch_wait: duration({ max: 1000 }).optional(),
  })
  .strict();

export const simulatorSchema = z
  .object({
    seed: z.number().int().default(1),
    /** Simulated start time (ISO 8601); default: today 06:30 UTC. */
    start: z.string().datetime({ offset: true }).optional(),
    /** Simulated milliseconds per wall millisecond; "max" runs as fast as possible. */
    speed: z.union([z.number().positive(), z.literal('max')]).default(120),
    /** Simulated time per batch. */
    step: duration({ min: 1000 }).default(60_000),
    scale: z.number().positive().default(1),
    anomalies_per_flow_per_day: z.number().min(0).default(8),
    /** Each flow gets an anomaly starting within this much simulated time (quick demos). */
    first_anomaly_within: duration().default(20 * 60_000),
  })
  .strict();

export type MappingConfig = z.output<typeof mappingSchema>;
export type SimulatorConfig = z.output<typeof simulatorSchema>;
export type KafkaConfig = z.output<typeof kafkaSchema>;

export function measurementNames(m: MappingConfig): string[] {
  const base = Array.isArray(m.measurements) ? m.measurements.map(lastSegment) : Object.keys(m.measurements);
  return [...base, ...Object.keys(m.derive)];
}

export function attributeNames(m: MappingConfig): string[] {
  return Array.isArray(m.attributes) ? m.attributes.map(lastSegment) : Object.keys(m.attributes);
}

/** "device.temp" is measured as "temp". */
export function lastSegment(field: string): string {
  const i = field.lastIndexOf('.');
  return i < 0 ? field : field.slice(i + 1);
}
