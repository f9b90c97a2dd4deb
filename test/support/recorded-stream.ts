/**
 * A deterministic recorded stream for the event-time tests: people (gate counters), goods
 * (cold-chain containers) and funds (payments), with payloads as examples/kafka.yaml maps them and
 * an anomaly planted for every detector of test/fixtures/event-time/streams.yaml. The same seed
 * and start give byte-identical records, so every mode of a test replays exactly the same input.
 *
 * Shape of the recording, and why:
 *  - Records are in arrival order: event time + a delivery delay of 0–15 s, so event times are a
 *    little out of order (as real producers are) but never more than 15 s. With a lateness of 2m
 *    no record is late in any subset of the stream — one partition, one topic, or the whole file —
 *    so admission accepts every record whatever the partitioning (backtest: one scope per stream;
 *    Kafka: one per partition), and any difference between modes comes from the detectors' timing.
 *  - Each key has an explicit partition (its index modulo `partitions`), so every partition carries
 *    several keys of each stream: a key that goes quiet (the deadman anomaly) sits in a partition
 *    whose other keys keep reporting, and its silence is measured by event time, not by the idle rule.
 *  - No duplicates: duplicate detection is per partition in workers and per stream in the backtest.
 */

export type StreamName = 'people' | 'goods' | 'funds';

export interface RecordedRecord {
  stream: StreamName;
  key: string;
  /** Kafka partition (of the stream's topic) the record is produced to. */
  partition: number;
  /** Event time, epoch ms (what the payload's time field says). */
  ts: number;
  payload: Record<string, unknown>;
  /** Bytes produced instead of the payload's JSON: a planted bad record (the worker dead-letters it). */
  raw?: string;
}

/** One planted anomaly: which detector must fire (and resolve), on which key, over which event time. */
export interface Planted {
  stream: StreamName;
  detector: string;
  key: string;
  from: number;
  to: number;
  what: string;
}

export interface Recording {
  /** Event time of the first reading (not on a minute or pane boundary). */
  start: number;
  /** Event time of the last reading. */
  end: number;
  records: RecordedRecord[];
  planted: Planted[];
  partitions: number;
}

export interface RecordingOptions {
  seed: number;
  start: number;
  /** Event time the recording covers; the planted anomalies need 60 minutes. */
  durationMs?: number;
  partitions?: number;
  /** Keys per stream; the defaults give ~3,600 records per hour. */
  gates?: number;
  containers?: number;
  accounts?: number;
  /** Undecodable records planted among the funds payments (default none), spread evenly through the recording. */
  badRecords?: number;
}

const MIN = 60_000;
const READING_EVERY = 30_000;
/** Most a record's delivery lags its event time (far below the streams' 2m lateness). */
export const MAX_DELAY_MS = 15_000;

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Generates the recording. Planted anomalies sit between minutes 5 and 47 of a 60-minute recording,
 * each firing and resolving there, so a comparison that stops ~10 minutes before the end sees them all.
 */
