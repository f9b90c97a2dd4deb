import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock';
import { backoffDelay } from '../kernel/backoff';
import type { Alert } from '../kernel/types';
import type { FlowwatchConfig } from '../config/schema';
import { Pipeline, writeAll, type BatchResult } from './pipeline';
import { withIdleTicks } from './idle-ticks';
import type { Source, SourceBatch } from '../ingest/sources/types';
import type { DeadLetterOutput } from '../ingest/dead-letter';
import { AlertDispatcher } from '../alerts/dispatch';
import type { PreparedCommit, StateStore } from '../state/types';
import type { Sink } from '../sinks/types';
import { aggregatePoint, alertPoint } from '../sinks/points';
import { SinkGate } from '../sinks/sink-gate';
import type { Health } from '../kernel/health';
import { StoreRecovery } from './store-recovery';

export interface RunOptions {
  config: FlowwatchConfig;
  sources: Source[];
  dispatcher: AlertDispatcher;
  deadLetter: DeadLetterOutput;
  store: StateStore;
  sinks?: Sink[];
  log: Logger;
  /** Wall clock for live sources and progress logs. */
  clock: Clock;
  signal: AbortSignal;
  /** Seen by tests and the backtest: every alert state change, after delivery. */
  onAlerts?: (alerts: readonly Alert[]) => void;
  /** Called after each batch is durable (tests, progress bars, bench). */
  onBatch?: (info: BatchInfo) => void;
  /**
   * Per-batch counters for /metrics (events, rejects by reason, batch latency), and failed
   * attempts of a held output ("dead-letter write", "state commit", ...), one per retry.
   */
  metrics?: {
    batch(report: { events: number; rejectsByReason: Record<string, number>; latencyMs: number }): void;
    outputFailed?(what: string): void;
  };
  /**
   * Readiness the run's parts report into (/readyz, /metrics; the CLI's wiring creates it): the
   * dead-letter output and the sinks report here while they fail (`dead-letter`, `sink:<name>`).
   */
  health?: Health;
  /** How often to log a progress line (wall ms). */
  progressEvery?: number;
  /**
   * Longest hold of batches while a sink cannot write (InfluxDB down): a batch's state commit
   * waits for its points (sinks/sink-gate.ts). After it, batches flow again — alerts matter more
   * than time series — and points past the sink's bound are dropped and counted. Default 60 s.
   */
  maxSinkPause?: number;
  /** Pause between retries of a failed state commit (tests inject 0). */
  retryDelay?: (attempt: number, signal: AbortSignal) => Promise<void>;
  /**
   * How long a live source may deliver nothing before the runner fires due timers anyway (the
   * idle rule, silence of a whole partition); 0 = never. Default 1 s.
   */
  idleTickMs?: number;
  /**
   * Receives, once at the start, a live view of the counters so far: a forced exit (second
   * signal, shutdown watchdog) prints its summary line from it.
   */
  onStats?: (live: () => RunSummary) => void;
}

/** What onBatch reports about a batch once it is durable. */
export interface BatchInfo {
  source: string;
  records: number;
  events: number;
  position?: number;
  /** The batch as the source delivered it (the bench reads per-record send times from it). */
  batch?: SourceBatch;
  /** Alerts raised by the batch's events (not by time passing), after delivery to receivers. */
  alerts?: readonly Alert[];
  /** Clock time when processing of the batch began (it had waited in the source until then). */
  startedAt?: number;
  /** Clock time when the batch's alerts were delivered and when its state was committed. */
  alertedAt?: number;
  committedAt?: number;
  /** Live per-key states in the pipeline (walks them: call it now and then, not per batch). */
  stateSize?: () => number;
}

export interface RunSummary {
  events: number;
  alerts: number;
  rejects: number;
  rejectsByReason: Record<string, number>;
  eventsByStream: Record<string, number>;
  batches: number;
  wallMs: number;
}

/** Scopes (partitions) whose commits may be in flight at once. */
const MAX_SCOPES_IN_FLIGHT = 8;
/**
 * Earlier batches of a scope that may still be flushing time series and committing while a batch
 * does its I/O. 1 would put a time-series write in every batch's critical path: at 20k events/s
 * on a busy 2-core box an InfluxDB flush took 0.3–1 s and the worker fell behind.
 */
const BATCHES_AHEAD = 4;

