import { Kafka, logLevel, type Consumer, type ConsumerConfig, type EachBatchPayload, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { RawRecord } from '../../kernel/types';
import { systemClock, type Clock } from '../../kernel/clock';
import type { Source, SourceBatch } from './types';
import { FlowwatchError } from '../../kernel/errors';
import { settleWithin } from '../../kernel/settle';
import { ensureTopics } from '../kafka-topics';
import type { Health } from '../../kernel/health';
import { ConnectAborted, connectLoop } from './connect-loop';

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
  /** Longest the broker holds a fetch for more data (default FETCH_WAIT_MS). */
  fetchWaitMs?: number;
  /** Hand each batch's message timestamps (epoch ms) on as `timestamps` (the bench's send times). */
  timestamps?: boolean;
  /** Not ready until the consumer has joined its group; a crashed consumer is reported too. */
  health?: Health;
  /** Wall clock for the `receivedAt` stamps (default: the system clock). */
  clock?: Clock;
}

/** One partition's consumer lag: records in the partition past what this worker has made durable. */
export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

/** How often processed offsets are committed to the group (the state store holds the exact position). */
export const OFFSET_COMMIT_INTERVAL_MS = 1000;
/** A fetch is answered once this much is there, or after FETCH_WAIT_MS. */
const FETCH_MIN_BYTES = 64 * 1024;
/**
 * Default of config `kafka.fetch_wait`. Every batch costs a state commit (a Redis round trip,
 * ~115 µs of CPU) and kafkajs's per-fetch work, so at moderate rates the wait sets the worker's
 * CPU. Measured at 20k events/s, full pipeline, alternating runs: 5 ms → 10 ms took the worker
 * from 67/75 % to 60/62 % CPU and ~1,000 to ~700 batches/s, p50 from 16–17 to 19–20 ms, p99 from
 * 79/145 to 66/85 ms; 20 ms saved little more CPU (61/61 %) with p99 99/165 ms.
 */
export const FETCH_WAIT_MS = 10;
/**
 * The worker's consumer group membership and fetch shape (the bench's latency reference fetches
 * with the same settings, so its send → fetched is comparable with the worker's).
 */
export function consumerFetchSettings(
  o: Pick<KafkaSourceOptions, 'groupId' | 'sessionTimeout' | 'maxBatchBytes' | 'fetchWaitMs'>,
): ConsumerConfig {
  return {
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeout ?? 30_000,
    heartbeatInterval: 3000,
    maxBytesPerPartition: o.maxBatchBytes ?? 4 * 1024 * 1024,
    // Let the broker gather a little before answering a fetch (at most FETCH_WAIT_MS): at
    // moderate rates a fetch otherwise returns a handful of records per partition, and each
    // batch costs a state commit and an alert transaction however small it is.
    minBytes: FETCH_MIN_BYTES,
    maxWaitTimeInMs: o.fetchWaitMs ?? FETCH_WAIT_MS,
  };
}

/** Partitions whose batches may wait in the queue at once. */
const PARTITIONS_IN_FLIGHT = 8;

/** A batch from KafkaSource; `timestamps` only with the `timestamps` option. */
export interface KafkaSourceBatch extends SourceBatch {
  timestamps?: Float64Array;
  /** With `timestamps`: when each record's fetch reached this worker (epoch ms). */
  receivedAt?: Float64Array;
  /** Offset of each record. */
  offsets?: Float64Array;
}

/**
 * Drops a batch's records at or below `position`, with their offsets and timestamps. (After a
 * rebalance kafkajs fetches again from the committed offsets, which trail the state store's
 * position, and a commit may still have been in flight when the first filter looked.)
 */
