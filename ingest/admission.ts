import type { FlowEvent, RejectReason } from '../core/types';
import { formatDuration } from '../config/duration';
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
}

export type Admitted = { ok: true } | { ok: false; reason: RejectReason; detail: string };

const OK: Admitted = { ok: true };

/**
 * Decides per event whether it enters the windows: watermark (late events), plausible time,
 * duplicates. One per stream (per partition once Kafka assigns them). State is bounded.
 */
export class EventAdmission {
  private maxTs = -Infinity;
  /**
   * Fingerprints of recent records (of the id, or of key + time + values without one); the oldest
   * are evicted past capacity. Fingerprints, not strings: see FingerprintSet.
   */
  private readonly recent: FingerprintSet;

  constructor(private readonly policy: AdmissionPolicy) {
    this.recent = new FingerprintSet(Math.max(1, policy.dedupCapacity ?? 100_000));
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
    const f = fingerprint(e);
    if (!this.recent.add(f.hi, f.lo)) return { ok: false, reason: 'duplicate', detail: e.id !== undefined ? `record id ${e.id} already processed` : `same key, time and values as an earlier record` };
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
