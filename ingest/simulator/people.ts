/**
 * People flow: station gates counting entries and exits, one record per gate per minute.
 *
 * Volume model: entries ~ Poisson(peak * profile(minute of day) * dayFactor). Weekdays have a base
 * level plus morning (≈08:15) and evening (≈17:40) commuter peaks whose weights depend on the station
 * (residential stations: entries peak in the morning, exits in the evening; business stations the
 * reverse). Weekends have no commuter peaks and a lower midday hump. Nights are quiet (0–5/min).
 */
import { Anomaly, FlowGen, HOUR, MINUTE, alignUp, bump, dayNumber, isWeekend, minuteOfDay, profile } from './flow';
import type { FaultRates } from './flow';
import { Rng, hashUniform } from './random';
import type { AnomalyKind } from './types';

const STATIONS = [
  'Central',
  'Harbour',
  'University',
  'Airport',
  'Market',
  'Riverside',
  'Northgate',
  'Old Town',
  'Stadium',
  'Parkway',
  'Hospital',
  'Westfield',
];
export const GATES_PER_STATION = 4;

// Weekday base level (fraction of a gate's peak), morning/evening peaks, weekend profile.
const WD_LEVEL = profile([
  [0, 0.08],
  [1, 0.03],
  [2, 0.006],
  [4.5, 0.006],
  [5.5, 0.08],
  [6.5, 0.25],
  [7.5, 0.32],
  [10, 0.28],
  [12.5, 0.36],
  [14.5, 0.28],
  [16.5, 0.32],
  [19, 0.28],
  [21, 0.16],
  [23, 0.1],
  [24, 0.08],
]);
const WD_MORNING = bump(8.25, 0.7);
const WD_EVENING = bump(17.65, 0.85);
const WE_LEVEL = profile([
  [0, 0.12],
  [1.5, 0.05],
  [3, 0.008],
  [6, 0.008],
  [8, 0.06],
  [10, 0.2],
  [12, 0.3],
  [15, 0.32],
  [18, 0.28],
  [20, 0.2],
  [22, 0.15],
  [24, 0.12],
]);

/** Mean peak entries/min of a main gate at an average station. */
const PEAK_PER_MIN = 110;

