/**
 * One worker thread of the kafka scenario's `--threads N` (node:worker_threads): a whole bench
 * worker (worker.ts) — its own consumer in the run's group (Kafka gives it its share of the
 * partitions), pipeline, alerting, sinks and Redis commits — as `flowwatch run --threads N` runs
 * one (cli/run-threads/thread.ts). Each committed batch's timestamps go to the main thread, which
 * records them into the step (threaded-worker.ts): the commit time is the thread's own observation.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createRootLogger } from '../../kernel/logger';
import { benchConfig } from './config';
import type { BatchRecorder } from './recorder';
import type { FromBenchThread, BenchThreadStart, ToBenchThread } from './thread-protocol';
import { BenchWorker } from './worker';

/**
 * Posts each committed batch at once (runner commits partitions concurrently: several batches can
 * complete in one turn, so nothing is held back to be merged later), and each alert on its own.
 */
class Forwarder implements BatchRecorder {
  worker: BenchWorker | null = null;
  constructor(private readonly port: MessagePort) {}

  recordBatch(stamps: Float64Array, committedAt: number, startedAt: number, receivedAt: Float64Array | undefined): void {
    // Copies (the batch's arrays are views of larger buffers), handed over rather than copied again.
    const own = new Float64Array(stamps);
    const received = receivedAt ? new Float64Array(receivedAt) : null;
    const m: FromBenchThread = {
      type: 'batch',
      stamps: own,
      committedAt,
      startedAt,
      receivedAt: received,
      counters: this.worker!.counters(),
    };
    this.port.postMessage(m, received ? [own.buffer, received.buffer] : [own.buffer]);
  }

  recordAlert(ms: number): void {
    this.port.postMessage({ type: 'alert', ms } satisfies FromBenchThread);
  }
}

async function threadMain(port: MessagePort, start: BenchThreadStart): Promise<void> {
  const send = (m: FromBenchThread) => port.postMessage(m);
  const log = createRootLogger({ level: start.logLevel }).child({ thread: start.index });
  const forwarder = new Forwarder(port);
  const worker = await BenchWorker.start({
    config: benchConfig(start.config),
    brokers: start.config.brokers,
    redisUrl: start.config.redisUrl,
    id: start.id,
    topicToStream: new Map(start.topicToStream),
    log,
    alerting: start.alerting,
    alertsFile: start.alertsFile.replace('{thread}', String(start.index)),
  });
  forwarder.worker = worker;
  worker.rec = forwarder;
  port.on('message', (m: ToBenchThread) => {
    if (m.type !== 'stop') return;
    clearInterval(watch);
    void worker.stop().finally(() => {
      send({ type: 'stopped' });
      port.close();
    });
  });
  // A pipeline that fails by itself is reported now: the bench checks for it between samples.
  const watch = setInterval(() => {
    if (worker.error === null) return;
    clearInterval(watch);
    send({ type: 'error', message: String((worker.error as Error)?.stack ?? worker.error) });
  }, 250);
  watch.unref();
  send({ type: 'ready' });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  threadMain(port, workerData as BenchThreadStart).catch((err: Error) =>
    port.postMessage({ type: 'error', message: err.stack ?? err.message }),
  );
}
