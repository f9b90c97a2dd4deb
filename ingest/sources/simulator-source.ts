import { setTimeout as sleep } from 'node:timers/promises';

/** At speed max, the longest the simulator runs without letting timers and signals in, ms. */
const MAX_SPEED_YIELD_MS = 20;
import type { SimulatorConfig } from '../config';
import { FlowSimulator, type FlowName, type GroundTruthLabel } from '../simulator';
import type { Source, SourceBatch } from './types';

export interface SimulatorSourceOptions {
  flows: FlowName[];
  config: SimulatorConfig;
  /** Seed override from the command line. */
  seed?: number;
  /** Stop after this much simulated time (backtests, scoring); default: run until aborted. */
  simDuration?: number;
  /** Wall-clock pacing; tests inject a no-op. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  wallNow?: () => number;
}

/** Default simulated start: today 06:30 UTC, so a short demo meets the morning rush. */
export function defaultSimStart(now = Date.now()): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 6, 30);
}

/** The built-in simulator as a source: one batch per simulated step, paced by `speed`. */
export class SimulatorSource implements Source {
  readonly name = 'simulator';
  readonly replay = true;
  readonly streams: readonly string[];
  readonly simulator: FlowSimulator;
  readonly start: number;

  constructor(private readonly opts: SimulatorSourceOptions) {
    this.streams = opts.flows;
    const c = opts.config;
    this.start = c.start ? Date.parse(c.start) : defaultSimStart(opts.wallNow?.() ?? Date.now());
    this.simulator = new FlowSimulator({
      seed: opts.seed ?? c.seed,
      start: this.start,
      flows: opts.flows,
      scale: c.scale,
      anomalies: { perFlowPerDay: c.anomalies_per_flow_per_day, firstWithin: c.first_anomaly_within },
    });
  }

  labels(): GroundTruthLabel[] {
    return this.simulator.labels();
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const { step, speed } = this.opts.config;
    const pause = this.opts.sleep ?? ((ms: number, s: AbortSignal) => sleep(ms, undefined, { signal: s }).catch(() => undefined));
    const wallNow = this.opts.wallNow ?? Date.now;
    const end = this.opts.simDuration !== undefined ? this.start + this.opts.simDuration : Infinity;
    const wallStart = wallNow();
    let t = this.start;
    let position = 0;
    let lastYield = wallStart;
    while (!signal.aborted && t < end) {
      const until = Math.min(t + step, end);
      const records = this.simulator.advance(until);
      t = until;
      yield { records, time: t, position: ++position };
      if (speed !== 'max') {
        // Pace against the start, not the previous batch, so slow batches don't accumulate drift.
        const due = wallStart + (t - this.start) / speed;
        const wait = due - wallNow();
        if (wait > 0) await pause(wait, signal);
      } else if (wallNow() - lastYield >= MAX_SPEED_YIELD_MS) {
        // At full speed with an in-memory store every await is a microtask: without a turn of the
        // event loop now and then, timers and signal handlers never ran (`run --speed max
        // --duration 3s` ran on for minutes and SIGTERM went unheard).
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = wallNow();
      }
    }
  }
}
