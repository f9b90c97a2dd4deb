import type { FlowEvent, RejectReason } from '../kernel/types';
import { formatDuration } from '../kernel/duration';
import { Fingerprinter } from './fingerprint';
import { FingerprintSet } from './fingerprint-set';

export interface AdmissionPolicy {
  /** Allowed lateness behind the highest event time seen (the watermark). */
  lateness: number;
  /** Events further ahead of the clock than this are bogus. */
  maxFuture: number;
  /** Events further behind the clock than this are bogus (0 = no limit). */
  maxAge: number;
  /** How many recent record identities to remember for duplicate detection. */
  dedupCapacity?: number;
  /**
   * A scope (partition) without records for this long (clock time) is idle: its watermark then
   * moves on with the clock, so quiet keys still drain and silence is still noticed. 0 = never.
   */
  idleTimeout?: number;
}

export type Admitted = { ok: true } | { ok: false; reason: RejectReason; detail: string };

const OK: Admitted = { ok: true };

/**
 * Decides per event whether it enters the windows: watermark (late events), plausible time,
 * duplicates. One per stream (per partition once Kafka assigns them). State is bounded.
 */
export class EventAdmission {
  private maxTs = -Infinity;
  /** Clock time of the last admitted event (idleness); -Infinity before the first. */
  private lastClock = -Infinity;
  /**
   * Fingerprints of recent records (of the id, or of key + time + values without one); the oldest
   * are evicted past capacity. Fingerprints, not strings: see FingerprintSet.
   */
  private readonly recent: FingerprintSet;

  constructor(private readonly policy: AdmissionPolicy) {
    this.recent = new FingerprintSet(Math.max(1, policy.dedupCapacity ?? 100_000));
  }

  /** Watermark: events behind it are late; event-time timers at or before it are due. */
  get watermark(): number {
    return this.maxTs - this.policy.lateness;
  }

  /** Highest admitted event time (-Infinity before the first). */
  get maxEventTime(): number {
    return this.maxTs;
  }

  /**
   * The watermark as of clock time `now`, with the idle rule: once the scope has had no record for
   * `idleTimeout`, event time is taken to have moved on as the clock did since its last record
   * (like Flink's withIdleness, but advancing rather than only not holding others back: a
   * partition is often a stream's only one here). Results that depend on it are processing-time
   * results — only silence of a whole partition needs it.
   */
  watermarkAt(now: number, idle: boolean): number {
    const w = this.maxTs - this.policy.lateness;
    const timeout = this.policy.idleTimeout ?? 0;
    if (!idle || !(timeout > 0) || this.lastClock === -Infinity) return w;
    const quiet = now - this.lastClock;
    return quiet >= timeout ? w + quiet : w;
  }

  admit(e: FlowEvent, now: number): Admitted {
    if (e.ts > now + this.policy.maxFuture) {
      return {
        ok: false,
        reason: 'time_out_of_range',
        detail: `event time ${iso(e.ts)} is more than ${formatDuration(this.policy.maxFuture)} ahead of the clock (${iso(now)})`,
      };
    }
    if (this.policy.maxAge > 0 && e.ts < now - this.policy.maxAge) {
      return {
        ok: false,
        reason: 'time_out_of_range',
        detail: `event time ${iso(e.ts)} is more than ${formatDuration(this.policy.maxAge)} behind the clock (${iso(now)})`,
      };
    }
    if (e.ts < this.maxTs - this.policy.lateness) {
      return {
        ok: false,
        reason: 'late',
        detail: `event time ${iso(e.ts)} is behind the watermark ${iso(this.watermark)} (allowed lateness ${formatDuration(this.policy.lateness)})`,
      };
    }
    const f = fingerprint(e);
    if (!this.recent.add(f.hi, f.lo))
      return {
        ok: false,
        reason: 'duplicate',
        detail: e.id !== undefined ? `record id ${e.id} already processed` : `same key, time and values as an earlier record`,
      };
    if (e.ts > this.maxTs) this.maxTs = e.ts;
    this.lastClock = now;
    return OK;
  }

  /** For state persistence: the admission state is small (max time) plus the dedup window. */
  snapshot(): { maxTs: number } {
    return { maxTs: this.maxTs };
  }
  /** A restored scope resumes with the stored max event time (not idle until `idleTimeout` from `now`). */
  restore(s: { maxTs: number }, now = -Infinity): void {
    if (typeof s.maxTs === 'number' && s.maxTs > this.maxTs) this.maxTs = s.maxTs;
    if (now > this.lastClock) this.lastClock = now;
  }
}

const ID = 1;
const CONTENT = 2;
const fp = new Fingerprinter();

/** The record's identity: its id, else key, time and values (in mapping order, as decoded). */
function fingerprint(e: FlowEvent): Fingerprinter {
  if (e.id !== undefined) return fp.begin(ID).string(e.id).end();
  fp.begin(CONTENT).string(e.key).number(e.ts);
  const values = e.values;
  for (const k in values) fp.number(values[k]);
  return fp.end();
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}
