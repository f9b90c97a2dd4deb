/**
 * Deterministic synthetic flows (people, goods, funds) with injected, labelled anomalies and optional
 * bad records. See README.md in this folder.
 */
export { FlowSimulator } from './simulator';
export type { SimulatorEntities } from './simulator';
export { ANOMALY_KINDS, ANOMALY_KINDS_BY_FLOW, FAULT_KINDS, FLOW_NAMES } from './types';
export type { AnomalyKind, FaultKind, FlowName, GroundTruthLabel, SimRecord, SimulatorOptions } from './types';
export { Rng, Zipf, mix, hashUniform } from './random';
