/**
 * Pure conversions from pipeline output to time-series points. Non-finite numbers (NaN,
 * ±Infinity) and nulls are left out: InfluxDB rejects NaN ("invalid number") and answers the
 * whole batch with 400.
 */
import type { Alert, Evidence } from '../kernel/types';
import type { Point } from './types';

/** What aggregatePoint needs from an Observation: its score and the numbers behind it. */
export interface ObservationLike {
  score: number;
  evidence: Pick<Evidence, 'value' | 'baseline' | 'deviation'>;
}

function setFinite(fields: Point['fields'], name: string, v: number | null | undefined): void {
  if (typeof v === 'number' && Number.isFinite(v)) fields[name] = v;
}

/**
 * One detector verdict on one key as a point: measurement = stream, tags {key, detector},
 * fields {value, score, baseline?, deviation?}. A point left with no field (nothing finite)
 * or a non-finite time is not writable: sinks count it as dropped ("invalid").
 */
export function aggregatePoint(stream: string, key: string, detector: string, obs: ObservationLike, ts: number): Point {
  const fields: Point['fields'] = {};
  setFinite(fields, 'value', obs.evidence.value);
  setFinite(fields, 'score', obs.score);
  setFinite(fields, 'baseline', obs.evidence.baseline);
  setFinite(fields, 'deviation', obs.evidence.deviation);
  return { measurement: stream, tags: { key, detector }, fields, ts };
}

/**
 * An alert state change as a point in measurement "alerts": tags {stream, key, detector,
 * severity, status}, fields {score, summary, starts_at (epoch ms)}. Time: when the change
 * happened — endsAt for a resolved alert (startsAt if it has none), else startsAt.
 */
export function alertPoint(alert: Alert): Point {
  const fields: Point['fields'] = {};
  setFinite(fields, 'score', alert.score);
  fields.summary = alert.summary;
  setFinite(fields, 'starts_at', alert.startsAt);
  const ts = alert.status === 'resolved' && alert.endsAt !== undefined && Number.isFinite(alert.endsAt) ? alert.endsAt : alert.startsAt;
  return {
    measurement: 'alerts',
    tags: { stream: alert.stream, key: alert.key, detector: alert.detector, severity: alert.severity, status: alert.status },
    fields,
    ts,
  };
}
