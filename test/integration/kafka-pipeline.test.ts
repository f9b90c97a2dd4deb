/**
 * The pipeline through a real Kafka broker and real Redis: records produced by kcat (a client
 * flowwatch did not write) become alerts and points queryable in InfluxDB; malformed records land in the dead-letter topic with
 * their reasons while the worker goes on.
 */
import { parseConfigText, validateConfig } from '../../config/load';
import { silentLogger } from '../../kernel/logger';
import { systemClock } from '../../kernel/clock';
import type { Alert } from '../../kernel/types';
import { runPipeline } from '../../worker/runner';
import { wire } from '../../cli/app';
import type { Receiver } from '../../alerts/receivers/types';
import { createTopics, kcatConsumeAll, kcatProduce, uniqueName, waitFor } from '../support/kafka';

jest.setTimeout(120_000);

function config(topic: string, dlq: string, group: string) {
  return validateConfig(
    parseConfigText(`
kafka: { group_id: ${group}, from_beginning: true }
state: { backend: redis, prefix: ${group} }
sinks: [{ type: influxdb, flush_interval: 200ms }]
dead_letter: { type: kafka, topic: ${dlq} }
streams:
  funds:
    source: { type: kafka, topics: [${topic}] }
    mapping:
      key: account
      time: { field: ts, format: epoch_ms }
      id: payment_id
      measurements: [amount]
    lateness: 1h
    detectors:
      - { type: threshold, name: big-payment, measurement: amount, above: 10000, severity: critical }
      - { type: rate, name: burst, window: 10m, above: 4 }
`),
  );
}

async function startWorker(topic: string, dlq: string, group: string) {
  const alerts: Alert[] = [];
  const recorder: Receiver = { name: 'recorder', notify: async (a) => void alerts.push(...a), close: async () => {} };
  const log = silentLogger();
  const cfg = config(topic, dlq, group);
  const w = wire(cfg, log, { receivers: [recorder] });
  await w.start();
  const controller = new AbortController();
  const done = runPipeline({
    config: cfg,
    sources: w.sources,
    dispatcher: w.dispatcher,
    deadLetter: w.deadLetter,
    store: w.store,
    sinks: w.sinks,
    log,
    clock: systemClock,
    signal: controller.signal,
  });
  return {
    alerts,
    async stop() {
      controller.abort();
      const summary = await done;
      await w.close();
      return summary;
    },
  };
}

describe('Kafka → pipeline → alerts', () => {
  it('records produced with kcat yield the expected alerts, and their points land in InfluxDB', async () => {
    const topic = uniqueName('it-funds');
    const acc = (n: number) => `${topic}-ACC-${n}`; // unique keys: the InfluxDB database is shared
    const dlq = uniqueName('it-dlq');
    const group = uniqueName('it-group');
    await createTopics([topic, dlq]);
    const t = Date.now() - 60_000;
    const pay = (id: string, account: string, amount: number, ts: number): [string, string] => [
      account,
      JSON.stringify({ payment_id: id, account, amount, ts }),
    ];
    kcatProduce(topic, [
      pay('p1', acc(1), 25_000, t), // big payment
      ...[0, 1, 2, 3, 4].map((i) => pay(`b${i}`, acc(2), 20, t + i * 1000)), // 5 payments in 10 min: burst
      pay('p2', acc(3), 50, t),
    ]);
    const worker = await startWorker(topic, dlq, group);
    try {
      await waitFor('two firing alerts', () => (worker.alerts.filter((a) => a.status === 'firing').length >= 2 ? true : undefined));
      const firing = worker.alerts
        .filter((a) => a.status === 'firing')
        .map((a) => `${a.detector}:${a.key}`)
        .sort();
      expect(firing).toEqual([`big-payment:${acc(1)}`, `burst:${acc(2)}`]);
      const big = worker.alerts.find((a) => a.detector === 'big-payment')!;
      expect(big.evidence.value).toBe(25_000);
      expect(big.severity).toBe('critical');

      // Detector verdicts and alert state changes as time series, read back with InfluxQL.
      const query = async (q: string) => {
        const res = await fetch(`${process.env.INFLUX_URL}/query?db=flowwatch&q=${encodeURIComponent(q)}`);
        const body = (await res.json()) as { results: Array<{ series?: Array<{ columns: string[]; values: unknown[][] }> }> };
        return body.results[0].series?.[0];
      };
      const series = await waitFor(
        'points in InfluxDB',
        async () => query(`SELECT "value", "score" FROM "funds" WHERE "key" = '${acc(1)}' AND "detector" = 'big-payment'`),
        20_000,
        250,
      );
      expect(series.values).toHaveLength(1);
      expect(series.values[0][1]).toBe(25_000);
      expect(series.values[0][2]).toBeGreaterThan(0.5);
      const bursts = await waitFor(
        'the burst count',
        async () => query(`SELECT max("value") FROM "funds" WHERE "key" = '${acc(2)}' AND "detector" = 'burst'`),
        20_000,
        250,
      );
      expect(bursts.values[0][1]).toBe(5);
      const alertRows = await waitFor(
        'alert points',
        async () => query(`SELECT "score", "summary" FROM "alerts" WHERE "key" = '${acc(1)}'`),
        20_000,
        250,
      );
      expect(alertRows.values).toHaveLength(1);
      expect(String(alertRows.values[0][2])).toContain(acc(1));
    } finally {
      const summary = await worker.stop();
      expect(summary.events).toBe(7);
      expect(summary.rejects).toBe(0);
    }
  });

  it('malformed records go to the dead-letter topic with reasons; the worker goes on', async () => {
    const topic = uniqueName('it-funds');
    const dlq = uniqueName('it-dlq');
    const group = uniqueName('it-group');
    await createTopics([topic, dlq]);
    const t = Date.now() - 60_000;
    kcatProduce(topic, [
      ['ACC-1', '{"payment_id":"x1","account":"ACC-1","amount":'],
      ['ACC-1', JSON.stringify({ payment_id: 'x2', account: 'ACC-1', amount: 'NaN', ts: t })],
      ['ACC-1', JSON.stringify({ payment_id: 'x3', account: 'ACC-1', amount: 5 })],
      ['ACC-1', JSON.stringify({ payment_id: 'x4', account: 'ACC-1', amount: 50_000, ts: t + 1 })],
    ]);
    const worker = await startWorker(topic, dlq, group);
    try {
      await waitFor('the good record after the bad ones to alert', () =>
        worker.alerts.some((a) => a.detector === 'big-payment') ? true : undefined,
      );
      const dead = await waitFor('3 dead letters', () => {
        const m = kcatConsumeAll(dlq);
        return m.length >= 3 ? m : undefined;
      });
      expect(dead.map((d) => d.headers['fw-reason'])).toEqual(['malformed', 'bad_value', 'bad_time']);
      expect(dead[0].value).toBe('{"payment_id":"x1","account":"ACC-1","amount":');
      expect(dead[1].headers['fw-detail']).toContain('expected a finite number, got "NaN"');
      expect(dead[2].headers['fw-source']).toMatch(new RegExp(`^${topic}/\\d+@2$`));
    } finally {
      await worker.stop();
    }
  });
});
