/**
 * A labelled synthetic corpus modelled on the NAB categories (road traffic, taxi demand, server
 * metrics, machine temperature, social-media volume, ambient sensors, artificial), for developing
 * and scoring the default univariate profile. Deterministic: the same seed gives the same corpus,
 * byte for byte. Different seeds give different draws of every series (levels, noise, anomaly
 * kinds, positions and sizes), so one seed can be tuned on and another held out.
 *
 * Realism that makes it hard, on purpose: daily and weekly seasonality whose amplitude wanders
 * from day to day, random-walk levels, slow unlabelled trends, heavy-tailed and autocorrelated
 * noise, Poisson counts, integer and percentage clamping, irregular sampling and gaps, and benign
 * unlabelled bursts on the network series. Anomalies: spikes, dips, level shifts, variance changes,
 * seasonal pattern breaks, flatlines and gradual drifts, sized against the series' own noise.
 *
 * Labels follow NAB's rules: per file, one window per anomaly, the windows together 10% of the
 * file's rows (width = 0.1·rows / anomalies), centred on the anomaly's onset, none inside the
 * probationary first 15% (at most 750 rows).
 *
 * CLI: node test/corpus/ts-run.js test/corpus/generate.ts --seed 2 --out /tmp/corpus
 */
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../ingest/simulator/random';

export type AnomalyKind = 'spike' | 'dip' | 'level_shift' | 'variance' | 'pattern_break' | 'flatline' | 'drift';

export interface InjectedAnomaly {
  kind: AnomalyKind;
  /** Row index of the onset (the label) and of the last anomalous row. */
  start: number;
  end: number;
}

export interface CorpusSeries {
  /** Relative path, e.g. "realTraffic/occupancy_1.csv". */
  path: string;
  category: string;
  intervalSec: number;
  ts: number[];
  values: number[];
  anomalies: InjectedAnomaly[];
  /** NAB windows as row indices, [first, last] inclusive. */
  windows: [number, number][];
}

const DAY = 86_400;
const BASE_START = Date.UTC(2014, 2, 3); // a Monday

type Shape = 'sine' | 'office' | 'rush' | 'nightlow' | 'art' | 'temperature';

interface Recipe {
  name: string;
  category: string;
  dt: number;
  n: number;
  /** Sampling jitter as a fraction of dt (irregular sensors), and rate of gaps (missing samples). */
  jitter?: number;
  gaps?: number;
  level: number;
  daily?: { shape: Shape; amp: number; wander?: number };
  /** Multiplier of the daily amplitude (and of the level excess) on Saturdays and Sundays. */
  weekend?: number;
  noise: number;
  noiseKind?: 'gauss' | 't' | 'ar';
  phi?: number;
  walk?: number;
  /** Total unlabelled trend over the series, in units of the value. */
  trend?: number;
  counts?: boolean;
  /** Benign bursts: rate per row and size in noise units (network traffic). */
  bursts?: { rate: number; size: number };
  lo?: number;
  hi?: number;
  decimals: number;
  kinds: AnomalyKind[];
}

/** Daily shapes, phase in [0,1) from midnight; each roughly in [0,1]. */
function shape(s: Shape, ph: number): number {
  const h = ph * 24;
  switch (s) {
    case 'sine':
      return 0.5 - 0.5 * Math.cos(2 * Math.PI * (ph - 0.1));
    case 'office':
      return smoothstep(7, 9, h) * (1 - smoothstep(17, 19.5, h));
    case 'rush':
      return (
        0.15 +
        0.85 * Math.exp(-((h - 8) ** 2) / 1.5) +
        0.75 * Math.exp(-((h - 17.5) ** 2) / 2.5) +
        0.25 * smoothstep(6, 10, h) * (1 - smoothstep(19, 22, h))
      );
    case 'nightlow':
      return 0.2 + 0.8 * smoothstep(6, 11, h) * (1 - 0.4 * smoothstep(20, 24, h));
    case 'art':
      return h >= 8 && h < 20 ? 1 : 0;
    case 'temperature':
      return 0.5 - 0.5 * Math.cos(2 * Math.PI * (ph - 0.125));
  }
}

