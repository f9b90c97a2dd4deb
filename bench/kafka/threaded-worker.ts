/**
 * The kafka scenario's worker as N worker threads of the bench process (`--threads N`, N ≥ 2),
 * each a whole worker in the run's consumer group (worker-thread.ts), as `flowwatch run --threads N`
 * runs them. The main thread only orchestrates the steps and records what the threads post: each
 * committed batch's send times with the commit time the thread observed.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BatchRecorder } from './recorder';
import type { BenchThreadStart, FromBenchThread, ToBenchThread } from './thread-protocol';
import type { StepWorker, WorkerCounters } from './worker';

/** After `stop`, a thread has this long to commit what it holds and end before it is terminated. */
const STOP_GRACE_MS = 25_000;

interface Member {
  worker: Worker;
  counters: WorkerCounters;
  stopped: Promise<void>;
}

export class ThreadedBenchWorker implements StepWorker {
  rec: BatchRecorder | null = null;
  error: unknown = null;
  private readonly members: Member[] = [];
  /** Once stopping, a thread's exit is expected, not an error. */
  private stopping = false;

  private constructor() {}

  /** Starts `threads` threads; resolves once each has its worker wired and its pipeline running (the consumers join the group during the warm-up, as in-process). */
  static async start(
    threads: number,
    start: Omit<BenchThreadStart, 'index'>,
    script = path.join(__dirname, 'worker-thread.js'),
  ): Promise<ThreadedBenchWorker> {
    const w = new ThreadedBenchWorker();
    const ready: Array<Promise<void>> = [];
    for (let index = 1; index <= threads; index++) ready.push(w.spawn(script, { ...start, index }));
    try {
      await Promise.all(ready);
    } catch (err) {
      // The threads that did start would keep the process alive: stop them before giving up.
      await w.stop();
      throw err;
    }
    return w;
  }

  private spawn(script: string, data: BenchThreadStart): Promise<void> {
    const worker = new Worker(script, { workerData: data });
    const m: Member = { worker, counters: { dispatchMs: 0, alertChanges: 0, commitMs: 0, batches: 0 }, stopped: Promise.resolve() };
    this.members.push(m);
    m.stopped = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromBenchThread) => {
        if (msg.type === 'batch') this.onBatch(m, msg);
        else if (msg.type === 'alert') this.rec?.recordAlert(msg.ms);
        else if (msg.type === 'ready') resolve();
        else if (msg.type === 'error') {
          this.error ??= new Error(`bench worker thread ${data.index}: ${msg.message}`);
          reject(this.error as Error);
        } else void worker.terminate();
      });
      worker.on('error', (err) => {
        this.error ??= err;
        reject(err);
      });
      worker.once('exit', (code) => {
        if (this.stopping) return;
        this.error ??= new Error(`bench worker thread ${data.index} exited (code ${code}) before it was stopped`);
        reject(this.error as Error);
      });
    });
  }

  private onBatch(m: Member, b: Extract<FromBenchThread, { type: 'batch' }>): void {
    m.counters = b.counters;
    const r = this.rec;
    if (!r) return;
    r.recordBatch(b.stamps, b.committedAt, b.startedAt, b.receivedAt ?? undefined);
  }

  counters(): WorkerCounters {
    const sum: WorkerCounters = { dispatchMs: 0, alertChanges: 0, commitMs: 0, batches: 0 };
    for (const { counters: c } of this.members) {
      sum.dispatchMs += c.dispatchMs;
      sum.alertChanges += c.alertChanges;
      sum.commitMs += c.commitMs;
      sum.batches += c.batches;
    }
    return sum;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const m of this.members) m.worker.postMessage({ type: 'stop' } satisfies ToBenchThread);
    for (const m of this.members) {
      const t = setTimeout(() => void m.worker.terminate(), STOP_GRACE_MS);
      await m.stopped;
      clearTimeout(t);
    }
  }
}