/** Pause before the first retry of a held batch's write, and the longest pause (ms). */
const RETRY_INITIAL_MS = 200;
const RETRY_MAX_MS = 10_000;

/**
 * The pause before retry `attempt` (0 = the first) of a failed write: the shared backoff policy
 * (kernel/backoff.ts: doubling from RETRY_INITIAL_MS up to RETRY_MAX_MS, with jitter, so workers
 * held by the same Redis outage do not retry in step), cut short when the run is stopped.
 */
const defaultRetryDelay = (attempt: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    // Stopping: no wait before the last attempt ('abort' has already fired and would not again).
    if (signal.aborted) return resolve();
    // The listener goes with the wait: a hold of minutes must not pile up one per attempt.
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(
      () => (signal.removeEventListener('abort', onAbort), resolve()),
      backoffDelay(attempt + 1, RETRY_INITIAL_MS, RETRY_MAX_MS),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Commits and acks in flight per scope (partition) of one source: the latest, and all not yet
 * settled in order. A batch is processed (CPU only) while earlier ones commit; its dead letters and
 * alerts go out once fewer than BATCHES_AHEAD earlier batches of its scope are still flushing and
 * committing, its commit waits for the previous one — so each partition becomes durable and is
 * acked strictly in order, a batch's I/O overlaps earlier batches' time-series flushes (a flush to
 * a busy InfluxDB takes far longer than a Redis commit), and partitions do not wait for each
 * other's round trips. A crash replays every uncommitted batch: their dead letters are written
 * again (at least once), alert changes dropped by id.
 */
class ScopesInFlight {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly unsettled = new Map<string, Array<Promise<void>>>();

  /** The scope's latest batch still committing, if any. */
  latest(scope: string): Promise<void> | undefined {
    return this.inFlight.get(scope);
  }

  previousOf(scope: string): Promise<void> {
    return this.inFlight.get(scope) ?? Promise.resolve();
  }

  /** The earlier batch of the scope to wait for while BATCHES_AHEAD of them are in flight, if any. */
  tooFarAhead(scope: string): Promise<void> | undefined {
    const earlier = this.unsettled.get(scope);
    return earlier && earlier.length >= BATCHES_AHEAD ? earlier[earlier.length - BATCHES_AHEAD] : undefined;
  }

  /** While MAX_SCOPES_IN_FLIGHT other scopes are committing: the first of them to settle. */
  tooManyScopes(scope: string): Promise<void> | undefined {
    return this.inFlight.size >= MAX_SCOPES_IN_FLIGHT && !this.inFlight.has(scope) ? Promise.race(this.inFlight.values()) : undefined;
  }

  commits(): IterableIterator<Promise<void>> {
    return this.inFlight.values();
  }

  add(scope: string, done: Promise<void>): void {
    // Awaited at the next batch or at the end; marked handled so a failure while the source
    // waits for records is not an unhandled rejection (it is rethrown where awaited).
    done.catch(() => undefined);
    this.inFlight.set(scope, done);
    const list = this.unsettled.get(scope) ?? [];
    list.push(done);
    this.unsettled.set(scope, list);
    // Forget it once settled, unless a later batch of the scope has taken its place.
    done.then(
      () => {
        const l = this.unsettled.get(scope);
        const i = l ? l.indexOf(done) : -1;
        if (i >= 0) l!.splice(i, 1);
        if (this.inFlight.get(scope) === done) {
          this.inFlight.delete(scope);
          this.unsettled.delete(scope);
        }
      },
      () => undefined,
    );
  }
}

/** A batch whose dead letters and alerts went out, on its way to its state commit and ack. */
interface SentBatch {
  source: Source;
  batch: SourceBatch;
  log: Logger;
  scope: string;
  /** Clock time when processing of the batch began. */
  wall: number;
  result: BatchResult;
  /** The sinks' flushes of the batch's points (gate.start()), empty without sinks. */
  flushed: Array<Promise<void> | null>;
  /** The scope's previous batch still committing, if any: this one's commit waits for it. */
  previous: Promise<void> | undefined;
  commits: PreparedCommit[];
  alertedAt: number;
}

/**
 * One run of the pipeline over its sources: the per-scope bookkeeping (loaded scopes, store
 * positions), the held writes and the counters the summary reports.
 */
class PipelineRun {
  private readonly pipeline: Pipeline;
  private readonly started: number;
  private readonly loaded = new Set<string>();
  private readonly sinks: Sink[];
  private readonly retryDelay: (attempt: number, signal: AbortSignal) => Promise<void>;
  private batches = 0;
  private lastProgress: number;
  private readonly progressEvery: number;
  private readonly gate: SinkGate;
  /** The finest series resolution any sink asks for (0: every batch's latest verdict). */
  private readonly resolution: number;
  /** The state store's position per scope, as far as this worker knows (loaded, then committed). */
  private readonly stored = new Map<string, number>();
  private readonly recovery: StoreRecovery;

  constructor(private readonly o: RunOptions) {
    this.pipeline = new Pipeline(o.config, o.log.child({ component: 'pipeline' }));
    this.started = o.clock.now();
    this.sinks = o.sinks ?? [];
    this.retryDelay = o.retryDelay ?? defaultRetryDelay;
    this.lastProgress = this.started;
    this.progressEvery = o.progressEvery ?? 10_000;
    o.onStats?.(this.summary);
    for (const source of o.sources) {
      source.onRebalance?.(() => {
        // Partitions may have moved: forget in-memory state, reload each scope from the store on its next batch.
        for (const scope of this.loaded) this.pipeline.dropScope(scope);
        this.loaded.clear();
      });
    }
    this.gate = new SinkGate({
      sinks: this.sinks,
      log: o.log.child({ component: 'sinks' }),
      clock: o.clock,
      maxPause: o.maxSinkPause ?? 60_000,
      retryDelay: this.retryDelay,
      signal: o.signal,
      health: o.health,
    });
    this.resolution = this.sinks.length > 0 ? Math.min(...this.sinks.map((s) => s.resolution ?? 0)) : 0;
    if (this.resolution > 0) this.pipeline.keepSeries(this.resolution);
    // Without series sinks nothing reads the per-key verdicts (writeSeries): detectors then write
    // them into reused objects instead of three new ones per detector and event.
    if (this.sinks.length === 0) this.pipeline.keepObservations(false);
    // A wiped or replaced store is re-seeded from memory at the commit that finds out (docs/state.md).
    this.recovery = new StoreRecovery({
      pipeline: this.pipeline,
      store: o.store,
      dispatcher: o.dispatcher,
      log: o.log.child({ component: 'store-recovery' }),
      scopes: () => this.loaded,
      positions: this.stored,
    });
  }

  readonly summary = (): RunSummary => ({
    events: this.pipeline.stats.events,
    alerts: this.pipeline.stats.alertsFiring + this.pipeline.stats.alertsResolved,
    rejects: this.pipeline.stats.rejects,
    rejectsByReason: { ...(this.pipeline.stats.rejectsByReason as Record<string, number>) },
    eventsByStream: this.pipeline.eventsByStream(),
    batches: this.batches,
    wallMs: this.o.clock.now() - this.started,
  });

  private readonly stateSize = () => this.pipeline.stateSize();

  async drive(source: Source): Promise<void> {
    const log = this.o.log.child({ component: 'source', source: source.name });
    const scopes = new ScopesInFlight();
    const tickMs = this.o.idleTickMs ?? 1000;
    const items = source.replay || tickMs <= 0 ? source.batches(this.o.signal) : withIdleTicks(source.batches(this.o.signal), tickMs);
    for await (const batch of items) {
      if (batch === null) {
        await this.idleTick(source, log, scopes);
        continue;
      }
      const wall = this.o.clock.now();
      const scope = batch.scope ?? source.name;
      if (!this.loaded.has(scope)) await this.loadScope(scope, batch, log, wall, scopes);
      // Records the store already holds (re-read after a rebalance) are not applied twice.
      batch.skipUpTo?.(this.stored.get(scope) ?? -1);
      const now = batch.time ?? wall;
      const result = this.pipeline.processBatch(batch.records, now, scope);
      const alerts = result.alerts.concat(this.advance(source, batch.time, wall));
      const flushed = this.writeSeries(alerts);
      const previous = scopes.latest(scope);
      const ahead = scopes.tooFarAhead(scope);
      if (ahead) await ahead;
      const busy = scopes.tooManyScopes(scope);
      if (busy) await busy;
      await this.durable('dead-letter write', batch, log, () => this.o.deadLetter.write(result.rejects), 'dead-letter');
      // Retried like the state commit (heartbeats keep the partition); repeated changes are dropped by alert id.
      await this.durable('alert dispatch', batch, log, () => this.o.dispatcher.dispatch(alerts));
      if (alerts.length > 0) this.o.onAlerts?.(alerts);
      const alertedAt = this.o.onBatch ? this.o.clock.now() : 0;
      // Serialised now, once: a retried commit writes the same bytes, whatever the next batch changes.
      const commits = this.pipeline.prepareCommit(this.o.store, scope, batch.position ?? null, this.pipeline.takeChanges());
      scopes.add(scope, this.commitAndAck({ source, batch, log, scope, wall, result, flushed, previous, commits, alertedAt }));
    }
    // Rethrows a commit that failed for good (aborted while retrying).
    await Promise.all(scopes.commits());
  }

  /** Reads a scope's state from the store, the first time one of its batches arrives (again after a rebalance). */
  private async loadScope(scope: string, batch: SourceBatch, log: Logger, wall: number, scopes: ScopesInFlight): Promise<void> {
    await scopes.previousOf(scope); // a commit to this scope in flight must land before its state is read
    const state = await this.durable('state load', batch, log, () => this.o.store.loadAll(scope));
    const position = await this.durable('state position', batch, log, () => this.o.store.position(scope));
    this.pipeline.dropScope(scope);
    if (state) this.pipeline.restore(state, scope, batch.time ?? wall);
    this.recovery.scopeLoaded(scope, state, position ?? null, batch);
    this.stored.set(scope, position ?? -1);
    this.loaded.add(scope);
  }

  /** Hands the batch's points and alerts to the sinks and starts their flush; none without sinks. */
  private writeSeries(alerts: readonly Alert[]): Array<Promise<void> | null> {
    if (this.sinks.length === 0) return [];
    const points = this.pipeline.latestObservations(this.resolution).map((x) => aggregatePoint(x.stream, x.key, x.detector, x.obs, x.ts));
    for (const a of alerts) points.push(alertPoint(a));
    for (const s of this.sinks) s.write(points);
    // Sent now, so the request overlaps the dead letters, the dispatch and the previous commit.
    return this.gate.start();
  }

  /** The batch's time series, then its state commit (after the previous one of its scope), then its ack. */
  private async commitAndAck(b: SentBatch): Promise<void> {
    // The batch's points are written before its state is: a crash in between replays the batch
    // and writes them again (identical points: event time), instead of losing them.
    if (b.flushed.length > 0) await this.gate.pass(b.flushed, () => b.batch.heartbeat?.() ?? Promise.resolve(), b.log);
    if (b.previous) await b.previous;
    const applied = await this.durable('state commit', b.batch, b.log, () => this.recovery.commit(() => writeAll(b.commits)));
    if (applied && b.batch.position !== undefined) this.stored.set(b.scope, Math.max(this.stored.get(b.scope) ?? -1, b.batch.position));
    const committedAt = this.o.onBatch ? this.o.clock.now() : 0;
    try {
      await b.batch.ack?.();
    } catch (err) {
      b.log.warn({ err }, 'offset commit failed (partition moved?); the next owner resumes from the state position');
    }
    this.batchDone(b, committedAt);
  }

  /** Counts and reports a batch once it is durable and acked. */
  private batchDone(b: SentBatch, committedAt: number): void {
    const { source, batch, log, wall, result } = b;
    this.batches++;
    if (this.o.metrics) {
      const rejectsByReason: Record<string, number> = {};
      for (const r of result.rejects) rejectsByReason[r.reason] = (rejectsByReason[r.reason] ?? 0) + 1;
      this.o.metrics.batch({ events: result.events, rejectsByReason, latencyMs: this.o.clock.now() - wall });
    }
    this.o.onBatch?.({
      source: source.name,
      records: batch.records.length,
      events: result.events,
      position: batch.position,
      batch,
      alerts: result.alerts,
      startedAt: wall,
      alertedAt: b.alertedAt,
      committedAt,
      stateSize: this.stateSize,
    });
    if (result.rejects.length > 0)
      log.warn(
        { rejects: result.rejects.length, first: { reason: result.rejects[0].reason, detail: result.rejects[0].detail } },
        'records rejected to dead letter',
      );
    if (wall - this.lastProgress >= this.progressEvery) {
      this.lastProgress = wall;
      this.o.log.info(
        {
          events: this.pipeline.stats.events,
          alertsFiring: this.pipeline.stats.alertsFiring,
          rejects: this.pipeline.stats.rejects,
          keys: this.pipeline.stateSize(),
        },
        'progress',
      );
    }
  }

  /**
   * Runs a batch's write until it succeeds, holding the batch meanwhile: it is not acked, the
   * source is not read further (backpressure), heartbeats keep its partition. `component` names
   * the part for readiness (Health) while it fails.
   */
  private async durable<T>(
    what: string,
    batch: SourceBatch,
    log: Logger,
    fn: () => Promise<T>,
    component?: string,
  ): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await fn();
        if (attempt > 0) {
          // warn, as the failure was: an operator who sees only warnings must also see it end
          log.warn({ attempts: attempt + 1 }, `${what} succeeded again; the held batch goes on`);
          if (component) this.o.health?.ok(component);
        }
        return result;
      } catch (err) {
        if (this.o.signal.aborted && attempt > 0) throw err;
        if (attempt === 0 || attempt % 10 === 0)
          log.error({ err, attempt }, `${what} failed; holding the batch (not acknowledged) and retrying`);
        if (component) this.o.health?.fail(component, `${what} failing: ${(err as Error)?.message ?? String(err)}`);
        this.o.metrics?.outputFailed?.(what);
        await batch.heartbeat?.().catch(() => undefined);
        await this.retryDelay(attempt, this.o.signal);
      }
    }
  }

  /**
   * Fires the timers the watermarks have passed. A replayed file has no clock of its own: the sweep
   * is paced by event time and the idle rule does not apply (a pause in reading is not silence).
   */
  private advance(source: Source, sourceTime: number | undefined, wall: number): Alert[] {
    if (source.replay && sourceTime === undefined) return this.pipeline.advance(this.pipeline.eventTime(source.streams) ?? wall, false);
    return this.pipeline.advance(sourceTime ?? wall, true);
  }

  /**
   * The source delivered nothing for a while: fire the timers its quiet partitions have due (by the
   * idle rule), notify, and commit the rows that changed — after every commit in flight, since
   * those rows may belong to any partition.
   */
  private async idleTick(source: Source, log: Logger, scopes: ScopesInFlight): Promise<void> {
    const alerts = this.advance(source, undefined, this.o.clock.now());
    const changes = this.pipeline.takeChanges();
    if (alerts.length === 0 && changes.size === 0) return;
    if (alerts.length > 0) for (const s of this.sinks) s.write(alerts.map((a) => alertPoint(a)));
    const flushed = alerts.length > 0 ? this.gate.start() : [];
    const quiet: SourceBatch = { records: [] };
    await this.durable('alert dispatch', quiet, log, () => this.o.dispatcher.dispatch(alerts));
    if (alerts.length > 0) this.o.onAlerts?.(alerts);
    const commits = [...changes].map(([scope, c]) => this.o.store.prepare(scope, null, c));
    await Promise.all(scopes.commits());
    if (flushed.length > 0) await this.gate.pass(flushed, async () => undefined, log);
    await this.durable('state commit', quiet, log, () => this.recovery.commit(() => writeAll(commits)));
  }
}

/**
 * Drives sources through the pipeline, one batch at a time: process (CPU only) → dead letters,
 * notifications, time series and state commit (I/O, once per batch; the time series are written
 * before the state, see sinks/sink-gate.ts) → ack. The next batch is processed while earlier
 * ones flush and commit; its dead letters and alerts go out while up to BATCHES_AHEAD earlier
 * batches of its partition are still in flight, its commit waits for theirs. Sources run
 * concurrently. A batch whose state cannot be committed (Redis down) is retried — the source
 * is not read further meanwhile, which is the backpressure — and acked only once it is durable.
 */
export async function runPipeline(o: RunOptions): Promise<RunSummary> {
  const run = new PipelineRun(o);
  const sinks = o.sinks ?? [];
  await Promise.all(o.sources.map((source) => run.drive(source)));
  await Promise.all(sinks.map((s) => s.flush().catch((err: unknown) => o.log.warn({ err }, 'final sink flush failed'))));
  return run.summary();
}
