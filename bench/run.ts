import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FlowwatchConfig } from '../config/schema';
import { FLOW_NAMES, type FlowName } from '../ingest/simulator';
import { FlowwatchError } from '../kernel/errors';
import { runInproc, type InprocResult } from './inproc';
import { boxCpuPct, runKafkaBench, type KafkaBenchResult } from './kafka/scenario';
import type { ProducerClientName } from './kafka/protocol';
import { runMemory, type MemoryResult } from './memory';
import { passLabel, runBacklogBench, type BacklogBenchResult } from './backlog/scenario';
import { renderLatencyPlot } from './plot';
import type { LatencySummary } from './histogram';

export interface BenchFlags {
  scenario: string;
  rate?: number;
  duration?: number;
  keys?: number;
  skew: number;
  flows?: FlowName[];
  sink: boolean;
  partitions: number;
  startRate: number;
  maxRate: number;
  references: boolean;
  batch: number;
  seed: number;
  json?: boolean;
  alertStore?: 'memory' | 'redis';
  /** kafka: the worker's kafka.fetch_wait, ms. */
  fetchWait?: number;
  alerting?: 'full' | 'direct';
  /** kafka: the Kafka client the load generator sends with. */
  producer?: ProducerClientName;
  /** kafka: write an SVG of latency against offered rate here. */
  plot?: string;
  /** backlog: events in the backlog. */
  events?: number;
  /** backlog: simulator entity multiplier. */
  scale?: number;
  /** backlog: Node options for the worker process (one string, split on spaces). */
  workerNodeArgs?: string;
  /** backlog: worker processes in one consumer group, one pass per entry (e.g. [1, 2]). */
  workers?: number[];
  /** backlog: `run --threads N` of one process, one pass per entry after the --workers passes (e.g. [2]); kafka: one entry, the worker's threads. */
  threads?: number[];
}

export type BenchResult = (InprocResult | KafkaBenchResult | MemoryResult | BacklogBenchResult) & { machine: MachineInfo };

export interface MachineInfo {
  cpus: number;
  node: string;
  /** 1-minute load average before and after the run (other work on the box shows here). */
  loadBefore: number;
  loadAfter: number;
}

/** Progress: a rewritten line on a terminal, only lines marked final otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (line: string, final?: boolean) => void {
  const tty = stream.isTTY === true;
  let open = false;
  return (line, final) => {
    if (tty) {
      stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
      open = !final;
    } else if (final) stream.write(line + '\n');
    void open;
  };
}

/** --plot: kafka scenario only, into a writable folder — found out now, not after the run. */
function checkPlotTarget(scenario: string, plot: string): void {
  if (scenario !== 'kafka')
    throw new FlowwatchError('FW_USAGE', `--plot draws latency against offered rate: kafka scenario only (got --scenario ${scenario})`);
  // Found out now, not after the run.
  try {
    fs.accessSync(path.dirname(path.resolve(plot)), fs.constants.W_OK);
  } catch (err) {
    throw new FlowwatchError('FW_USAGE', `--plot ${plot}: its folder is missing or not writable`, { cause: err });
  }
}

