import type { Producer } from 'kafkajs';
import type { ReceiverConfig } from '../config';
import { ConsoleReceiver } from './console';
import { JsonlFileReceiver } from './jsonl';
import { KafkaAlertReceiver } from './kafka';
import { WebhookReceiver, webhookSecret } from './webhook';
import { createAlertmanagerReceiver, type AlertmanagerFactoryOptions } from './alertmanager';
import type { Receiver } from './types';

export type { Receiver };
export { RetryableError, PermanentError } from './types';

export interface ReceiverFactoryOptions extends AlertmanagerFactoryOptions {
  /** From --json: console receivers print JSON lines. */
  json?: boolean;
  color?: boolean;
  env?: NodeJS.ProcessEnv;
  /** A Kafka producer for `kafka` receivers (built only when one is configured). */
  kafkaProducer?: () => Producer;
}

/** Builds receivers from config. Secrets are read from the environment here, once. */
export function createReceivers(configs: readonly ReceiverConfig[], opts: ReceiverFactoryOptions = {}): Receiver[] {
  return configs.map((c): Receiver => {
    switch (c.type) {
      case 'console':
        return new ConsoleReceiver(c.name, { json: c.json ?? opts.json ?? false, color: opts.color });
      case 'jsonl':
        return new JsonlFileReceiver(c.name, c.path);
      case 'webhook':
        return new WebhookReceiver(c.name, { url: c.url, secret: webhookSecret(c.name, c.secret_env, opts.env), timeoutMs: c.timeout, headers: c.headers, format: c.format, externalUrl: c.external_url ?? opts.externalUrl, maxAlerts: c.max_alerts });
      case 'alertmanager':
        return createAlertmanagerReceiver(c, opts);
      case 'kafka': {
        if (!opts.kafkaProducer) throw new Error(`receiver ${c.name}: no Kafka connection to produce to ${c.topic}`);
        return new KafkaAlertReceiver(c.name, opts.kafkaProducer(), c.topic);
      }
    }
  });
}
