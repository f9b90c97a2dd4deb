import type { Logger } from 'pino';
import type { Clock } from './clock';
import type { Alert } from './types';
import type { FlowwatchConfig } from '../config/schema';
import { Pipeline } from './pipeline';
import type { Source } from '../ingest/sources/types';
import type { DeadLetterOutput } from '../ingest/dead-letter';
import { AlertDispatcher } from '../alerts/dispatch';
import type { StateStore } from '../state/types';

export interface RunOptions {
  config: FlowwatchConfig;
  sources: Source[];
  dispatcher: AlertDispatcher;
  deadLetter: DeadLetterOutput;
  store: StateStore;
  log: Logger;
  /** Wall clock for live sources and progress logs. */
  clock: Clock;
  signal: AbortSignal;
  /** Seen by tests and the backtest: every alert state change, after delivery. */
  onAlerts?: (alerts: readonly Alert[]) => void;
  /** How often to log a progress line (wall ms). */
  progressEvery?: number;
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

/**
 * Drives sources through the pipeline, one batch at a time: process (CPU only) → dead letters,
 * notifications and state commit (I/O, once per batch) → ack. Sources run concurrently.
 */
export async function runPipeline(o: RunOptions): Promise<RunSummary> {
  const pipeline = new Pipeline(o.config, o.log.child({ component: 'pipeline' }));
  for (const source of o.sources) pipeline.restore(await o.store.loadAll(source.name), source.name);
  const started = o.clock.now();
  let batches = 0;
  let lastProgress = started;
  const progressEvery = o.progressEvery ?? 10_000;

  async function drive(source: Source): Promise<void> {
    const log = o.log.child({ component: 'source', source: source.name });
    for await (const batch of source.batches(o.signal)) {
      const wall = o.clock.now();
      const now = batch.time ?? wall;
      const scope = batch.scope ?? source.name;
      const result = pipeline.processBatch(batch.records, source.replay && batch.time === undefined ? wall : now, scope);
      // Replayed files have no clock of their own: silence is judged by event time (watermark).
      const alerts = result.alerts.concat(pipeline.advance(source.replay && batch.time === undefined ? pipeline.eventTime(source.streams) ?? wall : now));
      await o.deadLetter.write(result.rejects);
      await o.dispatcher.dispatch(alerts);
      if (alerts.length > 0) o.onAlerts?.(alerts);
      await pipeline.commit(o.store, scope, batch.position ?? null);
      await batch.ack?.();
      batches++;
      if (result.rejects.length > 0) log.warn({ rejects: result.rejects.length, first: { reason: result.rejects[0].reason, detail: result.rejects[0].detail } }, 'records rejected to dead letter');
      if (wall - lastProgress >= progressEvery) {
        lastProgress = wall;
        o.log.info({ events: pipeline.stats.events, alertsFiring: pipeline.stats.alertsFiring, rejects: pipeline.stats.rejects, keys: pipeline.stateSize() }, 'progress');
      }
    }
  }

  await Promise.all(o.sources.map(drive));
  return {
    events: pipeline.stats.events,
    alerts: pipeline.stats.alertsFiring + pipeline.stats.alertsResolved,
    rejects: pipeline.stats.rejects,
    rejectsByReason: pipeline.stats.rejectsByReason as Record<string, number>,
    eventsByStream: pipeline.eventsByStream(),
    batches,
    wallMs: o.clock.now() - started,
  };
}

