/**
 * The raw-consumer reference of the backlog bench, in a process of its own (child_process.fork) so
 * its whole-process CPU can be read from /proc like the worker's: kafkajs `eachBatch`, consume and
 * drop (the same reference as the kafka scenario's), reading the run's topics from the beginning.
 * The parent asks for the count with `sample` and reads /proc when the answer arrives, so the count
 * and the CPU reading are taken together.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';

export type ToRawConsumer = { type: 'start'; brokers: string[]; topics: string[]; groupId: string } | { type: 'sample' } | { type: 'stop' };
export type FromRawConsumer = { type: 'count'; n: number } | { type: 'error'; message: string };

let consumer: Consumer | null = null;
let n = 0;

function send(m: FromRawConsumer): void {
  process.send?.(m);
}

async function start(brokers: string[], topics: string[], groupId: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'flowwatch-bench-raw', brokers, logLevel: logLevel.NOTHING });
  consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset }) => {
      n += batch.messages.length;
      resolveOffset(batch.lastOffset());
    },
  });
}

process.on('message', (m: ToRawConsumer) => {
  if (m.type === 'start') start(m.brokers, m.topics, m.groupId).catch((err: Error) => send({ type: 'error', message: err.message }));
  else if (m.type === 'sample') send({ type: 'count', n });
  else
    void Promise.resolve(consumer?.disconnect())
      .catch(() => undefined)
      .then(() => process.exit(0));
});
// The parent gone: nothing left to report to.
process.on('disconnect', () => process.exit(0));
