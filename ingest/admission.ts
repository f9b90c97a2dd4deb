import type { FlowEvent, RejectReason } from '../core/types';
import { formatDuration } from '../config/duration';

export interface AdmissionPolicy {
  /** Allowed lateness behind the highest event time seen (the watermark). */
  lateness: number;
  /** Events further ahead of the clock than this are bogus. */
  maxFuture: number;
  /** Events further behind the clock than this are bogus (0 = no limit). */
  maxAge: number;
  /** How many recent record identities to remember for duplicate detection. */
  dedupCapacity?: number;
}

export type Admitted = { ok: true } | { ok: false; reason: RejectReason; detail: string };

const OK: Admitted = { ok: true };

/**
 * Decides per event whether it enters the windows: watermark (late events), plausible time,
 * duplicates. One per stream (per partition once Kafka assigns them). State is bounded.
 */
export class EventAdmission {
  private maxTs = -Infinity;
  /** Insertion-ordered identities; the oldest are evicted past capacity. */
  private readonly recent = new Map<string, true>();
  private readonly capacity: number;

  constructor(private readonly policy: AdmissionPolicy) {
    this.capacity = policy.dedupCapacity ?? 100_000;
  }

  /** Watermark: windows ending before it are closed. */
  get watermark(): number {
    return this.maxTs - this.policy.lateness;
  }

  admit(e: FlowEvent, now: number): Admitted {
    if (e.ts > now + this.policy.maxFuture) {
      return { ok: false, reason: 'time_out_of_range', detail: `event time ${iso(e.ts)} is more than ${formatDuration(this.policy.maxFuture)} ahead of the clock (${iso(now)})` };
    }
    if (this.policy.maxAge > 0 && e.ts < now - this.policy.maxAge) {
      return { ok: false, reason: 'time_out_of_range', detail: `event time ${iso(e.ts)} is more than ${formatDuration(this.policy.maxAge)} behind the clock (${iso(now)})` };
    }
    if (e.ts < this.maxTs - this.policy.lateness) {
      return { ok: false, reason: 'late', detail: `event time ${iso(e.ts)} is behind the watermark ${iso(this.watermark)} (allowed lateness ${formatDuration(this.policy.lateness)})` };
    }
    const id = e.id !== undefined ? e.id : identity(e);
    if (this.recent.has(id)) return { ok: false, reason: 'duplicate', detail: e.id !== undefined ? `record id ${e.id} already processed` : `same key, time and values as an earlier record` };
    this.recent.set(id, true);
    if (this.recent.size > this.capacity) this.recent.delete(this.recent.keys().next().value as string);
    if (e.ts > this.maxTs) this.maxTs = e.ts;
    return OK;
  }

  /** For state persistence: the admission state is small (max time) plus the dedup window. */
  snapshot(): { maxTs: number } {
    return { maxTs: this.maxTs };
  }
  restore(s: { maxTs: number }): void {
    this.maxTs = s.maxTs;
  }
}

function identity(e: FlowEvent): string {
  let s = e.key + '\u0000' + e.ts;
  for (const k in e.values) s += '\u0000' + e.values[k];
  return s;
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}
