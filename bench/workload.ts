import { FlowSimulator, type FlowName } from '../ingest/simulator';
import { Rng } from '../ingest/simulator/random';

/**
 * Bench workloads: realistic payload bytes (the simulator's records, as a device or bank would
 * send them) re-keyed onto a chosen number of entities with a chosen skew, and re-timed to the
 * bench's clock. Each simulator record becomes a template (its JSON with holes for key, time and
 * record id), so producing one payload is a few string concatenations — the generator must be
 * much cheaper than the pipeline it feeds.
 */

export interface FlowShape {
  /** Field holding the entity key, the event time (and its format), and the optional record id. */
  key: string;
  time: string;
  timeFormat: 'iso' | 'epoch_ms' | 'epoch_s';
  id?: string;
  /** Prefix of the synthetic entity keys. */
  keyPrefix: string;
}

/** The three example flows (examples/*.yaml mappings). */
export const FLOW_SHAPES: Record<FlowName, FlowShape> = {
  people: { key: 'gate_id', time: 'time', timeFormat: 'iso', keyPrefix: 'gate' },
  goods: { key: 'container_id', time: 'ts', timeFormat: 'epoch_ms', keyPrefix: 'RFC' },
  funds: { key: 'account', time: 'ts', timeFormat: 'epoch_s', id: 'payment_id', keyPrefix: 'ACC' },
};

const HOLE_KEY = '\u0000K';
const HOLE_TIME = '\u0000T';
const HOLE_ID = '\u0000I';
type Hole = 0 | 1 | 2; // key, time, id

/** A payload with holes: parts[0] hole[0] parts[1] hole[1] ... parts[n]. */
export interface Template {
  parts: string[];
  holes: Hole[];
}

/** Builds a template from a simulator payload: the shape's key/time/id fields become holes. */
export function makeTemplate(payload: Record<string, unknown>, shape: FlowShape): Template {
  const p: Record<string, unknown> = { ...payload, [shape.key]: HOLE_KEY, [shape.time]: shape.timeFormat === 'iso' ? HOLE_TIME : 0.5 };
  if (shape.id) p[shape.id] = HOLE_ID;
  // Numbers cannot carry a marker through JSON.stringify, so numeric time holes are a sentinel
  // replaced after stringifying.
  const text = JSON.stringify(p)
    .replace(/"\\u0000K"/, '"\u0000K"')
    .replace(/"\\u0000I"/, '"\u0000I"')
    .replace(/"\\u0000T"/, '"\u0000T"');
  const timeToken = shape.timeFormat === 'iso' ? HOLE_TIME : `"${shape.time}":0.5`;
  const parts: string[] = [];
  const holes: Hole[] = [];
  let rest = shape.timeFormat === 'iso' ? text : text.replace(timeToken, `"${shape.time}":${HOLE_TIME}`);
  for (;;) {
    const i = rest.indexOf('\u0000');
    if (i < 0) break;
    parts.push(rest.slice(0, i));
    const c = rest[i + 1];
    holes.push(c === 'K' ? 0 : c === 'T' ? 1 : 2);
    rest = rest.slice(i + 2);
  }
  parts.push(rest);
  return { parts, holes };
}

/** Time as the flow's mapping expects it. */
export function formatTime(t: number, format: FlowShape['timeFormat']): string {
  if (format === 'iso') return new Date(t).toISOString();
  if (format === 'epoch_ms') return String(t);
  return (t / 1000).toFixed(3);
}

export function fillTemplate(t: Template, key: string, time: string, id: string): string {
  let s = t.parts[0];
  for (let i = 0; i < t.holes.length; i++) {
    const h = t.holes[i];
    s += (h === 0 ? key : h === 1 ? time : id) + t.parts[i + 1];
  }
  return s;
}

/**
 * Key sampler over n keys: uniform, or Zipf with exponent s (rank r drawn with weight 1/r^s).
 * Zipf uses the inverse CDF by binary search: O(log n) per draw, n doubles of memory.
 */
export class KeySampler {
  private readonly cdf: Float64Array | null;

  constructor(
    readonly n: number,
    readonly s: number,
    private readonly rng: Rng,
  ) {
    if (!(n >= 1)) throw new RangeError(`key count must be >= 1, got ${n}`);
    if (s > 0) {
      const cdf = new Float64Array(n);
      let acc = 0;
      for (let r = 0; r < n; r++) cdf[r] = acc += 1 / Math.pow(r + 1, s);
      for (let r = 0; r < n; r++) cdf[r] /= acc;
      cdf[n - 1] = 1;
      this.cdf = cdf;
    } else this.cdf = null;
  }

