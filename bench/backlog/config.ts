import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfigText, validateConfig } from '../../config/load';
import type { FlowName } from '../../ingest/simulator';
import type { FlowwatchConfig } from '../../config/schema';
import type { RawConfig } from '../kafka/scenario';

/**
 * The job `flowwatch run` is measured on: examples/kafka.yaml as written (its detectors, the console
 * and JSONL receivers, Redis state and alert store) on this run's topics, group and Redis prefix,
 * without the InfluxDB sink (the backlog is "Redis state, no sink"), dead letters and the
 * JSONL receiver in the run's folder, and no telemetry listener (helpers on one box would collide
 * on its fixed port). Validated here, so a bad rewrite fails before anything is produced. Returns
 * the file written (JSON: `run --config` takes YAML or JSON) and the config as the worker reads it.
 */
export function writeBacklogConfig(o: {
  examples: string;
  flows: FlowName[];
  topics: Record<string, string>;
  brokers: string[];
  redisUrl: string;
  prefix: string;
  groupId: string;
  dir: string;
  /** The file's name in dir (one per pass when a run measures several). */
  name?: string;
}): { file: string; config: FlowwatchConfig } {
  const file = path.join(o.examples, 'kafka.yaml');
  const raw = parseConfigText(fs.readFileSync(file, 'utf8'), file) as RawConfig;
  const streams: Record<string, unknown> = {};
  for (const f of o.flows) streams[f] = { ...(raw.streams[f] as object), source: { type: 'kafka', topics: [o.topics[f]] } };
  raw.streams = streams;
  raw.kafka = { ...(raw.kafka as object), brokers: o.brokers, group_id: o.groupId, from_beginning: true };
  raw.state = { ...(raw.state as object), backend: 'redis', url: o.redisUrl, prefix: o.prefix };
  raw.sinks = [];
  raw.dead_letter = { type: 'file', path: path.join(o.dir, 'dead-letter.jsonl') };
  raw.receivers = ((raw.receivers ?? []) as Array<Record<string, unknown>>).map((r) =>
    r.type === 'jsonl' ? { ...r, path: path.join(o.dir, 'alerts.jsonl') } : r,
  );
  raw.telemetry = { listen: 'off' };
  const config = validateConfig(raw, 'backlog bench config');
  const out = path.join(o.dir, o.name ?? 'backlog.json');
  fs.writeFileSync(out, JSON.stringify(raw, null, 2));
  return { file: out, config };
}
