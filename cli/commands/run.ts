import { Option, type Command } from 'commander';
import { formatDuration } from '../../kernel/duration';
import { loadConfigFile, loadDefaultConfig } from '../../config/load';
import type { FlowwatchConfig } from '../../config/schema';
import { createRootLogger, type Logger } from '../../kernel/logger';
import { systemClock } from '../../kernel/clock';
import { runPipeline, type RunSummary } from '../../worker/runner';
import { FlowwatchError, isFlowwatchError } from '../../kernel/errors';
import { wire } from '../app';
import { ApiServer, parseListen } from '../../api/server';
import { apiUsers } from '../../api/access';
import { TelemetryServer } from '../../api/telemetry';
import { ConnectAborted } from '../../ingest/sources/connect-loop';
import { durationOption, intOption, listenOption, speedOption } from '../options';
import { EXIT, processHooks, Shutdown, summaryLine } from '../shutdown';
import { consoleSources } from './console-sources';

interface RunFlags {
  config?: string;
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
    .addHelpText('after', HELP_AFTER)
    .action(runAction);
}

/** `flowwatch run`: wires the config, serves telemetry and the API, runs the pipeline until stopped, closes within the shutdown timeout. */
async function runAction(flags: RunFlags): Promise<void> {
  const log = createRootLogger();
  const config = flags.config ? loadConfigFile(flags.config) : loadDefaultConfig();
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
  w.metrics.readLive(() => live?.() ?? { eventsByStream: {}, rejectsByReason: {} });
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
    await runPipeline({
      config,
      sources: w.sources,
      dispatcher: w.dispatcher,
      deadLetter: w.deadLetter,
      store: w.store,
      sinks: w.sinks,
      log,
      clock: systemClock,
      signal: shutdown.signal,
      metrics: w.metrics,
      health: w.health,
      onStats: (s) => (live = s),
      onBatch: (b) => {
        if (b.committedAt !== undefined && b.alertedAt !== undefined) w.metrics.stateCommit(b.committedAt - b.alertedAt);
      },
    });
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

/** The alerting API (when configured, with its token) and the telemetry listener (unless "off"); not listening yet. */
function listeners(
  w: ReturnType<typeof wire>,
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
): { api?: ApiServer; telemetry?: TelemetryServer } {
  return {
    api: api
      ? new ApiServer({
          alerting: w.alerting,
          metrics: w.metrics,
          health: w.health,
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
    telemetry:
      telemetryListen !== 'off'
        ? new TelemetryServer({ metrics: w.metrics, health: w.health, log: log.child({ component: 'telemetry' }) })
        : undefined,
  };
}

/** Says why the run failed (stderr, and the log when it was stopping); the exit code. */
function reportFailure(err: unknown, stopping: boolean, log: Logger): number {
  // A port taken or a weak token is a usage mistake (2); a server refusing us is a failure (1).
  const code = isFlowwatchError(err) && (err.code === 'FW_USAGE' || err.code.startsWith('FW_CONFIG')) ? EXIT.usage : EXIT.error;
  const message = isFlowwatchError(err) ? err.message : ((err as Error)?.stack ?? String(err));
  if (stopping) {
    log.warn({ err }, 'stopped while a batch was held; it was not acknowledged and will be read again');
    process.stderr.write(`flowwatch: stopped while a batch was held (${message}); it was not acknowledged and will be read again\n`);
  } else process.stderr.write(`flowwatch: ${message}\n`);
  return code;
}

function envListen(name: string): string | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  try {
    return listenOption(v);
  } catch (err) {
    throw new FlowwatchError('FW_USAGE', `${name}: ${(err as Error).message}`);
  }
}
