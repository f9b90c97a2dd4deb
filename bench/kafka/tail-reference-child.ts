/**
 * The latency reference of the kafka scenario, in a process of its own (child_process.fork): a raw
 * kafkajs consumer — consume and drop — on the run's topics in its own group, with the worker's
 * fetch settings (ingest/sources/kafka-source.ts), stamping each fetched batch on arrival as the
 * worker's source does. Its send → fetched is what the producer, the broker, the client and the box
 * impose before any of flowwatch's code runs; next to the worker's own send → fetched in the same step.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { consumerFetchSettings } from '../../ingest/sources/kafka-source';
import { LatencyHistogram, type LatencySummary } from '../histogram';

export type ToTailReference =
  | { type: 'start'; brokers: string[]; topics: string[]; groupId: string; fetchWaitMs?: number }
  /** Record records sent at or after `since` (epoch ms) from now on, into a fresh histogram. */
  | { type: 'measure'; since: number }
  | { type: 'summary' }
  | { type: 'stop' };
export type FromTailReference =
  { type: 'joined' } | { type: 'summary'; fetched: LatencySummary; batches: number } | { type: 'error'; message: string };

let consumer: Consumer | null = null;
let since = Infinity;
let fetched = new LatencyHistogram();
let batches = 0;

function send(m: FromTailReference): void {
  process.send?.(m);
}

async function start(m: Extract<ToTailReference, { type: 'start' }>): Promise<void> {
  const kafka = new Kafka({ clientId: 'flowwatch-bench-tail', brokers: m.brokers, logLevel: logLevel.NOTHING });
  // What KafkaSource.createConsumer sets (the fetch's shape and wait), nothing else.
  consumer = kafka.consumer({ ...consumerFetchSettings(m), allowAutoTopicCreation: false });
  consumer.on(consumer.events.GROUP_JOIN, () => send({ type: 'joined' }));
  await consumer.connect();
  // From the end: the group joins before the measured step and reads what it sends.
  await consumer.subscribe({ topics: m.topics, fromBeginning: false });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      // One stamp per fetched batch, on arrival, as the worker's source does (Date.now, the same clock).
      const at = Date.now();
      batches++;
      for (const msg of batch.messages) {
        const ts = Number(msg.timestamp);
        if (ts >= since - 1) fetched.recordMs(at - ts);
      }
    },
  });
}

process.on('message', (m: ToTailReference) => {
  if (m.type === 'start') start(m).catch((err: Error) => send({ type: 'error', message: err.message }));
  else if (m.type === 'measure') {
    since = m.since;
    fetched = new LatencyHistogram();
    batches = 0;
  } else if (m.type === 'summary') send({ type: 'summary', fetched: fetched.summary(), batches });
  else
    void Promise.resolve(consumer?.disconnect())
      .catch(() => undefined)
      .then(() => process.exit(0));
});
// The parent gone: nothing left to report to.
process.on('disconnect', () => process.exit(0));
