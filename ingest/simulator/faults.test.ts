import { FlowSimulator } from './index';
import type { FlowName, SimRecord } from './index';
import { HOUR } from './testing';

const START = Date.UTC(2026, 10, 27, 6, 0);
const TIME_FIELD: Record<FlowName, string> = { people: 'time', goods: 'ts', funds: 'ts' };
const BAD_FIELD: Record<FlowName, string> = { people: 'entries', goods: 'temp_c', funds: 'amount' };

/** Payload time in ms, whatever the stream's encoding. */
function payloadTime(r: SimRecord): number {
  const p = r.payload as Record<string, any>;
  const v = p[TIME_FIELD[r.stream]];
  return r.stream === 'people' ? Date.parse(v) : r.stream === 'funds' ? v * 1000 : v;
}

describe('faults', () => {
  const faults = { malformed: 0.02, duplicate: 0.02, late: 0.01 };
  const clean = new FlowSimulator({ seed: 12, start: START }).advance(START + 6 * HOUR);
  const faultySim = new FlowSimulator({ seed: 12, start: START, faults });
  const faulty = faultySim.advance(START + 6 * HOUR);

  test('default: no faults, every payload an object', () => {
    expect(clean.every((r) => r.fault === undefined && typeof r.payload === 'object')).toBe(true);
  });

  test('rates are close to the requested fractions; order stays nondecreasing; deterministic', () => {
    const count = (k: string): number => faulty.filter((r) => r.fault === k).length;
    const n = clean.length;
    expect(count('malformed') / n).toBeGreaterThan(0.015);
    expect(count('malformed') / n).toBeLessThan(0.025);
    expect(count('duplicate') / n).toBeGreaterThan(0.015);
    expect(count('duplicate') / n).toBeLessThan(0.025);
    expect(count('late') / n).toBeGreaterThan(0.006);
    expect(count('late') / n).toBeLessThan(0.014);
    expect(faulty.every((r, i) => i === 0 || r.ts >= faulty[i - 1].ts)).toBe(true);
    const again = new FlowSimulator({ seed: 12, start: START, faults }).advance(START + 6 * HOUR);
    expect(JSON.stringify(again)).toBe(JSON.stringify(faulty));
  });

  test('faults leave everything else unchanged and add no labels', () => {
    const aligned = faulty.filter((r) => r.fault !== 'duplicate');
    expect(aligned).toHaveLength(clean.length);
    let diff = 0;
    for (let i = 0; i < aligned.length; i++) {
      if (aligned[i].ts !== clean[i].ts || aligned[i].stream !== clean[i].stream) diff++;
      else if (aligned[i].fault === undefined && JSON.stringify(aligned[i].payload) !== JSON.stringify(clean[i].payload)) diff++;
    }
    expect(diff).toBe(0);
    const cleanSim = new FlowSimulator({ seed: 12, start: START });
    cleanSim.advance(START + 6 * HOUR);
    expect(faultySim.labels()).toEqual(cleanSim.labels());
  });

  test('malformed: truncated JSON text, a non-numeric value, or a missing time field', () => {
    const kinds = { truncated: 0, badValue: 0, noTime: 0 };
    for (const r of faulty.filter((x) => x.fault === 'malformed')) {
      if (typeof r.payload === 'string') {
        expect(() => JSON.parse(r.payload as string)).toThrow();
        kinds.truncated++;
      } else if (!(TIME_FIELD[r.stream] in r.payload)) {
        kinds.noTime++;
      } else {
        const v = r.payload[BAD_FIELD[r.stream]];
        expect(typeof v).toBe('string');
        expect(Number.isFinite(Number(v))).toBe(false);
        kinds.badValue++;
      }
    }
    expect(kinds.truncated).toBeGreaterThan(0);
    expect(kinds.badValue).toBeGreaterThan(0);
    expect(kinds.noTime).toBeGreaterThan(0);
  });

  test('duplicate: the same payload right after the original', () => {
    for (let i = 0; i < faulty.length; i++) {
      const r = faulty[i];
      if (r.fault !== 'duplicate') continue;
      expect(faulty[i - 1].fault).toBeUndefined();
      expect(r.payload).toEqual(faulty[i - 1].payload);
      expect(r.ts).toBe(faulty[i - 1].ts);
    }
  });

  test('late: the payload time is 1–6 hours before the arrival position, in the stream encoding', () => {
    const late = faulty.filter((x) => x.fault === 'late');
    expect(new Set(late.map((r) => r.stream)).size).toBe(3);
    for (const r of late) {
      const lag = r.ts - payloadTime(r);
      expect(lag).toBeGreaterThanOrEqual(HOUR - 1000);
      expect(lag).toBeLessThanOrEqual(6 * HOUR + 1000);
    }
  });
});
