import { Option, type Command } from 'commander';
import * as os from 'node:os';
import { InvalidArgumentError } from 'commander';
import { loadConfigFile, loadDefaultConfig } from '../../config/load';
import { FLOW_NAMES, type FlowName } from '../../ingest/simulator';
import { durationOption, intOption } from '../options';
import type { BenchFlags } from '../../bench/run';
import { FlowwatchError } from '../../kernel/errors';
import { PRODUCER_CLIENTS } from '../../bench/kafka/protocol';

function flowsOption(value: string): FlowName[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of list)
    if (!(FLOW_NAMES as readonly string[]).includes(f))
      throw new InvalidArgumentError(`unknown flow "${f}"; expected people, goods, funds`);
  if (list.length === 0) throw new InvalidArgumentError('expected at least one flow');
  return list as FlowName[];
}

function skewOption(value: string): number {
  if (value === 'uniform') return 0;
  const m = /^zipf(?::([\d.]+))?$/.exec(value);
  const n = m ? (m[1] ? Number(m[1]) : 1) : Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected "uniform", "zipf", "zipf:S" or an exponent >= 0, got "${value}"`);
  return n;
}

function positiveOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number above 0, got "${value}"`);
  return n;
}

/** "2" or "1,2": one backlog pass per entry. */
function workersOption(value: string): number[] {
  return value.split(',').map((v) => positiveIntOption(v.trim()));
}

function positiveIntOption(value: string): number {
  const n = intOption(value);
  if (n <= 0) throw new InvalidArgumentError(`expected an integer above 0, got "${value}"`);
  return n;
}

