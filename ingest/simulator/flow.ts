/**
 * What the three flow generators share: the tick loop, the pending buffer, anomaly scheduling
 * (per simulated day block, non-overlapping per key), the active-anomaly set and fault injection.
 */
import { Rng } from './random';
import type { AnomalyKind, FaultKind, FlowName, GroundTruthLabel, SimRecord } from './types';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Gap kept free of other anomalies before and after an anomaly on the same key. */
export const KEY_GAP = HOUR;

/** One injected anomaly. `entity` indexes the flow's own entity list (gate, container, truck or account). */
export class Anomaly {
  /** Set once the generator has started emitting it (e.g. frozen values captured). */
  started = false;
  /** Kind-specific numbers (see each flow). */
  p0 = 0;
  p1 = 0;
  p2 = 0;
  /** Funds: payment times (ms, whole seconds), emitted in order; `next` = next index to emit. */
  times: number[] | null = null;
  next = 0;
  /** Funds: counterparties fixed at schedule time. */
  parties: string[] | null = null;
  readonly labels: GroundTruthLabel[] = [];
  readonly flow: FlowName;
  readonly kind: AnomalyKind;
  readonly entity: number;
  /** First affected instant (epoch ms). */
  readonly start: number;
  /** Generator effect ends here (exclusive). */
  readonly end: number;
  /** Ground-truth end (exclusive); >= end (e.g. includes temperature recovery). */
  readonly labelEnd: number;
  /** Keys (entity indices in the key space) reserved by it: usually [entity]. */
  readonly keys: number[];

  constructor(a: { flow: FlowName; kind: AnomalyKind; entity: number; start: number; end: number; labelEnd: number; keys: number[] }) {
    this.flow = a.flow;
    this.kind = a.kind;
    this.entity = a.entity;
    this.start = a.start;
    this.end = a.end;
    this.labelEnd = a.labelEnd;
    this.keys = a.keys;
  }
}

export interface FaultRates {
  malformed: number;
  duplicate: number;
  late: number;
}

export abstract class FlowGen {
  abstract readonly name: FlowName;
  /** Tick length, ms. Every record generated for tick t has t <= ts < t + step. */
  abstract readonly step: number;
  abstract readonly kinds: readonly AnomalyKind[];
  /** Payload field holding the event time, and how to corrupt a value (for faults). */
  protected abstract readonly timeField: string;
  protected abstract readonly badField: string;
  protected abstract readonly badValue: string;
  /** Event time as stored in the payload (ms or ISO or seconds). */
  protected abstract encodeTime(ms: number): unknown;

  /** Records generated but not yet handed out (ts >= the last `advance` bound), in order. */
  pending: SimRecord[] = [];
  nextTick = 0;
  /** Scheduled anomalies in start order; `actPtr` = first not yet activated. */
  readonly anomalies: Anomaly[] = [];
  private actPtr = 0;
  /** Currently active anomalies (small). */
  protected active: Anomaly[] = [];
  /** Per key-space index: reserved [start, end) intervals as a flat array. */
  private busy: number[][] = [];

  private readonly faultRng: Rng;
  private readonly fm: number;
  private readonly fd: number;
  private readonly fl: number;
  private readonly anyFault: boolean;

  constructor(
    protected readonly seed: number,
    protected readonly flowId: number,
    faults: FaultRates,
  ) {
    this.faultRng = new Rng(seed, flowId, 4);
    this.fm = faults.malformed;
    this.fd = this.fm + faults.duplicate;
    this.fl = this.fd + faults.late;
    this.anyFault = this.fl > 0;
  }

  /** Key string for a key-space index. */
  abstract keyName(k: number): string;
  /** Propose an anomaly of `kind` starting in [lo, hi); null if this draw is infeasible. */
  protected abstract propose(kind: AnomalyKind, rng: Rng, lo: number, hi: number): Anomaly | null;
  /** Generate all records of tick [t, t + step) into `this.pending` via `emit`. */
  protected abstract tick(t: number): void;
  /** Called when an anomaly becomes active (before the tick's records). */
  protected onActivate(_a: Anomaly): void {}
  /** Called when an anomaly stops being active. */
  protected onDeactivate(_a: Anomaly): void {}

