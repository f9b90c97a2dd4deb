import { DAY, MINUTE, alignUp } from './flow';
import type { FaultRates, FlowGen } from './flow';
import { FundsFlow } from './funds';
import { GoodsFlow } from './goods';
import { PeopleFlow } from './people';
import { Rng } from './random';
import { FLOW_NAMES } from './types';
import type { FlowName, GroundTruthLabel, SimRecord, SimulatorOptions } from './types';

const FLOW_ORDER: Record<FlowName, number> = { people: 0, goods: 1, funds: 2 };

/** Entities a simulator instance generates (for configs, dashboards and tests). */
export interface SimulatorEntities {
  gates: Array<{ gate_id: string; station: string; gate: string }>;
  containers: Array<{ container_id: string; truck_id: string; setpoint_c: number }>;
  accounts: string[];
}

/**
 * Deterministic synthetic flows with injected, labelled anomalies.
 *
 * Output depends only on the options and on the final time reached, not on how `advance` is called:
 * advance(t1); advance(t2) returns exactly the records of advance(t2) in two parts.
 */
export class FlowSimulator {
  private current: number;
  private readonly start: number;
  private readonly seed: number;
  private readonly flows: FlowGen[] = [];
  private readonly perDay: number;
  private readonly firstWithin: number;
  private readonly enabled: boolean;
  private nextBlock = 0;

  constructor(opts: SimulatorOptions) {
    if (!opts || typeof opts !== 'object') throw new TypeError('FlowSimulator: options object required');
    const { seed, start } = opts;
    if (typeof seed !== 'number' || !Number.isFinite(seed))
      throw new RangeError(`FlowSimulator: seed must be a finite number, got ${String(seed)}`);
    if (typeof start !== 'number' || !Number.isFinite(start))
      throw new RangeError(`FlowSimulator: start must be epoch ms, got ${String(start)}`);
    const scale = opts.scale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`FlowSimulator: scale must be > 0, got ${String(scale)}`);
    const flows = opts.flows ?? [...FLOW_NAMES];
    for (const f of flows)
      if (!(f in FLOW_ORDER)) throw new RangeError(`FlowSimulator: unknown flow "${String(f)}" (expected people, goods or funds)`);
    const an = opts.anomalies ?? {};
    const perDay = an.perFlowPerDay ?? 8;
    if (!(perDay >= 0) || !Number.isFinite(perDay))
      throw new RangeError(`FlowSimulator: anomalies.perFlowPerDay must be >= 0, got ${String(perDay)}`);
    const firstWithin = an.firstWithin ?? 10 * MINUTE;
    if (!(firstWithin >= 0) || !Number.isFinite(firstWithin))
      throw new RangeError(`FlowSimulator: anomalies.firstWithin must be >= 0 ms, got ${String(firstWithin)}`);
    const faults: FaultRates = {
      malformed: opts.faults?.malformed ?? 0,
      duplicate: opts.faults?.duplicate ?? 0,
      late: opts.faults?.late ?? 0,
    };
    for (const [k, v] of Object.entries(faults)) {
      if (!(v >= 0 && v <= 1)) throw new RangeError(`FlowSimulator: faults.${k} must be a fraction in [0,1], got ${String(v)}`);
    }
    if (faults.malformed + faults.duplicate + faults.late > 1) throw new RangeError('FlowSimulator: faults fractions must sum to <= 1');

