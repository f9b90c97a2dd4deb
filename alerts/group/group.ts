import type { Alert } from '../../kernel/types';
import type { AckInfo, Notification, NotificationReason, NotifiedAlert } from '../notification';
import { stableId } from '../notification';
import type { Muter } from '../mute/muter';
import { groupLabels, type Route, type Router } from '../route/route';

/** How a change reached the group: an ordinary change, the one flapping notice, or a settled flapper's state. */
export type ChangeKind = 'new' | 'flapping' | 'settled';

/** A change waiting in a group for its next notification. */
export interface PendingChange {
  alert: Alert;
  kind: ChangeKind;
}

/**
 * An aggregation group: the alerts one route sends to its receiver with the same group_by
 * values. The changes not yet notified wait in the group's own queue (K.pending: appended per
 * change, trimmed by the flush), so adding one costs the same however many wait; the group keeps
 * the alerts still firing (for repeats) and the timing, stored as two documents (GroupHead).
 */
export interface GroupDoc {
  key: string;
  routeId: string;
  receiver: string;
  labels: Record<string, string>;
  /** Changes stored in the document by an older release; read once by the next flush. */
  pending?: PendingChange[];
  /**
   * Alerts of the group still firing, by fingerprint: the alert's id, not the alert — its content
   * lives once in its record. (Whole alerts here made a group of thousands of firing alerts a
   * document of megabytes, rewritten on every change.)
   */
  firing: Record<string, FiringEntry>;
  createdAt: number;
  /** When the last notification went out (null: none yet, still in group_wait). */
  lastSent: number | null;
  /** When the group is next looked at (group_wait, group_interval, repeat, mute re-check). */
  due: number | null;
  seq: number;
}

/**
 * The group as stored under K.group: identity and timing, without its firing alerts — those are
 * a document of their own (K.firing) that only a flush reads and writes, so a change, which only
 * moves the group's due time, does not read and rewrite a map of every alert still firing (~30 KB
 * for 300 alerts). `firing` here: stored in the document by an older release; the next flush
 * moves it out.
 */
export type GroupHead = Omit<GroupDoc, 'firing'> & { firing?: Record<string, FiringEntry> };

/** A flush's view of a group: its head with the firing alerts from their own document (or, as an older release stored them, from the head). */
export function assembleGroup(
  head: GroupHead | undefined,
  firing: { firing: Record<string, FiringEntry> } | undefined,
): GroupDoc | undefined {
  if (head === undefined) return undefined;
  // head.firing only exists as an older release wrote it; prefer it, it is the newer.
  return { ...head, firing: head.firing ?? firing?.firing ?? {} };
}

/** The two documents a group is stored as (see GroupHead). */
export function splitGroup(g: GroupDoc): { head: GroupHead; firing: { firing: Record<string, FiringEntry> } } {
  const { firing, ...head } = g;
  return { head, firing: { firing } };
}

export interface FiringEntry {
  id: string;
  notified: boolean;
  flapping?: boolean;
}

/** Current alerts by fingerprint (from their records): what repeats and un-muted alerts send. */
export type AlertLookup = ReadonlyMap<string, { alert: Alert; ack?: AckInfo }>;

/** How often a group with muted firing alerts looks again (a silence may have expired). */
export const MUTE_RECHECK_MS = 15_000;

export function groupKey(route: Route, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return stableId(route.id, route.receiver, ...sorted);
}

/** Where an alert goes: a route that takes it, and the group (key and labels) it joins there. */
export interface GroupTarget {
  route: Route;
  key: string;
  labels: Record<string, string>;
}

/** The groups an alert with these labels joins: one per route that takes it. */
export function groupTargets(router: Pick<Router, 'match'>, labels: Readonly<Record<string, string>>): GroupTarget[] {
  return router.match(labels).map((route) => {
    const grouped = groupLabels(route, labels);
    return { route, key: groupKey(route, grouped), labels: grouped };
  });
}

/**
 * A change arrives (the caller queues it in K.pending): returns the group and when it is due — a
 * new group waits group_wait, an existing one sends at most once per group_interval.
 * `owned`: prev is the caller's own copy (an earlier change of the same batch) and may be updated
 * in place.
 */