export function skipUpTo(b: KafkaSourceBatch, position: number): void {
  const offsets = b.offsets;
  if (!offsets || offsets.length === 0 || offsets[0] > position) return;
  let keep = 0;
  while (keep < offsets.length && offsets[keep] <= position) keep++;
  // Offsets increase within a batch: the records to drop are a prefix.
  b.records = b.records.slice(keep);
  b.offsets = offsets.subarray(keep);
  if (b.timestamps) b.timestamps = b.timestamps.subarray(keep);
  if (b.receivedAt) b.receivedAt = b.receivedAt.subarray(keep);
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

/** Health component name of the Kafka source. */
export const KAFKA_HEALTH = 'source:kafka';

/**
 * Every request and connect is bounded, and a client gives up after a few retries (about 10 s of
 * backoff): a produce or a connect then FAILS, and the caller's own loop retries it — the runner's
 * hold-and-retry for a dead-letter or alert produce, connectLoop for a connect, the consumer's
 * restart-on-crash (its own retry is unbounded) after a broker restart — each of which watches the
 * stop request. With unbounded client retries a worker whose brokers were unreachable never
 * stopped. connectionTimeout: a TCP connect to a live broker takes milliseconds.
 */
export function createKafka(c: KafkaConnection, log: Logger): Kafka {
  return new Kafka({
    clientId: c.clientId,
    brokers: c.brokers,
    sasl: c.sasl,
    ssl: c.ssl,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log),
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 5 },
  });
}

/** Kafka errors that retrying a connect cannot fix: wrong credentials, no permission, a bad topic name. */
const PERMANENT_KAFKA_ERRORS = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
]);

/** Whether a connect failure (or any error in its cause chain) is one of PERMANENT_KAFKA_ERRORS or a SASL failure. */
export function isPermanentKafkaError(err: unknown): boolean {
  for (
    let e = err as { name?: string; type?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 10;
    e = e.cause as typeof e, depth++
  ) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || (e.type !== undefined && PERMANENT_KAFKA_ERRORS.has(e.type))) return true;
  }
  return false;
}