const HELP_AFTER = `
Examples:
  flowwatch bench --scenario inproc                         no servers; pipeline vs JSON.parse over the same bytes
  flowwatch bench --scenario kafka                          starts Kafka/Redis/InfluxDB with scripts/services if $KAFKA_BROKERS is unset
  flowwatch bench --scenario kafka --rate 50000 --duration 60s --json
  flowwatch bench --scenario kafka --plot latency.svg
  flowwatch bench --scenario kafka --keys 100000 --skew zipf --no-sink
  flowwatch bench --scenario kafka --threads 2              the worker as two worker threads (as run --threads 2)
  flowwatch bench --scenario memory --keys 100000 --duration 10m
  flowwatch bench --scenario backlog                        5M events; flowwatch run (child) then the raw consumer over them
  flowwatch bench --scenario backlog --events 1000000 --workers 1,2 --threads 2
  flowwatch bench --scenario backlog --events 1000000 --worker-node-args "--cpu-prof --cpu-prof-dir=prof"

Progress goes to stderr; the results table to stdout (docs/bench.md explains every number).
`;

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'measure throughput and latency: inproc (CPU path vs the JSON.parse ceiling), kafka (open-loop load through Kafka, Redis and InfluxDB), memory (RSS with many keys over time), backlog (`flowwatch run` through a Kafka backlog vs the raw consumer)',
    )
    .requiredOption('-s, --scenario <name>', 'inproc | kafka | memory | backlog')
    .option(
      '-r, --rate <n>',
      'kafka: one step at this offered rate (events/s) instead of the sustainable-rate search; memory: the paced rate (default 5000)',
      intOption,
    )
    .option(
      '-d, --duration <d>',
      'inproc: measured time (default 20s); kafka: length of each step (default 15s); memory: run length (default 10m)',
      durationOption,
    )
    .option('-k, --keys <n>', 'active keys, spread over the flows (default 10000; memory: 100000)', intOption)
    .addOption(new Option('--skew <s>', 'key popularity: uniform, zipf (exponent 1) or zipf:S').argParser(skewOption).default(0, 'uniform'))
    .option('--flows <list>', 'flows to mix (default people,goods,funds)', flowsOption)
    .option('--no-sink', 'kafka: without the InfluxDB sink')
    .option('--partitions <n>', 'kafka, backlog: partitions per topic', intOption, 4)
    .option('--events <n>', 'backlog: events in the backlog (default 5000000)', positiveIntOption)
    .option('--scale <x>', "backlog: the simulator's entity multiplier, as `produce --scale` (default 500: ~34,500 keys)", positiveOption)
    .option(
      '--worker-node-args <args>',
      'backlog: Node options for the `flowwatch run` process, e.g. "--cpu-prof --cpu-prof-dir=prof" (quote them as one argument)',
    )
    .option(
      '--workers <list>',
      'backlog: `flowwatch run` processes in one consumer group, the partitions split between them; a list (1,2) measures one pass per entry over the same backlog (2: what a second core buys)',
      workersOption,
    )
    .option(
      '--threads <list>',
      'backlog: one pass of a single `flowwatch run --threads N` process per entry, after the --workers passes (--workers 1,2 --threads 2: one thread, two processes, two threads over one backlog); kafka: one number, the worker as N worker threads of the bench process, each a whole worker (default 1: in the bench thread)',
      workersOption,
    )
    .option('--start-rate <n>', 'kafka: first offered rate of the search', intOption, 40_000)
    .option('--max-rate <n>', 'kafka: highest offered rate the search tries', intOption, 400_000)
    .option(
      '--alerting <mode>',
      'full (the configured alerting stage, as `flowwatch run`; kafka default) or direct (alerts straight to a file: the core alone; memory default)',
      (v: string) => {
        if (v !== 'full' && v !== 'direct') throw new InvalidArgumentError('expected full or direct');
        return v;
      },
    )
    .option('--alert-store <backend>', "kafka: alert state in memory or redis (default: the config's, like state: redis)", (v: string) => {
      if (v !== 'memory' && v !== 'redis') throw new InvalidArgumentError('expected memory or redis');
      return v;
    })
    .option(
      '--producer <client>',
      `kafka: Kafka client of the load generator: ${PRODUCER_CLIENTS.join(' or ')} (default platformatic: a third of kafkajs's CPU per message, left to the worker)`,
      (v: string) => {
        if (!(PRODUCER_CLIENTS as readonly string[]).includes(v))
          throw new InvalidArgumentError(`expected ${PRODUCER_CLIENTS.join(' or ')}`);
        return v;
      },
    )
    .option(
      '--fetch-wait <d>',
      "kafka: the worker's kafka.fetch_wait, how long the broker may hold a fetch for 64 KB (default: the config's, else 10ms)",
      durationOption,
    )
    .option('--no-references', 'kafka: skip the references (raw consumer, naive, and the raw consumer beside the half-rate step)')
    .option('--batch <n>', 'inproc: records per batch', intOption, 1000)
    .option('-c, --config <file>', 'inproc/memory: config whose streams to run (default: the examples)')
    .option('--forecast', 'inproc/memory: add a forecast detector to every stream, so every key has one (bench/forecast-detectors.ts)')
    .option('--seed <n>', 'workload (backlog: simulator) seed', intOption, 1)
    .option('--json', 'one JSON object with the results on the last line of stdout')
    .option(
      '--plot <file.svg>',
      'kafka: also draw send→state latency (p50, p99, p99.9, max) against offered rate, sustainable rate marked, as SVG',
    )
    .addHelpText('after', HELP_AFTER)
    .action(benchAction);
}

/** Loads the config (with --forecast, a forecast detector on every stream) and runs the bench. */
async function benchAction(flags: BenchFlags & { config?: string; forecast?: boolean }): Promise<void> {
  let config = flags.config ? loadConfigFile(flags.config) : loadDefaultConfig();
  if (flags.forecast) config = (await import('../../bench/forecast-detectors')).withForecast(config);
  // Loaded here, not at startup: the bench's own packages (histograms, plots, a second Kafka
  // client) are development dependencies, absent from a worker installed with --omit=dev.
  let runBench: typeof import('../../bench/run').runBench;
  try {
    ({ runBench } = await import('../../bench/run'));
  } catch (err) {
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec((err as Error).message)?.[1];
    if (!missing) throw err;
    throw new FlowwatchError(
      'FW_USAGE',
      `bench needs its development dependencies (${missing} is not installed): run \`npm ci\` in the clone, without --omit=dev`,
      { cause: err },
    );
  }
  await runBench({ ...flags, loadedConfig: config, configFile: flags.config, cpus: os.cpus().length });
}
