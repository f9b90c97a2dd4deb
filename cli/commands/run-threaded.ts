import type { FlowwatchConfig } from '../../config/schema';
import type { Logger } from '../../kernel/logger';
import { parseListen } from '../../api/server';
import { apiUsers } from '../../api/access';
import { ConnectAborted } from '../../ingest/sources/connect-loop';
import { wire } from '../app';
import { EXIT, processHooks, Shutdown, summaryLine } from '../shutdown';
import { ThreadPool } from '../run-threads/pool';
import { envListen, listeners, reportFailure, type RunFlags } from './run';

/**
 * `flowwatch run --threads N` (N > 1): the main thread keeps what is one per process — signals and
 * the shutdown watchdog, the telemetry listener (every thread's series), the alerting API, the
 * summary line and the exit code — and N worker threads (run-threads/thread.ts) each run the
 * pipeline over the partitions Kafka gives them. Stopping (signal, --duration, a thread that
 * failed) asks every thread to finish and commit its batches in flight; the process exits once
 * all have, within --shutdown-timeout as a single worker does.
 */
export async function runThreaded(flags: RunFlags, config: FlowwatchConfig, log: Logger): Promise<void> {
  const apiCfg = config.alerting.api;
  const users = apiCfg ? apiUsers(apiCfg) : undefined;
  const telemetryListen = flags.telemetry ?? envListen('FLOWWATCH_TELEMETRY') ?? config.telemetry.listen;
  const startedAt = Date.now();
  const color = !flags.json && process.stdout.isTTY === true;
  // The API's acks and silences need an alerting stage: the main thread's own, on the alert store the threads share (Redis).
  const main = apiCfg && users ? wire(config, log.child({ thread: 'main' }), { json: flags.json, color }) : undefined;
  main?.metrics.registry.setDefaultLabels({ thread: 'main' });
  const pool = new ThreadPool({
    threads: flags.threads,
    start: { configFile: flags.config, json: flags.json, color },
    log,
    onFailure: (why) => shutdown.stop(why),
    extraMetrics: main?.metrics.registry,
  });
  const shutdown = new Shutdown({
    timeoutMs: flags.shutdownTimeout,
    hooks: processHooks,
    log,
    summary: () => summaryLine(pool.summary(), Date.now() - startedAt),
  });
  shutdown.signal.addEventListener('abort', () => pool.stop(String(shutdown.signal.reason)), { once: true });
  const onSignal = (sig: NodeJS.Signals) => shutdown.onSignal(sig === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = flags.duration !== undefined ? setTimeout(() => shutdown.stop('duration reached'), flags.duration) : undefined;
  const { api, telemetry } = listeners(
    main,
    log,
    apiCfg && users ? { apiCfg, users, config, configFile: flags.config } : undefined,
    telemetryListen,
    { metrics: pool.metrics, health: pool.health },
  );
  log.info(
    { streams: Object.keys(config.streams), config: flags.config ?? 'embedded default', threads: flags.threads },
    'flowwatch starting',
  );
  let code: number = EXIT.ok;
  try {
    if (telemetry) {
      const { host, port } = parseListen(telemetryListen);
      await telemetry.listen(host, port);
    }
    if (main && api && apiCfg) {
      await main.start(shutdown.signal);
      const { host, port } = parseListen(apiCfg.listen);
      await api.listen(host, port);
    }
    if (!shutdown.signal.aborted) {
      pool.start();
      code = await pool.ended();
    }
  } catch (err) {
    if (!(err instanceof ConnectAborted)) code = reportFailure(err, shutdown.signal.aborted, log);
  } finally {
    if (timer) clearTimeout(timer);
    shutdown.armWatchdog();
    const closing = Date.now();
    await Promise.allSettled([api?.close(), main?.close()]);
    await telemetry?.close();
    log.info({ closeMs: Date.now() - closing }, 'closed');
    log.flush();
    shutdown.exit(code);
  }
}
