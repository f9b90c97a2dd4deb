import type { SimRecord } from './index';
import { DAY, HOUR, MIN, MONDAY, inLabel, payloadOf, run, within } from './testing';

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const entries = (rs: SimRecord[]): number[] => rs.map((r) => payloadOf(r).entries as number);

/**
 * Reference surge rule (what a pipeline detector can do without a seasonal model): the last 5 min mean
 * is at least twice the highest 5-min mean of the hour before it, and higher by at least
 * max(5, 3·sqrt(base)) per minute (so Poisson noise at low counts does not fire it).
 */
function surgeAlarms(rs: SimRecord[], from: number): number[] {
  // Hot loop: local constants and no Math.* calls (both are surprisingly slow inside jest's sandbox).
  const M5 = 5 * 60_000;
  const M65 = 13 * M5;
  const ts = Float64Array.from(rs, (r) => r.ts);
  const e = Float64Array.from(entries(rs));
  const out: number[] = [];
  const sums = new Float64Array(12);
  const ns = new Float64Array(12);
  for (let i = 0; i < rs.length; i++) {
    const t = ts[i];
    if (t < from) continue;
    let s5 = 0;
    let n5 = 0;
    sums.fill(0);
    ns.fill(0);
    for (let j = i; j >= 0 && ts[j] > t - M65; j--) {
      if (ts[j] > t - M5) {
        s5 += e[j];
        n5++;
      } else {
        let b = ((t - M5 - ts[j]) / M5) | 0;
        if (b > 11) b = 11;
        sums[b] += e[j];
        ns[b]++;
      }
    }
    let base = 0;
    for (let b = 0; b < 12; b++) if (ns[b] >= 3) base = Math.max(base, sums[b] / ns[b]);
    const m5 = s5 / n5;
    if (m5 >= 2 * base && m5 - base >= Math.max(5, 3 * Math.sqrt(base))) out.push(t);
  }
  return out;
}

describe('people flow: volumes and seasonality', () => {
  const week = run({ seed: 2, start: MONDAY, flows: ['people'], anomalies: { enabled: false } }, 7 * DAY, DAY);
  const byHour = (day: number, h0: number, h1: number): number[] =>
    entries(week.records.filter((r) => r.ts >= MONDAY + day * DAY + h0 * HOUR && r.ts < MONDAY + day * DAY + h1 * HOUR));

  test('one record per gate per minute, 12 gates in 3 stations with different volumes', () => {
    expect(week.byKey.size).toBe(12);
    for (const rs of week.byKey.values()) {
      expect(rs).toHaveLength(7 * 1440);
      expect(rs.every((r, i) => i === 0 || r.ts - rs[i - 1].ts === MIN)).toBe(true);
    }
    const stations = new Map<string, number[]>();
    for (const rs of week.byKey.values()) {
      const p = payloadOf(rs[0]);
      stations.set(p.station, [...(stations.get(p.station) ?? []), mean(entries(rs))]);
    }
    expect(stations.size).toBe(3);
    for (const vols of stations.values()) {
      expect(vols).toHaveLength(4);
      expect(Math.max(...vols) / Math.min(...vols)).toBeGreaterThan(1.3);
    }
  });

  test('weekday commuter peaks: 8–9 am mean > 5× the 2–4 am mean; evening peak too; quiet nights', () => {
    for (let d = 0; d < 5; d++) {
      const night = mean(byHour(d, 2, 4));
      expect(night).toBeLessThan(5);
      expect(mean(byHour(d, 8, 9))).toBeGreaterThan(5 * Math.max(night, 0.1));
      expect(mean(byHour(d, 17, 18))).toBeGreaterThan(5 * Math.max(night, 0.1));
      expect(mean(byHour(d, 8, 9))).toBeGreaterThan(1.5 * mean(byHour(d, 11, 12)));
    }
  });

  test('weekend is lower than weekdays and has no morning rush', () => {
    const weekday = mean(byHour(2, 0, 24));
    for (const d of [5, 6]) {
      expect(mean(byHour(d, 0, 24))).toBeLessThan(0.7 * weekday);
      expect(mean(byHour(d, 8, 9))).toBeLessThan(0.5 * mean(byHour(2, 8, 9)));
      expect(mean(byHour(d, 8, 9))).toBeLessThan(mean(byHour(d, 13, 14)));
    }
  });

  test('stations differ: some have more entries than exits in the morning, some the reverse', () => {
    const ratios = [...week.byKey.values()].map((rs) => {
      const morning = rs.filter((r) => r.ts >= MONDAY + 7 * HOUR && r.ts < MONDAY + 10 * HOUR).map(payloadOf);
      return mean(morning.map((p) => p.entries)) / mean(morning.map((p) => p.exits));
    });
    expect(Math.max(...ratios) / Math.min(...ratios)).toBeGreaterThan(1.3);
  });
});

