import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AlertingMetrics } from '../alerts/alerting';
import type { Health } from '../kernel/health';
import { outcomeWithin } from '../kernel/settle';
import type { SinkStats } from '../sinks/types';

type Snapshot = { outbox: Record<string, number>; dead: Record<string, number>; alerts: Record<string, number> };

/**
 * Longest a scrape waits for the alert store's snapshot (outbox depth, alerts by state), ms. Past
 * it the last known values are served and flowwatch_metrics_stale is 1: with Redis paused a scrape
 * used to wait as long as the pause, and with Redis unreachable it never answered.
 */
export const SNAPSHOT_TIMEOUT_MS = 500;

/** Running totals of the pipeline (the runner's live counters), read at scrape time. */
export interface LiveCounts {
  eventsByStream: Record<string, number>;
  rejectsByReason: Record<string, number>;
}

/** What the runner reports once per batch (never per event). */
export interface BatchReport {
  /** Events admitted in the batch, by stream. */
  eventsByStream?: Record<string, number>;
  /** Or just the count. */
  events?: number;
  /** Rejected records by reason (dead-lettered). */
  rejectsByReason?: Record<string, number>;
  /** Wall time from batch received to durable, ms. */
  latencyMs?: number;
}

/**
 * flowwatch's Prometheus metrics, in a registry of its own (not prom-client's global one, so
 * tests and several pipelines in one process don't collide). The runner calls `batch()` per
 * batch; the alerting pipeline reports changes and deliveries through the AlertingMetrics
 * interface; gauges (outbox depth, alerts by state) are read from the store when scraped.
 */
const VERSION: string = (() => {
  try {
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return require('../package.json').version as string;
  }
})();

/** What a /metrics endpoint serves: FlowwatchMetrics, or `run --threads`' series of every thread (cli/run-threads/pool.ts). */
export interface MetricsText {
  text(): Promise<string>;
  readonly contentType: string;
}

export class FlowwatchMetrics implements AlertingMetrics, MetricsText {
  readonly registry = new Registry();
  private readonly events: Counter<'stream'>;
  private readonly rejects: Counter<'reason'>;
  private readonly batchLatency: Histogram;
  private readonly batches: Counter;
  private readonly outputFailures: Counter<'output'>;
  private readonly changes: Counter<'status'>;
  private readonly notifications: Counter<'receiver' | 'outcome'>;
  private readonly commitLatency: Histogram;
  private readonly epoch: Gauge;
  private snapshotSource?: () => Promise<Snapshot>;
  private snapshotCache?: Promise<Snapshot | undefined>;
  /** The last snapshot the store gave, served when it does not answer in time. */
  private lastSnapshot?: Snapshot;
  private snapshotStale = false;
  private live?: () => LiveCounts;
  private readonly sinks: Array<{ name: string; stats(): SinkStats }> = [];
  private readonly lagSources: Array<() => Array<{ topic: string; partition: number; lag: number }>> = [];
  private health?: Health;
  private epochSource?: () => number | null | undefined;

  private readonly snapshotTimeoutMs: number;

