/**
 * The Kafka client the bench's load generator sends with, behind one small interface.
 *
 * Measured on this 2-core box (docs/bench.md, "Kafka clients"): kafkajs spends 16–20 µs of CPU
 * per produced message, @platformatic/kafka 6–7 µs. The producer shares the box with the worker it
 * loads, so at 30k events/s kafkajs took ~half a core that the system under test then lacked.
 * Both partition like Kafka's Java client (murmur2 of the key, sign bit masked), so the same
 * key lands on the same partition whichever client sent it.
 */
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { Producer as PlatformaticProducer, murmur2, stringSerializers } from '@platformatic/kafka';
import type { ProducerClientName } from './protocol';

export interface BenchMessage {
  topic: string;
  key: string;
  value: string;
  /** Kafka message timestamp (CreateTime), epoch ms: the event's intended send time. */
  timestamp: number;
}

export interface BenchProducerClient {
  /** One produce round (acks=1); resolves once the broker acknowledged every message. */
  send(messages: BenchMessage[]): Promise<void>;
  close(): Promise<void>;
}

export async function connectProducer(name: ProducerClientName, brokers: string[]): Promise<BenchProducerClient> {
  return name === 'kafkajs' ? connectKafkajs(brokers) : connectPlatformatic(brokers);
}

async function connectKafkajs(brokers: string[]): Promise<BenchProducerClient> {
  const kafka = new Kafka({ clientId: 'flowwatch-bench-producer', brokers, logLevel: logLevel.NOTHING });
  const p = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await p.connect();
  return {
    async send(messages) {
      const byTopic = new Map<string, Array<{ key: string; value: string; timestamp: string }>>();
      for (const m of messages) {
        let list = byTopic.get(m.topic);
        if (!list) byTopic.set(m.topic, (list = []));
        list.push({ key: m.key, value: m.value, timestamp: String(m.timestamp) });
      }
      await p.sendBatch({ topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })), acks: 1 });
    },
    close: () => p.disconnect(),
  };
}

async function connectPlatformatic(brokers: string[]): Promise<BenchProducerClient> {
  const p = new PlatformaticProducer({
    clientId: 'flowwatch-bench-producer',
    bootstrapBrokers: brokers,
    serializers: stringSerializers,
    // kafkajs's (and Java's) default: murmur2 of the key, made positive, modulo the partition count
    // (the producer applies the modulo), so both clients put a key on the same partition.
    partitioner: (m: { key?: string }) => (m.key ? murmur2(Buffer.from(m.key)) & 0x7fffffff : 0),
    acks: 1,
    autocreateTopics: false,
  });
  // Connect (metadata) now, so the first timed send does not pay for it.
  await p.metadata({ topics: [] });
  return {
    async send(messages) {
      await p.send({
        messages: messages.map((m) => ({ topic: m.topic, key: m.key, value: m.value, timestamp: BigInt(m.timestamp) })),
      });
    },
    close: () => p.close(),
  };
}
