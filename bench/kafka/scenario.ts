import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import Redis from 'ioredis';
import type { FlowwatchConfig } from '../../config/schema';
import { createRootLogger, type Logger } from '../../kernel/logger';
import { FlowwatchError } from '../../kernel/errors';
import { Pipeline } from '../../worker/pipeline';
import type { FlowName } from '../../ingest/simulator';
import { LatencyHistogram, type LatencySummary } from '../histogram';
import { DEFAULT_CRITERIA, judgeStep, searchSustainable, type StepMeasure, type SustainCriteria } from '../search';
import { ensureServices, type Services } from '../services';
import { perSecond, round } from '../stats';
import type { FromProducer, ProducerClientName, ToProducer } from './protocol';
import { warmupVerdict } from '../warmup';
import { boxProcesses, ProcessCpu } from '../proc-cpu';
import { benchConfig, examplesDir, type BenchConfigInputs } from './config';
import { StepRecorder } from './recorder';
import { TailReference } from './tail-reference';
import { ThreadedBenchWorker } from './threaded-worker';
import { BenchWorker, type StepWorker } from './worker';

export { benchConfig, examplesDir, type RawConfig } from './config';

export interface KafkaBenchOptions {
  flows: FlowName[];
  keys: number;
  skew: number;
  /** Length of each offered-rate step, ms. */
  stepMs: number;
  /** Fixed offered rate: one step at this rate instead of the search. */
  rate?: number;
  /** First rate of the search, and its ceiling. */
  startRate: number;
  maxRate: number;
  sink: boolean;
  partitions: number;
  seed: number;
  /** Skip the raw-consumer and naive references. */
  skipReferences?: boolean;
  criteria?: SustainCriteria;
  /**
   * full: alerts go through the configured alerting stage (routing, grouping, alert store, outbox:
   * what `flowwatch run` wires). direct: straight to a JSONL file, one write per batch — the core
   * pipeline without the alerting stage's cost.
   */
  alerting?: 'full' | 'direct';
  /** Where the alerting stage keeps alert state (config `alerting.store`); default: the config's (like state: redis). */
  alertStore?: 'memory' | 'redis';
  /** Config `kafka.fetch_wait` for the worker, ms (default: the config's, else the source's default). */
  fetchWaitMs?: number;
  /** The Kafka client the load generator (a separate process) sends with. */
  producerClient: ProducerClientName;
  /**
   * 1 (default): the worker runs in the bench's own thread, as before. N ≥ 2: N worker threads of
   * the bench process, each a whole worker in the run's consumer group (`flowwatch run --threads N`).
   */
  threads?: number;
  /** Progress lines (stderr). */
  progress: (line: string, final?: boolean) => void;
  log?: Logger;
}

export interface StepReport {
  phase: 'warmup' | 'search' | 'latency' | 'fixed';
  offered: number;
  sent: number;
  achieved: number;
  sustainable: boolean;
  reason: string;
  backlogEnd: number;
  backlogGrowthPerSec: number;
  producerMaxLagMs: number;
  workerCpuPct: number;
  /**
   * CPU (% of a core) of each process on the box during the step, where it could be read
   * (bench/proc-cpu.ts): worker, producer (the load generator), kafka, redis, influxdb.
   */
  cpuPct: Record<string, number>;
  batches: number;
  /** Alert state changes (firing, resolved) the worker handed to the alerting stage during the step. */
  alertChanges: number;
  /** Wall ms per second spent awaiting the alerting stage (dispatcher.dispatch) and state commits. */
  alertStageMsPerSec: number;
  stateCommitMsPerSec: number;
  latencyMs: StepLatencies;
}

/**
 * A step's latencies, ms from each event's intended send time. `acked` (the load generator: the
 * broker acknowledged the event) and `rawFetched` (the latency reference, a raw kafkajs consumer
 * with the worker's fetch settings in its own group and process: the event's fetch arrived) are
 * measured at the half-rate step (and a `--rate` step) unless references are off.
 */
