import type { Alert } from '../kernel/types';

/** A labelled incident: this key, this stream, anomalous between start and end (epoch ms). */
export interface IncidentLabel {
  stream: string;
  key: string;
  kind: string;
  start: number;
  end: number;
}

export interface IncidentScore {
  incidents: number;
  detected: number;
  recall: number;
  /** Firing alerts that match no incident. */
  falseAlerts: number;
  falseAlertsPerHour: number;
  /** Mean time from incident start to the first matching alert's firing, ms. */
  meanDelayMs: number | null;
  byKind: Record<string, { incidents: number; detected: number }>;
  missed: IncidentLabel[];
  falses: Alert[];
}

/**
 * Scores firing alerts against labelled incidents. An incident is detected when a firing alert
 * for its stream and key starts inside [start, end + grace]; the grace admits rules that by
 * design confirm after the fact (a silence is known only after the timeout). An alert that
 * matches no incident is false.
 */
export function scoreIncidents(
  alerts: readonly Alert[],
  labels: readonly IncidentLabel[],
  spanMs: number,
  graceMs = 15 * 60_000,
): IncidentScore {
  const firing = alerts.filter((a) => a.status === 'firing');
  const firedAt = (a: Alert) => a.startsAt;
  const matches = (a: Alert, l: IncidentLabel) =>
    a.stream === l.stream && a.key === l.key && firedAt(a) >= l.start - 60_000 && firedAt(a) <= l.end + graceMs;
  const byKind: IncidentScore['byKind'] = {};
  const missed: IncidentLabel[] = [];
  let detected = 0;
  let delaySum = 0;
  for (const l of labels) {
    const k = (byKind[l.kind] ??= { incidents: 0, detected: 0 });
    k.incidents++;
    const hits = firing.filter((a) => matches(a, l));
    if (hits.length > 0) {
      detected++;
      k.detected++;
      delaySum += Math.max(0, Math.min(...hits.map(firedAt)) - l.start);
    } else missed.push(l);
  }
  const falses = firing.filter((a) => !labels.some((l) => matches(a, l)));
  return {
    incidents: labels.length,
    detected,
    recall: labels.length === 0 ? 1 : detected / labels.length,
    falseAlerts: falses.length,
    falseAlertsPerHour: falses.length / (spanMs / 3_600_000),
    meanDelayMs: detected === 0 ? null : delaySum / detected,
    byKind,
    missed,
    falses,
  };
}
