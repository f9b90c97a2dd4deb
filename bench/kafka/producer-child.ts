/**
 * The bench's load generator, run as its own process (child_process.fork) so its CPU is not the
 * worker's: open-loop sends at a fixed offered rate, every message stamped with its INTENDED send
 * time (Kafka message timestamp = CreateTime, and the payload's event time), keyed by entity.
 */
import { LatencyHistogram } from '../histogram';
import { OpenLoopSchedule } from '../schedule';
import { Workload } from '../workload';
import { connectProducer, type BenchMessage, type BenchProducerClient } from './producer-clients';
import type { FromProducer, ProducerSetup, ToProducer } from './protocol';

const TICK_MS = 1;
/** Produce requests in flight at most; beyond, the sender waits (and falls behind schedule, which is reported). */
const MAX_IN_FLIGHT = 16;

let producer: BenchProducerClient | null = null;
let workload: Workload | null = null;
let setup: ProducerSetup | null = null;

function send(m: FromProducer): void {
  process.send?.(m);
}

async function onSetup(s: ProducerSetup): Promise<void> {
  setup = s;
  producer = await connectProducer(s.client, s.brokers);
  workload = new Workload({ flows: s.flows, keys: s.keys, skew: s.skew, seed: s.seed });
  send({ type: 'ready' });
}

async function onRun(rate: number, durationMs: number, startAt: number): Promise<void> {
  const p = producer!;
  const w = workload!;
  const topics = setup!.topics;
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const sched = new OpenLoopSchedule(rate, startAt, total);
  let sent = 0;
  let acked = 0;
  let inFlight = 0;
  let errors = 0;
  let maxLagMs = 0;
  let lastProgress = 0;
  // Intended send time → the broker's ack, per message: the producer's and the broker's share of the latency.
  const acks = new LatencyHistogram();
  while (sent < total) {
    const now = Date.now();
    if (now < startAt) {
      await sleep(Math.min(TICK_MS, startAt - now));
      continue;
    }
    const due = sched.dueBy(now);
    if (due > sent && inFlight < MAX_IN_FLIGHT) {
      const lag = sched.lagMs(sent, now);
      if (lag > maxLagMs) maxLagMs = lag;
      const messages: BenchMessage[] = [];
      const n = due - sent;
      const intended = new Float64Array(n);
      for (let i = sent; i < due; i++) {
        const t = Math.round(sched.intendedTime(i));
        intended[i - sent] = t;
        const e = w.next(t);
        messages.push({ topic: topics[e.stream]!, key: e.key, value: e.value, timestamp: t });
      }
      sent = due;
      inFlight++;
      p.send(messages)
        .then(() => {
          acked += n;
          const at = Date.now();
          for (let i = 0; i < n; i++) acks.recordMs(at - intended[i]);
        })
        .catch(() => (errors += n))
        .finally(() => inFlight--);
    }
    if (now - lastProgress >= 250) {
      lastProgress = now;
      send({ type: 'progress', sent, acked, lagMs: sched.lagMs(sent, now) });
    }
    await sleep(TICK_MS);
  }
  while (inFlight > 0) await sleep(1);
  send({ type: 'progress', sent, acked, lagMs: 0 });
  send({ type: 'done', sent, acked, maxLagMs, errors, ackMs: acks.summary() });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

process.on('message', (m: ToProducer) => {
  const run = async () => {
    if (m.type === 'setup') await onSetup(m);
    else if (m.type === 'run') await onRun(m.rate, m.durationMs, m.startAt);
    else if (m.type === 'stop') {
      await producer?.close().catch(() => undefined);
      process.exit(0);
    }
  };
  run().catch((err: unknown) => send({ type: 'error', message: (err as Error)?.message ?? String(err) }));
});
process.on('disconnect', () => process.exit(0));
