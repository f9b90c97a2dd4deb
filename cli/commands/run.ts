import { Option, type Command } from 'commander';
import { formatDuration } from '../../kernel/duration';
import { loadConfigFile, loadDefaultConfig } from '../../config/load';
import type { FlowwatchConfig } from '../../config/schema';
import { createRootLogger, type Logger } from '../../kernel/logger';
import type { RunSummary } from '../../worker/runner';
import { FlowwatchError } from '../../kernel/errors';
import type { Health } from '../../kernel/health';
import type { MetricsText } from '../../api/metrics';
import { wire } from '../app';
import { ApiServer, parseListen } from '../../api/server';
import { apiUsers } from '../../api/access';
import { TelemetryServer } from '../../api/telemetry';
import { ConnectAborted } from '../../ingest/sources/connect-loop';
import { durationOption, intOption, listenOption, speedOption } from '../options';
import { EXIT, processHooks, Shutdown, summaryLine } from '../shutdown';
import { failureOf, runWired } from '../run-wired';
import { checkThreads } from '../run-threads/validate';
import { consoleSources } from './console-sources';
import { runThreaded } from './run-threaded';

export interface RunFlags {
  config?: string;
  threads: number;
  duration?: number;
  seed?: number;
  json?: boolean;
  speed?: number | 'max';
  simDuration?: number;
  shutdownTimeout: number;
  telemetry?: string;
}

