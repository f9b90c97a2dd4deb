import type { Command } from 'commander';
import { loadConfigFile, loadDefaultConfig } from '../../config/load';
import { createRootLogger } from '../../core/logger';
import { systemClock } from '../../core/clock';
import { runPipeline } from '../../core/runner';
import { formatDuration } from '../../config/duration';
import { wire } from '../app';
import { ApiServer, apiToken, parseListen } from '../../api/server';
import { durationOption, intOption, speedOption } from '../options';

interface RunFlags {
  config?: string;
  duration?: number;
  seed?: number;
  json?: boolean;
  speed?: number | 'max';
  simDuration?: number;
}

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
    .addHelpText('after', '\nAlerts go to stdout (one line per state change); logs go to stderr.\nCtrl-C stops cleanly and prints a summary line.\n')
    .action(async (flags: RunFlags) => {
      const log = createRootLogger();
      const config = flags.config ? loadConfigFile(flags.config) : loadDefaultConfig();
      const controller = new AbortController();
      const stop = (why: string) => {
        if (!controller.signal.aborted) {
          log.info({ why }, 'stopping: finishing the batch in flight');
          controller.abort();
        }
      };
      const onSignal = (sig: NodeJS.Signals) => stop(sig);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const timer = flags.duration !== undefined ? setTimeout(() => stop('duration reached'), flags.duration) : undefined;

      // The API needs its token before anything starts: no token, no run.
      const apiCfg = config.alerting.api;
      const token = apiCfg ? apiToken(apiCfg) : undefined;
      const w = wire(config, log, { seed: flags.seed, speed: flags.speed, simDuration: flags.simDuration, json: flags.json, color: !flags.json && process.stdout.isTTY });
      const api = apiCfg && token ? new ApiServer({ alerting: w.alerting, metrics: w.metrics, token, log: log.child({ component: 'api' }) }) : undefined;
      log.info({ streams: Object.keys(config.streams), config: flags.config ?? 'embedded default', seed: flags.seed ?? config.simulator.seed }, 'flowwatch starting');
      try {
        await w.start();
        if (api && apiCfg) {
          const { host, port } = parseListen(apiCfg.listen);
          await api.listen(host, port);
        }
        const s = await runPipeline({
          config,
          sources: w.sources,
          dispatcher: w.dispatcher,
          deadLetter: w.deadLetter,
          store: w.store,
          sinks: w.sinks,
          log,
          clock: systemClock,
          signal: controller.signal,
          // Until the runner reports per batch (reasons, latency), events are counted here.
          metrics: w.metrics,
        });
        const perStream = Object.entries(s.eventsByStream).map(([k, v]) => `${k} ${v}`).join(', ');
        process.stderr.write(
          `flowwatch: stopped after ${formatDuration(s.wallMs)}: ${s.events} events (${perStream}), ${s.alerts} alert notifications, ${s.rejects} rejects${s.rejects > 0 ? ' (' + Object.entries(s.rejectsByReason).map(([k, v]) => `${k} ${v}`).join(', ') + ')' : ''}\n`,
        );
      } finally {
        if (timer) clearTimeout(timer);
        // A client stuck in a reconnect loop (kafkajs after a broker restart) must not keep a
        // stopped worker alive: everything durable is done by now.
        setTimeout(() => {
          process.stderr.write('flowwatch: shutdown did not finish within 15 s; exiting\n');
          process.exit(1);
        }, 15_000).unref();
        await api?.close();
        await w.close();
        log.flush();
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        setTimeout(() => process.exit(), 1000).unref();
      }
    });
}
