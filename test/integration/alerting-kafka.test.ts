/** The Kafka alerts-topic receiver against the real broker, read back with kcat (a client flowwatch did not write). */
import { Partitioners } from 'kafkajs';
import { KafkaAlertReceiver } from '../../alerts/receivers/kafka';
import { makeAlert, resolved } from '../../alerts/testing/fakes';
import type { Notification } from '../../alerts/notification';
import { createTopics, kcatConsumeAll, testKafka, uniqueName } from '../support/kafka';

jest.setTimeout(60_000);

it('one message per alert with the alert JSON and the notification id, reason and alert id in headers', async () => {
  const topic = uniqueName('it-alerts');
  await createTopics([topic], 1);
  const producer = testKafka().producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const r = new KafkaAlertReceiver('alerts-topic', producer, topic);
  const a = makeAlert({ key: 'gate-1', severity: 'critical' });
  const n: Notification = {
    id: 'n-1',
    receiver: 'alerts-topic',
    reason: 'new',
    groupKey: 'g',
    groupLabels: {},
    createdAt: 0,
    alerts: [a, resolved(a)],
  };
  try {
    await r.notify(n.alerts, { notification: n });
  } finally {
    await r.close();
  }
  const got = kcatConsumeAll(topic);
  expect(got.map((m) => JSON.parse(m.value)).map((v) => [v.id, v.status, v.fingerprint])).toEqual([
    [a.id, 'firing', a.fingerprint],
    [resolved(a).id, 'resolved', a.fingerprint],
  ]);
  expect(got[0].headers).toMatchObject({ 'fw-notification-id': 'n-1', 'fw-reason': 'new', 'fw-alert-id': a.id });
});
