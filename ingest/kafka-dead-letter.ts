import type { Producer } from 'kafkajs';
import type { Reject } from '../core/types';
import type { DeadLetterOutput } from './dead-letter';

/**
 * Dead-letter topic: the original payload as the message value, the reason in headers
 * (fw-reason, fw-detail, fw-stream, fw-source, fw-at), one produce call per batch.
 */
export class KafkaDeadLetter implements DeadLetterOutput {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  async write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: rejects.map((r) => ({
        key: r.stream,
        value: r.raw,
        headers: { 'fw-reason': r.reason, 'fw-detail': r.detail, 'fw-stream': r.stream, 'fw-source': r.source ?? '', 'fw-at': new Date(r.at).toISOString() },
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
