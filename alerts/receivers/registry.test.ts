import type { Producer } from 'kafkajs';
import { ManualClock } from '../../kernel/clock';
import { ConsoleReceiver } from './console';
import { JsonlFileReceiver } from './jsonl';
import { KafkaAlertReceiver } from './kafka';
import { createReceivers, receiverFactories, receiverSchema } from './registry';
import { WebhookReceiver } from './webhook';
import { AlertmanagerReceiver } from './alertmanager';

/** A minimal valid config per type. */
const samples: Record<string, Record<string, unknown>> = {
  console: {},
  jsonl: { path: '/tmp/flowwatch-alerts.jsonl' },
  webhook: { url: 'http://127.0.0.1:9/hook' },
  kafka: {},
  alertmanager: { urls: ['http://127.0.0.1:9'] },
};
const classes: Record<string, unknown> = {
  console: ConsoleReceiver,
  jsonl: JsonlFileReceiver,
  webhook: WebhookReceiver,
  kafka: KafkaAlertReceiver,
  alertmanager: AlertmanagerReceiver,
};

describe('receiver registry', () => {
  it('has one factory per type, each with a schema in the union, building its receiver', () => {
    expect(receiverFactories.map((f) => f.type)).toEqual(['console', 'jsonl', 'webhook', 'kafka', 'alertmanager']);
    for (const f of receiverFactories) {
      const parsed = receiverSchema.parse({ type: f.type, ...samples[f.type] });
      expect(parsed).toMatchObject({ type: f.type, name: f.type });
      expect(f.schema.parse({ type: f.type, ...samples[f.type] })).toEqual(parsed);
      const [r] = createReceivers([parsed], { kafkaProducer: () => ({}) as Producer, clock: new ManualClock(0) });
      expect(r).toBeInstanceOf(classes[f.type]);
      expect(r.name).toBe(f.type);
      expect(f.description.length).toBeGreaterThan(10);
    }
  });

  it('a kafka receiver needs a Kafka connection; a webhook secret must be in the environment', () => {
    expect(() => createReceivers([receiverSchema.parse({ type: 'kafka' })])).toThrow(
      'receiver kafka: no Kafka connection to produce to flowwatch.alerts',
    );
    expect(() =>
      createReceivers([receiverSchema.parse({ type: 'webhook', url: 'http://x/', secret_env: 'FW_TEST_UNSET_SECRET' })], { env: {} }),
    ).toThrow('receiver webhook: secret_env names FW_TEST_UNSET_SECRET, but it is not set in the environment');
  });
});
