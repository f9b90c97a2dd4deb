import type { RawRecord } from '../../kernel/types';
import { ANOMALY_KINDS_BY_FLOW, FlowSimulator } from './index';
import type { FlowName, SimRecord, SimulatorOptions } from './index';
import { DAY, HOUR, MIN, keyOf, payloadOf, run } from './testing';

const START = Date.UTC(2026, 10, 27, 6, 0); // Friday 06:00 UTC

function collect(sim: FlowSimulator, until: number, chunks: number[]): SimRecord[] {
  const out: SimRecord[] = [];
  let i = 0;
  while (sim.now < until) {
    const step = chunks[i++ % chunks.length];
    for (const r of sim.advance(Math.min(until, sim.now + step))) out.push(r);
  }
  return out;
}

describe('FlowSimulator: determinism and ordering', () => {
  test('same seed → byte-identical records and labels; different seed → different', () => {
    const opts: SimulatorOptions = { seed: 1234, start: START };
    const a = new FlowSimulator(opts).advance(START + 6 * HOUR);
    const b = new FlowSimulator(opts).advance(START + 6 * HOUR);
    expect(a.length).toBeGreaterThan(10_000);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const c = new FlowSimulator({ ...opts, seed: 1235 }).advance(START + 6 * HOUR);
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  test('output does not depend on how advance() is chunked', () => {
    const opts: SimulatorOptions = { seed: 77, start: START + 12_345, anomalies: { perFlowPerDay: 30 } };
    const whole = new FlowSimulator(opts);
    const one = whole.advance(START + 30 * HOUR);
    const pieces = new FlowSimulator(opts);
    const many = collect(pieces, START + 30 * HOUR, [17_000, 7 * MIN, 1, 45_001, 3 * HOUR, 29_999]);
    expect(many.length).toBe(one.length);
    expect(JSON.stringify(many)).toBe(JSON.stringify(one));
    expect(pieces.labels()).toEqual(whole.labels());
    expect(pieces.labels(true)).toEqual(whole.labels(true));
  });

  test('chunking invariance holds over many days (route plans pruned, several schedule blocks)', () => {
    const opts: SimulatorOptions = { seed: 3, start: START, flows: ['goods', 'funds'], scale: 0.5 };
    const one = new FlowSimulator(opts).advance(START + 4 * DAY);
    const many = collect(new FlowSimulator(opts), START + 4 * DAY, [7 * HOUR + 30_000, DAY + 1]);
    expect(many.length).toBe(one.length);
    expect(JSON.stringify(many) === JSON.stringify(one)).toBe(true);
  });

  test('records are in nondecreasing event-time order, inside [now, until), and now advances', () => {
    const sim = new FlowSimulator({ seed: 5, start: START });
    expect(sim.now).toBe(START);
    let prev = -Infinity;
    let bad = 0;
    let last = START;
    for (let t = START; t < START + DAY; t += 37 * MIN) {
      const from = sim.now;
      const until = (last = t + 37 * MIN);
      for (const r of sim.advance(until)) {
        if (r.ts < prev || r.ts < from || r.ts >= until) bad++;
        prev = r.ts;
      }
      expect(sim.now).toBe(until);
    }
    expect(bad).toBe(0);
    expect(sim.advance(START)).toEqual([]);
    expect(sim.now).toBe(last);
  });

  test('a flow generates the same records whether or not the other flows run', () => {
    const all = new FlowSimulator({ seed: 9, start: START }).advance(START + 3 * HOUR);
    for (const f of ['people', 'goods', 'funds'] as FlowName[]) {
      const only = new FlowSimulator({ seed: 9, start: START, flows: [f] }).advance(START + 3 * HOUR);
      expect(only.length).toBeGreaterThan(0);
      expect(only.every((r) => r.stream === f)).toBe(true);
      expect(JSON.stringify(only)).toBe(JSON.stringify(all.filter((r) => r.stream === f)));
    }
  });
});

describe('FlowSimulator: record formats', () => {
  const recs = new FlowSimulator({ seed: 3, start: START }).advance(START + 2 * HOUR);

  test('records are RawRecords from the simulator with the documented payload fields', () => {
    const raw: RawRecord[] = recs; // compile-time compatibility
    expect(raw.length).toBe(recs.length);
    const fields: Record<FlowName, string[]> = {
      people: ['gate_id', 'station', 'gate', 'time', 'entries', 'exits'],
      goods: ['container_id', 'truck_id', 'ts', 'temp_c', 'setpoint_c', 'door_open', 'speed_kmh', 'in_transit'],
      funds: ['payment_id', 'account', 'counterparty', 'amount', 'currency', 'channel', 'ts'],
    };
    const seen = new Set<string>();
    for (const r of recs) {
      if (seen.has(r.stream)) continue;
      seen.add(r.stream);
      expect(r.source).toBe('simulator');
      expect(r.fault).toBeUndefined();
      expect(Object.keys(payloadOf(r))).toEqual(fields[r.stream]);
    }
    expect([...seen].sort()).toEqual(['funds', 'goods', 'people']);
  });

  test('every payload carries the correct event time in its own encoding', () => {
    let bad = 0;
    for (const r of recs) {
      const p = payloadOf(r);
      if (r.stream === 'people') {
        if (p.time !== new Date(r.ts).toISOString() || r.ts % MIN !== 0) bad++;
        if (!Number.isInteger(p.entries) || !Number.isInteger(p.exits) || p.entries < 0 || p.exits < 0) bad++;
        if (!/^[a-z0-9-]+-g[1-4]$/.test(p.gate_id) || p.gate_id !== `${p.gate_id.replace(/-g\d$/, '')}-g${p.gate}`) bad++;
      } else if (r.stream === 'goods') {
        if (p.ts !== r.ts) bad++;
        if (!/^RFC-\d{4}$/.test(p.container_id) || !/^TRK-\d{2}$/.test(p.truck_id)) bad++;
        if (![0, 1].includes(p.door_open) || ![0, 1].includes(p.in_transit)) bad++;
      } else {
        if (!Number.isInteger(p.ts) || p.ts * 1000 !== r.ts) bad++;
        if (!/^ACC-\d{5}$/.test(p.account) || !/^p-\d{6,}$/.test(p.payment_id)) bad++;
        if (!/^(ACC-\d{5}|M-[a-z-]+-\d+)$/.test(p.counterparty) || p.currency !== 'EUR') bad++;
        if (!['card', 'transfer', 'online'].includes(p.channel) || !(p.amount > 0)) bad++;
      }
    }
    expect(bad).toBe(0);
  });

  test('scale multiplies entity counts; entities() lists them', () => {
    const e1 = new FlowSimulator({ seed: 1, start: START }).entities();
    expect(e1.gates).toHaveLength(12);
    expect(new Set(e1.gates.map((g) => g.station)).size).toBe(3);
    expect(new Set(e1.containers.map((c) => c.truck_id)).size).toBe(10);
    expect(e1.accounts).toHaveLength(200);
    const e3 = new FlowSimulator({ seed: 1, start: START, scale: 3 }).entities();
    expect(e3.gates).toHaveLength(36);
    expect(new Set(e3.containers.map((c) => c.truck_id)).size).toBe(30);
    expect(e3.accounts).toHaveLength(600);
    expect(new Set(e3.gates.map((g) => g.gate_id)).size).toBe(36);
  });
});

describe('FlowSimulator: anomaly schedule and labels', () => {
  test('labels() returns started anomalies by default, all scheduled with the flag, sorted by start', () => {
    const sim = new FlowSimulator({ seed: 21, start: START });
    sim.advance(START + 4 * HOUR);
    const started = sim.labels();
    const all = sim.labels(true);
    expect(all.length).toBeGreaterThan(started.length);
    expect(started.every((l) => l.start < sim.now)).toBe(true);
    for (let i = 1; i < all.length; i++) expect(all[i].start).toBeGreaterThanOrEqual(all[i - 1].start);
    const ents = sim.entities();
    const keys = new Set([...ents.gates.map((g) => g.gate_id), ...ents.containers.map((c) => c.container_id), ...ents.accounts]);
    for (const l of all) {
      expect(keys.has(l.key)).toBe(true);
      expect(l.end).toBeGreaterThan(l.start);
      expect((ANOMALY_KINDS_BY_FLOW[l.stream] as readonly string[]).includes(l.kind)).toBe(true);
      expect(l.description.length).toBeGreaterThan(10);
    }
  });

  test.each([1, 2, 3, 4, 5, 6])('firstWithin: every flow has an anomaly starting in the first 10 min (seed %p)', (seed) => {
    const sim = new FlowSimulator({ seed, start: START });
    sim.advance(START + 10 * MIN);
    const labels = sim.labels();
    for (const f of ['people', 'goods', 'funds']) {
      expect(labels.some((l) => l.stream === f && l.start >= START && l.start < START + 10 * MIN)).toBe(true);
    }
  });

  test('firstWithin can be set (3 min) and holds even with a low daily rate', () => {
    const sim = new FlowSimulator({ seed: 8, start: START + 20_000, anomalies: { firstWithin: 3 * MIN, perFlowPerDay: 0.5 } });
    sim.advance(START + 20_000 + 3 * MIN);
    const labels = sim.labels();
    expect(new Set(labels.map((l) => l.stream))).toEqual(new Set(['people', 'goods', 'funds']));
    expect(labels.every((l) => l.start < START + 20_000 + 3 * MIN)).toBe(true);
  });

  test('enabled: false or perFlowPerDay: 0 → no anomalies', () => {
    for (const anomalies of [{ enabled: false }, { perFlowPerDay: 0 }]) {
      const sim = new FlowSimulator({ seed: 1, start: START, anomalies });
      sim.advance(START + DAY);
      expect(sim.labels(true)).toEqual([]);
    }
  });

  test('about perFlowPerDay anomalies per flow per day, every kind each day, no overlap on a key', () => {
    const { sim } = run({ seed: 31, start: START }, 3 * DAY, 6 * HOUR);
    const labels = sim.labels(true);
    for (let d = 0; d < 3; d++) {
      for (const f of ['people', 'goods', 'funds'] as FlowName[]) {
        const day = labels.filter((l) => l.stream === f && l.start >= START + d * DAY && l.start < START + (d + 1) * DAY);
        const distinct = new Set(day.map((l) => `${l.kind}@${l.start}`)); // a truck stop labels each container
        expect(distinct.size).toBeGreaterThanOrEqual(6);
        expect(distinct.size).toBeLessThanOrEqual(8);
        for (const k of ANOMALY_KINDS_BY_FLOW[f]) expect(day.some((l) => l.kind === k)).toBe(true);
      }
    }
    const byKey = new Map<string, typeof labels>();
    for (const l of labels) byKey.set(l.key, [...(byKey.get(l.key) ?? []), l]);
    for (const ls of byKey.values()) {
      for (let i = 1; i < ls.length; i++) expect(ls[i].start).toBeGreaterThanOrEqual(ls[i - 1].end);
    }
  });

  test('labels only name keys that produce records', () => {
    const { labels, byKey } = run({ seed: 4, start: START }, DAY);
    for (const l of labels) expect(byKey.has(l.key)).toBe(true);
    expect(keyOf({ stream: 'funds', ts: 0, source: 'simulator', payload: { account: 'ACC-00001' } })).toBe('ACC-00001');
  });
});

describe('FlowSimulator: options and speed', () => {
  test('invalid options are rejected with a clear message', () => {
    expect(() => new FlowSimulator({ seed: NaN, start: START })).toThrow(/seed/);
    expect(() => new FlowSimulator({ seed: 1, start: Infinity })).toThrow(/start/);
    expect(() => new FlowSimulator({ seed: 1, start: START, scale: 0 })).toThrow(/scale/);
    expect(() => new FlowSimulator({ seed: 1, start: START, flows: ['trains' as FlowName] })).toThrow(/unknown flow/);
    expect(() => new FlowSimulator({ seed: 1, start: START, faults: { malformed: 1.5 } })).toThrow(/faults.malformed/);
    expect(() => new FlowSimulator({ seed: 1, start: START, faults: { malformed: 0.6, late: 0.6 } })).toThrow(/sum/);
    expect(() => new FlowSimulator({ seed: 1, start: START, anomalies: { perFlowPerDay: -1 } })).toThrow(/perFlowPerDay/);
    expect(() => new FlowSimulator({ seed: 1, start: START }).advance(NaN)).toThrow(/until/);
  });

  // Its speed (typically ~150 ms for a day) is the bench's to measure, not a timed assertion here.
  test('one simulated day at scale 1 is tens of thousands of records', () => {
    const recs = new FlowSimulator({ seed: 2, start: START }).advance(START + DAY);
    expect(recs.length).toBeGreaterThan(50_000);
  });
});