  constructor(o: { snapshotTimeoutMs?: number } = {}) {
    this.snapshotTimeoutMs = o.snapshotTimeoutMs ?? SNAPSHOT_TIMEOUT_MS;
    const registers = [this.registry];
    const self = this;
    // Totals come from the runner's live counters when wired (exact, per stream), else from batch().
    this.events = new Counter({
      name: 'flowwatch_events_total',
      help: 'Events admitted into the pipeline, by stream',
      labelNames: ['stream'],
      registers,
      collect() {
        if (!self.live) return;
        this.reset();
        for (const [stream, n] of Object.entries(self.live().eventsByStream)) this.inc({ stream }, n);
      },
    });
    this.rejects = new Counter({
      name: 'flowwatch_rejects_total',
      help: 'Records rejected to the dead letter, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        if (!self.live) return;
        this.reset();
        for (const [reason, n] of Object.entries(self.live().rejectsByReason)) if (n > 0) this.inc({ reason }, n);
      },
    });
    this.batches = new Counter({ name: 'flowwatch_batches_total', help: 'Batches made durable', registers });
    this.outputFailures = new Counter({
      name: 'flowwatch_output_failures_total',
      help: 'Failed attempts of a held output (dead-letter write, state commit, alert dispatch); the batch is held and retried',
      labelNames: ['output'],
      registers,
    });
    this.batchLatency = new Histogram({
      name: 'flowwatch_batch_duration_seconds',
      help: 'Wall time from a batch received to durable (state, alerts, dead letters)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.changes = new Counter({
      name: 'flowwatch_alert_changes_total',
      help: 'Alert state changes accepted for notification (after de-duplication)',
      labelNames: ['status'],
      registers,
    });
    this.notifications = new Counter({
      name: 'flowwatch_notifications_total',
      help: 'Notification delivery attempts by outcome: sent, retried (failed, will retry), failed (rejected for good)',
      labelNames: ['receiver', 'outcome'],
      registers,
    });
    this.commitLatency = new Histogram({
      name: 'flowwatch_state_commit_duration_seconds',
      help: "Wall time from a batch's alerts delivered to its state committed (retries included)",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.epoch = new Gauge({
      name: 'flowwatch_store_epoch',
      help: 'Epoch of the state store this worker writes to (changes when the store was wiped or replaced)',
      registers,
      collect() {
        // Read at scrape time from the store (no I/O: the epoch it last learned).
        const n = self.epochSource?.();
        if (typeof n === 'number') this.set(n);
      },
    });
    this.registerProcessGauges(registers);
    this.registerSinkMetrics(registers);
    this.registerSnapshotGauges(registers);
  }

  /** Which build runs, readiness and consumer lag, read at scrape time. */
  private registerProcessGauges(registers: Registry[]): void {
    const self = this;
    new Gauge({
      name: 'flowwatch_build_info',
      help: 'Always 1; the labels say which flowwatch and which Node run',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: VERSION, node: process.version }, 1);
    new Gauge({
      name: 'flowwatch_ready',
      help: '1 when the worker is ready (sources connected, no part reporting a problem), else 0',
      registers,
      collect() {
        this.set(self.health?.ready === false ? 0 : 1);
      },
    });
    new Gauge({
      name: 'flowwatch_health_problem',
      help: 'One series per part reporting a problem (see /readyz for the reason)',
      labelNames: ['component'],
      registers,
      collect() {
        this.reset();
        for (const p of self.health?.list() ?? []) this.set({ component: p.component }, 1);
      },
    });
    new Gauge({
      name: 'flowwatch_consumer_lag',
      help: 'Records in each assigned partition past what this worker has made durable, as of its latest fetch',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const read of self.lagSources) for (const l of read()) this.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
      },
    });
  }

  /** Per sink, points written, dropped and held, from its stats() at scrape time. */
  private registerSinkMetrics(registers: Registry[]): void {
    const self = this;
    new Counter({
      name: 'flowwatch_sink_points_total',
      help: 'Time-series points per sink: written (acknowledged by the destination) or dropped (given up, counted with a reason in the logs)',
      labelNames: ['sink', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const s of self.sinks) {
          const st = s.stats();
          if (st.written > 0) this.inc({ sink: s.name, outcome: 'written' }, st.written);
          if (st.dropped > 0) this.inc({ sink: s.name, outcome: 'dropped' }, st.dropped);
        }
      },
    });
    new Gauge({
      name: 'flowwatch_sink_points_buffered',
      help: 'Points a sink holds that are not yet written or dropped',
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const s of self.sinks) this.set({ sink: s.name }, s.stats().buffered);
      },
    });
  }

  /** Outbox depth, dead notifications and alerts by state: from the alert store's snapshot, when scraped. */
  private registerSnapshotGauges(registers: Registry[]): void {
    const self = this;
    new Gauge({
      name: 'flowwatch_metrics_stale',
      help: `1 when the alert store did not answer a scrape within ${SNAPSHOT_TIMEOUT_MS} ms and outbox depth and alerts by state are the last known values`,
      registers,
      async collect() {
        await self.snapshot();
        this.set(self.snapshotStale ? 1 : 0);
      },
    });
    new Gauge({
      name: 'flowwatch_outbox_depth',
      help: 'Notifications waiting for delivery, per receiver',
      labelNames: ['receiver'],
      registers,
      async collect() {
        const s = await self.snapshot().catch(() => undefined);
        this.reset();
        for (const [receiver, n] of Object.entries(s?.outbox ?? {})) this.set({ receiver }, n);
      },
    });
    new Gauge({
      name: 'flowwatch_notifications_dead',
      help: 'Notifications a receiver rejected for good, kept in its dead list',
      labelNames: ['receiver'],
      registers,
      async collect() {
        const s = await self.snapshot().catch(() => undefined);
        this.reset();
        for (const [receiver, n] of Object.entries(s?.dead ?? {})) this.set({ receiver }, n);
      },
    });
    new Gauge({
      name: 'flowwatch_alerts',
      help: 'Active alerts by state: firing (all), acked, flapping, muted (silenced or inhibited)',
      labelNames: ['state'],
      registers,
      async collect() {
        const s = await self.snapshot().catch(() => undefined);
        this.reset();
        for (const [state, n] of Object.entries(s?.alerts ?? {})) this.set({ state }, n);
      },
    });
  }

  /** Where the gauges read outbox depth and alerts by state (the alerting pipeline's snapshot). */
  readFrom(source: () => Promise<Snapshot>): void {
    this.snapshotSource = source;
  }

  /** One store read per scrape, shared by the snapshot gauges, bounded by SNAPSHOT_TIMEOUT_MS. */
  private snapshot(): Promise<Snapshot | undefined> {
    return (this.snapshotCache ??= this.readSnapshot().finally(() => setImmediate(() => (this.snapshotCache = undefined))));
  }

  /** The store's snapshot within SNAPSHOT_TIMEOUT_MS, else the last known one (marked stale). */
  private async readSnapshot(): Promise<Snapshot | undefined> {
    if (!this.snapshotSource) return undefined;
    const read = await outcomeWithin(this.snapshotSource(), this.snapshotTimeoutMs);
    // A store that fails or does not answer in time: the last known values, marked stale.
    if (read !== 'timeout' && 'value' in read && read.value) {
      this.lastSnapshot = read.value;
      this.snapshotStale = false;
      return read.value;
    }
    this.snapshotStale = true;
    return this.lastSnapshot;
  }

  /** Process metrics (CPU, memory, GC, event-loop lag, open handles) in this registry. Once per registry. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The runner's live counters: events per stream and rejects per reason at scrape time. */
  readLive(live: () => LiveCounts): void {
    this.live = live;
  }

  /** Sinks whose stats() are read at scrape time. */
  readSinks(sinks: ReadonlyArray<{ name: string; stats(): SinkStats }>): void {
    this.sinks.push(...sinks);
  }

  /** A source that knows its consumer lag per partition (KafkaSource.lag). */
  readLag(lag: () => Array<{ topic: string; partition: number; lag: number }>): void {
    this.lagSources.push(lag);
  }

  /** Readiness shown as flowwatch_ready and flowwatch_health_problem. */
  readHealth(health: Health): void {
    this.health = health;
  }

  /** One failed attempt of a held output (the runner retries it). */
  outputFailed(what: string): void {
    this.outputFailures.inc({ output: what });
  }

  /** Set by the state store when it learns its epoch. */
  storeEpoch(n: number): void {
    this.epoch.set(n);
  }

  /** Or read from it at scrape time (the store learns its epoch on first use, and again after a wipe). */
  readEpoch(source: () => number | null | undefined): void {
    this.epochSource = source;
  }

  /** From alerts delivered to state committed, per batch. */
  stateCommit(ms: number): void {
    this.commitLatency.observe(ms / 1000);
  }

  /** The runner's per-batch call. */
  batch(r: BatchReport): void {
    this.batches.inc();
    // With the runner's live counters wired, events and rejects are read from them at scrape time.
    if (!this.live) {
      if (r.eventsByStream) {
        for (const [stream, n] of Object.entries(r.eventsByStream)) if (n > 0) this.events.inc({ stream }, n);
      } else if (r.events !== undefined && r.events > 0) this.events.inc({ stream: 'all' }, r.events);
      if (r.rejectsByReason) for (const [reason, n] of Object.entries(r.rejectsByReason)) if (n > 0) this.rejects.inc({ reason }, n);
    }
    if (r.latencyMs !== undefined) this.batchLatency.observe(r.latencyMs / 1000);
  }

  change(status: string): void {
    this.changes.inc({ status });
  }

  notification(receiver: string, outcome: 'sent' | 'failed' | 'retried'): void {
    this.notifications.inc({ receiver, outcome });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
