/**
 * Goods flow: refrigerated containers ("reefers") on trucks, one telemetry record per container every
 * 30 s (each container has its own fixed offset within the 30 s cycle).
 *
 * Trucks cycle depot (loading, doors open now and then) → transit (50–90 km/h with noise, occasional
 * traffic slowdowns to 5–20 km/h, stops at lights < 2 min) → destination (unloading) → transit back.
 * Container temperature follows its setpoint (chilled 4/5 °C, frozen −18 °C) with a first-order
 * response (time constant ≈ 10 min, pull-down capped at 0.8 °C/min); open doors warm it slightly.
 */
import { Anomaly, FlowGen, MINUTE, alignUp, pad, round1 } from './flow';
import type { FaultRates } from './flow';
import { Rng } from './random';
import type { AnomalyKind } from './types';

const STEP = 30_000;
/** Fraction of the gap to the setpoint closed per 30 s step (≈ 10 min time constant). */
const PULL = 0.05;
/** Maximum cooling per 30 s step (0.8 °C/min). */
const MAX_PULL = 0.4;
const DOOR_HEAT_STOPPED = 0.06;
const DOOR_HEAT_MOVING = 0.08;

const DEPOT = 0;
const TRANSIT_OUT = 1;
const DESTINATION = 2;
// 3 = transit back to the depot (odd kinds are in transit)

class Truck {
  /** Phase plan: starts (epoch ms, on the 30 s grid) and kinds; phase i ends at starts[i+1]. */
  starts: number[] = [];
  kinds: number[] = [];
  pi = 0;
  speed = 0;
  target = 70;
  slowLeft = 0;
  lightLeft = 0;
  lastRoute = 120;
  constructor(
    readonly id: string,
    readonly containers: number[],
    readonly planRng: Rng,
  ) {}
}

class Container {
  doorLeft = 0;
  constructor(
    readonly id: string,
    readonly truck: number,
    readonly setpoint: number,
    readonly bias: number,
    /** true temperature (°C) */
    public temp: number,
    /** offset of its reports within the 30 s cycle, ms */
    readonly offset: number,
  ) {}
}

export class GoodsFlow extends FlowGen {
  readonly name = 'goods' as const;
  readonly step = STEP;
  readonly kinds: readonly AnomalyKind[] = ['temperature_excursion', 'door_open_in_transit', 'unexpected_stop'];
  protected readonly timeField = 'ts';
  protected readonly badField = 'temp_c';
  protected readonly badValue = 'n/a';

  readonly trucks: Truck[] = [];
  readonly containers: Container[] = [];
  /** Container indices ordered by report offset (emission order within a tick). */
  private readonly order: number[];
  private readonly rng: Rng;
  private readonly activeBy: (Anomaly | null)[];
  private readonly stopBy: (Anomaly | null)[];

  constructor(seed: number, scale: number, start: number, faults: FaultRates) {
    super(seed, 1, faults);
    const setup = new Rng(seed, 1, 1);
    this.rng = new Rng(seed, 1, 2);
    const nTrucks = Math.max(1, Math.round(10 * scale));
    const width = Math.max(2, String(nTrucks).length);
    for (let i = 0; i < nTrucks; i++) {
      const n = setup.chance(0.5) ? 1 : setup.chance(0.8) ? 2 : 3;
      const ids: number[] = [];
      const truck = new Truck(`TRK-${pad(i + 1, width)}`, ids, new Rng(seed, 1, 5, i));
      for (let j = 0; j < n; j++) {
        const frozen = setup.chance(0.4);
        const sp = frozen ? -18 : setup.chance(0.5) ? 4 : 5;
        const bias = setup.range(-0.3, 0.3);
        const c = this.containers.length;
        ids.push(c);
        this.containers.push(new Container(`RFC-${1001 + c}`, i, sp, bias, sp + bias + setup.gauss(0, 0.3), setup.int(STEP)));
      }
      this.trucks.push(truck);
      this.initPlan(truck, start);
    }
    this.order = this.containers.map((_, i) => i).sort((a, b) => this.containers[a].offset - this.containers[b].offset || a - b);
    this.activeBy = new Array(this.containers.length).fill(null);
    this.stopBy = new Array(this.trucks.length).fill(null);
  }

  keyName(k: number): string {
    return this.containers[k].id;
  }
  protected encodeTime(ms: number): unknown {
    return ms;
  }

  // ---------------------------------------------------------------- route plans

  private initPlan(truck: Truck, start: number): void {
    // Start somewhere inside a cycle: begin at a depot stay up to 8 h before the simulation start.
    const t0 = alignUp(start - truck.planRng.range(0, 8) * 3_600_000, STEP);
    truck.starts.push(t0);
    truck.kinds.push(DEPOT);
    this.extendPlan(truck, start + STEP);
    while (truck.starts[truck.pi + 1] <= start) truck.pi++;
  }

