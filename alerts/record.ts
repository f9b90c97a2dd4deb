import type { Alert } from '../kernel/types';
import type { AckInfo } from './notification';

/** What flowwatch knows about one alerting thing (fingerprint), shared by workers. */
export interface AlertRecord {
  fingerprint: string;
  /** The latest state change accepted. */
  alert: Alert;
  /** Ids of recent changes: a re-delivered batch or a second worker brings no second notification. */
  seen: string[];
  /** Wall times of recent changes inside the flap window. */
  changes: number[];
  lastChange: number;
  /** Set while flapping: changes are held back until it settles. */
  flapping?: { since: number };
  /** Wall time the current firing episode was accepted (escalation counts from here). */
  firingSince?: number;
  ack?: AckInfo;
  /** Escalation rules (by index) already applied in this episode, and the receivers they reached. */
  escalated?: { rules: number[]; receivers: string[] };
  /** The last STATES_MAX state changes accepted (event time of each), oldest first: the card's state history. */
  states?: Array<{ status: Alert['status']; at: number }>;
  /** Handed on to a team from the console or API (kept across episodes; docs/console.md). */
  owner?: { team: string; by: string; user: string; at: number; note?: string };
}

export interface FlapPolicy {
  window: number;
  threshold: number;
  quiet: number;
}

/** What to do with an incoming state change. */
export type Decision =
  /** Seen before (same id): nothing to do. */
  | 'duplicate'
  /** An ordinary change: route and notify. */
  | 'notify'
  /** Just started flapping: notify once, marked flapping. */
  | 'flapping'
  /** Flapping: held back until it settles. */
  | 'suppress';

const SEEN_MAX = 16;
const STATES_MAX = 10;

/**
 * Applies a state change to its record (pure: returns the new record). Flap detection: when
 * `threshold` changes fall inside `window`, the alert is flapping — one notification says so,
 * later changes are held back until none came for `quiet` (see settleFlap).
 */
export function acceptChange(
  prev: AlertRecord | undefined,
  alert: Alert,
  now: number,
  flap: FlapPolicy,
): { record: AlertRecord; decision: Decision } {
  if (prev?.seen.includes(alert.id)) return { record: prev, decision: 'duplicate' };
  const r: AlertRecord = prev
    ? { ...prev, seen: [...prev.seen, alert.id].slice(-SEEN_MAX), changes: [...prev.changes] }
    : { fingerprint: alert.fingerprint, alert, seen: [alert.id], changes: [], lastChange: now };
  r.alert = alert;
  r.lastChange = now;
  const at = alert.status === 'resolved' ? (alert.endsAt ?? alert.startsAt) : alert.startsAt;
  r.states = [...(prev?.states ?? []), { status: alert.status, at }].slice(-STATES_MAX);
  if (alert.status === 'firing') {
    // A new episode: its own ack and escalation.
    r.firingSince = now;
    delete r.ack;
    delete r.escalated;
  }
  let decision: Decision = 'notify';
  if (flap.threshold > 0) {
    r.changes.push(now);
    r.changes = r.changes.filter((t) => t > now - flap.window).slice(-flap.threshold);
    if (r.flapping) decision = 'suppress';
    else if (r.changes.length >= flap.threshold) {
      r.flapping = { since: now };
      decision = 'flapping';
    }
  }
  return { record: r, decision };
}

/** A flapping alert that has been quiet long enough settles: its current state is notified. */
export function settleFlap(r: AlertRecord, now: number, flap: FlapPolicy): { record: AlertRecord; settled: boolean; recheckAt?: number } {
  if (!r.flapping) return { record: r, settled: false };
  if (now - r.lastChange < flap.quiet) return { record: r, settled: false, recheckAt: r.lastChange + flap.quiet };
  const next = { ...r, changes: [] };
  delete next.flapping;
  return { record: next, settled: true };
}
