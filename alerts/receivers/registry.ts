import { z } from 'zod';
import { FlowwatchError } from '../../kernel/errors';
import { consoleReceiver, consoleReceiverSchema } from './console';
import { jsonl, jsonlReceiverSchema } from './jsonl';
import { kafka, kafkaReceiverSchema } from './kafka';
import { webhook, webhookReceiverSchema } from './webhook';
import { alertmanager } from './alertmanager';
import { alertmanagerReceiverSchema } from './alertmanager-config';
import type { Receiver, ReceiverContext, ReceiverFactory } from './types';

export type { Receiver, ReceiverContext, ReceiverFactory };
export { RetryableError, PermanentError } from './types';

/** Every receiver type: one file, one line here, one schema in the union below. */
export const receiverFactories: readonly ReceiverFactory[] = [consoleReceiver, jsonl, webhook, kafka, alertmanager];

/** Schema of one entry of the config's `receivers` list. */
export const receiverSchema = z.discriminatedUnion('type', [
  consoleReceiverSchema,
  jsonlReceiverSchema,
  webhookReceiverSchema,
  kafkaReceiverSchema,
  alertmanagerReceiverSchema,
]);

export type ReceiverConfig = z.output<typeof receiverSchema>;

const byType = new Map(receiverFactories.map((f) => [f.type, f]));

/** Builds receivers from config. Secrets are read from the environment here, once. */
export function createReceivers(configs: readonly ReceiverConfig[], ctx: ReceiverContext = {}): Receiver[] {
  return configs.map((c) => {
    const factory = byType.get(c.type);
    if (!factory)
      throw new FlowwatchError('FW_NOTIFY', `unknown receiver type ${JSON.stringify(c.type)} (known: ${[...byType.keys()].join(', ')})`);
    return factory.create(c, ctx);
  });
}