export interface StepLatencies {
  state: LatencySummary;
  alert: LatencySummary;
  pickup: LatencySummary;
  delivery: LatencySummary;
  acked?: LatencySummary;
  rawFetched?: LatencySummary;
}

export interface KafkaBenchResult {
  scenario: 'kafka';
  flows: FlowName[];
  keys: number;
  skew: number;
  sink: boolean;
  alerting: 'full' | 'direct';
  partitions: number;
  /** The load generator's Kafka client. */
  producerClient: ProducerClientName;
  /** Worker threads (1: the worker in the bench's own thread; absent from results of older builds). */
  threads?: number;
  stepSeconds: number;
  sustainableEventsPerSec: number;
  /** Lowest offered rate that failed (null if none did). */
  unsustainableEventsPerSec: number | null;
  latencyOfferedEventsPerSec: number;
  /**
   * At the half-rate step: send → state committed, send → alert delivered, and send → the worker
   * starting on the event's batch (`pickup`: producer, broker, fetch and batches queued ahead of
   * it; state − pickup is the pipeline's own work and commit), and of pickup the part before the
   * record's fetch reached the worker (`delivery`: producer, broker, fetch wait).
   */
  latencyMs: StepLatencies;
  /** send→alert over every step after the warm-up (alerts are rare at a steady state: more samples). */
  alertLatencyAllStepsMs: LatencySummary;
  rawConsumerEventsPerSec: number | null;
  naiveEventsPerSec: number | null;
  ratioToRawConsumer: number | null;
  ratioToNaive: number | null;
  steps: StepReport[];
  services: string;
}

