/**
 * flowwatch alerts in Prometheus Alertmanager's shapes (issue 21): the webhook message
 * Alertmanager sends (version "4", notify/webhook.Message embedding template.Data), the
 * PostableAlert its API v2 takes (POST /api/v2/alerts), and the label-set fingerprint it
 * computes. Pure functions; the webhook and alertmanager receivers and the API v2 subset use them.
 */
import type { Alert, Evidence } from '../../kernel/types';
import type { Notification, NotifiedAlert } from '../notification';

// ---- fingerprint: model.LabelSet.Fingerprint (prometheus/common model/signature.go) ----

const FNV_OFFSET_64 = 0xcbf29ce484222325n;
const FNV_PRIME_64 = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
/** model.SeparatorByte: cannot occur in UTF-8, so "a"+"bc" and "ab"+"c" hash apart. */
const SEPARATOR = 0xff;

/**
 * The fingerprint Alertmanager gives an alert with these labels: FNV-1a 64 over the label names
 * in byte order, each name and value followed by the separator byte 0xff, printed as 16 hex
 * digits (model.Fingerprint.String, "%016x"). An empty set hashes to the FNV offset basis.
 */
export function labelSetFingerprint(labels: Readonly<Record<string, string>>): string {
  let h = FNV_OFFSET_64;
  const add = (b: number) => {
    h ^= BigInt(b);
    h = (h * FNV_PRIME_64) & MASK_64;
  };
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  for (const name of names) {
    for (const b of Buffer.from(name, 'utf8')) add(b);
    add(SEPARATOR);
    for (const b of Buffer.from(labels[name], 'utf8')) add(b);
    add(SEPARATOR);
  }
  return h.toString(16).padStart(16, '0');
}

// ---- times ----

/** Go's zero time.Time as JSON: what Alertmanager sends as endsAt of a firing alert. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * RFC 3339 in UTC as Go's time.Time marshals it (RFC3339Nano: trailing zeros of the fraction
 * dropped, no fraction when it is zero): 2026-11-27T08:02:00Z, 2026-11-27T08:02:00.12Z.
 */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0+Z$/, (_m, d: string) => (d ? `.${d}Z` : 'Z'));
}

// ---- labels and annotations ----

/**
 * The label set Alertmanager sees: flowwatch's labels (stream, key, detector, severity and the
 * configured ones) plus `alertname` (the detector, unless a label sets one), without empty
 * values (Alertmanager drops those on receipt, and the fingerprint must match its own).
 */
export function amLabels(a: Pick<Alert, 'labels' | 'detector'>): Record<string, string> {
  const out: Record<string, string> = {};
  if (a.labels.alertname === undefined && a.detector) out.alertname = a.detector;
  for (const [k, v] of Object.entries(a.labels)) if (v !== '') out[k] = v;
  return out;
}

const num = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '?' : String(Math.round(n * 1000) / 1000);

/** One line for people: "entries = 412 (baseline 130, deviation 4.8 sigma, limit 3)". */
export function describeEvidence(e: Evidence): string {
  const parts = [`baseline ${num(e.baseline)}`];
  if (e.deviation !== null) parts.push(`deviation ${num(e.deviation)} ${e.unit}`);
  if (e.limit !== undefined) parts.push(`limit ${num(e.limit)}`);
  return `${e.measure} = ${num(e.value)} (${parts.join(', ')})`;
}

/** The evidence with its window as RFC 3339 times (flowwatch's own body keeps epoch ms there). */
export function evidenceJson(e: Evidence): Record<string, unknown> {
  if (!e.window) return { ...e };
  return { ...e, window: { ...e.window, start: rfc3339(e.window.start), end: rfc3339(e.window.end) } };
}

/**
 * Annotations: `summary` (the alert's summary), `description` (its evidence in one line),
 * `evidence` (the evidence as JSON, window times in RFC 3339), `score`, `flowwatch_fingerprint` (the id flowwatch's own API
 * takes) and, when set, `flapping` and `acknowledged_by`.
 */
export function amAnnotations(
  a: Pick<NotifiedAlert, 'summary' | 'evidence' | 'score' | 'fingerprint' | 'flapping' | 'ack'>,
): Record<string, string> {
  return {
    summary: a.summary,
    description: describeEvidence(a.evidence),
    evidence: JSON.stringify(evidenceJson(a.evidence)),
    score: num(a.score),
    flowwatch_fingerprint: a.fingerprint,
    ...(a.flapping ? { flapping: 'true' } : {}),
    ...(a.ack ? { acknowledged_by: a.ack.by } : {}),
  };
}

