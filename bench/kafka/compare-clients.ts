/**
 * kafkajs against @platformatic/kafka on this machine's broker: CPU per message to produce
 * (rounds of a fixed size, 16 in flight, acks=1, as the bench's load generator sends) and to
 * consume (a fresh group from the earliest offset, every message touched). Each client runs in
 * its own child process, one after the other, so neither shares a CPU with the other.
 *
 *   npm run bench:clients            (needs $KAFKA_BROKERS; `scripts/services up` starts a broker)
 *
 * Why: the issue asks whether kafkajs is the ceiling; docs/bench.md ("Kafka clients") has the
 * figures and what was done with them.
 */
import { fork } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, MessagesStreamModes } from '@platformatic/kafka';
import { connectProducer } from './producer-clients';
import { PRODUCER_CLIENTS, type ProducerClientName } from './protocol';

const MESSAGES = 300_000;
const ROUNDS = [30, 300];
const IN_FLIGHT = 16;

interface Measured {
  messages: number;
  perSec: number;
  cpuMicrosPerMessage: number;
}

function payload(i: number): string {
  return `{"gate":"g-${i % 10_000}","ts":"2026-11-27T16:00:00.000Z","count":${i % 97},"density":${(i % 13) / 10},"dir":"in","site":"central-station-north"}`;
}

function measure<T>(fn: () => Promise<T>): Promise<{ result: T; wallS: number; cpuS: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return fn().then((result) => {
    const cu = process.cpuUsage(c0);
    return { result, wallS: (performance.now() - t0) / 1000, cpuS: (cu.user + cu.system) / 1e6 };
  });
}

async function produce(client: ProducerClientName, brokers: string[], topic: string, round: number): Promise<Measured> {
  const p = await connectProducer(client, brokers);
  await p.send([{ topic, key: 'warm-up', value: '{}', timestamp: Date.now() }]);
  const m = await measure(
    () =>
      new Promise<void>((resolve, reject) => {
        let sent = 0;
        let acked = 0;
        let inFlight = 0;
        const pump = () => {
          while (inFlight < IN_FLIGHT && sent < MESSAGES) {
            const now = Date.now();
            const batch = [];
            for (let i = 0; i < round && sent < MESSAGES; i++, sent++)
              batch.push({ topic, key: `k-${sent % 10_000}`, value: payload(sent), timestamp: now });
            inFlight++;
            p.send(batch).then(() => {
              inFlight--;
              acked += batch.length;
              if (acked >= MESSAGES) resolve();
              else pump();
            }, reject);
          }
        };
        pump();
      }),
  );
  await p.close();
  return { messages: MESSAGES, perSec: Math.round(MESSAGES / m.wallS), cpuMicrosPerMessage: (m.cpuS * 1e6) / MESSAGES };
}

async function consume(client: ProducerClientName, brokers: string[], topic: string, total: number): Promise<Measured> {
  const groupId = `compare-${client}-${Date.now()}`;
  let n = 0;
  const closers: Array<() => Promise<unknown>> = [];
  let startCpu: NodeJS.CpuUsage | null = null;
  let startWall = 0;
  const done = new Promise<void>((resolve, reject) => {
    const seen = () => {
      if (startCpu === null) {
        startCpu = process.cpuUsage();
        startWall = performance.now();
      }
      n++;
      if (n === total) resolve();
    };
    if (client === 'kafkajs') {
      const c = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({ groupId, maxWaitTimeInMs: 100 });
      closers.push(() => c.disconnect());
      void (async () => {
        await c.connect();
        await c.subscribe({ topic, fromBeginning: true });
        await c.run({ partitionsConsumedConcurrently: 4, eachBatch: async ({ batch }) => batch.messages.forEach(seen) });
      })().catch(reject);
    } else {
      const c = new Consumer({ clientId: 'flowwatch-compare', groupId, bootstrapBrokers: brokers, maxWaitTime: 100 });
      closers.push(() => new Promise<void>((resolve) => c.close(true, () => resolve())));
      c.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
        .then((s) => s.on('data', seen))
        .catch(reject);
    }
  });
  await done;
  const cu = process.cpuUsage(startCpu!);
  const wallS = (performance.now() - startWall) / 1000;
  for (const close of closers) await close().catch(() => undefined);
  return { messages: n, perSec: Math.round(n / wallS), cpuMicrosPerMessage: (cu.user + cu.system) / n };
}

type Job =
  | { what: 'produce'; client: ProducerClientName; round: number; topic: string }
  | { what: 'consume'; client: ProducerClientName; topic: string; total: number };

/** Runs one measurement in a child process (a fresh heap and JIT for each client). */
function inChild(job: Job): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m: { ok: true; measured: Measured } | { ok: false; error: string }) =>
      m.ok ? resolve(m.measured) : reject(new Error(m.error)),
    );
    child.once('exit', (code) => code !== 0 && reject(new Error(`measurement exited with ${code}`)));
    child.send(job);
  });
}

function brokersFromEnv(): string[] {
  const b = process.env.KAFKA_BROKERS;
  if (!b) {
    console.error(
      'compare-clients: set KAFKA_BROKERS (host:port[,…]); `scripts/services up` then `eval "$(scripts/services env)"` starts and names a local broker',
    );
    process.exit(2);
  }
  return b.split(',');
}

async function main(): Promise<void> {
  const brokers = brokersFromEnv();
  const topic = `compare-clients-${Date.now().toString(36)}`;
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  const rows: string[] = [];
  let produced = 0;
  try {
    for (const round of ROUNDS) {
      for (const client of PRODUCER_CLIENTS) {
        console.error(`  produce ${client}, rounds of ${round} …`);
        const m = await inChild({ what: 'produce', client, round, topic });
        produced += m.messages + 1;
        rows.push(
          `produce  ${client.padEnd(13)} rounds of ${String(round).padEnd(4)} ${m.perSec.toLocaleString('en-US').padStart(9)} msg/s   ${m.cpuMicrosPerMessage.toFixed(2).padStart(6)} µs CPU/msg`,
        );
      }
    }
    for (const client of PRODUCER_CLIENTS) {
      console.error(`  consume ${client}, ${produced.toLocaleString('en-US')} messages …`);
      const m = await inChild({ what: 'consume', client, topic, total: produced });
      rows.push(
        `consume  ${client.padEnd(13)} ${' '.repeat(14)} ${m.perSec.toLocaleString('en-US').padStart(9)} msg/s   ${m.cpuMicrosPerMessage.toFixed(2).padStart(6)} µs CPU/msg`,
      );
    }
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
  console.log(rows.join('\n'));
}

if (process.argv.includes('--child')) {
  process.once('message', (job: Job) => {
    const run =
      job.what === 'produce'
        ? produce(job.client, brokersFromEnv(), job.topic, job.round)
        : consume(job.client, brokersFromEnv(), job.topic, job.total);
    run.then(
      (measured) => process.send!({ ok: true, measured }, () => process.exit(0)),
      (err: unknown) => process.send!({ ok: false, error: (err as Error).message ?? String(err) }, () => process.exit(1)),
    );
  });
} else {
  main().catch((err: unknown) => {
    console.error(`compare-clients: ${(err as Error).message ?? err}`);
    process.exit(1);
  });
}