function smoothstep(a: number, b: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - a) / (b - a)));
  return t * t * (3 - 2 * t);
}

/** The corpus: ~50 recipes, every parameter drawn from the seed. */
function recipes(rng: Rng): Recipe[] {
  const r = (lo: number, hi: number) => rng.range(lo, hi);
  const pickKinds = (pool: AnomalyKind[], min: number, max: number): AnomalyKind[] => {
    const k = rng.intRange(min, max);
    return Array.from({ length: k }, () => rng.pick(pool));
  };
  const list: Recipe[] = [];
  // --- artificial (NAB artificialNoAnomaly / artificialWithAnomaly) --------------------------
  list.push({
    name: 'art_daily_no_noise',
    category: 'artificialNoAnomaly',
    dt: 300,
    n: 4032,
    level: 20,
    daily: { shape: 'art', amp: r(40, 60) },
    noise: 0.05,
    decimals: 3,
    kinds: [],
  });
  list.push({
    name: 'art_daily_small_noise',
    category: 'artificialNoAnomaly',
    dt: 300,
    n: 4032,
    level: 20,
    daily: { shape: 'art', amp: r(40, 60) },
    noise: r(2, 4),
    decimals: 3,
    kinds: [],
  });
  list.push({ name: 'art_noisy', category: 'artificialNoAnomaly', dt: 300, n: 4032, level: 40, noise: r(8, 12), decimals: 3, kinds: [] });
  list.push({
    name: 'art_daily_jumpsup',
    category: 'artificialWithAnomaly',
    dt: 300,
    n: 4032,
    level: 20,
    daily: { shape: 'art', amp: r(40, 60) },
    noise: r(2, 4),
    decimals: 3,
    kinds: ['level_shift'],
  });
  list.push({
    name: 'art_daily_jumpsdown',
    category: 'artificialWithAnomaly',
    dt: 300,
    n: 4032,
    level: 20,
    daily: { shape: 'art', amp: r(40, 60) },
    noise: r(2, 4),
    decimals: 3,
    kinds: ['dip'],
  });
  list.push({
    name: 'art_daily_flatmiddle',
    category: 'artificialWithAnomaly',
    dt: 300,
    n: 4032,
    level: 20,
    daily: { shape: 'art', amp: r(40, 60) },
    noise: r(2, 4),
    decimals: 3,
    kinds: ['flatline'],
  });
  list.push({
    name: 'art_daily_nojump',
    category: 'artificialWithAnomaly',
    dt: 300,
    n: 4032,
    level: 20,
    daily: { shape: 'art', amp: r(40, 60) },
    noise: r(2, 4),
    decimals: 3,
    kinds: ['pattern_break'],
  });
  list.push({
    name: 'art_increase_spike_density',
    category: 'artificialWithAnomaly',
    dt: 300,
    n: 4032,
    level: 20,
    noise: 1,
    noiseKind: 't',
    decimals: 3,
    kinds: ['variance'],
  });
  list.push({
    name: 'art_load_balancer_spikes',
    category: 'artificialWithAnomaly',
    dt: 300,
    n: 4032,
    level: 5,
    noise: 0.5,
    bursts: { rate: 0.01, size: 6 },
    lo: 0,
    decimals: 3,
    kinds: ['spike', 'variance'],
  });
  // --- road traffic: occupancy (%), speed (mph), travel time (s); 5 min with jitter and gaps ----
  for (let i = 1; i <= 3; i++) {
    list.push({
      name: `occupancy_${i}`,
      category: 'realTraffic',
      dt: 300,
      n: rng.intRange(2300, 2700),
      jitter: 0.3,
      gaps: 0.02,
      level: r(3, 6),
      daily: { shape: 'rush', amp: r(10, 25), wander: 0.15 },
      weekend: r(0.3, 0.5),
      noise: r(1, 2.5),
      noiseKind: 't',
      lo: 0,
      hi: 100,
      decimals: 2,
      kinds: pickKinds(['spike', 'level_shift', 'flatline', 'variance'], 1, 3),
    });
  }
  for (let i = 1; i <= 2; i++) {
    list.push({
      name: `speed_${i}`,
      category: 'realTraffic',
      dt: 300,
      n: rng.intRange(2300, 2700),
      jitter: 0.3,
      gaps: 0.02,
      level: r(60, 70),
      daily: { shape: 'rush', amp: -r(10, 25), wander: 0.15 },
      weekend: r(0.2, 0.4),
      noise: r(2, 4),
      noiseKind: 'ar',
      phi: 0.5,
      lo: 0,
      decimals: 0,
      kinds: pickKinds(['dip', 'level_shift', 'flatline'], 1, 2),
    });
    list.push({
      name: `travel_time_${i}`,
      category: 'realTraffic',
      dt: 300,
      n: rng.intRange(2300, 2700),
      jitter: 0.3,
      gaps: 0.02,
      level: r(200, 400),
      daily: { shape: 'rush', amp: r(100, 300), wander: 0.2 },
      weekend: r(0.2, 0.4),
      noise: r(20, 40),
      noiseKind: 't',
      lo: 30,
      decimals: 0,
      kinds: pickKinds(['spike', 'level_shift', 'variance'], 1, 2),
    });
  }
  // --- taxi demand: strong daily + weekly seasonality, counts ---------------------------------
  list.push({
    name: 'nyc_taxi',
    category: 'realKnownCause',
    dt: 1800,
    n: 10320,
    level: r(6000, 9000),
    daily: { shape: 'nightlow', amp: r(14000, 18000), wander: 0.06 },
    weekend: r(0.7, 0.85),
    noise: 0,
    counts: true,
    lo: 0,
    decimals: 0,
    kinds: ['pattern_break', 'dip', 'spike', 'pattern_break'],
  });
  list.push({
    name: 'city_taxi_hourly',
    category: 'realKnownCause',
    dt: 3600,
    n: 4000,
    level: r(300, 500),
    daily: { shape: 'nightlow', amp: r(600, 900), wander: 0.08 },
    weekend: r(0.6, 0.8),
    noise: 0,
    counts: true,
    lo: 0,
    decimals: 0,
    kinds: pickKinds(['pattern_break', 'dip', 'spike', 'level_shift'], 2, 3),
  });
  // --- server metrics (AWS CloudWatch-like) ----------------------------------------------------
  for (let i = 1; i <= 4; i++) {
    list.push({
      name: `ec2_cpu_utilization_${i}`,
      category: 'realAWSCloudwatch',
      dt: 300,
      n: 4032,
      level: r(10, 50),
      noise: r(0.5, 3),
      noiseKind: rng.pick(['gauss', 't', 'ar'] as const),
      phi: 0.6,
      walk: rng.chance(0.5) ? r(0.05, 0.2) : 0,
      daily: rng.chance(0.5) ? { shape: 'office', amp: r(3, 15), wander: 0.1 } : undefined,
      lo: 0,
      hi: 100,
      decimals: 3,
      kinds: pickKinds(['spike', 'level_shift', 'variance', 'drift', 'dip'], 1, 3),
    });
  }
  for (let i = 1; i <= 2; i++) {
    list.push({
      name: `ec2_network_in_${i}`,
      category: 'realAWSCloudwatch',
      dt: 300,
      n: 4032,
      level: r(2e6, 5e6),
      daily: { shape: 'sine', amp: r(1e6, 3e6), wander: 0.1 },
      noise: r(2e5, 5e5),
      noiseKind: 't',
      bursts: { rate: r(0.002, 0.008), size: r(4, 10) },
      lo: 0,
      decimals: 0,
      kinds: pickKinds(['level_shift', 'variance', 'spike'], 1, 2),
    });
  }
  list.push({
    name: 'ec2_disk_write_bytes',
    category: 'realAWSCloudwatch',
    dt: 300,
    n: 4032,
    level: r(1e5, 3e5),
    noise: r(2e4, 5e4),
    noiseKind: 't',
    bursts: { rate: 0.004, size: 5 },
    lo: 0,
    decimals: 0,
    kinds: pickKinds(['level_shift', 'flatline', 'spike'], 1, 2),
  });
  list.push({
    name: 'rds_cpu_utilization',
    category: 'realAWSCloudwatch',
    dt: 300,
    n: 4032,
    level: r(15, 30),
    noise: r(0.5, 1.5),
    noiseKind: 'ar',
    phi: 0.7,
    daily: { shape: 'office', amp: r(2, 6), wander: 0.1 },
    lo: 0,
    hi: 100,
    decimals: 3,
    kinds: ['drift', 'spike'],
  });
  list.push({
    name: 'elb_request_count',
    category: 'realAWSCloudwatch',
    dt: 300,
    n: 4032,
    level: r(50, 100),
    daily: { shape: 'office', amp: r(100, 200), wander: 0.1 },
    weekend: r(0.3, 0.6),
    noise: 0,
    counts: true,
    lo: 0,
    decimals: 0,
    kinds: pickKinds(['spike', 'dip', 'level_shift'], 1, 2),
  });
  for (let i = 1; i <= 2; i++) {
    list.push({
      name: `ec2_request_latency_${i}`,
      category: 'realAWSCloudwatch',
      dt: 60,
      n: 5000,
      level: r(40, 80),
      noise: r(3, 8),
      noiseKind: 't',
      lo: 1,
      decimals: 3,
      kinds: pickKinds(['level_shift', 'variance', 'spike'], 1, 3),
    });
  }
  list.push({
    name: 'container_cpu_5s',
    category: 'realAWSCloudwatch',
    dt: 5,
    n: 6000,
    level: r(20, 40),
    noise: r(1, 3),
    noiseKind: 'ar',
    phi: 0.8,
    walk: r(0.02, 0.08),
    lo: 0,
    hi: 100,
    decimals: 2,
    kinds: pickKinds(['spike', 'flatline', 'level_shift'], 1, 2),
  });
  list.push({
    name: 'container_mem_10s',
    category: 'realAWSCloudwatch',
    dt: 10,
    n: 6000,
    level: r(40, 60),
    noise: r(0.2, 0.5),
    noiseKind: 'ar',
    phi: 0.9,
    lo: 0,
    hi: 100,
    decimals: 3,
    kinds: pickKinds(['drift', 'level_shift', 'dip'], 1, 2),
  });
  list.push({
    name: 'jvm_heap_used_1min',
    category: 'realAWSCloudwatch',
    dt: 60,
    n: 5000,
    level: r(500, 800),
    noise: r(10, 30),
    daily: { shape: 'office', amp: r(50, 150), wander: 0.1 },
    lo: 0,
    decimals: 1,
    kinds: ['drift'],
  });
  list.push({
    name: 'grok_asg_anomaly',
    category: 'realAWSCloudwatch',
    dt: 300,
    n: 4032,
    level: r(30, 60),
    noise: r(1, 3),
    noiseKind: 't',
    walk: r(0.05, 0.15),
    lo: 0,
    hi: 100,
    decimals: 3,
    kinds: pickKinds(['level_shift', 'variance'], 1, 2),
  });
  // --- machine temperature: slow oscillation, drift to failure, shutdowns ------------------------
  for (let i = 1; i <= 4; i++) {
    const dt = rng.pick([60, 300, 300, 600]);
    list.push({
      name: `machine_temperature_${i}`,
      category: 'realKnownCause',
      dt,
      n: rng.intRange(5000, 8000),
      level: r(70, 90),
      noise: r(0.5, 1.5),
      noiseKind: 'ar',
      phi: 0.85,
      walk: r(0.02, 0.08),
      lo: 0,
      decimals: 3,
      kinds: pickKinds(['drift', 'dip', 'flatline', 'variance'], 1, 3),
    });
  }
  // --- social-media volume: counts per 5 min with daily rhythm, viral spikes, outages ----------
  for (let i = 1; i <= 6; i++) {
    list.push({
      name: `twitter_volume_${i}`,
      category: 'realTweets',
      dt: 300,
      n: rng.intRange(6000, 9000),
      level: r(5, 30),
      daily: { shape: 'nightlow', amp: r(10, 60), wander: 0.15 },
      trend: r(-5, 10),
      noise: 0,
      counts: true,
      bursts: { rate: 0.003, size: 4 },
      lo: 0,
      decimals: 0,
      kinds: pickKinds(['spike', 'dip', 'level_shift', 'flatline'], 1, 4),
    });
  }
  // --- ambient and other sensors; ad exchange -------------------------------------------------
  list.push({
    name: 'ambient_temperature',
    category: 'realKnownCause',
    dt: 3600,
    n: rng.intRange(3000, 4000),
    level: r(68, 74),
    daily: { shape: 'temperature', amp: r(2, 5), wander: 0.2 },
    noise: r(0.3, 0.6),
    walk: r(0.05, 0.15),
    decimals: 3,
    kinds: pickKinds(['level_shift', 'drift', 'dip'], 1, 3),
  });
  list.push({
    name: 'exchange_cpc',
    category: 'realAdExchange',
    dt: 3600,
    n: rng.intRange(1500, 1700),
    level: r(0.1, 0.2),
    daily: { shape: 'sine', amp: r(0.02, 0.05), wander: 0.2 },
    noise: r(0.01, 0.02),
    noiseKind: 't',
    lo: 0,
    decimals: 6,
    kinds: pickKinds(['spike', 'level_shift', 'dip'], 1, 2),
  });
  list.push({
    name: 'exchange_cpm',
    category: 'realAdExchange',
    dt: 3600,
    n: rng.intRange(1500, 1700),
    level: r(0.5, 1.5),
    daily: { shape: 'sine', amp: r(0.2, 0.5), wander: 0.2 },
    noise: r(0.05, 0.15),
    lo: 0,
    decimals: 6,
    kinds: pickKinds(['spike', 'level_shift', 'variance'], 1, 2),
  });
  list.push({
    name: 'building_energy_15min',
    category: 'realKnownCause',
    dt: 900,
    n: 4000,
    level: r(100, 200),
    daily: { shape: 'office', amp: r(150, 300), wander: 0.08 },
    weekend: r(0.1, 0.3),
    noise: r(5, 15),
    lo: 0,
    decimals: 1,
    kinds: pickKinds(['pattern_break', 'level_shift', 'flatline'], 1, 3),
  });
  list.push({
    name: 'warehouse_occupancy_10min',
    category: 'realKnownCause',
    dt: 600,
    n: 4000,
    level: r(20, 50),
    daily: { shape: 'office', amp: r(50, 120), wander: 0.1 },
    weekend: r(0.2, 0.5),
    noise: 0,
    counts: true,
    lo: 0,
    decimals: 0,
    kinds: pickKinds(['pattern_break', 'spike', 'dip'], 1, 2),
  });
  list.push({
    name: 'water_flow_1min',
    category: 'realKnownCause',
    dt: 60,
    n: 6000,
    level: r(30, 50),
    daily: { shape: 'sine', amp: r(20, 40), wander: 0.1 },
    noise: r(1, 3),
    noiseKind: 'ar',
    phi: 0.6,
    lo: 0,
    decimals: 2,
    kinds: pickKinds(['dip', 'drift', 'variance', 'flatline'], 1, 3),
  });
  list.push({
    name: 'gate_entries_1min',
    category: 'realKnownCause',
    dt: 60,
    n: 6000,
    level: r(2, 5),
    daily: { shape: 'rush', amp: r(30, 60), wander: 0.12 },
    noise: 0,
    counts: true,
    lo: 0,
    decimals: 0,
    kinds: pickKinds(['spike', 'dip', 'level_shift'], 1, 2),
  });
  list.push({
    name: 'cold_chain_temp_5min',
    category: 'realKnownCause',
    dt: 300,
    n: 4032,
    level: r(3, 5),
    noise: r(0.1, 0.3),
    noiseKind: 'ar',
    phi: 0.8,
    daily: { shape: 'sine', amp: r(0.2, 0.6), wander: 0.2 },
    decimals: 2,
    kinds: pickKinds(['drift', 'spike', 'flatline'], 1, 2),
  });
  list.push({
    name: 'payments_volume_hourly',
    category: 'realKnownCause',
    dt: 3600,
    n: 3000,
    level: r(200, 400),
    daily: { shape: 'office', amp: r(400, 800), wander: 0.1 },
    weekend: r(0.3, 0.5),
    noise: 0,
    counts: true,
    lo: 0,
    decimals: 0,
    kinds: pickKinds(['spike', 'pattern_break', 'level_shift'], 1, 3),
  });
  return list;
}