interface Gate {
  readonly id: string;
  readonly station: string;
  readonly gate: string;
  readonly peak: number;
  /** morning / evening peak weights for entries and exits */
  readonly amE: number;
  readonly aeE: number;
  readonly amX: number;
  readonly aeX: number;
  /** weekend scale */
  readonly wk: number;
  lastNzE: number;
  lastNzX: number;
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export class PeopleFlow extends FlowGen {
  readonly name = 'people' as const;
  readonly step = MINUTE;
  readonly kinds: readonly AnomalyKind[] = ['crowd_surge', 'stuck_sensor', 'sensor_silence'];
  protected readonly timeField = 'time';
  protected readonly badField = 'entries';
  protected readonly badValue = 'lots';

  readonly gates: Gate[] = [];
  private readonly rng: Rng;
  private readonly activeBy: (Anomaly | null)[];
  private curDay = NaN;
  private dayF: Float64Array;

  constructor(seed: number, scale: number, faults: FaultRates) {
    super(seed, 0, faults);
    const setup = new Rng(seed, 0, 1);
    this.rng = new Rng(seed, 0, 2);
    const stations = Math.max(1, Math.round(3 * scale));
    // Offset into the name list so different seeds name different stations first.
    const nameOffset = setup.int(STATIONS.length);
    for (let s = 0; s < stations; s++) {
      const base = STATIONS[(s + nameOffset) % STATIONS.length];
      const round = Math.floor(s / STATIONS.length);
      const station = round === 0 ? base : `${base} ${round + 1}`;
      const size = Math.min(2, Math.max(0.5, setup.lognormal(1, 0.35)));
      const r = setup.range(0.2, 0.8); // 0.2 = business district, 0.8 = residential
      const weights = [1];
      for (let g = 1; g < GATES_PER_STATION; g++) weights.push(setup.range(0.25, 0.9));
      setup.shuffle(weights);
      for (let g = 0; g < GATES_PER_STATION; g++) {
        const jitter = setup.range(-0.1, 0.1);
        this.gates.push({
          id: `${slug(station)}-g${g + 1}`,
          station,
          gate: String(g + 1),
          peak: PEAK_PER_MIN * size * weights[g],
          amE: 0.5 + 0.7 * r + jitter,
          aeE: 0.5 + 0.7 * (1 - r) - jitter,
          amX: 0.5 + 0.7 * (1 - r) - jitter,
          aeX: 0.5 + 0.7 * r + jitter,
          wk: setup.range(0.5, 0.8),
          lastNzE: 0,
          lastNzX: 0,
        });
      }
    }
    this.activeBy = new Array(this.gates.length).fill(null);
    this.dayF = new Float64Array(this.gates.length);
  }

  keyName(k: number): string {
    return this.gates[k].id;
  }
  protected encodeTime(ms: number): unknown {
    return new Date(ms).toISOString();
  }

  /** Day-to-day level variation (weather, events): ±10 %, stateless so the scheduler can ask any day. */
  private dayFactor(g: number, day: number): number {
    return 0.9 + 0.2 * hashUniform(this.seed, 0, 7, g, day);
  }

  /** Expected entries per minute at gate g, time t (no anomaly). */
  lambdaEntries(g: number, t: number): number {
    const gate = this.gates[g];
    const m = minuteOfDay(t);
    const f = this.dayFactor(g, dayNumber(t));
    return isWeekend(t)
      ? gate.peak * gate.wk * WE_LEVEL[m] * f
      : gate.peak * (WD_LEVEL[m] + gate.amE * WD_MORNING[m] + gate.aeE * WD_EVENING[m]) * f;
  }

  protected override onActivate(a: Anomaly): void {
    this.activeBy[a.entity] = a;
  }
  protected override onDeactivate(a: Anomaly): void {
    if (this.activeBy[a.entity] === a) this.activeBy[a.entity] = null;
  }

  protected propose(kind: AnomalyKind, rng: Rng, lo: number, hi: number): Anomaly | null {
    const g = rng.int(this.gates.length);
    const start = alignUp(rng.range(lo, hi), MINUTE);
    if (start >= hi) return null;
    const gate = this.gates[g];
    if (kind === 'crowd_surge') {
      const minutes = rng.intRange(10, 30);
      const end = start + minutes * MINUTE;
      if (!this.isFree(g, start, end)) return null;
      // Relative to the largest normal level around it (previous hour up to the end) and at least a
      // daytime level, so a night-time surge is still plainly visible.
      let ref = gate.peak * 0.3 * this.dayFactor(g, dayNumber(start));
      for (let t = start - HOUR; t <= end; t += 5 * MINUTE) ref = Math.max(ref, this.lambdaEntries(g, t));
      const mult = rng.range(2.5, 4);
      const a = new Anomaly({ flow: 'people', kind, entity: g, start, end, labelEnd: end, keys: [g] });
      a.p0 = mult * ref;
      a.p1 = rng.intRange(1, 3); // ramp-up minutes
      this.label(
        a,
        g,
        `crowd surge at ${gate.id}: entries rise within ${a.p1} min to ~${Math.round(a.p0)}/min (×${mult.toFixed(1)} the normal level ${Math.round(ref)}/min) for ${minutes} min`,
      );
      return a;
    }
    if (kind === 'stuck_sensor') {
      const minutes = rng.intRange(30, 90);
      const end = start + minutes * MINUTE;
      const m = minuteOfDay(start);
      // Daytime only, when counts are clearly nonzero, so the frozen value is visible.
      if (m < 8 * 60 || m >= 19 * 60) return null;
      if (this.lambdaEntries(g, start) < 8 || this.lambdaEntries(g, end) < 5) return null;
      if (!this.isFree(g, start, end)) return null;
      const a = new Anomaly({ flow: 'people', kind, entity: g, start, end, labelEnd: end, keys: [g] });
      this.label(a, g, `stuck sensor at ${gate.id}: entries and exits frozen at their last nonzero values for ${minutes} min`);
      return a;
    }
    // sensor_silence
    const minutes = rng.intRange(20, 60);
    const end = start + minutes * MINUTE;
    if (!this.isFree(g, start, end)) return null;
    const a = new Anomaly({ flow: 'people', kind, entity: g, start, end, labelEnd: end, keys: [g] });
    this.label(a, g, `sensor silence at ${gate.id}: no records for ${minutes} min`);
    return a;
  }

  protected tick(t: number): void {
    const rng = this.rng;
    const gates = this.gates;
    const day = dayNumber(t);
    if (day !== this.curDay) {
      this.curDay = day;
      for (let g = 0; g < gates.length; g++) this.dayF[g] = this.dayFactor(g, day);
    }
    const m = minuteOfDay(t);
    const weekend = isWeekend(t);
    const lvl = weekend ? WE_LEVEL[m] : WD_LEVEL[m];
    const morn = weekend ? 0 : WD_MORNING[m];
    const eve = weekend ? 0 : WD_EVENING[m];
    const time = new Date(t).toISOString();
    for (let g = 0; g < gates.length; g++) {
      const gate = gates[g];
      const f = this.dayF[g];
      let lamE: number;
      let lamX: number;
      if (weekend) {
        lamE = lamX = gate.peak * gate.wk * lvl * f;
      } else {
        lamE = gate.peak * (lvl + gate.amE * morn + gate.aeE * eve) * f;
        lamX = gate.peak * (lvl + gate.amX * morn + gate.aeX * eve) * f;
      }
      let entries: number;
      let exits: number;
      const a = this.activeBy[g];
      if (a === null) {
        entries = rng.poisson(lamE);
        exits = rng.poisson(lamX);
      } else if (a.kind === 'sensor_silence') {
        continue;
      } else if (a.kind === 'stuck_sensor') {
        if (!a.started) {
          a.started = true;
          a.p0 = gate.lastNzE > 0 ? gate.lastNzE : Math.max(1, Math.round(lamE));
          a.p1 = gate.lastNzX > 0 ? gate.lastNzX : Math.max(1, Math.round(lamX));
        }
        entries = a.p0;
        exits = a.p1;
      } else {
        // crowd_surge: quick ramp to the target level, slight easing in the last minute.
        const k = (t - a.start) / MINUTE;
        const left = (a.end - t) / MINUTE;
        let w = Math.min(1, (k + 1) / a.p1);
        if (left <= 1) w *= 0.7;
        const lam = lamE + (a.p0 - lamE) * w;
        entries = rng.poisson(lam);
        exits = rng.poisson(lamX * (1 + 0.2 * w));
      }
      if (entries > 0) gate.lastNzE = entries;
      if (exits > 0) gate.lastNzX = exits;
      this.emit(t, { gate_id: gate.id, station: gate.station, gate: gate.gate, time, entries, exits });
    }
  }
}
