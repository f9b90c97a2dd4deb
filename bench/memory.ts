import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { runPipeline } from '../worker/runner';
import { systemClock } from '../kernel/clock';
import { createRootLogger } from '../kernel/logger';
import type { RawRecord } from '../kernel/types';
import type { FlowName } from '../ingest/simulator';
import type { Source, SourceBatch } from '../ingest/sources/types';
import { RedisStateStore } from '../state/redis-store';
import { parseConfigText, validateConfig } from '../config/load';
import type { FlowwatchConfig } from '../config/schema';
import { examplesDir, type RawConfig } from './kafka/scenario';
import { wire } from '../cli/app';
import { ensureServices } from './services';
import { JsonlDispatcher } from './alerts';
import type { AlertDispatcher } from '../alerts/dispatch';
import { Workload } from './workload';
import { round, slope } from './stats';

export interface MemoryOptions {
  /** Config file whose streams to run; default: examples/{people,goods,funds}.yaml. */
  configFile?: string;
  flows: FlowName[];
  keys: number;
  skew: number;
  rate: number;
  durationMs: number;
  partitions: number;
  batchSize: number;
  seed: number;
  sampleEveryMs?: number;
  /** full: the configured alerting stage; direct: alerts straight to a file (see the kafka scenario). */
  alerting?: 'full' | 'direct';
  progress: (line: string, final?: boolean) => void;
}

export interface MemorySample {
  t: number;
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
  stateEntries: number;
  events: number;
}

export interface MemoryResult {
  scenario: 'memory';
  alerting: 'full' | 'direct';
  flows: FlowName[];
  keys: number;
  rate: number;
  durationSeconds: number;
  events: number;
  stateEntries: number;
  rssStartMB: number;
  rssEndMB: number;
  rssMaxMB: number;
  /** Least-squares RSS slope over the run after warm-up (all keys active), MB per minute. */
  rssSlopeMBPerMin: number;
  heapUsedEndMB: number;
  /** (heap used after warm-up − heap used before the pipeline existed) / active keys. */
  bytesPerKey: number;
  bytesPerStateEntry: number;
  samples: MemorySample[];
}

/** Live-like generator source: `rate` events/s with event time = now, one batch per partition per tick. */
class PacedSource implements Source {
  readonly name = 'bench';
  readonly replay = false;
  constructor(
    readonly streams: readonly string[],
    private readonly w: Workload,
    private readonly rate: number,
    private readonly partitions: number,
    private readonly tickMs = 50,
  ) {}
  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const start = Date.now();
    let sent = 0;
    const position = new Array<number>(this.partitions).fill(0);
    while (!signal.aborted) {
      const now = Date.now();
      const due = Math.floor(((now - start) * this.rate) / 1000);
      const parts: RawRecord[][] = Array.from({ length: this.partitions }, () => []);
      const from = sent;
      const span = Math.max(1, due - from);
      for (; sent < due; sent++) {
        // Event times spread over the tick (a key's two events in one tick are not "duplicates").
        const e = this.w.next(now - this.tickMs + Math.floor(((sent - from) * this.tickMs) / span));
        parts[hashKey(e.key) % this.partitions].push({ stream: e.stream, payload: Buffer.from(e.value) });
      }
      for (let p = 0; p < this.partitions; p++) {
        if (parts[p].length > 0) yield { records: parts[p], scope: `bench:${p}`, position: (position[p] += parts[p].length) };
      }
      await new Promise((r) => setTimeout(r, this.tickMs));
    }
  }
}

function hashKey(k: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A worker's memory with many active keys: the full runner (decode → detectors → lifecycle →
 * Redis state commits per batch) fed by an in-process generator at a steady rate, every key
 * touched in the first pass, RSS and heap sampled over the run.
 */
export async function runMemory(o: MemoryOptions): Promise<MemoryResult> {
  const services = ensureServices(['redis'], (m) => o.progress(m, true));
  const id = `fwbench-mem-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${id}-`));
  const log = createRootLogger({ level: process.env.FLOWWATCH_LOG_LEVEL ?? 'warn' });
  const heap0 = process.memoryUsage().heapUsed;
  const config = memoryConfig(o, services.redisUrl, id, dir);
  const store = new RedisStateStore({ url: services.redisUrl, prefix: id, ttlSeconds: 3600 });
  const w = wire(config, log, { store });
  const dispatcher: AlertDispatcher = o.alerting === 'direct' ? new JsonlDispatcher(path.join(dir, 'alerts-direct.jsonl')) : w.dispatcher;
  const workload = new Workload({ flows: o.flows, keys: o.keys, skew: o.skew, seed: o.seed, sequentialFirst: true });
  const source = new PacedSource(o.flows, workload, o.rate, o.partitions);
  const controller = new AbortController();
  const meter = new MemoryMeter(o.progress);
  const timer = setTimeout(() => controller.abort(), o.durationMs);
  // Ctrl-C ends the run early; the results so far are reported and the Redis keys removed.
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const sampler = setInterval(() => meter.sample(), o.sampleEveryMs ?? 10_000);
  try {
    await runPipeline({
      config,
      sources: [source],
      dispatcher,
      deadLetter: w.deadLetter,
      store,
      sinks: [],
      log,
      clock: systemClock,
      signal: controller.signal,
      progressEvery: 3_600_000,
      onBatch: (info) => meter.batch(info.records, info.stateSize),
      onAlerts: () => undefined,
    }).then(() => undefined);
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (dispatcher !== w.dispatcher) await dispatcher.close().catch(() => undefined);
    await w.close().catch(() => undefined);
    await removeKeys(services.redisUrl, id);
    fs.rmSync(dir, { recursive: true, force: true });
    services.stop();
  }
  return memoryResult(o, meter, workload.keys, heap0);
}