export async function runBench(f: BenchFlags & { loadedConfig: FlowwatchConfig; configFile?: string; cpus: number }): Promise<BenchResult> {
  if (f.plot !== undefined) checkPlotTarget(f.scenario, f.plot);
  const progress = progressPrinter();
  const flows = f.flows ?? [...FLOW_NAMES];
  const loadBefore = os.loadavg()[0];
  let result: InprocResult | KafkaBenchResult | MemoryResult | BacklogBenchResult;
  if (f.scenario === 'inproc') {
    result = runInproc({
      config: f.loadedConfig,
      flows,
      keys: f.keys ?? 10_000,
      skew: f.skew,
      durationMs: f.duration ?? 20_000,
      batchSize: f.batch,
      seed: f.seed,
      onProgress: (p) =>
        progress(
          `  ${p.phase}: ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}${p.eventsPerSec ? `  pipeline ${Math.round(p.eventsPerSec).toLocaleString('en-US')}/s  JSON.parse ${Math.round(p.ceilingEventsPerSec ?? 0).toLocaleString('en-US')}/s` : ''}`,
        ),
    });
  } else if (f.scenario === 'kafka') {
    result = await runKafka(f, flows, progress);
  } else if (f.scenario === 'memory') {
    result = await runMemory({
      configFile: f.configFile,
      flows,
      keys: f.keys ?? 100_000,
      skew: f.skew,
      rate: f.rate ?? 5_000,
      durationMs: f.duration ?? 600_000,
      partitions: f.partitions,
      batchSize: f.batch,
      seed: f.seed,
      alerting: f.alerting ?? 'direct',
      progress,
    });
  } else if (f.scenario === 'backlog') {
    result = await runBacklog(f, flows, progress);
  } else {
    throw new FlowwatchError('FW_USAGE', `unknown scenario "${f.scenario}"; expected inproc, kafka, memory or backlog`);
  }
  progress('', true);
  const full: BenchResult = {
    ...result,
    machine: { cpus: f.cpus, node: process.version, loadBefore: round2(loadBefore), loadAfter: round2(os.loadavg()[0]) },
  };
  process.stdout.write(table(full) + '\n');
  if (f.plot !== undefined && full.scenario === 'kafka') {
    const svg = await renderLatencyPlot(full);
    try {
      fs.writeFileSync(f.plot, svg);
    } catch (err) {
      throw new FlowwatchError('FW_USAGE', `cannot write the plot to ${f.plot}: ${(err as Error).message}`, { cause: err });
    }
    process.stderr.write(`latency plot written to ${f.plot}\n`);
  }
  if (f.json) process.stdout.write(JSON.stringify(full) + '\n');
  return full;
}

function runKafka(f: BenchFlags, flows: FlowName[], progress: ReturnType<typeof progressPrinter>): Promise<KafkaBenchResult> {
  if (f.threads && f.threads.length > 1)
    throw new FlowwatchError(
      'FW_USAGE',
      `--threads ${f.threads.join(',')}: the kafka scenario runs one worker shape per run; give one number (e.g. --threads 2) and alternate runs`,
    );
  return runKafkaBench({
    flows,
    keys: f.keys ?? 10_000,
    skew: f.skew,
    stepMs: f.duration ?? 15_000,
    rate: f.rate,
    startRate: f.startRate,
    maxRate: f.maxRate,
    sink: f.sink,
    partitions: f.partitions,
    seed: f.seed,
    skipReferences: !f.references,
    alertStore: f.alertStore,
    fetchWaitMs: f.fetchWait,
    alerting: f.alerting ?? 'full',
    producerClient: f.producer ?? 'platformatic',
    threads: f.threads?.[0] ?? 1,
    progress,
  });
}

