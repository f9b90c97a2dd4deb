import { slope, perSecond, round } from './stats';
import { table, type BenchResult } from './run';

describe('stats', () => {
  it('least-squares slope of known lines', () => {
    expect(slope([0, 1, 2, 3], [5, 7, 9, 11])).toBeCloseTo(2, 12);
    expect(slope([0, 1, 2, 3], [4, 4, 4, 4])).toBe(0);
    expect(slope([1], [1])).toBe(0);
    // noisy flat series: slope near 0
    expect(Math.abs(slope([0, 1, 2, 3, 4, 5], [10, 12, 9, 11, 10, 11]))).toBeLessThan(0.3);
  });
  it('rates and rounding', () => {
    expect(perSecond(5000, 250)).toBe(20_000);
    expect(perSecond(1, 0)).toBe(0);
    expect(round(0.12345, 3)).toBe(0.123);
  });
});

describe('table (the terminal summary)', () => {
  const machine = { cpus: 2, node: 'v20', loadBefore: 1.5, loadAfter: 1.7 };
  it('shows the inproc figures and the ratio against its target', () => {
    const t = table({
      scenario: 'inproc',
      flows: ['people'],
      keys: 10,
      skew: 0,
      batchSize: 100,
      events: 1000,
      payloadBytes: 130_000,
      eventsPerSec: 60_000,
      ceilingEventsPerSec: 100_000,
      ratioToCeiling: 0.6,
      stringParseEventsPerSec: 120_000,
      ratioToStringParse: 0.5,
      changeSetShare: 0.4,
      ratioWithoutChangeSet: 1,
      rejects: 0,
      alerts: 3,
      stateEntries: 30,
      heapUsedMB: 10,
      rssMB: 50,
      machine,
    } as BenchResult);
    expect(t).toMatch(/pipeline\s+60,000 events\/s/);
    expect(t).toMatch(/ratio to ceiling\s+0\.600/);
    expect(t).toMatch(/of which change set\s+40\.0 % of the pipeline's time \(ratio without it 1\.000\)/);
    expect(t).toMatch(/load 1\.5 → 1\.7/);
  });
  it('shows kafka latencies, references and missing values as "-"', () => {
    const lat = { count: 10, p50: 1.5, p99: 9.25, p999: 12, max: 13 };
    const none = { count: 0, p50: NaN, p99: NaN, p999: NaN, max: NaN };
    const t = table({
      scenario: 'kafka',
      flows: ['funds'],
      keys: 10,
      skew: 1,
      sink: false,
      alerting: 'direct',
      partitions: 4,
      producerClient: 'kafkajs',
      stepSeconds: 10,
      sustainableEventsPerSec: 50_000,
      unsustainableEventsPerSec: 60_000,
      latencyOfferedEventsPerSec: 25_000,
      latencyMs: {
        state: lat,
        alert: none,
        pickup: { count: 10, p50: 0.5, p99: 4.25, p999: 6, max: 7 },
        delivery: { count: 10, p50: 0.25, p99: 2, p999: 3, max: 3.5 },
      },
      alertLatencyAllStepsMs: none,
      rawConsumerEventsPerSec: 100_000,
      naiveEventsPerSec: 5000,
      ratioToRawConsumer: 0.5,
      ratioToNaive: 10,
      steps: [],
      services: 'environment',
      machine,
    } as BenchResult);
    // A result without `threads` (older builds) ran the worker in the bench's thread.
    expect(t).toMatch(/alerting direct, 1 worker thread, load sent with kafkajs/);
    expect(t).not.toMatch(/reference:/);
    expect(t).toMatch(/sustainable\s+50,000 events\/s \(60,000\/s was not\)/);
    expect(t).toMatch(/send→state at 25,000\/s\s+p50 1\.5\s+p99 9\.3/);
    expect(t).toMatch(/of which send→pickup\s+p50 0\.5\s+p99 4\.3/);
    expect(t).toMatch(/of which send→fetched\s+p50 0\.3\s+p99 2\.0/);
    expect(t).toMatch(/send→alert at 25,000\/s\s+p50 -/);
    expect(t).toMatch(/sustainable\/raw = 0\.500/);
  });
  it('shows the threads and the latency reference beside the half-rate figures', () => {
    const lat = (p50: number, p99: number) => ({ count: 10, p50, p99, p999: p99, max: p99 });
    const t = table({
      scenario: 'kafka',
      flows: ['funds'],
      keys: 10,
      skew: 0,
      sink: false,
      alerting: 'direct',
      partitions: 4,
      producerClient: 'platformatic',
      threads: 2,
      stepSeconds: 10,
      sustainableEventsPerSec: 20_000,
      unsustainableEventsPerSec: null,
      latencyOfferedEventsPerSec: 10_000,
      latencyMs: {
        state: lat(40, 300),
        alert: lat(1, 1),
        pickup: lat(30, 200),
        delivery: lat(20, 150),
        acked: lat(7, 90),
        rawFetched: lat(35, 180),
      },
      alertLatencyAllStepsMs: lat(1, 1),
      rawConsumerEventsPerSec: null,
      naiveEventsPerSec: null,
      ratioToRawConsumer: null,
      ratioToNaive: null,
      steps: [],
      services: 'environment',
      machine,
    } as BenchResult);
    expect(t).toMatch(/alerting direct, 2 worker threads, load sent with platformatic/);
    expect(t).toMatch(/reference: send→acked\s+p50 7\.0\s+p99 90\.0/);
    expect(t).toMatch(/reference: send→fetched\s+p50 35\.0\s+p99 180\.0 .*raw kafkajs consumer/);
  });
  it("shows where the box's CPU went at the sustainable and the half rate", () => {
    const lat = { count: 10, p50: 1.5, p99: 9.25, p999: 12, max: 13 };
    const step = (phase: string, offered: number, sustainable: boolean, cpuPct: Record<string, number>) => ({
      phase,
      offered,
      sustainable,
      workerCpuPct: cpuPct.worker,
      cpuPct,
    });
    const t = table({
      scenario: 'kafka',
      flows: ['funds'],
      keys: 10,
      skew: 0,
      sink: true,
      alerting: 'full',
      partitions: 4,
      producerClient: 'platformatic',
      stepSeconds: 10,
      sustainableEventsPerSec: 40_000,
      unsustainableEventsPerSec: 60_000,
      latencyOfferedEventsPerSec: 20_000,
      latencyMs: { state: lat, alert: lat, pickup: lat, delivery: lat },
      alertLatencyAllStepsMs: lat,
      rawConsumerEventsPerSec: 100_000,
      naiveEventsPerSec: 5000,
      ratioToRawConsumer: 0.4,
      ratioToNaive: 8,
      steps: [
        step('search', 40_000, true, { worker: 90.4, influxdb: 31, producer: 30.6, kafka: 14, redis: 9 }),
        step('search', 60_000, false, { worker: 99 }),
        step('latency', 20_000, true, { worker: 60, producer: 15 }),
      ],
      services: 'environment',
      machine,
    } as unknown as BenchResult);
    expect(t).toMatch(/CPU at 40,000\/s \(% of a core\)\s+worker 90 %, producer 31 %, kafka 14 %, redis 9 %, influxdb 31 %; 175 of 200/);
    expect(t).toMatch(/CPU at 20,000\/s \(% of a core\)\s+worker 60 %, producer 15 %; 75 of 200/);
    expect(t).not.toMatch(/CPU at 60,000/);
    // A fixed-rate run: the one step is both; shown once.
    const fixed = table({
      scenario: 'kafka',
      flows: ['funds'],
      keys: 10,
      skew: 0,
      sink: false,
      alerting: 'direct',
      partitions: 4,
      producerClient: 'platformatic',
      stepSeconds: 10,
      sustainableEventsPerSec: 20_000,
      unsustainableEventsPerSec: null,
      latencyOfferedEventsPerSec: 20_000,
      latencyMs: { state: lat, alert: lat, pickup: lat, delivery: lat },
      alertLatencyAllStepsMs: lat,
      rawConsumerEventsPerSec: null,
      naiveEventsPerSec: null,
      ratioToRawConsumer: null,
      ratioToNaive: null,
      steps: [step('fixed', 20_000, true, { worker: 60, kafka: 10 })],
      services: 'environment',
      machine,
    } as unknown as BenchResult);
    expect(fixed.match(/CPU at 20,000/g)).toHaveLength(1);
  });
});
