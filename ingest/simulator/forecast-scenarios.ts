/**
 * Early-warning scenarios with ground truth for lead time (issue 20; docs/forecast.md).
 *
 * A small generator beside the simulator (its anomaly kinds are reactive incidents with their
 * own scheduling rules and tests): per key, one incident a day at most — a build-up that crosses
 * a limit, or a decoy that comes close and turns back — on top of a realistic normal series, with
 * the exact time the noise-free signal crosses the limit. Deterministic per seed (sfc32 streams,
 * no Math.random, no clock).
 *
 * - people: platform crowd density (persons/m², one reading a minute, camera-count noise), daily
 *   rush hours peaking at 1.2–2.2, limit 4.0. Build-ups reach the limit over 10–60 min (linear,
 *   accelerating or decelerating); decoys rise towards 60–90 % of the limit and level off.
 * - goods: chilled reefer temperature (°C, every 30 s, noise 0.08, 0.1 °C resolution), setpoint
 *   4–5, door bumps at stops, limit 8 °C. Warming reaches the limit over 10–60 min (linear, or a
 *   first-order drift towards ambient); decoys warm to 6–7.5 °C and recover.
 * - funds: account payments (amount, and the day's running total `day_total`), daily budget
 *   1000/2000/5000, normal days spend 10–35 % of it. Ramps: payments come faster and faster until
 *   the day's total passes the budget 10–60 min after the ramp began; decoys: a burst that stops at
 *   40–80 % of what was left.
 */
import type { FlowEvent } from '../../kernel/types';
import { Rng } from './random';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export type ForecastFlow = 'people' | 'goods' | 'funds';
export type BuildupKind = 'crowd_buildup' | 'cold_chain_warming' | 'spending_ramp';

export interface ForecastScenarioOptions {
  seed: number;
  /** Start, epoch ms (a midnight UTC is best: funds budgets are per UTC day). */
  start: number;
  days: number;
  flows?: ForecastFlow[];
  platforms?: number;
  containers?: number;
  accounts?: number;
}

/** Ground truth of one incident. */
export interface BuildupLabel {
  stream: ForecastFlow;
  key: string;
  kind: BuildupKind;
  /** A decoy comes close to the limit and turns back: no breach. */
  decoy: boolean;
  /** The build-up begins (epoch ms). */
  start: number;
  /** The noise-free signal first passes the limit (funds: the payment that passes the budget); null for decoys. */
  breach: number | null;
  /** Back to normal. */
  end: number;
  limit: number;
  /** Highest noise-free value reached (funds: the day's total). */
  peak: number;
  shape: string;
}

export interface ForecastScenario {
  events: FlowEvent[];
  labels: BuildupLabel[];
  /** Limit per stream (funds: budget per key). */
  limits: { people: number; goods: number; funds: Record<string, number> };
  keys: Record<ForecastFlow, string[]>;
}

export const DENSITY_LIMIT = 4.0;
export const TEMP_LIMIT = 8.0;

/** Generates every flow's events (sorted by time, ties by stream then key) and labels. */
export function forecastScenarios(o: ForecastScenarioOptions): ForecastScenario {
  const flows = o.flows ?? ['people', 'goods', 'funds'];
  const events: FlowEvent[] = [];
  const labels: BuildupLabel[] = [];
  const keys: Record<ForecastFlow, string[]> = { people: [], goods: [], funds: [] };
  const budgets: Record<string, number> = {};
  if (flows.includes('people')) for (let i = 0; i < (o.platforms ?? 12); i++) keys.people.push(platform(o, i, events, labels));
  if (flows.includes('goods')) for (let i = 0; i < (o.containers ?? 15); i++) keys.goods.push(container(o, i, events, labels));
  if (flows.includes('funds')) for (let i = 0; i < (o.accounts ?? 30); i++) keys.funds.push(account(o, i, events, labels, budgets));
  const order: Record<string, number> = { people: 0, goods: 1, funds: 2 };
  events.sort((a, b) => a.ts - b.ts || order[a.stream] - order[b.stream] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  labels.sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : 1));
  return { events, labels, limits: { people: DENSITY_LIMIT, goods: TEMP_LIMIT, funds: budgets }, keys };
}

/** What happens on a key on one day: 45 % a build-up to a breach, 40 % a decoy, 15 % nothing. */
function draw(rng: Rng): 'breach' | 'decoy' | 'none' {
  const u = rng.next();
  return u < 0.45 ? 'breach' : u < 0.85 ? 'decoy' : 'none';
}

function isWeekend(t: number): boolean {
  const dow = (Math.floor(t / DAY) + 4) % 7; // 0 = Sunday: 1970-01-01 was a Thursday
  return dow === 0 || dow === 6;
}

