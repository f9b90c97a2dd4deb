import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AggregatorRegistry, collectDefaultMetrics, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from 'pino';
import { Health } from '../../kernel/health';
import type { RunSummary } from '../../worker/runner';
import { EXIT } from '../shutdown';
import { NO_EVENTS } from '../run-wired';
import type { FromThread, ThreadStart, ToThread } from './protocol';

type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>;

/** A thread's answer to a scrape may take this long; a thread busy past it is left out of that scrape. */
const SCRAPE_WAIT_MS = 1500;
/** After its `done`, a thread has this long to end by itself (its stdout forwarded) before it is terminated. */
const EXIT_GRACE_MS = 2000;

interface Member {
  index: number;
  worker: Worker;
  summary: RunSummary;
  done?: { code: number; message?: string };
  exited: Promise<void>;
}

export interface PoolOptions {
  threads: number;
  start: Omit<ThreadStart, 'index'>;
  log: Logger;
  /** A thread failed, died or ended by itself: the caller stops the others (the process runs as one). */
  onFailure: (why: string) => void;
  /** Series of the main thread's own (its alerting stage, when it serves the API), shown beside the threads'. */
  extraMetrics?: Registry;
  /** The thread script (default: thread.js beside this file, as compiled). */
  script?: string;
}

/**
 * The main thread's side of `run --threads N`: starts the threads, asks them to stop, adds up their
 * counters and readiness, collects their metrics for /metrics, and turns their ends into one exit
 * code. A thread that dies (an uncaught error) is not restarted: that is a bug or a broken
 * environment, and an in-process restart would hide it behind two rebalances; the process reports
 * the cause and exits 1, and whatever supervises it (systemd, Kubernetes) restarts it with backoff.
 */
export class ThreadPool {
  readonly health = new Health();
  private readonly members: Member[] = [];
  private readonly processMetrics = new Registry();
  private scrapes = 0;
  private readonly waiting = new Map<number, Map<number, (m: MetricsJson) => void>>();
  private code: number = EXIT.ok;
  private stopping = false;

  constructor(private readonly o: PoolOptions) {
    // CPU, memory and GC of the whole process (every thread's), once, without a thread label.
    collectDefaultMetrics({ register: this.processMetrics });
  }

  start(): void {
    for (let i = 1; i <= this.o.threads; i++) this.members.push(this.spawn(i));
  }

  /** Every thread stops taking records, finishes and commits its batches in flight. */
  stop(why: string): void {
    this.stopping = true;
    for (const m of this.members) if (!m.done) m.worker.postMessage({ type: 'stop', why } satisfies ToThread);
  }

  /** Resolves once every thread has ended: the process's exit code (the first failure's, else 0). */
  async ended(): Promise<number> {
    await Promise.all(this.members.map((m) => m.exited));
    return this.code;
  }

  /** The threads' counters added up (the summary line, /metrics' live counts). */
  summary(): RunSummary {
    const sum: RunSummary = { ...NO_EVENTS, rejectsByReason: {}, eventsByStream: {} };
    for (const { summary: s } of this.members) {
      sum.events += s.events;
      sum.alerts += s.alerts;
      sum.rejects += s.rejects;
      sum.batches += s.batches;
      sum.wallMs = Math.max(sum.wallMs, s.wallMs);
      for (const [k, v] of Object.entries(s.eventsByStream)) sum.eventsByStream[k] = (sum.eventsByStream[k] ?? 0) + v;
      for (const [k, v] of Object.entries(s.rejectsByReason)) sum.rejectsByReason[k] = (sum.rejectsByReason[k] ?? 0) + v;
    }
    return sum;
  }

  /** /metrics: the process's own series and each thread's (label thread="i"), plus `extra` (the main thread's alerting, when it serves the API). */
  readonly metrics = {
    text: async (): Promise<string> => {
      const own = [this.processMetrics.getMetricsAsJSON(), this.o.extraMetrics?.getMetricsAsJSON() ?? Promise.resolve([])];
      const parts = await Promise.all([...own, ...this.members.map((m) => this.scrape(m))]);
      return AggregatorRegistry.aggregate(parts).metrics();
    },
    contentType: this.processMetrics.contentType,
  };

  private scrape(m: Member): Promise<MetricsJson> {
    if (m.done) return Promise.resolve([]);
    const id = ++this.scrapes;
    return new Promise<MetricsJson>((resolve) => {
      const pending = this.waiting.get(m.index) ?? new Map<number, (x: MetricsJson) => void>();
      this.waiting.set(m.index, pending);
      const t = setTimeout(() => (pending.delete(id), resolve([])), SCRAPE_WAIT_MS);
      pending.set(id, (x) => (clearTimeout(t), pending.delete(id), resolve(x)));
      m.worker.postMessage({ type: 'metrics', id } satisfies ToThread);
    });
  }

  private spawn(index: number): Member {
    const script = this.o.script ?? path.join(__dirname, 'thread.js');
    const worker = new Worker(script, { workerData: { ...this.o.start, index } satisfies ThreadStart });
    const m: Member = { index, worker, summary: NO_EVENTS, exited: Promise.resolve() };
    worker.on('message', (msg: FromThread) => this.onMessage(m, msg));
    worker.on('error', (err) => {
      this.o.log.error({ err, thread: index }, 'thread died');
      m.done = { code: EXIT.error, message: err.message };
      this.fail(`thread ${index} died: ${err.stack ?? err.message}`, EXIT.error);
    });
    m.exited = new Promise<void>((resolve) =>
      worker.once('exit', (exitCode) => {
        for (const p of this.health.list()) if (p.component.startsWith(`thread ${index}: `)) this.health.ok(p.component);
        if (!m.done) this.fail(`thread ${index} ended (exit code ${exitCode}) without finishing its run`, EXIT.error);
        resolve();
      }),
    );
    return m;
  }

  private onMessage(m: Member, msg: FromThread): void {
    if (msg.type === 'stats') m.summary = msg.summary;
    else if (msg.type === 'metrics') this.waiting.get(m.index)?.get(msg.id)?.(msg.metrics);
    else if (msg.type === 'health') this.syncHealth(m.index, msg.problems);
    else {
      m.summary = msg.summary;
      m.done = { code: msg.code, message: msg.message };
      if (msg.code !== EXIT.ok) this.fail(`thread ${m.index}: ${msg.message ?? `exit code ${msg.code}`}`, msg.code);
      else if (!this.stopping) this.fail(`thread ${m.index} stopped by itself`, EXIT.error);
      const t = setTimeout(() => void m.worker.terminate(), EXIT_GRACE_MS);
      t.unref();
    }
  }

  /** A thread's problems, under "thread i: <component>", in the process's readiness. */
  private syncHealth(index: number, problems: ReadonlyArray<{ component: string; reason: string }>): void {
    const prefix = `thread ${index}: `;
    const now = new Set(problems.map((p) => prefix + p.component));
    for (const p of this.health.list()) if (p.component.startsWith(prefix) && !now.has(p.component)) this.health.ok(p.component);
    for (const p of problems) this.health.fail(prefix + p.component, p.reason);
  }

  /** The first failure sets the exit code; each one stops the others and is said once on stderr. */
  private fail(why: string, code: number): void {
    if (this.code === EXIT.ok) this.code = code;
    process.stderr.write(`flowwatch: ${why}\n`);
    if (!this.stopping) this.o.onFailure(why);
  }
}
