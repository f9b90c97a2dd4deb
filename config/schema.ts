import { z } from 'zod';
import { duration } from '../kernel/duration';
import { detectorSchema } from '../detectors/registry';
// How records are read and mapped (sources, mapping, Kafka, simulator) lives with the ingest stage.
import { mappingSchema, sourceSchema, kafkaSchema, simulatorSchema } from '../ingest/config';
export { mappingSchema, sourceSchema, kafkaSchema, simulatorSchema };
export type { MappingConfig, SimulatorConfig, KafkaConfig } from '../ingest/config';

export const streamSchema = z
  .object({
    /** Where records come from. Default: the built-in simulator (only for people, goods, funds). */
    source: sourceSchema.default({ type: 'simulator' }),
    mapping: mappingSchema,
    /** Events older than (max event time − lateness) are late: dead-lettered, not counted. */
    lateness: duration().default(120_000),
    /** Events further than this ahead of the clock are rejected as bogus. */
    max_future: duration().default(3_600_000),
    /** Events further than this behind the clock are rejected (0 = no limit). */
    max_age: duration().default(30 * 86_400_000),
    /**
     * A partition with no record for this long (clock time) is idle: its watermark moves on with
     * the clock, so windows of quiet keys still drain and a silent partition's deadman still
     * fires. 0 = never (event time only: a silent partition then judges nothing until it resumes).
     */
    idle_timeout: duration().default(60_000),
    detectors: z.array(detectorSchema).default([]),
    /**
     * The default univariate profile (detectors/univariate) for measurements no detector names:
     * auto = only when the stream has no detectors at all; all = every uncovered measurement; off = never.
     */
    default_profile: z.enum(['auto', 'all', 'off']).default('auto'),
  })
  .strict();

// Receivers, the routing tree, inhibition and the alerting block live with the alerts stage.
import { receiverSchema, routeSchema, inhibitRuleSchema, alertingSchema, ALERTING_DEFAULTS, checkAlertingConfig } from '../alerts/config';
export { receiverSchema };
import { incidentsSchema, checkIncidentsConfig } from '../alerts/incidents/config';

export { sinkConfigSchema as sinkSchema } from '../sinks/registry';
import { sinkConfigSchema } from '../sinks/registry';

export const stateSchema = z
  .object({
    backend: z.enum(['memory', 'redis']).default('memory'),
    /** Redis URL for backend redis; default $REDIS_URL, else redis://127.0.0.1:6379. Put a password in the environment, not here. */
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'expected a URL like "redis://127.0.0.1:6379"')
      .optional(),
    /**
     * Namespace of this deployment's keys in Redis (state and alert state). Default: derived from
     * the deployment — "fw:<kafka.group_id>" for Kafka streams, else "fw:local:<streams>" — so two
     * configs never share an alert store by accident (storeNamespace()).
     */
    prefix: z
      .string()
      .min(1)
      .regex(/^[^\s{}]+$/, 'expected a key prefix without spaces or braces')
      .optional(),
    /** Per-key state untouched this long is dropped (bounded memory with churning keys). */
    idle_ttl: duration().default(7 * 86_400_000),
  })
  .strict();

/**
 * The worker's telemetry listener (/metrics, /healthz, /readyz; api/telemetry.ts), apart from the
 * alerting API. "host:port" (port 0: any free port) or "off". Overridden by FLOWWATCH_TELEMETRY and
 * `run --telemetry`.
 */
export const telemetrySchema = z
  .object({
    listen: z
      .union([z.literal('off'), z.string().regex(/^[^\s]*:\d{1,5}$/, 'expected "host:port" (e.g. "127.0.0.1:9465") or "off"')])
      .default('127.0.0.1:9465'),
  })
  .strict();

export const deadLetterSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file'), path: z.string().min(1) }).strict(),
  z.object({ type: z.literal('stderr') }).strict(),
  z.object({ type: z.literal('kafka'), topic: z.string().min(1).default('flowwatch.dead-letter') }).strict(),
]);

export const configSchema = z
  .object({
    streams: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'expected a stream name like "funds"'), streamSchema),
    receivers: z
      .array(receiverSchema)
      .min(1, 'expected at least one receiver')
      .default([{ type: 'console', name: 'console' }]),
    /** Routing tree (alerts/config.ts); without it every receiver gets every alert. */
    route: routeSchema.optional(),
    inhibit_rules: z.array(inhibitRuleSchema).default([]),
    alerting: alertingSchema.default(ALERTING_DEFAULTS),
    sinks: z.array(sinkConfigSchema).default([]),
    state: stateSchema.default({ backend: 'memory', idle_ttl: 7 * 86_400_000 }),
    kafka: kafkaSchema.optional(),
    telemetry: telemetrySchema.default({ listen: '127.0.0.1:9465' }),
    dead_letter: deadLetterSchema.default({ type: 'file', path: 'flowwatch-dead-letter.jsonl' }),
    simulator: simulatorSchema.default(simulatorSchema.parse({})),
    /** Reference data, departments and correlation rules: cross-flow incidents (docs/incidents.md). */
    incidents: incidentsSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (Object.keys(c.streams).length === 0) ctx.addIssue({ code: 'custom', path: ['streams'], message: 'expected at least one stream' });
    for (const p of [...checkAlertingConfig(c), ...checkIncidentsConfig(c)])
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    if (c.telemetry.listen !== 'off' && c.telemetry.listen === c.alerting.api?.listen)
      ctx.addIssue({
        code: 'custom',
        path: ['telemetry', 'listen'],
        message: `the telemetry listener and the alerting API cannot share ${c.telemetry.listen}; give telemetry its own port (default 127.0.0.1:9465) or "off"`,
      });
    for (const [name, s] of Object.entries(c.streams)) {
      const seen = new Set<string>();
      s.detectors.forEach((d, i) => {
        const id = detectorName(d, i, s.detectors);
        if (seen.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['streams', name, 'detectors', i, 'name'],
            message: `duplicate detector name "${id}" in stream ${name}; give each a unique name`,
          });
        seen.add(id);
      });
    }
  });

export type FlowwatchConfig = z.output<typeof configSchema>;
export type StreamConfig = z.output<typeof streamSchema>;
export type ReceiverConfig = z.output<typeof receiverSchema>;
export type DetectorConfig = z.output<typeof detectorSchema>;

/**
 * The Redis key prefix of a deployment: `state.prefix` when set (0.1 used "fw" for every config:
 * set `prefix: fw` to keep reading what it wrote), else derived from what makes the deployment —
 * its consumer group for Kafka streams, its stream names otherwise.
 */
export function storeNamespace(config: Pick<FlowwatchConfig, 'state' | 'kafka' | 'streams'>): string {
  if (config.state.prefix) return config.state.prefix;
  const usesKafka = Object.values(config.streams).some((s) => s.source.type === 'kafka');
  if (usesKafka) return `fw:${config.kafka?.group_id ?? 'flowwatch'}`;
  return `fw:local:${Object.keys(config.streams).sort().join('+')}`;
}

/** A detector's name: its `name`, else its type, suffixed by position when the type repeats. */
export function detectorName(d: { type: string; name?: string }, index: number, all: readonly { type: string; name?: string }[]): string {
  if (d.name) return d.name;
  const sameType = all.filter((x) => !x.name && x.type === d.type);
  if (sameType.length === 1) return d.type;
  return `${d.type}-${sameType.indexOf(all[index] as (typeof sameType)[number]) + 1}`;
}