  /** Generates ticks until every tick starting before `until` is done. */
  generateUntil(until: number): void {
    while (this.nextTick < until) {
      const t = this.nextTick;
      this.updateActive(t);
      this.tick(t);
      this.nextTick = t + this.step;
    }
  }

  private updateActive(t: number): void {
    const tickEnd = t + this.step;
    if (this.active.length > 0) {
      let w = 0;
      for (let i = 0; i < this.active.length; i++) {
        const a = this.active[i];
        if (a.end <= t) this.onDeactivate(a);
        else this.active[w++] = a;
      }
      this.active.length = w;
    }
    const list = this.anomalies;
    while (this.actPtr < list.length && list[this.actPtr].start < tickEnd) {
      const a = list[this.actPtr++];
      if (a.end <= t) continue; // entirely in the past (only possible if scheduled late; never in practice)
      this.active.push(a);
      this.onActivate(a);
    }
  }

  // ---------------------------------------------------------------- scheduling

  /**
   * Schedule `count` anomalies with starts in [blockStart, blockEnd). Kinds: every kind once first
   * when count >= kinds, then random. `firstWindow` (block 0 only): the first one starts in
   * [firstWindow[0], firstWindow[1]).
   */
  scheduleBlock(rng: Rng, blockStart: number, blockEnd: number, count: number, firstWindow: [number, number] | null): Anomaly[] {
    const kinds: AnomalyKind[] = [];
    const all = this.kinds.slice();
    while (kinds.length < count) {
      const round = rng.shuffle(all.slice());
      for (const k of round) if (kinds.length < count) kinds.push(k);
    }
    const placed: Anomaly[] = [];
    if (firstWindow && kinds.length > 0) {
      // Try the kinds in list order; the first feasible one in the window is the demo anomaly.
      for (let i = 0; i < kinds.length; i++) {
        const a = this.place(kinds[i], rng, firstWindow[0], firstWindow[1], 60);
        if (a) {
          placed.push(a);
          kinds.splice(i, 1);
          break;
        }
      }
    }
    for (const kind of kinds) {
      const a = this.place(kind, rng, blockStart, blockEnd, 80);
      if (a) placed.push(a);
    }
    placed.sort((x, y) => x.start - y.start || x.entity - y.entity);
    for (const a of placed) this.anomalies.push(a);
    this.pruneBusy(blockStart - 2 * DAY);
    return placed;
  }

  private place(kind: AnomalyKind, rng: Rng, lo: number, hi: number, attempts: number): Anomaly | null {
    for (let i = 0; i < attempts; i++) {
      const a = this.propose(kind, rng, lo, hi);
      if (a && this.reserve(a)) return a;
    }
    return null;
  }

  /** Reserves the anomaly's keys (with the gap) if none overlaps an existing reservation. */
  private reserve(a: Anomaly): boolean {
    const lo = a.start - KEY_GAP;
    const hi = a.labelEnd + KEY_GAP;
    for (const k of a.keys) {
      const b = this.busy[k];
      if (!b) continue;
      for (let i = 0; i < b.length; i += 2) if (b[i] < hi && lo < b[i + 1]) return false;
    }
    for (const k of a.keys) {
      let b = this.busy[k];
      if (!b) b = this.busy[k] = [];
      b.push(a.start, a.labelEnd);
    }
    return true;
  }

  private pruneBusy(before: number): void {
    for (let k = 0; k < this.busy.length; k++) {
      const b = this.busy[k];
      if (!b || b.length < 8) continue;
      const kept: number[] = [];
      for (let i = 0; i < b.length; i += 2) if (b[i + 1] > before) kept.push(b[i], b[i + 1]);
      this.busy[k] = kept;
    }
  }

