import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import Redis from 'ioredis';
import type { FlowwatchConfig } from '../../config/schema';
import { createDecoder } from '../../ingest/decode/decoder';
import type { FlowName } from '../../ingest/simulator';
import { FlowwatchError } from '../../kernel/errors';
import { produceHistory, type ProduceTarget } from '../../cli/produce-history';
import { deleteRedisPrefix, examplesDir, runCleanups, topicSize } from '../kafka/scenario';
import { ensureServices, type Services } from '../services';
import { writeBacklogConfig } from './config';
import { fixedWindowEnd } from './history-window';
import { measureRawConsumer, measureWorker, type BacklogRun } from './consumers';

export interface BacklogBenchOptions {
  /** Events in the backlog (default 5,000,000). */
  events: number;
  flows: FlowName[];
  partitions: number;
  seed: number;
  /** Simulator entity multiplier: 500 is docs/bench.md's backlog B (34,532 keys), the issue's job. */
  scale: number;
  /** Node options for the worker process, e.g. ["--cpu-prof", "--cpu-prof-dir=prof"]. */
  workerNodeArgs: string[];
  /**
   * One pass of the worker per entry, over the same backlog: N `flowwatch run` processes in one
   * consumer group ([1]; [1, 2] measures what a second core buys on this box, one fill for both).
   */
  workers: number[];
  /**
   * Passes of one `flowwatch run --threads N` process per entry, after the --workers passes ([2]
   * beside workers [1, 2]: one thread, two processes, two threads over one backlog). A 1 here
   * that --workers already measured is not run twice.
   */
  threads?: number[];
  progress: (line: string, final?: boolean) => void;
}

export interface BacklogBenchResult {
  scenario: 'backlog';
  /** The run's name: its topics, consumer groups and Redis keys start with it (all removed afterwards). */
  id: string;
  flows: FlowName[];
  partitions: number;
  scale: number;
  seed: number;
  /** Events in the run's topics (the backlog both consumers read from offset 0). */
  events: number;
  fill: { seconds: number; eventsPerSec: number };
  /** `flowwatch run` (child process, Redis state, no sink): 10–90 % of the backlog applied. */
  worker: WorkerPass;
  /** Every pass, --workers then --threads order (the first is `worker`), each from offset 0 with its own group and state. */
  passes: WorkerPass[];
  /** kafkajs eachBatch, consume and drop (child process): 10–90 % of the backlog read. */
  rawConsumer: BacklogRun;
  /** worker / raw consumer: events/s, and CPU µs per event. */
  ratioToRawConsumer: { throughput: number | null; cpuPerEvent: number | null };
  services: string;
}

export type WorkerPass = BacklogRun & { nodeArgs: string[]; processes: number; threads: number; summary: string };

/** One pass: `processes` × `flowwatch run --threads threads`. */
interface PassShape {
  processes: number;
  threads: number;
}

/** The passes a run measures: one per --workers entry (one thread each), then one per --threads entry (one process each). */
export function passShapes(workers: readonly number[], threads: readonly number[] = []): PassShape[] {
  const shapes: PassShape[] = workers.map((processes) => ({ processes, threads: 1 }));
  for (const t of threads) if (!shapes.some((s) => s.processes === 1 && s.threads === t)) shapes.push({ processes: 1, threads: t });
  return shapes;
}

/** "flowwatch run", "flowwatch run ×2", "flowwatch run --threads 2". */
export function passLabel(s: PassShape): string {
  return `flowwatch run${s.processes > 1 ? ` ×${s.processes}` : ''}${s.threads > 1 ? ` --threads ${s.threads}` : ''}`;
}

/** Backlog B took 250 simulated minutes for 5.7M events at scale 500; 300 per 5M leaves room for quieter hours. */
const HISTORY_MS_PER_EVENT = (300 * 60_000) / 5_000_000;

