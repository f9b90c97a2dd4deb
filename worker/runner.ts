import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock';
import { backoffDelay } from '../kernel/backoff';
import type { Alert } from '../kernel/types';
import type { FlowwatchConfig } from '../config/schema';
import { Pipeline, writeAll } from './pipeline';
import { withIdleTicks } from './idle-ticks';
import type { Source, SourceBatch } from '../ingest/sources/types';
import type { DeadLetterOutput } from '../ingest/dead-letter';
import { AlertDispatcher } from '../alerts/dispatch';
import type { StateStore } from '../state/types';
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
  metrics?: { batch(report: { events: number; rejectsByReason: Record<string, number>; latencyMs: number }): void; outputFailed?(what: string): void };
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
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), backoffDelay(attempt + 1, RETRY_INITIAL_MS, RETRY_MAX_MS));
    signal.addEventListener('abort', onAbort, { once: true });
  });

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
  const pipeline = new Pipeline(o.config, o.log.child({ component: 'pipeline' }));
  const started = o.clock.now();
  const loaded = new Set<string>();
  const sinks = o.sinks ?? [];
  const retryDelay = o.retryDelay ?? defaultRetryDelay;
  let batches = 0;
  let lastProgress = started;
  const stateSize = () => pipeline.stateSize();
  const progressEvery = o.progressEvery ?? 10_000;
  const summary = (): RunSummary => ({
    events: pipeline.stats.events,
    alerts: pipeline.stats.alertsFiring + pipeline.stats.alertsResolved,
    rejects: pipeline.stats.rejects,
    rejectsByReason: { ...(pipeline.stats.rejectsByReason as Record<string, number>) },
    eventsByStream: pipeline.eventsByStream(),
    batches,
    wallMs: o.clock.now() - started,
  });
  o.onStats?.(summary);

  for (const source of o.sources) {
    source.onRebalance?.(() => {
      // Partitions may have moved: forget in-memory state, reload each scope from the store on its next batch.
      for (const scope of loaded) pipeline.dropScope(scope);
      loaded.clear();
    });
  }

  /**
   * Runs a batch's write until it succeeds, holding the batch meanwhile: it is not acked, the
   * source is not read further (backpressure), heartbeats keep its partition. `component` names
   * the part for readiness (Health) while it fails.
   */
  async function durable<T>(what: string, batch: SourceBatch, log: Logger, fn: () => Promise<T>, component?: string): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await fn();
        if (attempt > 0) {
          // warn, as the failure was: an operator who sees only warnings must also see it end
          log.warn({ attempts: attempt + 1 }, `${what} succeeded again; the held batch goes on`);
          if (component) o.health?.ok(component);
        }
        return result;
      } catch (err) {
        if (o.signal.aborted && attempt > 0) throw err;
        if (attempt === 0 || attempt % 10 === 0) log.error({ err, attempt }, `${what} failed; holding the batch (not acknowledged) and retrying`);
        if (component) o.health?.fail(component, `${what} failing: ${(err as Error)?.message ?? String(err)}`);
        o.metrics?.outputFailed?.(what);
        await batch.heartbeat?.().catch(() => undefined);
        await retryDelay(attempt, o.signal);
      }
    }
  }

  const gate = new SinkGate({ sinks, log: o.log.child({ component: 'sinks' }), clock: o.clock, maxPause: o.maxSinkPause ?? 60_000, retryDelay, signal: o.signal, health: o.health });
  // The finest series resolution any sink asks for (0: every batch's latest verdict).
  const resolution = sinks.length > 0 ? Math.min(...sinks.map((s) => s.resolution ?? 0)) : 0;
  if (resolution > 0) pipeline.keepSeries(resolution);

  /**
   * Fires the timers the watermarks have passed. A replayed file has no clock of its own: the sweep
   * is paced by event time and the idle rule does not apply (a pause in reading is not silence).
   */
  function advance(source: Source, sourceTime: number | undefined, wall: number): Alert[] {
    if (source.replay && sourceTime === undefined) return pipeline.advance(pipeline.eventTime(source.streams) ?? wall, false);
    return pipeline.advance(sourceTime ?? wall, true);
  }

  /**
   * The source delivered nothing for a while: fire the timers its quiet partitions have due (by the
   * idle rule), notify, and commit the rows that changed — after every commit in flight, since
   * those rows may belong to any partition.
   */
  async function idleTick(source: Source, log: Logger, inFlight: ReadonlyMap<string, Promise<void>>): Promise<void> {
    const alerts = advance(source, undefined, o.clock.now());
    const changes = pipeline.takeChanges();
    if (alerts.length === 0 && changes.size === 0) return;
    if (alerts.length > 0) for (const s of sinks) s.write(alerts.map((a) => alertPoint(a)));
    const flushed = alerts.length > 0 ? gate.start() : [];
    const quiet: SourceBatch = { records: [] };
    await durable('alert dispatch', quiet, log, () => o.dispatcher.dispatch(alerts));
    if (alerts.length > 0) o.onAlerts?.(alerts);
    const commits = [...changes].map(([scope, c]) => o.store.prepare(scope, null, c));
    await Promise.all(inFlight.values());
    if (flushed.length > 0) await gate.pass(flushed, async () => undefined, log);
    await durable('state commit', quiet, log, () => recovery.commit(() => writeAll(commits)));
  }

  /** The state store's position per scope, as far as this worker knows (loaded, then committed). */
  const stored = new Map<string, number>();
  // A wiped or replaced store is re-seeded from memory at the commit that finds out (docs/state.md).
  const recovery = new StoreRecovery({ pipeline, store: o.store, dispatcher: o.dispatcher, log: o.log.child({ component: 'store-recovery' }), scopes: () => loaded, positions: stored });

  async function drive(source: Source): Promise<void> {
    const log = o.log.child({ component: 'source', source: source.name });
    // Commits and acks in flight per scope (partition): the latest, and all not yet settled in
    // order. A batch is processed (CPU only) while earlier ones commit; its dead letters and
    // alerts go out once fewer than BATCHES_AHEAD earlier batches of its scope are still
    // flushing and committing, its commit waits for the previous one — so each partition becomes
    // durable and is acked strictly in order, a batch's I/O overlaps earlier batches'
    // time-series flushes (a flush to a busy InfluxDB takes far longer than a Redis commit), and
    // partitions do not wait for each other's round trips. A crash replays every uncommitted
    // batch: their dead letters are written again (at least once), alert changes dropped by id.
    const inFlight = new Map<string, Promise<void>>();
    const unsettled = new Map<string, Array<Promise<void>>>();
    const previousOf = (scope: string) => inFlight.get(scope) ?? Promise.resolve();
    const tickMs = o.idleTickMs ?? 1000;
    const items = source.replay || tickMs <= 0 ? source.batches(o.signal) : withIdleTicks(source.batches(o.signal), tickMs);
    for await (const batch of items) {
      if (batch === null) {
        await idleTick(source, log, inFlight);
        continue;
      }
      const wall = o.clock.now();
      const scope = batch.scope ?? source.name;
      if (!loaded.has(scope)) {
        await previousOf(scope); // a commit to this scope in flight must land before its state is read
        const state = await durable('state load', batch, log, () => o.store.loadAll(scope));
        const position = await durable('state position', batch, log, () => o.store.position(scope));
        pipeline.dropScope(scope);
        if (state) pipeline.restore(state, scope, batch.time ?? wall);
        recovery.scopeLoaded(scope, state, position ?? null, batch);
        stored.set(scope, position ?? -1);
        loaded.add(scope);
      }
      // Records the store already holds (re-read after a rebalance) are not applied twice.
      batch.skipUpTo?.(stored.get(scope) ?? -1);
      const now = batch.time ?? wall;
      const result = pipeline.processBatch(batch.records, now, scope);
      const alerts = result.alerts.concat(advance(source, batch.time, wall));
      let flushed: Array<Promise<void> | null> = [];
      if (sinks.length > 0) {
        const points = pipeline.latestObservations(resolution).map((x) => aggregatePoint(x.stream, x.key, x.detector, x.obs, x.ts));
        for (const a of alerts) points.push(alertPoint(a));
        for (const s of sinks) s.write(points);
        // Sent now, so the request overlaps the dead letters, the dispatch and the previous commit.
        flushed = gate.start();
      }
      const previous = inFlight.get(scope);
      const earlier = unsettled.get(scope);
      if (earlier && earlier.length >= BATCHES_AHEAD) await earlier[earlier.length - BATCHES_AHEAD];
      if (inFlight.size >= MAX_SCOPES_IN_FLIGHT && !inFlight.has(scope)) await Promise.race(inFlight.values());
      await durable('dead-letter write', batch, log, () => o.deadLetter.write(result.rejects), 'dead-letter');
      // Retried like the state commit (heartbeats keep the partition); repeated changes are dropped by alert id.
      await durable('alert dispatch', batch, log, () => o.dispatcher.dispatch(alerts));
      if (alerts.length > 0) o.onAlerts?.(alerts);
      const alertedAt = o.onBatch ? o.clock.now() : 0;
      // Serialised now, once: a retried commit writes the same bytes, whatever the next batch changes.
      const commits = pipeline.prepareCommit(o.store, scope, batch.position ?? null, pipeline.takeChanges());
      const done = (async () => {
        // The batch's points are written before its state is: a crash in between replays the batch
        // and writes them again (identical points: event time), instead of losing them.
        if (flushed.length > 0) await gate.pass(flushed, () => batch.heartbeat?.() ?? Promise.resolve(), log);
        if (previous) await previous;
        const applied = await durable('state commit', batch, log, () => recovery.commit(() => writeAll(commits)));
        if (applied && batch.position !== undefined) stored.set(scope, Math.max(stored.get(scope) ?? -1, batch.position));
        const committedAt = o.onBatch ? o.clock.now() : 0;
        try {
          await batch.ack?.();
        } catch (err) {
          log.warn({ err }, 'offset commit failed (partition moved?); the next owner resumes from the state position');
        }
        batches++;
        if (o.metrics) {
          const rejectsByReason: Record<string, number> = {};
          for (const r of result.rejects) rejectsByReason[r.reason] = (rejectsByReason[r.reason] ?? 0) + 1;
          o.metrics.batch({ events: result.events, rejectsByReason, latencyMs: o.clock.now() - wall });
        }
        o.onBatch?.({ source: source.name, records: batch.records.length, events: result.events, position: batch.position, batch, alerts: result.alerts, startedAt: wall, alertedAt, committedAt, stateSize });
        if (result.rejects.length > 0) log.warn({ rejects: result.rejects.length, first: { reason: result.rejects[0].reason, detail: result.rejects[0].detail } }, 'records rejected to dead letter');
        if (wall - lastProgress >= progressEvery) {
          lastProgress = wall;
          o.log.info({ events: pipeline.stats.events, alertsFiring: pipeline.stats.alertsFiring, rejects: pipeline.stats.rejects, keys: pipeline.stateSize() }, 'progress');
        }
      })();
      // Awaited at the next batch or at the end; marked handled so a failure while the source
      // waits for records is not an unhandled rejection (it is rethrown where awaited).
      done.catch(() => undefined);
      inFlight.set(scope, done);
      const list = unsettled.get(scope) ?? [];
      list.push(done);
      unsettled.set(scope, list);
      // Forget it once settled, unless a later batch of the scope has taken its place.
      done.then(
        () => {
          const l = unsettled.get(scope);
          const i = l ? l.indexOf(done) : -1;
          if (i >= 0) l!.splice(i, 1);
          if (inFlight.get(scope) === done) (inFlight.delete(scope), unsettled.delete(scope));
        },
        () => undefined,
      );
    }
    // Rethrows a commit that failed for good (aborted while retrying).
    await Promise.all(inFlight.values());
  }

  await Promise.all(o.sources.map(drive));
  await Promise.all(sinks.map((s) => s.flush().catch((err: unknown) => o.log.warn({ err }, 'final sink flush failed'))));
  return summary();
}