  /** A key index in [0, n). */
  next(): number {
    const u = this.rng.next();
    if (this.cdf === null) return Math.floor(u * this.n);
    return lowerBound(this.cdf, u);
  }
}

/** First index i with cdf[i] > u (cdf ascending, last element 1). */
export function lowerBound(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface WorkloadOptions {
  flows: FlowName[];
  /** Active keys in total, spread evenly over the flows. */
  keys: number;
  /** 0 = uniform; > 0 = Zipf exponent (1 is classic Zipf). */
  skew: number;
  seed?: number;
  /** Simulator records per flow to draw templates from. */
  templatesPerFlow?: number;
  /** Visit every key once, in order, before drawing keys at random (all keys active from the start). */
  sequentialFirst?: boolean;
}

export interface WorkloadEvent {
  stream: FlowName;
  key: string;
  value: string;
}

/**
 * Endless stream of payloads: flows take turns (an even mix), keys are drawn per flow, the
 * payload is a simulator record of that flow with key, time and record id filled in.
 */
export class Workload {
  readonly flows: FlowName[];
  readonly keysPerFlow: number;
  /** Per flow: templates grouped by simulated entity, each group in time order. */
  private readonly templates: Template[][][];
  /** Per flow and key: position in the key's entity sequence (a key replays one entity's series). */
  private readonly cursor: Uint32Array[];
  private readonly samplers: KeySampler[];
  private readonly keyNames: string[][];
  private readonly drawn: number[];
  private seq = 0;

  constructor(readonly o: WorkloadOptions) {
    if (o.flows.length === 0) throw new RangeError('at least one flow');
    this.flows = o.flows;
    this.keysPerFlow = Math.max(1, Math.ceil(o.keys / o.flows.length));
    const seed = o.seed ?? 1;
    const per = o.templatesPerFlow ?? 2000;
    this.templates = o.flows.map((f) => simulatorTemplates(f, per, seed));
    this.cursor = o.flows.map(() => new Uint32Array(this.keysPerFlow));
    this.samplers = o.flows.map((_, i) => new KeySampler(this.keysPerFlow, o.skew, new Rng(seed, 77, i)));
    this.drawn = o.flows.map(() => 0);
    this.keyNames = o.flows.map((f) => {
      const prefix = FLOW_SHAPES[f].keyPrefix;
      return Array.from({ length: this.keysPerFlow }, (_, k) => `${prefix}-${k}`);
    });
  }

  /** Total distinct keys the workload can produce. */
  get keys(): number {
    return this.keysPerFlow * this.flows.length;
  }

  /** The next event, with event time `t` (epoch ms). */
  next(t: number): WorkloadEvent {
    const n = this.seq++;
    const fi = n % this.flows.length;
    const flow = this.flows[fi];
    const shape = FLOW_SHAPES[flow];
    const k = this.o.sequentialFirst && this.drawn[fi] < this.keysPerFlow ? this.drawn[fi]++ : this.samplers[fi].next();
    const key = this.keyNames[fi][k];
    // Key k replays the series of simulated entity k mod E (values change the way that entity's do).
    const groups = this.templates[fi];
    const list = groups[k % groups.length];
    const c = this.cursor[fi];
    const tpl = list[c[k] % list.length];
    c[k]++;
    const value = fillTemplate(tpl, key, formatTime(t, shape.timeFormat), 'b-' + n);
    return { stream: flow, key, value };
  }
}

/**
 * About `count` records of one flow from the simulator (scale 1, up to a simulated week), as
 * templates grouped by the simulated entity they came from, each group in time order.
 */
export function simulatorTemplates(flow: FlowName, count: number, seed: number): Template[][] {
  const start = Date.UTC(2026, 10, 27, 6, 0);
  const sim = new FlowSimulator({ seed, start, flows: [flow], scale: 1 });
  const shape = FLOW_SHAPES[flow];
  const groups = new Map<string, Template[]>();
  let n = 0;
  for (let h = 1; n < count && h <= 24 * 7; h++) {
    for (const r of sim.advance(start + h * 3_600_000)) {
      if (typeof r.payload === 'string') continue;
      const entity = String(r.payload[shape.key]);
      let g = groups.get(entity);
      if (!g) groups.set(entity, (g = []));
      g.push(makeTemplate(r.payload, shape));
      n++;
    }
  }
  return [...groups.values()];
}