/** What to check, for the failures whose kafkajs message does not say it (SASL against a plaintext listener). */
export function kafkaHint(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const text: string[] = [];
  for (
    let e = err as { name?: string; type?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 10;
    e = e.cause as typeof e, depth++
  ) {
    text.push(`${e.name ?? ''} ${e.type ?? ''} ${e.message ?? ''}`);
  }
  const all = text.join(' ');
  if (
    /SASL/i.test(all) ||
    (env.KAFKA_SASL_MECHANISM && /Protocol|ILLEGAL_SASL_STATE|UNSUPPORTED_SASL_MECHANISM|Connection (closed|error)/i.test(all))
  ) {
    return ` — check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and that the broker's listener at these addresses speaks SASL (a PLAINTEXT listener cannot authenticate; unset KAFKA_SASL_MECHANISM for it)`;
  }
  if (/AUTHORIZATION_FAILED/.test(all)) return ' — the credentials are accepted but lack an ACL for this topic or group';
  return '';
}

/** Longest a consumer's disconnect may take at stop (leave group, final offset commit) before it is left behind. */
const DISCONNECT_TIMEOUT_MS = 5000;

interface Pending {
  batch: KafkaSourceBatch;
}

/**
 * Records fetched but not yet handed to the pipeline, at most: beyond, the batch handler waits,
 * which stops kafkajs fetching further (backpressure).
 */
const MAX_QUEUED_RECORDS = 50_000;
/** Records one merged batch may hold (consecutive fetches of one partition). */
const MAX_MERGED_RECORDS = 20_000;

/**
 * Consumer-group source: one batch handler per fetched partition batch, never one per message.
 * The handler queues the batch and returns, so Kafka keeps fetching while the pipeline works;
 * when the pipeline asks for the next batch, consecutive queued batches of one partition are
 * merged — under load batches grow by themselves and the per-batch costs (a state commit, an
 * alert transaction) are paid once for many fetches, while a quiet stream still goes through
 * one fetch at a time. Offsets are resolved (and committed by kafkajs every second) only once a
 * batch's state, alerts and dead letters are durable. Messages at or below the offset already
 * applied to state (from the store) are skipped: exactly-once state over at-least-once delivery.
 */
export class KafkaSource implements Source {
  readonly name = 'kafka';
  readonly replay = false;
  readonly streams: readonly string[];
  private readonly applied = new Map<string, number>();
  /** Per partition: the high watermark at its latest fetch (what lag is measured against). */
  private readonly highWatermarks = new Map<string, { topic: string; partition: number; hw: number }>();
  private rebalanceListeners: Array<() => void> = [];

  constructor(private readonly o: KafkaSourceOptions) {
    this.streams = [...new Set(o.topics.values())];
  }

  /**
   * Consumer lag per assigned partition, as of each partition's latest fetch: high watermark minus
   * the next offset this worker has yet to make durable. Read at scrape time; no I/O.
   */
  lag(): PartitionLag[] {
    const out: PartitionLag[] = [];
    for (const [scope, { topic, partition, hw }] of this.highWatermarks)
      out.push({ topic, partition, lag: Math.max(0, hw - ((this.applied.get(scope) ?? -1) + 1)) });
    return out;
  }

  /** Called after each group (re)join: partition ownership may have changed. */
  onRebalance(listener: () => void): void {
    this.rebalanceListeners.push(listener);
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const kafka = createKafka(this.o.connection, this.o.log);
    const consumer = this.createConsumer(kafka);
    const queue = new FetchQueue();
    this.watchGroup(consumer, queue);
    if (!(await this.connect(kafka, consumer, signal))) return;
    const group = new GroupOffsets(consumer, this.o.log);
    await consumer.run({
      autoCommit: false,
      // Every partition's batch is fetched and queued while the previous one is processed.
      partitionsConsumedConcurrently: PARTITIONS_IN_FLIGHT,
      eachBatchAutoResolve: true,
      eachBatch: (p: EachBatchPayload) => this.eachBatch(p, signal, queue, group),
    });

    const onAbort = () => queue.notify();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (queue.crashed) throw queue.crashed;
        const batch = queue.take();
        if (batch) {
          yield batch;
          continue;
        }
        await queue.arrival();
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Batches fetched but not processed stay uncommitted (the next owner reads them again);
      // handlers waiting for room return so disconnect can finish.
      queue.abandon();
      group.cancelTimer();
      await this.leave(consumer, group);
    }
  }

  private createConsumer(kafka: Kafka): Consumer {
    return kafka.consumer({
      ...consumerFetchSettings(this.o),
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: Number.MAX_SAFE_INTEGER },
    });
  }

  /** Group joins (a new assignment) and crashes: readiness, the queue, the rebalance listeners. */
  private watchGroup(consumer: Consumer, queue: FetchQueue): void {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.o.health?.ok(KAFKA_HEALTH);
      this.applied.clear();
      this.highWatermarks.clear();
      // Fetched under the old assignment and not yet processed: whoever owns those partitions
      // now reads them again from the committed offsets.
      queue.clear();
      this.o.log.info({ assignment: e.payload.memberAssignment }, 'partitions assigned');
      for (const l of this.rebalanceListeners) l();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.o.health?.fail(KAFKA_HEALTH, `Kafka consumer crashed (${e.payload.error.message})${e.payload.restart ? '; restarting' : ''}`);
      if (!e.payload.restart) queue.crash(e.payload.error);
    });
  }

  /** Connects and subscribes, retried until it works; false when stopped before Kafka answered. */
  private async connect(kafka: Kafka, consumer: Consumer, signal: AbortSignal): Promise<boolean> {
    const topics = [...this.o.topics.keys()];
    const brokers = this.o.connection.brokers.join(',');
    this.o.health?.fail(KAFKA_HEALTH, `connecting to Kafka at ${brokers}`);
    try {
      // Retried until it works or the worker is stopped: a broker that is down at start is waited
      // for (the worker joins once it is up), but never past a stop request.
      await connectLoop(
        async () => {
          try {
            // Subscribing to a topic that does not exist fails in kafkajs; create it like broker auto-creation would.
            const created = await ensureTopics(kafka, topics);
            if (created.length > 0) this.o.log.info({ topics: created }, 'created missing topics');
            await consumer.connect();
            await consumer.subscribe({ topics, fromBeginning: this.o.fromBeginning });
          } catch (err) {
            await consumer.disconnect().catch(() => undefined);
            throw new FlowwatchError(
              'FW_SOURCE',
              `cannot consume ${topics.join(', ')} from Kafka at ${brokers}: ${(err as Error).message}${kafkaHint(err)}`,
              { cause: err },
            );
          }
        },
        {
          what: `Kafka consumer for ${topics.join(', ')}`,
          signal,
          log: this.o.log,
          onFailure: (err) => this.o.health?.fail(KAFKA_HEALTH, (err as Error).message),
          permanent: isPermanentKafkaError,
        },
      );
      return true;
    } catch (err) {
      if (!(err instanceof ConnectAborted)) throw err;
      // Stopped before Kafka answered: nothing was read, so nothing to commit; a connect still in
      // progress is left to time out on its own.
      void consumer.disconnect().catch(() => undefined);
      return false;
    }
  }

  /** kafkajs's handler of one fetched partition batch: queues it, and waits while the queue is full. */
  private async eachBatch(p: EachBatchPayload, signal: AbortSignal, queue: FetchQueue, group: GroupOffsets): Promise<void> {
    // After a stop request nothing new is taken: unacked batches are re-delivered to the next owner.
    if (signal.aborted || !p.isRunning() || p.isStale() || p.batch.isEmpty()) return;
    const { topic, partition } = p.batch;
    const scope = `${topic}:${partition}`;
    this.highWatermarks.set(scope, { topic, partition, hw: Number(p.batch.highWatermark) });
    let applied = this.applied.get(scope);
    if (applied === undefined) {
      applied = (await this.o.appliedPosition(scope)) ?? -1;
      this.applied.set(scope, applied);
    }
    const stream = this.o.topics.get(topic)!;
    const records: RawRecord[] = [];
    const messages = p.batch.messages;
    const stamps = this.o.timestamps ? new Float64Array(messages.length) : undefined;
    // One stamp per fetched batch, not per record: every record of a fetch arrived together.
    const receivedAt = stamps ? (this.o.clock ?? systemClock).now() : 0;
    const offsets = new Float64Array(messages.length);
    // One source string per fetch; each record names its offset (RawRecord.offset).
    const source = `${topic}/${partition}`;
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset <= applied) continue; // already in state: a re-delivery
      if (stamps) stamps[records.length] = Number(m.timestamp);
      offsets[records.length] = offset;
      records.push({ stream, payload: m.value ?? '', source, offset: m.offset });
    }
    const last = p.batch.lastOffset();
    queue.push({
      batch: {
        records,
        ...(stamps
          ? { timestamps: stamps.subarray(0, records.length), receivedAt: new Float64Array(records.length).fill(receivedAt) }
          : {}),
        offsets: offsets.subarray(0, records.length),
        skipUpTo(position) {
          skipUpTo(this, position);
        },
        scope,
        position: Number(last),
        heartbeat: () => p.heartbeat(),
        ack: async () => {
          // The state store's position (written with the state) is what makes the batch
          // count once; the group offset only saves a restart from re-reading: committed
          // every OFFSET_COMMIT_INTERVAL_MS and at stop, not one broker round trip per batch.
          this.applied.set(scope, Number(last));
          group.durable(scope, topic, partition, last);
        },
      },
    });
    while (queue.full() && !signal.aborted && p.isRunning()) {
      await queue.drained();
      await p.heartbeat().catch(() => undefined);
    }
  }

  /**
   * Commits the durable offsets and leaves the group, bounded: with the broker gone, a commit and
   * a leave-group request could each wait out kafkajs's retries; the next owner re-reads anything
   * not committed, and the state store's positions skip what is already applied.
   */
  private async leave(consumer: Consumer, group: GroupOffsets): Promise<void> {
    const leave = (async () => {
      await group.commit();
      // Graceful stop: the batch in flight was acked above; leave the group so partitions move at once.
      await consumer.disconnect().catch((err: unknown) => this.o.log.warn({ err }, 'kafka disconnect failed'));
    })();
    if ((await settleWithin(leave, DISCONNECT_TIMEOUT_MS)) === 'timeout')
      this.o.log.warn({ limitMs: DISCONNECT_TIMEOUT_MS }, 'kafka disconnect did not finish in time; leaving it behind');
  }
}

