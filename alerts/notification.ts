import { createHash } from 'node:crypto';
import type { Alert } from '../kernel/types';

/** Who acknowledged an alert, and when: recorded, shown by the API, sent with later notifications. */
export interface AckInfo {
  /** The id of the firing state change that was acknowledged (acks last for one episode). */
  alertId: string;
  by: string;
  at: number;
  comment?: string;
}

/** An alert as a notification carries it: the state change plus what people did about it. */
export interface NotifiedAlert extends Alert {
  /** Changing state too often: this is the one notification until it settles. */
  flapping?: boolean;
  ack?: AckInfo;
}

/**
 * Why a notification was sent: `new` (state changes), `repeat` (still firing after repeat_interval),
 * `flapping` (started flapping), `settled` (stopped flapping; its current state),
 * `escalation` (unacknowledged past the escalation time).
 */
export type NotificationReason = 'new' | 'repeat' | 'flapping' | 'settled' | 'escalation' | 'incident';

/** One message to one receiver. Its id is fixed when it is created, so retries carry the same id. */
export interface Notification {
  id: string;
  receiver: string;
  reason: NotificationReason;
  /** The aggregation group it belongs to (route + group_by values). */
  groupKey: string;
  groupLabels: Record<string, string>;
  /** Epoch ms (wall clock) when it was created. */
  createdAt: number;
  alerts: NotifiedAlert[];
  /** Reason `incident`: the incident this notification is about, for one department (alerts/incidents). */
  incident?: Record<string, unknown>;
}

/** Extra context a receiver may use; receivers that only need the alerts ignore it. */
export interface NotifyContext {
  notification: Notification;
  signal?: AbortSignal;
}

/** A notification of one alert to one receiver outside any group (escalations, resolves a group cannot send). */
export function directNotification(receiver: string, reason: NotificationReason, alert: Alert, now: number, ack?: AckInfo): Notification {
  return {
    id: stableId('direct', receiver, reason, alert.id, now),
    receiver,
    reason,
    groupKey: `direct:${alert.fingerprint}`,
    groupLabels: {},
    createdAt: now,
    alerts: [ack && ack.alertId === alert.id ? { ...alert, ack } : alert],
  };
}

export function stableId(...parts: Array<string | number>): string {
  return createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 24);
}

/** The JSON body a webhook or Kafka receiver sends: stable for scripts (version 1). */
export function notificationBody(n: Notification): Record<string, unknown> {
  const firing = n.alerts.some((a) => a.status === 'firing');
  return {
    version: '1',
    id: n.id,
    receiver: n.receiver,
    reason: n.reason,
    status: firing ? 'firing' : 'resolved',
    groupKey: n.groupKey,
    groupLabels: n.groupLabels,
    createdAt: new Date(n.createdAt).toISOString(),
    alerts: n.alerts.map(alertJson),
    ...(n.incident ? { incident: n.incident } : {}),
  };
}

/** One alert in JSON (also what `--json` console lines and JSONL files carry). */
export function alertJson(a: NotifiedAlert): Record<string, unknown> {
  return {
    id: a.id,
    status: a.status,
    stream: a.stream,
    key: a.key,
    detector: a.detector,
    severity: a.severity,
    startsAt: new Date(a.startsAt).toISOString(),
    ...(a.endsAt !== undefined ? { endsAt: new Date(a.endsAt).toISOString() } : {}),
    score: Math.round(a.score * 1000) / 1000,
    summary: a.summary,
    labels: a.labels,
    evidence: a.evidence,
    fingerprint: a.fingerprint,
    ...(a.flapping ? { flapping: true } : {}),
    ...(a.ack ? { ack: { by: a.ack.by, at: new Date(a.ack.at).toISOString(), ...(a.ack.comment ? { comment: a.ack.comment } : {}) } } : {}),
  };
}
