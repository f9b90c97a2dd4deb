import type { LatencySummary } from './histogram';
import { slope } from './stats';

/** What one offered-rate step measured (kafka scenario; a fake in tests). */
export interface StepMeasure {
  /** Offered rate, events/s. */
  offered: number;
  /** Events the producer actually sent per second over the step (falls short if the producer saturates). */
  sent: number;
  /** How far the producer fell behind its schedule at worst, ms (a stalled broker or a saturated box). */
  producerMaxLagMs?: number;
  /** Events made durable (state committed) per second over the step. */
  achieved: number;
  /** Backlog (sent − committed) samples over the step: seconds since step start, events. */
  lag: Array<{ t: number; events: number }>;
  /** p99 of send→state latency in the first and last third of the step, ms. */
  p99First: number;
  p99Last: number;
  latency?: LatencySummary;
}

export interface SustainCriteria {
  /** achieved/offered at least this (default 0.95). */
  minThroughputRatio: number;
  /** The producer may fall at most this far behind schedule, ms (default 1000). */
  maxProducerLagMs: number;
  /** Backlog may grow by at most this fraction of the offered rate per second (default 0.02). */
  maxLagGrowth: number;
  /** Backlog at the end at most this many seconds of offered load (default 1). */
  maxEndLagSeconds: number;
  /** p99 in the last third at most max(factor × first third, first third + slackMs) ... */
  p99GrowthFactor: number;
  p99GrowthSlackMs: number;
  /** ... and at most this (default 1000 ms): flat but seconds behind is not sustainable. */
  p99BudgetMs: number;
}

export const DEFAULT_CRITERIA: SustainCriteria = {
  minThroughputRatio: 0.95,
  maxProducerLagMs: 1000,
  maxLagGrowth: 0.02,
  maxEndLagSeconds: 1,
  p99GrowthFactor: 1.5,
  p99GrowthSlackMs: 50,
  p99BudgetMs: 1000,
};

export interface Verdict {
  sustainable: boolean;
  /** Why not (first failed criterion), or "ok". */
  reason: string;
  lagGrowthPerSec: number;
}

/**
 * Sustainable throughput (Karimov et al., "Benchmarking Distributed Stream Data Processing
 * Systems", ICDE 2018): the system keeps up with the offered load — throughput matches it and
 * neither the backlog nor the latency grows over the step.
 */
export function judgeStep(m: StepMeasure, c: SustainCriteria = DEFAULT_CRITERIA): Verdict {
  const growth =
    m.lag.length >= 2
      ? slope(
          m.lag.map((x) => x.t),
          m.lag.map((x) => x.events),
        )
      : 0;
  const endLag = m.lag.length > 0 ? m.lag[m.lag.length - 1].events : 0;
  const fail = (reason: string): Verdict => ({ sustainable: false, reason, lagGrowthPerSec: growth });
  if (m.sent < c.minThroughputRatio * m.offered) return fail(`producer sent only ${Math.round(m.sent)}/s of ${m.offered}/s offered`);
  // Sent in the end, but seconds late: the load was not offered as scheduled (the broker or the
  // box could not take it), so what the worker did in this step says little about the worker.
  if ((m.producerMaxLagMs ?? 0) > c.maxProducerLagMs)
    return fail(`producer fell ${((m.producerMaxLagMs ?? 0) / 1000).toFixed(1)} s behind schedule (broker or box saturated)`);
  if (m.achieved < c.minThroughputRatio * m.offered)
    return fail(`committed ${Math.round(m.achieved)}/s < ${c.minThroughputRatio} × offered`);
  if (growth > c.maxLagGrowth * m.offered) return fail(`backlog grows ${Math.round(growth)} events/s`);
  if (endLag > c.maxEndLagSeconds * m.offered) return fail(`backlog ${endLag} events at the end (> ${c.maxEndLagSeconds}s of load)`);
  if (Number.isFinite(m.p99First) && Number.isFinite(m.p99Last)) {
    const allowed = Math.max(c.p99GrowthFactor * m.p99First, m.p99First + c.p99GrowthSlackMs);
    if (m.p99Last > allowed) return fail(`p99 grows ${m.p99First.toFixed(1)} → ${m.p99Last.toFixed(1)} ms`);
    if (m.p99Last > c.p99BudgetMs) return fail(`p99 ${m.p99Last.toFixed(0)} ms > budget ${c.p99BudgetMs} ms`);
  }
  return { sustainable: true, reason: 'ok', lagGrowthPerSec: growth };
}

export interface SearchOptions {
  /** First offered rate. */
  start: number;
  /** Never offer more than this. */
  max: number;
  /** Never offer less than this (the search gives up below it). */
  min: number;
  /** Ramp factor while steps are sustainable (default 1.5). */
  factor?: number;
  /** Stop refining once hi/lo ≤ 1 + resolution (default 0.1). */
  resolution?: number;
  /** Refinement steps at most (default 3). */
  maxRefine?: number;
  /** Offered rates are rounded to this (default 1000). */
  quantum?: number;
}

export interface SearchStep<R> {
  rate: number;
  result: R;
  sustainable: boolean;
}

export interface SearchResult<R> {
  /** Highest offered rate judged sustainable (0 if none). */
  sustainable: number;
  /** Lowest rate judged not sustainable (Infinity if none). */
  unsustainable: number;
  steps: Array<SearchStep<R>>;
}

/**
 * Finds the sustainable rate: ramp geometrically from `start` until a step fails (or down until one
 * passes), then bisect (geometrically) between the last pass and the first failure.
 */
export async function searchSustainable<R>(
  run: (rate: number) => Promise<{ sustainable: boolean; result: R }>,
  o: SearchOptions,
): Promise<SearchResult<R>> {
  const factor = o.factor ?? 1.5;
  const resolution = o.resolution ?? 0.1;
  const maxRefine = o.maxRefine ?? 3;
  const q = o.quantum ?? 1000;
  const quant = (x: number) => Math.max(q, Math.round(x / q) * q);
  const steps: Array<SearchStep<R>> = [];
  const tried = new Map<number, boolean>();
  let lo = 0;
  let hi = Infinity;
  const step = async (rate: number): Promise<boolean> => {
    const known = tried.get(rate);
    if (known !== undefined) return known;
    const r = await run(rate);
    steps.push({ rate, result: r.result, sustainable: r.sustainable });
    tried.set(rate, r.sustainable);
    if (r.sustainable) lo = Math.max(lo, rate);
    else hi = Math.min(hi, rate);
    return r.sustainable;
  };

  let rate = quant(Math.min(o.start, o.max));
  if (await step(rate)) {
    while (rate < o.max) {
      rate = quant(Math.min(o.max, rate * factor));
      if (!(await step(rate))) break;
    }
  } else {
    while (rate > o.min) {
      rate = quant(Math.max(o.min, rate / factor));
      if (await step(rate)) break;
      if (rate <= o.min) break;
    }
  }
  for (let i = 0; i < maxRefine && lo > 0 && Number.isFinite(hi) && hi / lo > 1 + resolution; i++) {
    const mid = quant(Math.sqrt(lo * hi));
    if (mid <= lo || mid >= hi) break;
    await step(mid);
  }
  return { sustainable: lo, unsustainable: hi, steps };
}
