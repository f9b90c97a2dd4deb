/**
 * A simulated week of alert changes for the three flows with labelled cross-flow events (ground
 * truth), for the incident scenario test. It produces alert changes (what the detectors would
 * emit), not raw records: the detectors have their own corpora and scenario tests; this one
 * measures correlation. Keys are those of examples/reference/.
 */
import { Rng } from '../../ingest/simulator/random';
import { makeAlert, resolved } from '../../alerts/testing/fakes';
import type { Alert } from '../../kernel/types';

const MIN = 60_000;
const DAY = 86_400_000;

/** Keys by flow and where they are (examples/reference/). */
const VENUES = {
  'central-stadium': {
    gates: ['central-g1', 'central-g2', 'central-g3', 'central-g4'],
    containers: ['RFC-1001', 'RFC-1002', 'RFC-1003'],
    accounts: ['ACC-00001', 'ACC-00002'],
  },
  'north-station': {
    gates: ['north-g1', 'north-g2', 'north-g3', 'north-g4'],
    containers: ['RFC-1004', 'RFC-1005'],
    accounts: ['ACC-00004'],
  },
};
const DEPOTS = {
  coldco: { containers: ['RFC-1001', 'RFC-1002', 'RFC-1003'], accounts: ['ACC-00003'] },
  freshway: { containers: ['RFC-1004', 'RFC-1005'], accounts: ['ACC-00004'] },
};
const ALL = {
  people: Object.values(VENUES)
    .flatMap((v) => v.gates)
    .concat(['east-g1', 'east-g2', 'east-g3', 'east-g4']),
  goods: ['RFC-1001', 'RFC-1002', 'RFC-1003', 'RFC-1004', 'RFC-1005'],
  funds: ['ACC-00001', 'ACC-00002', 'ACC-00003', 'ACC-00004', 'ACC-00005'],
};

export interface GroundTruth {
  kind: 'stadium-event' | 'cold-chain-fraud';
  where: string;
  at: number;
  /** Ids of the firing alerts the event caused, and the start of the first. */
  alertIds: string[];
  firstAt: number;
}

export interface Scenario {
  start: number;
  days: number;
  /** Alert changes (firings and resolves), in time order. */
  changes: Alert[];
  truth: GroundTruth[];
}

function episode(
  stream: string,
  key: string,
  detector: string,
  startsAt: number,
  lasts: number,
  severity: Alert['severity'] = 'warning',
): Alert[] {
  const f = makeAlert({ stream, key, detector, startsAt, severity });
  return [f, { ...resolved(f), endsAt: startsAt + lasts }];
}

function pick<T>(rng: Rng, xs: readonly T[], n: number): T[] {
  const pool = [...xs];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(rng.int(pool.length), 1)[0]);
  return out;
}

/** A stadium event: crowd surge at 2–3 of its gates, 1–2 delivery trucks stuck or warming in its district, a payment spike at 1–2 of its merchants. */
function stadiumEvent(rng: Rng, venue: keyof typeof VENUES, t0: number): Alert[] {
  const v = VENUES[venue];
  const onset = () => t0 + rng.int(90_000);
  const lasts = () => (20 + rng.int(40)) * MIN;
  return [
    ...pick(rng, v.gates, 2 + rng.int(2)).flatMap((g) => episode('people', g, 'crowd-surge', onset(), lasts(), 'critical')),
    ...pick(rng, v.containers, 1 + rng.int(2)).flatMap((c) =>
      episode('goods', c, rng.next() < 0.5 ? 'unexpected-stop' : 'temp-excursion', onset(), lasts()),
    ),
    ...pick(rng, v.accounts, 1 + rng.int(2)).flatMap((a) => episode('funds', a, 'payment-spike', onset(), lasts())),
  ];
}

/** Cold-chain fraud: excursions on 1–2 containers of one depot, unusual payments by the depot's owner. */
function coldChainFraud(rng: Rng, party: keyof typeof DEPOTS, t0: number): Alert[] {
  const d = DEPOTS[party];
  const onset = () => t0 + rng.int(90_000);
  const lasts = () => (30 + rng.int(60)) * MIN;
  return [
    ...pick(rng, d.containers, 1 + rng.int(2)).flatMap((c) => episode('goods', c, 'temp-excursion', onset(), lasts())),
    ...d.accounts.flatMap((a) => episode('funds', a, 'fan-out', onset(), lasts())),
  ];
}

/** Unrelated alerts: `perDay` per flow on random keys, 5–60 min each. */
function noise(rng: Rng, start: number, days: number, perDay: number): Alert[] {
  const out: Alert[] = [];
  const dets = { people: 'crowd-surge', goods: 'temp-excursion', funds: 'structuring' } as const;
  for (const stream of ['people', 'goods', 'funds'] as const) {
    const n = Math.round(perDay * days);
    for (let i = 0; i < n; i++) {
      const key = ALL[stream][rng.int(ALL[stream].length)];
      out.push(...episode(stream, key, `${dets[stream]}-n${i}`, start + rng.int(days * DAY), (5 + rng.int(55)) * MIN));
    }
  }
  return out;
}

function truthOf(alerts: readonly Alert[]): { alertIds: string[]; firstAt: number } {
  const firing = alerts.filter((a) => a.status === 'firing');
  return { alertIds: firing.map((a) => a.id), firstAt: Math.min(...firing.map((a) => a.startsAt)) };
}

export function simulateWeek(seed: number, o: { days?: number; noisePerDay?: number } = {}): Scenario {
  const rng = new Rng(seed, 19);
  const days = o.days ?? 7;
  const start = Date.UTC(2026, 10, 23);
  const truth: GroundTruth[] = [];
  const changes: Alert[] = noise(rng, start, days, o.noisePerDay ?? 4);
  for (let d = 0; d < days; d++) {
    // One stadium event every evening, alternating venues; a cold-chain fraud every other day at night.
    const venue = d % 2 === 0 ? 'central-stadium' : 'north-station';
    const t0 = start + d * DAY + (18 + rng.int(3)) * 3_600_000 + rng.int(60) * MIN;
    const ev = stadiumEvent(rng, venue, t0);
    truth.push({ kind: 'stadium-event', where: venue, at: t0, ...truthOf(ev) });
    changes.push(...ev);
    if (d % 2 === 1) {
      const party = d % 4 === 1 ? 'coldco' : 'freshway';
      const t1 = start + d * DAY + (1 + rng.int(4)) * 3_600_000 + rng.int(60) * MIN;
      const fr = coldChainFraud(rng, party, t1);
      truth.push({ kind: 'cold-chain-fraud', where: party, at: t1, ...truthOf(fr) });
      changes.push(...fr);
    }
  }
  const at = (a: Alert) => (a.status === 'firing' ? a.startsAt : a.endsAt!);
  changes.sort((a, b) => at(a) - at(b));
  return { start, days, changes, truth };
}

export const changeTime = (a: Alert): number => (a.status === 'firing' ? a.startsAt : a.endsAt!);
