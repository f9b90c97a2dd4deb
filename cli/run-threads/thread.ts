/**
 * One decode/detect thread of `flowwatch run --threads N` (node:worker_threads): a whole worker —
 * its own Kafka consumer in the process's consumer group (Kafka gives it its share of the
 * partitions), its own pipeline, state commits to Redis and alerting — as a second process would
 * be, without the process: signals, telemetry and the API stay with the main thread
 * (run-threads/pool.ts), which it answers through messages (protocol.ts).
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { loadConfigFile, loadDefaultConfig } from '../../config/load';
import { createRootLogger } from '../../kernel/logger';
import { ConnectAborted } from '../../ingest/sources/connect-loop';
import type { RunSummary } from '../../worker/runner';
import { wire, type Wiring } from '../app';
import { failureOf, NO_EVENTS, runWired } from '../run-wired';
import type { FromThread, ThreadStart, ToThread } from './protocol';

/** How often the thread's counters go to the main thread (its summary line on a forced exit is at most this old). */
const STATS_EVERY_MS = 1000;

async function threadMain(port: MessagePort, start: ThreadStart): Promise<void> {
  // pino writes whole lines to fd 2 from each thread; `thread` in every line says whose it is.
  const log = createRootLogger().child({ thread: start.index });
  const send = (m: FromThread) => port.postMessage(m);
  const stop = new AbortController();
  let live: () => RunSummary = () => NO_EVENTS;
  let wired: Wiring | undefined;
  let code = 0;
  let message: string | undefined;
  port.on('message', (m: ToThread) => {
    if (m.type === 'stop') stop.abort(m.why);
    // Before the wiring exists (config still loading) there is nothing to show: an empty answer.
    else
      void (wired?.metrics.registry.getMetricsAsJSON() ?? Promise.resolve([])).then((metrics) =>
        send({ type: 'metrics', id: m.id, metrics }),
      );
  });
  const tick = setInterval(() => send({ type: 'stats', summary: live() }), STATS_EVERY_MS);
  try {
    const config = start.configFile ? loadConfigFile(start.configFile) : loadDefaultConfig();
    const w = (wired = wire(config, log, { json: start.json, color: start.color }));
    // Per-thread series (label thread="i"): the main thread's /metrics shows every thread's, summed by the reader.
    w.metrics.registry.setDefaultLabels({ thread: String(start.index) });
    w.health.onChange((h) => send({ type: 'health', problems: h.list() }));
    await w.start(stop.signal);
    await runWired(w, config, log, stop.signal, (l) => (live = l));
  } catch (err) {
    if (!(err instanceof ConnectAborted)) {
      ({ code, message } = failureOf(err));
      if (stop.signal.aborted) log.warn({ err }, 'stopped while a batch was held; it was not acknowledged and will be read again');
      else log.error({ err }, 'thread failed');
    }
  } finally {
    clearInterval(tick);
    await wired?.close();
    log.flush();
    send({ type: 'done', code, message, summary: live() });
    port.close();
  }
}

if (!isMainThread && parentPort) void threadMain(parentPort, workerData as ThreadStart);