export async function runBacklogBench(o: BacklogBenchOptions): Promise<BacklogBenchResult> {
  return new BacklogBench(o).run();
}

/** One run: its topics, Redis prefix and folder; the fill, the worker's pass and the raw consumer's pass. */
class BacklogBench {
  private readonly services: Services;
  private readonly id = `fwbacklog-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  private readonly dir: string;
  private readonly topics: Record<string, string> = {};
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly cleanups: Array<() => Promise<unknown> | void> = [];
  private interrupted = false;
  /** Consumer groups of the worker passes (deleted at the end), and passes configured so far. */
  private readonly groups: string[] = [];
  private passes = 0;

  constructor(private readonly o: BacklogBenchOptions) {
    this.services = ensureServices(['kafka', 'redis'], (m) => o.progress(m, true));
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.id}-`));
    for (const f of o.flows) this.topics[f] = `${this.id}.${f}`;
    this.kafka = new Kafka({ clientId: 'flowwatch-bench', brokers: this.services.kafkaBrokers, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
  }

  async run(): Promise<BacklogBenchResult> {
    const onSignal = () => {
      this.interrupted = true;
      this.o.progress('interrupted: cleaning up', true);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      return await this.measure();
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await runCleanups(this.cleanups);
      this.services.stop();
    }
  }

  private async measure(): Promise<BacklogBenchResult> {
    const { o, id, services } = this;
    await this.createResources();
    const shapes = passShapes(o.workers, o.threads);
    const pass0 = this.passConfig(shapes[0], shapes.length);
    o.progress(`backlog bench ${id}: ${fmt(o.events)} events of examples/kafka.yaml (scale ${o.scale}), ${o.partitions} partitions`, true);
    const fill = await this.fill(pass0.config);
    const topics = Object.values(this.topics);
    const events = await topicSize(this.admin, topics);
    if (events < o.events)
      o.progress(`  warning: the simulated history gave ${fmt(events)} events, not ${fmt(o.events)}; measuring those`, true);
    const sample = { total: events, progress: o.progress, interrupted: () => this.interrupted };
    const passes: WorkerPass[] = [];
    for (const [i, shape] of shapes.entries()) {
      const pass = i === 0 ? pass0 : this.passConfig(shape, shapes.length);
      const label = passLabel(shape);
      const worker = await measureWorker(
        { root: projectRoot(), configFile: pass.file, nodeArgs: o.workerNodeArgs, dir: this.dir, ...shape },
        this.appliedReader(topics, pass.prefix),
        { ...sample, label },
      );
      o.progress(`  ${label}: ${runLine(worker)}`, true);
      passes.push({ ...worker, nodeArgs: o.workerNodeArgs, ...shape });
    }
    const raw = await measureRawConsumer(
      { type: 'start', brokers: services.kafkaBrokers, topics, groupId: `${id}-raw` },
      { ...sample, label: 'raw consumer' },
    );
    o.progress(`  raw consumer: ${runLine(raw)}`, true);
    const worker = passes[0];
    return {
      scenario: 'backlog',
      id,
      flows: o.flows,
      partitions: o.partitions,
      scale: o.scale,
      seed: o.seed,
      events,
      fill,
      worker,
      passes,
      rawConsumer: raw,
      ratioToRawConsumer: {
        throughput: ratio(worker.eventsPerSec, raw.eventsPerSec),
        cpuPerEvent: ratio(worker.cpuUsPerEvent, raw.cpuUsPerEvent),
      },
      services: services.origin,
    };
  }

  /** A pass's config: its own consumer group and Redis prefix (under the run's), so each starts from offset 0 with empty state. */
  private passConfig(shape: PassShape, passes: number): { file: string; config: FlowwatchConfig; prefix: string } {
    const tag = passes > 1 ? `-w${shape.processes}t${shape.threads}-${this.passes++}` : '';
    const prefix = `${this.id}${tag}`;
    const groupId = `${this.id}-worker${tag}`;
    this.groups.push(groupId);
    const { file, config } = writeBacklogConfig({
      examples: examplesDir(),
      flows: this.o.flows,
      topics: this.topics,
      brokers: this.services.kafkaBrokers,
      redisUrl: this.services.redisUrl,
      prefix,
      groupId,
      dir: this.dir,
      name: `backlog${tag}.json`,
    });
    return { file, config, prefix };
  }

  /** This run's topics, and the cleanups that remove them, its consumer groups, Redis keys and folder. */
  private async createResources(): Promise<void> {
    const { admin, cleanups, o, id } = this;
    const topics = Object.values(this.topics);
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: o.partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    cleanups.push(() => admin.deleteTopics({ topics }));
    cleanups.push(() => admin.deleteGroups([...this.groups, `${id}-raw`]));
    cleanups.push(() => deleteRedisPrefix(this.services.redisUrl, id));
    cleanups.push(() => fs.rmSync(this.dir, { recursive: true, force: true }));
  }

  /** The backlog, made as `flowwatch produce --scale S --history H` makes it (the same code), cut at --events. */
  private async fill(config: FlowwatchConfig): Promise<{ seconds: number; eventsPerSec: number }> {
    const { o } = this;
    const targets = new Map<string, ProduceTarget>();
    for (const f of o.flows) targets.set(f, { topic: this.topics[f], decoder: createDecoder(f, config.streams[f].mapping) });
    const producer = this.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const t0 = Date.now();
    const history = Math.max(2 * 60_000, o.events * HISTORY_MS_PER_EVENT);
    try {
      const sent = await produceHistory({
        producer,
        targets,
        flows: o.flows,
        seed: o.seed,
        scale: o.scale,
        start: Math.floor((fixedWindowEnd(Date.now()) - history) / 60_000) * 60_000,
        maxEvents: o.events,
        stopped: () => this.interrupted,
        onProgress: (n) => o.progress(`  filling: ${fmt(n)}/${fmt(o.events)} events  ${fmt((n * 1000) / (Date.now() - t0))}/s`),
      });
      if (this.interrupted) throw new FlowwatchError('FW_USAGE', 'bench interrupted; topics and Redis keys of this run were removed');
      const seconds = (Date.now() - t0) / 1000;
      o.progress(`  filled: ${fmt(sent)} events in ${seconds.toFixed(1)} s`, true);
      return { seconds: Math.round(seconds * 10) / 10, eventsPerSec: Math.round(sent / seconds) };
    } finally {
      await producer.disconnect();
    }
  }

  /** Σ(position + 1) over the partitions' applied positions in Redis: the events the worker has made durable. */
  private appliedReader(topics: string[], prefix: string): () => Promise<number> {
    const redis = new Redis(this.services.redisUrl);
    this.cleanups.push(() => redis.disconnect());
    const keys = topics.flatMap((t) => Array.from({ length: this.o.partitions }, (_, p) => `${prefix}:{${t}:${p}}:pos`));
    return async () => {
      let sum = 0;
      for (const v of await redis.mget(...keys)) if (v !== null) sum += Number(v) + 1;
      return sum;
    };
  }
}

/** The project root (bin/flowwatch.js), from bench/backlog/ (tests) or dist/bench/backlog/ (compiled). */
function projectRoot(): string {
  for (const c of [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')]) {
    if (fs.existsSync(path.join(c, 'bin', 'flowwatch.js'))) return c;
  }
  throw new Error(`bin/flowwatch.js not found above ${__dirname}`);
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : Math.round((a / b) * 1000) / 1000;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

function runLine(r: BacklogRun): string {
  return `${r.eventsPerSec === null ? '-' : fmt(r.eventsPerSec)} events/s, ${r.cpuUsPerEvent ?? '-'} µs CPU/event (${r.cpuPct ?? '-'} % of a core), load ${r.loadStart} → ${r.loadEnd}`;
}
