/**
 * The audit trail of what people did (ack, comment, hand-on, silence, expire): one store document,
 * written in the same transaction as the action, so an action and its entry land together or not at all.
 */

/** The store key of the audit document (beside the K keys in store/types.ts; under the same prefix). */
export const AUDIT_KEY = 'audit';
/** Entries kept, newest last; older ones drop off (and any older than the retention time). */
export const AUDIT_MAX = 2000;

export type AuditAction = 'ack' | 'comment' | 'hand-on' | 'silence' | 'expire';

/** Who acted: the signed-in user, the name they gave, their teams (empty for an admin). */
export interface Actor {
  user: string;
  by: string;
  teams: string[];
}

export interface AuditEntry {
  at: number;
  action: AuditAction;
  user: string;
  by: string;
  /** The acting user's teams and, for an alert, the team it was handed to: who may read the entry besides admins. */
  teams: string[];
  fingerprint?: string;
  alertId?: string;
  silence?: string;
  matchers?: string[];
  /** The comment or note. */
  text?: string;
  /** hand-on: from and to which team. */
  from?: string;
  to?: string;
}

export interface AuditDoc {
  entries: AuditEntry[];
}

/** The audit document with `entry` appended, trimmed by count and age. */
export function appended(doc: AuditDoc | undefined, entry: AuditEntry, retentionMs: number): AuditDoc {
  const keep = (doc?.entries ?? []).filter((e) => e.at > entry.at - retentionMs);
  return { entries: [...keep, entry].slice(-AUDIT_MAX) };
}

/** What an action by `actor` records, before its own fields. */
export function entryBy(actor: Actor | undefined, action: AuditAction, at: number): AuditEntry {
  return { at, action, user: actor?.user ?? 'api', by: actor?.by ?? 'api', teams: actor?.teams ?? [] };
}