export function touchGroup(
  prev: GroupHead | undefined,
  route: Route,
  key: string,
  labels: Record<string, string>,
  now: number,
  owned = false,
): GroupHead {
  const g: GroupHead =
    owned && prev
      ? prev
      : prev
        ? { ...prev }
        : { key, routeId: route.id, receiver: route.receiver, labels, createdAt: now, lastSent: null, due: null, seq: 0 };
  const wanted = g.lastSent === null ? g.createdAt + route.groupWait : Math.max(now, g.lastSent + route.groupInterval);
  g.due = g.due === null ? wanted : Math.min(g.due, wanted);
  return g;
}

/**
 * The fingerprints whose records a flush of `g` must see (acks, the content of firing alerts):
 * changes kept in the document by an older release; queued changes that may carry an ack — a
 * flapper's settled state, or any change to an alert the group has firing; firing alerts held
 * back by a mute (re-checked now); and — only when a repeat may be due — every firing alert. An
 * ordinary flush in a storm then reads the records of its changes, not of every alert the group
 * has firing (a group of 1,000 firing alerts had cost 1,000 record reads per change). A new
 * firing change carries its alert and starts an episode with no ack yet.
 */
export function recordsForFlush(g: GroupDoc, queued: readonly PendingChange[], route: Route | undefined, now: number): string[] {
  const out: string[] = [];
  for (const p of g.pending ?? []) out.push(p.alert.fingerprint);
  for (const p of queued) if (p.kind === 'settled' || g.firing[p.alert.fingerprint] !== undefined) out.push(p.alert.fingerprint);
  const repeatDue = route !== undefined && g.lastSent !== null && now >= g.lastSent + route.repeatInterval;
  for (const fp in g.firing) if (repeatDue || !g.firing[fp].notified) out.push(fp);
  return out;
}

export interface FlushResult {
  /** The group after the flush; null when nothing is left in it (delete it). */
  group: GroupDoc | null;
  notification: Notification | null;
}

/** A flush in the making: the group as it becomes, and what its notification carries so far. */
interface Draft {
  g: GroupDoc;
  muter: Muter;
  current: AlertLookup;
  /** The alerts of this flush's pending changes, by fingerprint. */
  pendingAlerts: Map<string, Alert>;
  out: NotifiedAlert[];
  kinds: Set<NotificationReason>;
  /** Fingerprints this flush notifies as firing. */
  sentNow: Set<string>;
}

/**
 * The group's due time has come: notify the pending changes that are not muted, firing alerts
 * that were muted and no longer are, and — when nothing changed for repeat_interval — the
 * alerts still firing that nobody acknowledged. A resolved change is sent when its firing was.
 */
export function flushGroup(
  prev: GroupDoc,
  queued: readonly PendingChange[],
  route: Route,
  now: number,
  muter: Muter,
  current: AlertLookup,
): FlushResult {
  const pending = prev.pending ? [...prev.pending, ...queued] : queued;
  const g: GroupDoc = { ...prev, firing: { ...prev.firing } };
  delete g.pending;
  const d: Draft = {
    g,
    muter,
    current,
    pendingAlerts: new Map(pending.map(({ alert }) => [alert.fingerprint, alert])),
    out: [],
    kinds: new Set(),
    sentNow: new Set(),
  };
  for (const change of pending) takeChange(d, change);
  sendUnmuted(d);
  let reason: NotificationReason = d.kinds.size === 1 ? [...d.kinds][0] : 'new';
  if (d.out.length === 0 && prev.lastSent !== null && now >= prev.lastSent + route.repeatInterval) {
    repeatFiring(d);
    reason = 'repeat';
  }
  let notification: Notification | null = null;
  if (d.out.length > 0) {
    notification = {
      id: groupNotificationId(g, d.out),
      receiver: g.receiver,
      reason,
      groupKey: g.key,
      groupLabels: g.labels,
      createdAt: now,
      alerts: d.out,
    };
    g.seq++;
    g.lastSent = now;
  }
  const firing = Object.values(g.firing);
  if (firing.length === 0) return { group: null, notification };
  if (firing.some((f) => !f.notified)) g.due = now + Math.max(route.groupInterval, MUTE_RECHECK_MS);
  else if (firing.some((f) => !f.flapping)) g.due = (g.lastSent ?? now) + route.repeatInterval;
  else g.due = null;
  return { group: g, notification };
}

