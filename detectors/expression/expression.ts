import type { Evidence, FlowEvent, Observation } from '../../kernel/types';
import { truthy } from '../../expression/expression';
import type { Detector } from '../types';
import { clamp01 } from '../common';
import { defaultSlide, nextDrain } from '../window/pane-ring';
import {
  PaneWindow,
  WindowAggregate,
  WINDOWED_HEAD,
  encodeWindowed,
  persistWindowed,
  reviveWindowed,
  type WindowedState,
} from '../window/pane-window';
import type { StateEncoder } from '../../state/codec';
import { AggregateBinding } from './aggregate-view';
import { CompiledDetectorExpressions, compileDetectorExpressions } from './compile';

export interface ExpressionParams {
  expression: string;
  window: number;
  slide?: number;
  measurements?: string[];
  score?: string;
}

/** The window's block, the detector's firing latch in its head (see WindowedState). */
export type ExpressionState = WindowedState;

export const EXPRESSION_DEFAULT_PANES = 10;
/** Score without a score expression: clearly on either side of 0.5, never claiming certainty. */
export const TRUE_SCORE = 0.9;
export const FALSE_SCORE = 0.1;

/**
 * A restricted mathjs condition over window aggregates of one key, e.g.
 * "sum(amount) > 50000 and count >= 3". Aggregates come from a pane window over exactly the
 * measurements the expressions mention; bare names read the current event's value (observe) or
 * the window's latest value (advance). Firing = the condition holds now (no hysteresis: write it
 * into the condition if needed).
 */
export class ExpressionDetector implements Detector<ExpressionState> {
  readonly type = 'expression';
  readonly compiled: CompiledDetectorExpressions;
  private readonly win: PaneWindow;
  private readonly agg: WindowAggregate;
  private readonly cond: AggregateBinding;
  private readonly score: AggregateBinding | null;
  private readonly bare: string[];
  private readonly bareIndex: number[];
  private readonly latest: Record<string, number> = {};

  constructor(
    private readonly p: ExpressionParams,
    streamMeasurements?: readonly string[],
  ) {
    this.compiled = compileDetectorExpressions(p, streamMeasurements);
    const names = this.compiled.measurements;
    // Keep only the statistics the expressions read (bare names read the latest value in advance()).
    const kinds = new Set([...this.compiled.condition.aggregates, ...(this.compiled.score?.aggregates ?? [])].map((a) => a.kind));
    const bareNames = this.compiled.condition.symbols.length + (this.compiled.score?.symbols.length ?? 0) > 0;
    this.win = new PaneWindow(p.window, p.slide ?? defaultSlide(p.window, EXPRESSION_DEFAULT_PANES), names, {
      m2: kinds.has('std'),
      minMax: kinds.has('min') || kinds.has('max'),
      last: kinds.has('last') || bareNames,
    });
    this.agg = this.win.newAggregate();
    this.cond = new AggregateBinding(this.compiled.condition.aggregates, names);
    this.score = this.compiled.score && new AggregateBinding(this.compiled.score.aggregates, names);
    this.bare = [...new Set([...this.compiled.condition.symbols, ...(this.compiled.score?.symbols ?? [])])];
    this.bareIndex = this.bare.map((n) => names.indexOf(n));
  }

  init(): ExpressionState {
    return this.win.init();
  }

  persist(s: ExpressionState): unknown {
    return persistWindowed(this.win, s);
  }

  encode(s: ExpressionState, enc: StateEncoder): void {
    encodeWindowed(this.win, s, enc);
  }

  readonly encodeHead = WINDOWED_HEAD;

  encodeLed(s: ExpressionState, enc: StateEncoder, lead: Uint8Array): boolean {
    encodeWindowed(this.win, s, enc, lead);
    return true;
  }

  revive(v: unknown): ExpressionState | null {
    return reviveWindowed(this.win, v);
  }

  /** The key's row was dropped: its window's block may serve another key. */
  release(s: ExpressionState): void {
    this.win.release(s);
  }

  observe(s: ExpressionState, e: FlowEvent): Observation | null {
    const o = this.newObservation();
    return this.observeInto(s, e, o) ? o : null;
  }

  observeInto(s: ExpressionState, e: FlowEvent, out: Observation): boolean {
    for (let i = 0; i < this.bare.length; i++) if (typeof e.values[this.bare[i]] !== 'number') return false;
    if (!this.win.add(s, e.ts, e.values)) return false;
    const a = this.win.aggregate(s, this.win.maxTs(s), this.agg);
    this.judgeInto(s, a, e.values, out);
    return true;
  }

  /** Its detail gets the same names in the same order at every verdict, so it is rewritten in place. */
  newObservation(): Observation {
    const evidence: Evidence = {
      measure: this.p.expression,
      value: 0,
      baseline: null,
      deviation: null,
      unit: this.cond.refs[0]?.kind === 'count' ? 'count' : 'abs',
      window: { start: 0, end: 0, size: this.p.window },
      detail: {},
    };
    return { score: 0, firing: false, evidence };
  }

  /** Panes drain with time, so the verdict can change either way; returns it while firing or when it changes. */
  advance(s: ExpressionState, at: number): Observation | null {
    this.win.expire(s, at);
    const was = this.win.firing(s);
    const a = this.win.aggregate(s, this.win.readTime(s, at), this.agg);
    for (let i = 0; i < this.bare.length; i++) this.latest[this.bare[i]] = a.last[this.bareIndex[i]];
    const obs = this.judge(s, a, this.latest);
    return obs.firing || was ? obs : null;
  }

  /**
   * Every pane boundary until the window is empty: an expression may turn either way as panes
   * leave (`count < 3` starts to hold as a key goes quiet), so each boundary is judged.
   */
  nextTimer(s: ExpressionState, after: number): number {
    return nextDrain(this.win.geometry, this.win.maxTs(s), after);
  }

  private judge(s: ExpressionState, a: WindowAggregate, values: Record<string, number>): Observation {
    const o = this.newObservation();
    this.judgeInto(s, a, values, o);
    return o;
  }

  private judgeInto(s: ExpressionState, a: WindowAggregate, values: Record<string, number>, out: Observation): void {
    const { condition, score } = this.compiled;
    const cv = this.cond.fill(a);
    const holds = truthy(condition.evaluate(values, cv));
    this.win.setFiring(s, holds);
    let sc = holds ? TRUE_SCORE : FALSE_SCORE;
    if (score && this.score) {
      const x = score.evaluate(values, this.score.fill(a));
      if (x === x) sc = clamp01(x); // NaN (e.g. empty window) keeps the default
    }
    const ev = out.evidence;
    const detail = ev.detail!;
    this.describe(detail, this.cond);
    if (this.score) this.describe(detail, this.score);
    for (const n of this.bare) detail[n] = shown(values[n]);
    const primary = cv.length > 0 ? cv[0] : NaN;
    out.score = sc;
    out.firing = holds;
    ev.value = Number.isFinite(primary) ? primary : holds ? 1 : 0;
    ev.window!.start = a.start;
    ev.window!.end = a.end;
  }

  private describe(detail: Record<string, number | string>, b: AggregateBinding): void {
    for (let j = 0; j < b.refs.length; j++) detail[b.refs[j].label] = shown(b.values[j]);
  }
}

/** Evidence is JSON: NaN/Infinity would silently become null, so they are spelled out. */
function shown(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}
