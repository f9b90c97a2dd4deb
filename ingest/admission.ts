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
  /** Recent identities; the oldest are evicted past capacity (FIFO through `ring`). */
  private readonly recent = new Set<string>();
  /**
   * Identities in arrival order, a ring of `capacity` slots: evicting the oldest is O(1). (Deleting
   * a Map's first entry and asking for the next "first" walks over every deleted slot until the
   * table is compacted, which made dedup the costliest step of admission.)
   */
  private readonly ring: string[] = [];
  private ringPos = 0;
  private readonly capacity: number;

  constructor(private readonly policy: AdmissionPolicy) {
    this.capacity = Math.max(1, policy.dedupCapacity ?? 100_000);
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
    this.recent.add(id);
    if (this.ring.length < this.capacity) this.ring.push(id);
    else {
      this.recent.delete(this.ring[this.ringPos]);
      this.ring[this.ringPos] = id;
      this.ringPos = this.ringPos + 1 === this.capacity ? 0 : this.ringPos + 1;
    }
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
  // join() builds one flat string. Appending with += leaves a rope of cons cells behind each
  // identity the dedup window holds (~0.5 KB each for an event with 8 values).
  const parts: Array<string | number> = [e.key, e.ts];
  for (const k in e.values) parts.push(e.values[k]);
  return parts.join('\u0000');
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}
