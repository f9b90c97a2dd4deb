import type { Producer } from 'kafkajs';
import type { createDecoder } from '../ingest/decode/decoder';
import { FlowSimulator, type FlowName } from '../ingest/simulator';

/** Where one stream's simulated records go: its topic, and its decoder (for the record's key). */
export interface ProduceTarget {
  topic: string;
  decoder: ReturnType<typeof createDecoder>;
}

export interface ProduceHistoryOptions {
  producer: Producer;
  /** By stream name. */
  targets: ReadonlyMap<string, ProduceTarget>;
  flows: FlowName[];
  seed: number;
  /** Entity count multiplier. */
  scale: number;
  /** Event time the simulation starts at (a minute boundary). */
  start: number;
  /** After the history, keep producing in real time until `stopped()`. */
  follow?: boolean;
  /** Stop once this many records are sent (the last simulated minute cut short). */
  maxEvents?: number;
  stopped: () => boolean;
  /** After each simulated minute is acknowledged: records sent so far, and the simulated time reached. */
  onProgress?: (sent: number, until: number) => void;
}

/** One send per simulated minute: the history goes as fast as the broker takes it. */
const STEP_MS = 60_000;
/**
 * Messages per topic in one send. A send puts each partition's messages in one record batch, and
 * the broker refuses a batch over its message.max.bytes (1 MB by default): a minute at scale 500
 * is ~15,000 goods records, over 1 MB on two partitions. 4,000 records of ~150 bytes stay under it
 * even all on one partition.
 */
const CHUNK = 4000;

/** Sends a minute's records chunk after chunk (in order: one key's records keep their order). */
async function sendInChunks(producer: Producer, byTopic: Map<string, { key: string | null; value: string }[]>): Promise<number> {
  let sent = 0;
  const longest = Math.max(0, ...[...byTopic.values()].map((m) => m.length));
  for (let i = 0; i < longest; i += CHUNK) {
    const topicMessages = [...byTopic]
      .map(([topic, all]) => ({ topic, messages: all.slice(i, i + CHUNK) }))
      .filter((t) => t.messages.length > 0);
    await producer.sendBatch({ topicMessages, acks: -1 });
    for (const t of topicMessages) sent += t.messages.length;
  }
  return sent;
}

/**
 * Writes the simulator's records to Kafka minute by minute from `start` up to now (then live with
 * `follow`), keyed by entity so one key always lands on one partition (its state lives with the
 * partition). Shared by `flowwatch produce` and the backlog bench, so the bench's backlog is the
 * one a user makes. Returns the records sent.
 */
export async function produceHistory(o: ProduceHistoryOptions): Promise<number> {
  const sim = new FlowSimulator({ seed: o.seed, start: o.start, flows: o.flows, scale: o.scale });
  const max = o.maxEvents ?? Infinity;
  let sent = 0;
  for (let t = o.start; !o.stopped() && sent < max;) {
    const now = Date.now();
    if (t + STEP_MS > now) {
      if (!o.follow) break;
      await new Promise((r) => setTimeout(r, Math.min(1000, t + STEP_MS - now)));
      continue;
    }
    const until = t + STEP_MS;
    const byTopic = new Map<string, { key: string | null; value: string }[]>();
    let room = max - sent;
    for (const r of sim.advance(until)) {
      if (room-- <= 0) break;
      const target = o.targets.get(r.stream)!;
      const d = target.decoder.decode(r.payload);
      let list = byTopic.get(target.topic);
      if (!list) byTopic.set(target.topic, (list = []));
      list.push({ key: d.ok ? d.event.key : null, value: JSON.stringify(r.payload) });
    }
    sent += await sendInChunks(o.producer, byTopic);
    t = until;
    o.onProgress?.(sent, until);
  }
  return sent;
}
