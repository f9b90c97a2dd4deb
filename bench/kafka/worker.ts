/**
 * The worker under test in the kafka scenario: the full pipeline (KafkaSource, decode, detectors,
 * alerting, sinks, Redis state commits), timed where a batch's wall time goes. It runs in the
 * bench's own thread (`--threads 1`) or once per worker thread (threaded-worker.ts).
 */
import { performance } from 'node:perf_hooks';
import type { FlowwatchConfig } from '../../config/schema';
import type { Logger } from '../../kernel/logger';
import type { Clock } from '../../kernel/clock';
import { runPipeline, type BatchInfo } from '../../worker/runner';
import { KafkaSource, type KafkaSourceBatch } from '../../ingest/sources/kafka-source';
import { RedisStateStore } from '../../state/redis-store';
import { wire } from '../../cli/app';
import type { AlertDispatcher } from '../../alerts/dispatch';
import { settleWithin } from '../../kernel/settle';
import { JsonlDispatcher } from '../alerts';
import type { BatchRecorder } from './recorder';

/** Running totals of a worker, for a step's differences. */
export interface WorkerCounters {
  dispatchMs: number;
  alertChanges: number;
  commitMs: number;
  batches: number;
}

/** What the scenario needs of its worker, in-process or threaded. */
export interface StepWorker {
  /** The step being recorded, if any: every committed batch's latencies go to it. */
  rec: BatchRecorder | null;
  /** Why the worker stopped by itself, if it did. */
  readonly error: unknown;
  counters(): WorkerCounters;
  stop(): Promise<void>;
}

export interface BenchWorkerStart {
  config: FlowwatchConfig;
  brokers: string[];
  redisUrl: string;
  id: string;
  topicToStream: Map<string, string>;
  log: Logger;
  alerting?: 'full' | 'direct';
  /** direct alerting: the JSONL file the alerts go to. */
  alertsFile: string;
}

/** Wall clock with sub-millisecond resolution (latencies of a few ms need it). */
export function hiresClock(): Clock {
  const offset = Date.now() - performance.now();
  return { now: () => offset + performance.now() };
}

export class BenchWorker implements StepWorker {
  private dispatchMs = 0;
  private alertChanges = 0;
  private commitMs = 0;
  private batches = 0;
  rec: BatchRecorder | null = null;
  error: unknown = null;
  private readonly controller = new AbortController();
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  private constructor(
    private readonly dispatcher: AlertDispatcher,
    private readonly w: ReturnType<typeof wire>,
  ) {}

  static async start(c: BenchWorkerStart): Promise<BenchWorker> {
    const { config, id, log } = c;
    const clock = hiresClock();
    const store = new RedisStateStore({ url: c.redisUrl, prefix: id, ttlSeconds: 3600 });
    const w = wire(config, log, { store });
    const source = new KafkaSource({
      connection: { brokers: c.brokers, clientId: 'flowwatch-bench-worker' },
      groupId: `${id}-worker`,
      topics: c.topicToStream,
      fromBeginning: true,
      log: log.child({ component: 'kafka' }),
      appliedPosition: (s) => store.position(s),
      timestamps: true,
      // As `flowwatch run` wires it (cli/app.ts): the bench measures the configured fetch wait.
      fetchWaitMs: config.kafka?.fetch_wait,
    });
    await w.start();
    const dispatcher: AlertDispatcher = c.alerting === 'direct' ? new JsonlDispatcher(c.alertsFile) : w.dispatcher;
    const worker = new BenchWorker(dispatcher, w);
    worker.timeDispatch();
    worker.running = runPipeline({
      config,
      sources: [source],
      dispatcher,
      deadLetter: w.deadLetter,
      store,
      sinks: w.sinks,
      log,
      clock,
      signal: worker.controller.signal,
      onBatch: (info) => worker.onBatch(info),
      progressEvery: 3_600_000,
    });
    worker.running.catch((err) => (worker.error = err));
    return worker;
  }

  /** Time spent in the alerting stage, and alert changes handed to it. */
  private timeDispatch(): void {
    const dispatcher = this.dispatcher;
    const origDispatch = dispatcher.dispatch.bind(dispatcher);
    dispatcher.dispatch = async (alerts) => {
      const a = performance.now();
      this.alertChanges += alerts.length;
      try {
        return await origDispatch(alerts);
      } finally {
        this.dispatchMs += performance.now() - a;
      }
    };
  }

  private onBatch(info: BatchInfo): void {
    this.batches++;
    if (info.committedAt !== undefined && info.alertedAt !== undefined) this.commitMs += info.committedAt - info.alertedAt;
    const r = this.rec;
    const stamps = (info.batch as KafkaSourceBatch | undefined)?.timestamps;
    if (r && stamps && info.committedAt !== undefined)
      r.recordBatch(stamps, info.committedAt, info.startedAt ?? info.committedAt, (info.batch as KafkaSourceBatch).receivedAt);
    if (r && info.alerts && info.alertedAt !== undefined) {
      for (const a of info.alerts) r.recordAlert(info.alertedAt - (a.evidence.window?.end ?? a.startsAt));
    }
  }

  counters(): WorkerCounters {
    return { dispatchMs: this.dispatchMs, alertChanges: this.alertChanges, commitMs: this.commitMs, batches: this.batches };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.controller.abort();
    await settleWithin(this.running, 20_000);
    if (this.dispatcher !== this.w.dispatcher) await this.dispatcher.close().catch(() => undefined);
    await this.w.close().catch(() => undefined);
  }
}
