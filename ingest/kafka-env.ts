import type { SASLOptions } from 'kafkajs';
import { FlowwatchError } from '../kernel/errors';
import type { KafkaConfig } from './config';
import type { KafkaConnection } from './sources/kafka-source';

/**
 * Kafka connection from config plus environment. Brokers: config, else $KAFKA_BROKERS.
 * Credentials only from the environment (KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME,
 * KAFKA_SASL_PASSWORD, KAFKA_SSL=true) so they never sit in a config file or a log.
 */
export function kafkaConnection(config: { kafka?: KafkaConfig }, env: NodeJS.ProcessEnv = process.env): KafkaConnection {
  const brokers =
    config.kafka?.brokers ??
    env.KAFKA_BROKERS?.split(',')
      .map((b) => b.trim())
      .filter(Boolean);
  if (!brokers || brokers.length === 0) {
    throw new FlowwatchError(
      'FW_SOURCE',
      'no Kafka brokers: set kafka.brokers in the config or KAFKA_BROKERS in the environment (scripts/services env prints it)',
    );
  }
  let sasl: SASLOptions | undefined;
  const mechanism = env.KAFKA_SASL_MECHANISM;
  if (mechanism) {
    if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
      throw new FlowwatchError('FW_SOURCE', `KAFKA_SASL_MECHANISM: expected plain, scram-sha-256 or scram-sha-512, got "${mechanism}"`);
    }
    sasl = { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' } as SASLOptions;
  }
  return { brokers, clientId: config.kafka?.client_id ?? 'flowwatch', sasl, ssl: env.KAFKA_SSL === 'true' || undefined };
}