/**
 * Fetched partition batches waiting for the pipeline, counted in records: kafkajs's handlers push
 * (and wait while it is full), the source's reader takes them merged, or waits for one to arrive.
 */
class FetchQueue {
  private readonly items: Pending[] = [];
  private queued = 0;
  /** Handlers waiting for the queue to shrink. */
  private readonly waiting: Array<() => void> = [];
  private wake: (() => void) | null = null;
  /** The consumer crashed for good (kafkajs will not restart it). */
  crashed: Error | null = null;

  push(p: Pending): void {
    this.items.push(p);
    this.queued += p.batch.records.length;
    this.notify();
  }

  /** Past MAX_QUEUED_RECORDS (handlers wait). */
  full(): boolean {
    return this.queued > MAX_QUEUED_RECORDS;
  }

  /** Resolves when the queue shrinks (or is cleared). */
  drained(): Promise<void> {
    return new Promise<void>((r) => this.waiting.push(r));
  }

  /** The next batch, merged with the queued ones of its partition that follow it; none if empty. */
  take(): KafkaSourceBatch | undefined {
    const next = this.items.shift();
    if (!next) return undefined;
    const batch = mergeFollowing(next.batch, this.items);
    this.queued -= batch.records.length;
    this.release();
    return batch;
  }

  /** Resolves at the next push, crash or notify(). */
  arrival(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  crash(err: Error): void {
    this.crashed = err;
    this.notify();
  }

  /** A new assignment: everything queued is dropped, uncounted, and waiting handlers go on. */
  clear(): void {
    this.items.length = 0;
    this.queued = 0;
    this.release();
  }

  /** The reader stopped: everything queued is dropped and waiting handlers return. */
  abandon(): void {
    this.items.length = 0;
    this.release();
  }

  private release(): void {
    for (const r of this.waiting.splice(0)) r();
  }
}

/**
 * Offsets of batches made durable, committed to the group at most every
 * OFFSET_COMMIT_INTERVAL_MS and at stop. (Fetching moves on as soon as a batch is queued —
 * kafkajs fetches from the resolved offsets — so commits cannot follow resolution.)
 */
class GroupOffsets {
  private readonly durableOffsets = new Map<string, { topic: string; partition: number; offset: string }>();
  private commitTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly consumer: Consumer,
    private readonly log: Logger,
  ) {}