class ProducerProcess {
  private readonly child: ChildProcess;
  private listeners: Array<(m: FromProducer) => void> = [];
  sent = 0;
  lagMs = 0;
  constructor() {
    // Compiled: dist/bench/kafka/producer-child.js next to this file.
    this.child = fork(path.join(__dirname, 'producer-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromProducer) => {
      if (m.type === 'progress') {
        this.sent = m.sent;
        this.lagMs = m.lagMs;
      }
      for (const l of [...this.listeners]) l(m);
    });
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  send(m: ToProducer): void {
    this.child.send(m);
  }
  wait<T extends FromProducer['type']>(type: T): Promise<Extract<FromProducer, { type: T }>> {
    return new Promise((resolve, reject) => {
      const l = (m: FromProducer) => {
        if (m.type === type || m.type === 'error') {
          this.listeners = this.listeners.filter((x) => x !== l);
          if (m.type === 'error') reject(new Error(`producer: ${m.message}`));
          else resolve(m as Extract<FromProducer, { type: T }>);
        }
      };
      this.listeners.push(l);
    });
  }
  stop(): void {
    try {
      this.child.send({ type: 'stop' });
    } catch {
      /* already gone */
    }
    setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** The references read at least this many events (a consumer timed over a few batches means nothing). */
const MIN_REFERENCE_EVENTS = 500_000;
const interruptedError = () =>
  new FlowwatchError('FW_USAGE', 'bench interrupted; topics, Redis keys and the InfluxDB database of this run were removed');

export async function runKafkaBench(o: KafkaBenchOptions): Promise<KafkaBenchResult> {
  return new KafkaBench(o).run();
}

type Done = Extract<FromProducer, { type: 'done' }>;

/** One bench run: its topics, database, Redis prefix and files, the load generator, the worker and the steps measured. */
class KafkaBench {
  private readonly log: Logger;
  private readonly services: Services;
  private readonly id: string;
  private readonly dir: string;
  private readonly topics: Record<string, string> = {};
  private readonly topicToStream: Map<string, string>;
  private readonly influxDb: string;
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly cleanups: Array<() => Promise<void> | void> = [];
  private producer: ProducerProcess | null = null;
  private worker: StepWorker | null = null;
  private boxCpu: ProcessCpu | null = null;
  /** Ctrl-C: stop at the next check and clean up (topics, Redis keys, database, servers) on the way out. */
  private interrupted = false;
  private readonly steps: StepReport[] = [];
  private readonly alertsAllSteps = new LatencyHistogram();

  constructor(private readonly o: KafkaBenchOptions) {
    this.log = o.log ?? createRootLogger({ level: process.env.FLOWWATCH_LOG_LEVEL ?? 'warn' });
    this.services = ensureServices(o.sink ? ['kafka', 'redis', 'influxdb'] : ['kafka', 'redis'], (m) => o.progress(m, true));
    this.id = `fwbench-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.id}-`));
    for (const f of o.flows) this.topics[f] = `${this.id}.${f}`;
    this.topicToStream = new Map(Object.entries(this.topics).map(([f, t]) => [t, f]));
    this.influxDb = `fwbench_${this.id.replace(/[^a-z0-9]/g, '_')}`;
    this.kafka = new Kafka({ clientId: 'flowwatch-bench', brokers: this.services.kafkaBrokers, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
  }

  async run(): Promise<KafkaBenchResult> {
    const { o, services, id } = this;
    const onSignal = () => {
      this.interrupted = true;
      o.progress('interrupted: cleaning up', true);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await this.createResources();
      const inputs: BenchConfigInputs = {
        examples: examplesDir(),
        flows: o.flows,
        topics: this.topics,
        brokers: services.kafkaBrokers,
        redisUrl: services.redisUrl,
        prefix: id,
        groupId: `${id}-worker`,
        sink: o.sink,
        influxBucket: `${this.influxDb}/autogen`,
        dir: this.dir,
        alertStore: o.alertStore,
        fetchWaitMs: o.fetchWaitMs,
      };
      const config = benchConfig(inputs);
      const producer = (this.producer = new ProducerProcess());
      producer.send({
        type: 'setup',
        client: o.producerClient,
        brokers: services.kafkaBrokers,
        topics: this.topics,
        flows: o.flows,
        keys: o.keys,
        skew: o.skew,
        seed: o.seed,
      });
      await producer.wait('ready');
      const worker = (this.worker = await this.startWorker(inputs, config));
      this.cleanups.push(() => worker.stop());
      this.boxCpu = this.sampleBox(producer);
      o.progress(
        `kafka bench ${id}: flows ${o.flows.join(',')}, ${o.keys} keys${o.skew > 0 ? `, zipf ${o.skew}` : ''}, ${o.partitions} partitions, sink ${o.sink ? 'influxdb' : 'none'}, alerting ${o.alerting ?? 'full'}, ${o.threads ?? 1} worker thread(s), steps of ${o.stepMs / 1000}s (servers: ${services.origin})`,
        true,
      );
      o.progress(STEP_HEADER, true);
      await this.warmUp();
      const rates = await this.measureRates();
      await worker.stop();
      const refs = o.skipReferences ? { raw: null, naive: null } : await this.references(config);
      return this.result(rates, refs);
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      this.producer?.stop();
      await runCleanups(this.cleanups);
      this.services.stop();
    }
  }

  /** The worker under test: in this thread (`threads` 1), or N worker threads each a whole worker. */
  private async startWorker(inputs: BenchConfigInputs, config: FlowwatchConfig): Promise<StepWorker> {
    const { o, services, id } = this;
    const threads = o.threads ?? 1;
    const common = { id, alerting: o.alerting };
    if (threads <= 1)
      return BenchWorker.start({
        ...common,
        config,
        brokers: services.kafkaBrokers,
        redisUrl: services.redisUrl,
        topicToStream: this.topicToStream,
        log: this.log,
        alertsFile: path.join(this.dir, 'alerts-direct.jsonl'),
      });
    return ThreadedBenchWorker.start(threads, {
      ...common,
      config: inputs,
      topicToStream: [...this.topicToStream],
      // Each thread its own file: two write streams appending to one file interleave partial lines.
      alertsFile: path.join(this.dir, 'alerts-direct-{thread}.jsonl'),
      logLevel: process.env.FLOWWATCH_LOG_LEVEL ?? 'warn',
    });
  }

  /** This run's topics, InfluxDB database (with a sink), and the cleanups that remove them, its Redis keys and its files. */
  private async createResources(): Promise<void> {
    const { admin, cleanups, services, o } = this;
    const topics = Object.values(this.topics);
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: o.partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    cleanups.push(async () => void (await admin.deleteTopics({ topics }).catch(() => undefined)));
    if (o.sink) {
      await influxQuery(services.influxUrl!, `CREATE DATABASE "${this.influxDb}"`);
      cleanups.push(() => influxQuery(services.influxUrl!, `DROP DATABASE "${this.influxDb}"`).catch(() => undefined));
    }
    cleanups.push(() => deleteRedisPrefix(services.redisUrl, this.id));
    cleanups.push(() => fs.rmSync(this.dir, { recursive: true, force: true }));
  }

  /** The other busy processes on the box, the servers by the port they listen on (bench/proc-cpu.ts). */
  private sampleBox(producer: ProducerProcess): ProcessCpu {
    const { services, o } = this;
    const box = boxProcesses(new Map(producer.pid === undefined ? [] : [['producer', producer.pid]]), [
      { name: 'kafka', address: services.kafkaBrokers[0], defaultPort: 9092 },
      { name: 'redis', address: services.redisUrl },
      ...(o.sink ? [{ name: 'influxdb', address: services.influxUrl }] : []),
    ]);
    if (box.unsampled.length > 0)
      o.progress(`  cpu: not sampled (not a process on this machine this user can read): ${box.unsampled.join(', ')}`, true);
    return new ProcessCpu(box.pids);
  }

  /**
   * Warm-up: group join, JIT, every key's state created once, and the workload's one-time storm
   * of first alerts kept out of the measured steps (bench/warmup.ts).
   */
  private async warmUp(): Promise<void> {
    const o = this.o;
    const warmRate = Math.max(1000, Math.round((o.rate ?? o.startRate) / 4));
    const warmMs = Math.max(5000, Math.min(o.stepMs, 10_000));
    const eventsPerKeyPerStep = (warmRate * warmMs) / 1000 / o.keys;
    for (let steps = 1; ; steps++) {
      const warm = await this.step(warmRate, 'warmup', warmMs);
      const v = warmupVerdict({ steps, eventsPerKeyPerStep, alertChanges: warm.report.alertChanges });
      if (!v.done) continue;
      if (!v.settled)
        o.progress(
          `  warning: warm-up stopped after ${steps} steps unsettled (${v.why}); the first measured step may carry the workload's first-alert storm — use fewer --keys, a higher --rate or a longer --duration`,
          true,
        );
      break;
    }
  }

  /** The sustainable rate (one fixed step, or the search), then the latency step at half of it. */
  private async measureRates(): Promise<{ sustainable: number; unsustainable: number | null; latencyRate: number; lat: StepReport }> {
    const o = this.o;
    let sustainable = 0;
    let unsustainable: number | null = null;
    if (o.rate !== undefined) {
      const s = await this.referencedStep(o.rate, 'fixed', o.stepMs);
      sustainable = s.report.sustainable ? o.rate : 0;
      if (!s.report.sustainable) unsustainable = o.rate;
    } else {
      const res = await searchSustainable(
        async (rate) => {
          const s = await this.step(rate, 'search');
          return { sustainable: s.report.sustainable, result: s.report };
        },
        { start: o.startRate, max: o.maxRate, min: 2000 },
      );
      sustainable = res.sustainable;
      unsustainable = Number.isFinite(res.unsustainable) ? res.unsustainable : null;
    }
    const latencyRate = o.rate !== undefined ? o.rate : Math.max(1000, Math.round(sustainable / 2 / 1000) * 1000);
    const lat =
      o.rate !== undefined
        ? this.steps[this.steps.length - 1]
        : (await this.referencedStep(latencyRate, 'latency', Math.max(o.stepMs, 20_000))).report;
    return { sustainable, unsustainable, latencyRate, lat };
  }

  /**
   * A step with the latency reference alongside (tail-reference.ts): a raw kafkajs consumer in its
   * own group and process, joined before the step starts, whose send → fetched is what the
   * producer, broker, client and box impose before flowwatch's code runs. Without references, a plain step.
   */
  private async referencedStep(
    rate: number,
    phase: StepReport['phase'],
    durationMs: number,
  ): Promise<{ report: StepReport; measure: StepMeasure }> {
    if (this.o.skipReferences) return this.step(rate, phase, durationMs);
    const tail = await TailReference.start({
      brokers: this.services.kafkaBrokers,
      topics: Object.values(this.topics),
      groupId: `${this.id}-tail`,
      fetchWaitMs: this.o.fetchWaitMs,
    });
    try {
      return await this.step(rate, phase, durationMs, tail);
    } finally {
      tail.stop();
    }
  }

  /** One offered-rate step: the load generator sends at `rate` for durationMs while the worker's latencies, CPU and backlog are recorded. */
  private async step(
    rate: number,
    phase: StepReport['phase'],
    durationMs = this.o.stepMs,
    tail?: TailReference,
  ): Promise<{ report: StepReport; measure: StepMeasure }> {
    const worker = this.worker!;
    const producer = this.producer!;
    const boxCpu = this.boxCpu!;
    this.check();
    const r = new StepRecorder(Date.now() + 200, durationMs);
    producer.sent = 0;
    worker.rec = r;
    tail?.measure(r.start);
    const tailCpu = new ProcessCpu(new Map(tail?.pid === undefined ? [] : [['raw reference', tail.pid]]));
    const cpu0 = process.cpuUsage();
    boxCpu.start();
    tailCpu.start();
    const before = worker.counters();
    const wall0 = performance.now();
    const { d, lag, committedAtEnd } = await this.send(r, rate, phase);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    const workerCpuPct = round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1);
    const cpuPct = { worker: workerCpuPct, ...boxCpu.stop(wallMs), ...tailCpu.stop(wallMs) };
    await this.drain(r, d.sent);
    worker.rec = null;
    const measure: StepMeasure = {
      offered: rate,
      sent: perSecond(d.sent, durationMs),
      producerMaxLagMs: d.maxLagMs,
      achieved: perSecond(committedAtEnd, durationMs),
      lag,
      p99First: r.thirds[0].percentileMs(99),
      p99Last: r.thirds[2].percentileMs(99),
      latency: r.state.summary(),
    };
    const v = judgeStep(measure, this.o.criteria ?? DEFAULT_CRITERIA);
    const after = worker.counters();
    const report: StepReport = {
      phase,
      offered: rate,
      sent: round(measure.sent),
      achieved: round(measure.achieved),
      sustainable: v.sustainable,
      reason: v.reason,
      backlogEnd: lag.length ? lag[lag.length - 1].events : 0,
      backlogGrowthPerSec: round(v.lagGrowthPerSec),
      producerMaxLagMs: round(d.maxLagMs, 1),
      workerCpuPct,
      cpuPct,
      batches: after.batches - before.batches,
      alertChanges: after.alertChanges - before.alertChanges,
      alertStageMsPerSec: round(((after.dispatchMs - before.dispatchMs) / wallMs) * 1000, 1),
      stateCommitMsPerSec: round(((after.commitMs - before.commitMs) / wallMs) * 1000, 1),
      latencyMs: await stepLatencies(r, d, tail),
    };
    this.steps.push(report);
    if (phase !== 'warmup') this.alertsAllSteps.add(r.alert);
    this.o.progress(stepLine(report), true);
    if (report.latencyMs.rawFetched) this.o.progress(referenceLine(report.latencyMs), true);
    return { report, measure };
  }

  /** Throws when the worker failed or the run was interrupted. */
  private check(): void {
    if (this.worker?.error) throw this.worker.error;
    if (this.interrupted) throw interruptedError();
  }

  /** Has the load generator send the step and waits for it, sampling the backlog (sent − committed) every 250 ms. */
  private async send(
    r: StepRecorder,
    rate: number,
    phase: StepReport['phase'],
  ): Promise<{ d: Done; lag: StepMeasure['lag']; committedAtEnd: number }> {
    const producer = this.producer!;
    const { start: startAt, durationMs } = r;
    producer.send({ type: 'run', rate, durationMs, startAt });
    const done = producer.wait('done');
    const lag: StepMeasure['lag'] = [];
    let finished: Done | null = null;
    void done.then((d) => (finished = d));
    let committedAtEnd = -1;
    while (!finished) {
      await sleep(250);
      const t = (Date.now() - startAt) / 1000;
      if (t < 0) continue;
      const backlog = Math.max(0, producer.sent - r.committed);
      if (t <= durationMs / 1000) lag.push({ t, events: backlog });
      if (committedAtEnd < 0 && t >= durationMs / 1000) committedAtEnd = r.committed;
      this.o.progress(
        `  ${phase} ${fmt(rate)}/s  t=${t.toFixed(1)}s  sent ${fmt(producer.sent)}  committed ${fmt(r.committed)}  backlog ${fmt(backlog)}  p99 ${r.state.percentileMs(99).toFixed(1)} ms`,
      );
      this.check();
    }
    const d = finished as Done;
    if (committedAtEnd < 0) committedAtEnd = r.committed;
    return { d, lag, committedAtEnd };
  }

  /**
   * Lets the backlog drain before the next step (bounded), so the next step starts clean; what is
   * left over is not counted as the next step's work (see StepRecorder.record).
   */
  private async drain(r: StepRecorder, sent: number): Promise<void> {
    const drainUntil = Date.now() + Math.max(30_000, 2 * r.durationMs);
    while (r.committed < sent && Date.now() < drainUntil && !this.interrupted) await sleep(100);
    await sleep(300);
  }

  /** The raw-consumer and naive references over everything in the topics (topped up to MIN_REFERENCE_EVENTS). */
  private async references(config: FlowwatchConfig): Promise<{ raw: number | null; naive: number | null }> {
    const { o, id, admin } = this;
    const producer = this.producer!;
    const topics = Object.values(this.topics);
    let total = await topicSize(admin, topics);
    if (total < MIN_REFERENCE_EVENTS) {
      // A short run leaves too little to time a consumer on: top the topics up, as fast as the producer goes.
      const missing = MIN_REFERENCE_EVENTS - total;
      o.progress(`  topping the topics up with ${fmt(missing)} events for the references`, true);
      producer.send({ type: 'run', rate: 1_000_000, durationMs: Math.ceil(missing / 1000), startAt: Date.now() });
      await producer.wait('done');
      total = await topicSize(admin, topics);
    }
    o.progress(`references over the ${fmt(total)} events now in the topics (consumed from the beginning):`, true);
    const raw = await rawConsumer({ kafka: this.kafka, groupId: `${id}-raw`, total, durationMs: o.stepMs, progress: o.progress }, topics);
    o.progress(`  raw consumer (kafkajs eachBatch, consume and drop): ${fmt(raw)} events/s`, true);
    const naive = await naiveConsumer(
      { kafka: this.kafka, groupId: `${id}-naive`, total, durationMs: o.stepMs, progress: o.progress },
      config,
      this.services.redisUrl,
      this.topicToStream,
    );
    o.progress(`  naive (eachMessage + one Redis round trip per event): ${fmt(naive)} events/s`, true);
    return { raw, naive };
  }

  private result(
    rates: Awaited<ReturnType<KafkaBench['measureRates']>>,
    refs: { raw: number | null; naive: number | null },
  ): KafkaBenchResult {
    const o = this.o;
    const { sustainable, unsustainable, latencyRate, lat } = rates;
    const { raw, naive } = refs;
    return {
      scenario: 'kafka',
      flows: o.flows,
      keys: o.keys,
      skew: o.skew,
      sink: o.sink,
      alerting: o.alerting ?? 'full',
      partitions: o.partitions,
      producerClient: o.producerClient,
      threads: o.threads ?? 1,
      stepSeconds: o.stepMs / 1000,
      sustainableEventsPerSec: sustainable,
      unsustainableEventsPerSec: unsustainable,
      latencyOfferedEventsPerSec: latencyRate,
      latencyMs: lat.latencyMs,
      alertLatencyAllStepsMs: this.alertsAllSteps.summary(),
      rawConsumerEventsPerSec: raw,
      naiveEventsPerSec: naive,
      ratioToRawConsumer: raw ? round(sustainable / raw, 3) : null,
      ratioToNaive: naive ? round(sustainable / naive, 2) : null,
      steps: this.steps,
      services: this.services.origin,
    };
  }
}

export const STEP_HEADER =
  '  phase     offered/s   sent/s  commit/s  backlog  cpu%  box%  batches  alerts  alerts ms/s  commit ms/s   p50 ms   p99 ms  p99.9 ms   max ms  pickup p99  alert p99  verdict';

/** CPU of every process sampled in a step (worker, load generator, servers), in % of one core. */
export function boxCpuPct(r: Pick<StepReport, 'workerCpuPct' | 'cpuPct'>): number {
  if (!r.cpuPct) return r.workerCpuPct; // results of older builds
  let sum = 0;
  for (const v of Object.values(r.cpuPct)) sum += v;
  return sum;
}

/** A step's latencies; with the reference alongside, its send → fetched and the producer's send → acked too. */
async function stepLatencies(r: StepRecorder, d: Done, tail?: TailReference): Promise<StepLatencies> {
  const l: StepLatencies = {
    state: r.state.summary(),
    alert: r.alert.summary(),
    pickup: r.pickup.summary(),
    delivery: r.delivery.summary(),
  };
  if (!tail) return l;
  return { ...l, acked: d.ackMs, rawFetched: (await tail.summary()).fetched };
}

/** The reference's line under a step: where the tail is before flowwatch's code runs. */
export function referenceLine(l: StepLatencies): string {
  const p = (x: LatencySummary | undefined) => (x ? `p50 ${ms(x.p50)} / p99 ${ms(x.p99)} / max ${ms(x.max)}` : '-');
  return `    send→acked (producer) ${p(l.acked)};  send→fetched: raw consumer ${p(l.rawFetched)}, worker ${p(l.delivery)} ms`;
}

export function stepLine(r: StepReport): string {
  const l = r.latencyMs.state;
  return `  ${r.phase.padEnd(8)} ${fmt(r.offered).padStart(10)} ${fmt(r.sent).padStart(8)} ${fmt(r.achieved).padStart(9)} ${fmt(r.backlogEnd).padStart(8)} ${r.workerCpuPct.toFixed(0).padStart(5)} ${boxCpuPct(r).toFixed(0).padStart(5)} ${fmt(r.batches).padStart(8)} ${fmt(r.alertChanges).padStart(7)} ${r.alertStageMsPerSec.toFixed(0).padStart(12)} ${r.stateCommitMsPerSec.toFixed(0).padStart(12)} ${ms(l.p50).padStart(8)} ${ms(l.p99).padStart(8)} ${ms(l.p999).padStart(9)} ${ms(l.max).padStart(8)} ${ms(r.latencyMs.pickup.p99).padStart(10)} ${ms(r.latencyMs.alert.p99).padStart(10)}  ${r.phase === 'warmup' ? '(warm-up)' : r.sustainable ? 'sustainable' : 'NOT: ' + r.reason}`;
}

function fmt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}
function ms(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '-';
}

export async function topicSize(admin: ReturnType<Kafka['admin']>, topics: string[]): Promise<number> {
  let n = 0;
  for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) n += Number(p.high) - Number(p.low);
  return n;
}

