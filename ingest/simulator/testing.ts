/** Helpers shared by the simulator's tests (and handy for scenario tests elsewhere). */
import { FlowSimulator } from './simulator';
import type { GroundTruthLabel, SimRecord, SimulatorOptions } from './types';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** A Monday, 00:00 UTC. */
export const MONDAY = Date.UTC(2026, 10, 23);

/** The entity key of a (well-formed) record: gate_id, container_id or account. */
export function keyOf(r: SimRecord): string {
  const p = r.payload as Record<string, unknown>;
  return String(r.stream === 'people' ? p.gate_id : r.stream === 'goods' ? p.container_id : p.account);
}

/** Object payload of a record (throws on a malformed string payload). */
export function payloadOf(r: SimRecord): Record<string, any> {
  if (typeof r.payload === 'string') throw new Error('string payload');
  return r.payload;
}

export interface SimRun {
  sim: FlowSimulator;
  records: SimRecord[];
  labels: GroundTruthLabel[];
  byKey: Map<string, SimRecord[]>;
}

/** Runs a simulator for `duration` ms in `chunk`-sized advances. */
export function run(opts: SimulatorOptions, duration: number, chunk = HOUR): SimRun {
  const sim = new FlowSimulator(opts);
  const records: SimRecord[] = [];
  const end = opts.start + duration;
  for (let t = opts.start; t < end; t += chunk) {
    const batch = sim.advance(Math.min(end, t + chunk));
    for (let i = 0; i < batch.length; i++) records.push(batch[i]);
  }
  const byKey = new Map<string, SimRecord[]>();
  for (const r of records) {
    if (r.fault) continue;
    const k = keyOf(r);
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(r);
  }
  return { sim, records, labels: sim.labels(), byKey };
}

/** Is ts inside a label of `key` (optionally of the given kinds), widened by `after` ms past its end? */
export function inLabel(labels: GroundTruthLabel[], key: string, ts: number, kinds?: string[], after = 0): boolean {
  for (const l of labels) {
    if (l.key !== key) continue;
    if (kinds && !kinds.includes(l.kind)) continue;
    if (ts >= l.start && ts < l.end + after) return true;
  }
  return false;
}

/** Records of a key with start <= ts < end. */
export function within(records: SimRecord[] | undefined, start: number, end: number): SimRecord[] {
  return (records ?? []).filter((r) => r.ts >= start && r.ts < end);
}
