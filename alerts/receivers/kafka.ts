import type { Producer } from 'kafkajs';
import { z } from 'zod';
import type { Alert } from '../../kernel/types';
import { alertJson, stableId, type NotifyContext } from '../notification';
import { PermanentError, RetryableError, receiverName, type Receiver, type ReceiverFactory } from './types';

export const kafkaReceiverSchema = z
  .object({ type: z.literal('kafka'), name: receiverName.default('kafka'), topic: z.string().min(1).default('flowwatch.alerts') })
  .strict();
export type KafkaReceiverConfig = z.output<typeof kafkaReceiverSchema>;

/**
 * One Kafka message per alert in the notification, keyed by fingerprint (so one alert's
 * messages stay in order on one partition), value the alert JSON, headers with the notification
 * id and reason. acks=all; retriable Kafka errors are retryable, others permanent.
 */
export class KafkaAlertReceiver implements Receiver {
  private connected?: Promise<void>;
  constructor(
    readonly name: string,
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  async notify(alerts: readonly Alert[], ctx?: NotifyContext): Promise<void> {
    if (alerts.length === 0) return;
    const n = ctx?.notification;
    try {
      this.connected ??= this.producer.connect();
      await this.connected;
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: alerts.map((a) => ({
          key: a.fingerprint,
          value: JSON.stringify(alertJson(a)),
          headers: { 'fw-notification-id': n?.id ?? stableId(this.name, a.id), 'fw-reason': n?.reason ?? 'new', 'fw-alert-id': a.id },
        })),
      });
    } catch (err) {
      this.connected = undefined;
      const e = err as Error & { retriable?: boolean };
      if (e.retriable === false && e.name !== 'KafkaJSConnectionError' && e.name !== 'KafkaJSNumberOfRetriesExceeded') {
        throw new PermanentError(`kafka receiver ${this.name} (${this.topic}): ${e.message}`, { cause: err });
      }
      throw new RetryableError(`kafka receiver ${this.name} (${this.topic}): ${e.message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect().catch(() => undefined);
  }
}

export const kafka: ReceiverFactory<KafkaReceiverConfig> = {
  type: 'kafka',
  description: 'One Kafka message per alert, keyed by fingerprint, with the notification id and reason in headers.',
  schema: kafkaReceiverSchema,
  create: (c, ctx) => {
    if (!ctx.kafkaProducer) throw new Error(`receiver ${c.name}: no Kafka connection to produce to ${c.topic}`);
    return new KafkaAlertReceiver(c.name, ctx.kafkaProducer(), c.topic);
  },
};