/** Default of --shutdown-timeout, ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 15_000;

const HELP_AFTER = `
Alerts go to stdout (one line per state change); logs go to stderr.

Stopping: SIGTERM, SIGINT (Ctrl-C) or --duration stop taking records, finish the batch in
flight and commit it. Whatever happens, the process exits within --shutdown-timeout of the
stop request; a second signal exits at once. Every exit prints one summary line on stderr
(events, alerts, rejects so far).

Threads: --threads N runs N decode/detect threads in this process, each a consumer in the config's
consumer group (Kafka splits the partitions between them) with its own pipeline and state commits,
as N worker processes would be; signals, telemetry (series per thread, label "thread") and the API
stay with the main thread. Only with Kafka streams and Redis state (else exit 2). A thread that
fails or dies stops the others; the process exits 1 naming it (it is not restarted in-process).

Telemetry: /metrics, /healthz and /readyz on 127.0.0.1:9465 (no token), apart from the
alerting API. Change with --telemetry HOST:PORT, FLOWWATCH_TELEMETRY or telemetry.listen;
"off" disables it. A port already taken is one warning; the worker runs on without it.

Exit codes:
  0    stopped; everything processed was made durable
  1    failed, or stopped while a batch was held (a store down): not acked, read again
  2    invalid config or usage
  124  shutdown did not finish within --shutdown-timeout
  130  second SIGINT        143  second SIGTERM
`;

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the pipeline; without --config, the embedded demo (simulated people, goods and funds flows → console alerts)')
    .option('-c, --config <file>', 'config file (YAML or JSON); default: the embedded demo config (examples/*.yaml)')
    .option('-d, --duration <d>', 'stop after this much wall-clock time, e.g. 30s (default: until Ctrl-C)', durationOption)
    .option('--seed <n>', 'simulator seed: same seed, same flows and anomalies', intOption)
    .option('--speed <x>', 'simulator speed: simulated seconds per second, or "max" (default from config: 120)', speedOption)
    .option('--sim-duration <d>', 'stop after this much simulated time, e.g. 24h', durationOption)
    .option('--json', 'alerts as JSON lines on stdout')
    .addOption(
      new Option('--shutdown-timeout <d>', 'longest time from a stop request (signal, --duration) to exit')
        .argParser(durationOption)
        .default(DEFAULT_SHUTDOWN_TIMEOUT_MS, formatDuration(DEFAULT_SHUTDOWN_TIMEOUT_MS)),
    )
    .option(
      '--telemetry <listen>',
      'telemetry listener HOST:PORT or "off" (default: $FLOWWATCH_TELEMETRY, else telemetry.listen, else 127.0.0.1:9465)',
      listenOption,
    )
    .option(
      '--threads <n>',
      'decode/detect threads (node:worker_threads), the Kafka partitions split between them; Kafka streams and Redis state only',
      intOption,
      1,
    )
    .addHelpText('after', HELP_AFTER)
    .action(runAction);
}

/** `flowwatch run`: wires the config, serves telemetry and the API, runs the pipeline until stopped, closes within the shutdown timeout. */
async function runAction(flags: RunFlags): Promise<void> {
  const log = createRootLogger();
  const config = flags.config ? loadConfigFile(flags.config) : loadDefaultConfig();
  checkThreads(config, flags.threads);
  if (flags.threads > 1) return runThreaded(flags, config, log);
  // The API needs its token before anything starts: no token, no run.
  const apiCfg = config.alerting.api;
  const users = apiCfg ? apiUsers(apiCfg) : undefined;
  const telemetryListen = flags.telemetry ?? envListen('FLOWWATCH_TELEMETRY') ?? config.telemetry.listen;

  const startedAt = Date.now();
  let live: (() => RunSummary) | undefined;
  const shutdown = new Shutdown({
    timeoutMs: flags.shutdownTimeout,
    hooks: processHooks,
    log,
    summary: () => summaryLine(live?.() ?? { events: 0, alerts: 0, rejects: 0 }, Date.now() - startedAt),
  });
  // Listeners for the whole run (not `once`): a second signal must reach Shutdown, not Node's default.
  const onSignal = (sig: NodeJS.Signals) => shutdown.onSignal(sig === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = flags.duration !== undefined ? setTimeout(() => shutdown.stop('duration reached'), flags.duration) : undefined;

  const w = wire(config, log, {
    seed: flags.seed,
    speed: flags.speed,
    simDuration: flags.simDuration,
    json: flags.json,
    color: !flags.json && process.stdout.isTTY,
  });
  const { api, telemetry } = listeners(
    w,
    log,
    apiCfg && users ? { apiCfg, users, config, configFile: flags.config } : undefined,
    telemetryListen,
  );
  w.metrics.collectProcessMetrics();
  log.info(
    { streams: Object.keys(config.streams), config: flags.config ?? 'embedded default', seed: flags.seed ?? config.simulator.seed },
    'flowwatch starting',
  );
  let code: number = EXIT.ok;
  try {
    // First, so /healthz answers while Kafka or Redis is still being waited for.
    if (telemetry) {
      const { host, port } = parseListen(telemetryListen);
      await telemetry.listen(host, port);
    }
    await w.start(shutdown.signal);
    if (api && apiCfg) {
      const { host, port } = parseListen(apiCfg.listen);
      await api.listen(host, port);
    }
    await runWired(w, config, log, shutdown.signal, (s) => (live = s));
  } catch (err) {
    if (!(err instanceof ConnectAborted)) code = reportFailure(err, shutdown.signal.aborted, log);
  } finally {
    if (timer) clearTimeout(timer);
    // Closing is I/O too (a final alert drain, Redis, Kafka): bounded by the same watchdog.
    shutdown.armWatchdog();
    const closing = Date.now();
    await Promise.allSettled([api?.close(), w.close()]);
    await telemetry?.close();
    log.info({ closeMs: Date.now() - closing }, 'closed');
    log.flush();
    shutdown.exit(code);
  }
}

/**
 * The alerting API (when configured, with its token) and the telemetry listener (unless "off"); not
 * listening yet. `shared`: the metrics and readiness they serve, when not the wiring's own (`--threads`).
 */
export function listeners(
  w: Pick<ReturnType<typeof wire>, 'alerting' | 'metrics' | 'health'> | undefined,
  log: Logger,
  api:
    | {
        apiCfg: NonNullable<FlowwatchConfig['alerting']['api']>;
        users: ReturnType<typeof apiUsers>;
        config: FlowwatchConfig;
        configFile?: string;
      }
    | undefined,
  telemetryListen: string,
  shared?: { metrics: MetricsText; health: Health },
): { api?: ApiServer; telemetry?: TelemetryServer } {
  const metrics = shared?.metrics ?? w!.metrics;
  const health = shared?.health ?? w!.health;
  return {
    api:
      api && w
        ? new ApiServer({
            alerting: w.alerting,
            metrics,
            health,
            users: api.users,
            teams: api.apiCfg.teams,
            sessionIdleMs: api.apiCfg.session_idle,
            sessionMaxMs: api.apiCfg.session_max,
            maxSilenceMs: api.apiCfg.max_silence,
            trustedProxy: api.apiCfg.trusted_proxy,
            ...consoleSources(api.config, api.configFile),
            log: log.child({ component: 'api' }),
          })
        : undefined,
    telemetry: telemetryListen !== 'off' ? new TelemetryServer({ metrics, health, log: log.child({ component: 'telemetry' }) }) : undefined,
  };
}

/** Says why the run failed (stderr, and the log when it was stopping); the exit code. */
export function reportFailure(err: unknown, stopping: boolean, log: Logger): number {
  const { code, message } = failureOf(err);
  if (stopping) {
    log.warn({ err }, 'stopped while a batch was held; it was not acknowledged and will be read again');
    process.stderr.write(`flowwatch: stopped while a batch was held (${message}); it was not acknowledged and will be read again\n`);
  } else process.stderr.write(`flowwatch: ${message}\n`);
  return code;
}

export function envListen(name: string): string | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  try {
    return listenOption(v);
  } catch (err) {
    throw new FlowwatchError('FW_USAGE', `${name}: ${(err as Error).message}`);
  }
}