/** A reference measurement: its consumer group, and how long it may read (until `total` events or durationMs of reading). */
interface Reference {
  kafka: Kafka;
  groupId: string;
  total: number;
  durationMs: number;
  progress: KafkaBenchOptions['progress'];
}

/** Reference 1: kafkajs consuming and dropping (eachBatch, offsets committed per batch), as fast as it can. */
async function rawConsumer(ref: Reference, topics: string[]): Promise<number> {
  const { kafka, groupId, total, durationMs, progress } = ref;
  const { consumer, clock } = await referenceConsumer(kafka, groupId, topics);
  let n = 0;
  let last = 0;
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset }) => {
      n += batch.messages.length;
      last = performance.now();
      resolveOffset(batch.lastOffset());
    },
  });
  return measureUntil(
    () => ({ n, first: clock.first, last }),
    total,
    durationMs,
    progress,
    'raw consumer',
    () => consumer.disconnect(),
  );
}

/**
 * Reference 2: the naive approach — kafkajs eachMessage (one handler and one promise per message)
 * and one Redis round trip per event (the event's changed state written with one HSET), the same
 * decoding and detectors.
 */
async function naiveConsumer(
  ref: Reference,
  config: FlowwatchConfig,
  redisUrl: string,
  topicToStream: Map<string, string>,
): Promise<number> {
  const { kafka, groupId, total, durationMs, progress } = ref;
  const { silentLogger } = await import('../../kernel/logger');
  const pipeline = new Pipeline(config, silentLogger());
  const redis = new Redis(redisUrl);
  const { consumer, clock } = await referenceConsumer(kafka, groupId, [...topicToStream.keys()]);
  let n = 0;
  let last = 0;
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const scope = `${topic}:${partition}`;
      pipeline.processBatch([{ stream: topicToStream.get(topic)!, payload: message.value ?? '' }], Date.now(), scope);
      const changes = pipeline.takeChanges().get(scope);
      // The changed rows come already in their stored bytes (state/codec.ts), as the worker writes them.
      const args: Array<string | Buffer> = [];
      if (changes) for (const [k, v] of changes) args.push(k, v === null ? '' : (v as Buffer));
      if (args.length > 0) await redis.hset(`${groupId}:{${scope}}:state`, ...args);
      n++;
      last = performance.now();
    },
  });
  try {
    return await measureUntil(
      () => ({ n, first: clock.first, last }),
      total,
      durationMs,
      progress,
      'naive',
      () => consumer.disconnect(),
    );
  } finally {
    await deleteRedisPrefix(redisUrl, groupId);
    redis.disconnect();
  }
}