  /** Is key k free (no reservation) in [lo, hi) including the gap? Used by proposals to skip early. */
  protected isFree(k: number, lo: number, hi: number): boolean {
    const b = this.busy[k];
    if (!b) return true;
    lo -= KEY_GAP;
    hi += KEY_GAP;
    for (let i = 0; i < b.length; i += 2) if (b[i] < hi && lo < b[i + 1]) return false;
    return true;
  }

  protected label(a: Anomaly, key: number, description: string): void {
    a.labels.push({ stream: this.name, key: this.keyName(key), kind: a.kind, start: a.start, end: a.labelEnd, description });
  }

  // ---------------------------------------------------------------- emission + faults

  /** Appends one record (applying fault injection when enabled). */
  protected emit(ts: number, payload: Record<string, unknown>): void {
    if (this.anyFault) {
      const u = this.faultRng.next();
      if (u < this.fl) {
        this.emitFault(u < this.fm ? 'malformed' : u < this.fd ? 'duplicate' : 'late', ts, payload);
        return;
      }
    }
    this.pending.push({ stream: this.name, ts, payload, source: 'simulator' });
  }

  private emitFault(kind: FaultKind, ts: number, payload: Record<string, unknown>): void {
    const rng = this.faultRng;
    if (kind === 'duplicate') {
      this.pending.push({ stream: this.name, ts, payload, source: 'simulator' });
      this.pending.push({ stream: this.name, ts, payload: { ...payload }, source: 'simulator', fault: 'duplicate' });
      return;
    }
    if (kind === 'late') {
      const shifted = ts - Math.round(rng.range(1, 6) * 3600) * 1000;
      const p = { ...payload, [this.timeField]: this.encodeTime(shifted) };
      this.pending.push({ stream: this.name, ts, payload: p, source: 'simulator', fault: 'late' });
      return;
    }
    const variant = rng.int(3);
    let bad: Record<string, unknown> | string;
    if (variant === 0) {
      const text = JSON.stringify(payload);
      bad = text.slice(0, Math.max(1, Math.floor(text.length * rng.range(0.2, 0.85))));
    } else if (variant === 1) {
      bad = { ...payload, [this.badField]: rng.chance(0.5) ? this.badValue : 'NaN' };
    } else {
      bad = { ...payload };
      delete bad[this.timeField];
    }
    this.pending.push({ stream: this.name, ts, payload: bad, source: 'simulator', fault: 'malformed' });
  }
}

// ---------------------------------------------------------------- calendar helpers

/** Minute of the (UTC) day, 0..1439. */
export function minuteOfDay(t: number): number {
  const r = ((t % DAY) + DAY) % DAY;
  return Math.floor(r / MINUTE);
}

/** Day number since the epoch (UTC). */
export function dayNumber(t: number): number {
  return Math.floor(t / DAY);
}

/** Saturday or Sunday (UTC). 1970-01-01 was a Thursday. */
export function isWeekend(t: number): boolean {
  const dow = (((dayNumber(t) + 4) % 7) + 7) % 7;
  return dow === 0 || dow === 6;
}

/** Piecewise-linear profile over hours [0,24] sampled per minute (1440 values). */
export function profile(points: ReadonlyArray<readonly [number, number]>): Float64Array {
  const out = new Float64Array(1440);
  for (let m = 0; m < 1440; m++) {
    const h = m / 60;
    let i = 0;
    while (i < points.length - 2 && points[i + 1][0] <= h) i++;
    const [h0, v0] = points[i];
    const [h1, v1] = points[i + 1];
    out[m] = v0 + ((v1 - v0) * (h - h0)) / (h1 - h0);
  }
  return out;
}

/** Gaussian bump over the day, per minute. */
export function bump(centerHour: number, widthHours: number): Float64Array {
  const out = new Float64Array(1440);
  for (let m = 0; m < 1440; m++) {
    const z = (m / 60 - centerHour) / widthHours;
    out[m] = Math.exp(-0.5 * z * z);
  }
  return out;
}

export function alignUp(t: number, step: number): number {
  return Math.ceil(t / step) * step;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