function runBacklog(f: BenchFlags, flows: FlowName[], progress: ReturnType<typeof progressPrinter>): Promise<BacklogBenchResult> {
  return runBacklogBench({
    events: f.events ?? 5_000_000,
    flows,
    partitions: f.partitions,
    seed: f.seed,
    scale: f.scale ?? 500,
    workerNodeArgs: (f.workerNodeArgs ?? '').split(/\s+/).filter(Boolean),
    workers: f.workers ?? [1],
    threads: f.threads,
    progress,
  });
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** "worker 80 %, producer 27 %, kafka 19 %, …" in a fixed order, then anything else. */
export function cpuSplit(cpu: Record<string, number>): string {
  const order = ['worker', 'producer', 'kafka', 'redis', 'influxdb'];
  const names = [...order.filter((k) => k in cpu), ...Object.keys(cpu).filter((k) => !order.includes(k))];
  return names.map((k) => `${k} ${Math.round(cpu[k])} %`).join(', ');
}

const n = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US');
const r = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

/** "p50 …  p99 …  p99.9 …  max … ms" of a latency summary ("-" where there are no samples). */
const percentiles = (l: LatencySummary) => `p50 ${r(l.p50, 1)}  p99 ${r(l.p99, 1)}  p99.9 ${r(l.p999, 1)}  max ${r(l.max, 1)} ms`;

/** The kafka scenario's rows of the summary table. */
function kafkaRows(res: KafkaBenchResult & { machine: MachineInfo }): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const m = res.machine;
  rows.push([
    'scenario',
    `kafka: ${res.flows.join('+')}, ${n(res.keys)} keys${res.skew > 0 ? `, zipf ${res.skew}` : ''}, ${res.partitions} partitions, sink ${res.sink ? 'influxdb' : 'none'}, alerting ${res.alerting}, ${res.threads ?? 1} worker thread${(res.threads ?? 1) > 1 ? 's' : ''}, load sent with ${res.producerClient}`,
  ]);
  rows.push([
    'sustainable',
    `${n(res.sustainableEventsPerSec)} events/s${res.unsustainableEventsPerSec ? ` (${n(res.unsustainableEventsPerSec)}/s was not)` : ''}  (target >= 100,000)`,
  ]);
  const s = res.latencyMs.state;
  const a = res.latencyMs.alert;
  rows.push([`send→state at ${n(res.latencyOfferedEventsPerSec)}/s`, `${percentiles(s)}  (${n(s.count)} events; target p99 <= 25)`]);
  const pk = res.latencyMs.pickup;
  // Absent from results of older builds read back in; shown as "-".
  if (pk) rows.push([`  of which send→pickup`, `${percentiles(pk)}  (producer, broker, fetch, batches queued ahead)`]);
  const dl = res.latencyMs.delivery;
  if (dl) rows.push([`  of which send→fetched`, `${percentiles(dl)}  (producer, broker, fetch wait: before the worker has it)`]);
  // The latency reference (absent without references, and from results of older builds).
  if (res.latencyMs.acked)
    rows.push([`  reference: send→acked`, `${percentiles(res.latencyMs.acked)}  (the load generator: broker acknowledged)`]);
  if (res.latencyMs.rawFetched)
    rows.push([
      `  reference: send→fetched`,
      `${percentiles(res.latencyMs.rawFetched)}  (raw kafkajs consumer, same fetch settings, own group and process)`,
    ]);
  rows.push([`send→alert at ${n(res.latencyOfferedEventsPerSec)}/s`, `${percentiles(a)}  (${n(a.count)} alerts)`]);
  const aa = res.alertLatencyAllStepsMs;
  rows.push(['send→alert, all steps', `${percentiles(aa)}  (${n(aa.count)} alerts)`]);
  const latencyStep = [...res.steps].reverse().find((x) => x.offered === res.latencyOfferedEventsPerSec && x.phase !== 'warmup');
  const sustainedStep = [...res.steps]
    .reverse()
    .find((x) => x.offered === res.sustainableEventsPerSec && x.sustainable && x.phase !== 'warmup');
  for (const st of new Set([sustainedStep, latencyStep])) {
    if (st?.cpuPct)
      rows.push([`CPU at ${n(st.offered)}/s (% of a core)`, `${cpuSplit(st.cpuPct)}; ${r(boxCpuPct(st), 0)} of ${m.cpus * 100}`]);
  }
  rows.push([
    'raw consumer (kafkajs)',
    `${n(res.rawConsumerEventsPerSec)} events/s; sustainable/raw = ${r(res.ratioToRawConsumer, 3)}  (target >= 0.8)`,
  ]);
  rows.push([
    'naive (per message + Redis)',
    `${n(res.naiveEventsPerSec)} events/s; sustainable/naive = ${r(res.ratioToNaive, 1)}  (target >= 5)`,
  ]);
  return rows;
}

