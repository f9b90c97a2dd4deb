import { InvalidArgumentError, type Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfigFile } from '../../config/load';
import { storeNamespace, type FlowwatchConfig } from '../../config/schema';
import { createRootLogger } from '../../kernel/logger';
import { systemClock } from '../../kernel/clock';
import { FlowwatchError } from '../../kernel/errors';
import { outcomeWithin } from '../../kernel/settle';
import { AlertingPipeline } from '../../alerts/alerting';
import { fanOutRoute } from '../../alerts/route/route';
import { RedisAlertStore } from '../../alerts/store/redis';
import type { Receiver } from '../../alerts/receivers/types';
import { redactUrl } from '../../state/redis-connection';
import { ApiServer, parseListen } from '../../api/server';
import { apiUsers } from '../../api/access';
import { listenOption } from '../options';
import { consoleSources } from './console-sources';

/** Default of --listen: beside a worker's API (9464) and telemetry (9465) on the same host. */
export const CONSOLE_LISTEN = '127.0.0.1:9470';
/** How long the alert store may take to answer at start before the command gives up. */
const STORE_ANSWER_MS = 3000;

const HELP_AFTER = `
Serves the duty-officer console (GET /console) and the API routes it uses (/api/alerts, acks,
comments, hand-on, silences, the live feed /api/console/events, incidents), reading and writing
the alert store that the workers share (Redis: alerting.store or state.backend "redis",
state.url, state.prefix of the same config file the workers run). It delivers nothing: workers
notify receivers; this process only shows the store and records people's actions in it, so it
works with any number of workers, and keeps working while they restart.
With an InfluxDB sink in the config the card's chart reads the key's series from it (its
token_env from the environment), else the stored evidence.

Sign-in is the worker API's: alerting.api (token_env, users, teams, sessions, trusted_proxy),
tokens from the environment. Stop with SIGINT or SIGTERM. See docs/console.md.

Exit codes: 0 stopped, 1 the alert store does not answer, 2 a usage mistake (no shared store or
no alerting.api in the config, a token missing, the address in use).
`;

/** Stands for a configured receiver in a process that routes (to know teams and groups) but never delivers. */
class NoDelivery implements Receiver {
  constructor(readonly name: string) {}
  notify(): Promise<void> {
    return Promise.reject(new Error(`the standalone console does not deliver (receiver ${this.name}): workers do`));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The alert store's location as the workers of this config use it, or why the console cannot use it. */
function sharedStore(config: FlowwatchConfig, file: string): { url: string; prefix: string } {
  const backend = config.alerting.store ?? config.state.backend;
  if (backend !== 'redis')
    throw new FlowwatchError(
      'FW_USAGE',
      `${file}: no shared alert store configured (the alert store is "${backend}", kept inside each worker): the standalone console reads the store the workers share; set alerting.store: redis (or state.backend: redis) and state.url, or open /console on a worker's API instead`,
    );
  if (!config.alerting.api)
    throw new FlowwatchError(
      'FW_USAGE',
      `${file}: alerting.api is not configured: the console signs people in with its tokens, users and teams (docs/console.md, "Who sees what")`,
    );
  return { url: config.state.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: storeNamespace(config) };
}

/** The alerting stages over the shared store, for reading and for people's actions: no poll loop, no delivery. */
export function consoleAlerting(config: FlowwatchConfig, store: RedisAlertStore, log: Logger): AlertingPipeline {
  const receivers = config.receivers.map((r) => new NoDelivery(r.name));
  return new AlertingPipeline({
    store,
    receivers,
    route: config.route ?? fanOutRoute(receivers.map((r) => r.name)),
    inhibitRules: config.inhibit_rules,
    config: config.alerting,
    clock: systemClock,
    log: log.child({ component: 'alerts' }),
    ...(config.incidents ? { incidents: config.incidents } : {}),
  });
}

async function consoleAction(flags: { config: string; listen: string }): Promise<void> {
  const log = createRootLogger();
  const config = loadConfigFile(flags.config);
  const where = sharedStore(config, flags.config);
  const apiCfg = config.alerting.api!;
  const users = apiUsers(apiCfg); // no token, no console: before anything connects
  const store = new RedisAlertStore({ url: where.url, prefix: where.prefix, log: log.child({ component: 'alert-store' }) });
  const stores = `the alert store at ${redactUrl(where.url)} (prefix "${where.prefix}")`;
  const answer = await outcomeWithin(store.ping(), STORE_ANSWER_MS);
  if (answer === 'timeout' || !('value' in answer)) {
    await store.close();
    const why = answer === 'timeout' ? `no answer within ${STORE_ANSWER_MS / 1000} s` : (answer.error as Error).message;
    throw new FlowwatchError('FW_STATE', `${stores} does not answer (${why}): is Redis up, and state.url right?`);
  }
  const api = new ApiServer({
    alerting: consoleAlerting(config, store, log),
    users,
    teams: apiCfg.teams,
    sessionIdleMs: apiCfg.session_idle,
    sessionMaxMs: apiCfg.session_max,
    maxSilenceMs: apiCfg.max_silence,
    trustedProxy: apiCfg.trusted_proxy,
    ...consoleSources(config, flags.config),
    log: log.child({ component: 'api' }),
  });
  const { host, port } = parseListen(flags.listen);
  try {
    const at = await api.listen(host, port, 'pass --listen with a free host:port');
    process.stdout.write(`flowwatch console: http://${at.host}:${at.port}/console (${stores})\n`);
  } catch (err) {
    await store.close();
    throw err;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await api.close();
  await store.close();
  log.flush();
}

/** --listen: a host:port ("off" would serve nothing). */
function consoleListen(value: string): string {
  const v = listenOption(value);
  if (v === 'off') throw new InvalidArgumentError('the console must listen somewhere: expected HOST:PORT (e.g. 127.0.0.1:9470)');
  return v;
}

export function registerConsole(program: Command): void {
  program
    .command('console')
    .description('serve the duty-officer console standalone, from the alert store the workers share (Redis); delivers nothing')
    .requiredOption('-c, --config <file>', "the workers' config file (alert store, routing tree, alerting.api users and teams)")
    .option('--listen <host:port>', `where the console listens (port 0: any free port)`, consoleListen, CONSOLE_LISTEN)
    .addHelpText('after', HELP_AFTER)
    .action(consoleAction);
}
