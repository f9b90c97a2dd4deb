import { Kafka, logLevel, type EachBatchPayload, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { RawRecord } from '../../core/types';
import type { Source, SourceBatch } from './types';
import { FlowwatchError } from '../../core/errors';
import { ensureTopics } from '../kafka-topics';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** From the environment only (KAFKA_SASL_*); never from a config file. */
  sasl?: SASLOptions;
  ssl?: boolean;
}

export interface KafkaSourceOptions {
  connection: KafkaConnection;
  groupId: string;
  /** topic → stream */
  topics: Map<string, string>;
  fromBeginning: boolean;
  log: Logger;
  /** Last offset already applied to state for a partition scope ("topic:partition"), from the state store. */
  appliedPosition(scope: string): Promise<number | null>;
  sessionTimeout?: number;
  maxBatchBytes?: number;
  /** Hand each batch's message timestamps (epoch ms) on as `timestamps` (the bench's send times). */
  timestamps?: boolean;
}

/** How often processed offsets are committed to the group (the state store holds the exact position). */
export const OFFSET_COMMIT_INTERVAL_MS = 1000;
/** Partitions whose batches may wait in the queue at once. */
const PARTITIONS_IN_FLIGHT = 8;

/** A batch from KafkaSource; `timestamps` only with the `timestamps` option. */
export interface KafkaSourceBatch extends SourceBatch {
  timestamps?: Float64Array;
}

/** kafkajs logs through our pino logger, at warn and above (its info level is chatty). */
export function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      if (level === logLevel.ERROR || level === logLevel.NOTHING) log.error(rest, message);
      else if (level === logLevel.WARN) log.warn(rest, message);
      else log.debug(rest, message);
    };
}

export function createKafka(c: KafkaConnection, log: Logger): Kafka {
  return new Kafka({
    clientId: c.clientId,
    brokers: c.brokers,
    sasl: c.sasl,
    ssl: c.ssl,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log),
    // Reconnect after a broker restart with backoff, for as long as it takes.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: Number.MAX_SAFE_INTEGER },
  });
}

interface Pending {
  batch: SourceBatch;
  /** Lets the batch handler return without committing (stop requested before it was processed). */
  release(): void;
}

/**
 * Consumer-group source: one batch handler per fetched partition batch, never one per message.
 * Each batch waits in the handler until the pipeline has made its state, alerts and dead letters
 * durable (ack), so Kafka does not fetch ahead of what Redis and the receivers can take
 * (backpressure), and offsets are committed only after that. Messages at or below the offset
 * already applied to state (from the store) are skipped: exactly-once state over at-least-once delivery.
 */
export class KafkaSource implements Source {
  readonly name = 'kafka';
  readonly replay = false;
  readonly streams: readonly string[];
  private readonly applied = new Map<string, number>();
  private rebalanceListeners: Array<() => void> = [];

  constructor(private readonly o: KafkaSourceOptions) {
    this.streams = [...new Set(o.topics.values())];
  }

  /** Called after each group (re)join: partition ownership may have changed. */
  onRebalance(listener: () => void): void {
    this.rebalanceListeners.push(listener);
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const kafka = createKafka(this.o.connection, this.o.log);
    const consumer = kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: this.o.sessionTimeout ?? 30_000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: this.o.maxBatchBytes ?? 4 * 1024 * 1024,
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: Number.MAX_SAFE_INTEGER },
    });
    const queue: Pending[] = [];
    let wake: (() => void) | null = null;
    let crashed: Error | null = null;
    const notify = () => {
      const w = wake;
      wake = null;
      w?.();
    };

    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.applied.clear();
      this.o.log.info({ assignment: e.payload.memberAssignment }, 'partitions assigned');
      for (const l of this.rebalanceListeners) l();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        crashed = e.payload.error;
        notify();
      }
    });

    const topics = [...this.o.topics.keys()];
    try {
      // Subscribing to a topic that does not exist fails in kafkajs; create it like broker auto-creation would.
      const created = await ensureTopics(kafka, topics);
      if (created.length > 0) this.o.log.info({ topics: created }, 'created missing topics');
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: this.o.fromBeginning });
    } catch (err) {
      throw new FlowwatchError('FW_SOURCE', `cannot consume ${topics.join(', ')} from Kafka at ${this.o.connection.brokers.join(',')}: ${(err as Error).message}`, { cause: err });
    }
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: OFFSET_COMMIT_INTERVAL_MS,
      // Every partition's batch is fetched and queued while the previous one is processed.
      partitionsConsumedConcurrently: PARTITIONS_IN_FLIGHT,
      eachBatchAutoResolve: false,
      eachBatch: async (p: EachBatchPayload) => {
        // After a stop request nothing new is taken: unacked batches are re-delivered to the next owner.
        if (signal.aborted || !p.isRunning() || p.isStale() || p.batch.isEmpty()) return;
        const { topic, partition } = p.batch;
        const scope = `${topic}:${partition}`;
        let applied = this.applied.get(scope);
        if (applied === undefined) {
          applied = (await this.o.appliedPosition(scope)) ?? -1;
          this.applied.set(scope, applied);
        }
        const stream = this.o.topics.get(topic)!;
        const records: RawRecord[] = [];
        const messages = p.batch.messages;
        const stamps = this.o.timestamps ? new Float64Array(messages.length) : undefined;
        for (const m of messages) {
          if (Number(m.offset) <= applied) continue; // already in state: a re-delivery
          if (stamps) stamps[records.length] = Number(m.timestamp);
          records.push({ stream, payload: m.value ?? '', source: `${topic}/${partition}@${m.offset}` });
        }
        const last = p.batch.lastOffset();
        await new Promise<void>((resolve) => {
          if (signal.aborted) return resolve();
          queue.push({
            release: resolve,
            batch: {
              records,
              ...(stamps ? { timestamps: stamps.subarray(0, records.length) } : {}),
              scope,
              position: Number(last),
              heartbeat: () => p.heartbeat(),
              ack: async () => {
                // The state store's position (written with the state) is what makes the batch
                // count once; the group offset only saves a restart from re-reading, so kafkajs
                // commits resolved offsets every OFFSET_COMMIT_INTERVAL_MS and on stop or
                // rebalance — not one broker round trip per batch.
                p.resolveOffset(last);
                this.applied.set(scope, Number(last));
                resolve();
              },
            },
          });
          notify();
        });
      },
    });

    const onAbort = () => notify();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (crashed) throw crashed;
        const next = queue.shift();
        if (next) {
          yield next.batch;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Batches fetched but not processed: let their handlers return uncommitted so disconnect can finish.
      for (const p of queue.splice(0)) p.release();
      // Graceful stop: the batch in flight was acked above; leave the group so partitions move at once.
      await consumer.disconnect().catch((err: unknown) => this.o.log.warn({ err }, 'kafka disconnect failed'));
    }
  }
}
