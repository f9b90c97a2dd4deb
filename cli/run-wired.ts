import type { Logger } from 'pino';
import type { FlowwatchConfig } from '../config/schema';
import { systemClock } from '../kernel/clock';
import { isFlowwatchError } from '../kernel/errors';
import { runPipeline, type RunSummary } from '../worker/runner';
import { EXIT } from './shutdown';
import type { Wiring } from './app';

/** The counters before the runner has started. */
export const NO_EVENTS: RunSummary = { events: 0, alerts: 0, rejects: 0, rejectsByReason: {}, eventsByStream: {}, batches: 0, wallMs: 0 };

/**
 * The pipeline of `flowwatch run` over a wired config until `signal` stops it: the same call for
 * the one worker of a process and for each of its threads (`run --threads`).
 */
export function runWired(
  w: Wiring,
  config: FlowwatchConfig,
  log: Logger,
  signal: AbortSignal,
  onStats: (live: () => RunSummary) => void,
): Promise<RunSummary> {
  w.metrics.readLive(() => NO_EVENTS);
  return runPipeline({
    config,
    sources: w.sources,
    dispatcher: w.dispatcher,
    deadLetter: w.deadLetter,
    store: w.store,
    sinks: w.sinks,
    log,
    clock: systemClock,
    signal,
    metrics: w.metrics,
    health: w.health,
    onStats: (live) => {
      w.metrics.readLive(live);
      onStats(live);
    },
    onBatch: (b) => {
      if (b.committedAt !== undefined && b.alertedAt !== undefined) w.metrics.stateCommit(b.committedAt - b.alertedAt);
    },
  });
}

/** A failed run's exit code and message: a port taken or a weak token is a usage mistake (2); a server refusing us is a failure (1). */
export function failureOf(err: unknown): { code: number; message: string } {
  const code = isFlowwatchError(err) && (err.code === 'FW_USAGE' || err.code.startsWith('FW_CONFIG')) ? EXIT.usage : EXIT.error;
  const message = isFlowwatchError(err) ? err.message : ((err as Error)?.stack ?? String(err));
  return { code, message };
}
