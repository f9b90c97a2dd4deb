/** The shapes every stage shares. Stages take a batch and return a batch. */

/** One observation of one entity in one flow, after decoding. */
export interface FlowEvent {
  /** Stream name from config: people, goods, funds, or any other. */
  stream: string;
  /** Entity key (gate, container, account), joined from the mapping's key fields. */
  key: string;
  /** Event time, epoch milliseconds. */
  ts: number;
  /** Named numeric measurements (finite numbers only; the decoder rejects others). */
  values: Record<string, number>;
  /** String attributes (station name, counterparty, ...). */
  attrs: Record<string, string>;
  /** Optional record id used to drop duplicates (payment id, message id). */
  id?: string;
}

export const REJECT_REASONS = [
  'malformed', // payload is not valid JSON/CSV
  'missing_field', // a mapped key/time/measurement field is absent
  'bad_value', // a numeric field is NaN, Infinity or not a number
  'bad_time', // time field missing or unparsable
  'time_out_of_range', // time too far in the future or the past
  'late', // older than the watermark (max event time - allowed lateness)
  'duplicate', // same record seen again for the key
  'unknown_stream', // no stream in config accepts the record
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A record that could not become an event. Goes to the dead-letter output, never dropped silently. */
export interface Reject {
  stream: string;
  reason: RejectReason;
  /** Human-readable detail: what, where, what was expected. */
  detail: string;
  /**
   * The original payload: as text, or — when its bytes are not valid UTF-8 (a binary record) — as
   * base64 with `encoding: 'base64'`, so the dead letter keeps the exact bytes.
   */
  raw: string;
  encoding?: 'base64';
  /** Where it came from: topic/partition/offset, file:line, or "simulator". */
  source?: string;
  /** Wall-clock time of the rejection, epoch ms. */
  at: number;
}

/** A raw record as a source delivers it, before decoding. */
export interface RawRecord {
  stream: string;
  /** Bytes/text from Kafka or a file, or an already-parsed object from the simulator. */
  payload: string | Buffer | Record<string, unknown>;
  source?: string;
  /**
   * Where in `source` (a Kafka offset: source "topic/partition"): a reject's source is then
   * "<source>@<offset>". Kept apart so a fetch shares one source string instead of building one
   * per record that only a reject would read (issue 22).
   */
  offset?: string;
}

export type Severity = 'info' | 'warning' | 'critical';

/** What a detector saw: the numbers behind a score, so an alert can show its evidence. */
export interface Evidence {
  /** The measurement or aggregate the detector judged (e.g. "entries", "count", "sum(amount)"). */
  measure: string;
  /** The observed value. */
  value: number;
  /** What was expected (rolling mean, EWMA, threshold's normal side); null when there is none. */
  baseline: number | null;
  /** How far value is from baseline, in `unit`. */
  deviation: number | null;
  unit: 'sigma' | 'abs' | 'count' | 'seconds' | 'ratio';
  /** The limit that decides firing, if any (k sigmas, upper bound, rate limit). */
  limit?: number;
  /**
   * Event-time span the value covers, epoch ms; `size` is the configured window length (ms) of a
   * windowed detector: the observed span is shorter while the window fills or when events are sparse.
   */
  window?: { start: number; end: number; size?: number };
  /** Extra detector-specific numbers (std, count, distinct, ...). */
  detail?: Record<string, number | string>;
  /** A forecast detector's outlook (detectors/forecast, docs/forecast.md), while it warns or the limit is crossed. */
  forecast?: ForecastEvidence;
}

/** When a forecast expects the limit to be crossed, how sure it is, and the path it expects. */
export interface ForecastEvidence {
  /** The limit and the side it is crossed on. */
  limit: number;
  side: 'above' | 'below';
  horizon_s: number;
  /** Coverage of the prediction interval (0.8 = the central 80 %). */
  interval: number;
  /** Chance that the level is beyond the limit within the horizon (at its most likely time). */
  confidence: number;
  /** Seconds from `at` until the central forecast crosses; null beyond twice the horizon. */
  time_to_breach_s: number | null;
  /** The interval of that time: the near bound crosses at `earliest_s`, the far bound at `latest_s` (null: beyond twice the horizon). */
  earliest_s: number | null;
  latest_s: number | null;
  /** Event time of the forecast, epoch ms. */
  at: number;
  /** Forecast points (at a quarter, half, three quarters and all of the horizon): time, central value, interval. */
  path: Array<{ ts: number; value: number; lo: number; hi: number }>;
}

/** A detector's verdict on one event (or on time passing, for deadman). */
export interface Observation {
  /** Anomaly score in [0,1]: 0 normal, 1 certainly anomalous. */
  score: number;
  /** Whether the detector's own condition (including its hysteresis) holds now. */
  firing: boolean;
  evidence: Evidence;
}

export type AlertStatus = 'pending' | 'firing' | 'resolved';

export interface Alert {
  /** Stable id of this notification: fingerprint + status + startsAt. */
  id: string;
  /** Stable identity of the alerting thing: stream + detector + key. */
  fingerprint: string;
  status: AlertStatus;
  stream: string;
  key: string;
  detector: string;
  severity: Severity;
  labels: Record<string, string>;
  /** Epoch ms (event time) when the condition began. */
  startsAt: number;
  /** Epoch ms when it resolved; absent while firing. */
  endsAt?: number;
  score: number;
  summary: string;
  evidence: Evidence;
}
