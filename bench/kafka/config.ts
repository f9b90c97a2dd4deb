/** The kafka scenario's worker config: examples/kafka.yaml on a run's topics, Redis prefix and files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfigText, validateConfig } from '../../config/load';
import type { FlowwatchConfig } from '../../config/schema';
import type { FlowName } from '../../ingest/simulator';

/** A config document as parsed from YAML, before validation: the bench rewrites parts of it. */
export type RawConfig = Record<string, unknown> & { streams: Record<string, unknown> };

/** The config the worker runs: examples/kafka.yaml on this run's topics, Redis prefix and files. */
export interface BenchConfigInputs {
  examples: string;
  flows: FlowName[];
  topics: Record<string, string>;
  brokers: string[];
  redisUrl: string;
  prefix: string;
  groupId: string;
  sink: boolean;
  influxBucket: string;
  dir: string;
  alertStore?: 'memory' | 'redis';
  fetchWaitMs?: number;
}

export function benchConfig(o: BenchConfigInputs): FlowwatchConfig {
  const file = path.join(o.examples, 'kafka.yaml');
  const raw = parseConfigText(fs.readFileSync(file, 'utf8'), file) as RawConfig;
  const streams: Record<string, unknown> = {};
  for (const f of o.flows) streams[f] = { ...(raw.streams[f] as object), source: { type: 'kafka', topics: [o.topics[f]] } };
  raw.streams = streams;
  raw.kafka = { ...(raw.kafka as object), brokers: o.brokers, group_id: o.groupId, from_beginning: true };
  if (o.fetchWaitMs !== undefined) (raw.kafka as Record<string, unknown>).fetch_wait = `${o.fetchWaitMs}ms`;
  raw.state = { ...(raw.state as object), backend: 'redis', url: o.redisUrl, prefix: o.prefix };
  raw.sinks = o.sink ? ((raw.sinks ?? []) as Array<Record<string, unknown>>).map((s) => ({ ...s, bucket: o.influxBucket })) : [];
  raw.dead_letter = { type: 'file', path: path.join(o.dir, 'dead-letter.jsonl') };
  raw.receivers = [{ type: 'jsonl', name: 'bench', path: path.join(o.dir, 'alerts.jsonl') }];
  if (o.alertStore) raw.alerting = { ...(raw.alerting as object), store: o.alertStore };
  return validateConfig(raw, 'bench config');
}

export function examplesDir(): string {
  for (const c of [path.resolve(__dirname, '..', '..', 'examples'), path.resolve(__dirname, '..', '..', '..', 'examples')]) {
    if (fs.existsSync(path.join(c, 'kafka.yaml'))) return c;
  }
  throw new Error(`examples/kafka.yaml not found above ${__dirname}`);
}