function bump(hours: number, center: number, width: number): number {
  const z = (hours - center) / width;
  return Math.exp(-0.5 * z * z);
}

/** Shapes of a rise over u ∈ [0, 1]: 0 at 0, 1 at 1. */
function shapeOf(name: string, u: number): number {
  if (u <= 0) return 0;
  if (name === 'accelerating') return u ** 1.6;
  if (name === 'decelerating') return 1 - (1 - u) ** 1.6;
  return u;
}

// ---------------------------------------------------------------- people: platform density

function platform(o: ForecastScenarioOptions, i: number, out: FlowEvent[], labels: BuildupLabel[]): string {
  const key = `platform-${['central', 'north', 'harbour', 'east'][i % 4]}-${Math.floor(i / 4) + 1}`;
  const rng = new Rng(o.seed, 20, 1, i);
  const am = rng.range(1.2, 2.2);
  const pm = rng.range(1.0, 2.0);
  const base = (t: number): number => {
    const h = (((t % DAY) + DAY) % DAY) / HOUR;
    if (isWeekend(t)) return 0.1 + 0.45 * bump(h, 13, 3);
    return 0.1 + am * bump(h, 8.25, 0.8) + pm * bump(h, 17.7, 0.9) + 0.35 * bump(h, 12.5, 1.5);
  };
  const n = Math.round((o.days * DAY) / MIN);
  const truth = new Float64Array(n);
  let wander = 0;
  for (let k = 0; k < n; k++) {
    wander = wander * Math.exp(-1 / 20) + rng.gauss(0, 0.08 * Math.sqrt(1 - Math.exp(-2 / 20)));
    truth[k] = Math.max(0, base(o.start + k * MIN) + wander);
  }
  // Incidents: one a day at most, between 06:00 and 21:00.
  for (let d = 0; d < o.days; d++) {
    const what = draw(rng);
    const k0 = Math.round((d * DAY + rng.range(6, 21) * HOUR) / MIN);
    if (what === 'none') continue;
    const shape = ['linear', 'accelerating', 'decelerating'][rng.int(3)];
    const extra = new Float64Array(n - k0 > 0 ? Math.min(n - k0, 240) : 0);
    if (extra.length === 0) continue;
    let end: number;
    if (what === 'breach') {
      const build = Math.round(rng.range(10, 60));
      const over = Math.round(rng.range(5, 15));
      const down = Math.round(rng.range(15, 30));
      const gap = DENSITY_LIMIT + 0.05 - truth[Math.min(n - 1, k0 + build)];
      const slope = (gap * (shape === 'accelerating' ? 1.6 : shape === 'decelerating' ? 0 : 1)) / build;
      const top = gap + Math.max(slope, gap / build / 2) * over;
      for (let m = 0; m < extra.length; m++) {
        if (m <= build) extra[m] = gap * shapeOf(shape, m / build);
        else if (m <= build + over) extra[m] = gap + ((top - gap) * (m - build)) / over;
        else extra[m] = Math.max(0, top * (1 - (m - build - over) / down));
      }
      end = k0 + build + over + down;
    } else {
      const rise = Math.round(rng.range(15, 45));
      const hold = Math.round(rng.range(10, 30));
      const down = Math.round(rng.range(15, 30));
      const peak = rng.range(0.6, 0.9) * DENSITY_LIMIT;
      const gap = Math.max(0.3, peak - truth[Math.min(n - 1, k0 + rise)]);
      for (let m = 0; m < extra.length; m++) {
        if (m <= rise) extra[m] = (gap * (1 - Math.exp((-3 * m) / rise))) / (1 - Math.exp(-3));
        else if (m <= rise + hold) extra[m] = gap;
        else extra[m] = Math.max(0, gap * (1 - (m - rise - hold) / down));
      }
      end = k0 + rise + hold + down;
    }
    let breach: number | null = null;
    let peak = 0;
    for (let m = 0; m < extra.length; m++) {
      const v = truth[k0 + m] + extra[m];
      truth[k0 + m] = v;
      if (v > peak) peak = v;
      if (breach === null && v > DENSITY_LIMIT) breach = o.start + (k0 + m) * MIN;
    }
    // A decoy that happens to cross after all is labelled as the breach it is.
    labels.push({
      stream: 'people',
      key,
      kind: 'crowd_buildup',
      decoy: breach === null,
      start: o.start + k0 * MIN,
      breach,
      end: o.start + Math.min(n, end) * MIN,
      limit: DENSITY_LIMIT,
      peak,
      shape: what === 'breach' ? shape : 'level-off',
    });
  }
  for (let k = 0; k < n; k++) {
    const v = truth[k];
    const noisy = Math.max(0, v + rng.gauss(0, 0.03 + 0.04 * v));
    out.push({ stream: 'people', key, ts: o.start + k * MIN, values: { density: Math.round(noisy * 100) / 100 }, attrs: {} });
  }
  return key;
}