  /** The partition's records up to offset `last` are durable: the next commit moves its group offset past it. */
  durable(scope: string, topic: string, partition: number, last: string): void {
    this.durableOffsets.set(scope, { topic, partition, offset: (BigInt(last) + 1n).toString() });
    this.commitTimer ??= setTimeout(() => void this.commit(), OFFSET_COMMIT_INTERVAL_MS).unref();
  }

  async commit(): Promise<void> {
    this.commitTimer = null;
    if (this.durableOffsets.size === 0) return;
    const offsets = [...this.durableOffsets.values()];
    this.durableOffsets.clear();
    // A failure (rebalance, broker away) is harmless: the state store's positions skip what is re-read.
    await this.consumer
      .commitOffsets(offsets)
      .catch((err: unknown) => this.log.debug({ err }, 'offset commit failed; the next owner re-reads from the last committed offset'));
  }

  cancelTimer(): void {
    if (this.commitTimer) clearTimeout(this.commitTimer);
  }
}

/**
 * `first` plus the queued batches of the same partition that follow it, as one batch (records in
 * offset order, the last position, every ack in order); they leave the queue. Batches of other
 * partitions keep their places.
 */
export function mergeFollowing(first: KafkaSourceBatch, queue: Pending[]): KafkaSourceBatch {
  const parts: KafkaSourceBatch[] = [first];
  let records = first.records.length;
  for (let i = 0; i < queue.length && records < MAX_MERGED_RECORDS;) {
    const b = queue[i].batch;
    if (b.scope !== first.scope) {
      i++;
      continue;
    }
    // Too big to add: stop here, as a later batch of the partition would skip its offsets.
    if (records + b.records.length > MAX_MERGED_RECORDS) break;
    parts.push(b);
    records += b.records.length;
    queue.splice(i, 1);
  }
  if (parts.length === 1) return first;
  const merged: KafkaSourceBatch = {
    records: parts.flatMap((b) => b.records),
    scope: first.scope,
    position: parts[parts.length - 1].position,
    skipUpTo(position) {
      skipUpTo(this, position);
    },
    heartbeat: first.heartbeat,
    ack: async () => {
      for (const b of parts) await b.ack?.();
    },
  };
  if (first.offsets) merged.offsets = concatPerRecord(parts, records, (b) => b.offsets!);
  if (first.timestamps) merged.timestamps = concatPerRecord(parts, records, (b) => b.timestamps!);
  if (first.receivedAt) merged.receivedAt = concatPerRecord(parts, records, (b) => b.receivedAt!);
  return merged;
}

/** One per-record array (offsets, timestamps) of merged batches, end to end. */
function concatPerRecord(parts: readonly KafkaSourceBatch[], length: number, of: (b: KafkaSourceBatch) => Float64Array): Float64Array {
  const out = new Float64Array(length);
  let o = 0;
  for (const b of parts) {
    out.set(of(b), o);
    o += b.records.length;
  }
  return out;
}