/**
 * A group notification's id: stable (a retry, or a second worker flushing the same group, gives
 * the same id, and the notification log drops the copy). The alerts' ids are part of it: a group
 * emptied by a resolve is deleted, and when the alert fires again in the same millisecond the
 * group is made anew with the same key, createdAt and seq — without them the new group's first
 * notification took the old one's id and was dropped as already delivered.
 */
export function groupNotificationId(g: Pick<GroupDoc, 'key' | 'createdAt' | 'seq'>, alerts: readonly Alert[]): string {
  return stableId(g.key, g.createdAt, g.seq, ...alerts.map((a) => a.id));
}

/** One pending change: into the group's firing alerts, and into the notification unless it is muted or not worth saying. */
function takeChange(d: Draft, { alert, kind }: PendingChange): void {
  const fp = alert.fingerprint;
  if (alert.status === 'firing' && kind !== 'settled') {
    const flapping = kind === 'flapping';
    if (d.muter.mutedBy(alert.labels, fp) !== null) {
      d.g.firing[fp] = { id: alert.id, notified: false, flapping };
      return;
    }
    d.g.firing[fp] = { id: alert.id, notified: true, flapping };
    d.out.push(flapping ? { ...withAck(d, alert), flapping: true } : withAck(d, alert));
    d.kinds.add(flapping ? 'flapping' : 'new');
    d.sentNow.add(fp);
    return;
  }
  if (kind === 'flapping') {
    // Started flapping on a resolve: the notice says so; the alert is not firing.
    const was = d.g.firing[fp];
    delete d.g.firing[fp];
    if (was?.notified || d.muter.mutedBy(alert.labels, fp) === null) {
      d.out.push({ ...alert, flapping: true });
      d.kinds.add('flapping');
    }
    return;
  }
  if (kind === 'settled') return takeSettled(d, alert);
  // resolved: only worth saying when the firing was said (to this receiver).
  const was = d.g.firing[fp];
  delete d.g.firing[fp];
  if (was?.notified) {
    d.out.push(withAck(d, alert));
    d.kinds.add('new');
  }
}

/** A flapper settled: its current state is notified (a firing one unless muted). */
function takeSettled(d: Draft, alert: Alert): void {
  const fp = alert.fingerprint;
  if (alert.status === 'firing') {
    const muted = d.muter.mutedBy(alert.labels, fp) !== null;
    d.g.firing[fp] = { id: alert.id, notified: !muted };
    if (!muted) {
      d.out.push(withAck(d, alert));
      d.kinds.add('settled');
      d.sentNow.add(fp);
    }
  } else {
    delete d.g.firing[fp];
    d.out.push(withAck(d, alert));
    d.kinds.add('settled');
  }
}

/** Firing alerts held back by a silence or inhibition that has since ended. */
function sendUnmuted(d: Draft): void {
  for (const [fp, f] of Object.entries(d.g.firing)) {
    if (f.notified || d.sentNow.has(fp)) continue;
    const alert = alertOf(d, fp, f);
    if (alert === null || d.muter.mutedBy(alert.labels, fp) !== null) continue;
    d.g.firing[fp] = { ...f, notified: true };
    d.out.push(f.flapping ? { ...withAck(d, alert), flapping: true } : withAck(d, alert));
    d.kinds.add(f.flapping ? 'flapping' : 'new');
  }
}

/** Nothing new for repeat_interval: the alerts still firing that nobody acknowledged, again. */
function repeatFiring(d: Draft): void {
  for (const [fp, f] of Object.entries(d.g.firing)) {
    if (!f.notified || f.flapping || d.current.get(fp)?.ack?.alertId === f.id) continue;
    const alert = alertOf(d, fp, f);
    if (alert === null || d.muter.mutedBy(alert.labels, fp) !== null) continue;
    d.out.push(alert);
  }
}

function withAck(d: Draft, a: Alert): NotifiedAlert {
  const ack = d.current.get(a.fingerprint)?.ack;
  return ack && ack.alertId === a.id ? { ...a, ack } : a;
}

/**
 * The alert a firing entry stands for: this flush's pending change, else its record (null: the
 * record moved on to another change, which is pending and will settle the entry).
 */
function alertOf(d: Draft, fp: string, f: FiringEntry): Alert | null {
  const a = d.pendingAlerts.get(fp);
  if (a !== undefined && a.id === f.id) return a;
  const r = d.current.get(fp)?.alert;
  return r !== undefined && r.id === f.id ? r : null;
}