export function recordStream(o: RecordingOptions): Recording {
  const duration = o.durationMs ?? 60 * MIN;
  if (duration < 60 * MIN) throw new Error('recordStream: the planted anomalies need 60 minutes of event time');
  const partitions = o.partitions ?? 4;
  const r = rng(o.seed);
  const start = o.start;
  const end = start + duration;
  const at = (minutes: number) => start + minutes * MIN;
  const out: Array<RecordedRecord & { arrival: number }> = [];
  const planted: Planted[] = [];
  const push = (rec: RecordedRecord) => out.push({ ...rec, arrival: rec.ts + Math.floor(r() * MAX_DELAY_MS) });

  // People: gate counters, one reading per 30 s, each gate at its own offset.
  const gates = o.gates ?? 12;
  const stations = ['central', 'harbour', 'north'];
  const SURGE = 1,
    RUSH = 2,
    STUCK = 4,
    SILENT = 6;
  for (let g = 0; g < gates; g++) {
    const key = `${stations[g % 3]}-g${pad(g + 1)}`;
    const partition = g % partitions;
    const base = 40 + Math.floor(r() * 80);
    let t = start + Math.floor(r() * READING_EVERY);
    let stuck: { entries: number; exits: number } | null = null;
    for (; t <= end; t += READING_EVERY) {
      let entries = Math.max(0, Math.round(base * (1 + 0.08 * normal(r))));
      let exits = Math.max(0, Math.round(base * 0.9 * (1 + 0.08 * normal(r))));
      if (g === SURGE && t >= at(25) && t < at(29)) entries *= 4;
      if (g === RUSH && t >= at(30) && t < at(31)) exits *= 4;
      if (g === STUCK && t >= at(15) && t < at(30)) {
        stuck ??= { entries, exits };
        ({ entries, exits } = stuck);
      }
      if (g === SILENT && t >= at(35) && t < at(45)) continue;
      push({
        stream: 'people',
        key,
        partition,
        ts: t,
        payload: { gate_id: key, station: stations[g % 3], gate: `G${g + 1}`, time: new Date(t).toISOString(), entries, exits },
      });
    }
    if (g === SURGE)
      planted.push({ stream: 'people', detector: 'crowd-surge', key, from: at(25), to: at(29), what: 'entries ×4 for 4 minutes' });
    if (g === RUSH)
      planted.push({ stream: 'people', detector: 'exit-rush', key, from: at(30), to: at(31), what: 'exits ×4 for one minute' });
    if (g === STUCK)
      planted.push({
        stream: 'people',
        detector: 'stuck-sensor',
        key,
        from: at(15),
        to: at(30),
        what: 'identical readings for 15 minutes',
      });
    if (g === SILENT)
      planted.push({ stream: 'people', detector: 'sensor-silence', key, from: at(35), to: at(45), what: 'no readings for 10 minutes' });
  }

  // Goods: containers, one reading per 30 s; chilled (+4 °C) and frozen (−18 °C).
  const containers = o.containers ?? 8;
  const EXCURSION = 2,
    DOOR = 3,
    BLIP = containers > 5 ? 5 : 1;
  for (let c = 0; c < containers; c++) {
    const key = `RFC-${1000 + c}`;
    const partition = c % partitions;
    const setpoint = c % 2 === 0 ? 4 : -18;
    const speedBase = 40 + r() * 30;
    for (let t = start + Math.floor(r() * READING_EVERY); t <= end; t += READING_EVERY) {
      let temp = setpoint + 0.3 * normal(r);
      let door = 0;
      if (c === EXCURSION && t >= at(20) && t < at(28)) temp += 6;
      if (c === BLIP && t >= at(40) && t < at(41.5)) temp += 2.5;
      if (c === DOOR && t >= at(33) && t < at(36)) door = 1;
      const speed = Math.max(0, speedBase + 8 * normal(r));
      push({
        stream: 'goods',
        key,
        partition,
        ts: t,
        payload: {
          container_id: key,
          truck_id: `TRK-${pad((c % 5) + 1)}`,
          ts: t,
          temp_c: Math.round(temp * 100) / 100,
          setpoint_c: setpoint,
          door_open: door === 1,
          speed_kmh: Math.round(speed * 10) / 10,
          in_transit: true,
        },
      });
    }
    if (c === EXCURSION) {
      planted.push({
        stream: 'goods',
        detector: 'temperature-excursion',
        key,
        from: at(20),
        to: at(28),
        what: '+6 °C over setpoint for 8 minutes',
      });
      planted.push({ stream: 'goods', detector: 'temperature-profile', key, from: at(20), to: at(28), what: 'a level shift of +6 °C' });
    }
    if (c === BLIP)
      planted.push({
        stream: 'goods',
        detector: 'temperature-profile',
        key,
        from: at(40),
        to: at(41.5),
        what: '+2.5 °C (under the threshold) for 90 s',
      });
    if (c === DOOR)
      planted.push({
        stream: 'goods',
        detector: 'door-open-in-transit',
        key,
        from: at(33),
        to: at(36),
        what: 'door open at speed for 3 minutes',
      });
  }

  // Funds: payments, Poisson per account (one per 2 minutes on average) to a few usual counterparties.
  const accounts = o.accounts ?? 40;
  const BURST = 5,
    FAN = 11,
    LARGE = 17;
  let paymentNo = 0;
  const pay = (a: number, t: number, amount: number, counterparty: string) => {
    const key = `ACC-${pad(a + 1, 5)}`;
    const id = `P${pad(++paymentNo, 6)}`;
    push({
      stream: 'funds',
      key,
      partition: a % partitions,
      ts: t,
      payload: { payment_id: id, account: key, ts: t / 1000, amount, counterparty, channel: paymentNo % 3 === 0 ? 'card' : 'transfer' },
    });
  };
  const amount = () => Math.round(Math.exp(4.5 + 0.6 * normal(r)) * 100) / 100;
  for (let a = 0; a < accounts; a++) {
    const usual = [0, 1, 2].map((i) => `CP-${pad((a * 7 + i * 13) % 97, 3)}`);
    for (
      let t = start + Math.floor(-Math.log(1 - r()) * 2 * MIN);
      t <= end;
      t += Math.max(1000, Math.floor(-Math.log(1 - r()) * 2 * MIN))
    ) {
      pay(a, t, amount(), usual[Math.floor(r() * usual.length)]);
    }
    if (a === BURST) for (let i = 0; i < 16; i++) pay(a, at(12) + i * 22_000 + Math.floor(r() * 5000), amount(), usual[i % 3]);
    if (a === FAN) for (let i = 0; i < 12; i++) pay(a, at(8) + i * 30_000 + Math.floor(r() * 5000), amount(), `CP-NEW-${pad(i + 1)}`);
    if (a === LARGE)
      for (let i = 0; i < 3; i++) pay(a, at(30 + 2 * i) + Math.floor(r() * 5000), 8000 + Math.round(r() * 100000) / 100, usual[i]);
  }
  planted.push({
    stream: 'funds',
    detector: 'velocity-burst',
    key: `ACC-${pad(BURST + 1, 5)}`,
    from: at(12),
    to: at(18),
    what: '16 payments in 6 minutes',
  });
  planted.push({
    stream: 'funds',
    detector: 'fan-out',
    key: `ACC-${pad(FAN + 1, 5)}`,
    from: at(8),
    to: at(14),
    what: '12 new counterparties in 6 minutes',
  });
  planted.push({
    stream: 'funds',
    detector: 'large-total',
    key: `ACC-${pad(LARGE + 1, 5)}`,
    from: at(30),
    to: at(34),
    what: 'three payments of ~8,000 in 4 minutes',
  });

  // Arrival order; ties broken by stream and key so the order never depends on the sort's stability.
  out.sort(
    (x, y) =>
      x.arrival - y.arrival ||
      x.ts - y.ts ||
      (x.stream < y.stream ? -1 : x.stream > y.stream ? 1 : x.key < y.key ? -1 : x.key > y.key ? 1 : 0),
  );
  const records = out.map(({ arrival: _, ...rec }) => rec);
  // Bad input is data too (it must reach the dead letter exactly once): truncated JSON, placed by
  // position, not by the random stream, so the good records are the same with or without them.
  const bad = o.badRecords ?? 0;
  for (let i = bad; i >= 1; i--) {
    const at = Math.floor((records.length * i) / (bad + 1));
    const near = records[at];
    records.splice(at, 0, {
      stream: 'funds',
      key: `ACC-BAD-${pad(i, 3)}`,
      partition: i % partitions,
      ts: near.ts,
      payload: {},
      raw: `{"payment_id":"BAD${pad(i, 3)}","account":`,
    });
  }
  return { start, end, records, planted, partitions };
}

/**
 * A start `lagMinutes` before `now`, 13.456 s past a minute: not on a second, minute or pane
 * boundary (panes align to the epoch), so results cannot depend on the stream starting on one.
 */
export function unalignedStart(now: number, lagMinutes: number): number {
  return Math.floor((now - lagMinutes * MIN) / MIN) * MIN + 13_456;
}

/** The records as the backtest reads raw multi-stream input: one {"stream", "payload"} per line. */
export function backtestLines(rec: Recording): string {
  return (
    rec.records
      .filter((x) => x.raw === undefined)
      .map((x) => JSON.stringify({ stream: x.stream, payload: x.payload }))
      .join('\n') + '\n'
  );
}
