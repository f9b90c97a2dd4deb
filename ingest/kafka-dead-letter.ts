import type { Producer } from 'kafkajs';
import { FlowwatchError } from '../kernel/errors';
import type { Reject } from '../kernel/types';
import type { DeadLetterOutput } from './dead-letter';

/**
 * Dead-letter topic: the original payload as the message value, the reason in headers
 * (fw-reason, fw-detail, fw-stream, fw-source, fw-at), one produce call per batch, acknowledged
 * by all in-sync replicas (acks -1) before the batch's offsets may be committed.
 *
 * A failed send (brokers down, topic gone, not authorised) rejects with FW_DEAD_LETTER; the
 * runner holds the batch and sends the same rejects again. A send that timed out after the
 * brokers took it can therefore land twice — the at-least-once contract of the topic. So can a
 * batch re-read after a stop or crash between its dead letters and its state commit: unlike
 * FileDeadLetter, the topic does not learn what it holds (a dead-letter partition's last message
 * names one source partition of the many keyed into it; knowing them all takes a scan back, not a
 * read). Consumers de-duplicate on the fw-source header (topic/partition@offset) if they must.
 */
export class KafkaDeadLetter implements DeadLetterOutput {
  /** The producer lost its connection on a failed send: connect again before the next one. */
  private reconnect = false;

  constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  async write(rejects: readonly Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    try {
      if (this.reconnect) {
        await this.producer.connect();
        this.reconnect = false;
      }
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: rejects.map((r) => ({
          key: r.stream,
          // The original bytes, exactly (a binary record's raw is base64 in the Reject).
          value: r.encoding === 'base64' ? Buffer.from(r.raw, 'base64') : r.raw,
          headers: {
            'fw-reason': r.reason,
            'fw-detail': r.detail,
            'fw-stream': r.stream,
            'fw-source': r.source ?? '',
            'fw-at': new Date(r.at).toISOString(),
          },
        })),
      });
    } catch (err) {
      // kafkajs answers "The producer is disconnected" once its connection broke; a fresh connect() recovers it.
      this.reconnect = true;
      throw new FlowwatchError(
        'FW_DEAD_LETTER',
        `dead-letter topic ${this.topic}: cannot send ${rejects.length} reject${rejects.length === 1 ? '' : 's'}`,
        {
          cause: err,
          details: { topic: this.topic, rejects: rejects.length },
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