/**
 * A link to the alert in flowwatch's API (the Alertmanager API v2 subset, filtered to this
 * alert's identity), or '' without an external URL.
 */
export function generatorUrl(externalUrl: string, labels: Readonly<Record<string, string>>): string {
  if (!externalUrl) return '';
  const q = new URLSearchParams();
  for (const name of ['alertname', 'stream', 'key'])
    if (labels[name] !== undefined) q.append('filter', `${name}=${JSON.stringify(labels[name])}`);
  return `${externalUrl.replace(/\/+$/, '')}/api/v2/alerts?${q.toString()}`;
}

// ---- the webhook message ----

export interface AmWebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** notify/webhook.Message of Alertmanager v0.35, key for key (Go marshals the embedded template.Data first). */
export interface AmWebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AmWebhookAlert[];
  notification_reason: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  routeLabels: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

export interface AmWebhookOptions {
  /** The base URL alerts link to (generatorURL) and externalURL says. */
  externalUrl?: string;
  /** At most this many alerts per message (0: all); the rest are counted in truncatedAlerts. */
  maxAlerts?: number;
}

/** Go's regexp.QuoteMeta, which Alertmanager applies to the receiver name in template.Data. */
function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

export function amWebhookAlert(a: NotifiedAlert, externalUrl = ''): AmWebhookAlert {
  const labels = amLabels(a);
  const resolved = a.status === 'resolved';
  return {
    status: resolved ? 'resolved' : 'firing',
    labels,
    annotations: amAnnotations(a),
    startsAt: rfc3339(a.startsAt),
    endsAt: resolved ? rfc3339(a.endsAt ?? a.startsAt) : GO_ZERO_TIME,
    generatorURL: generatorUrl(externalUrl, labels),
    fingerprint: labelSetFingerprint(labels),
  };
}

/** Keys (and values) every map agrees on, as template.Data computes commonLabels/commonAnnotations. */
function common(maps: Array<Record<string, string>>): Record<string, string> {
  if (maps.length === 0) return {};
  const out = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

/** flowwatch's reason in Alertmanager's words (notify.NotifyReason.String). */
function reasonText(n: Notification, alerts: readonly AmWebhookAlert[]): string {
  if (n.reason === 'repeat') return 'repeat interval elapsed';
  if (alerts.every((a) => a.status === 'resolved')) return 'all alerts resolved';
  if (alerts.some((a) => a.status === 'resolved')) return 'some alerts resolved';
  return 'new alerts added';
}

/** The body Alertmanager's webhook receiver would POST for this notification. */
export function amWebhookMessage(n: Notification, o: AmWebhookOptions = {}): AmWebhookMessage {
  const externalUrl = o.externalUrl ?? '';
  const max = o.maxAlerts ?? 0;
  const all = n.alerts.map((a) => amWebhookAlert(a, externalUrl));
  // As Alertmanager does: truncate first, then status and common labels come from the alerts sent.
  const alerts = max > 0 ? all.slice(0, max) : all;
  return {
    receiver: quoteMeta(n.receiver),
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    notification_reason: reasonText(n, alerts),
    groupLabels: { ...n.groupLabels },
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    routeLabels: {},
    externalURL: externalUrl,
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: all.length - alerts.length,
  };
}

// ---- API v2: what Prometheus POSTs to /api/v2/alerts ----

export interface AmPostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/**
 * One alert as Prometheus sends it to Alertmanager: a firing alert with `endsAt` = `validUntil`
 * (Alertmanager resolves it by itself if it hears nothing more by then), a resolved one with its
 * end time. A firing alert whose event-time start lies after `validUntil` (a replay running
 * ahead of the wall clock) is sent valid until its start plus the same margin, as Alertmanager
 * refuses an end before the start.
 */
export function amPostableAlert(a: NotifiedAlert, o: { validUntil: number; externalUrl?: string }): AmPostableAlert {
  const labels = amLabels(a);
  const gen = generatorUrl(o.externalUrl ?? '', labels);
  const endsAt = a.status === 'resolved' ? Math.max(a.endsAt ?? a.startsAt, a.startsAt) : Math.max(o.validUntil, a.startsAt + 1000);
  return {
    labels,
    annotations: amAnnotations(a),
    startsAt: rfc3339(a.startsAt),
    endsAt: rfc3339(endsAt),
    ...(gen ? { generatorURL: gen } : {}),
  };
}