// ---------------------------------------------------------------- goods: reefer temperature

/**
 * The warming added to a reefer's temperature from an episode's start: a breach (linear or
 * first-order towards the ambient, over the limit for a while, then pulled down) or a decoy that
 * slows and recovers below the limit. Fills `warm`; returns the shape and the episode's length in steps.
 */
function warming(breaches: boolean, rng: Rng, t0: number, warm: Float64Array): { shape: string; span: number } {
  if (breaches) {
    const build = rng.range(10, 60) * 2; // steps
    const shape = rng.chance(0.5) ? 'linear' : 'first-order';
    const over = rng.range(5, 20) * 2;
    const target = TEMP_LIMIT + 0.05;
    const ambient = 20;
    const tau = build / Math.log((ambient - t0) / (ambient - target));
    let peakRise = 0;
    for (let m = 0; m < warm.length; m++) {
      if (m <= build + over) {
        warm[m] = shape === 'linear' ? ((target - t0) * m) / build : (ambient - t0) * (1 - Math.exp(-m / tau));
        peakRise = warm[m];
      } else warm[m] = Math.max(0, peakRise - 0.2 * (m - build - over)); // the unit pulls down 0.4 °C/min
    }
    return { shape, span: Math.ceil(build + over + peakRise / 0.2) };
  } else {
    const shape = 'recovers';
    const peak = rng.range(6, 7.5);
    const rate = rng.range(0.05, 0.25) / 2; // per step
    const rise = Math.max(4, (peak - t0) / (0.7 * rate));
    const hold = rng.range(0, 10) * 2;
    for (let m = 0; m < warm.length; m++) {
      if (m <= rise)
        warm[m] = rate * m * (1 - (0.3 * m) / rise); // slowing as the unit fights back
      else if (m <= rise + hold) warm[m] = warm[Math.floor(rise)];
      else warm[m] = Math.max(0, warm[Math.floor(rise)] - 0.15 * (m - rise - hold));
    }
    return { shape, span: Math.ceil(rise + hold + warm[Math.floor(rise)] / 0.15) };
  }
}

function container(o: ForecastScenarioOptions, i: number, out: FlowEvent[], labels: BuildupLabel[]): string {
  const key = `RFC-${2001 + i}`;
  const rng = new Rng(o.seed, 21, 1, i);
  const setpoint = rng.chance(0.5) ? 4 : 5;
  const bias = rng.range(-0.3, 0.3);
  const step = 30_000;
  const offset = rng.int(step);
  const n = Math.round((o.days * DAY) / step);
  const truth = new Float64Array(n);
  let wander = 0;
  const a = Math.exp(-step / (10 * MIN));
  for (let k = 0; k < n; k++) {
    wander = wander * a + rng.gauss(0, 0.1 * Math.sqrt(1 - a * a));
    truth[k] = setpoint + bias + wander;
  }
  // Door openings at stops: 2–4 a day, +0.5–1.5 °C, decaying over ~5 min.
  for (let d = 0; d < o.days; d++) {
    const doors = 2 + rng.int(3);
    for (let j = 0; j < doors; j++) {
      const k0 = Math.round((d * DAY + rng.range(0, 24) * HOUR) / step);
      const amp = rng.range(0.5, 1.5);
      for (let m = 0; m < 60 && k0 + m < n; m++) truth[k0 + m] += amp * (m < 4 ? m / 4 : Math.exp(-(m - 4) / 10));
    }
  }
  for (let d = 0; d < o.days; d++) {
    const what = draw(rng);
    const k0 = Math.round((d * DAY + rng.range(1, 22) * HOUR) / step);
    if (what === 'none' || k0 >= n) continue;
    const t0 = truth[k0];
    const len = Math.min(n - k0, 360);
    const warm = new Float64Array(len);
    const { shape, span } = warming(what === 'breach', rng, t0, warm);
    const end = k0 + span;
    let breach: number | null = null;
    let peak = -Infinity;
    for (let m = 0; m < len; m++) {
      const v = truth[k0 + m] + warm[m];
      truth[k0 + m] = v;
      if (v > peak) peak = v;
      if (breach === null && v > TEMP_LIMIT) breach = o.start + (k0 + m) * step + offset;
    }
    labels.push({
      stream: 'goods',
      key,
      kind: 'cold_chain_warming',
      decoy: breach === null,
      start: o.start + k0 * step + offset,
      breach,
      end: o.start + Math.min(n, end) * step + offset,
      limit: TEMP_LIMIT,
      peak,
      shape,
    });
  }
  for (let k = 0; k < n; k++) {
    const v = Math.round((truth[k] + rng.gauss(0, 0.08)) * 10) / 10;
    out.push({ stream: 'goods', key, ts: o.start + k * step + offset, values: { temp_c: v, setpoint_c: setpoint }, attrs: {} });
  }
  return key;
}