  /** Extends the plan until a phase starts after `until` (so the phase at `until` is known). */
  private extendPlan(truck: Truck, until: number): void {
    const r = truck.planRng;
    while (truck.starts[truck.starts.length - 1] <= until) {
      const i = truck.starts.length - 1;
      const kind = truck.kinds[i];
      let minutes: number;
      if (kind === DEPOT) minutes = r.range(30, 90);
      else if (kind === TRANSIT_OUT) minutes = truck.lastRoute = r.range(60, 240);
      else if (kind === DESTINATION) minutes = r.range(20, 60);
      else minutes = truck.lastRoute * r.range(0.9, 1.1);
      truck.starts.push(truck.starts[i] + Math.round((minutes * MINUTE) / STEP) * STEP);
      truck.kinds.push((kind + 1) & 3);
    }
  }

  /** Index of the phase containing t (t must be >= the first stored phase start). */
  private phaseAt(truck: Truck, t: number): number {
    this.extendPlan(truck, t);
    const s = truck.starts;
    let lo = 0;
    let hi = s.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (s[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Is the truck in one transit phase for the whole of [lo, hi)? */
  private inTransitThroughout(truck: Truck, lo: number, hi: number): boolean {
    if (lo < truck.starts[0]) return false;
    const i = this.phaseAt(truck, lo);
    return (truck.kinds[i] & 1) === 1 && truck.starts[i + 1] >= hi;
  }

  // ---------------------------------------------------------------- anomalies

  protected override onActivate(a: Anomaly): void {
    if (a.kind === 'unexpected_stop') this.stopBy[a.entity] = a;
    else this.activeBy[a.entity] = a;
  }
  protected override onDeactivate(a: Anomaly): void {
    if (a.kind === 'unexpected_stop') {
      if (this.stopBy[a.entity] === a) this.stopBy[a.entity] = null;
    } else if (this.activeBy[a.entity] === a) this.activeBy[a.entity] = null;
  }

  protected propose(kind: AnomalyKind, rng: Rng, lo: number, hi: number): Anomaly | null {
    const c = rng.int(this.containers.length);
    const cont = this.containers[c];
    const truck = this.trucks[cont.truck];
    const start = alignUp(rng.range(lo, hi), STEP);
    if (start >= hi) return null;
    if (kind === 'temperature_excursion') {
      const rate = rng.range(0.2, 0.5); // °C per minute
      // Long enough to end well beyond setpoint + 4 (at least +7 °C).
      const minutes = rng.range(Math.max(20, 7 / rate), 60);
      const end = start + Math.round((minutes * MINUTE) / STEP) * STEP;
      const rise = (rate * (end - start)) / MINUTE;
      // Label until the reefer has pulled the temperature back to within ~1 °C of the setpoint.
      let x = rise + 0.6;
      let steps = 0;
      while (x > 1) {
        x -= Math.min(MAX_PULL, PULL * x);
        steps++;
      }
      const labelEnd = end + (steps + 2) * STEP;
      if (!this.isFree(c, start, labelEnd)) return null;
      const a = new Anomaly({ flow: 'goods', kind, entity: c, start, end, labelEnd, keys: [c] });
      a.p0 = rate;
      this.label(
        a,
        c,
        `reefer failure on ${cont.id} (${truck.id}, setpoint ${cont.setpoint} °C): temperature rises ${rate.toFixed(2)} °C/min for ${Math.round((end - start) / MINUTE)} min (≈ +${rise.toFixed(1)} °C), then recovers`,
      );
      return a;
    }
    if (kind === 'door_open_in_transit') {
      const end = start + rng.intRange(6, 30) * STEP; // 3–15 min
      if (!this.inTransitThroughout(truck, start - 10 * MINUTE, end + 10 * MINUTE)) return null;
      if (!this.isFree(c, start, end)) return null;
      const a = new Anomaly({ flow: 'goods', kind, entity: c, start, end, labelEnd: end, keys: [c] });
      this.label(a, c, `door of ${cont.id} open while ${truck.id} is driving, for ${(end - start) / MINUTE} min`);
      return a;
    }
    // unexpected_stop: the whole truck stops, so every container on it is affected (one label each).
    const end = start + Math.round((rng.range(15, 45) * MINUTE) / STEP) * STEP;
    if (!this.inTransitThroughout(truck, start - 10 * MINUTE, end + 10 * MINUTE)) return null;
    for (const k of truck.containers) if (!this.isFree(k, start, end)) return null;
    const a = new Anomaly({ flow: 'goods', kind, entity: cont.truck, start, end, labelEnd: end, keys: truck.containers.slice() });
    const minutes = Math.round((end - start) / MINUTE);
    for (const k of truck.containers) {
      this.label(a, k, `${truck.id} (carrying ${this.containers[k].id}) stopped in transit, away from depot, for ${minutes} min`);
    }
    return a;
  }

  // ---------------------------------------------------------------- generation

  protected tick(t: number): void {
    const rng = this.rng;
    const trucks = this.trucks;
    for (let i = 0; i < trucks.length; i++) this.moveTruck(trucks[i], i, t);
    const order = this.order;
    for (let j = 0; j < order.length; j++) {
      const c = order[j];
      const cont = this.containers[c];
      const truck = trucks[cont.truck];
      const inTransit = truck.kinds[truck.pi] & 1;
      const a = this.activeBy[c];
      let door = 0;
      if (a !== null && a.kind === 'door_open_in_transit') {
        door = 1;
      } else if (inTransit === 0) {
        if (cont.doorLeft > 0) {
          cont.doorLeft--;
          door = 1;
        } else if (rng.next() < 1 / 40) {
          cont.doorLeft = rng.intRange(2, 9);
          door = 1;
        }
      } else {
        cont.doorLeft = 0;
      }
      if (a !== null && a.kind === 'temperature_excursion' && t < a.end) {
        cont.temp += a.p0 * 0.5 + 0.03 * rng.normal();
      } else {
        const x = cont.temp - cont.setpoint - cont.bias;
        let pull = PULL * x;
        if (pull > MAX_PULL) pull = MAX_PULL;
        cont.temp += -pull + (door === 1 ? (inTransit ? DOOR_HEAT_MOVING : DOOR_HEAT_STOPPED) : 0) + 0.02 * rng.normal();
      }
      const ts = t + cont.offset;
      this.emit(ts, {
        container_id: cont.id,
        truck_id: truck.id,
        ts,
        temp_c: round1(cont.temp + 0.08 * rng.normal()),
        setpoint_c: cont.setpoint,
        door_open: door,
        speed_kmh: truck.speed,
        in_transit: inTransit,
      });
    }
  }

  private moveTruck(truck: Truck, i: number, t: number): void {
    const rng = this.rng;
    if (truck.starts[truck.pi + 1] <= t) {
      this.extendPlan(truck, t);
      while (truck.starts[truck.pi + 1] <= t) truck.pi++;
      if (truck.pi > 16) {
        truck.starts.splice(0, truck.pi - 1);
        truck.kinds.splice(0, truck.pi - 1);
        truck.pi = 1;
      }
      truck.target = rng.range(60, 82);
      truck.slowLeft = 0;
      truck.lightLeft = 0;
    }
    const kind = truck.kinds[truck.pi];
    if ((kind & 1) === 0) {
      truck.speed = 0;
      return;
    }
    if (this.stopBy[i] !== null) {
      truck.speed = 0;
      truck.slowLeft = 0;
      truck.lightLeft = 0;
      return;
    }
    const elapsed = t - truck.starts[truck.pi];
    const remaining = truck.starts[truck.pi + 1] - t;
    let v = truck.speed;
    if (elapsed < 2 * STEP) {
      v = 18 + elapsed / 1500 + rng.range(0, 6); // pulling out: ~20, ~40 km/h
    } else if (remaining <= 2 * STEP) {
      v = 15 + remaining / 2500 + rng.range(0, 6); // arriving
    } else {
      let forceCruise = false;
      for (const c of truck.containers) {
        const a = this.activeBy[c];
        if (a !== null && a.kind === 'door_open_in_transit') forceCruise = true;
      }
      if (forceCruise) {
        truck.slowLeft = 0;
        truck.lightLeft = 0;
      }
      if (truck.slowLeft > 0) {
        truck.slowLeft--;
        v = rng.range(5, 20);
      } else if (truck.lightLeft > 0) {
        truck.lightLeft--;
        v = 0;
      } else {
        const u = rng.next();
        if (!forceCruise && u < 1 / 150) {
          truck.slowLeft = rng.intRange(1, 9); // traffic: 1–5 min at 5–20 km/h
          v = rng.range(5, 20);
        } else if (!forceCruise && v > 0 && u < 1 / 150 + 1 / 100) {
          truck.lightLeft = rng.intRange(0, 2); // lights: 30–90 s standing
          v = 0;
        } else if (v < 50) {
          v = Math.min(truck.target, v + rng.range(15, 30));
          if (forceCruise && v < 50) v = 50 + rng.range(0, 5);
        } else {
          v += 0.3 * (truck.target - v) + 2.5 * rng.normal();
          if (v < 50) v = 50 + rng.range(0, 2);
          else if (v > 90) v = 90 - rng.range(0, 2);
        }
      }
    }
    truck.speed = round1(v);
  }
}
