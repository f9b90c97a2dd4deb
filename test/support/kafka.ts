import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export function brokers(): string[] {
  const b = process.env.KAFKA_BROKERS;
  if (!b) throw new Error('KAFKA_BROKERS is not set: the integration globalSetup should have set it');
  return b.split(',');
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testKafka(): Kafka {
  return new Kafka({ clientId: 'flowwatch-test', brokers: brokers(), logLevel: logLevel.NOTHING });
}

export async function createTopics(topics: string[], partitions = 4): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Produces with kcat, a client flowwatch did not write. Lines are "key\tvalue". */
/**
 * A backlog of `events` JSON records `{id, k, v, t}` over `keys` keys (`K0`…, round robin; event time
 * from 30 min ago, 1 ms apart), sent in rounds of 2,000; returns how many each key got — what an
 * exact worker's window counts must add up to (crash recovery, threads).
 */
export async function produceCountedBacklog(topic: string, events: number, keys: number): Promise<Map<string, number>> {
  const producer = testKafka().producer();
  await producer.connect();
  const expected = new Map<string, number>();
  const t0 = Date.now() - 30 * 60_000;
  for (let start = 0; start < events; start += 2000) {
    const messages = [];
    for (let i = start; i < Math.min(events, start + 2000); i++) {
      const key = `K${i % keys}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
      messages.push({ key, value: JSON.stringify({ id: `e${i}`, k: key, v: i % 7, t: t0 + i }) });
    }
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
  return expected;
}

export function kcatProduce(topic: string, lines: Array<[string, string]>): void {
  const r = spawnSync('kcat', ['-P', '-b', brokers().join(','), '-t', topic, '-K', '\t'], {
    input: lines.map(([k, v]) => `${k}\t${v}`).join('\n') + '\n',
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`kcat produce failed: ${r.stderr}`);
}

/** Reads a whole topic with kcat: value and headers of each message. */
export function kcatConsumeAll(topic: string): Array<{ value: string; headers: Record<string, string> }> {
  const r = spawnSync('kcat', ['-C', '-b', brokers().join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%h\u0001%s\u0002'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`kcat consume failed: ${r.stderr}`);
  return r.stdout
    .split('\u0002')
    .filter((m) => m.includes('\u0001'))
    .map((m) => {
      const [h, value] = m.replace(/^\n/, '').split('\u0001');
      const headers: Record<string, string> = {};
      for (const pair of h.split(/,(?=[A-Za-z0-9_-]+=)/)) {
        const i = pair.indexOf('=');
        if (i > 0) headers[pair.slice(0, i)] = pair.slice(i + 1);
      }
      return { value, headers };
    });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
