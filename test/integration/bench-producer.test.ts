/**
 * The bench's load generator can send with either Kafka client; both must put a key on the same
 * partition (else a key's events would be split between workers' states) and keep the intended
 * send time as the message timestamp (the bench measures latency from it). Read back with kcat,
 * a client flowwatch did not write.
 *
 * The clients run in a child process on the compiled code (dist/, built by `npm ci`):
 * @platformatic/kafka is an ES module, which Node 20 loads with require() but Jest's module
 * loader does not.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PRODUCER_CLIENTS } from '../../bench/kafka/protocol';
import { brokers, createTopics, uniqueName } from '../support/kafka';

jest.setTimeout(120_000);

const T0 = Date.UTC(2026, 10, 27, 12);
const KEYS = 40;
const PER_CLIENT = 200;

function sendWith(client: string, topic: string): void {
  const script = `
    const { connectProducer } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/bench/kafka/producer-clients.js'))});
    (async () => {
      const p = await connectProducer(process.env.CLIENT, process.env.BROKERS.split(','));
      const messages = [];
      for (let i = 0; i < ${PER_CLIENT}; i++) messages.push({ topic: process.env.TOPIC, key: 'k' + (i % ${KEYS}), value: JSON.stringify({ client: process.env.CLIENT, i }), timestamp: ${T0} + i });
      for (let i = 0; i < messages.length; i += 50) await p.send(messages.slice(i, i + 50));
      await p.close();
    })().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, CLIENT: client, TOPIC: topic, BROKERS: brokers().join(',') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`${client} producer failed (${r.status}): ${r.stderr}`);
}

it('sends with either client: same partition per key, intended time as the timestamp, payload intact', async () => {
  const topic = uniqueName('bench-producer');
  await createTopics([topic], 4);
  for (const client of PRODUCER_CLIENTS) sendWith(client, topic);

  const r = spawnSync('kcat', ['-C', '-b', brokers().join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k\t%p\t%T\t%s\n'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.status).toBe(0);
  const messages = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [key, partition, ts, value] = l.split('\t');
      return { key, partition: Number(partition), ts: Number(ts), value: JSON.parse(value) as { client: string; i: number } };
    });
  expect(messages).toHaveLength(PER_CLIENT * PRODUCER_CLIENTS.length);

  const partitionOf = new Map<string, Set<number>>();
  for (const m of messages) {
    expect(m.key).toBe(`k${m.value.i % KEYS}`);
    expect(m.ts).toBe(T0 + m.value.i);
    let s = partitionOf.get(m.key);
    if (!s) partitionOf.set(m.key, (s = new Set()));
    s.add(m.partition);
  }
  // Every key on one partition whichever client sent it, and the keys spread over the partitions.
  for (const [key, parts] of partitionOf) expect([key, [...parts]]).toEqual([key, [expect.any(Number)]]);
  expect(new Set(messages.map((m) => m.partition)).size).toBe(4);
  for (const client of PRODUCER_CLIENTS) expect(messages.filter((m) => m.value.client === client)).toHaveLength(PER_CLIENT);
});