describe.each([1, 2, 3])('people flow anomalies (seed %p)', (seed) => {
  const start = Date.UTC(2026, 10, 26, 6, 0); // Thursday 06:00
  const r = run({ seed, start, flows: ['people'], anomalies: { perFlowPerDay: 8 } }, 2 * DAY);
  const labels = r.labels;
  // Labels that ended inside the simulated span (complete windows).
  const done = labels.filter((l) => l.end <= start + 2 * DAY);

  test('each kind appears on the first day', () => {
    const day1 = labels.filter((l) => l.start < start + DAY);
    for (const k of ['crowd_surge', 'stuck_sensor', 'sensor_silence']) expect(day1.some((l) => l.kind === k)).toBe(true);
  });

  test('crowd_surge: window mean > 2× the previous hour mean', () => {
    for (const l of done.filter((x) => x.kind === 'crowd_surge' && x.start - HOUR >= start)) {
      const inside = entries(within(r.byKey.get(l.key), l.start, l.end));
      const before = entries(within(r.byKey.get(l.key), l.start - HOUR, l.start));
      expect(inside.length).toBe((l.end - l.start) / MIN);
      expect(mean(inside)).toBeGreaterThan(2 * mean(before));
    }
  });

  test('stuck_sensor: daytime, entries and exits constant and nonzero for the whole label', () => {
    for (const l of done.filter((x) => x.kind === 'stuck_sensor')) {
      const hour = new Date(l.start).getUTCHours();
      expect(hour >= 8 && hour < 19).toBe(true);
      const inside = within(r.byKey.get(l.key), l.start, l.end).map(payloadOf);
      expect(inside.length).toBe((l.end - l.start) / MIN);
      expect(new Set(inside.map((p) => `${p.entries}/${p.exits}`)).size).toBe(1);
      expect(inside[0].entries).toBeGreaterThan(0);
      expect((l.end - l.start) / MIN).toBeGreaterThanOrEqual(30);
    }
  });

  test('sensor_silence: no records in the window, records right before and after', () => {
    for (const l of done.filter((x) => x.kind === 'sensor_silence')) {
      const rs = r.byKey.get(l.key)!;
      expect(within(rs, l.start, l.end)).toHaveLength(0);
      if (l.start > start) expect(within(rs, l.start - MIN, l.start)).toHaveLength(1);
      if (l.end < start + 2 * DAY) expect(within(rs, l.end, l.end + MIN)).toHaveLength(1);
      expect((l.end - l.start) / MIN).toBeGreaterThanOrEqual(20);
    }
  });

  test('outside labels: no frozen runs, no gaps, no surge alarms', () => {
    const unexplained: string[] = [];
    for (const [key, rs] of r.byKey) {
      let runLen = 1;
      for (let i = 1; i < rs.length; i++) {
        const a = payloadOf(rs[i]);
        const b = payloadOf(rs[i - 1]);
        runLen = a.entries === b.entries && a.exits === b.exits && a.entries + a.exits > 0 ? runLen + 1 : 1;
        if (runLen >= 8 && !inLabel(labels, key, rs[i].ts, ['stuck_sensor']))
          unexplained.push(`frozen ${key} ${new Date(rs[i].ts).toISOString()}`);
        if (rs[i].ts - rs[i - 1].ts !== MIN && !inLabel(labels, key, rs[i - 1].ts + MIN, ['sensor_silence'])) {
          unexplained.push(`gap ${key} ${new Date(rs[i - 1].ts).toISOString()}`);
        }
      }
      // Baselines are stale for an hour after a stuck or silent period on the key (frozen values, missing data).
      for (const t of surgeAlarms(rs, start + 65 * MIN)) {
        if (inLabel(labels, key, t, ['crowd_surge']) || inLabel(labels, key, t, ['stuck_sensor', 'sensor_silence'], 65 * MIN)) continue;
        unexplained.push(`surge ${key} ${new Date(t).toISOString()}`);
      }
    }
    expect(unexplained).toEqual([]);
  });

  test('the reference surge rule catches every surge within 5 minutes', () => {
    for (const l of done.filter((x) => x.kind === 'crowd_surge' && x.start - 65 * MIN >= start)) {
      const alarms = surgeAlarms(r.byKey.get(l.key)!, l.start).filter((t) => t < l.end);
      expect(alarms.length).toBeGreaterThan(0);
      expect(alarms[0] - l.start).toBeLessThanOrEqual(5 * MIN);
    }
  });
});