// ---------------------------------------------------------------- funds: spending against a daily budget

/** A day's ordinary payments: ~10–35 % of the budget over the day, daytime-weighted (quiet nights). */
function ordinarySpending(rng: Rng, day0: number, perHour: number, budget: number): { times: number[]; amounts: number[] } {
  const times: number[] = [];
  const amounts: number[] = [];
  const share = rng.range(0.1, 0.35);
  let t = day0;
  for (;;) {
    t += rng.exponential(perHour / HOUR);
    if (t >= day0 + DAY) break;
    const h = (t - day0) / HOUR;
    if (rng.next() > Math.max(0.05, bump(h, 13, 4))) continue; // quiet nights
    times.push(Math.floor(t / 1000) * 1000);
    amounts.push(1);
  }
  const scale = times.length > 0 ? (share * budget) / times.length : 0;
  for (let j = 0; j < amounts.length; j++) amounts[j] = round2(scale * rng.lognormal(1, 0.6));
  return { times, amounts };
}

function account(o: ForecastScenarioOptions, i: number, out: FlowEvent[], labels: BuildupLabel[], budgets: Record<string, number>): string {
  const key = `ACC-${String(5001 + i)}`;
  const rng = new Rng(o.seed, 22, 1, i);
  const budget = [1000, 2000, 5000][rng.int(3)];
  budgets[key] = budget;
  const perHour = rng.range(0.4, 2); // daytime payments per hour
  for (let d = 0; d < o.days; d++) {
    const day0 = o.start + d * DAY;
    const { times, amounts } = ordinarySpending(rng, day0, perHour, budget);
    const what = draw(rng);
    let label: BuildupLabel | null = null;
    if (what !== 'none') {
      const start = Math.floor((day0 + rng.range(8, 19) * HOUR) / 1000) * 1000;
      let spent = 0;
      for (let j = 0; j < times.length; j++) if (times[j] < start) spent += amounts[j];
      const left = budget - spent;
      const build = rng.range(10, 60) * MIN;
      const count = 8 + rng.int(20);
      const goal = what === 'breach' ? left * 1.02 : left * rng.range(0.4, 0.8);
      // Faster and faster: the ramp's payment rate grows linearly, so payment j of `count` comes at build·√(j/count).
      const ramp: number[] = [];
      let sum = 0;
      for (let j = 1; j <= count; j++) {
        const a = rng.lognormal(1, 0.3);
        ramp.push(a);
        sum += a;
      }
      const extraAfter = what === 'breach' ? 2 + rng.int(5) : 0;
      for (let j = 1; j <= count + extraAfter; j++) {
        const tj = Math.floor((start + build * Math.sqrt(j / count)) / 1000) * 1000;
        const amt = j <= count ? round2((goal * ramp[j - 1]) / sum) : round2((goal / count) * rng.lognormal(1, 0.3));
        if (tj >= day0 + DAY) break;
        times.push(tj);
        amounts.push(amt);
      }
      label = {
        stream: 'funds',
        key,
        kind: 'spending_ramp',
        decoy: what === 'decoy',
        start,
        breach: null,
        end: Math.floor((start + build * Math.sqrt((count + extraAfter) / count)) / 1000) * 1000 + MIN,
        limit: budget,
        peak: 0,
        shape: what === 'breach' ? 'ramp' : 'burst-stops',
      };
    }
    const idx = times.map((_, j) => j).sort((p, q) => times[p] - times[q] || p - q);
    let total = 0;
    let seq = 0;
    for (const j of idx) {
      total = round2(total + amounts[j]);
      if (label && label.breach === null && total > budget) label.breach = times[j];
      out.push({
        stream: 'funds',
        key,
        ts: times[j],
        values: { amount: amounts[j], day_total: total },
        attrs: {},
        id: `${key}-${d}-${seq++}`,
      });
    }
    if (label) {
      label.peak = total;
      // A breach by ordinary spending after a decoy belongs to the incident: it ends after it.
      if (label.breach !== null && label.breach >= label.end) label.end = label.breach + MIN;
      label.decoy = label.breach === null;
      if (label.breach !== null) label.shape = 'ramp';
      labels.push(label);
    }
  }
  return key;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