/**
 * A consumer for a reference measurement, reading the topics from the beginning. Its clock starts
 * at the first fetch after joining the group: a batch is decoded before its handler runs, so
 * starting at the first handler would leave the first fetch's work out.
 */
async function referenceConsumer(
  kafka: Kafka,
  groupId: string,
  topics: string[],
): Promise<{ consumer: Consumer; clock: { first: number } }> {
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const clock = { first: 0 };
  consumer.on(consumer.events.FETCH_START, () => {
    if (clock.first === 0) clock.first = performance.now();
  });
  return { consumer, clock };
}

async function measureUntil(
  get: () => { n: number; first: number; last: number },
  total: number,
  durationMs: number,
  progress: KafkaBenchOptions['progress'],
  what: string,
  stop: () => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + durationMs + 30_000;
  for (;;) {
    await sleep(250);
    const s = get();
    const busy = s.first > 0 ? performance.now() - s.first : 0;
    progress(`  ${what}: ${fmt(s.n)} events, ${fmt(perSecond(s.n, busy))}/s`);
    if (s.n >= total || busy >= durationMs || performance.now() > deadline) {
      await stop();
      const f = get();
      return round(perSecond(f.n, (f.n >= total ? f.last : performance.now()) - f.first));
    }
  }
}

/** A run's cleanups, last registered first; one that fails does not stop the others (best effort on the way out). */
export async function runCleanups(cleanups: Array<() => Promise<unknown> | void>): Promise<void> {
  for (const c of cleanups.reverse())
    await Promise.resolve()
      .then(c)
      .catch(() => undefined);
}

export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

async function influxQuery(url: string, q: string): Promise<void> {
  const res = await fetch(`${url.replace(/\/$/, '')}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `q=${encodeURIComponent(q)}`,
  });
  if (!res.ok) throw new Error(`InfluxDB ${q}: HTTP ${res.status}`);
}
