import type { Evidence, FlowEvent, Observation } from '../../kernel/types';
import type { Detector } from '../types';
import { scoreAgainstLimit } from '../common';
import { StateEncoder } from '../../state/codec';
import { firingField } from '../firing-field';

export interface DeadmanParams {
  timeout: number;
}

/** The state object's head and first member name: {lastSeen: */
const HEAD = StateEncoder.fragment((e) => {
  e.objectOf(2);
  e.key('lastSeen');
});

export interface DeadmanState {
  /** Newest event time seen for the key, epoch ms. */
  lastSeen: number;
  firing: boolean;
}

/**
 * Fires when a key has been silent for longer than `timeout`. Only advance() can fire it (silence
 * is the absence of events); the next event clears it. Keys never seen have no state, so this
 * watches keys that went quiet, not keys that never started.
 */
export class DeadmanDetector implements Detector<DeadmanState> {
  readonly type = 'deadman';
  private readonly timeoutS: number;

  constructor(private readonly p: DeadmanParams) {
    this.timeoutS = p.timeout / 1000;
  }

  init(first: FlowEvent): DeadmanState {
    return { lastSeen: first.ts, firing: false };
  }

  /** The state's bytes in its fixed field order (the state is what is stored: no persist()). */
  encode(s: DeadmanState, enc: StateEncoder): void {
    if (!this.encodeLed(s, enc, HEAD)) enc.value(s); // restored as it was
  }

  readonly encodeHead = HEAD;

  encodeLed(s: DeadmanState, enc: StateEncoder, lead: Uint8Array): boolean {
    if (typeof s.lastSeen !== 'number' || typeof s.firing !== 'boolean') return false;
    enc.raw(lead);
    enc.number(s.lastSeen);
    enc.raw(firingField(s.firing));
    return true;
  }

  /**
   * Records the event; always a non-firing verdict (value = the gap this event ended, seconds).
   * Its evidence has no detail: formatting lastSeen as ISO costs more than the rest of the call.
   */
  observe(s: DeadmanState, e: FlowEvent): Observation {
    const o = this.newObservation();
    this.observeInto(s, e, o);
    return o;
  }

  newObservation(): Observation {
    const evidence: Evidence = {
      measure: 'silence',
      value: 0,
      baseline: null,
      deviation: 0,
      unit: 'seconds',
      limit: this.timeoutS,
      window: { start: 0, end: 0 },
    };
    return { score: 0, firing: false, evidence };
  }

  /** observe() into a reused observation (Detector.observeInto): always a verdict. */
  observeInto(s: DeadmanState, e: FlowEvent, out: Observation): boolean {
    const gap = e.ts > s.lastSeen ? e.ts - s.lastSeen : 0;
    if (e.ts > s.lastSeen) s.lastSeen = e.ts;
    s.firing = false;
    const silentS = gap / 1000;
    out.score = 0;
    out.firing = false;
    const ev = out.evidence;
    ev.value = silentS;
    ev.deviation = silentS - this.timeoutS;
    ev.window!.start = s.lastSeen - gap;
    ev.window!.end = s.lastSeen;
    return true;
  }

  /** Fires once at − lastSeen > timeout; null while quiet for less than that and not firing. */
  advance(s: DeadmanState, at: number): Observation | null {
    const now = at;
    const silent = now - s.lastSeen;
    const over = silent > this.p.timeout;
    if (!over && !s.firing) return null;
    s.firing = over;
    // 0.5 at the timeout, 2/3 at twice the timeout, → 1 as silence grows
    return this.verdict(s, silent > 0 ? silent : 0, s.lastSeen, now, scoreAgainstLimit(silent / this.p.timeout), true);
  }

  /** The first millisecond of silence past the timeout; a firing deadman clears only with an event. */
  nextTimer(s: DeadmanState): number {
    return s.firing ? Infinity : s.lastSeen + this.p.timeout + 1;
  }

  private verdict(s: DeadmanState, silentMs: number, start: number, end: number, score: number, detail: boolean): Observation {
    const silentS = silentMs / 1000;
    const obs: Observation = {
      score,
      firing: s.firing,
      evidence: {
        measure: 'silence',
        value: silentS,
        baseline: null,
        deviation: silentS - this.timeoutS,
        unit: 'seconds',
        limit: this.timeoutS,
        window: { start, end },
      },
    };
    if (detail) obs.evidence.detail = { lastSeen: new Date(s.lastSeen).toISOString() };
    return obs;
  }
}
