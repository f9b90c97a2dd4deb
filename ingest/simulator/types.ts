import type { RawRecord } from '../../kernel/types';

export const FLOW_NAMES = ['people', 'goods', 'funds'] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

export const ANOMALY_KINDS_BY_FLOW = {
  people: ['crowd_surge', 'stuck_sensor', 'sensor_silence'],
  goods: ['temperature_excursion', 'door_open_in_transit', 'unexpected_stop'],
  funds: ['velocity_burst', 'structuring', 'fan_out'],
} as const;

export type AnomalyKind = (typeof ANOMALY_KINDS_BY_FLOW)[FlowName][number];
export const ANOMALY_KINDS: readonly AnomalyKind[] = [
  ...ANOMALY_KINDS_BY_FLOW.people,
  ...ANOMALY_KINDS_BY_FLOW.goods,
  ...ANOMALY_KINDS_BY_FLOW.funds,
];

export const FAULT_KINDS = ['malformed', 'duplicate', 'late'] as const;
/** Bad records for dead-letter demos. They are not anomalies and never get a ground-truth label. */
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SimulatorOptions {
  /** Same seed (and options) → byte-identical output. */
  seed: number;
  /** Simulated start time, epoch ms (e.g. Date.UTC(2026, 10, 27, 6, 0)). Seasonality uses UTC as local time. */
  start: number;
  /** Flows to generate; default all three. */
  flows?: FlowName[];
  /** Multiplies entity counts (default 1: 12 gates, 10 reefer trucks, 200 accounts). */
  scale?: number;
  anomalies?: {
    /** Anomalies per flow per simulated day (fractions allowed); default 8. */
    perFlowPerDay?: number;
    /**
     * ms of simulated time: each flow gets one anomaly starting within this much time after `start`
     * (quick demos). Default 10 minutes; 0 disables the guarantee.
     */
    firstWithin?: number;
    /** Default true. */
    enabled?: boolean;
  };
  /** Fraction of records turned into bad records (dead-letter demos); default 0 each; sum must be <= 1. */
  faults?: { malformed?: number; duplicate?: number; late?: number };
}

/** Ground truth for one injected anomaly on one key. Records with start <= ts < end are anomalous. */
export interface GroundTruthLabel {
  stream: FlowName;
  /** gate_id / container_id / account */
  key: string;
  kind: AnomalyKind;
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  description: string;
}

/**
 * One simulated record. Compatible with core RawRecord (stream + payload + source).
 * `payload` is the JSON object as a device/bank would send it; only a `malformed` fault turns it into
 * a (truncated JSON) string.
 */
export interface SimRecord extends RawRecord {
  stream: FlowName;
  /** Event time, epoch ms (for a `late` fault: the arrival position; the payload's time is hours older). */
  ts: number;
  payload: Record<string, unknown> | string;
  source: 'simulator';
  /** Set only on deliberately bad records (faults option). */
  fault?: FaultKind;
}
