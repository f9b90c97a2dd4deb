import type { GroundTruthLabel, SimRecord } from './index';
import { DAY, MIN, inLabel, payloadOf, run, within } from './testing';

const START = Date.UTC(2026, 10, 27, 6, 0);
const STEP = 30_000;

/** Runs of consecutive in-transit records with speed 0: [first ts, last ts, records outside stop labels]. */
function stopRuns(rs: SimRecord[], key: string, labels: GroundTruthLabel[]): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let first = -1;
  let outside = 0;
  for (let i = 0; i <= rs.length; i++) {
    const p = i < rs.length ? payloadOf(rs[i]) : null;
    if (p && p.in_transit === 1 && p.speed_kmh === 0) {
      if (first < 0) {
        first = i;
        outside = 0;
      }
      if (!inLabel(labels, key, rs[i].ts, ['unexpected_stop'])) outside++;
    } else if (first >= 0) {
      out.push([rs[first].ts, rs[i - 1].ts, outside]);
      first = -1;
    }
  }
  return out;
}

describe('goods flow: normal behaviour', () => {
  const r = run({ seed: 6, start: START, flows: ['goods'], anomalies: { enabled: false } }, 2 * DAY);
  const all = r.records.map(payloadOf);

  test('one record per container every 30 s; ~10 trucks with 1–3 containers; chilled and frozen setpoints', () => {
    expect(new Set(all.map((p) => p.truck_id)).size).toBe(10);
    expect(r.byKey.size).toBeGreaterThanOrEqual(10);
    expect(r.byKey.size).toBeLessThanOrEqual(30);
    for (const rs of r.byKey.values()) {
      expect(rs.length).toBe((2 * DAY) / STEP);
      expect(rs.every((x, i) => i === 0 || x.ts - rs[i - 1].ts === STEP)).toBe(true);
    }
    const setpoints = new Set(all.map((p) => p.setpoint_c));
    expect(setpoints.has(-18)).toBe(true);
    expect(setpoints.has(4) || setpoints.has(5)).toBe(true);
    for (const sp of setpoints) expect([4, 5, -18]).toContain(sp);
  });

  test('temperature tracks the setpoint: within ±3 °C, chilled stays in the 2–8 °C band', () => {
    let bad = 0;
    for (const p of all) {
      const d = p.temp_c - p.setpoint_c;
      if (d > 3 || d < -3) bad++;
      if (p.setpoint_c > 0 && (p.temp_c < 2 || p.temp_c > 8)) bad++;
    }
    expect(bad).toBe(0);
  });

  test('depot/destination: speed 0, doors open now and then (warming slightly); in transit: doors closed', () => {
    const stopped = all.filter((p) => p.in_transit === 0);
    const moving = all.filter((p) => p.in_transit === 1);
    expect(stopped.length / all.length).toBeGreaterThan(0.1);
    expect(moving.length / all.length).toBeGreaterThan(0.4);
    expect(stopped.every((p) => p.speed_kmh === 0)).toBe(true);
    expect(moving.every((p) => p.door_open === 0)).toBe(true);
    expect(stopped.filter((p) => p.door_open === 1).length).toBeGreaterThan(50);
    const devOpen = stopped.filter((p) => p.door_open === 1).map((p) => p.temp_c - p.setpoint_c);
    const devClosed = stopped.filter((p) => p.door_open === 0).map((p) => p.temp_c - p.setpoint_c);
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(avg(devOpen)).toBeGreaterThan(avg(devClosed));
  });

  test('driving: mostly 50–90 km/h, some traffic slowdowns (5–20) and short stops at lights (< 2 min)', () => {
    const moving = all.filter((p) => p.in_transit === 1).map((p) => p.speed_kmh as number);
    expect(moving.every((v) => v >= 0 && v <= 90)).toBe(true);
    expect(moving.filter((v) => v >= 50).length / moving.length).toBeGreaterThan(0.85);
    expect(moving.some((v) => v >= 5 && v <= 20)).toBe(true);
    expect(moving.some((v) => v === 0)).toBe(true);
    for (const [key, rs] of r.byKey) {
      for (const [first, last] of stopRuns(rs, key, [])) expect(last - first).toBeLessThan(2 * MIN);
    }
  });
});

describe.each([1, 2, 3])('goods flow anomalies (seed %p)', (seed) => {
  const r = run({ seed, start: START, flows: ['goods'], anomalies: { perFlowPerDay: 8 } }, 2 * DAY);
  const labels = r.labels;
  // Only labels that ended inside the simulated span.
  const of = (kind: string): GroundTruthLabel[] => labels.filter((l) => l.kind === kind && l.end <= START + 2 * DAY);

  test('each kind appears on the first day', () => {
    for (const k of ['temperature_excursion', 'door_open_in_transit', 'unexpected_stop']) {
      expect(labels.some((l) => l.kind === k && l.start < START + DAY)).toBe(true);
    }
  });

  test('temperature_excursion: temperature goes beyond setpoint + 4 and comes back by the label end', () => {
    for (const l of of('temperature_excursion')) {
      const inside = within(r.byKey.get(l.key), l.start, l.end).map(payloadOf);
      expect(Math.max(...inside.map((p) => p.temp_c - p.setpoint_c))).toBeGreaterThan(4);
      const last = inside[inside.length - 1];
      expect(last.temp_c - last.setpoint_c).toBeLessThan(2);
    }
  });

  test('door_open_in_transit: door open, in transit and moving for the whole label (3–15 min)', () => {
    for (const l of of('door_open_in_transit')) {
      const inside = within(r.byKey.get(l.key), l.start, l.end).map(payloadOf);
      expect(inside.length).toBe((l.end - l.start) / STEP);
      expect(inside.every((p) => p.door_open === 1 && p.in_transit === 1 && p.speed_kmh > 0)).toBe(true);
      expect(l.end - l.start).toBeGreaterThanOrEqual(3 * MIN);
      expect(l.end - l.start).toBeLessThanOrEqual(15 * MIN);
    }
  });

  test('unexpected_stop: speed 0 in transit for >= 15 min; every container on the truck is labelled', () => {
    for (const l of of('unexpected_stop')) {
      const inside = within(r.byKey.get(l.key), l.start, l.end).map(payloadOf);
      expect(inside.every((p) => p.speed_kmh === 0 && p.in_transit === 1)).toBe(true);
      expect(inside.length * STEP).toBeGreaterThanOrEqual(15 * MIN);
      const truck = inside[0].truck_id;
      const mates = [...r.byKey.entries()].filter(([, rs]) => payloadOf(rs[0]).truck_id === truck).map(([k]) => k);
      for (const k of mates) expect(of('unexpected_stop').some((x) => x.key === k && x.start === l.start)).toBe(true);
    }
  });

  test('outside labels: no temperature above setpoint + 3, no open door in transit, no in-transit stop > 5 min', () => {
    const problems: string[] = [];
    for (const [key, rs] of r.byKey) {
      for (const x of rs) {
        const p = payloadOf(x);
        if (p.temp_c - p.setpoint_c > 3 && !inLabel(labels, key, x.ts, ['temperature_excursion'])) problems.push(`temp ${key} ${x.ts}`);
        if (p.door_open === 1 && p.in_transit === 1 && !inLabel(labels, key, x.ts, ['door_open_in_transit']))
          problems.push(`door ${key} ${x.ts}`);
      }
      for (const [first, , outside] of stopRuns(rs, key, labels)) if (outside * STEP > 3 * MIN) problems.push(`stop ${key} ${first}`);
    }
    expect(problems).toEqual([]);
  });
});