/** Builds one series from a recipe. */
function build(rec: Recipe, rng: Rng): CorpusSeries {
  const n = rec.n;
  const dtMs = rec.dt * 1000;
  // Time axis: a start aligned to the interval, jittered steps, occasional gaps.
  const start = BASE_START + rng.intRange(0, 60) * DAY * 1000;
  const ts: number[] = new Array(n);
  let t = start;
  for (let i = 0; i < n; i++) {
    ts[i] = t;
    let step = dtMs;
    if (rec.jitter) step = Math.round((dtMs * (1 + rec.jitter * (rng.next() - 0.5))) / 1000) * 1000;
    if (rec.gaps && rng.chance(rec.gaps)) step += dtMs * rng.intRange(1, 4);
    t += Math.max(1000, step);
  }

  // Anomaly placement: NAB windows (10% of rows in total), none in the probationary period.
  const k = rec.kinds.length;
  const anomalies: InjectedAnomaly[] = [];
  const windows: [number, number][] = [];
  if (k > 0) {
    const w = Math.floor((0.1 * n) / k);
    const probation = Math.min(Math.floor(0.15 * n), 750);
    const lo = probation + Math.ceil(w / 2) + 10;
    const hi = n - Math.ceil(w / 2) - 10;
    const seg = (hi - lo) / k;
    for (let j = 0; j < k; j++) {
      const a = Math.round(lo + j * seg + w / 2);
      const b = Math.round(lo + (j + 1) * seg - w / 2);
      const onset = b > a ? rng.intRange(a, b) : Math.round((a + b) / 2);
      const kind = rec.kinds[j];
      anomalies.push({ kind, start: onset, end: onset + duration(kind, rec, w, rng) - 1 });
      windows.push([Math.max(0, onset - Math.floor(w / 2)), Math.min(n - 1, onset + Math.floor(w / 2))]);
    }
  }

  // Components.
  // Anomalies are sized against what a person sees as the series' normal wobble: the noise plus
  // the day-to-day wander of the daily swing.
  const base = rec.counts ? Math.sqrt(rec.level + (rec.daily ? Math.abs(rec.daily.amp) / 2 : 0)) : rec.noise;
  const wander = rec.daily ? ((rec.daily.wander ?? 0) * Math.abs(rec.daily.amp)) / 2 : 0;
  const sd = Math.sqrt(base * base + wander * wander);
  const levelAdd = new Float64Array(n);
  const noiseMul = new Float64Array(n).fill(1);
  const seasMul = new Float64Array(n).fill(1);
  const spikeAdd = new Float64Array(n);
  const flat = new Int8Array(n);
  for (const an of anomalies) inject(an, rec, sd, rng, { levelAdd, noiseMul, seasMul, spikeAdd, flat }, ts);

  const values: number[] = new Array(n);
  let walk = 0;
  let ar = 0;
  let dayIndex = -1;
  let dayAmp = 1;
  for (let i = 0; i < n; i++) {
    const sec = ts[i] / 1000;
    const day = Math.floor(sec / DAY);
    if (day !== dayIndex) {
      dayIndex = day;
      dayAmp = 1 + (rec.daily?.wander ?? 0) * rng.normal();
    }
    const dow = (Math.floor(sec / DAY) + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
    const weekend = dow === 0 || dow === 6;
    const ph = (sec % DAY) / DAY;
    let season = 0;
    if (rec.daily) {
      season = rec.daily.amp * dayAmp * shape(rec.daily.shape, ph) * (weekend && rec.weekend !== undefined ? rec.weekend : 1);
    }
    if (rec.walk) walk += rec.walk * rng.normal();
    const trend = rec.trend ? (rec.trend * i) / n : 0;
    let mean = rec.level + walk + trend + season * seasMul[i] + levelAdd[i];
    let e: number;
    switch (rec.noiseKind ?? 'gauss') {
      case 't': {
        // Student t with 3 degrees of freedom, scaled to unit variance.
        const z = rng.normal();
        const chi = rng.normal() ** 2 + rng.normal() ** 2 + rng.normal() ** 2;
        e = z / Math.sqrt(chi / 3) / Math.sqrt(3);
        break;
      }
      case 'ar': {
        const phi = rec.phi ?? 0.5;
        ar = phi * ar + Math.sqrt(1 - phi * phi) * rng.normal();
        e = ar;
        break;
      }
      default:
        e = rng.normal();
    }
    if (rec.bursts && rng.chance(rec.bursts.rate)) mean += rec.bursts.size * sd * rng.range(0.5, 1.5);
    let v: number;
    if (rec.counts) {
      const lam = Math.max(0, mean + spikeAdd[i]);
      v = rng.poisson(lam);
      if (noiseMul[i] !== 1) v = Math.max(0, Math.round(lam + (v - lam) * noiseMul[i]));
    } else {
      v = mean + rec.noise * e * noiseMul[i] + spikeAdd[i];
    }
    if (flat[i] === 1) v = values[i - 1];
    else if (flat[i] === 2) v = 0;
    if (rec.lo !== undefined && v < rec.lo) v = rec.lo;
    if (rec.hi !== undefined && v > rec.hi) v = rec.hi;
    values[i] = round(v, rec.decimals);
  }
  return { path: `${rec.category}/${rec.name}.csv`, category: rec.category, intervalSec: rec.dt, ts, values, anomalies, windows };
}

function duration(kind: AnomalyKind, rec: Recipe, w: number, rng: Rng): number {
  const half = Math.max(4, Math.floor(w / 2));
  const perDay = Math.round(DAY / rec.dt);
  switch (kind) {
    case 'spike':
      return rng.intRange(1, 3);
    case 'dip':
      return rng.intRange(1, 6);
    case 'level_shift':
      return rec.n; // persists (clipped to the series below)
    case 'variance':
      return rng.intRange(Math.floor(half / 2), half);
    case 'pattern_break':
      return rec.daily && perDay >= 12 ? Math.min(perDay, rec.n) : rng.intRange(Math.floor(half / 2), half);
    case 'flatline':
      return rng.intRange(Math.max(6, Math.floor(half / 3)), half);
    case 'drift':
      return rng.intRange(Math.floor(half / 2), half);
  }
}

interface Mods {
  levelAdd: Float64Array;
  noiseMul: Float64Array;
  seasMul: Float64Array;
  spikeAdd: Float64Array;
  flat: Int8Array;
}

function inject(an: InjectedAnomaly, rec: Recipe, sd: number, rng: Rng, m: Mods, ts: number[]): void {
  const n = rec.n;
  const end = Math.min(n - 1, an.end);
  an.end = end;
  const sign = rng.chance(0.5) ? 1 : -1;
  const room = (dir: number) => (rec.lo !== undefined && dir < 0 ? Math.max(0.5 * rec.level, 3 * sd) : Infinity);
  switch (an.kind) {
    case 'spike': {
      const mag = rng.range(5, 14) * sd;
      for (let i = an.start; i <= end; i++) m.spikeAdd[i] = mag * (i === an.start ? 1 : rng.range(0.4, 1));
      break;
    }
    case 'dip': {
      const mag = Math.min(rng.range(5, 12) * sd, room(-1) * 1.5);
      for (let i = an.start; i <= end; i++) m.spikeAdd[i] = -mag;
      break;
    }
    case 'level_shift': {
      const dir = rec.lo !== undefined && rng.chance(0.65) ? 1 : sign;
      const mag = Math.min(rng.range(3, 7) * sd, room(dir));
      for (let i = an.start; i < n; i++) m.levelAdd[i] += dir * mag;
      break;
    }
    case 'variance': {
      const k = rng.range(3, 6);
      for (let i = an.start; i <= end; i++) m.noiseMul[i] = k;
      if (rec.counts) for (let i = an.start; i <= end; i++) m.spikeAdd[i] = sd * k * (rng.next() < 0.3 ? rng.range(1, 3) : 0);
      if (rec.noise === 0 && !rec.counts) for (let i = an.start; i <= end; i++) m.spikeAdd[i] = sd * k * rng.normal();
      break;
    }
    case 'pattern_break': {
      // A holiday or an outage of the rhythm: the daily swing flattens (or shifts by hours).
      const flatten = rng.range(0.05, 0.35);
      for (let i = an.start; i <= end; i++) m.seasMul[i] = flatten;
      if (!rec.daily) for (let i = an.start; i <= end; i++) m.levelAdd[i] += 4 * sd;
      break;
    }
    case 'flatline': {
      const zero = rec.counts || rng.chance(0.3);
      for (let i = an.start; i <= end; i++) m.flat[i] = zero ? 2 : 1;
      break;
    }
    case 'drift': {
      const len = end - an.start + 1;
      const mag = rng.range(6, 12) * sd * (rec.lo !== undefined ? 1 : sign);
      const stays = rng.chance(0.5);
      for (let i = an.start; i < n; i++) {
        const f = i <= end ? (i - an.start + 1) / len : stays ? 1 : 0;
        m.levelAdd[i] += mag * f;
      }
      if (!stays) an.end = end;
      break;
    }
  }
  void ts;
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/** The whole corpus for a seed. */
export function generateCorpus(seed: number): CorpusSeries[] {
  const rng = new Rng(seed, 0xc0);
  const list = recipes(rng);
  return list.map((rec, i) => build(rec, new Rng(seed, 0xc1, i)));
}

/** "2014-04-10 07:15:00", as NAB writes timestamps. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function seriesCsv(s: CorpusSeries): string {
  let out = 'timestamp,value\n';
  for (let i = 0; i < s.ts.length; i++) out += `${formatTimestamp(s.ts[i])},${s.values[i]}\n`;
  return out;
}

/** NAB combined_windows.json: relative path → [[start, end], ...] as timestamps. */
export function corpusLabels(series: readonly CorpusSeries[]): Record<string, [string, string][]> {
  const out: Record<string, [string, string][]> = {};
  for (const s of series)
    out[s.path] = s.windows.map(([a, b]) => [formatTimestamp(s.ts[a]) + '.000000', formatTimestamp(s.ts[b]) + '.000000']);
  return out;
}

/**
 * NAB's layout: <dir>/data/<category>/<name>.csv, <dir>/labels.json (combined windows, keys relative
 * to data/), <dir>/anomalies.json (kind, onset and end of each injected anomaly, for analysis).
 */
export function writeCorpus(dir: string, series: readonly CorpusSeries[]): { data: string; labels: string; kinds: string } {
  const data = path.join(dir, 'data');
  for (const s of series) {
    const file = path.join(data, s.path);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, seriesCsv(s));
  }
  const labels = path.join(dir, 'labels.json');
  writeFileSync(labels, JSON.stringify(corpusLabels(series), null, 1) + '\n');
  const kinds = path.join(dir, 'anomalies.json');
  const k: Record<string, { kind: string; onset: string; end: string }[]> = {};
  for (const s of series)
    k[s.path] = s.anomalies.map((a) => ({ kind: a.kind, onset: formatTimestamp(s.ts[a.start]), end: formatTimestamp(s.ts[a.end]) }));
  writeFileSync(kinds, JSON.stringify(k, null, 1) + '\n');
  return { data, labels, kinds };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, out: { type: 'string' } } });
  const seed = Number(values.seed);
  const out = values.out ?? `/tmp/flowwatch-corpus-${seed}`;
  const series = generateCorpus(seed);
  const { data, labels } = writeCorpus(out, series);
  const rows = series.reduce((a, s) => a + s.ts.length, 0);
  const windows = series.reduce((a, s) => a + s.windows.length, 0);
  process.stdout.write(
    `corpus seed ${seed}: ${series.length} series, ${rows} rows, ${windows} labelled windows → ${data} (labels: ${labels})\n`,
  );
}