/** The human-readable summary (stdout). */
export function table(res: BenchResult): string {
  const rows: Array<[string, string]> = [];
  const m = res.machine;
  if (res.scenario === 'inproc') {
    rows.push([
      'scenario',
      `inproc: ${res.flows.join('+')}, ${n(res.keys)} keys${res.skew > 0 ? `, zipf ${res.skew}` : ''}, batches of ${res.batchSize}`,
    ]);
    rows.push(['events measured', `${n(res.events)} (${r(res.payloadBytes / res.events, 0)} bytes avg)`]);
    rows.push(['pipeline', `${n(res.eventsPerSec)} events/s`]);
    rows.push(['ceiling: JSON.parse(bytes)', `${n(res.ceilingEventsPerSec)} events/s`]);
    rows.push(['ratio to ceiling', `${r(res.ratioToCeiling, 3)}  (target >= 0.6)`]);
    // Absent from results of older builds read back in.
    if (res.changeSetShare !== undefined)
      rows.push([
        '  of which change set',
        `${r(res.changeSetShare * 100, 1)} % of the pipeline's time (ratio without it ${r(res.ratioWithoutChangeSet, 3)})`,
      ]);
    rows.push(['JSON.parse(string) only', `${n(res.stringParseEventsPerSec)} events/s (ratio ${r(res.ratioToStringParse, 3)})`]);
    rows.push(['alerts / rejects', `${n(res.alerts)} / ${n(res.rejects)}`]);
    rows.push(['state entries / heap / rss', `${n(res.stateEntries)} / ${r(res.heapUsedMB, 0)} MB / ${r(res.rssMB, 0)} MB`]);
  } else if (res.scenario === 'kafka') {
    rows.push(...kafkaRows(res));
  } else if (res.scenario === 'backlog') {
    rows.push(...backlogRows(res));
  } else {
    rows.push([
      'scenario',
      `memory: ${res.flows.join('+')}, ${n(res.keys)} keys at ${n(res.rate)} events/s for ${n(res.durationSeconds)} s, alerting ${res.alerting}`,
    ]);
    rows.push(['events / state entries', `${n(res.events)} / ${n(res.stateEntries)}`]);
    rows.push([
      'rss start → end (max)',
      `${r(res.rssStartMB, 0)} → ${r(res.rssEndMB, 0)} MB (max ${r(res.rssMaxMB, 0)})  (target < 500, flat)`,
    ]);
    rows.push(['rss slope after warm-up', `${r(res.rssSlopeMBPerMin, 2)} MB/min`]);
    rows.push(['bytes per key / per state', `${n(res.bytesPerKey)} / ${n(res.bytesPerStateEntry)}`]);
  }
  rows.push(['machine', `${m.cpus} cpus, node ${m.node}, load ${m.loadBefore} → ${m.loadAfter}`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** Backlog: the worker's figures next to the raw consumer's, measured in the same run. */
function backlogRows(res: BacklogBenchResult): Array<[string, string]> {
  const run = (x: BacklogBenchResult['rawConsumer']) =>
    `${n(x.eventsPerSec)} events/s, ${r(x.cpuUsPerEvent)} µs CPU/event (${r(x.cpuPct, 0)} % of a core; load ${x.loadStart} → ${x.loadEnd})`;
  const passRows = (w: BacklogBenchResult['worker']): Array<[string, string]> => [
    [
      `${passLabel(w)} (10–90 %)`,
      `${run(w)}${w.processes > 1 ? ' (CPU of all processes)' : w.threads > 1 ? ' (CPU of the process)' : '  (target <= 7 µs)'}`,
    ],
    ['  applied / summary', `${n(w.done)} of ${n(res.events)}; ${w.summary.replace(/flowwatch: /g, '') || '-'}`],
  ];
  const w = res.worker;
  return [
    [
      'scenario',
      `backlog: examples/kafka.yaml (${res.flows.join('+')}, scale ${res.scale}), ${n(res.events)} events, ${res.partitions} partitions, Redis state, no sink`,
    ],
    ['filled in', `${r(res.fill.seconds, 1)} s (${n(res.fill.eventsPerSec)} events/s)`],
    ...res.passes.flatMap(passRows),
    ...(w.nodeArgs.length > 0 ? [['  node options', w.nodeArgs.join(' ')] as [string, string]] : []),
    ['raw consumer (kafkajs)', run(res.rawConsumer)],
    [
      'flowwatch / raw',
      `throughput ${r(res.ratioToRawConsumer.throughput, 3)}, CPU per event ${r(res.ratioToRawConsumer.cpuPerEvent, 2)}× (the first pass)`,
    ],
  ];
}