/** The streams to run (the config file's, or examples/<flow>.yaml), on Redis state under this run's prefix, alerts and dead letters into dir. */
function memoryConfig(o: MemoryOptions, redisUrl: string, id: string, dir: string): FlowwatchConfig {
  const read = (file: string, name: string) => parseConfigText(fs.readFileSync(file, 'utf8'), name) as RawConfig;
  const raw: RawConfig = o.configFile
    ? read(o.configFile, o.configFile)
    : { streams: Object.assign({}, ...o.flows.map((f) => read(path.join(examplesDir(), `${f}.yaml`), f).streams)) };
  const streams: Record<string, unknown> = {};
  for (const f of o.flows) if (raw.streams[f]) streams[f] = raw.streams[f];
  raw.streams = streams;
  raw.sinks = [];
  raw.receivers = [{ type: 'jsonl', name: 'bench', path: path.join(dir, 'alerts.jsonl') }];
  raw.state = { ...(raw.state as object), backend: 'redis', url: redisUrl, prefix: id };
  raw.dead_letter = { type: 'file', path: path.join(dir, 'dead-letter.jsonl') };
  return validateConfig(raw, 'bench memory config');
}

/** Counts what the runner reports per batch and samples the process's memory. */
class MemoryMeter {
  readonly samples: MemorySample[] = [];
  events = 0;
  private entries = 0;
  private stateSize: (() => number) | null = null;
  private readonly started = Date.now();

  constructor(private readonly progress: MemoryOptions['progress']) {}

  batch(records: number, stateSize: (() => number) | undefined): void {
    this.events += records;
    this.stateSize = stateSize ?? null;
  }

  sample(): void {
    const m = process.memoryUsage();
    if (this.stateSize) this.entries = this.stateSize();
    const events = this.events;
    const entries = this.entries;
    const s: MemorySample = {
      t: round((Date.now() - this.started) / 1000, 1),
      rssMB: round(m.rss / 1048576, 1),
      heapUsedMB: round(m.heapUsed / 1048576, 1),
      externalMB: round((m.external + m.arrayBuffers) / 1048576, 1),
      stateEntries: entries,
      events,
    };
    this.samples.push(s);
    this.progress(
      `  t=${s.t}s  events ${events.toLocaleString('en-US')}  state entries ${entries.toLocaleString('en-US')}  rss ${s.rssMB} MB  heap ${s.heapUsedMB} MB`,
      true,
    );
  }
}

/** Removes this run's Redis keys (prefix id). */
async function removeKeys(redisUrl: string, id: string): Promise<void> {
  const r = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${id}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

function memoryResult(o: MemoryOptions, meter: MemoryMeter, keys: number, heap0: number): MemoryResult {
  const samples = meter.samples;
  // Steady part: after every key has been seen (first pass) — the last two thirds of the run.
  const steady = samples.filter((s) => s.t * 1000 >= o.durationMs / 3);
  const base = steady.length > 0 ? steady : samples;
  const last = samples[samples.length - 1];
  const heapKeys = base.length > 0 ? (base.reduce((a, s) => a + s.heapUsedMB, 0) / base.length) * 1048576 - heap0 : 0;
  return {
    scenario: 'memory',
    alerting: o.alerting ?? 'full',
    flows: o.flows,
    keys,
    rate: o.rate,
    durationSeconds: round(o.durationMs / 1000),
    events: meter.events,
    stateEntries: last?.stateEntries ?? 0,
    rssStartMB: base[0]?.rssMB ?? NaN,
    rssEndMB: last?.rssMB ?? NaN,
    rssMaxMB: Math.max(...samples.map((s) => s.rssMB)),
    rssSlopeMBPerMin: round(
      slope(
        base.map((s) => s.t / 60),
        base.map((s) => s.rssMB),
      ),
      2,
    ),
    heapUsedEndMB: last?.heapUsedMB ?? NaN,
    bytesPerKey: round(heapKeys / keys),
    bytesPerStateEntry: last && last.stateEntries > 0 ? round(heapKeys / last.stateEntries) : NaN,
    samples,
  };
}