    this.seed = seed;
    this.start = start;
    this.current = start;
    this.perDay = perDay;
    this.firstWithin = firstWithin;
    this.enabled = an.enabled ?? true;
    const wanted = new Set(flows);
    if (wanted.has('people')) this.flows.push(new PeopleFlow(seed, scale, faults));
    if (wanted.has('goods')) this.flows.push(new GoodsFlow(seed, scale, start, faults));
    if (wanted.has('funds')) this.flows.push(new FundsFlow(seed, scale, faults));
    for (const f of this.flows) f.nextTick = alignUp(start, f.step);
  }

  /** Current simulated time, epoch ms: everything before it has been returned by `advance`. */
  get now(): number {
    return this.current;
  }

  /** Generate all records with event time in [now, until), in nondecreasing event-time order, and advance. */
  advance(until: number): SimRecord[] {
    if (typeof until !== 'number' || Number.isNaN(until))
      throw new RangeError(`FlowSimulator.advance: until must be epoch ms, got ${String(until)}`);
    if (!Number.isFinite(until)) throw new RangeError('FlowSimulator.advance: until must be finite');
    if (until <= this.current) return [];
    this.scheduleUntil(until);
    const flows = this.flows;
    for (const f of flows) f.generateUntil(until);
    const out = mergeBefore(flows, until);
    this.current = until;
    return out;
  }

  /**
   * Ground-truth labels, sorted by start (then flow, key). By default only anomalies that have started
   * (start < now); `includeScheduled` adds those already scheduled for later (the schedule is drawn one
   * simulated day at a time, so this reaches at most to the end of the current day block).
   */
  labels(includeScheduled = false): GroundTruthLabel[] {
    const out: GroundTruthLabel[] = [];
    for (const f of this.flows) {
      for (const a of f.anomalies) {
        if (!includeScheduled && a.start >= this.current) break;
        for (const l of a.labels) out.push({ ...l });
      }
    }
    out.sort((a, b) => a.start - b.start || FLOW_ORDER[a.stream] - FLOW_ORDER[b.stream] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  /** The gates, containers and accounts this instance simulates. */
  entities(): SimulatorEntities {
    const out: SimulatorEntities = { gates: [], containers: [], accounts: [] };
    for (const f of this.flows) {
      if (f instanceof PeopleFlow) for (const g of f.gates) out.gates.push({ gate_id: g.id, station: g.station, gate: g.gate });
      else if (f instanceof GoodsFlow) {
        for (const c of f.containers) out.containers.push({ container_id: c.id, truck_id: f.trucks[c.truck].id, setpoint_c: c.setpoint });
      } else if (f instanceof FundsFlow) for (const a of f.accounts) out.accounts.push(a.id);
    }
    return out;
  }

  /** Draws the anomaly schedule one day block ([start + b·24h, start + (b+1)·24h)) at a time. */
  private scheduleUntil(until: number): void {
    while (this.start + this.nextBlock * DAY < until) {
      const b = this.nextBlock++;
      const blockStart = this.start + b * DAY;
      if (!this.enabled || this.perDay <= 0) continue;
      for (const f of this.flows) {
        const rng = new Rng(this.seed, FLOW_ORDER[f.name], 3, b);
        let count = Math.floor(this.perDay);
        if (rng.next() < this.perDay - count) count++;
        let first: [number, number] | null = null;
        if (b === 0 && this.firstWithin > 0) {
          count = Math.max(count, 1);
          const fw = Math.min(this.firstWithin, DAY);
          first = [this.start + Math.min(fw * 0.1, MINUTE), this.start + fw];
        }
        f.scheduleBlock(rng, blockStart, blockStart + DAY, count, first);
      }
    }
  }
}

/** Takes every pending record with ts < until from the flows, merged by time (ties: people, goods, funds). */
function mergeBefore(flows: FlowGen[], until: number): SimRecord[] {
  const n = flows.length;
  const cuts: number[] = [];
  let total = 0;
  for (const f of flows) {
    const p = f.pending;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid].ts < until) lo = mid + 1;
      else hi = mid;
    }
    cuts.push(lo);
    total += lo;
  }
  const out: SimRecord[] = new Array(total);
  if (n === 1) {
    const p = flows[0].pending;
    for (let i = 0; i < total; i++) out[i] = p[i];
  } else {
    const idx = new Array<number>(n).fill(0);
    for (let o = 0; o < total; o++) {
      let best = -1;
      let bestTs = Infinity;
      for (let k = 0; k < n; k++) {
        if (idx[k] < cuts[k]) {
          const ts = flows[k].pending[idx[k]].ts;
          if (ts < bestTs) {
            bestTs = ts;
            best = k;
          }
        }
      }
      out[o] = flows[best].pending[idx[best]++];
    }
  }
  for (let k = 0; k < n; k++) flows[k].pending = cuts[k] === flows[k].pending.length ? [] : flows[k].pending.slice(cuts[k]);
  return out;
}
